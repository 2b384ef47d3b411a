"""Enrichment: validated content -> an event ready to sequence (catalog, device, location,
body).

Pure: the store only adds ``seq`` and the hashes to what :func:`prepare` returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
import orjson

from activitylog.catalog import DEFAULT_CATALOG, ActionInfo, Catalog
from activitylog.device import parse_device
from activitylog.event_schema import FastEvent
from activitylog.events import (
    CONTENT_FIELDS,
    EVENT_FIELDS,
    canonical_json,
    check_batch,
    event_body,
    has_escaped_nul,
    to_micros,
)
from activitylog.geo import locate
from activitylog.search_words import words

#: Every field of an event, null: what a reader sees before the event's own values.
EMPTY_EVENT: dict[str, Any] = dict.fromkeys(EVENT_FIELDS)
_CONTENT_KEYS = frozenset(CONTENT_FIELDS)


@dataclass(slots=True)
class Prepared:
    """A validated, enriched event; ``body`` is the canonical JSON that gets hashed: the
    content with its derived fields."""

    #: The content (with the derived fields too, when made by :func:`prepare_batch`).
    content: dict[str, Any]
    body: bytes
    occurred_us: int
    info: ActionInfo
    device: dict[str, str] | None
    #: Where the IP is (:func:`activitylog.geo.locate`); None without an IP.
    location: dict[str, Any] | None = None
    #: The id was generated here (UUIDv7), so it cannot be stored already.
    fresh_id: bool = False
    #: The sender gave ``occurred_at`` (else it is the time of sending): whether it counts
    #: when the id was recorded before (see :mod:`activitylog.idempotency`).
    stated_time: bool = True

    @property
    def search_text(self) -> str:
        """:func:`search_text` of the event, made when asked: the store's indexer makes its
        own from the stored body, so ingest does not pay for it."""
        return search_text(self.content, self.info)


def prepare(
    content: dict[str, Any],
    catalog: Catalog = DEFAULT_CATALOG,
    *,
    fresh_id: bool = False,
    stated_time: bool = True,
) -> Prepared:
    info = catalog.describe(content["action"])
    user_agent = content.get("user_agent")
    device = parse_device(user_agent) if user_agent else None
    ip = content.get("ip")
    location = locate(ip) if ip else None
    event = {**content, **derived_fields(info, device, location)}
    return Prepared(
        content=content,
        # Content as validate makes it holds only body fields: encoded without a copy.
        body=canonical_json(event) if content.keys() <= _CONTENT_KEYS else event_body(event),
        occurred_us=to_micros(content["occurred_at"]),
        info=info,
        device=device,
        location=location,
        fresh_id=fresh_id,
        stated_time=stated_time,
    )


def prepare_batch(
    raws: Sequence[Mapping[str, Any]],
    catalog: Catalog = DEFAULT_CATALOG,
    *,
    now: datetime | None = None,
) -> list[Prepared]:
    """Validate and enrich a batch (:func:`activitylog.events.check_batch`: any invalid
    event -> :class:`~activitylog.errors.BatchValidationError`, nothing made).

    What the fast path vouches for is enriched in its struct and encoded from it: one
    ``msgspec.to_builtins`` and one ``orjson.dumps`` per event make both the content and
    the canonical body. Everything else goes through the schema and :func:`prepare`."""

    def fast(raw: Mapping[str, Any], event: FastEvent) -> Prepared | None:
        return _prepare_fast(event, catalog, raw)

    def slow(raw: Mapping[str, Any], content: dict[str, Any]) -> Prepared:
        return prepare(
            content,
            catalog,
            fresh_id=raw.get("id") is None,
            stated_time=raw.get("occurred_at") is not None,
        )

    return check_batch(raws, fast, slow, now=now)


def _prepare_fast(event: FastEvent, catalog: Catalog, raw: Mapping[str, Any]) -> Prepared | None:
    """:func:`prepare` of what :func:`activitylog.events.fast_event` made; None when a
    string in it is not plain (a ``str`` subclass, a lone surrogate, a NUL)."""
    info = catalog.describe(event.action)
    user_agent = event.user_agent
    device = event.device = parse_device(user_agent) if user_agent else None
    ip = event.ip
    location = event.location = locate(ip) if ip else None
    event.category, event.verb, event.kind, event.label = (
        info.category,
        info.verb,
        info.kind,
        info.label,
    )
    try:
        content = _to_builtins(event)  # nulls left out: the canonical body's fields
        body = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except Exception:
        return None
    if has_escaped_nul(body):
        return None
    return Prepared(
        content=content,
        body=body,
        occurred_us=to_micros(content["occurred_at"]),
        info=info,
        device=device,
        location=location,
        fresh_id=raw.get("id") is None,
        stated_time=raw.get("occurred_at") is not None,
    )


_to_builtins = msgspec.to_builtins


def derived_fields(
    info: ActionInfo,
    device: dict[str, str] | None,
    location: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What enrichment adds to an event's content; hashed with it, so what a reader is
    shown (the label, the device, where the IP was) is what was recorded."""
    return {
        "category": info.category,
        "verb": info.verb,
        "kind": info.kind,
        "label": info.label,
        "device": device,
        "location": location,
    }


def search_text(content: dict[str, Any], info: ActionInfo) -> str:
    """The words free-text search looks in (:func:`activitylog.search_words.words`): of the
    label, action, description, subject type and name, actor name and IP."""
    subject = content.get("subject") or {}
    actor = content.get("actor") or {}
    parts = (
        info.label,
        content["action"],
        content.get("description"),
        subject.get("type"),
        subject.get("name"),
        actor.get("name"),
        content.get("ip"),
    )
    return words(" ".join(filter(None, parts)))


def event_dict(
    content: dict[str, Any],
    *,
    seq: int,
    info: ActionInfo,
    device: dict[str, str] | None,
    content_hash: str,
    chain_hash: str,
    location: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The event as every reader sees it: all fields present, nulls included."""
    event = EMPTY_EVENT.copy()
    event.update(content)
    event.update(
        seq=seq,
        category=info.category,
        verb=info.verb,
        kind=info.kind,
        label=info.label,
        device=device,
        location=location,
        content_hash=content_hash,
        chain_hash=chain_hash,
    )
    return event
