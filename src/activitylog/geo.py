"""IP address -> location ``{country, country_name, asn, network, scope}``, offline.

Addresses that are not on the public internet are labelled by the standard library's
ranges (``scope`` private, loopback, link_local or reserved; no country). Public ones are
looked up in the country and network data geoip2fast ships inside its package (MaxMind
GeoLite2 Country and ASN, IPv4 and IPv6); nothing is ever downloaded. That data names each
network's owner but not its AS number, so ``asn`` stays null. The data changes between
releases: a location is derived once, at ingest, and kept with the entry.
"""

from __future__ import annotations

import ipaddress
import threading
from functools import lru_cache
from typing import Any, Literal

Scope = Literal["public", "private", "loopback", "link_local", "reserved"]
SCOPES: tuple[Scope, ...] = ("public", "private", "loopback", "link_local", "reserved")

#: The geoip2fast data file holding countries and network owners, IPv4 and IPv6.
DATA_FILE = "geoip2fast-asn-ipv6.dat.gz"
#: Addresses private to a network: RFC 1918, carrier-grade NAT (RFC 6598), IPv6 ULA.
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
#: What the data says when it knows no owner (or names the registry of a special range).
_NO_NETWORK = frozenset({"", "<unknown>", "IANA.ORG"})
#: geoip2fast's tables of networks: lists of chunks of integers, 4.4 million in all.
_CHUNKED_TABLES = (
    "mainListFirstIP",
    "mainListIDCountryCodes",
    "mainListNetlength",
    "mainListFirstIPASN",
    "mainListIDASN",
    "mainListNetlengthASN",
)

_lock = threading.Lock()
_reader: Any = None


def scope_of(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Scope:
    """Where an address can be reached from: the public internet or not, and why not."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link_local"
    if any(address in network for network in _PRIVATE if network.version == address.version):
        return "private"
    if address.is_multicast or not address.is_global:
        return "reserved"
    return "public"


def locate(ip: str) -> dict[str, Any]:
    """The location of ``ip`` (an address as the event schema normalises it), a new dict
    each call from a cache per address. Raises ``ValueError`` for text that is not an IP
    address."""
    return _located(ip).copy()


@lru_cache(maxsize=16384)
def _located(ip: str) -> dict[str, Any]:
    address = ipaddress.ip_address(ip)
    scope = scope_of(address)
    location: dict[str, Any] = {
        "country": None,
        "country_name": None,
        "asn": None,
        "network": None,
        "scope": scope,
    }
    if scope != "public":
        return location
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    found = _database().lookup(str(address))
    if found.is_private:  # a range the data holds as special that the standard library does not
        location["scope"] = "reserved"
        return location
    code = found.country_code
    if len(code) == 2 and code.isalpha():
        location["country"], location["country_name"] = code.upper(), found.country_name
    if found.asn_name not in _NO_NETWORK:
        location["network"] = found.asn_name
    return location


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Every country the data knows: ISO 3166-1 alpha-2 code -> English name."""
    _database()
    from geoip2fast import geoip2fast as data

    names: dict[str, str] = {}
    for item in data.mainListNamesCountry:
        code, _, name = str(item).partition(":")
        if len(code) == 2 and code.isalpha():
            names[code.upper()] = name
    return names


def _database() -> Any:
    """The data, read on first use (about 0.2 s and 100 MB, once per process)."""
    global _reader
    if _reader is None:
        with _lock:
            if _reader is None:
                from geoip2fast import GeoIP2Fast
                from geoip2fast import geoip2fast as data

                reader = GeoIP2Fast(geoip2fast_data_file=DATA_FILE)
                _untrack_tables(data)
                _reader = reader
    return _reader


def _untrack_tables(data: Any) -> None:
    """Hold the data's chunks in tuples, which the garbage collector stops tracking.

    As lists, every full collection walks all their integers, which made it about half
    again as long (an ingesting process runs one every few thousand events). geoip2fast
    only reads them (by index and ``bisect``); a table it no longer keeps this way is left
    as it is."""
    for name in _CHUNKED_TABLES:
        chunks = getattr(data, name, None)
        if isinstance(chunks, list):
            chunks[:] = [tuple(chunk) for chunk in chunks]
