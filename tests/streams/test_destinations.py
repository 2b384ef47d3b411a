"""A workspace admin cannot make the server send to addresses only it reaches: private,
loopback and link-local destinations are refused when added and, after resolving, before
every connection, unless the operator allowed them (``private_destinations``)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from activitylog import ActivityLog
from activitylog.errors import ValidationError
from activitylog.followers import Following
from activitylog.settings import Settings
from activitylog.streams import Streams, new_stream

from ._receivers import WebhookReceiver

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize(
    ("destination", "field"),
    [
        ({"url": "http://127.0.0.1:9000/hook"}, "url"),
        ({"url": "https://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "https://[fd00::1]/hook"}, "url"),
        ({"url": "https://localhost/hook"}, "url"),
        ({"syslog": "10.0.0.7:6514"}, "syslog"),
    ],
)
def test_private_destinations_are_refused_when_added(
    destination: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        new_stream(name="s", workspace="acme", **destination)
    assert [e.field for e in caught.value.errors] == [field]
    assert "only public addresses may receive" in str(caught.value)
    new_stream(name="s", workspace="acme", allow_private=True, **destination)


def test_a_name_resolving_to_a_private_address_is_refused_before_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    monkeypatch.delenv("ACTIVITYLOG_PRIVATE_DESTINATIONS")
    settings = Settings(signing_key=tmp_path / "key.pem", followers=False)
    assert settings.private_destinations is False
    receiver = WebhookReceiver(SECRET).start()
    real = socket.getaddrinfo

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.example.com":  # a public-looking name pointing inside
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    try:
        with ActivityLog(db_url, settings=settings) as log:
            url = f"https://hooks.example.com:{receiver.port}/hook"
            stream = Streams(log).add(
                new_stream(name="s", workspace="acme", url=url, secret=SECRET, start="beginning")
            )
            log.record(workspace="acme", action="contact.updated")
            [follower] = Streams(log).followers()
            failures = Following(log).catch_up([follower])
            [(name, workspace, error)] = failures
            assert (name, workspace) == (f"stream:{stream.id}", "acme")
            assert "resolves to 127.0.0.1, a loopback address" in error
            assert receiver.deliveries == []
    finally:
        receiver.stop()
