"""Destinations on loopback for the stream tests: a webhook receiver that checks each
request's Standard Webhooks signature with the ``standardwebhooks`` library, and a syslog
collector that reads RFC 6587 octet-counted frames (optionally over TLS, with a
self-signed certificate made here)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook


@dataclass
class Delivery:
    webhook_id: str
    lines: list[bytes]


@dataclass
class WebhookReceiver:
    """Answers ``status`` (200 unless told otherwise) to every POST; keeps the deliveries
    answered 2xx whose signature checked out (a bad one is answered 400 and counted)."""

    secret: str
    port: int = 0
    status: int = 200
    deliveries: list[Delivery] = field(default_factory=list)
    bad_signatures: int = 0
    content_types: set[str] = field(default_factory=set)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.content_types.add(self.headers.get("content-type", ""))
                try:
                    Webhook(receiver.secret).verify(
                        body, dict(self.headers.items()), json_parse=False
                    )
                except Exception:
                    receiver.bad_signatures += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                if 200 <= receiver.status < 300:
                    receiver.deliveries.append(
                        Delivery(self.headers["webhook-id"], body.splitlines())
                    )
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for d in self.deliveries for line in d.lines]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SyslogCollector:
    """Reads octet-counted frames from every connection (TLS with ``context``)."""

    context: ssl.SSLContext | None = None
    frames: list[bytes] = field(default_factory=list)
    port: int = 0
    _sock: socket.socket | None = None
    _conns: list[socket.socket] = field(default_factory=list)

    def start(self) -> SyslogCollector:
        self._sock = socket.create_server(("127.0.0.1", self.port))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        assert self._sock is not None
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        if self.context is not None:
            try:
                conn = self.context.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                conn.close()
                return
        data = b""
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                data += chunk
                while b" " in data:
                    length, _, rest = data.partition(b" ")
                    assert length.isdigit(), data[:40]
                    if len(rest) < int(length):
                        break
                    self.frames.append(rest[: int(length)])
                    data = rest[int(length) :]

    def stop(self) -> None:
        """Stop listening and close every connection (as a collector that went down)."""
        if self._sock is not None:
            with suppress(OSError):  # shutting down wakes the thread blocked in accept
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        for conn in self._conns:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file
