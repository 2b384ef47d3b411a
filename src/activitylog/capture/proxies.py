"""The client's IP address behind reverse proxies you trust, and only those.

A request's TCP peer is where it came from unless the peer is one of *your* proxies. Only
then are the forwarding headers read, right to left — each entry was appended by the hop to
its right, which is trusted — skipping your proxies; the first address that is not one of
them is the client. Headers sent by anyone else are ignored, so a client cannot claim
another address::

    proxies = TrustedProxies(["10.0.0.0/8", "2001:db8:ffff::/48"])
    proxies.client_ip("10.0.0.5", {"x-forwarded-for": "1.2.3.4, 203.0.113.9"})
    # '203.0.113.9': 1.2.3.4 was written by 203.0.113.9, which nobody vouches for

``Forwarded`` (RFC 7239, ``for=`` of each element) is read when present, else
``X-Forwarded-For`` (``header=`` picks one for good). An ``unknown`` or obfuscated
(``_hidden``) node, or anything malformed, stops the walk at the last good hop. Nothing is
trusted by default.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal, TypeAlias

from activitylog.errors import ConfigurationError

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
ForwardingHeader = Literal["auto", "forwarded", "x-forwarded-for"]

_HEADERS = ("auto", "forwarded", "x-forwarded-for")
_PORT = re.compile(r"\d{1,5}")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


class TrustedProxies:
    """The reverse proxies (CIDRs or single addresses, IPv4 or IPv6) whose forwarding
    headers are believed. ``header`` = ``"auto"`` reads ``Forwarded`` when a request has
    it and ``X-Forwarded-For`` otherwise; name one when your proxies only ever set that
    one and do not strip the other (else a client could send the other one itself)."""

    def __init__(self, networks: Iterable[str] = (), *, header: ForwardingHeader = "auto") -> None:
        if header not in _HEADERS:
            raise ConfigurationError(
                f"trusted proxies: header must be one of {', '.join(_HEADERS)} (got {header!r})"
            )
        self.header: ForwardingHeader = header
        entries = networks.replace(",", " ").split() if isinstance(networks, str) else networks
        self.networks: tuple[IPNetwork, ...] = tuple(_network(entry) for entry in entries)

    @classmethod
    def of(cls, value: Iterable[str] | TrustedProxies) -> TrustedProxies:
        """``value`` itself when it is a :class:`TrustedProxies`, else one built from it."""
        return value if isinstance(value, TrustedProxies) else cls(value)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __repr__(self) -> str:
        return f"TrustedProxies({[str(n) for n in self.networks]!r}, header={self.header!r})"

    def trusts(self, address: IPAddress) -> bool:
        """Whether ``address`` is one of the trusted proxies."""
        return any(address.version == n.version and address in n for n in self.networks)

    def client_ip(self, peer: str | None, headers: Mapping[str, str]) -> str | None:
        """The client's address (compressed), starting from the TCP ``peer``; None when the
        peer is not an IP address (a Unix socket, a test client). ``headers`` has lower-case
        names, repeated headers joined with ``", "``."""
        address = _address(peer) if peer else None
        if address is None:
            return None
        if not self.networks or not self.trusts(address):
            return address.compressed
        for hop in reversed(self._hops(headers)):
            if hop is None:
                break
            address = hop
            if not self.trusts(hop):
                break
        return address.compressed

    def _hops(self, headers: Mapping[str, str]) -> list[IPAddress | None]:
        forwarded = headers.get("forwarded") if self.header != "x-forwarded-for" else None
        if forwarded and forwarded.strip():
            elements = _split(forwarded, ",")
            return [_forwarded_for(element) for element in elements if element.strip()]
        if self.header == "forwarded":
            return []
        chain = headers.get("x-forwarded-for") or ""
        return [_node(item.strip()) for item in chain.split(",") if item.strip()]


def _network(entry: object) -> IPNetwork:
    if not isinstance(entry, str):
        raise ConfigurationError(f"trusted proxies: {entry!r} is not a string")
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        raise ConfigurationError(
            f"trusted proxies: {entry!r} is not an IP address or network "
            "(like 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32)"
        ) from None


def _address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:192.0.2.1 from a dual-stack socket is IPv4
    return address


def _node(node: str) -> IPAddress | None:
    """An address from an RFC 7239 node or an ``X-Forwarded-For`` item: ``192.0.2.1``,
    ``192.0.2.1:4711``, ``[2001:db8::1]``, ``[2001:db8::1]:4711`` or a bare IPv6 address.
    None for ``unknown``, obfuscated identifiers and garbage."""
    if node.startswith("["):
        host, bracket, rest = node[1:].partition("]")
        if not bracket or (rest and not (rest[:1] == ":" and _PORT.fullmatch(rest[1:]))):
            return None
        return _address(host) if ":" in host else None
    if node.count(":") == 1:
        host, _, port = node.partition(":")
        if not _PORT.fullmatch(port):
            return None
        address = _address(host)
        return address if isinstance(address, ipaddress.IPv4Address) else None
    return _address(node)


def _forwarded_for(element: str) -> IPAddress | None:
    """The address of one ``Forwarded`` element's ``for=`` pair; None when absent or bad."""
    found: IPAddress | None = None
    for pair in _split(element, ";"):
        if not pair.strip():
            continue
        name, equals, value = pair.partition("=")
        if not equals:
            return None
        if name.strip().lower() != "for":
            continue
        if found is not None:
            return None  # two for= in one element: someone is playing games
        value = value.strip()
        if value.startswith('"'):
            if len(value) < 2 or not value.endswith('"'):
                return None
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        found = _node(value)
        if found is None:
            return None
    return found


def _split(text: str, separator: str) -> Iterator[str]:
    """``text`` split on ``separator`` outside quoted strings."""
    start = 0
    position = 0
    while position < len(text):
        char = text[position]
        if char == '"':
            quoted = _QUOTED.match(text, position)
            position = quoted.end() if quoted else len(text)
            continue
        if char == separator:
            yield text[start:position]
            start = position + 1
        position += 1
    yield text[start:]


__all__ = ["ForwardingHeader", "TrustedProxies"]
