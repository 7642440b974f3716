"""isIPAddressInRange (hogvm/stl/network.py): PostHog Python VM semantics, checked against
PostHog's conformance cases and its TypeScript VM where the two VMs agree."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.stl_call import Call as C
from tests.stl_call import call_native as run
from tests.stl_call import call_node

CASES = [
    # PostHog's conformance program (common/hogvm/__tests__/ip.hog)
    ("192.168.0.10", "192.168.0.0/24", True),
    ("193.168.0.10", "192.168.0.0/24", False),
    ("2001:db8::1", "2001:db8::/32", True),
    ("2001:db9::1", "2001:db8::/32", False),
    ("192.168.0.10", "invalid", False),
    ("invalid", "192.168.0.0/24", False),
    # edges of a range, odd prefix lengths
    ("10.0.0.0", "10.0.0.0/8", True),
    ("10.255.255.255", "10.0.0.0/8", True),
    ("11.0.0.0", "10.0.0.0/8", False),
    ("172.31.255.255", "172.16.0.0/12", True),
    ("172.32.0.0", "172.16.0.0/12", False),
    ("1.2.3.4", "0.0.0.0/0", True),
    ("::1", "::/0", True),
    ("2001:db8:ffff:ffff::1", "2001:db8::/32", True),
    ("fe80::1", "fe80::/10", True),
    ("fec0::1", "fe80::/10", False),
    # host bits in the range are allowed
    ("10.1.2.3", "10.1.2.3/8", True),
    # IPv4 and IPv6 never match each other
    ("10.0.0.1", "::/0", False),
    ("::ffff:10.0.0.1", "10.0.0.0/8", False),
    # not addresses or ranges
    ("10.0.0.1", "10.0.0.0/33", False),
    ("2001:db8::1", "2001:db8::/129", False),
    ("10.0.0.256", "10.0.0.0/8", False),
    ("010.0.0.1", "10.0.0.0/8", False),  # leading zeros are refused (ambiguous octal)
    ("10.0.0.1", "10.0.0.0/-1", False),
    ("", "10.0.0.0/8", False),
    ("10.0.0.1", "", False),
    ("1:2:3:4:5:6:7:8:9", "::/0", False),
]


@pytest.mark.parametrize(("address", "cidr", "expected"), CASES)
def test_is_ip_address_in_range(address, cidr, expected):
    assert run(C("isIPAddressInRange", address, cidr)) is expected


@pytest.mark.parametrize("value", [None, 1.5, ["10.0.0.1"], {"a": 1}])
def test_other_values_are_never_in_range(value):
    assert run(C("isIPAddressInRange", value, "10.0.0.0/8")) is False
    assert run(C("isIPAddressInRange", "10.0.0.1", value)) is False


def test_integers_are_addresses_as_pythons_ipaddress_reads_them():
    # PostHog's Python VM hands both arguments to ipaddress, which takes integers (and booleans).
    assert run(C("isIPAddressInRange", 167772161, "10.0.0.0/8")) is True  # 10.0.0.1
    assert run(C("isIPAddressInRange", "0.0.0.1", True)) is True
    assert run(C("isIPAddressInRange", 5, 6)) is False


def test_a_bare_address_is_a_one_address_range():
    """Known difference: PostHog's Python VM (ipaddress) reads '10.0.0.1' as 10.0.0.1/32; its
    TypeScript VM requires a '/' and answers false. We follow the Python VM."""
    assert run(C("isIPAddressInRange", "10.0.0.1", "10.0.0.1")) is True
    assert run(C("isIPAddressInRange", "10.0.0.2", "10.0.0.1")) is False


@pytest.mark.oracle
@pytest.mark.parametrize(("address", "cidr", "expected"), CASES)
def test_agrees_with_typescript_vm(node_vm, address, cidr, expected):
    reply = call_node(node_vm, C("isIPAddressInRange", address, cidr))
    assert reply["ok"] and reply["result"] is expected, reply


@given(st.ip_addresses(v=4), st.ip_addresses(v=4), st.integers(0, 32))
def test_matches_prefix_arithmetic(address, base, prefix):
    network = ipaddress.ip_network(f"{base}/{prefix}", strict=False)
    expected = int(address) >> (32 - prefix) == int(network.network_address) >> (32 - prefix)
    assert run(C("isIPAddressInRange", str(address), f"{base}/{prefix}")) is expected


@pytest.mark.oracle
@given(st.ip_addresses(v=6), st.ip_addresses(v=6), st.integers(0, 128))
def test_ipv6_agrees_with_typescript_vm(node_vm, address, base, prefix):
    expr = C("isIPAddressInRange", str(address), f"{base}/{prefix}")
    assert call_node(node_vm, expr)["result"] is run(expr)


def test_long_strings_are_answered_without_caching_them():
    from hogvm.stl import network

    before = network._cached_address.cache_info().currsize
    assert run(C("isIPAddressInRange", "1" * 10_000, "10.0.0.0/8")) is False
    scoped = "fe80::1%" + "a" * 200  # a scope id makes a valid address of any length
    assert run(C("isIPAddressInRange", scoped, "fe80::/10")) is True
    assert run(C("isIPAddressInRange", "10.0.0.1", "10.0.0.0/8" + " " * 200)) is False
    assert network._cached_address.cache_info().currsize == before
