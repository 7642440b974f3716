"""`hog-test check TAGGER --cases FILE.jsonl`: does the tagger give each labelled event its tags?"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from hogtest.errors import EXIT_FAILURE, EXIT_USAGE, CliError
from hogtest.stores import open_store
from hogtest.taggers import TAGGER_HELP, add_strict_option, add_tags_options, load_tagger
from hogtest.text import field_line, plural
from sampler.extract import extract_event_io, preview


def register(commands: Any) -> None:
    check = commands.add_parser(
        "check", help="run a tagger on labelled events; per-tag precision, recall, F1 and every mismatch",
        description="Each line of the case file is an event (or the uuid of a stored event) and the tags "
                    "it should get. Exit 1 on any mismatch or error, or with --min-f1, when a tag's F1 "
                    "is below it.",
    )
    check.add_argument("tagger", help=f"the tagger: {TAGGER_HELP}")
    check.add_argument("--cases", required=True, metavar="FILE.jsonl",
                       help='one case per line: {"event"|"properties"|"uuid": ..., "tags": [...], "name"?: ...}')
    add_tags_options(check)
    check.add_argument("--min-f1", metavar="X",
                       help="pass when every tag's F1 is at least X (0-1), even with some mismatches")
    check.add_argument("--db", metavar="PATH",
                       help="where uuid cases and a saved tagger's id are looked up (default: the embedded "
                            "default database)")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    add_strict_option(check)
    check.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sampler.cases import check_cases, read_cases

    min_f1 = _min_f1(args.min_f1)
    tagger = load_tagger(args.tagger, args, err)
    cases = _resolved(read_cases(args.cases, configured_tags=tagger.tags), args)
    report = check_cases(tagger, cases)

    failed_tags = report.below(min_f1) if min_f1 is not None else []
    failing = bool(report.errors) or (bool(failed_tags) if min_f1 is not None else bool(report.mismatches))
    if args.json:
        json.dump(_as_json(tagger.name, args.cases, report, min_f1, failing), out, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(_format(tagger.name, args.cases, report, min_f1, failed_tags))
    return EXIT_FAILURE if failing else 0


def _resolved(cases: list[Any], args: argparse.Namespace) -> list[Any]:
    from sampler.cases import CaseFileError, resolve_cases

    if all(case.event is not None for case in cases):
        return cases
    store = open_store(db=args.db)
    try:
        return resolve_cases(cases, store, where=args.db or "the default event database")
    except CaseFileError as exc:
        raise CliError(f"{args.cases}: {exc}") from None
    finally:
        store.close()


def _min_f1(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise CliError(f"--min-f1: not a number: {text!r}", EXIT_USAGE) from None
    if not 0 <= value <= 1:
        raise CliError(f"--min-f1: must be between 0 and 1, got {text}", EXIT_USAGE)
    return value


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _scores_table(report: Any) -> list[str]:
    width = max([len("tag"), len("all tags"), *(len(s.tag) for s in report.scores)])
    header = f"  {'tag':<{width}}  precision  recall    f1     tp    fp    fn  support"
    lines = [header]
    for score in [*report.scores, report.micro]:
        lines.append(
            f"  {score.tag:<{width}}  {_number(score.precision):>9}  {_number(score.recall):>6}  {_number(score.f1):>4}"
            f"  {score.tp:>5} {score.fp:>5} {score.fn:>5}  {score.support:>7}"
        )
    lines.append(f"  macro F1 {_number(report.macro_f1)} (mean over tags); 'all tags' pools every decision")
    return lines


def _format(name: str, cases_file: str, report: Any, min_f1: float | None, failed_tags: list[Any]) -> str:
    total, mismatches, errors = len(report.results), report.mismatches, report.errors
    lines = [f"check {name} on {plural(total, 'case')} from {cases_file}: {total - len(mismatches)} pass, "
             f"{len(mismatches) - len(errors)} mismatch, {plural(len(errors), 'error')}", ""]
    lines += _scores_table(report)
    confusions = report.confusions()
    if confusions:
        lines += ["", "confusions:"]
        for missed, instead, count in confusions:
            if missed and instead:
                what = f"expected {missed}, got {instead} instead"
            else:
                what = f"missed {missed}" if missed else f"extra {instead}"
            lines.append(f"  {what}: {plural(count, 'case')}")
    if mismatches:
        lines += ["", "mismatches:"]
        for number, result in enumerate(mismatches):
            lines += [*([""] if number else []), *_mismatch(result)]
    # Cases that pass here but that PostHog's VMs would answer otherwise (mismatches show theirs).
    diverging = [result for result in report.divergent if result.ok]
    if diverging:
        lines += ["", "PostHog would answer these cases differently:"]
        for number, result in enumerate(diverging):
            lines += [*([""] if number else []), _head(result), *_posthog_lines(result)]
    lines += ["", _verdict(report, min_f1, failed_tags)]
    return "\n".join(lines) + "\n"


def _head(result: Any) -> str:
    case, event = result.case, result.case.event
    return f"line {case.line}" + (f"  {case.name}" if case.name else "") + (f"  event {event.uuid}" if event.uuid else "")


def _mismatch(result: Any) -> list[str]:
    case = result.case
    event = case.event
    input_raw, output_raw = extract_event_io(event.event, event.properties)
    lines = [_head(result),
             field_line("expected", ", ".join(sorted(case.expected)) or "(none)"),
             field_line("got", ", ".join(result.returned) or "(none)")]
    lines.append(field_line("input", preview(input_raw) or "(empty)"))
    lines.append(field_line("output", preview(output_raw) or "(empty)"))
    if result.reasoning:
        lines.append(field_line("reasoning", result.reasoning))
    if result.error:
        lines.append(field_line("error", result.error))
    return lines + _posthog_lines(result)


def _posthog_lines(result: Any) -> list[str]:
    """One `posthog` line per finding, as `hog-test run` shows them."""
    return [field_line("posthog", divergence) for divergence in result.posthog_divergences]


def _verdict(report: Any, min_f1: float | None, failed_tags: list[Any]) -> str:
    if report.errors:
        return f"FAILED: the tagger failed on {plural(len(report.errors), 'case')}"
    if min_f1 is not None:
        if failed_tags:
            below = ", ".join(f"{s.tag} {_number(s.f1)}" for s in failed_tags)
            return f"FAILED: F1 below {min_f1:g} for {below}"
        return f"ok: every tag's F1 is at least {min_f1:g}"
    if report.mismatches:
        return f"FAILED: {plural(len(report.mismatches), 'case')} did not get the expected tags"
    return "ok: every case got the expected tags"


def _as_json(name: str, cases_file: str, report: Any, min_f1: float | None, failing: bool) -> dict[str, Any]:
    from sampler.cases import case_as_json

    def score(s: Any) -> dict[str, Any]:
        return {"tag": s.tag, "precision": s.precision, "recall": s.recall, "f1": s.f1,
                "tp": s.tp, "fp": s.fp, "fn": s.fn, "tn": s.tn, "support": s.support}

    return {
        "tagger": name,
        "cases_file": cases_file,
        "cases": len(report.results),
        "passed": not failing,
        "min_f1": min_f1,
        "tags": [score(s) for s in report.scores],
        "micro": score(report.micro),
        "macro_f1": report.macro_f1,
        "confusions": [{"expected": a, "got": b, "cases": n} for a, b, n in report.confusions()],
        "mismatches": [case_as_json(result) for result in report.mismatches],
        "posthog_divergences": [case_as_json(result) for result in report.divergent],
    }
