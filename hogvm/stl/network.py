"""Network builtins: `isIPAddressInRange(address, cidr)`.

Semantics are those of PostHog's Python VM (the standard library's `ipaddress`): the range is a
network in CIDR notation with host bits allowed (`10.1.2.3/8`); a bare address is a one-address
range; IPv4 and IPv6 never match each other; anything unparseable, or not a string, is simply
not in range (false), never an error.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from hogvm.stl.registry import StlContext, builtin

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=256)  # taggers test many addresses against a few constant ranges
def _network(cidr: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def is_ip_address_in_range(address: Any, cidr: Any) -> bool:
    if type(address) is not str or type(cidr) is not str:
        return False
    network = _network(cidr)
    if network is None:
        return False
    try:
        return ipaddress.ip_address(address) in network
    except ValueError:
        return False


@builtin("isIPAddressInRange", 2, 2)
def is_ip_address_in_range_builtin(args: list[Any], ctx: StlContext) -> bool:
    return is_ip_address_in_range(args[0], args[1])
