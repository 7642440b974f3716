"""Network builtins: `isIPAddressInRange(address, cidr)`.

Semantics are those of PostHog's Python VM (the standard library's `ipaddress`): the range is a
network in CIDR notation with host bits allowed (`10.1.2.3/8`); a bare address is a one-address
range; IPv4 and IPv6 never match each other; an integer is an address (`ipaddress` reads
`167772161` as 10.0.0.1); anything unparseable is simply not in range (false), never an error.

Parsing with `ipaddress` is the slow part, and taggers test a few constant ranges against the
same event's address over and over, so parsed ranges and addresses are cached (bounded) as plain
(version, integer) pairs and the test itself is one mask-and-compare.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from hogvm.stl.registry import StlContext, builtin

# (IP version, network address as an int, netmask as an int)
Network = tuple[int, int, int]
# (IP version, address as an int)
Address = tuple[int, int]


# Longer text is never an address ('ffff:...:255.255.255.255%' + a scope id) and is not cached,
# so the caches cannot pin large strings in memory.
MAX_CACHED_LENGTH = 100


def _parse_network(cidr: str | int) -> Network | None:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except (ValueError, TypeError):
        return None
    return network.version, int(network.network_address), int(network.netmask)


def _parse_address(text: str | int) -> Address | None:
    try:
        address = ipaddress.ip_address(text)
    except (ValueError, TypeError):
        return None
    return address.version, int(address)


_cached_network = functools.lru_cache(maxsize=256)(_parse_network)
_cached_address = functools.lru_cache(maxsize=1024)(_parse_address)


_PARSEABLE = (str, int, bool)


def _no_bool(value: str | int) -> str | int:
    return int(value) if type(value) is bool else value  # the same address, without a deprecated path


def _network(cidr: str | int) -> Network | None:
    if type(cidr) is not str:
        return _parse_network(cidr)
    return _cached_network(cidr) if len(cidr) <= MAX_CACHED_LENGTH else _parse_network(cidr)


def _address(text: str | int) -> Address | None:
    if type(text) is not str:
        return _parse_address(text)
    return _cached_address(text) if len(text) <= MAX_CACHED_LENGTH else _parse_address(text)


def is_ip_address_in_range(address: Any, cidr: Any) -> bool:
    # `ipaddress` also reads an integer (or a boolean) as an address, so PostHog's VM does too.
    if type(address) not in _PARSEABLE or type(cidr) not in _PARSEABLE:
        return False
    address, cidr = _no_bool(address), _no_bool(cidr)
    network = _network(cidr)
    parsed = _address(address) if network is not None else None
    if parsed is None or network is None:
        return False
    version, network_bits, mask = network
    return parsed[0] == version and parsed[1] & mask == network_bits


@builtin("isIPAddressInRange", 2, 2)
def is_ip_address_in_range_builtin(args: list[Any], ctx: StlContext) -> bool:
    return is_ip_address_in_range(args[0], args[1])
