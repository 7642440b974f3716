"""Two versions of a tagger on the same events: which events change, and how the tag counts move.

    >>> report = diff_taggers(old, new, stored_events(store))
    >>> [change.event.uuid for change in report.changes]

An event changes when its tags (compared as a set: order and repeats do not matter, as PostHog
emits one `$ai_tag` per tag) or its error differ between the versions, or when PostHog's VMs would
answer one version differently and not the other (`posthog_divergences`: the same tags here may be
other tags there). Reasoning alone is not a change. Events stream through: memory holds the
changes and the counts, not the events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sampler.runner import TaggerResult
from sampler.sampling import SampledEvent
from sampler.tagging import CompiledTagger


@dataclass(frozen=True)
class EventChange:
    event: SampledEvent
    old: TaggerResult
    new: TaggerResult

    @property
    def tags_changed(self) -> bool:
        return set(self.old["tags"]) != set(self.new["tags"])

    @property
    def error_changed(self) -> bool:
        return self.old["error"] != self.new["error"]

    @property
    def divergences_changed(self) -> bool:
        return set(self.old["posthog_divergences"]) != set(self.new["posthog_divergences"])

    @property
    def changed(self) -> bool:
        return self.tags_changed or self.error_changed or self.divergences_changed


@dataclass
class Distribution:
    """Events per tag, events with an error, events with no tag and no error, and events PostHog's
    VMs would answer differently."""

    tags: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    untagged: int = 0
    diverging: int = 0

    def add(self, result: TaggerResult) -> None:
        self.diverging += bool(result["posthog_divergences"])
        if result["error"] is not None:
            self.errors += 1
        elif not result["tags"]:
            self.untagged += 1
        self.tags.update(set(result["tags"]))


@dataclass
class DiffReport:
    events: int = 0
    changes: list[EventChange] = field(default_factory=list)
    old: Distribution = field(default_factory=Distribution)
    new: Distribution = field(default_factory=Distribution)

    def tag_rows(self, configured: Iterable[str] = ()) -> list[tuple[str, int, int]]:
        """(tag, events before, events after) for every configured or seen tag, configured first."""
        first = list(configured)
        seen = sorted((set(self.old.tags) | set(self.new.tags)) - set(first))
        return [(tag, self.old.tags[tag], self.new.tags[tag]) for tag in [*first, *seen]]


def diff_taggers(
    old: CompiledTagger,
    new: CompiledTagger,
    events: Iterable[SampledEvent],
    *,
    on_event: Callable[[int], None] | None = None,
) -> DiffReport:
    """Run both versions on every event (each with its own configured tags)."""
    report = DiffReport()
    for event in events:
        before, after = old.run(event), new.run(event)
        report.events += 1
        report.old.add(before)
        report.new.add(after)
        change = EventChange(event, before, after)
        if change.changed:
            report.changes.append(change)
        if on_event is not None:
            on_event(report.events)
    return report
