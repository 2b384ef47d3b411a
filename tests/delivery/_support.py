"""What the delivery tests send to: an SMTP server (aiosmtpd) and an HTTP receiver, both
on loopback; a clock the tests move; alert entries recorded as the alerts record them."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import insert, select, update

from activitylog.alerts.recording import entry_id
from activitylog.alerts.schema import alerts
from activitylog.client import ActivityLog
from activitylog.delivery import DeliveryFollower, Sender
from activitylog.delivery.transports import Transports
from activitylog.events import SYSTEM_ACTOR
from activitylog.followers import Following
from activitylog.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_alert(
    log: ActivityLog,
    workspace: str = "acme",
    alert_id: str = "al_1",
    *,
    severity: str = "high",
    action: str = "alert.raised",
    summary: str = "7 failed sign-ins for ava@example.com from 203.0.113.9 in 5 minutes.",
    event_ids: list[str] | None = None,
) -> dict[str, Any]:
    """An alert (its row) and its entry, in the shape and with the id the alerts give them
    (recorded directly, so each test says what the alert holds)."""
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)
    with log.store.engine.begin() as conn:
        changes = conn.execute(select(alerts.c.changes).where(alerts.c.id == alert_id)).scalar()
        if changes is None:
            changes = 1
            conn.execute(
                insert(alerts).values(
                    id=alert_id,
                    workspace=workspace,
                    rule="failed_sign_ins",
                    key="ip:203.0.113.9",
                    severity=severity,
                    status="open",
                    summary=summary,
                    event_ids="[]",
                    raised_us=now,
                    updated_us=now,
                    last_event_us=now,
                    changes=changes,
                )
            )
        else:
            changes += 1
            conn.execute(update(alerts).where(alerts.c.id == alert_id).values(changes=changes))
    return log.record(
        id=entry_id(alert_id, changes),
        workspace=workspace,
        action=action,
        actor=SYSTEM_ACTOR,
        subject={"type": "alert", "id": alert_id},
        details={
            "alert_id": alert_id,
            "rule": "failed_sign_ins",
            "severity": severity,
            "summary": summary,
            "event_ids": event_ids if event_ids is not None else ["e1", "e2"],
        },
    )


class Clock:
    """A UTC clock that moves only when told, from ``start`` (default noon, 6 Dec 2026)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def follow(log: ActivityLog, clock: Clock) -> None:
    """The deliveries follower caught up to the end of the log, enqueuing at ``clock``."""
    assert Following(log).catch_up([DeliveryFollower(log, clock=clock)]) == []


def sender(log: ActivityLog, settings: Settings, clock: Clock, **kw: Any) -> Sender:
    return Sender(log, clock=clock, transports=Transports(settings, **kw))


# -- SMTP ----------------------------------------------------------------------------------
@dataclass
class Inbox:
    """What an SMTP server on loopback received."""

    messages: list[tuple[Envelope, Message]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered 550

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append((envelope, message_from_bytes(envelope.content)))
        return "250 OK"


@contextmanager
def smtp_server(
    port: int,
    *,
    tls: ssl.SSLContext | None = None,
    credentials: tuple[str, str] | None = None,
    inbox: Inbox | None = None,
) -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1:``port``; with ``tls`` it offers (and requires)
    STARTTLS, with ``credentials`` it requires a login."""
    inbox = inbox or Inbox()
    kwargs: dict[str, Any] = {}
    if tls is not None:
        kwargs |= {"tls_context": tls, "require_starttls": True}
    if credentials is not None:

        def authenticate(
            _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
        ) -> AuthResult:
            assert isinstance(data, LoginPassword)
            login = (data.login.decode(), data.password.decode())
            inbox.logins.append(login)
            return AuthResult(success=login == credentials, handled=False)

        kwargs |= {"authenticator": authenticate, "auth_required": True}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    server: ssl.SSLContext
    client: ssl.SSLContext


def loopback_certificate() -> Certificate:
    """A self-signed certificate for 127.0.0.1: the server's context, and a client context
    trusting only it (hostname checked)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "activitylog test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as directory:
        cert_file, key_file = Path(directory, "cert.pem"), Path(directory, "key.pem")
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return Certificate(server, client)


# -- HTTP ----------------------------------------------------------------------------------
@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on loopback keeping every POST; answers ``status`` (settable)."""

    url: str
    requests: list[Request]
    status: list[int]


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    requests: list[Request] = []
    status = [204]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            requests.append(Request(self.path, headers, body))
            self.send_response(status[0])
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(
            f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts", requests, status
        )
    finally:
        server.shutdown()
        server.server_close()
