"""A workspace's notification channels: where its alerts are sent, and what each may hold.

| kind      | target                                   | secret                      |
|-----------|------------------------------------------|-----------------------------|
| email     | up to 10 addresses, comma-separated      | none                        |
| webhook   | an https URL (http only to loopback)     | ``whsec_...``, shown once   |
| slack     | a Slack incoming-webhook URL (https)     | none (the URL is the secret)|

A channel receives the alerts of at least ``min_severity``. Adding or removing one is
recorded in the workspace's log by the caller (:func:`channel_event`), after it committed.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, delete, insert, select

from activitylog.accounts.fields import check, email_problem, text_problem
from activitylog.alerts.rules import SEVERITIES, Severity
from activitylog.delivery.schema import alert_channels
from activitylog.delivery.times import iso, now_us
from activitylog.destinations import literal_problem
from activitylog.streams.spec import is_loopback
from activitylog.webhooks import new_secret

Kind = Literal["email", "webhook", "slack"]
KINDS: tuple[str, ...] = get_args(Kind)
MAX_ADDRESSES = 10
URL_MAX = 2000
ADDED, REMOVED = "alert_channel.added", "alert_channel.removed"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\s]")


@dataclass(frozen=True)
class Channel:
    id: str
    workspace: str
    kind: Kind
    target: str
    min_severity: Severity
    created_us: int
    created_by: str
    secret: str | None = None

    @property
    def shown_target(self) -> str:
        """The target as lists and attempts show it: a Slack URL's token is hidden."""
        return shown_target(self.kind, self.target)

    def takes(self, severity: str) -> bool:
        """Whether an alert of ``severity`` goes to this channel (:data:`SEVERITIES` are
        in increasing order; an unknown severity goes to every channel)."""
        if severity not in SEVERITIES:
            return True
        return SEVERITIES.index(severity) >= SEVERITIES.index(self.min_severity)

    def as_json(self) -> dict[str, Any]:
        """The channel as the CLI and the API show it (never its secret)."""
        return {
            "id": self.id,
            "workspace": self.workspace,
            "kind": self.kind,
            "target": self.shown_target,
            "min_severity": self.min_severity,
            "created_at": iso(self.created_us),
            "created_by": self.created_by,
        }


def shown_target(kind: str, target: str) -> str:
    if kind != "slack":
        return target
    parts = urlsplit(target)
    path = parts.path.rsplit("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{path}/…"


def kind_problem(kind: object) -> str | None:
    return None if kind in KINDS else f"must be one of {', '.join(KINDS)}"


def severity_problem(severity: object) -> str | None:
    return None if severity in SEVERITIES else f"must be one of {', '.join(SEVERITIES)}"


def addresses(target: str) -> list[str]:
    """The addresses of an email channel's target."""
    return [part.strip().lower() for part in target.split(",") if part.strip()]


def target_problem(kind: object, target: object, *, allow_private: bool = False) -> str | None:
    """Why ``target`` does not fit a channel of ``kind`` (None: it does); a URL's host
    may be a private address only if ``allow_private``."""
    if not isinstance(target, str) or not target.strip():
        return "must be a non-empty string"
    if kind == "email":
        found = addresses(target)
        if not found:
            return "must hold at least one email address"
        if len(found) > MAX_ADDRESSES:
            return f"must hold at most {MAX_ADDRESSES} addresses"
        for address in found:
            problem = email_problem(address)
            if problem:
                return f"{address!r} {problem}"
        return None
    if kind not in ("webhook", "slack"):
        return None  # the kind is named as the bad field
    problem = url_problem(target, https=kind == "slack")
    if problem is None and not allow_private:
        problem = literal_problem(urlsplit(target.strip()).hostname or "")
    return problem


def url_problem(url: str, *, https: bool) -> str | None:
    """An https URL; with ``https`` False, http is allowed to a loopback host (a
    receiver on the same machine) but nowhere else, so alerts never cross a network in
    clear text."""
    if len(url) > URL_MAX:
        return f"must be at most {URL_MAX} characters"
    if _CONTROL.search(url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError for a port out of range
    except ValueError:
        return f"is not a valid URL ({url!r})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute https URL"
    if parts.scheme == "http" and (https or not is_loopback(parts.hostname)):
        return "must use https" + ("" if https else " (http only to 127.0.0.1, ::1 or localhost)")
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password"
    if parts.fragment:
        return "must not have a #fragment"
    return None


def normalised_target(kind: str, target: str) -> str:
    return ", ".join(addresses(target)) if kind == "email" else target.strip()


def channel_event(channel: Channel, action: str) -> dict[str, Any]:
    """The fields of the entry recording ``action`` (:data:`ADDED` or :data:`REMOVED`)
    on ``channel`` (the caller adds actor and layer)."""
    verb = "Added" if action == ADDED else "Removed"
    return {
        "workspace": channel.workspace,
        "action": action,
        "subject": {"type": "alert_channel", "id": channel.id, "name": channel.shown_target},
        "details": {
            "kind": channel.kind,
            "target": channel.shown_target,
            "min_severity": channel.min_severity,
        },
        "description": f"{verb} the {channel.kind} alert channel {channel.shown_target}",
    }


class Channels:
    """Reading, adding and removing channels (the CLI's and the API's)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self,
        workspace: str,
        kind: str,
        target: str,
        min_severity: str = "low",
        *,
        by: str,
        allow_private: bool = False,
    ) -> Channel:
        """A new channel; a webhook's carries its new ``whsec_`` secret (shown once).
        A webhook or Slack URL may name a private address only if ``allow_private``."""
        check(
            ("workspace", text_problem(workspace)),
            ("kind", kind_problem(kind)),
            ("target", target_problem(kind, target, allow_private=allow_private)),
            ("min_severity", severity_problem(min_severity)),
        )
        channel = Channel(
            id="ch_" + secrets.token_hex(8),
            workspace=workspace,
            kind=kind,  # type: ignore[arg-type]  # checked above
            target=normalised_target(kind, target),
            min_severity=min_severity,  # type: ignore[arg-type]
            created_us=now_us(),
            created_by=by,
            secret=new_secret() if kind == "webhook" else None,
        )
        with self.engine.begin() as conn:
            conn.execute(
                insert(alert_channels).values(
                    id=channel.id,
                    workspace=channel.workspace,
                    kind=channel.kind,
                    target=channel.target,
                    secret=channel.secret,
                    min_severity=channel.min_severity,
                    created_us=channel.created_us,
                    created_by=channel.created_by,
                )
            )
        return channel

    def list(self, workspace: str | None = None) -> list[Channel]:
        """The channels of ``workspace`` (None: every workspace), oldest first."""
        stmt = select(alert_channels).order_by(alert_channels.c.created_us, alert_channels.c.id)
        if workspace is not None:
            stmt = stmt.where(alert_channels.c.workspace == workspace)
        with self.engine.connect() as conn:
            return [_channel(row) for row in conn.execute(stmt).mappings()]

    def get(self, channel_id: str) -> Channel | None:
        with self.engine.connect() as conn:
            return channel_by_id(conn, channel_id)

    def remove(self, channel_id: str) -> Channel | None:
        """Remove a channel; its pending deliveries give up at their next attempt. None
        when there was no such channel."""
        with self.engine.execution_options(immediate=True).begin() as conn:
            channel = channel_by_id(conn, channel_id)
            if channel is not None:
                conn.execute(delete(alert_channels).where(alert_channels.c.id == channel_id))
        return channel


def channel_by_id(conn: Connection, channel_id: str) -> Channel | None:
    row = conn.execute(select(alert_channels).where(alert_channels.c.id == channel_id)).first()
    return None if row is None else _channel(row._mapping)


def workspace_channels(conn: Connection, workspace: str) -> list[Channel]:
    stmt = (
        select(alert_channels)
        .where(alert_channels.c.workspace == workspace)
        .order_by(alert_channels.c.created_us, alert_channels.c.id)
    )
    return [_channel(row) for row in conn.execute(stmt).mappings()]


def _channel(row: Any) -> Channel:
    return Channel(
        id=row["id"],
        workspace=row["workspace"],
        kind=row["kind"],
        target=row["target"],
        min_severity=row["min_severity"],
        created_us=row["created_us"],
        created_by=row["created_by"],
        secret=row["secret"],
    )
