"""Webhook destination: each batch POSTed as NDJSON, signed as Standard Webhooks says.

The body is one line per entry (``Content-Type: application/x-ndjson``); ``webhook-id`` is
the batch's id, the same when a batch is sent again (``stream:<id>:<workspace>:<first
seq>-<last seq>``), and each line carries its event id, the key a receiver drops repeats
by. Any answer but 2xx, a timeout or a network error raises: the follower keeps its place
and sends the batch again later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from activitylog import __version__
from activitylog.destinations import check_reachable
from activitylog.webhooks import signed_headers

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MEDIA_TYPE = "application/x-ndjson"


class WebhookError(RuntimeError):
    """The receiver did not take a batch."""


class WebhookSender:
    """POSTs batches to one URL over a kept-alive connection."""

    needs_entries = False

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        allow_private: bool = False,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        self.url = url
        self._secret = secret
        self._allow_private = allow_private
        parsed = httpx.URL(url)
        self._host = parsed.host
        self._port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self._client = httpx.Client(
            timeout=timeout,
            headers={"user-agent": f"activitylog/{__version__}", "content-type": MEDIA_TYPE},
            follow_redirects=False,
        )

    def send(self, batch_id: str, entries: Sequence[dict[str, Any]], lines: list[bytes]) -> None:
        check_reachable(self._host, self._port, allow_private=self._allow_private)
        body = b"\n".join(lines) + b"\n"
        headers = signed_headers(self._secret, batch_id, body, datetime.now(UTC))
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise WebhookError(f"{self.url}: {type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise WebhookError(f"{self.url} answered {response.status_code}")

    def close(self) -> None:
        self._client.close()
