"""When a failed delivery is tried again: 30 s after the first failure, doubling, at most
an hour apart, for 24 hours after the first attempt; the attempt at the 24-hour mark is
the last."""

from __future__ import annotations

FIRST_RETRY_S = 30.0
MAX_RETRY_S = 3600.0
GIVE_UP_AFTER_S = 24 * 3600.0
_US = 1_000_000


def retry_delay(failures: int) -> float:
    """Seconds after the ``failures``-th failed attempt in a row before the next one."""
    return min(FIRST_RETRY_S * 2.0 ** max(failures - 1, 0), MAX_RETRY_S)


def next_attempt_us(first_us: int, failures: int, now_us: int) -> int | None:
    """When to try again after ``failures`` failed attempts, the first at ``first_us`` and
    the last just now; None: 24 hours have passed since the first, give up."""
    deadline = first_us + int(GIVE_UP_AFTER_S * _US)
    if now_us >= deadline:
        return None
    return min(now_us + int(retry_delay(failures) * _US), deadline)
