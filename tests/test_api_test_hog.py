"""`POST .../taggers/test_hog/` over HTTP: PostHog's bodies, one project's events, and hostile taggers
that cannot starve the server."""

from __future__ import annotations

import statistics
import threading
import time

import httpx
import pytest

from tests.api_support import ApiServer, World, module_server

TEST_HOG = "/api/environments/{project}/taggers/test_hog/"


world, server = module_server("api-test-hog", workers=2, queue=0, tagger_timeout=1.0)


def post(server: ApiServer, key: str, body: object, project: int = 1) -> httpx.Response:
    with server.client(key) as client:
        return client.post(TEST_HOG.format(project=project), json=body)


TAGGER = """
let found := []
if (input ilike '%refund%') { found := arrayPushBack(found, 'billing') }
print(f'saw {event.distinct_id}')
return arrayPushBack(found, 'unlisted')
"""


def test_results_in_posthogs_shape_on_the_projects_newest_events(server: ApiServer, world: World) -> None:
    response = post(server, world.keys["rw"], {"source": TAGGER, "sample_count": 3, "tags": [{"name": "billing"}]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["results"] and len(body["results"]) == 3
    for n, result in enumerate(body["results"]):
        assert list(result) == ["event_uuid", "trace_id", "input_preview", "output_preview", "tags", "reasoning",
                                "error"]
        assert result["trace_id"] == f"trace-1-{n}"  # newest first
        assert result["input_preview"] == f"user: project 1 question {n} about a refund"
        assert result["tags"] == ["billing"]  # only configured tags are kept
        assert result["reasoning"] == f"saw user-1-{n}" and result["error"] is None


def test_each_project_samples_only_its_own_events(server: ApiServer, world: World) -> None:
    body = post(server, world.keys["p2"], {"source": "return []", "sample_count": 10}, project=2).json()
    assert len(body["results"]) == 10
    assert all(r["input_preview"].startswith("user: project 2 ") for r in body["results"])
    empty = post(server, world.keys["star"], {"source": "return []"}, project=3).json()
    assert empty == {"results": [], "message": "No recent AI events found in the last 7 days"}


def test_compile_error_is_400_with_posthogs_error_body(server: ApiServer, world: World) -> None:
    response = post(server, world.keys["read"], {"source": "let x := 1\nreturn ["})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("Compilation error: ") and "line 2, column 9" in error
    # A compile error wins over an empty sample, as PostHog compiles first.
    assert post(server, world.keys["star"], {"source": "return ["}, project=3).status_code == 400


@pytest.mark.parametrize(("body", "field", "message"), [
    ({}, "source", "This field is required."),
    ({"source": "  "}, "source", "This field may not be blank."),
    ({"source": "return []", "sample_count": 11}, "sample_count", "Ensure this value is less than or equal to 10."),
    ({"source": "return []", "sample_count": "many"}, "sample_count", "A valid integer is required."),
    ({"source": "return []", "tags": [{"description": "x"}]}, "tags.0.name", "This field is required."),
])
def test_invalid_requests(server: ApiServer, world: World, body: dict, field: str, message: str) -> None:
    response = post(server, world.keys["rw"], body)
    assert response.status_code == 400
    assert response.json() == {"error": {field: [message]}}


def test_runtime_errors_and_limits_are_per_event_results(server: ApiServer, world: World) -> None:
    """Each failure is that event's result, with PostHog's text and, as the library's test_hog, the
    position of the failing instruction (the worker compiles the source with its source map)."""
    body = post(server, world.keys["rw"], {"source": "let x := 1\nthrow Error('nope')", "sample_count": 1}).json()
    assert body["results"][0]["error"] == "Runtime error: Error('nope') (line 2, column 1)"
    looping = post(server, world.keys["rw"], {"source": "while (true) {}", "sample_count": 2}).json()
    assert [r["error"] for r in looping["results"]] == ["Execution timed out (1s limit exceeded) (line 1, column 1)"] * 2
    memory = post(server, world.keys["rw"], {"source": "let a := 'x'\nwhile (true) { a := a || a }",
                                             "sample_count": 1}).json()
    assert memory["results"][0]["error"].startswith(("Memory limit exceeded (line 2, ",
                                                     "Execution timed out (1s limit exceeded) (line 2, "))


def test_results_say_where_posthog_would_tag_differently(server: ApiServer, world: World) -> None:
    """`posthog_divergences` as the library reports it: an extra key, only on a result that has some."""
    source = ("let words := ['a', 'b']\n"
              "return [f'n{arrayCount(t -> arrayExists(w -> position(t, w) > 0, words), [\'xa\', \'xb\', \'zz\'])}']")
    [result] = post(server, world.keys["rw"], {"source": source, "sample_count": 1}).json()["results"]
    assert result["tags"] == ["n2"]
    [message] = result["posthog_divergences"]
    assert "tags differently in PostHog, where it returns ['n3'] (here ['n2'])" in message
    [plain] = post(server, world.keys["rw"], {"source": "return ['a']", "sample_count": 1}).json()["results"]
    assert "posthog_divergences" not in plain


def test_hostile_taggers_cannot_starve_the_server(server: ApiServer, world: World) -> None:
    """Six `while (true) {}` test_hog requests at once: two run (one per worker), the others are told
    to come back later, and listing taggers meanwhile still answers in well under a second."""
    statuses: list[httpx.Response] = []

    def hostile() -> None:
        statuses.append(post(server, world.keys["rw"], {"source": "while (true) {}", "sample_count": 3}))

    threads = [threading.Thread(target=hostile) for _ in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # the two admitted ones are now spinning in the workers
    timings = []
    with server.client(world.keys["rw"]) as client:
        for _ in range(10):
            started = time.perf_counter()
            assert client.get("/api/environments/1/taggers/").status_code == 200
            timings.append(time.perf_counter() - started)
    for thread in threads:
        thread.join(timeout=60)
    assert max(timings) < 0.5 and statistics.median(timings) < 0.1, timings
    codes = sorted(r.status_code for r in statuses)
    assert codes == [200, 200, 503, 503, 503, 503], codes
    for busy in (r for r in statuses if r.status_code == 503):
        assert busy.headers["retry-after"] == "1"
        assert busy.json()["type"] == "throttled_error" and busy.json()["code"] == "workers_busy"
    for done in (r for r in statuses if r.status_code == 200):
        assert {r["error"] for r in done.json()["results"]} == {
            "Execution timed out (1s limit exceeded) (line 1, column 1)"}
    # Capacity comes back once they end.
    assert post(server, world.keys["rw"], {"source": "return ['ok']", "sample_count": 1}).status_code == 200
