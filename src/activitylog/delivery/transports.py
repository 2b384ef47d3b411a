"""Sending one delivery: email over SMTP (smtplib), webhooks and Slack over HTTP (httpx).

Each send returns an :class:`Outcome` instead of raising: the sender records every
attempt, failed or not. Webhooks are signed as Standard Webhooks says
(:func:`activitylog.webhooks.signed_headers`), ``webhook-id`` being the delivery's id, the
same on every retry, so receivers drop repeats by it. Redirects are not followed: a 3xx is
a failed attempt naming its status.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from activitylog.delivery.channels import Channel, addresses
from activitylog.delivery.messages import (
    email_message,
    slack_payload,
    test_message,
    webhook_payload,
)
from activitylog.destinations import DestinationRefused, check_reachable
from activitylog.settings import Settings
from activitylog.webhooks import signed_headers

TIMEOUT_S = 10.0
ERROR_MAX = 500
USER_AGENT = "activitylog-alerts"


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None = None
    error: str | None = None


class Transports:
    """The senders of each channel kind, with the SMTP settings and one HTTP client.

    ``tls``: the context STARTTLS checks the server with (default: the system's CAs);
    ``http``: the HTTP client (default: one of its own, no redirects, 10 s timeouts).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        tls: ssl.SSLContext | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self._tls = tls
        self._owned = http is None
        self._http = http or httpx.Client(
            timeout=TIMEOUT_S, follow_redirects=False, headers={"user-agent": USER_AGENT}
        )

    def send(
        self, channel: Channel, delivery_id: str, message: Mapping[str, Any], at: datetime
    ) -> Outcome:
        """Send ``message`` to ``channel`` once; ``at`` is the attempt's time."""
        if channel.kind == "email":
            return self.email(channel, delivery_id, message)
        if channel.kind == "webhook":
            return self.webhook(channel, delivery_id, message, at)
        return self.post(channel.target, slack_payload(message), {})

    def email(self, channel: Channel, delivery_id: str, message: Mapping[str, Any]) -> Outcome:
        s = self.settings
        if not s.smtp_host:
            return Outcome(False, error="no SMTP server is set (smtp_host)")
        if not s.smtp_from:
            return Outcome(False, error="no From address is set (smtp_from)")
        mail = email_message(message, s.smtp_from, addresses(channel.target), delivery_id)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=TIMEOUT_S) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=self._tls or ssl.create_default_context())
                if s.smtp_user:
                    password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                    smtp.login(s.smtp_user, password)
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            return Outcome(False, code, _error(f"recipient refused: {_reply(reply)}"))
        except smtplib.SMTPResponseException as exc:
            return Outcome(False, exc.smtp_code, _error(_reply(exc.smtp_error)))
        except (OSError, smtplib.SMTPException) as exc:
            return Outcome(False, error=_error(f"{type(exc).__name__}: {exc}"))
        if refused:  # the others have it: sending again would repeat it to them
            return Outcome(True, 250, _error(f"refused: {', '.join(sorted(refused))}"))
        return Outcome(True, 250)

    def webhook(
        self, channel: Channel, delivery_id: str, message: Mapping[str, Any], at: datetime
    ) -> Outcome:
        payload = webhook_payload(message)
        if channel.secret is None:
            return Outcome(False, error="the webhook channel has no secret")
        return self.post(
            channel.target, payload, signed_headers(channel.secret, delivery_id, payload, at)
        )

    def post(self, url: str, payload: bytes, headers: Mapping[str, str]) -> Outcome:
        """POST JSON; delivered on any 2xx. The reply's body is not read. A URL whose
        host resolves to a private address is refused unless the settings allow it."""
        target = httpx.URL(url)
        try:
            check_reachable(
                target.host,
                target.port or (443 if target.scheme == "https" else 80),
                allow_private=self.settings.private_destinations,
            )
        except DestinationRefused as exc:
            return Outcome(False, error=_error(str(exc)))
        try:
            with self._http.stream(
                "POST",
                url,
                content=payload,
                headers={**headers, "content-type": "application/json"},
            ) as reply:
                status = reply.status_code
        except httpx.HTTPError as exc:
            return Outcome(False, error=_error(f"{type(exc).__name__}: {exc}"))
        if 200 <= status < 300:
            return Outcome(True, status)
        return Outcome(False, status, f"HTTP {status}")

    def close(self) -> None:
        if self._owned:
            self._http.close()


def send_test(settings: Settings, channel: Channel) -> Outcome:
    """Send ``channel`` an ``alert.test`` message now, once (nothing is kept)."""
    now = datetime.now(UTC)
    transports = Transports(settings)
    try:
        message = test_message(channel.workspace, now)
        return transports.send(channel, "msg_test_" + secrets.token_hex(8), message, now)
    finally:
        transports.close()


def _reply(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _error(text: str) -> str:
    return " ".join(text.split())[:ERROR_MAX]
