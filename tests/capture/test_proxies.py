"""The client IP behind trusted proxies: right-to-left walks, no spoofing from outside."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activitylog.capture.proxies import TrustedProxies
from activitylog.errors import ConfigurationError

LB = "10.0.0.1"
PROXIES = TrustedProxies(["10.0.0.0/8", "192.0.2.7", "2001:db8:ffff::/48"])


def xff(value: str) -> dict[str, str]:
    return {"x-forwarded-for": value}


def fwd(value: str) -> dict[str, str]:
    return {"forwarded": value}


# -- configuration -------------------------------------------------------------------------
def test_accepts_networks_single_addresses_and_ipv6() -> None:
    proxies = TrustedProxies(["10.0.0.0/8", " 192.0.2.7 ", "2001:db8::/32", "::1", "10.1.2.3/8"])
    assert [str(n) for n in proxies.networks] == [
        "10.0.0.0/8",
        "192.0.2.7/32",
        "2001:db8::/32",
        "::1/128",
        "10.0.0.0/8",
    ]


def test_a_string_is_a_comma_or_space_separated_list() -> None:
    proxies = TrustedProxies("10.0.0.0/8, 192.0.2.7 ::1")
    assert len(proxies.networks) == 3


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "localhost", "10.0.0", "2001:db8::/129", ""])
def test_a_bad_entry_is_named(bad: str) -> None:
    with pytest.raises(ConfigurationError, match=repr(bad).replace("[", r"\[")):
        TrustedProxies(["10.0.0.0/8", bad])


def test_a_non_string_entry_is_named() -> None:
    with pytest.raises(ConfigurationError, match="42"):
        TrustedProxies([42])  # type: ignore[list-item]


def test_an_unknown_header_choice_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="header"):
        TrustedProxies([], header="x-real-ip")  # type: ignore[arg-type]


def test_of_keeps_an_instance_and_builds_from_a_list() -> None:
    assert TrustedProxies.of(PROXIES) is PROXIES
    assert TrustedProxies.of(["::1"]).networks == TrustedProxies(["::1"]).networks
    assert not TrustedProxies()
    assert "10.0.0.0/8" in repr(PROXIES)


# -- no proxy, untrusted peers ---------------------------------------------------------------
def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_headers() -> None:
    proxies = TrustedProxies()
    assert proxies.client_ip("203.0.113.9", xff("1.2.3.4")) == "203.0.113.9"
    assert proxies.client_ip(LB, fwd("for=1.2.3.4")) == LB


@pytest.mark.parametrize(
    "headers",
    [
        xff("1.2.3.4"),
        xff("10.0.0.2, 1.2.3.4"),
        fwd("for=1.2.3.4"),
        {"x-forwarded-for": "8.8.8.8", "forwarded": 'for="[::1]"'},
    ],
)
def test_an_untrusted_peer_cannot_spoof_its_address(headers: dict[str, str]) -> None:
    assert PROXIES.client_ip("203.0.113.9", headers) == "203.0.113.9"


@pytest.mark.parametrize("peer", [None, "", "testclient", "/run/app.sock", "10.0.0.1:80"])
def test_a_peer_that_is_not_an_address_gives_none(peer: str | None) -> None:
    assert PROXIES.client_ip(peer, xff("1.2.3.4")) is None


def test_peer_addresses_are_compressed_and_ipv4_mapped_ones_unwrapped() -> None:
    assert PROXIES.client_ip("2001:0db8:0000::0001", {}) == "2001:db8::1"
    assert PROXIES.client_ip("::ffff:203.0.113.9", {}) == "203.0.113.9"
    # a dual-stack socket reports the proxy as ::ffff:10.0.0.1: still trusted
    assert PROXIES.client_ip("::ffff:10.0.0.1", xff("203.0.113.9")) == "203.0.113.9"


# -- X-Forwarded-For -------------------------------------------------------------------------
def test_one_trusted_proxy() -> None:
    assert PROXIES.client_ip(LB, xff("203.0.113.9")) == "203.0.113.9"


def test_the_leftmost_entry_is_not_believed_when_the_client_wrote_it() -> None:
    # The client sent "X-Forwarded-For: 1.2.3.4"; the load balancer appended the real address.
    assert PROXIES.client_ip(LB, xff("1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked_right_to_left() -> None:
    chain = "1.2.3.4, 203.0.113.9, 192.0.2.7, 10.8.0.3"
    assert PROXIES.client_ip(LB, xff(chain)) == "203.0.113.9"


def test_when_every_hop_is_trusted_the_farthest_is_the_client() -> None:
    assert PROXIES.client_ip(LB, xff("10.0.0.9, 10.0.0.8")) == "10.0.0.9"


def test_a_trusted_peer_without_headers_is_the_client() -> None:
    assert PROXIES.client_ip(LB, {}) == LB
    assert PROXIES.client_ip(LB, xff("  ")) == LB


@pytest.mark.parametrize(
    ("chain", "expected"),
    [
        ("unknown", LB),
        ("203.0.113.9, unknown", LB),
        ("203.0.113.9, unknown, 10.0.0.5", "10.0.0.5"),
        ("not-an-ip, 10.0.0.5", "10.0.0.5"),
        ("203.0.113.9, 10.0.0.5, <script>", LB),
        ("1.2.3.4, 203.0.113.999", LB),
        ("203.0.113.9:", LB),
        ("203.0.113.9:99999999", LB),
    ],
)
def test_garbage_stops_the_walk_at_the_last_good_hop(chain: str, expected: str) -> None:
    assert PROXIES.client_ip(LB, xff(chain)) == expected


def test_ports_brackets_and_ipv6_in_x_forwarded_for() -> None:
    assert PROXIES.client_ip(LB, xff("203.0.113.9:4711")) == "203.0.113.9"
    assert PROXIES.client_ip(LB, xff("[2001:db8::1]:4711")) == "2001:db8::1"
    assert PROXIES.client_ip(LB, xff("2001:0db8::0001")) == "2001:db8::1"
    assert PROXIES.client_ip(LB, xff("[2001:db8::1")) == LB


def test_empty_list_elements_are_ignored() -> None:
    assert PROXIES.client_ip(LB, xff("1.2.3.4,, 203.0.113.9 ,")) == "203.0.113.9"


def test_an_ipv6_proxy_chain() -> None:
    headers = xff("2001:db8:1::9, 2001:db8:ffff::2")
    assert PROXIES.client_ip("2001:db8:ffff::1", headers) == "2001:db8:1::9"


# -- Forwarded (RFC 7239) --------------------------------------------------------------------
def test_forwarded_for_values() -> None:
    assert PROXIES.client_ip(LB, fwd("for=203.0.113.9")) == "203.0.113.9"
    assert PROXIES.client_ip(LB, fwd('For="203.0.113.9:4711"')) == "203.0.113.9"
    assert PROXIES.client_ip(LB, fwd('for="[2001:db8:cafe::17]:4711"')) == "2001:db8:cafe::17"
    assert PROXIES.client_ip(LB, fwd('for="[2001:db8:cafe::17]"')) == "2001:db8:cafe::17"


def test_forwarded_elements_with_other_pairs_and_quoted_commas() -> None:
    value = (
        'for=1.2.3.4;proto=http, for=203.0.113.9;by="[2001:db8::9]";host="a,b;c", '
        "for=192.0.2.7;proto=https"
    )
    assert PROXIES.client_ip(LB, fwd(value)) == "203.0.113.9"


def test_forwarded_wins_over_x_forwarded_for_in_auto_mode() -> None:
    headers = {"forwarded": "for=203.0.113.9", "x-forwarded-for": "198.51.100.1"}
    assert PROXIES.client_ip(LB, headers) == "203.0.113.9"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("for=unknown", LB),
        ("for=_hidden, for=10.0.0.5", "10.0.0.5"),
        ("for=203.0.113.9, for=_SEVKISEK", LB),
        ("proto=https", LB),  # an element without for=
        ("for=203.0.113.9;for=198.51.100.1", LB),
        ('for="203.0.113.9', LB),
        ("for", LB),
        ("for=2001:db8::1", "2001:db8::1"),  # unquoted IPv6 (invalid, written by our proxy)
        ('for="[2001:db8::1]:port"', LB),
        ('for="[203.0.113.9]"', LB),  # brackets are for IPv6
        ('for="\\2\\0\\3.0.113.9"', "203.0.113.9"),  # quoted-pair escapes
        ("for=203.0.113.9;", "203.0.113.9"),  # empty pairs are allowed
        ("  ", LB),
    ],
)
def test_forwarded_unknown_obfuscated_and_malformed(value: str, expected: str) -> None:
    assert PROXIES.client_ip(LB, fwd(value)) == expected


def test_header_choice_pins_one_header() -> None:
    headers = {"forwarded": "for=1.2.3.4", "x-forwarded-for": "203.0.113.9"}
    only_xff = TrustedProxies(["10.0.0.0/8"], header="x-forwarded-for")
    only_forwarded = TrustedProxies(["10.0.0.0/8"], header="forwarded")
    assert only_xff.client_ip(LB, headers) == "203.0.113.9"
    assert only_forwarded.client_ip(LB, headers) == "1.2.3.4"
    assert only_forwarded.client_ip(LB, xff("203.0.113.9")) == LB


def test_trusts() -> None:
    assert PROXIES.trusts(ipaddress.ip_address("10.255.0.1"))
    assert PROXIES.trusts(ipaddress.ip_address("2001:db8:ffff:1::1"))
    assert not PROXIES.trusts(ipaddress.ip_address("11.0.0.1"))
    assert not PROXIES.trusts(ipaddress.ip_address("::ffff:a00:1"))  # mapped: unwrapped first


# -- properties ------------------------------------------------------------------------------
@given(st.text(max_size=200), st.text(max_size=200))
def test_any_header_text_gives_an_address_or_the_peer(forwarded: str, chain: str) -> None:
    result = PROXIES.client_ip(LB, {"forwarded": forwarded, "x-forwarded-for": chain})
    assert result is not None
    ipaddress.ip_address(result)


@given(st.lists(st.ip_addresses(), max_size=6), st.ip_addresses())
def test_an_untrusted_peer_is_always_the_answer(hops: list[object], peer: object) -> None:
    address = ipaddress.ip_address(str(peer))
    if PROXIES.trusts(address) or (
        isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None
    ):
        return
    headers = xff(", ".join(str(h) for h in hops))
    assert PROXIES.client_ip(str(peer), headers) == address.compressed


@given(st.lists(st.ip_addresses(v=4), min_size=1, max_size=6))
def test_the_answer_is_the_rightmost_untrusted_hop(hops: list[object]) -> None:
    addresses = [ipaddress.ip_address(str(h)) for h in hops]
    untrusted = [a for a in addresses if not PROXIES.trusts(a)]
    expected = untrusted[-1] if untrusted else addresses[0]
    assert PROXIES.client_ip(LB, xff(", ".join(map(str, hops)))) == expected.compressed
