"""What happened to the events of a batch run, counted so that counts from any number of batches,
workers or machines merge into the same totals in any order.

`TagStats.add(outcome)` counts one `TagOutcome`; `merge` adds another `TagStats`. Nothing in it
depends on the order events were seen in: error examples are the lowest event uuids of each kind,
and per-event times go into a histogram with fixed log-spaced buckets (2% wide), from which p50
and p99 are read.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sampler.pipeline import TagOutcome

# Error kinds of rows that never became an event (a JSON line that does not parse).
UNREADABLE_ROW = "unreadable_row"
# How many event uuids are kept as examples of each error kind.
EXAMPLES_PER_KIND = 5
# Histogram buckets: bucket b holds times t (in microseconds) with floor(ln(t) * 50) == b.
_BUCKETS_PER_E = 50


@dataclass(slots=True)
class ErrorSummary:
    count: int = 0
    samples: list[tuple[str, str]] = field(default_factory=list)  # (event uuid, message), lowest uuids

    @property
    def examples(self) -> list[str]:
        return [example for example, _ in self.samples]

    @property
    def message(self) -> str:
        """The message of the first example."""
        return self.samples[0][1] if self.samples else ""

    def add(self, example: str, message: str) -> None:
        self.count += 1
        self._keep([(example, message)])

    def merge(self, other: ErrorSummary) -> None:
        self.count += other.count
        self._keep(other.samples)

    def _keep(self, samples: list[tuple[str, str]]) -> None:
        by_example = dict(self.samples)
        for example, message in samples:
            by_example[example] = min(message, by_example.get(example, message))
        self.samples = sorted(by_example.items())[:EXAMPLES_PER_KIND]


@dataclass(slots=True)
class TagStats:
    events: int = 0  # rows the run looked at
    considered: int = 0  # `$ai_generation` events the tagger looked at
    matched: int = 0  # ... whose filters matched some condition
    in_rollout: int = 0  # ... and that a condition's rollout let through
    tagged: int = 0  # `$ai_tag` events emitted
    resumed: int = 0  # skipped: already tagged by this tagger version (`--resume`)
    outside_window: int = 0  # skipped: timestamp outside --since/--until
    skipped: Counter[str] = field(default_factory=Counter)  # SkipReason -> count
    errors: dict[str, ErrorSummary] = field(default_factory=dict)  # ErrorKind -> summary
    condition_errors: ErrorSummary = field(default_factory=ErrorSummary)  # a condition failed to run
    tags: Counter[str] = field(default_factory=Counter)  # tag -> `$ai_tag` events carrying it
    untagged: int = 0  # `$ai_tag` events with no tags
    durations: Counter[int] = field(default_factory=Counter)  # histogram of per-event time (tagger ran)

    # -- counting ----------------------------------------------------------------------------

    def add(self, outcome: TagOutcome) -> None:
        self.events += 1
        self.considered += outcome.considered
        self.matched += outcome.matched
        self.in_rollout += outcome.in_rollout
        if outcome.skip_reason is not None:
            self.skipped[outcome.skip_reason.value] += 1
        uuid = outcome.event_uuid or "(no uuid)"
        if outcome.error_kind is not None:
            self.add_error(outcome.error_kind.value, uuid, outcome.error or "")
        for message in outcome.condition_errors:
            self.condition_errors.add(uuid, message)
        if outcome.in_rollout and outcome.skip_reason is None:
            self.durations[_bucket(outcome.duration_s)] += 1
        if outcome.tagged:
            self.tagged += 1
            self.tags.update(set(outcome.tags))
            self.untagged += not outcome.tags

    def add_error(self, kind: str, example: str, message: str) -> None:
        self.errors.setdefault(kind, ErrorSummary()).add(example, message)

    def merge(self, other: TagStats) -> TagStats:
        for name in ("events", "considered", "matched", "in_rollout", "tagged", "resumed", "outside_window",
                     "untagged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.skipped.update(other.skipped)
        self.tags.update(other.tags)
        self.durations.update(other.durations)
        for kind, summary in other.errors.items():
            self.errors.setdefault(kind, ErrorSummary()).merge(summary)
        self.condition_errors.merge(other.condition_errors)
        return self

    # -- reading -----------------------------------------------------------------------------

    @property
    def error_count(self) -> int:
        return sum(summary.count for summary in self.errors.values())

    def percentile_ms(self, q: float) -> float | None:
        """The q-quantile (0-1) of per-event time of events the tagger ran on, in milliseconds."""
        total = sum(self.durations.values())
        if total == 0:
            return None
        rank = max(1, math.ceil(q * total))
        seen = 0
        for bucket in sorted(self.durations):
            seen += self.durations[bucket]
            if seen >= rank:
                return math.exp((bucket + 0.5) / _BUCKETS_PER_E) / 1000
        raise AssertionError("unreachable: rank <= total")

    def tag_distribution(self) -> list[dict[str, Any]]:
        """Tags by count (then name), each with its share of the `$ai_tag` events."""
        ordered = sorted(self.tags.items(), key=lambda item: (-item[1], item[0]))
        return [{"name": name, "count": count, "share": round(count / self.tagged, 4) if self.tagged else 0.0}
                for name, count in ordered]

    def as_dict(self) -> dict[str, Any]:
        """The counts as the summary's JSON shows them."""

        def errors(summary: ErrorSummary) -> dict[str, Any]:
            return {"count": summary.count, "examples": list(summary.examples), "message": summary.message}

        p50, p99 = self.percentile_ms(0.5), self.percentile_ms(0.99)
        return {
            "events": self.events,
            "considered": self.considered,
            "matched": self.matched,
            "in_rollout": self.in_rollout,
            "tagged": self.tagged,
            "resumed": self.resumed,
            "outside_window": self.outside_window,
            "skipped": dict(sorted(self.skipped.items())),
            "errors": self.error_count,
            "errors_by_kind": {kind: errors(self.errors[kind]) for kind in sorted(self.errors)},
            "condition_errors": errors(self.condition_errors),
            "tags": self.tag_distribution(),
            "untagged": self.untagged,
            "time_per_event_ms": {"p50": _round(p50), "p99": _round(p99)},
        }


def _bucket(seconds: float) -> int:
    microseconds = max(seconds * 1e6, 1.0)
    return math.floor(math.log(microseconds) * _BUCKETS_PER_E)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
