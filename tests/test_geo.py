"""IP -> location from the data shipped in the geoip2fast package (offline)."""

from __future__ import annotations

import pytest

from activitylog import geo
from activitylog.geo import SCOPES, country_names, locate


@pytest.mark.parametrize(
    ("ip", "country", "name", "network"),
    [
        ("2003::1", "DE", "Germany", "Deutsche Telekom AG"),
        ("217.0.0.1", "DE", "Germany", "Deutsche Telekom AG"),
        ("81.2.69.142", "GB", "United Kingdom", "Andrews & Arnold Ltd"),
        ("8.8.8.8", "US", "United States", "GOOGLE"),
        ("::ffff:217.0.0.1", "DE", "Germany", "Deutsche Telekom AG"),  # IPv4-mapped
    ],
)
def test_public_addresses_get_their_country_and_network(
    ip: str, country: str, name: str, network: str
) -> None:
    assert locate(ip) == {
        "country": country,
        "country_name": name,
        "asn": None,  # the shipped data names owners, not AS numbers
        "network": network,
        "scope": "public",
    }


@pytest.mark.parametrize(
    ("ip", "scope"),
    [
        ("10.1.2.3", "private"),
        ("172.16.5.4", "private"),
        ("192.168.0.1", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT
        ("fd12:3456::1", "private"),  # unique local
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.10.20", "link_local"),
        ("fe80::1", "link_local"),
        ("192.0.2.7", "reserved"),  # documentation
        ("198.51.100.1", "reserved"),
        ("203.0.113.9", "reserved"),
        ("2001:db8::1", "reserved"),
        ("198.18.0.1", "reserved"),  # benchmarking
        ("224.0.0.1", "reserved"),  # multicast
        ("ff02::1", "reserved"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("0.0.0.0", "reserved"),
        ("::", "reserved"),
    ],
)
def test_addresses_off_the_internet_are_labelled_without_a_country(ip: str, scope: str) -> None:
    assert locate(ip) == {
        "country": None,
        "country_name": None,
        "asn": None,
        "network": None,
        "scope": scope,
    }


def test_every_scope_is_named() -> None:
    assert {locate(ip)["scope"] for ip in ("8.8.8.8", "10.0.0.1", "::1", "fe80::1", "::")} == set(
        SCOPES
    )


def test_not_an_address_is_refused() -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        locate("not-an-ip")


def test_country_names_are_iso_codes() -> None:
    names = country_names()
    assert names["DE"] == "Germany"
    assert names["JP"] == "Japan"
    assert len(names) > 240
    assert all(len(code) == 2 and code.isupper() for code in names)


def test_each_caller_gets_its_own_location() -> None:
    first = locate("217.0.0.1")
    first["country"] = "FR"
    assert locate("217.0.0.1")["country"] == "DE"


def test_the_data_stays_out_of_the_garbage_collectors_walks() -> None:
    """The data's 4.4 million integers sit in tuples, which the collector stops tracking, so
    a full collection does not walk them (as lists it took half again as long)."""
    import gc

    from geoip2fast import geoip2fast as data

    locate("217.0.0.1")
    gc.collect()
    for name in geo._CHUNKED_TABLES:
        chunks = getattr(data, name)
        assert chunks, name
        assert all(type(chunk) is tuple and not gc.is_tracked(chunk) for chunk in chunks)
    assert locate("8.8.8.8")["country"] == "US"
