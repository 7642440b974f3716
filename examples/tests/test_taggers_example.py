"""Testing taggers in your own repository: with hog-tagger installed, pytest has these fixtures.

Run with `python3 -m pytest examples/tests` (paths below are relative to this file).
"""

from sampler.tagging import generation


def test_refunds_are_billing(hog_tagger):
    topics = hog_tagger("../taggers/topics.hog", tags="../taggers/topics.tags.json")
    topics.assert_tags(generation("Can I get a refund for the annual plan?"), ["billing"])


def test_provider_errors_are_tagged_error(hog_tagger):
    topics = hog_tagger("../taggers/topics.hog", tags="../taggers/topics.tags.json")
    failed = generation("hi", [], {"$ai_is_error": True, "$ai_http_status": 429})
    assert topics.tags_for(failed) == ["error"]
    assert topics.run(failed)["reasoning"] == "error: the provider answered HTTP 429"


def test_labelled_cases(hog_tagger, hog_load_events):
    hog_load_events("../../fixtures/events/events.jsonl")  # the case file names one event by uuid
    topics = hog_tagger("../taggers/topics.hog", tags="../taggers/topics.tags.json")
    topics.assert_cases("../cases/topics.cases.jsonl")


def test_never_fails_on_the_sample_events(hog_tagger, hog_sample_events):
    for path in ("../taggers/topics.hog", "../taggers/pii.hog", "../taggers/tool_use.hog"):
        hog_tagger(path).assert_no_errors(hog_sample_events)


def test_pii_tagger_from_source(hog_tagger):
    emails = hog_tagger(source="return input =~ '@' ? ['email'] : []", tags=["email"])
    emails.assert_tags(generation("write to bob@example.com"), ["email"])
    emails.assert_tags(generation("no address here"), [])
