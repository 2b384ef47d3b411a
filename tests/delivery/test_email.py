"""Email over SMTP against a server on loopback: the message, STARTTLS and login, a server
down then up (nothing lost, nothing sent twice), and every attempt kept on the alert."""

from __future__ import annotations

import pytest

from activitylog.client import ActivityLog
from activitylog.delivery import Channels, attempts, deliveries
from activitylog.settings import Settings

from ._support import (
    Clock,
    Inbox,
    follow,
    free_port,
    loopback_certificate,
    raise_alert,
    sender,
    smtp_server,
)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def mail_settings(settings: Settings, port: int) -> Settings:
    return settings.replace(
        smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, smtp_from="alerts@example.com"
    )


def _email_channel(
    log: ActivityLog, clock: Clock, target: str = "ops@example.com, Sec@Example.com"
) -> str:
    follow(log, clock)  # the follower starts at the end of the log, as a new one does
    log.accounts().change_workspace_settings(
        "acme", {"link_base": "https://app.example.com/activity/"}, by="operator"
    )
    return (
        Channels(log.store.engine)
        .add("acme", "email", target, "medium", by="operator", allow_private=True)
        .id
    )


def test_a_raised_alert_is_emailed_with_its_rule_severity_summary_and_link(
    log: ActivityLog, mail_settings: Settings, port: int, clock: Clock
) -> None:
    channel = _email_channel(log, clock)
    entry = raise_alert(log, alert_id="al_7", severity="high")
    follow(log, clock)
    with smtp_server(port) as inbox:
        assert sender(log, mail_settings, clock).send_due() == 1
    ((envelope, mail),) = inbox.messages
    assert envelope.mail_from == "alerts@example.com"
    assert envelope.rcpt_tos == ["ops@example.com", "sec@example.com"]
    assert mail["Subject"] == "[HIGH] Alert raised in acme: failed_sign_ins"
    assert mail["From"] == "alerts@example.com"
    assert mail["To"] == "ops@example.com, sec@example.com"
    (delivery,) = deliveries(log.store.engine, "al_7")
    assert mail["Message-ID"] == f"<{delivery.id}@activitylog>"
    assert mail["X-Activitylog-Alert"] == "al_7"
    body = mail.get_payload(decode=True).decode()
    assert body.startswith("7 failed sign-ins for ava@example.com from 203.0.113.9 in 5 minutes.")
    assert "Rule:      failed_sign_ins" in body
    assert "Severity:  high" in body
    assert "Workspace: acme" in body
    assert "Open the alert: https://app.example.com/activity/alerts/al_7" in body
    assert delivery.status == "delivered"
    assert delivery.channel_id == channel
    assert delivery.event_id == entry["id"]
    (attempt,) = attempts(log.store.engine, "al_7")
    assert (attempt.outcome, attempt.attempt, attempt.status_code) == ("delivered", 1, 250)
    assert (attempt.channel, attempt.target) == ("email", "ops@example.com, sec@example.com")


def test_alerts_below_the_channels_minimum_severity_are_not_sent(
    log: ActivityLog, mail_settings: Settings, port: int, clock: Clock
) -> None:
    _email_channel(log, clock)  # medium and above
    raise_alert(log, alert_id="al_low", severity="low")
    raise_alert(log, alert_id="al_crit", severity="critical")
    follow(log, clock)
    with smtp_server(port) as inbox:
        sender(log, mail_settings, clock).send_due()
    assert [m["X-Activitylog-Alert"] for _, m in inbox.messages] == ["al_crit"]
    assert deliveries(log.store.engine, "al_low") == []


def test_smtp_down_then_up_nothing_lost_nothing_sent_twice(
    log: ActivityLog, mail_settings: Settings, port: int, clock: Clock
) -> None:
    _email_channel(log, clock)
    raise_alert(log, alert_id="al_1")
    follow(log, clock)
    send = sender(log, mail_settings, clock)
    assert send.send_due() == 1  # nothing listens on the port: refused
    assert send.send_due() == 0  # not due again before its backoff
    clock.advance(30)
    assert send.send_due() == 1
    failed = attempts(log.store.engine, "al_1")
    assert [(a.attempt, a.outcome) for a in failed] == [(1, "failed"), (2, "failed")]
    assert all("ConnectionRefusedError" in (a.error or "") for a in failed)
    assert failed[0].next_at == "2026-12-06T12:00:30Z"
    assert failed[1].next_at == "2026-12-06T12:01:30Z"  # 60 s after the second
    clock.advance(900)  # 12:15:30: the alert goes on, and is sent again
    raise_alert(log, alert_id="al_1", action="alert.extended", event_ids=["e1", "e2", "e3"])
    follow(log, clock)
    follow(log, clock)  # a second run of the follower enqueues nothing more
    with smtp_server(port) as inbox:
        assert send.send_due() == 2  # the raised alert's third attempt, the extension's first
        assert send.send_due() == 0
        clock.advance(3600)
        assert send.send_due() == 0
    subjects = sorted(m["Subject"] for _, m in inbox.messages)
    assert subjects == [
        "[HIGH] Alert raised again in acme: failed_sign_ins",
        "[HIGH] Alert raised in acme: failed_sign_ins",
    ]
    states = {
        (d.message["type"], d.status, d.attempts) for d in deliveries(log.store.engine, "al_1")
    }
    assert states == {("alert.raised", "delivered", 3), ("alert.extended", "delivered", 1)}


def test_starttls_and_login_with_the_servers_certificate_checked(
    log: ActivityLog, mail_settings: Settings, port: int, clock: Clock
) -> None:
    cert = loopback_certificate()
    settings = mail_settings.replace(
        smtp_starttls=True, smtp_user="alerts", smtp_password="s3cret!"
    )
    _email_channel(log, clock, "ops@example.com")
    raise_alert(log)
    follow(log, clock)
    with smtp_server(port, tls=cert.server, credentials=("alerts", "s3cret!")) as inbox:
        assert sender(log, settings, clock, tls=cert.client).send_due() == 1
    assert inbox.logins == [("alerts", "s3cret!")]
    assert len(inbox.messages) == 1


def test_an_untrusted_certificate_or_a_wrong_password_is_a_failed_attempt(
    log: ActivityLog, mail_settings: Settings, port: int, clock: Clock
) -> None:
    cert = loopback_certificate()
    settings = mail_settings.replace(smtp_starttls=True, smtp_user="alerts", smtp_password="wrong")
    _email_channel(log, clock, "ops@example.com")
    raise_alert(log)
    follow(log, clock)
    with smtp_server(port, tls=cert.server, credentials=("alerts", "s3cret!")) as inbox:
        sender(log, settings, clock).send_due()  # the system's CAs do not know it
        clock.advance(30)
        sender(log, settings, clock, tls=cert.client).send_due()
    assert inbox.messages == []
    first, second = attempts(log.store.engine, "al_1")
    assert first.outcome == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in (first.error or "")
    assert (second.outcome, second.status_code) == ("failed", 535)


def test_without_smtp_settings_the_attempt_says_what_is_missing(
    log: ActivityLog, settings: Settings, clock: Clock
) -> None:
    _email_channel(log, clock)
    raise_alert(log)
    follow(log, clock)
    sender(log, settings, clock).send_due()
    (attempt,) = attempts(log.store.engine, "al_1")
    assert attempt.outcome == "failed"
    assert attempt.error == "no SMTP server is set (smtp_host)"


def test_a_summary_cannot_inject_headers(
    log: ActivityLog, mail_settings: Settings, port: int, clock: Clock
) -> None:
    _email_channel(log, clock, "ops@example.com")
    raise_alert(log, summary="Hello\r\nBcc: thief@evil.example\r\n\r\nbody")
    follow(log, clock)
    with smtp_server(port) as inbox:
        sender(log, mail_settings, clock).send_due()
    ((envelope, mail),) = inbox.messages
    assert envelope.rcpt_tos == ["ops@example.com"]
    assert mail["Bcc"] is None
    assert (
        mail.get_payload(decode=True).decode().startswith("Hello Bcc: thief@evil.example body\r\n")
    )


def test_refused_recipients_are_noted_and_all_refused_is_a_failure(
    log: ActivityLog, mail_settings: Settings, port: int, clock: Clock
) -> None:
    _email_channel(log, clock, "ops@example.com, gone@example.com")
    raise_alert(log, alert_id="al_1")
    follow(log, clock)
    inbox = Inbox(refuse={"gone@example.com"})
    with smtp_server(port, inbox=inbox):
        sender(log, mail_settings, clock).send_due()
    ((envelope, _),) = inbox.messages
    assert envelope.rcpt_tos == ["ops@example.com"]
    (attempt,) = attempts(log.store.engine, "al_1")
    assert (attempt.outcome, attempt.error) == ("delivered", "refused: gone@example.com")
    Channels(log.store.engine).add(
        "acme", "email", "gone@example.com", "medium", by="u", allow_private=True
    )
    raise_alert(log, alert_id="al_2")
    follow(log, clock)
    inbox = Inbox(refuse={"ops@example.com", "sec@example.com", "gone@example.com"})
    with smtp_server(port, inbox=inbox):
        sender(log, mail_settings, clock).send_due()
    assert inbox.messages == []
    outcomes = {(a.target, a.outcome, a.status_code) for a in attempts(log.store.engine, "al_2")}
    assert outcomes == {
        ("ops@example.com, gone@example.com", "failed", 550),
        ("gone@example.com", "failed", 550),
    }
