"""Random strings through the string builtins, ours against PostHog's TypeScript VM.

The alphabet stays in the Basic Multilingual Plane (JavaScript counts UTF-16 units, Python code
points) and avoids the characters where the two VMs are known to differ on purpose (see
docs/stl-core.md): `$` (JavaScript's replace() patterns), `!*'()` (encodeURIComponent), and
whitespace other than ' ' (Python's trim() without an argument strips all of it).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.stl_call import Call, call_native, call_node

pytestmark = [pytest.mark.oracle, pytest.mark.fuzz]

text = st.text(alphabet="ab ,-%_.éÉß/&=?", max_size=12)
small = st.integers(-3, 14)

calls = st.one_of(
    st.builds(lambda s: Call("lower", s), text),
    st.builds(lambda s: Call("upper", s), text),
    st.builds(lambda s: Call("reverse", s), text),
    st.builds(lambda s: Call("length", s), text),
    st.builds(lambda s: Call("empty", s), text),
    st.builds(lambda s, c: Call(c, s, " "), text, st.sampled_from(["trim", "trimLeft", "trimRight"])),
    st.builds(lambda s, c, t: Call(t, s, c), text, st.sampled_from(["a", ",", "-"]),
              st.sampled_from(["trim", "trimLeft", "trimRight"])),
    st.builds(lambda sep, s: Call("splitByString", sep, s), st.sampled_from([",", "a", ", ", "é"]), text),
    st.builds(lambda sep, s, n: Call("splitByString", sep, s, n), st.sampled_from([",", "a"]), text,
              st.integers(1, 4)),
    st.builds(lambda s, old, new: Call("replaceAll", s, old, new), text, st.sampled_from(["a", ",", "ab", "%"]), text),
    st.builds(lambda s, old, new: Call("replaceOne", s, old, new), text, st.sampled_from(["a", ",", "ab", "%"]), text),
    st.builds(lambda s, n: Call("position", s, n), text, text),
    st.builds(lambda s, n: Call("positionCaseInsensitive", s, n), text, text),
    st.builds(lambda s, i: Call("substring", s, i), text, small),
    st.builds(lambda s, i, n: Call("substring", s, i, n), text, small, small),
    st.builds(lambda s, p: Call("startsWith", s, p), text, text),
    st.builds(lambda a, b: Call("concat", a, b), text, text),
    st.builds(lambda s: Call("base64Encode", s), text),
    st.builds(lambda s: Call("base64Decode", Call("base64Encode", s)), text),
    st.builds(lambda s: Call("encodeURLComponent", s), text),
    st.builds(lambda s: Call("decodeURLComponent", Call("encodeURLComponent", s)), text),
    st.builds(lambda s, p: Call("like", s, p), text, text),
    st.builds(lambda s, p: Call("ilike", s, p), text, text),
    st.builds(lambda s, n: Call("multiSearchAnyCaseInsensitive", s, [n]), text, text),
    st.builds(lambda s: Call("jsonParse", Call("jsonStringify", s)), text),
    st.builds(lambda s: Call("JSONExtractString", Call("concat", '{"k": ', Call("jsonStringify", s), "}"), "k"),
              text),
)


@given(calls)
def test_string_builtins_agree_with_posthog_typescript(node_vm: Any, expr: Call) -> None:
    node = call_node(node_vm, expr)
    assert node["ok"], node
    assert call_native(expr) == node["result"]
