"""What a stream is: :class:`Stream`, and the checks a new one passes (:func:`new_stream`),
each bad field named with its reason. No database or network (a file destination's folder
and a CA bundle are looked for on disk).

A destination is one of ``url`` (an HTTPS webhook; ``http://`` only to a loopback host),
``syslog`` (``HOST:PORT``, ``[v6]:PORT``; optionally TLS) or ``file`` (a path, made
absolute). Filters are the filter fields people give to ``query`` (:data:`FILTER_FIELDS`),
checked by the same :class:`~activitylog.selection.Selection`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from activitylog.access import OPERATOR
from activitylog.accounts.fields import text_problem
from activitylog.destinations import literal_problem
from activitylog.errors import FieldError, ValidationError
from activitylog.query import Filters
from activitylog.selection import Selection
from activitylog.webhooks import check_secret, new_secret

Kind = Literal["webhook", "syslog", "file"]
FORMATS: tuple[str, ...] = ("json", "ocsf", "cef")
STARTS: dict[str, Literal["beginning", "end"]] = {"beginning": "beginning", "now": "end"}
#: Filter fields a stream keeps (lists, but ``search`` and ``layer``).
FILTER_FIELDS: tuple[str, ...] = (
    "categories",
    "events",
    "users",
    "roles",
    "results",
    "countries",
    "search",
    "layer",
)
_SCALAR_FILTERS = frozenset({"search", "layer"})
LOOPBACK_HOSTS = frozenset({"localhost"})
#: A host name as it goes on the wire (IDNA); an IP address is checked apart.
_HOST = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?")
FOLLOWER_PREFIX = "stream:"


@dataclass(frozen=True)
class Stream:
    """A stream as stored. ``workspace`` None: a platform stream (every workspace)."""

    id: str
    name: str
    workspace: str | None
    kind: Kind
    target: str
    format: str
    filters: dict[str, Any] = field(default_factory=dict, hash=False)
    tls: bool = False
    ca_file: str | None = None
    secret: str | None = field(default=None, repr=False)
    start: Literal["beginning", "end"] = "end"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    created_by: str = "operator"

    @property
    def follower_name(self) -> str:
        return FOLLOWER_PREFIX + self.id

    def selection_filters(self) -> Filters:
        """The stream's filters as the store and matcher take them (no time window)."""
        return selection_filters(self.filters)

    def to_dict(self) -> dict[str, Any]:
        """The stream as the CLI and API show it (never its secret)."""
        return {
            "id": self.id,
            "name": self.name,
            "workspace": self.workspace,
            "platform": self.workspace is None,
            "destination": self.kind,
            "target": self.target,
            "syslog_tls": self.tls,
            "format": self.format,
            "filters": dict(self.filters),
            "from": "beginning" if self.start == "beginning" else "now",
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "created_by": self.created_by,
        }


def selection_filters(values: dict[str, Any]) -> Filters:
    """Filters from stored or given filter fields, checked as ``query`` checks them."""
    lists = {k: tuple(values.get(k) or ()) for k in FILTER_FIELDS if k not in _SCALAR_FILTERS}
    selection = Selection(
        viewer=OPERATOR,
        users=lists["users"],
        categories=lists["categories"],
        events=lists["events"],
        results=lists["results"],
        roles=lists["roles"],
        layer=values.get("layer") or None,
        countries=lists["countries"],
        search=values.get("search") or None,
    )
    return selection.resolve(default_range=None)[1]


def clean_filters(values: Any) -> dict[str, Any]:
    """Only the filter fields that are set, lists as lists of strings; every unknown or
    ill-typed field named (as ``filters.<field>``)."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValidationError([FieldError("filters", "must be an object")])
    errors: list[FieldError] = []
    kept: dict[str, Any] = {}
    for key, value in values.items():
        if key not in FILTER_FIELDS:
            errors.append(
                FieldError(f"filters.{key}", f"unknown filter; use {', '.join(FILTER_FIELDS)}")
            )
        elif key in _SCALAR_FILTERS:
            if value is not None and not isinstance(value, str):
                errors.append(FieldError(f"filters.{key}", "must be a string"))
            elif value:
                kept[key] = value
        elif isinstance(value, str):
            if value:
                kept[key] = [value]
        elif not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            errors.append(FieldError(f"filters.{key}", "must be a list of strings"))
        elif value:
            kept[key] = [str(v) for v in value]
    if errors:
        raise ValidationError(errors)
    if "countries" in kept:
        kept["countries"] = [c.strip().upper() for c in kept["countries"]]
    try:
        selection_filters(kept)
    except ValidationError as exc:
        raise ValidationError(
            [replace(e, field=f"filters.{_filter_name(e.field)}") for e in exc.errors]
        ) from None
    return kept


def _filter_name(name: str) -> str:
    return {"result": "results", "role": "roles", "user": "users"}.get(name, name)


def url_problem(url: str) -> str | None:
    """A webhook URL must be https://, or http:// to a loopback host."""
    if any(c.isspace() or not c.isprintable() for c in url):
        return "is not a valid URL (spaces or control characters)"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "is not a valid URL"
    if parsed.scheme not in ("https", "http") or not parsed.host:
        return "must be an https:// URL"
    host = parsed.raw_host.decode("ascii", "replace").lower()
    if not (_HOST.fullmatch(host) or _is_address(host)):
        return "is not a valid URL (host)"
    if parsed.scheme == "http" and not is_loopback(parsed.host):
        return "must use https:// (http:// only to 127.0.0.1, ::1 or localhost)"
    if parsed.userinfo:
        return "must not hold a user name or password"
    return None


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_hostport(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT``; ValueError saying why not."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError("must be HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError("write an IPv6 address in brackets: [::1]:514")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("port must be a number from 1 to 65535")
    if any(c.isspace() or c in "/@" for c in host):
        raise ValueError("host is not a host name or address")
    return host, int(port)


def new_stream(
    *,
    name: Any,
    workspace: str | None,
    url: Any = None,
    syslog: Any = None,
    file: Any = None,
    syslog_tls: Any = False,
    syslog_ca: Any = None,
    format: Any = "json",
    filters: Any = None,
    secret: Any = None,
    start: Any = "now",
    created_by: str = "operator",
    allow_private: bool = False,
) -> Stream:
    """A new stream from what a person gave, with a fresh id (``st_`` + 16 hex digits) and,
    for a webhook, a fresh ``whsec_`` secret unless one is given."""
    errors: list[FieldError] = []

    def problem(name_: str, reason: str | None) -> None:
        if reason:
            errors.append(FieldError(name_, reason))

    problem("name", text_problem(name))
    if workspace is not None:
        problem("workspace", text_problem(workspace))
    given = [(k, v) for k, v in (("url", url), ("syslog", syslog), ("file", file)) if v]
    kind: Kind = "webhook"
    target = ""
    if len(given) != 1:
        problem("destination", "give exactly one of url, syslog or file")
    else:
        key, value = given[0]
        if not isinstance(value, str):
            problem(key, "must be a string")
        elif key == "url":
            kind, target = "webhook", value.strip()
            problem("url", url_problem(target) or _private(target, allow_private))
        elif key == "syslog":
            kind, target = "syslog", value.strip()
            try:
                host, _ = parse_hostport(target)
            except ValueError as exc:
                problem("syslog", str(exc))
            else:
                problem("syslog", None if allow_private else literal_problem(host))
        else:
            kind, target = "file", os.path.abspath(value)
            problem("file", _file_problem(target))
    if not isinstance(syslog_tls, bool):
        problem("syslog_tls", "must be true or false")
    elif (syslog_tls or syslog_ca) and kind != "syslog":
        problem("syslog_tls", "is for syslog destinations")
    if syslog_ca is not None and (not isinstance(syslog_ca, str) or not os.path.isfile(syslog_ca)):
        problem("syslog_ca", "must be the path of a CA bundle file (PEM)")
    if not isinstance(format, str) or format not in FORMATS:
        problem("format", f"must be one of {', '.join(FORMATS)}")
    if not isinstance(start, str) or start not in STARTS:
        problem("from", "must be beginning or now")
    if secret is not None and kind != "webhook":
        problem("secret", "is for webhook destinations")
    elif secret is not None:
        try:
            check_secret(secret if isinstance(secret, str) else "")
        except ValueError as exc:
            problem("secret", str(exc))
    try:
        kept = clean_filters(filters)
    except ValidationError as exc:
        errors.extend(exc.errors)
        kept = {}
    if errors:
        raise ValidationError(errors)
    return Stream(
        id="st_" + secrets.token_hex(8),
        name=str(name).strip(),
        workspace=workspace,
        kind=kind,
        target=target,
        format=str(format),
        filters=kept,
        tls=bool(syslog_tls or syslog_ca),
        ca_file=os.path.abspath(syslog_ca) if syslog_ca else None,
        secret=(secret or new_secret()) if kind == "webhook" else None,
        start=STARTS[str(start)],
        created_by=created_by,
    )


def _private(url: str, allow_private: bool) -> str | None:
    """Why a webhook's host is refused (a literal private address, this machine)."""
    return None if allow_private else literal_problem(httpx.URL(url).host)


def _file_problem(path: str) -> str | None:
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        return f"folder {folder} does not exist"
    if os.path.isdir(path):
        return "is a folder; give a file path"
    return None
