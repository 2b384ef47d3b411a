"""JSON text read with every integer exact."""

from __future__ import annotations

import json
from typing import Any

import orjson

#: Bytes -> "0" for a digit, " " otherwise: a run of 19 zeros then marks a long number.
_DIGIT_MAP = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19  # every integer outside 64 bits has 19 digits or more


def parse_json(text: bytes | bytearray | memoryview | str) -> Any:
    """JSON text -> Python values, every integer exact.

    orjson reads integers outside 64 bits (signed or unsigned) as floats, which would
    store a rounded number without a word. Text holding no run of 19 digits cannot hold
    such an integer (the common case: one pass of ``bytes.translate``); otherwise it is
    read again by the standard library, which keeps integers exact, so that validation
    can name them. Invalid JSON raises ``orjson.JSONDecodeError`` (a ``ValueError``).
    """
    value = orjson.loads(text)  # checks syntax, UTF-8, surrogates and NaN for both paths
    raw = text.encode() if isinstance(text, str) else text
    if isinstance(raw, memoryview):
        raw = raw.tobytes()
    if _LONG_DIGITS not in raw.translate(_DIGIT_MAP):
        return value
    try:
        return json.loads(raw)
    except RecursionError:  # orjson allows deeper nesting than the standard library
        raise orjson.JSONDecodeError("nested too deeply", "", 0) from None
