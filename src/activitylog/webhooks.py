"""Webhook signatures as the Standard Webhooks spec says (alerts and streams send them).

A receiver checks ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` of
``"{webhook-id}.{webhook-timestamp}.{body}"``) with the shared ``whsec_`` secret, for
example with the ``standardwebhooks`` library of its language, and drops repeats by
``webhook-id``.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from math import floor

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh ``whsec_`` secret: 32 random bytes, base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_secret(secret: str) -> str:
    """``secret`` if it is a usable ``whsec_`` secret; ValueError saying why if not."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"must start with {SECRET_PREFIX}")
    body = secret[len(SECRET_PREFIX) :].rstrip("=")
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except ValueError:
        raise ValueError("must be base64 after whsec_") from None
    if len(raw) < 24:
        raise ValueError("must hold at least 24 random bytes")
    return secret


def signed_headers(secret: str, msg_id: str, payload: bytes, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for ``payload``, sent at ``at``."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(floor(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, payload),
    }
