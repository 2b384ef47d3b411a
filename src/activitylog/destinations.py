"""Where the server may send what it sends on its own (stream webhooks and syslog, alert
webhooks and Slack): public addresses only, unless the operator allows private ones.

A workspace admin names these destinations. Without this rule one could point a webhook
at an address only the server reaches (a cloud metadata endpoint, an internal admin API,
loopback) and read what comes back in the delivery's error, or use the server to probe
the internal network. Literal addresses and ``localhost`` are refused when a destination
is added; names are resolved and every address checked again before each connection
(``private_destinations`` lets an operator allow a receiver inside their network).
"""

from __future__ import annotations

import ipaddress
import socket

#: Names that always mean this machine.
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


class DestinationRefused(ConnectionError):
    """A destination resolved to an address the server may not send to."""


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What makes ``address`` not public, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_global:
        return None
    for kind, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
    ):
        if flag:
            return kind
    return "reserved"


def literal_problem(host: str) -> str | None:
    """Why ``host`` (a name or a literal address, as written in a URL) is not public,
    without resolving names; None when it may be."""
    name = host.strip("[]").lower().rstrip(".")
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return f"{host} is this machine; only public addresses may receive"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None
    kind = _kind(address)
    return f"{host} is a {kind} address; only public addresses may receive" if kind else None


def check_reachable(host: str, port: int, *, allow_private: bool) -> None:
    """Resolve ``host`` and raise :class:`DestinationRefused` when any of its addresses
    is not public (unless ``allow_private``); a name that does not resolve is left to
    the connection to report."""
    if allow_private:
        return
    problem = literal_problem(host)
    if problem:
        raise DestinationRefused(problem)
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        kind = _kind(address)
        if kind:
            raise DestinationRefused(
                f"{host} resolves to {address}, a {kind} address; only public addresses"
                " may receive (an operator can allow private ones: private_destinations)"
            )
