"""What a model change looks like in the log, shared by every ORM integration.

- **created** / **deleted**: ``snapshot`` holds every captured field.
- **updated**: ``changes`` holds only the fields whose value changed, each as
  ``{"before": old, "after": new}``; a to-many relation appears as the sorted lists of
  related ids before and after.
- **Excluded** fields never appear. **Masked** fields appear with the value
  :data:`MASK`, so a reader sees *that* a password changed without seeing it. Field names
  containing one of :data:`DEFAULT_MASKED` (passwords, tokens, secrets, keys) as whole words
  are masked unless the integration is told otherwise.

Values become JSON: datetimes and dates as ISO 8601, decimals and UUIDs as strings, enums
by value, bytes as a length note, anything else by ``str()``.
"""

from __future__ import annotations

import base64
import enum
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

MASK = "********"
#: Field names masked by default: a name is masked when these words appear in it as whole
#: words, case-insensitively, in snake_case or camelCase, optionally plural (``api_key``,
#: ``stripeApiKey``, ``otp_codes``, ``Passwords``; not ``footprint`` nor ``hotplate``).
DEFAULT_MASKED: tuple[str, ...] = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "private_key",
    "otp",
    "mfa_secret",
    "totp",
)

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_MASKED = re.compile("_(?:" + "|".join(map(re.escape, DEFAULT_MASKED)) + ")s?_")


def masked_by_default(name: str) -> bool:
    """Whether the field ``name`` holds one of :data:`DEFAULT_MASKED` as whole words."""
    words = "_".join(_WORD.findall(name)).lower()
    return _MASKED.search(f"_{words}_") is not None


@dataclass(frozen=True)
class FieldPolicy:
    """Which fields a tracked model leaves out and which it masks."""

    exclude: frozenset[str] = frozenset()
    mask: frozenset[str] = frozenset()
    #: Also mask names matching :data:`DEFAULT_MASKED`.
    mask_defaults: bool = True

    @classmethod
    def of(
        cls, exclude: Iterable[str] = (), mask: Iterable[str] = (), *, mask_defaults: bool = True
    ) -> FieldPolicy:
        return cls(frozenset(exclude), frozenset(mask), mask_defaults)

    def keeps(self, name: str) -> bool:
        return name not in self.exclude

    def masks(self, name: str) -> bool:
        return name in self.mask or (self.mask_defaults and masked_by_default(name))

    def shown(self, name: str, value: Any) -> Any:
        """``value`` as the log holds it: masked, or made JSON-safe."""
        if self.masks(name):
            return None if value is None else MASK
        return json_value(value)


def snapshot(values: Mapping[str, Any], policy: FieldPolicy) -> dict[str, Any]:
    """Every kept field, masked where needed, in field order."""
    return {name: policy.shown(name, v) for name, v in values.items() if policy.keeps(name)}


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], policy: FieldPolicy
) -> dict[str, dict[str, Any]]:
    """``{field: {"before", "after"}}`` for kept fields whose value changed. A masked field
    that changed shows as ``MASK`` on both sides (or None where it was empty)."""
    changes: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys([*before, *after]):
        if not policy.keeps(name):
            continue
        old, new = before.get(name), after.get(name)
        if _same(old, new):
            continue
        changes[name] = {"before": policy.shown(name, old), "after": policy.shown(name, new)}
    return changes


def related_ids(items: Iterable[Any]) -> list[Any]:
    """Ids of a to-many relation, sorted, JSON-safe (for before / after lists)."""
    return sorted((json_value(i) for i in items), key=lambda v: (str(type(v)), v))


def json_value(value: Any) -> Any:
    """A JSON-safe form of a column value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return json_value(value.value)
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return raw.decode() if raw.isascii() and len(raw) <= 200 else _bytes_note(raw)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_value(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)


def _bytes_note(raw: bytes) -> str:
    return f"<{len(raw)} bytes: {base64.b64encode(raw[:12]).decode()}...>"


def _same(a: Any, b: Any) -> bool:
    """Equal as the log would show them (1 == 1.0 but True != 1; "" != None)."""
    if type(a) is bool or type(b) is bool:
        return a is b
    try:
        return bool(a == b) and (a is None) == (b is None)
    except Exception:  # exotic values that cannot compare: compare their JSON forms
        return bool(json_value(a) == json_value(b))
