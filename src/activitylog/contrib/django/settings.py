"""The ``ACTIVITYLOG`` Django setting, read once into a frozen :class:`Config`::

    ACTIVITYLOG = {
        "DB": "sqlite:////var/lib/app/activitylog.db",  # None: $ACTIVITYLOG_DB or the default
        "LOG": None,                  # an ActivityLog (or its dotted path); wins over DB
        "WORKSPACE": "request.user.workspace_id",   # or "app.tenancy.workspace_of", a callable
        "DEFAULT_WORKSPACE": None,    # when nothing else names one (single-tenant apps)
        "ACTOR": None,                # callable(request) -> {id, name, email, role} | None
        "TRUSTED_PROXIES": [],        # CIDRs whose X-Forwarded-For / Forwarded is believed
        "MASK": [],                   # field names masked in every registered model
        "EXCLUDE": [],                # field names left out of every registered model
        "MASK_WITH": None,            # fn(text) -> text shown for masked fields, or its path
        "RECORD_RAW_SAVES": False,    # record raw saves (loaddata); skipped by default
        "AUTH_SIGNALS": True,         # record Django's sign-in, sign-out and failed sign-in
        "REQUEST_ID_HEADER": "X-Request-ID",
        "WRITE": "commit",            # or "background": a writer thread batches the store writes
    }

A resolver (``WORKSPACE``, ``ACTOR``) is a callable taking the request, the dotted path of
one, or — for ``WORKSPACE`` — an attribute path starting with ``request.``; an attribute
missing on the way (an anonymous user has no ``workspace_id``) resolves to None. The config
is re-read when Django's ``setting_changed`` names ``ACTIVITYLOG`` (``override_settings``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from activitylog.capture.proxies import TrustedProxies
from activitylog.errors import ConfigurationError

Resolver = Callable[[Any], Any]

DEFAULTS: Mapping[str, Any] = {
    "DB": None,
    "LOG": None,
    "WORKSPACE": None,
    "DEFAULT_WORKSPACE": None,
    "ACTOR": None,
    "TRUSTED_PROXIES": (),
    "MASK": (),
    "EXCLUDE": (),
    "MASK_WITH": None,
    "RECORD_RAW_SAVES": False,
    "AUTH_SIGNALS": True,
    "REQUEST_ID_HEADER": "X-Request-ID",
    "WRITE": "commit",
}
WRITE_MODES = ("commit", "background")


@dataclass(frozen=True)
class Config:
    """The ``ACTIVITYLOG`` setting, checked. ``log`` is an ActivityLog, a dotted path to one
    (or to a function returning one), or None (then ``db`` names the database)."""

    db: str | None = None
    log: Any = None
    workspace: Resolver | None = None
    default_workspace: str | None = None
    actor: Resolver | None = None
    proxies: TrustedProxies = field(default_factory=TrustedProxies)
    mask: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    #: Shows masked values (``"****4242"``) in models registered without ``mask_with``;
    #: None: ``"********"``.
    mask_with: Resolver | None = None
    #: Record saves Django makes with ``raw=True`` (``loaddata`` fixtures).
    record_raw_saves: bool = False
    auth_signals: bool = True
    request_id_header: str = "X-Request-ID"
    #: "commit": committed events are stored by the committing thread; "background": by a
    #: writer thread that batches them (see :mod:`activitylog.contrib.django.background`).
    write: str = "commit"

    @property
    def request_id_meta_key(self) -> str:
        """Where Django's ``request.META`` holds the request id header."""
        return "HTTP_" + self.request_id_header.upper().replace("-", "_")

    @classmethod
    def of(cls, raw: Mapping[str, Any] | None) -> Config:
        raw = raw or {}
        if not isinstance(raw, Mapping):
            raise ConfigurationError("ACTIVITYLOG must be a dict")
        unknown = sorted(set(raw) - set(DEFAULTS))
        if unknown:
            raise ConfigurationError(
                f"ACTIVITYLOG: unknown key(s) {', '.join(unknown)}; known: {', '.join(DEFAULTS)}"
            )
        values = {**DEFAULTS, **raw}
        db = values["DB"]
        if db is not None and (not isinstance(db, str) or not db.strip()):
            raise ConfigurationError("ACTIVITYLOG['DB'] must be a database or server URL")
        default_workspace = values["DEFAULT_WORKSPACE"]
        if default_workspace is not None and (
            not isinstance(default_workspace, str) or not default_workspace
        ):
            raise ConfigurationError("ACTIVITYLOG['DEFAULT_WORKSPACE'] must be a string")
        header = values["REQUEST_ID_HEADER"]
        if not isinstance(header, str) or not header.strip():
            raise ConfigurationError("ACTIVITYLOG['REQUEST_ID_HEADER'] must be a header name")
        if values["WRITE"] not in WRITE_MODES:
            raise ConfigurationError(
                f"ACTIVITYLOG['WRITE'] must be one of {', '.join(WRITE_MODES)} "
                f"(got {values['WRITE']!r})"
            )
        try:
            proxies = TrustedProxies.of(values["TRUSTED_PROXIES"] or ())
        except ConfigurationError as exc:
            raise ConfigurationError(f"ACTIVITYLOG['TRUSTED_PROXIES']: {exc}") from None
        return cls(
            db=db,
            log=values["LOG"],
            workspace=_resolver("WORKSPACE", values["WORKSPACE"], attributes=True),
            default_workspace=default_workspace,
            actor=_resolver("ACTOR", values["ACTOR"], attributes=False),
            proxies=proxies,
            mask=_names("MASK", values["MASK"]),
            exclude=_names("EXCLUDE", values["EXCLUDE"]),
            mask_with=_resolver("MASK_WITH", values["MASK_WITH"], attributes=False),
            record_raw_saves=_flag("RECORD_RAW_SAVES", values["RECORD_RAW_SAVES"]),
            auth_signals=bool(values["AUTH_SIGNALS"]),
            request_id_header=header.strip(),
            write=values["WRITE"],
        )


_lock = threading.Lock()
_current: Config | None = None
_listeners: list[Callable[[], None]] = []


def config() -> Config:
    """The config from ``settings.ACTIVITYLOG``, read on first use."""
    global _current
    current = _current
    if current is None:
        from django.conf import settings

        with _lock:
            current = _current = _current or Config.of(getattr(settings, "ACTIVITYLOG", None))
    return current


def on_reset(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever the setting is re-read (caches that depend on it)."""
    _listeners.append(listener)


def reset() -> None:
    """Forget the config: the next :func:`config` reads the setting again."""
    global _current
    with _lock:
        _current = None
    for listener in _listeners:
        listener()


def setting_changed(*, setting: str, **_: Any) -> None:
    """Receiver of Django's ``setting_changed`` (connected by the app)."""
    if setting == "ACTIVITYLOG":
        reset()


def _resolver(key: str, value: Any, *, attributes: bool) -> Resolver | None:
    if value is None:
        return None
    if callable(value):
        resolver: Resolver = value
        return resolver
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"ACTIVITYLOG[{key!r}] must be a callable or a dotted path")
    if attributes and value.startswith("request."):
        return _attribute_path(value.split(".")[1:])
    from django.utils.module_loading import import_string

    try:
        found = import_string(value)
    except ImportError as exc:
        hint = " (or an attribute path like 'request.user.workspace_id')" if attributes else ""
        raise ConfigurationError(f"ACTIVITYLOG[{key!r}]: {exc}{hint}") from None
    if not callable(found):
        raise ConfigurationError(f"ACTIVITYLOG[{key!r}]: {value} is not callable")
    return found  # type: ignore[no-any-return]


def _attribute_path(names: list[str]) -> Resolver:
    from django.core.exceptions import ObjectDoesNotExist

    def resolve(request: Any) -> Any:
        value = request
        for name in names:
            try:
                value = getattr(value, name)
            except (AttributeError, ObjectDoesNotExist):
                return None
            if value is None:
                return None
        return value

    return resolve


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"ACTIVITYLOG[{key!r}] must be True or False (got {value!r})")
    return value


def _names(key: str, value: Any) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigurationError(f"ACTIVITYLOG[{key!r}] must be a list of field names")
    names = list(value)
    if not all(isinstance(name, str) and name for name in names):
        raise ConfigurationError(f"ACTIVITYLOG[{key!r}] must be a list of field names")
    return frozenset(names)
