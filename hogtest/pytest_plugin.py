"""pytest fixtures for testing Hog taggers in your own repository (registered as the `pytest11`
entry point `hog_tagger`: installing hog-tagger is enough).

    from sampler.tagging import generation

    def test_refunds_are_billing(hog_tagger):
        topics = hog_tagger("taggers/topics.hog", tags="taggers/topics.tags.json")
        topics.assert_tags(generation("Can I get a refund?"), ["billing"])

Fixtures:
- `hog_tagger(path=None, *, source=None, tags=None)`: compiles a tagger (a file, relative to the
  test file or the rootdir, or `source=`); `tags` is a list of names or a tags JSON file. The
  returned `HogTagger` has `run`, `tags_for`, `assert_tags`, `assert_no_errors`, `check_cases`
  and `assert_cases`; events are event objects, `generation(...)` results, or uuids of events
  loaded with `hog_load_events`.
- `hog_event_store`: an empty temporary event store, removed after the test.
- `hog_load_events(*dumps)`: loads dumps into that store; returns its `$ai_generation` events.
- `hog_sample_events`: the ~200 sample `$ai_generation` events shipped with hog-tagger.

Nothing here runs unless a test asks for a fixture: the plugin adds no options, hooks or autouse
fixtures, and imports the VM and DuckDB only when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sampler.cases import CheckReport
    from sampler.runner import TaggerResult
    from sampler.sampling import SampledEvent
    from sampler.store import EventStore
    from sampler.tagging import CompiledTagger

EventLike = Any  # a SampledEvent, an event mapping, or the uuid of a loaded event


class HogTagger:
    """A compiled tagger under test, with assertions that explain a failure."""

    def __init__(self, compiled: CompiledTagger, store_of: Callable[[], EventStore], base: Path) -> None:
        self.compiled = compiled
        self._store_of = store_of
        self._base = base

    @property
    def name(self) -> str:
        return self.compiled.name

    @property
    def tags(self) -> tuple[str, ...]:
        return self.compiled.tags

    def run(self, event: EventLike) -> TaggerResult:
        """`{tags, reasoning, error, posthog_divergences}` as `test_hog` reports them for this event."""
        return self.compiled.run(self._event(event))

    def tags_for(self, event: EventLike) -> list[str]:
        return self.run(event)["tags"]

    def assert_tags(self, event: EventLike, expected: Iterable[str]) -> None:
        """The event gets exactly `expected` (in any order), without an error."""
        __tracebackhide__ = True
        resolved = self._event(event)
        result = self.compiled.run(resolved)
        wanted = sorted(set(expected))
        if result["error"] is not None or sorted(set(result["tags"])) != wanted:
            raise AssertionError(f"{self.name}: expected tags {wanted}, got {result['tags']}\n"
                                 + _explain(resolved, result))

    def assert_no_errors(self, events: Iterable[EventLike]) -> None:
        """No event makes the tagger fail; lists every one that does."""
        __tracebackhide__ = True
        failures = []
        for event in events:
            resolved = self._event(event)
            result = self.compiled.run(resolved)
            if result["error"] is not None:
                failures.append(f"event {resolved.uuid or '(no uuid)'}: {result['error']}")
        if failures:
            raise AssertionError(f"{self.name} failed on {len(failures)} event(s):\n  " + "\n  ".join(failures))

    def check_cases(self, cases_file: str | Path) -> CheckReport:
        """Score the tagger on a case file (as `hog-test check` reads it); uuid cases come from
        the events loaded with `hog_load_events`.
        """
        from sampler.cases import check_cases, read_cases, resolve_cases

        cases = read_cases(_find(cases_file, self._base), configured_tags=self.tags)
        if any(case.event is None for case in cases):
            cases = resolve_cases(cases, self._store_of(), where="the events loaded by hog_load_events")
        return check_cases(self.compiled, cases)

    def assert_cases(self, cases_file: str | Path, *, min_f1: float | None = None) -> CheckReport:
        """Every case gets its tags (or, with `min_f1`, every tag's F1 reaches it); never an error."""
        __tracebackhide__ = True
        report = self.check_cases(cases_file)
        failing = report.errors or (report.below(min_f1) if min_f1 is not None else report.mismatches)
        if failing:
            lines = [f"{self.name}: {len(report.mismatches)} of {len(report.results)} cases mismatch"]
            if min_f1 is not None:
                lines += [f"  F1 of {s.tag} is {s.f1:.2f} < {min_f1:g}" for s in report.below(min_f1)]
            for result in report.mismatches:
                lines.append(f"  line {result.case.line} ({result.case.label}): expected {sorted(result.case.expected)}, "
                             f"got {list(result.returned)}" + (f", error {result.error}" if result.error else ""))
            raise AssertionError("\n".join(lines))
        return report

    def _event(self, event: EventLike) -> SampledEvent:
        from sampler.tagging import as_event, events_by_uuid

        if isinstance(event, str):
            found = events_by_uuid(self._store_of(), [event]).get(event)
            if found is None:
                raise LookupError(f"no event with uuid {event} was loaded (use hog_load_events)")
            return found
        return as_event(event)


def _explain(event: SampledEvent, result: TaggerResult) -> str:
    from sampler.extract import extract_event_io, preview

    input_raw, output_raw = extract_event_io(event.event, event.properties)
    lines = [f"  input:     {preview(input_raw)!r}", f"  output:    {preview(output_raw)!r}"]
    if result["reasoning"]:
        lines.append("  reasoning: " + result["reasoning"].replace("\n", "\n             "))
    if result["error"]:
        lines.append(f"  error:     {result['error']}")
    lines += [f"  posthog:   {divergence}" for divergence in result["posthog_divergences"]]
    return "\n".join(lines)


def _find(name: str | Path, base: Path) -> Path:
    """A file named relative to the test's directory, else to the working directory."""
    path = Path(name)
    if path.is_absolute():
        return path
    for candidate in (base / path, Path.cwd() / path):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name}: not found next to the test ({base}) nor in {Path.cwd()}")


def _tag_names(tags: Iterable[str] | str | Path | None, base: Path) -> tuple[str, ...]:
    if tags is None:
        return ()
    if isinstance(tags, str | Path):
        from hogtest.errors import CliError
        from hogtest.options import tags_option

        try:
            return tuple(tag["name"] for tag in tags_option(None, str(_find(tags, base))))
        except CliError as exc:
            raise ValueError(str(exc)) from None
    return tuple(tags)


@pytest.fixture
def hog_event_store() -> Iterator[EventStore]:
    """An empty event store in a temporary directory, removed after the test."""
    from sampler.store import EventStore

    store = EventStore.temporary()
    yield store
    store.close()


@pytest.fixture
def hog_load_events(hog_event_store: EventStore, request: pytest.FixtureRequest) -> Callable[..., list[SampledEvent]]:
    """`hog_load_events(*dumps)`: load dumps (JSON Lines, JSON, Parquet, CSV) into `hog_event_store`
    and return every `$ai_generation` event it then holds, newest first.
    """
    from sampler.tagging import stored_events

    base = request.path.parent

    def load(*dumps: str | Path) -> list[SampledEvent]:
        hog_event_store.load([_find(dump, base) for dump in dumps])
        return list(stored_events(hog_event_store))

    return load


@pytest.fixture(scope="session")
def hog_sample_events() -> list[SampledEvent]:
    """The `$ai_generation` events of the sample shipped with hog-tagger (OpenAI, Anthropic, Gemini,
    LangChain, tool calls, provider errors), newest first.
    """
    from sampler.seed import packaged_events_path
    from sampler.store import EventStore
    from sampler.tagging import stored_events

    with EventStore.temporary() as store:
        store.load([packaged_events_path()])
        return list(stored_events(store))


@pytest.fixture
def hog_tagger(request: pytest.FixtureRequest) -> Callable[..., HogTagger]:
    """`hog_tagger(path, tags=...)` or `hog_tagger(source="return ['x']", tags=[...])`."""
    base = request.path.parent

    def store_of() -> EventStore:
        return request.getfixturevalue("hog_event_store")

    def make(path: str | Path | None = None, *, source: str | None = None,
             tags: Iterable[str] | str | Path | None = None) -> HogTagger:
        from sampler.tagging import CompiledTagger

        if (path is None) == (source is None):
            raise TypeError("hog_tagger takes a file path or source=..., not both")
        if path is not None:
            file = _find(path, base)
            source, name = file.read_text(encoding="utf-8"), str(path)
        else:
            name = "<source>"
        compiled = CompiledTagger.from_source(source, tags=_tag_names(tags, base), name=name)
        return HogTagger(compiled, store_of, base)

    return make


__all__ = ["HogTagger", "hog_event_store", "hog_load_events", "hog_sample_events", "hog_tagger"]

