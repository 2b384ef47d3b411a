"""Layered configuration: flags > environment > TOML file > defaults.

:func:`load_settings` reads each layer once and returns frozen :class:`Settings`::

    # activitylog.toml
    db = "postgresql://activitylog@db/activitylog"
    port = 8080
    embed_origins = ["https://app.example.com"]

The file is the one named by ``config_file``, else by ``$ACTIVITYLOG_CONFIG``, else
``./activitylog.toml`` when it exists. Its keys are the setting names (flat, no tables);
a key it does not know, a value of the wrong type, or a file that cannot be read or parsed
is a ConfigurationError naming the file and the key. Paths may start with ``~``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from activitylog.errors import ConfigurationError
from activitylog.settings import ENV_PREFIX, KIND_NAMES, KINDS, Settings, reading

CONFIG_ENV = ENV_PREFIX + "CONFIG"
DEFAULT_CONFIG = Path("activitylog.toml")


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
) -> Settings:
    """Settings from ``flags`` (setting name -> value; None means "not given"), the
    environment (``env``, default ``os.environ``), the TOML file and the defaults, in that
    order of precedence."""
    env = os.environ if env is None else env
    given = flag_values(flags or {})
    path = config_path(config_file, env)
    file_values = read_config_file(path) if path is not None else {}
    with reading(env, file_values, str(path), flags=True):
        return Settings(**given)


def config_path(config_file: str | Path | None, env: Mapping[str, str]) -> Path | None:
    """The TOML file to read: named (it must exist), or ``./activitylog.toml`` if present."""
    named = config_file or env.get(CONFIG_ENV)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            source = "" if config_file else f" (${CONFIG_ENV})"
            raise ConfigurationError(f"config file {path}{source} does not exist")
        return path
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def read_config_file(path: Path) -> dict[str, object]:
    """The settings a TOML file gives, each of its setting's type (the rules on values are
    :class:`Settings`'s)."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - set(KINDS))
    if unknown:
        raise ConfigurationError(
            f"{path}: unknown setting {unknown[0]!r} (known: {', '.join(KINDS)})"
        )
    for name, value in data.items():
        if not _of_kind(KINDS[name], value):
            raise ConfigurationError(
                f"{path}: {name}: must be {KIND_NAMES[KINDS[name]]} (got {value!r})"
            )
    return dict(data)


def flag_values(flags: Mapping[str, Any]) -> dict[str, object]:
    """The settings given as flags (None is "not given"); text is read as the environment's."""
    unknown = sorted(set(flags) - set(KINDS))
    if unknown:
        raise ConfigurationError(f"unknown setting {unknown[0]!r}")
    return {name: value for name, value in flags.items() if value is not None}


def _of_kind(kind: str, value: object) -> bool:
    """TOML values are typed: a port is an integer, not the string "8000"."""
    if kind == "text":
        return isinstance(value, str)
    if kind == "path":
        return isinstance(value, str | os.PathLike)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "days":
        return (isinstance(value, int) and not isinstance(value, bool)) or value == "forever"
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
