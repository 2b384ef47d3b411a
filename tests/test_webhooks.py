from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from activitylog.webhooks import check_secret, new_secret, signed_headers


def test_fresh_secrets_are_usable_and_differ() -> None:
    secrets = {new_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert check_secret(secret) == secret


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with whsec_"),
        ("whsec_not base64!", "must be base64"),
        ("whsec_c2hvcnQ=", "at least 24 random bytes"),
    ],
)
def test_unusable_secrets_are_named(secret: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_secret(secret)


def test_a_receiver_verifies_the_signed_headers() -> None:
    secret = new_secret()
    body = b'{"id": "1"}\n'
    headers = signed_headers(secret, "msg_1", body, datetime.now(UTC))
    assert Webhook(secret).verify(body, headers, json_parse=False) is None
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(body + b" ", headers, json_parse=False)
