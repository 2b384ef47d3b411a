from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from activitylog.access import Viewer
from activitylog.accounts.tokens import AUDIENCE, ISSUER, mint_viewer_token, read_viewer_token
from activitylog.errors import Unauthenticated, ValidationError

SECRET = bytes(range(32))
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def mint(**kwargs: Any) -> str:
    args: dict[str, Any] = {"workspace": "acme", "user_id": "u_ava", "role": "admin", "now": NOW}
    return mint_viewer_token(SECRET, **{**args, **kwargs})


def test_round_trip() -> None:
    token = mint(name="Ava Thompson", email="ava@acme.io")
    claims = read_viewer_token(SECRET, token, now=NOW + timedelta(minutes=1))
    assert claims.viewer == Viewer("u_ava", "admin", "acme")
    assert (claims.name, claims.email) == ("Ava Thompson", "ava@acme.io")
    assert claims.expires_at == NOW + timedelta(minutes=15)
    raw = jwt.decode(
        token, SECRET, algorithms=["HS256"], audience=AUDIENCE, options={"verify_exp": False}
    )
    assert raw["iss"] == ISSUER
    assert (raw["sub"], raw["ws"], raw["role"]) == ("u_ava", "acme", "admin")
    assert raw["exp"] - raw["iat"] == 900


def test_name_and_email_are_optional() -> None:
    claims = read_viewer_token(SECRET, mint(), now=NOW)
    assert (claims.name, claims.email) == (None, None)


def test_expiry() -> None:
    token = mint(ttl=timedelta(minutes=5))
    read_viewer_token(SECRET, token, now=NOW + timedelta(minutes=4, seconds=59))
    with pytest.raises(Unauthenticated, match="viewer token expired"):
        read_viewer_token(SECRET, token, now=NOW + timedelta(minutes=5))


def test_by_default_the_clock_decides() -> None:
    token = mint_viewer_token(SECRET, workspace="acme", user_id="u_ava", role="viewer")
    assert read_viewer_token(SECRET, token).viewer.role == "viewer"
    with pytest.raises(Unauthenticated, match="expired"):
        read_viewer_token(SECRET, mint())  # minted "in 2026-11-22 12:00"... long ago


def _forge(claims: dict[str, Any], secret: bytes = SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def _claims(**changes: Any) -> dict[str, Any]:
    iat = int(NOW.timestamp())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u_ava",
        "ws": "acme",
        "role": "admin",
        "iat": iat,
        "exp": iat + 600,
    }
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["role"] = "owner"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(_tamper(mint()), id="tampered payload"),
        pytest.param(mint()[:-2] + "xx", id="tampered signature"),
        pytest.param(_forge(_claims(), secret=b"another secret of thirty-two b!!"), id="other key"),
        pytest.param(_forge(_claims(aud="someone-else")), id="wrong audience"),
        pytest.param(_forge(_claims(aud=None)), id="no audience"),
        pytest.param(_forge(_claims(iss="evil")), id="wrong issuer"),
        pytest.param(_forge(_claims(exp=int(NOW.timestamp()) + 3601)), id="longer than 1 hour"),
        pytest.param(_forge(_claims(role="platform_admin")), id="platform admin"),
        pytest.param(_forge(_claims(ws="")), id="no workspace"),
        pytest.param(_forge(_claims(sub=None)), id="no subject"),
        pytest.param(_forge(_claims(iat=int(NOW.timestamp()) + 600)), id="issued in the future"),
        pytest.param(_forge(_claims(name=7)), id="name not text"),
        pytest.param(jwt.encode(_claims(), None, algorithm="none"), id="unsigned"),
        pytest.param("not.a.token", id="garbage"),
        pytest.param("", id="empty"),
    ],
)
def test_invalid_tokens_are_unauthenticated(token: str) -> None:
    with pytest.raises(Unauthenticated, match="invalid viewer token"):
        read_viewer_token(SECRET, token, now=NOW + timedelta(seconds=1))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ttl": timedelta(hours=1, seconds=1)}, "ttl"),
        ({"ttl": timedelta(0)}, "ttl"),
        ({"ttl": timedelta(minutes=-5)}, "ttl"),
        ({"role": "platform_admin"}, "role"),
        ({"role": "boss"}, "role"),
        ({"workspace": ""}, "workspace"),
        ({"user_id": ""}, "user_id"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_minting_refuses_bad_arguments(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        mint(**kwargs)
    assert [e.field for e in exc.value.errors] == [field]


def test_one_hour_is_allowed() -> None:
    token = mint(ttl=timedelta(hours=1))
    assert read_viewer_token(SECRET, token, now=NOW).expires_at == NOW + timedelta(hours=1)
