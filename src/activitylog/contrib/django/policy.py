"""How a registered model's fields are shown: which are left out, which are masked, and
with what.

A masked field shows as ``"********"``, or — given a mask function (``register(...,
mask_with=fn)`` or the ``MASK_WITH`` setting) — as what the function makes of its value
as text: :func:`keep_last` shows the last characters of a card number. None stays None.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from activitylog.capture.changes import MASK, FieldPolicy, json_value

logger = logging.getLogger("activitylog.contrib.django")

MaskFunction = Callable[[str], str]


def keep_last(count: int = 4) -> MaskFunction:
    """A mask function showing the last ``count`` characters of a value after ``****``
    (``"4242424242424242"`` -> ``"****4242"``); a value no longer than ``count`` shows
    as ``****`` alone, so short values are not given away whole."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"keep_last(count): count must be a positive integer (got {count!r})")

    def mask(text: str) -> str:
        return "****" + text[-count:] if len(text) > count else "****"

    return mask


@dataclass(frozen=True)
class ModelPolicy(FieldPolicy):
    """A :class:`FieldPolicy` whose masking of the model's own fields is decided once (the
    default patterns are a regular expression search per name), with an optional mask
    function."""

    known: frozenset[str] = frozenset()
    masked: frozenset[str] = frozenset()
    mask_with: MaskFunction | None = None

    def masks(self, name: str) -> bool:
        return name in self.masked if name in self.known else super().masks(name)

    def shown(self, name: str, value: Any) -> Any:
        if self.mask_with is None or value is None or not self.masks(name):
            return super().shown(name, value)
        text = value if isinstance(value, str) else str(json_value(value))
        try:
            shown = self.mask_with(text)
        except Exception:
            logger.exception("activitylog: the mask function failed for %s; fully masked", name)
            return MASK
        if not isinstance(shown, str):
            logger.error(
                "activitylog: the mask function returned %s for %s, not a string; fully masked",
                type(shown).__name__,
                name,
            )
            return MASK
        return shown
