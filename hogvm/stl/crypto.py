"""Hashing builtins: md5/sha1/sha256 digests and chained HMACs, as PostHog's VMs compute them.

Strings are hashed as UTF-8. A digest is returned as `hex` (the default), `base64`, `base64url`
(unpadded) or `binary` (one character per byte, as Node's 'binary'/latin1). As in PostHog's Python
VM, hashing `null` gives `null` and so does any other encoding (`md5('a', 'HEX')`, or the null a
call through a variable pads in). The HMAC chains take any sequence of at least two strings, a
string being the sequence of its characters (`sha256HmacChain('kd')` is HMAC(key='k', msg='d')).
Where PostHog's VM crashes (a value that is not a string, a lone surrogate that is no UTF-8, a
chain shorter than two) this raises a `HogVMException` that says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from hogvm.errors import HogVMException
from hogvm.printing import type_name
from hogvm.stl.registry import StlContext, builtin

_ENCODERS: dict[str, Callable[[bytes], str]] = {
    "hex": bytes.hex,
    "base64": lambda digest: base64.b64encode(digest).decode("ascii"),
    "base64url": lambda digest: base64.urlsafe_b64encode(digest).decode("ascii").rstrip("="),
    "binary": lambda digest: digest.decode("latin-1"),
}


def _encode(digest: bytes, encoding: Any) -> str | None:
    encoder = _ENCODERS.get(encoding) if type(encoding) is str else None
    return None if encoder is None else encoder(digest)


def _utf8(fn: str, value: Any) -> bytes:
    if type(value) is not str:
        raise HogVMException(f"{fn}: expected a string, got {type_name(value)}")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise HogVMException(f"{fn}: the string contains an unpaired surrogate, which is not UTF-8") from None


def _digest_builtin(name: str, algorithm: str, *, hex_only: bool) -> None:
    def digest(args: list[Any], ctx: StlContext) -> str | None:
        if args[0] is None:
            return None
        encoding = "hex" if hex_only or len(args) < 2 else args[1]
        return _encode(hashlib.new(algorithm, _utf8(name, args[0])).digest(), encoding)

    digest.__name__ = name
    builtin(name, 1, 1 if hex_only else 2)(digest)


def hmac_chain(fn: str, algorithm: str, data: Any) -> bytes:
    """HMAC(key=data[0], msg=data[1]), then each further item is signed with the previous digest
    as the key (AWS SigV4-style key derivation)."""
    if type(data) not in (list, tuple, str):
        raise HogVMException(f"{fn}: expected an array of strings, got {type_name(data)}")
    if len(data) < 2:
        raise HogVMException(f"{fn}: data array must contain at least two elements")
    key = _utf8(fn, data[0])
    for item in data[1:]:
        key = hmac.digest(key, _utf8(fn, item), algorithm)
    return key


def _hmac_chain_builtin(name: str, algorithm: str, *, hex_only: bool) -> None:
    def chain(args: list[Any], ctx: StlContext) -> str | None:
        encoding = "hex" if hex_only or len(args) < 2 else args[1]
        return _encode(hmac_chain(name, algorithm, args[0]), encoding)

    chain.__name__ = name
    builtin(name, 1, 1 if hex_only else 2)(chain)


for _algorithm in ("md5", "sha1", "sha256"):
    _digest_builtin(f"{_algorithm}Hex", _algorithm, hex_only=True)
    _digest_builtin(_algorithm, _algorithm, hex_only=False)

for _algorithm in ("sha1", "sha256"):
    _hmac_chain_builtin(f"{_algorithm}HmacChainHex", _algorithm, hex_only=True)
    _hmac_chain_builtin(f"{_algorithm}HmacChain", _algorithm, hex_only=False)
