"""Syslog destination: RFC 5424 messages over TCP, optionally TLS (RFC 5425), each framed
by octet counting (RFC 6587: ``<length> <message>``).

A message is ``<PRI>1 TIMESTAMP HOSTNAME activitylog - MSGID [SD] MSG``: the facility is
13 (log audit), the severity from the result (success 6 informational, warning 5 notice,
failure 4 warning); TIMESTAMP when the event occurred; MSGID its action (printable ASCII,
at most 32 characters); the structured data ``[activitylog@32473 id="..." workspace="..."
seq="..."]`` (32473: the enterprise number RFC 5612 sets aside for examples); MSG the
formatted entry after a UTF-8 BOM. The connection is kept between batches and opened again
after an error (the batch is then sent again whole).
"""

from __future__ import annotations

import re
import select
import socket
import ssl
from collections.abc import Sequence
from typing import Any

from activitylog.destinations import check_reachable
from activitylog.streams.spec import parse_hostport

FACILITY = 13  # log audit
SEVERITIES = {"success": 6, "warning": 5, "failure": 4}
SD_ID = "activitylog@32473"
APP_NAME = "activitylog"
BOM = b"\xef\xbb\xbf"
TIMEOUT_S = 30.0
_NOT_PRINTABLE = re.compile(r"[^\x21-\x7e]")


def header_token(text: str, limit: int) -> str:
    """A header field: printable ASCII without spaces, at most ``limit`` characters."""
    token = _NOT_PRINTABLE.sub("_", text)[:limit]
    return token or "-"


def sd_value(text: str) -> str:
    """A structured-data parameter value: ``"``, ``\\`` and ``]`` escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def message(event: dict[str, Any], line: bytes, hostname: str) -> bytes:
    """One RFC 5424 message (without framing)."""
    pri = FACILITY * 8 + SEVERITIES.get(str(event.get("result") or ""), 6)
    params = " ".join(
        f'{name}="{sd_value(str(event[key]))}"'
        for name, key in (("id", "id"), ("workspace", "workspace"), ("seq", "seq"))
        if event.get(key) is not None
    )
    head = (
        f"<{pri}>1 {event.get('occurred_at') or '-'} {hostname} {APP_NAME} - "
        f"{header_token(str(event.get('action') or ''), 32)} [{SD_ID} {params}] "
    )
    return head.encode() + BOM + line


def frame(msg: bytes) -> bytes:
    """RFC 6587 octet-counting framing."""
    return str(len(msg)).encode() + b" " + msg


class SyslogSender:
    """Sends batches to one collector over a kept connection."""

    needs_entries = True

    def __init__(
        self,
        target: str,
        *,
        tls: bool = False,
        ca_file: str | None = None,
        allow_private: bool = False,
    ) -> None:
        self.host, self.port = parse_hostport(target)
        self.allow_private = allow_private
        self.tls = tls
        self.ca_file = ca_file
        self.hostname = header_token(socket.gethostname(), 255)
        self._sock: socket.socket | None = None

    def send(self, batch_id: str, entries: Sequence[dict[str, Any]], lines: list[bytes]) -> None:
        data = b"".join(
            frame(message(event, line, self.hostname))
            for event, line in zip(entries, lines, strict=True)
        )
        try:
            self._connection().sendall(data)
        except OSError:
            self.close()
            raise

    def _connection(self) -> socket.socket:
        if self._sock is not None and _closed_by_peer(self._sock):
            self.close()
        if self._sock is None:
            check_reachable(self.host, self.port, allow_private=self.allow_private)
            sock = socket.create_connection((self.host, self.port), timeout=TIMEOUT_S)
            if self.tls:
                context = ssl.create_default_context(cafile=self.ca_file)
                try:
                    sock = context.wrap_socket(sock, server_hostname=self.host)
                except OSError:
                    sock.close()
                    raise
            self._sock = sock
        return self._sock

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None


def _closed_by_peer(sock: socket.socket) -> bool:
    """Whether the collector closed the connection (a collector sends nothing, so a
    readable socket means end of stream or an error): sending on would lose the batch."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        if isinstance(sock, ssl.SSLSocket):  # readable may be TLS 1.3 session tickets
            timeout = sock.gettimeout()
            sock.settimeout(0)
            try:
                return sock.recv(1) == b""
            except ssl.SSLWantReadError:
                return False
            finally:
                sock.settimeout(timeout)
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True
