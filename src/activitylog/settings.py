"""Settings, read once from the environment into a frozen object and passed explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from activitylog.errors import ConfigurationError
from activitylog.signing import default_key_path

DEFAULT_DB = "sqlite:///activitylog.db"


@dataclass(frozen=True)
class Settings:
    """``ACTIVITYLOG_DB``, ``ACTIVITYLOG_SIGNING_KEY``, ``ACTIVITYLOG_CHECKPOINT_EVERY``,
    ``ACTIVITYLOG_CHECKPOINT_SECONDS``, ``ACTIVITYLOG_DURABILITY`` (full | normal)."""

    db: str = DEFAULT_DB
    signing_key: Path = field(default_factory=default_key_path)
    checkpoint_every: int = 1000
    checkpoint_seconds: float = 60.0
    durability: str = "full"

    def __post_init__(self) -> None:
        object.__setattr__(self, "signing_key", Path(self.signing_key))
        if self.durability not in ("full", "normal"):
            raise ConfigurationError("durability must be 'full' or 'normal'")
        if self.checkpoint_every < 1 or self.checkpoint_seconds <= 0:
            raise ConfigurationError("checkpoint_every and checkpoint_seconds must be positive")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        try:
            return cls(
                db=env.get("ACTIVITYLOG_DB") or DEFAULT_DB,
                signing_key=Path(env["ACTIVITYLOG_SIGNING_KEY"])
                if env.get("ACTIVITYLOG_SIGNING_KEY")
                else default_key_path(),
                checkpoint_every=int(env.get("ACTIVITYLOG_CHECKPOINT_EVERY") or 1000),
                checkpoint_seconds=float(env.get("ACTIVITYLOG_CHECKPOINT_SECONDS") or 60),
                durability=env.get("ACTIVITYLOG_DURABILITY") or "full",
            )
        except ValueError as exc:
            raise ConfigurationError(f"bad ACTIVITYLOG_* setting: {exc}") from None
