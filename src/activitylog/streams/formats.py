"""A stream's formats: each turns an entry (a dict as ``query`` returns it) into one line
of UTF-8, without its line end.

``json``: the entry exactly as ``activitylog export --format ndjson`` writes it (every
field, ``seq`` and the hashes included); ``ocsf``: an OCSF 1.3 event
(:mod:`activitylog.streams.ocsf`); ``cef``: an ArcSight CEF line
(:mod:`activitylog.streams.cef`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from activitylog.streams.cef import to_cef
from activitylog.streams.ocsf import to_ocsf


def _json(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def _ocsf(event: dict[str, Any]) -> bytes:
    return orjson.dumps(to_ocsf(event))


def _cef(event: dict[str, Any]) -> bytes:
    return to_cef(event).encode()


ENCODERS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "json": _json,
    "ocsf": _ocsf,
    "cef": _cef,
}


def encode(fmt: str, event: dict[str, Any]) -> bytes:
    """``event`` as one line of format ``fmt`` (json, ocsf or cef)."""
    return ENCODERS[fmt](event)
