"""Speed of value printing (hogvm/printing.py) against references measured in the same run.

    python bench/printing.py [--repeat N]

Values: an LLM chat payload (nested dicts/lists of strings), a 1,000-number array, a flat dict of
event properties. For each, the best time over --repeat runs (robust to a busy machine) of:
  print      print_hog_value   vs a plain recursive printer of the same format (defined here)
  json       to_json_string    vs json.dumps (C-accelerated)
  str        to_python_str     vs str() (C)
Ours walk an explicit stack (no RecursionError on deep values, cycle-safe, memory-charged), so
the ratio shows what that safety costs. Targets are ratios, never absolute timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hogvm.printing import escape_string, print_hog_value, to_json_string, to_python_str  # noqa: E402

CHAT = {
    "messages": [
        {"role": "system", "content": "You are a helpful assistant for an online shop."},
        {"role": "user", "content": "Hello, can you help me with my order #1234? It's late.\nThanks!"},
        {"role": "assistant", "content": "Sure! Let me check.", "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "lookup_order", "arguments": "{\"order\": 1234}"}}]},
    ],
    "model": "gpt-4o-mini", "temperature": 0.7, "max_tokens": 512, "stream": False, "user": None,
}
NUMBERS = list(range(1000))
PROPERTIES = {f"$prop_{i}": f"value number {i}" if i % 3 else i * 1.5 for i in range(60)}


def recursive_hog(value: Any) -> str:
    if isinstance(value, str):
        return escape_string(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join([recursive_hog(item) for item in value]) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join([f"{recursive_hog(k)}: {recursive_hog(v)}" for k, v in value.items()]) + "}"
    return str(value)


def best_us(fn: Callable[[Any], object], value: Any, repeat: int) -> float:
    fn(value)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(value)
        samples.append((time.perf_counter() - start) * 1e6)
    return min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    pairs = {
        "print": (print_hog_value, recursive_hog, "recursive"),
        "json": (to_json_string, json.dumps, "json.dumps"),
        "str": (to_python_str, str, "str()"),
    }
    for value_name, value in (("chat payload", CHAT), ("1000 numbers", NUMBERS), ("60 properties", PROPERTIES)):
        for form, (ours, reference, reference_name) in pairs.items():
            assert ours(value) == reference(value), (form, value_name)
            mine = best_us(ours, value, args.repeat)
            theirs = best_us(reference, value, args.repeat)
            print(f"{value_name:14s} {form:5s} ours {mine:8.1f} us   {reference_name:10s} {theirs:8.1f} us"
                  f"   ratio {mine / theirs:4.2f}")
    deep: list = []
    current = deep
    for _ in range(100_000):
        current.append([])
        current = current[0]
    start = time.perf_counter()
    print_hog_value(deep)
    print(f"100,000-deep array: ours {(time.perf_counter() - start) * 1000:.1f} ms "
          "(a recursive printer raises RecursionError)")


if __name__ == "__main__":
    main()
