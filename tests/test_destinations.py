from __future__ import annotations

import pytest

from activitylog.destinations import DestinationRefused, check_reachable, literal_problem


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("[::1]", "loopback"),
        ("localhost", "this machine"),
        ("api.localhost", "this machine"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("[fe80::1]", "link-local"),
        ("[fd00::1]", "private"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "reserved"),  # carrier-grade NAT
    ],
)
def test_addresses_only_the_server_reaches_are_refused(host: str, kind: str) -> None:
    problem = literal_problem(host)
    assert problem is not None
    assert kind in problem
    with pytest.raises(DestinationRefused):
        check_reachable(host, 443, allow_private=False)
    check_reachable(host, 443, allow_private=True)  # the operator allowed them


@pytest.mark.parametrize("host", ["8.8.8.8", "[2606:4700::1111]", "siem.example.com"])
def test_public_addresses_and_names_pass_without_resolving(host: str) -> None:
    assert literal_problem(host) is None


def test_a_name_is_resolved_and_each_address_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def resolves_to(address: str) -> object:
        return lambda *_a, **_k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))]

    monkeypatch.setattr(socket, "getaddrinfo", resolves_to("10.0.0.5"))
    with pytest.raises(DestinationRefused, match=r"resolves to 10\.0\.0\.5, a private address"):
        check_reachable("hooks.example.com", 443, allow_private=False)
    monkeypatch.setattr(socket, "getaddrinfo", resolves_to("93.184.216.34"))
    check_reachable("hooks.example.com", 443, allow_private=False)
