"""How the remote transport batches and retries: :class:`RemoteOptions`."""

from __future__ import annotations

from dataclasses import dataclass

from activitylog.errors import ConfigurationError

#: The server accepts at most this many events per request.
MAX_BATCH = 1000


@dataclass(frozen=True)
class RemoteOptions:
    """How the transport batches and retries; times in seconds.

    A batch is sent once ``batch_size`` events are queued or ``linger`` after its first
    event. After the n-th temporary failure in a row the next attempt waits
    ``min(backoff_max, backoff_initial * 2**(n-1))``, scaled by a random 0.5-1.0.
    ``exit_timeout`` bounds the flush at interpreter exit.
    """

    batch_size: int = 500
    linger: float = 0.05
    backoff_initial: float = 0.1
    backoff_max: float = 5.0
    request_timeout: float = 10.0
    exit_timeout: float = 2.0

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise ConfigurationError(f"batch_size must be 1..{MAX_BATCH}")
        if min(self.linger, self.exit_timeout) < 0:
            raise ConfigurationError("linger and exit_timeout must not be negative")
        if min(self.backoff_initial, self.request_timeout) <= 0:
            raise ConfigurationError("backoff_initial and request_timeout must be positive")
        if self.backoff_max < self.backoff_initial:
            raise ConfigurationError("backoff_max must be at least backoff_initial")
