"""Settings, read once into a frozen object and passed explicitly.

Each setting is a field of :class:`Settings`; its environment variable is
``ACTIVITYLOG_<NAME>`` and its key in a TOML file (:mod:`activitylog.config`) is the field
name. This module holds the one set of rules for turning text or TOML values into them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from activitylog.errors import ConfigurationError
from activitylog.signing import default_key_path

DEFAULT_DB = "sqlite:///activitylog.db"
ENV_PREFIX = "ACTIVITYLOG_"
MIB = 1024 * 1024


def config_home(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME``, else ``~/.config``."""
    env = os.environ if env is None else env
    return Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def cache_home(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME``, else ``~/.cache``."""
    env = os.environ if env is None else env
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def default_secret_key_path() -> Path:
    """``$ACTIVITYLOG_SECRET_KEY``, else ``secret-key`` beside the default signing key."""
    return Path(
        os.environ.get("ACTIVITYLOG_SECRET_KEY") or config_home() / "activitylog/secret-key"
    )


def default_spool_dir() -> Path:
    """``$ACTIVITYLOG_SPOOL_DIR``, else ``~/.cache/activitylog/spool``."""
    return Path(os.environ.get("ACTIVITYLOG_SPOOL_DIR") or cache_home() / "activitylog/spool")


@dataclass(frozen=True)
class Settings:
    """Every setting, typed and checked. Build one with :func:`activitylog.config.load_settings`
    (flags, environment, TOML file) or :meth:`from_env`; the README lists them all."""

    db: str = DEFAULT_DB
    signing_key: Path = field(default_factory=default_key_path)
    checkpoint_every: int = 1000
    checkpoint_seconds: float = 60.0
    #: A directory outside the database (another disk, a write-once mount) where every
    #: kept checkpoint is also appended; None keeps checkpoints only in the database.
    witness_dir: Path | None = None
    durability: str = "full"
    #: Signs viewer tokens; a file of 32 random bytes (hex), created 0600 on first use.
    secret_key: Path = field(default_factory=default_secret_key_path)
    host: str = "127.0.0.1"
    port: int = 8000
    #: Origins (``https://app.example.com``) whose pages may frame the embedded viewer.
    embed_origins: tuple[str, ...] = ()
    max_body_bytes: int = 8 * MIB
    #: The key the SDK sends to a remote server (``ActivityLog("https://...")``).
    api_key: str | None = None
    #: Where the remote SDK keeps events it could not deliver yet.
    spool_dir: Path = field(default_factory=default_spool_dir)

    def __post_init__(self) -> None:
        for name in ("signing_key", "secret_key", "spool_dir", "witness_dir"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, Path(getattr(self, name)))
        try:
            origins = tuple(normalise_origin(origin) for origin in self.embed_origins)
        except ConfigurationError as exc:
            raise ConfigurationError(f"embed_origins: {exc}") from None
        object.__setattr__(self, "embed_origins", origins)
        for item in fields(self):
            reason = _RULES.get(item.name, _any)(getattr(self, item.name))
            if reason:
                raise ConfigurationError(f"{item.name}: {reason}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The defaults overridden by ``ACTIVITYLOG_<NAME>`` variables (empty ones ignored)."""
        env = os.environ if env is None else env
        return cls(**{**default_values(env), **env_values(env)})  # type: ignore[arg-type]


# -- how each setting is read ----------------------------------------------------------------
def _any(_value: object) -> str | None:
    return None


def _positive(value: object) -> str | None:
    return None if isinstance(value, int | float) and value > 0 else "must be positive"


def _port(value: object) -> str | None:
    ok = isinstance(value, int) and 1 <= value <= 65535
    return None if ok else "must be between 1 and 65535"


def _not_empty(value: object) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must not be empty"


def _durability(value: object) -> str | None:
    return None if value in ("full", "normal") else "must be 'full' or 'normal'"


def _api_key(value: object) -> str | None:
    return None if value is None else _not_empty(value)


_RULES: dict[str, Callable[[object], str | None]] = {
    "db": _not_empty,
    "checkpoint_every": _positive,
    "checkpoint_seconds": _positive,
    "durability": _durability,
    "host": _not_empty,
    "port": _port,
    "max_body_bytes": _positive,
    "api_key": _api_key,
}

#: The kind of value each setting holds: how text (environment) and TOML values are read.
KINDS: dict[str, str] = {
    "db": "text",
    "signing_key": "path",
    "checkpoint_every": "int",
    "checkpoint_seconds": "float",
    "witness_dir": "path",
    "durability": "text",
    "secret_key": "path",
    "host": "text",
    "port": "int",
    "embed_origins": "list",
    "max_body_bytes": "int",
    "api_key": "text",
    "spool_dir": "path",
}
_KIND_NAMES = {
    "text": "a string",
    "path": "a path (string)",
    "int": "an integer",
    "float": "a number",
    "list": "an array of strings",
}


def normalise_origin(origin: str) -> str:
    """``scheme://host[:port]`` lowercased, for an http(s) origin without a path (one
    trailing ``/`` is forgiven); ConfigurationError naming the origin otherwise."""
    text = origin.strip() if isinstance(origin, str) else ""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or text.endswith(("?", "#"))
    ):
        raise ConfigurationError(
            f"{origin!r} is not an origin like https://app.example.com "
            "(http or https, a host, an optional port, no path)"
        )
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def env_values(env: Mapping[str, str]) -> dict[str, object]:
    """The settings ``ACTIVITYLOG_<NAME>`` variables give (empty ones count as unset)."""
    return {
        name: parse_text(name, env[env_name(name)], source=env_name(name))
        for name in KINDS
        if env.get(env_name(name))
    }


def default_values(env: Mapping[str, str]) -> dict[str, object]:
    """The defaults that depend on the environment (key and spool paths under XDG homes)."""
    return {
        "signing_key": config_home(env) / "activitylog" / "signing-key.pem",
        "secret_key": config_home(env) / "activitylog" / "secret-key",
        "spool_dir": cache_home(env) / "activitylog" / "spool",
    }


def parse_text(name: str, text: str, *, source: str) -> object:
    """The value of setting ``name`` written as text (an environment variable or a flag);
    ``source`` names where it came from in the error."""
    kind = KINDS[name]
    try:
        if kind == "int":
            value: object = int(text)
        elif kind == "float":
            value = float(text)
        elif kind == "path":
            value = Path(text).expanduser()
        elif kind == "list":
            value = tuple(part.strip() for part in text.split(",") if part.strip())
        else:
            value = text
    except ValueError:
        raise ConfigurationError(f"{source}: must be {_KIND_NAMES[kind]} (got {text!r})") from None
    return _checked(name, value, source)


def parse_value(name: str, value: object, *, source: str) -> object:
    """The value of setting ``name`` given typed (a TOML value, a keyword argument)."""
    kind = KINDS[name]
    ok = {
        "text": isinstance(value, str),
        "path": isinstance(value, str | os.PathLike),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "list": isinstance(value, list | tuple) and all(isinstance(v, str) for v in value),
    }[kind]
    if not ok:
        raise ConfigurationError(f"{source}: must be {_KIND_NAMES[kind]} (got {value!r})")
    if kind == "path":
        value = Path(value).expanduser()  # type: ignore[arg-type]  # checked above
    elif kind == "float":
        value = float(value)  # type: ignore[arg-type]  # checked above
    elif kind == "list":
        value = tuple(value)  # type: ignore[arg-type]  # checked above
    return _checked(name, value, source)


def _checked(name: str, value: object, source: str) -> object:
    if name == "embed_origins":
        try:
            return tuple(normalise_origin(origin) for origin in _strings(value))
        except ConfigurationError as exc:
            raise ConfigurationError(f"{source}: {exc}") from None
    reason = _RULES.get(name, _any)(value)
    if reason:
        raise ConfigurationError(f"{source}: {reason}")
    return value


def _strings(value: object) -> Iterable[str]:
    return value if isinstance(value, tuple) else ()
