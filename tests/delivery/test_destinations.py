"""Alert webhooks and Slack reach public addresses only, unless the operator allows
private ones: refused when the channel is added, and before every attempt once resolved."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from activitylog.client import ActivityLog
from activitylog.delivery import Channels, messages
from activitylog.delivery.transports import Transports
from activitylog.errors import ValidationError
from activitylog.settings import Settings


@pytest.mark.parametrize(
    ("kind", "target"),
    [
        ("webhook", "http://127.0.0.1:8080/hook"),
        ("webhook", "https://169.254.169.254/latest/meta-data/iam"),
        ("webhook", "https://10.20.0.5/internal"),
        ("slack", "https://localhost/services/T/B/x"),
    ],
)
def test_a_channel_to_a_private_address_is_refused_when_added(
    log: ActivityLog, kind: str, target: str
) -> None:
    channels = Channels(log.store.engine)
    with pytest.raises(ValidationError) as caught:
        channels.add("acme", kind, target, by="u")
    [error] = caught.value.errors
    assert error.field == "target"
    assert "only public addresses may receive" in error.reason
    assert channels.list() == []
    channels.add("acme", kind, target, by="u", allow_private=True)  # the operator's choice


def test_a_name_resolving_to_a_private_address_is_a_failed_attempt(
    log: ActivityLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = Channels(log.store.engine).add(
        "acme", "webhook", "https://hooks.example.com/alerts", by="u"
    )
    answered: list[str] = []
    real = socket.getaddrinfo

    def inside(host: str, *args: Any, **kwargs: Any) -> Any:
        answered.append(host)
        return real("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", inside)
    settings = Settings(signing_key=tmp_path / "k.pem", private_destinations=False)
    transports = Transports(settings)
    try:
        now = datetime.now(UTC)
        outcome = transports.send(channel, "msg_1", messages.test_message("acme", now), now)
    finally:
        transports.close()
    assert answered == ["hooks.example.com"]
    assert not outcome.delivered
    assert outcome.error is not None
    assert "resolves to 127.0.0.1, a loopback address" in outcome.error
