"""Listing taggers over HTTP: DRF limit/offset pages with absolute links, filters, search, ordering."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.api_support import ApiServer, llm_tagger, module_client, module_server

BASE = "/api/environments/3/taggers/"  # project 3 holds exactly the taggers made here
NAMES = ["delta", "Alpha", "charlie", "bravo", "echo"]


world, server = module_server("api-list")
api = module_client("star")


@pytest.fixture(scope="module")
def created(api: httpx.Client) -> list[dict]:
    """Five taggers, created in NAMES order (so "echo" is the newest); "charlie" disabled, one extra deleted."""
    made = []
    for name in NAMES:
        body = llm_tagger(name=name, enabled=name != "charlie", description=f"about {name.upper()} things")
        made.append(api.post(BASE, json=body).json())
    gone = api.post(BASE, json=llm_tagger(name="deleted one")).json()
    api.patch(f"{BASE}{gone['id']}/", json={"deleted": True})
    return made


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [t["name"] for t in response.json()["results"]]


def test_default_order_is_newest_first_and_deleted_are_hidden(api: httpx.Client, created: list[dict]) -> None:
    body = api.get(BASE).json()
    assert body["count"] == 5 and body["next"] is None and body["previous"] is None
    assert [t["name"] for t in body["results"]] == list(reversed(NAMES))
    assert body["results"][0] == created[-1]


def test_pages_link_to_each_other_with_absolute_urls(api: httpx.Client, server: ApiServer, created: list[dict]) -> None:
    first = api.get(BASE, params={"limit": 2}).json()
    assert [t["name"] for t in first["results"]] == ["echo", "bravo"]
    assert first["next"] == f"{server.base_url}{BASE}?limit=2&offset=2" and first["previous"] is None
    second = api.get(first["next"]).json()
    assert [t["name"] for t in second["results"]] == ["charlie", "Alpha"]
    # The page before offset 2 with limit 2 starts at 0: DRF drops `offset` from that link.
    assert second["previous"] == f"{server.base_url}{BASE}?limit=2"
    third = api.get(second["next"]).json()
    assert [t["name"] for t in third["results"]] == ["delta"] and third["next"] is None
    assert third["previous"] == f"{server.base_url}{BASE}?limit=2&offset=2"


def test_links_keep_other_parameters_sorted(api: httpx.Client, server: ApiServer, created: list[dict]) -> None:
    body = api.get(f"{BASE}?search=a&order_by=name&limit=1&offset=1").json()
    assert urlsplit(body["next"]).query == "limit=1&offset=2&order_by=name&search=a"
    assert urlsplit(body["previous"]).query == "limit=1&order_by=name&search=a"


@pytest.mark.parametrize(("query", "expected", "count_next_previous"), [
    ("limit=0", NAMES[::-1], (5, None, None)),  # not a positive integer: the default page size
    ("limit=-3", NAMES[::-1], (5, None, None)),
    ("limit=abc", NAMES[::-1], (5, None, None)),
    ("limit=1.5", NAMES[::-1], (5, None, None)),
    ("limit=" + "9" * 5000, NAMES[::-1], (5, None, None)),  # too many digits for int(): the default
    ("limit=99999999999999999999", NAMES[::-1], (5, None, None)),
    ("offset=-1", NAMES[::-1], (5, None, None)),
    ("offset=abc", NAMES[::-1], (5, None, None)),
    ("offset=5", [], (5, None, "limit=100")),  # 5 - 100 <= 0: the link drops offset
    ("offset=99999999999999999999", [], (5, None, "previous")),
    ("limit=2&offset=4", ["delta"], (5, None, "limit=2&offset=2")),
    ("limit=2&offset=3", ["Alpha", "delta"], (5, None, "limit=2&offset=1")),
    ("limit=2&offset=1", ["bravo", "charlie"], (5, "limit=2&offset=3", "limit=2")),
    ("limit=3&limit=1", ["echo"], (5, "limit=1&offset=1", None)),  # the last of repeated values, as Django
])
def test_pagination_edges(api: httpx.Client, created: list[dict], query: str, expected: list[str],
                          count_next_previous: tuple) -> None:
    response = api.get(f"{BASE}?{query}")
    assert names(response) == expected
    body = response.json()
    count, next_query, previous_query = count_next_previous
    assert body["count"] == count
    if next_query is None:
        assert body["next"] is None
    else:
        assert urlsplit(body["next"]).query == next_query
    if previous_query is None:
        assert body["previous"] is None
    elif previous_query == "previous":
        assert parse_qs(urlsplit(body["previous"]).query)["limit"] == ["100"]
    else:
        assert urlsplit(body["previous"]).query == previous_query


def test_enabled_filter(api: httpx.Client, created: list[dict]) -> None:
    assert names(api.get(BASE, params={"enabled": "false"})) == ["charlie"]
    assert "charlie" not in names(api.get(BASE, params={"enabled": "true"}))
    assert len(names(api.get(BASE, params={"enabled": "1"}))) == 4
    assert len(names(api.get(BASE, params={"enabled": "sometimes"}))) == 5  # unreadable: not filtered


def test_search_in_name_or_description_case_insensitively(api: httpx.Client, created: list[dict]) -> None:
    assert names(api.get(BASE, params={"search": "ALP"})) == ["Alpha"]
    assert names(api.get(BASE, params={"search": "echo things"})) == ["echo"]  # in the description
    assert names(api.get(BASE, params={"search": "nothing like it"})) == []
    assert len(names(api.get(BASE, params={"search": ""}))) == 5
    assert names(api.get(BASE, params={"search": "%"})) == []  # not a LIKE pattern
    assert names(api.get(BASE, params={"search": "\x00"})) == []


def test_id_in_filter(api: httpx.Client, created: list[dict]) -> None:
    ids = [created[0]["id"], created[2]["id"].upper()]
    assert names(api.get(BASE, params={"id__in": ",".join(ids)})) == ["charlie", "delta"]
    assert len(names(api.get(BASE, params={"id__in": ""}))) == 5
    response = api.get(BASE, params={"id__in": f"{created[0]['id']},nope"})
    assert response.status_code == 400
    assert response.json() == {"type": "validation_error", "code": "invalid_input", "detail": "Enter a valid UUID.",
                               "attr": "id__in"}


def test_order_by(api: httpx.Client, created: list[dict]) -> None:
    assert names(api.get(BASE, params={"order_by": "name"})) == sorted(NAMES)
    assert names(api.get(BASE, params={"order_by": "-name"})) == sorted(NAMES, reverse=True)
    assert names(api.get(BASE, params={"order_by": "created_at"})) == NAMES
    assert names(api.get(BASE, params={"order_by": "-updated_at"})) == NAMES[::-1]
    response = api.get(BASE, params={"order_by": "name,password"})
    assert response.status_code == 400
    assert response.json() == {"type": "validation_error", "code": "invalid_choice",
                               "detail": "Select a valid choice. password is not one of the available choices.",
                               "attr": "order_by"}


def test_order_by_several_fields(api: httpx.Client, created: list[dict]) -> None:
    api.patch(f"{BASE}{created[1]['id']}/", json={"description": "touched"})  # "Alpha" becomes most recently updated
    assert names(api.get(BASE, params={"order_by": "-updated_at,name"}))[0] == "Alpha"
    # Several terms: the first decides, later ones break its ties.
    same = {"name": "twin"}
    for tagger in created[:2]:
        api.patch(f"{BASE}{tagger['id']}/", json=same)
    ordered = api.get(BASE, params={"order_by": "name,-created_at"}).json()["results"]
    twins = [t["id"] for t in ordered if t["name"] == "twin"]
    assert twins == [created[1]["id"], created[0]["id"]]
    for tagger, name in zip(created[:2], NAMES[:2], strict=True):
        api.patch(f"{BASE}{tagger['id']}/", json={"name": name})
