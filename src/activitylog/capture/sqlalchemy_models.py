"""How one SQLAlchemy model is captured: a :class:`ModelSpec`, resolved once per mapped
class from :func:`~activitylog.capture.sqlalchemy.track`'s options and the class's
``__activitylog__`` dict — its type, field policy, columns and relationships, where
its subject's name and url and its workspace come from, and how its updates are named.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Column, inspect
from sqlalchemy.orm import InstanceState, Mapper, RelationshipDirection

from activitylog.capture.changes import FieldPolicy, json_value
from activitylog.capture.sqlalchemy_actions import (
    PerModelActions,
    UpdateActions,
    model_actions,
    update_actions,
)
from activitylog.errors import ConfigurationError
from activitylog.events import ACTION_PATTERN, JSON_MAX_BYTES, NAME_MAX, URL_MAX

#: The keys a model's ``__activitylog__`` dict may hold.
MODEL_OPTIONS = frozenset(
    {"type", "exclude", "mask", "mask_defaults", "workspace", "name", "url", "actions"}
)
#: Columns that name a record, in order of preference, when no ``name`` option is given.
NAME_COLUMNS = ("name", "title", "display_name", "full_name", "username", "email", "label")
#: A string value longer than this is shortened when an event would exceed 64 KiB.
LONG_TEXT = 1000
MANYTOONE = RelationshipDirection.MANYTOONE
_ACTION = re.compile(ACTION_PATTERN)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

Workspace = str | Callable[[Any], object] | None
PerModel = Iterable[str] | Mapping[type, Iterable[str]]


def snake_case(cls: type) -> str:
    """``Contact`` -> ``contact``, ``APIKey`` -> ``api_key``, ``TeamMember`` -> ``team_member``."""
    return _CAMEL.sub("_", cls.__name__).lower()


@dataclass(frozen=True)
class Options:
    """:func:`track`'s options, before they meet a class."""

    exclude: PerModel = ()
    mask: PerModel = ()
    mask_defaults: bool = True
    workspace: Workspace = None
    name: str | Callable[[Any], object] | None = None
    url: str | Callable[[Any], object] | None = None
    type_name: Callable[[type], str] | None = None
    actions: PerModelActions = None

    def names(self, which: PerModel, cls: type) -> set[str]:
        if isinstance(which, Mapping):
            return {n for base in cls.__mro__ for n in which.get(base, ())}
        return set(which)


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """How instances of one mapped class become events."""

    mapper: Mapper[Any]
    type: str
    policy: FieldPolicy
    #: Every column attribute, and the kept ones (in mapper order), the primary key's.
    all_columns: tuple[str, ...]
    columns: tuple[str, ...]
    column_set: frozenset[str]
    pk: tuple[str, ...]
    #: Kept columns the database may fill in itself (server defaults, computed, identity).
    generated: frozenset[str]
    #: Columns the subject and the workspace are read from, and the default name's.
    context_columns: tuple[str, ...]
    name_columns: tuple[str, ...]
    #: Kept to-many relationships (one-to-many, many-to-many) and many-to-one ones.
    to_many: frozenset[str]
    to_one: frozenset[str]
    #: The action of an update: ``<type>.updated`` or the verb its rules name.
    updates: UpdateActions
    #: Workspace: a column or attribute to read, a constant, or a function of the instance.
    workspace_attr: str | None = None
    workspace_value: str | None = None
    workspace_fn: Callable[[Any], object] | None = None
    name_attr: str | None = None
    name_fn: Callable[[Any], object] | None = None
    url_template: str | None = None
    url_fn: Callable[[Any], object] | None = None

    def action(self, verb: str) -> str:
        return f"{self.type}.{verb}"

    def update_action(self, obj: Any, changes: Mapping[str, Any]) -> str:
        """The action of an update of ``obj`` with ``changes`` (as the event holds them)."""
        return self.updates.action(obj, changes)

    @property
    def workspace_column(self) -> Column[Any] | None:
        """The column holding the workspace, for statements that touch many rows."""
        attr = self.workspace_attr
        if attr is None or attr not in self.mapper.column_attrs:
            return None
        return self.mapper.column_attrs[attr].columns[0]  # type: ignore[return-value]

    def identity(self, state: InstanceState[Any]) -> tuple[Any, ...]:
        if state.key is not None:
            return tuple(state.key[1])
        return tuple(state.dict.get(k) for k in self.pk)

    def ident(self, state: InstanceState[Any]) -> Any:
        """The primary key as ids lists show it: the value, or a list for a composite key."""
        return key_value(self.identity(state))

    def subject(self, state: InstanceState[Any], values: Mapping[str, Any]) -> dict[str, Any]:
        subject: dict[str, Any] = {"type": self.type, "id": key_text(self.identity(state))}
        name = self.name_of(state, values)
        if name:
            subject["name"] = name[:NAME_MAX]
        url = self.url_of(state, values)
        if url:
            subject["url"] = url[:URL_MAX]
        return subject

    def name_of(self, state: InstanceState[Any], values: Mapping[str, Any]) -> str | None:
        if self.name_fn is not None:
            name = self.name_fn(state.obj())
        elif self.name_attr is not None:
            attr = self.name_attr
            name = values[attr] if attr in values else getattr(state.obj(), attr, None)
        else:
            name = next((values[c] for c in self.name_columns if values.get(c)), None)
        return None if name is None else str(name)

    def url_of(self, state: InstanceState[Any], values: Mapping[str, Any]) -> str | None:
        if self.url_fn is not None:
            url = self.url_fn(state.obj())
            return None if url is None else str(url)
        if self.url_template is not None:
            return self.url_template.format_map(values)
        return None

    def workspace_of(self, state: InstanceState[Any], values: Mapping[str, Any]) -> str | None:
        if self.workspace_fn is not None:
            found = self.workspace_fn(state.obj())
        elif self.workspace_attr is not None:
            attr = self.workspace_attr
            found = values[attr] if attr in values else getattr(state.obj(), attr, None)
        else:
            found = self.workspace_value
        return None if found is None else str(json_value(found))


def model_spec(cls: type, options: Options) -> ModelSpec:
    """Resolve how ``cls`` (a mapped class) is captured; a bad option raises
    :class:`ConfigurationError` naming the class and the option."""
    mapper: Mapper[Any] = inspect(cls)
    own = _model_options(cls)
    type_ = own.get("type") or (options.type_name or snake_case)(cls)
    if not isinstance(type_, str) or not _ACTION.fullmatch(f"{type_}.created"):
        raise ConfigurationError(
            f"{cls.__name__}: type {type_!r} cannot start an action name like 'contact.created'"
            " (lowercase letters, digits and _; dots between words)"
        )
    exclude = options.names(options.exclude, cls) | set(own.get("exclude", ()))
    mask = options.names(options.mask, cls) | set(own.get("mask", ()))
    asked = FieldPolicy.of(
        exclude, mask, mask_defaults=bool(own.get("mask_defaults", options.mask_defaults))
    )
    all_columns = tuple(p.key for p in mapper.column_attrs)
    # The same policy with the default patterns matched once per attribute, not per value.
    masked = {n for n in (*all_columns, *mapper.relationships.keys()) if asked.masks(n)}
    policy = FieldPolicy(asked.exclude, frozenset(masked), mask_defaults=False)
    relations = {r.key: r.direction for r in mapper.relationships if policy.keeps(r.key)}
    named = set(own.get("exclude", ())) | set(own.get("mask", ()))
    for per_model in (options.exclude, options.mask):
        if isinstance(per_model, Mapping):
            named |= options.names(per_model, cls)
    unknown = named - set(all_columns) - set(mapper.relationships.keys())
    if unknown:  # a list for every model may name fields some models lack; this may not
        raise ConfigurationError(f"{cls.__name__} has no attribute(s) {sorted(unknown)}")
    columns = tuple(c for c in all_columns if policy.keeps(c))
    actions, given = model_actions(options.actions, cls)
    if "actions" in own:
        actions, given = own["actions"], True
    updates = update_actions(
        cls,
        type_,
        actions,
        own=given,
        fields=(*all_columns, *mapper.relationships.keys()),
        policy=policy,
    )
    return ModelSpec(
        mapper=mapper,
        type=type_,
        policy=policy,
        all_columns=all_columns,
        columns=columns,
        column_set=frozenset(columns),
        pk=tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key),
        generated=frozenset(c for c in columns if _generated(mapper, c)),
        context_columns=_context_columns(cls, own, options, columns, all_columns, policy),
        name_columns=tuple(c for c in NAME_COLUMNS if c in columns and c not in policy.mask),
        to_many=frozenset(k for k, d in relations.items() if d is not MANYTOONE),
        to_one=frozenset(k for k, d in relations.items() if d is MANYTOONE),
        updates=updates,
        **_workspace(cls, own.get("workspace", options.workspace)),
        **_name(cls, own.get("name", options.name)),
        **_url(cls, own.get("url", options.url), all_columns),
    )


def _context_columns(
    cls: type,
    own: Mapping[str, Any],
    options: Options,
    columns: Sequence[str],
    all_columns: Sequence[str],
    policy: FieldPolicy,
) -> tuple[str, ...]:
    wanted: list[str] = []
    for option in (own.get("workspace", options.workspace), own.get("name", options.name)):
        if isinstance(option, str) and option in all_columns:
            wanted.append(option)
    if own.get("name", options.name) is None:
        wanted += [c for c in NAME_COLUMNS if c in columns and not policy.masks(c)][:1]
    url = own.get("url", options.url)
    if isinstance(url, str):
        wanted += [f for _, f, _, _ in string.Formatter().parse(url) if f and f in all_columns]
    return tuple(dict.fromkeys(wanted))


def _model_options(cls: type) -> Mapping[str, Any]:
    own = getattr(cls, "__activitylog__", None) or {}
    if not isinstance(own, Mapping):
        raise ConfigurationError(f"{cls.__name__}.__activitylog__ must be a dict")
    unknown = set(own) - MODEL_OPTIONS
    if unknown:
        raise ConfigurationError(
            f"{cls.__name__}.__activitylog__: unknown option(s) {sorted(unknown)};"
            f" use {', '.join(sorted(MODEL_OPTIONS))}"
        )
    for key in ("exclude", "mask"):
        if isinstance(own.get(key), str):
            raise ConfigurationError(f"{cls.__name__}.__activitylog__[{key!r}] must be a list")
    return own


def _generated(mapper: Mapper[Any], key: str) -> bool:
    column = mapper.column_attrs[key].columns[0]
    if not isinstance(column, Column):
        return False
    return (
        column.server_default is not None
        or column.computed is not None
        or column.identity is not None
    )


def _workspace(cls: type, option: Workspace) -> dict[str, Any]:
    if option is None:
        return {}
    if callable(option):
        return {"workspace_fn": option}
    if isinstance(option, str):
        # The name of an attribute of the model, else the workspace itself.
        return {"workspace_attr": option} if hasattr(cls, option) else {"workspace_value": option}
    raise ConfigurationError(f"{cls.__name__}: workspace must be a string or a function")


def _name(cls: type, option: str | Callable[[Any], object] | None) -> dict[str, Any]:
    if option is None:
        return {}
    if callable(option):
        return {"name_fn": option}
    if isinstance(option, str) and hasattr(cls, option):
        return {"name_attr": option}
    raise ConfigurationError(f"{cls.__name__}: name must be an attribute name or a function")


def _url(
    cls: type, option: str | Callable[[Any], object] | None, columns: Sequence[str]
) -> dict[str, Any]:
    if option is None:
        return {}
    if callable(option):
        return {"url_fn": option}
    if isinstance(option, str):
        fields = {f for _, f, _, _ in string.Formatter().parse(option) if f is not None}
        unknown = fields - set(columns)
        if unknown:
            raise ConfigurationError(
                f"{cls.__name__}: url template {option!r} names no column {sorted(unknown)}"
            )
        return {"url_template": option}
    raise ConfigurationError(f"{cls.__name__}: url must be a template string or a function")


def key_value(identity: Sequence[Any]) -> Any:
    return json_value(identity[0]) if len(identity) == 1 else [json_value(v) for v in identity]


def key_text(identity: Sequence[Any]) -> str:
    return ",".join(str(json_value(v)) for v in identity)


# -- size and content limits of the event schema ------------------------------------------
def fit(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` within what an event may hold: NUL characters replaced, long strings
    shortened when the whole would exceed 64 KiB (and, if that is not enough, the largest
    values replaced by a note of their size)."""
    encoded = orjson.dumps(values, option=orjson.OPT_NON_STR_KEYS)
    if len(encoded) <= JSON_MAX_BYTES and b"\\u0000" not in encoded:
        return values
    values = {k: _clean(v) for k, v in values.items()}
    for key, size in sorted(_sizes(values).items(), key=lambda item: -item[1]):
        if len(orjson.dumps(values, option=orjson.OPT_NON_STR_KEYS)) <= JSON_MAX_BYTES:
            break
        values[key] = f"<{size:,} bytes, too large to record>"
    return values


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\x00", "\ufffd")
        if len(value) > LONG_TEXT:
            return f"{value[:LONG_TEXT]}… ({len(value):,} characters)"
        return value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _sizes(values: Mapping[str, Any]) -> dict[str, int]:
    return {k: len(orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS)) for k, v in values.items()}
