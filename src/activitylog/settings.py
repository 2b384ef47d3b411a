"""Settings, read once into a frozen object and passed explicitly.

Each setting is a field of :class:`Settings` (pydantic-settings), described once there. Every
one reads its environment variable ``ACTIVITYLOG_<NAME>`` the same way (empty counts as
unset): ``Settings()`` is the defaults under the environment, keyword arguments over both.
:func:`activitylog.config.load_settings` adds the TOML file (its keys are the field names)
between the environment and the defaults. A bad value is a
:class:`~activitylog.errors.ConfigurationError` naming where it came from: the flag
(``--port``), the variable (``ACTIVITYLOG_PORT``), the file and key, or the field.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from activitylog.errors import ConfigurationError

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


class _Layers:
    """What one construction of :class:`Settings` reads besides its keyword arguments: the
    environment, and the TOML file's values (named ``source`` in errors)."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        file_values: Mapping[str, object] | None = None,
        source: str = "",
        flags: bool = False,
    ) -> None:
        self.environ = os.environ if environ is None else environ
        self.file_values = dict(file_values or {})
        self.source = source
        self.flags = flags


_LAYERS: ContextVar[_Layers | None] = ContextVar("activitylog_settings_layers", default=None)


def _layers() -> _Layers:
    return _LAYERS.get() or _Layers()


@contextmanager
def reading(
    environ: Mapping[str, str] | None = None,
    file_values: Mapping[str, object] | None = None,
    source: str = "",
    *,
    flags: bool = False,
) -> Iterator[None]:
    """Within this block ``Settings()`` reads ``environ`` (default ``os.environ``) and, under
    it, ``file_values`` (the TOML file called ``source``); with ``flags``, errors name its
    keyword arguments as command-line flags."""
    token = _LAYERS.set(_Layers(environ, file_values, source, flags))
    try:
        yield
    finally:
        _LAYERS.reset(token)


def _home_path(home: str, *parts: str) -> Path:
    environ = _layers().environ
    base = config_home(environ) if home == "config" else cache_home(environ)
    return base.joinpath(*parts)


class Settings(BaseSettings):
    """Every setting, typed and checked; the README lists them with their variables."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        frozen=True,
        extra="forbid",
        validate_default=True,
    )

    db: str = Field(
        DEFAULT_DB, description="Database URL: sqlite:///FILE or postgresql://user@host/db."
    )
    accounts_db: str | None = Field(
        None,
        description="Database URL of the accounts (users, API keys, sessions, workspace "
        "settings); none: the log's database.",
    )
    signing_key: Path = Field(
        default_factory=lambda: _home_path("config", "activitylog", "signing-key.pem"),
        description="The Ed25519 key file that signs checkpoints (created 0600 on first use).",
    )
    checkpoint_every: int = Field(
        1000, description="Keep a signed checkpoint at least every this many entries."
    )
    checkpoint_seconds: float = Field(
        60.0, description="... and every this many seconds while a workspace's head moves."
    )
    witness_dir: Path | None = Field(
        None,
        description="A directory outside the database (another disk, a write-once mount) "
        "where every kept checkpoint is also appended; none: only in the database.",
    )
    durability: str = Field(
        "full", description="SQLite synchronous: full (survives power loss) or normal."
    )
    secret_key: Path = Field(
        default_factory=lambda: _home_path("config", "activitylog", "secret-key"),
        description="The file of 32 random bytes (hex) that signs viewer tokens "
        "(created 0600 on first use).",
    )
    host: str = Field("127.0.0.1", description="The address the web server listens on.")
    port: int = Field(8000, description="The port the web server listens on.")
    embed_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Origins (https://app.example.com) whose pages may frame the embedded "
        "viewer; in the environment, comma-separated.",
    )
    max_body_bytes: int = Field(
        8 * MIB, description="The largest request body the HTTP API accepts, in bytes."
    )
    api_key: str | None = Field(
        None, description="The API key the SDK sends to a remote server (https://...)."
    )
    spool_dir: Path = Field(
        default_factory=lambda: _home_path("cache", "activitylog", "spool"),
        description="Where the remote SDK keeps events it could not deliver yet.",
    )
    archive: str | None = Field(
        None,
        description="Where purges write archives and scheduled exports go: a directory or "
        "s3://bucket/prefix; none: nowhere.",
    )
    retention_days: int | None = Field(
        None,
        description="How many days entries are kept in workspaces that set no retention "
        "of their own; forever (none, the default): nothing is purged.",
    )
    private_destinations: bool = Field(
        False,
        description="Whether stream webhooks and syslog, and alert webhooks, may reach "
        "private, loopback and link-local addresses (a receiver inside your network); "
        "false: public addresses only, so no one can make the server call internal hosts.",
    )
    followers: bool = Field(
        True,
        description="Whether serve runs the followers (alerts, deliveries, streams); false "
        "when a separate `activitylog follow` process runs them.",
    )
    follower_process: bool = Field(
        True,
        description="Whether serve runs its followers and the indexer in a child process of "
        "its own (started again if it dies); false: in threads of the web server's process, "
        "as always on chdb (one process per directory).",
    )
    smtp_host: str | None = Field(
        None, description="The SMTP server alert emails are sent through; none: no email."
    )
    smtp_port: int = Field(587, description="The SMTP server's port.")
    smtp_starttls: bool = Field(
        True, description="Upgrade the SMTP connection with STARTTLS (the certificate checked)."
    )
    smtp_user: str | None = Field(
        None, description="The SMTP user name to log in as; none: send without logging in."
    )
    smtp_password: SecretStr | None = Field(None, description="The SMTP user's password.")
    smtp_from: str | None = Field(
        None, description="The From address of alert emails (alerts@example.com)."
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigurationError(_describe(exc, given=values)) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The defaults under the ``ACTIVITYLOG_<NAME>`` variables of ``env`` (default
        ``os.environ``); no file."""
        with reading(env):
            return cls()

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes``, checked like the rest (the environment is not read again)."""
        try:
            return type(self).model_validate({**self.model_dump(), **changes})
        except ValidationError as exc:
            raise ConfigurationError(_describe(exc, given=changes)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        layers = _layers()
        return (
            init_settings,
            _Environment(settings_cls, layers.environ),
            InitSettingsSource(settings_cls, init_kwargs=layers.file_values),
        )

    # -- the rules -----------------------------------------------------------------------
    @field_validator("signing_key", "secret_key", "spool_dir", "witness_dir", mode="before")
    @classmethod
    def _expand_home(cls, value: object) -> object:
        return Path(value).expanduser() if isinstance(value, str | os.PathLike) else value

    @field_validator("embed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):  # the environment's (or a flag's) comma-separated list
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            return tuple(normalise_origin(v) if isinstance(v, str) else v for v in value)
        return value

    @field_validator("checkpoint_every", "checkpoint_seconds", "max_body_bytes")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    @field_validator("port", "smtp_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError("must be between 1 and 65535")
        return value

    @field_validator("db", "accounts_db", "host", "api_key", "smtp_host", "smtp_user", "smtp_from")
    @classmethod
    def _not_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("archive")
    @classmethod
    def _archive(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("must not be empty")
        if value.startswith("s3://"):
            if not value[5:].split("/", 1)[0]:
                raise ValueError("must name a bucket: s3://bucket/prefix")
        elif "://" in value:
            raise ValueError("must be a directory or s3://bucket/prefix")
        return value

    @field_validator("retention_days", mode="before")
    @classmethod
    def _retention_days(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() == "forever":
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            raise ValueError("must be at least 1 day, or forever")
        return value

    @field_validator("durability")
    @classmethod
    def _durability(cls, value: str) -> str:
        if value not in ("full", "normal"):
            raise ValueError("must be 'full' or 'normal'")
        return value


class _Environment(EnvSettingsSource):
    """The ``ACTIVITYLOG_*`` variables of a given mapping (``os.environ`` by default)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {
            name if self.case_sensitive else name.lower(): value
            for name, value in self._environ.items()
            if value or not self.env_ignore_empty
        }


#: The kind of value each setting holds, as the TOML file must give it.
KINDS: dict[str, str] = {
    "db": "text",
    "accounts_db": "text",
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
    "archive": "text",
    "retention_days": "days",
    "private_destinations": "bool",
    "followers": "bool",
    "follower_process": "bool",
    "smtp_host": "text",
    "smtp_port": "int",
    "smtp_starttls": "bool",
    "smtp_user": "text",
    "smtp_password": "text",
    "smtp_from": "text",
}
KIND_NAMES = {
    "text": "a string",
    "path": "a path (string)",
    "int": "an integer",
    "float": "a number",
    "list": "an array of strings",
    "days": 'a number of days or "forever"',
    "bool": "true or false",
}


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _describe(exc: ValidationError, *, given: Mapping[str, Any]) -> str:
    """``source: reason`` for each error, the source being where the bad value came from:
    a keyword (a flag when the CLI passes it), the environment, the file, else the field."""
    layers = _layers()
    parts = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        if error["type"] == "extra_forbidden":
            parts.append(f"unknown setting {name!r}")
            continue
        if name in given:
            source = f"--{name.replace('_', '-')}" if layers.flags else name
        elif layers.environ.get(env_name(name)):
            source = env_name(name)
        elif name in layers.file_values:
            source = f"{layers.source}: {name}"
        else:
            source = name
        parts.append(f"{source}: {_reason(error, name)}")
    return "; ".join(parts)


def _reason(error: Any, name: str) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    kind = KIND_NAMES.get(KINDS.get(name, ""), "valid")
    return f"must be {kind} (got {error['input']!r})"


def normalise_origin(origin: str) -> str:
    """``scheme://host[:port]`` lowercased, for an http(s) origin without a path (one
    trailing ``/`` is forgiven); ValueError naming the origin otherwise."""
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
        raise ValueError(
            f"{origin!r} is not an origin like https://app.example.com "
            "(http or https, a host, an optional port, no path)"
        )
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")
