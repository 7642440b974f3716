"""Hashing builtins (hogvm/stl/crypto.py): published test vectors, PostHog's conformance outputs,
every encoding, and Node's `crypto` module (what PostHog's TypeScript VM calls) on random input.

The `@posthog/hogvm` oracle runs without a crypto module plugged in (its hashing builtins throw
there), so the Node comparison calls `crypto` directly with the same algorithm/key/encoding.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import pytest

from hogvm.errors import HogVMException
from hogvm.stl import crypto
from tests.stl_call import Call as C
from tests.stl_call import call_native as run

SECURE = "this is a secure string"


@pytest.mark.parametrize(
    ("expr", "digest"),
    [
        (C("md5Hex", ""), "d41d8cd98f00b204e9800998ecf8427e"),
        (C("sha1Hex", "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (C("sha256Hex", "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        # PostHog's conformance outputs (common/hogvm/__tests__/__snapshots__/crypto.stdout)
        (C("md5Hex", SECURE), "e7b466647ea215dbe59b00c756560911"),
        (C("sha256Hex", SECURE), "5216c0931310b31737ef30353830c234901283544e934f54eb75f622cfb86c9d"),
        (C("sha256HmacChainHex", ["1", "string", "more", "keys"]),
         "826820d7eeca97f26ca18096be85fed346f6fd9cc18d64e72c935bea3450dbd9"),
        # two elements are a plain HMAC(key, message): RFC 4231 test case 2, RFC 2202 test case 2
        (C("sha256HmacChainHex", ["Jefe", "what do ya want for nothing?"]),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (C("sha1HmacChainHex", ["Jefe", "what do ya want for nothing?"]),
         "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    ],
    ids=str,
)
def test_known_digests(expr, digest):
    assert run(expr) == digest


def test_strings_are_hashed_as_utf8():
    import hashlib

    assert run(C("sha256Hex", "é")) == hashlib.sha256(b"\xc3\xa9").hexdigest()
    assert run(C("md5Hex", "日本")) == hashlib.md5("日本".encode()).hexdigest()


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("hex", "e7b466647ea215dbe59b00c756560911"),
        ("base64", "57RmZH6iFdvlmwDHVlYJEQ=="),
        ("base64url", "57RmZH6iFdvlmwDHVlYJEQ"),  # unpadded, as Node's base64url
        ("binary", bytes.fromhex("e7b466647ea215dbe59b00c756560911").decode("latin-1")),
    ],
)
def test_encodings(encoding, expected):
    assert run(C("md5", SECURE, encoding)) == expected


def test_default_encoding_is_hex_and_null_hashes_to_null():
    assert run(C("sha1", SECURE)) == run(C("sha1Hex", SECURE))
    assert run(C("sha256HmacChain", ["a", "b"])) == run(C("sha256HmacChainHex", ["a", "b"]))
    for name in ("md5Hex", "sha1Hex", "sha256Hex"):
        assert run(C(name, None)) is None
    assert run(C("sha256", None, "base64")) is None


def test_hmac_chain_feeds_each_digest_in_as_the_next_key():
    import hashlib
    import hmac

    key = hmac.new(b"k", b"a", hashlib.sha256).digest()
    expected = hmac.new(key, b"b", hashlib.sha256).digest().hex()
    assert run(C("sha256HmacChainHex", ["k", "a", "b"])) == expected


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (C("md5Hex", 123), "md5Hex: expected a string, got integer"),
        (C("sha1", ["a"]), "sha1: expected a string, got array"),
        (C("sha256HmacChainHex", ["only one"]), "data array must contain at least two elements"),
        (C("sha256HmacChainHex", None), "sha256HmacChainHex: expected an array of strings, got null"),
        (C("sha1HmacChain", ["key", 5]), "sha1HmacChain: expected a string, got integer"),
    ],
    ids=str,
)
def test_bad_input_is_a_clear_error(expr, message):
    with pytest.raises(HogVMException) as caught:
        run(expr)
    assert message in str(caught.value)


@pytest.mark.parametrize("expr", [C("md5", SECURE, "latin1"), C("md5", SECURE, "HEX"), C("sha256", SECURE, None),
                                  C("sha1", SECURE, 1), C("sha256HmacChain", ["k", "d"], "b64")], ids=str)
def test_an_unknown_encoding_gives_null_as_in_posthog(expr):
    assert run(expr) is None


def test_null_is_hashed_to_null_before_the_encoding_is_read():
    assert run(C("md5", None, "nonsense")) is None


def test_hmac_chains_take_a_string_as_its_characters_as_posthog_does():
    assert run(C("sha256HmacChainHex", "kd")) == run(C("sha256HmacChainHex", ["k", "d"]))
    assert run(C("sha1HmacChain", "abc", "base64")) == run(C("sha1HmacChain", ["a", "b", "c"], "base64"))
    with pytest.raises(HogVMException, match="at least two elements"):
        run(C("sha256HmacChainHex", "k"))


def test_a_lone_surrogate_is_a_clear_error():
    # PostHog's Python VM crashes on str.encode(); Node would hash U+FFFD instead.
    with pytest.raises(HogVMException, match="unpaired surrogate"):
        run(C("sha256Hex", "\ud800"))


def test_arity():
    from hogvm.stl.registry import REGISTRY

    arities = {name: (b.min_args, b.max_args) for name, b in REGISTRY.items() if b.fn.__module__ == crypto.__name__}
    assert arities == {
        "md5Hex": (1, 1), "md5": (1, 2), "sha1Hex": (1, 1), "sha1": (1, 2), "sha256Hex": (1, 1),
        "sha256": (1, 2), "sha1HmacChainHex": (1, 1), "sha1HmacChain": (1, 2),
        "sha256HmacChainHex": (1, 1), "sha256HmacChain": (1, 2),
    }


# --- Node's crypto --------------------------------------------------------------------------

_NODE_DIGESTS = r"""
const crypto = require('crypto')
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'))
const out = cases.map(([kind, algorithm, data, encoding]) => {
    if (kind === 'hash') return crypto.createHash(algorithm).update(data).digest(encoding)
    let mac = crypto.createHmac(algorithm, data[0]).update(data[1])
    for (const item of data.slice(2)) mac = crypto.createHmac(algorithm, mac.digest()).update(item)
    return mac.digest(encoding)
})
process.stdout.write(JSON.stringify(out))
"""

def _random_text(rng: random.Random) -> str:
    # any Unicode but lone surrogates (Node's UTF-8 encoder replaces those)
    alphabet = "aZ09 \t\n\"'\\é日本🙂\x00\x7f\u00ff\u0100"
    return "".join(rng.choice(alphabet) if rng.random() < 0.8 else chr(rng.randrange(0xE000, 0x10FFFF))
                   for _ in range(rng.randrange(0, 40)))


@pytest.mark.oracle
@pytest.mark.parametrize("encoding", ["hex", "base64", "base64url", "binary"])
def test_agrees_with_node_crypto(encoding):
    node = shutil.which("node")
    assert node, "node is required for the crypto oracle"
    rng = random.Random(f"crypto-{encoding}")
    cases, ours = [], []
    for _ in range(50):
        data = _random_text(rng)
        chain = [_random_text(rng) for _ in range(rng.randrange(2, 6))]
        for algorithm in ("md5", "sha1", "sha256"):
            cases.append(["hash", algorithm, data, encoding])
            ours.append(run(C(algorithm, data, encoding)))
        for algorithm in ("sha1", "sha256"):
            cases.append(["hmac", algorithm, chain, encoding])
            ours.append(run(C(f"{algorithm}HmacChain", chain, encoding)))
    reply = subprocess.run([node, "-e", _NODE_DIGESTS], input=json.dumps(cases), capture_output=True,
                           text=True, check=True, timeout=60)
    assert ours == json.loads(reply.stdout)
