"""A stream's formats: each turns an entry into one line of UTF-8, without its line end.

``json``: the entry as stored, the exact canonical JSON body that was hashed, with
``seq``, ``content_hash`` and ``chain_hash`` appended as its last three members (take the
text before ``,"seq":`` and add ``}`` to get the hashed bytes back; fields that are null
are absent, as in the body); made from the stored row, without decoding it
(:func:`stored_line`). ``ocsf``: an OCSF 1.3 event (:mod:`activitylog.streams.ocsf`);
``cef``: an ArcSight CEF line (:mod:`activitylog.streams.cef`); both from the entry as
``query`` returns it (:data:`ENCODERS`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from activitylog.streams.cef import to_cef
from activitylog.streams.ocsf import to_ocsf


def stored_line(row: Sequence[Any]) -> bytes:
    """The ``json`` line of a store row (seq, body, content hash, chain hash)."""
    seq, body, content_hash, chain_hash = row
    return b'%s,"seq":%d,"content_hash":"%s","chain_hash":"%s"}' % (
        bytes(body)[:-1],
        seq,
        content_hash.encode(),
        chain_hash.encode(),
    )


def _ocsf(event: dict[str, Any]) -> bytes:
    return orjson.dumps(to_ocsf(event))


def _cef(event: dict[str, Any]) -> bytes:
    return to_cef(event).encode()


#: The formats made from the entry as ``query`` returns it (``json`` is made from the row).
ENCODERS: dict[str, Callable[[dict[str, Any]], bytes]] = {"ocsf": _ocsf, "cef": _cef}
