"""The builtins of strings/conversion/json/collections/logic/errors run against PostHog's TypeScript VM.

Each case is evaluated by our registry and by `@posthog/hogvm` (hand-built bytecode, see
tests/stl_call.py). Most answers are identical. Where PostHog's two VMs disagree, we give the
Python VM's answer (taggers run there): those cases state both answers, so the test documents the
difference and notices if either side changes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.stl_call import Call, call_native, call_node

pytestmark = pytest.mark.oracle

DOC = '{"a": {"b": [10, 20, {"c": true}], "s": "x"}, "n": 1.5, "i": "42", "t": true}'

SAME = [
    Call("concat", "a", 1, None, True),
    Call("lower", "ÀBC"),
    Call("lower", None),
    Call("upper", "abc"),
    Call("reverse", "spinner"),
    Call("length", "héllo"),
    Call("length", [1, 2, 3]),
    Call("empty", ""), Call("empty", None), Call("empty", 0), Call("empty", []), Call("empty", "0"),
    Call("notEmpty", [0]), Call("notEmpty", False),
    Call("trim", "  a  "), Call("trim", "xxaxx", "x"), Call("trim", "xxaxx", "xy"),
    Call("trimLeft", "xxaxx", "x"), Call("trimRight", "xxaxx", "x"),
    Call("splitByString", ",", "a,b,,c"), Call("splitByString", ",", "a,b,c", 2),
    Call("replaceOne", "hello world", "l", "L"), Call("replaceAll", "hello world", "l", "L"),
    Call("position", "hello", "l"), Call("position", "hello", "z"), Call("position", 5, "z"),
    Call("positionCaseInsensitive", "HeLLo", "ll"),
    Call("substring", "abcdef", 2, 3), Call("substring", "abcdef", 2), Call("substring", "abcdef", 0),
    Call("substring", "abcdef", 9), Call("substring", None, 1),
    Call("startsWith", "hello", "he"), Call("startsWith", None, "he"),
    Call("like", "hello", "h%o"), Call("like", "hello", "ell"), Call("ilike", "HELLO", "h_llo"),
    Call("notLike", "hello", "%z%"), Call("notILike", "hello", "%L%"),
    Call("match", "user@example.com", "^[^@]+@example\\.com$"), Call("match", None, "a"),
    Call("extractRegex", "order-123-x", "(\\d+)"), Call("extractRegex", "order", "\\d+"),
    Call("extractRegex", None, "a"),
    Call("multiSearchAnyCaseInsensitive", "Hello World", ["xyz", "WORLD"]),
    Call("multiSearchAnyCaseInsensitive", "Hello", "ell"),
    Call("base64Encode", "tom & jerry ☃"), Call("base64Decode", "dG9tICYgamVycnk="),
    Call("tryBase64Decode", "dG9tICYgamVycnk"),
    Call("encodeURLComponent", "http://www.google.com/?a=b c"),
    Call("decodeURLComponent", "tom%20%26%20jerry%E2%98%83"),
    Call("tryDecodeURLComponent", "hello%20world"), Call("tryDecodeURLComponent", "100%"),
    Call("length", Call("generateUUIDv4")),
    Call("toString", "x"), Call("toString", 12), Call("toString", True), Call("toString", None),
    Call("toInt", "42"), Call("toInt", "abc"), Call("toInt", 3.99), Call("toFloat", "1.5"),
    Call("toFloat", "abc"), Call("typeof", "s"), Call("typeof", [1]), Call("typeof", None),
    Call("typeof", Call("tuple", 1, 2)), Call("typeof", Call("jsonParse", "{}")),
    Call("typeof", Call("Error", "m")), Call("typeof", 1),
    Call("isNull", None), Call("isNotNull", 0), Call("ifNull", None, 2), Call("coalesce", None, "x"),
    Call("assumeNotNull", "ok"),
    Call("jsonParse", DOC), Call("isValidJSON", DOC), Call("isValidJSON", "{"),
    Call("JSONHas", DOC, "a", "b", 3, "c"), Call("JSONHas", DOC, "a", "b", 4),
    Call("JSONHas", DOC, "a", "b", -1), Call("JSONHas", DOC, "missing"),
    Call("JSONLength", DOC, "a", "b"), Call("JSONLength", DOC), Call("JSONLength", "bad"),
    Call("JSONExtractBool", DOC, "t"), Call("JSONExtractBool", DOC, "n"),
    Call("JSONExtract", DOC, "a", "b", "Array(Int64)"), Call("JSONExtract", "bad", "a", "String"),
    Call("JSONExtractArrayRaw", DOC, "a", "b"), Call("JSONExtractArrayRaw", DOC, "a"),
    Call("JSONExtractFloat", DOC, "n"), Call("JSONExtractFloat", DOC, "a"),
    Call("JSONExtractInt", DOC, "i"), Call("JSONExtractInt", '{"a":123.1}', "a"),
    Call("JSONExtractString", DOC, "a", "s"), Call("JSONExtractString", '{"a":123.1}', "a"),
    Call("keys", Call("jsonParse", '{"a":1,"b":2}')), Call("keys", [5, 6]), Call("keys", "x"),
    Call("values", Call("jsonParse", '{"a":1,"b":[2]}')), Call("values", [5, 6]),
    Call("indexOf", [1, 2, 3], 2), Call("indexOf", [1, 2, 3], 4), Call("has", [1, 2], 2),
    Call("has", [], 1), Call("in", "a", ["a", "b"]), Call("in", "a", Call("tuple", "a", "b")),
    Call("in", "a", "abc"),
    Call("arrayPushBack", [1, 2], 3), Call("arrayPushBack", None, 3), Call("arrayPushFront", [1], 0),
    Call("arrayPopBack", [1, 2, 3]), Call("arrayPopFront", [1, 2, 3]), Call("arrayPopBack", "x"),
    Call("arraySort", [3, 1, 2]), Call("arraySort", ["b", "a", "C"]), Call("arrayReverse", [1, 2, 3]),
    Call("arrayReverseSort", [3, 1, 2]), Call("arrayStringConcat", ["a", "b", 1], "-"),
    Call("range", 5), Call("range", 3, 6), Call("range", 6, 3),
    Call("equals", 1, 1), Call("equals", 1, "1"), Call("notEquals", 2, 3), Call("greater", 2, 1),
    Call("greaterOrEquals", 2, 2), Call("less", -3, 2), Call("lessOrEquals", 2.5, 2),
    Call("plus", 10, 5), Call("plus", "a", "b"), Call("minus", 10, 5.5),
    Call("floor", 3.99), Call("floor", -3.5), Call("round", 3.5), Call("min2", 3, 5),
    Call("and", 1, "x"), Call("and", 1, 0), Call("or", 0, "", None), Call("or", 0, 1),
    Call("not", 0), Call("if", True, "yes", "no"), Call("multiIf", False, "one", True, "two", "default"),
    Call("Error", "boom"), Call("Error"), Call("RetryError", "again", [1]), Call("NotImplementedError", "x"),
    Call("HogError", "Custom", "m", [1]),
]

# (call, PostHog Python VM's answer = ours, PostHog TypeScript VM's answer)
DIFFERENT = [
    # toString of a container: Python's str() vs Hog notation
    (Call("toString", [1, True, None]), "[1, True, None]", "[1, true, null]"),
    (Call("concat", 1.0), "1.0", "1"),  # floats keep '.0' in Python
    (Call("typeof", 1.0), "float", "integer"),  # JavaScript has one number type
    # Python's quote() also escapes !'()*
    (Call("encodeURLComponent", "a!*'()"), "a%21%2A%27%28%29", "a!*'()"),
    (Call("jsonStringify", Call("jsonParse", '{"a":[1,2]}')), '{"a": [1, 2]}', '{"a":[1,2]}'),
    (Call("round", 2.5), 2, 3),  # Python rounds halves to even
    (Call("trim", "\tx\n"), "x", "\tx\n"),  # no argument: Python strips all whitespace
    (Call("JSONExtractString", DOC, "t"), "True", "true"),  # Python's str(True)
    (Call("arrayStringConcat", ["a", None, True], ","), "a,None,True", "a,,true"),
    (Call("arraySort", [10, 9, 1]), [1, 9, 10], [1, 10, 9]),  # JavaScript sorts as text
    (Call("position", "a1b", 1.0), 0, 2),  # the needle is str(1.0) == "1.0" in Python, "1" in JavaScript
    (Call("toInt", "1.5"), None, 1),  # parseInt stops at the dot
    (Call("toFloat", "1.5abc"), None, 1.5),
    (Call("JSONExtractInt", '{"a":"1.5"}', "a"), None, 1),
    (Call("has", [[1], [2]], [2]), True, False),  # arrays compare by value in Python
    (Call("equals", [1], [1]), True, False),
    (Call("length", Call("jsonParse", '{"a":1}')), 1, None),  # a JavaScript Map has no length
    (Call("reverse", [1, 2]), [2, 1], "error"),
    (Call("tryDecodeURLComponent", "%FF"), "\ufffd", None),  # Python decodes invalid UTF-8 leniently
]


def normalize(value: Any) -> Any:
    """Our value as the Node oracle returns it (JSON): tuples become arrays."""
    if isinstance(value, tuple | list):
        return [normalize(item) for item in value]
    if isinstance(value, dict):
        return {key: normalize(item) for key, item in value.items()}
    return value


@pytest.mark.parametrize("expr", SAME, ids=lambda expr: expr.name)
def test_same_answer_as_posthog_typescript(node_vm: Any, expr: Call) -> None:
    node = call_node(node_vm, expr)
    assert node["ok"], node
    assert normalize(call_native(expr)) == node["result"]


@pytest.mark.parametrize(("expr", "python_answer", "typescript_answer"), DIFFERENT,
                         ids=lambda item: item.name if isinstance(item, Call) else "")
def test_known_differences_follow_the_python_vm(node_vm: Any, expr: Call, python_answer: Any,
                                                typescript_answer: Any) -> None:
    assert call_native(expr) == python_answer
    node = call_node(node_vm, expr)
    if typescript_answer == "error":
        assert not node["ok"]
    else:
        assert node["ok"] and node["result"] == typescript_answer
