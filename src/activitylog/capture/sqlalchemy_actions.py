"""The action a tracked row's update records: ``<type>.updated``, or a domain verb named by
the ``actions`` option of :func:`~activitylog.capture.sqlalchemy.track` (or of a model's
``__activitylog__``), so that a new assignee records ``conversation.assigned``::

    actions={"assignee_id": "assigned",
             "status": {"resolved": "resolved", "open": "reopened"}}

A mapping's rules are tried in order: ``{field: verb}`` matches when the field changed,
``{field: {new_value: verb}}`` when it changed to that value. A function
``(instance, changes) -> verb | None`` decides by itself. No match (or None): ``updated``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, cast

from activitylog.capture.changes import FieldPolicy, json_value
from activitylog.errors import ConfigurationError
from activitylog.events import NAME_MAX

#: The verb of an update no rule names.
UPDATED = "updated"
#: A verb is one segment of an action: lowercase letters, digits and _.
VERB_PATTERN = r"[a-z][a-z0-9_]*"
_VERB = re.compile(VERB_PATTERN)

#: ``(instance, changes) -> verb | None``; ``changes`` as the event holds them.
VerbFunction = Callable[[Any, Mapping[str, Any]], str | None]
Actions = Mapping[str, str | Mapping[Any, str]] | VerbFunction | None
#: track()'s ``actions``: one value for every model, or ``{Model: value}``.
PerModelActions = Actions | Mapping[type, Actions]


@dataclass(frozen=True)
class Rule:
    """``field`` changed (to one of ``values``, JSON form -> verb, when ``verb`` is None)."""

    field: str
    verb: str | None = None
    values: tuple[tuple[Any, str], ...] = ()

    def match(self, changes: Mapping[str, Any]) -> str | None:
        change = changes.get(self.field)
        if change is None:
            return None
        if self.verb is not None:
            return self.verb
        after = change.get("after")
        return next((verb for value, verb in self.values if _same(after, value)), None)


@dataclass(frozen=True)
class UpdateActions:
    """How one model's updates are named: its ``type``, and rules or a function."""

    type: str
    #: The class name, for errors.
    model: str
    rules: tuple[Rule, ...] = ()
    function: VerbFunction | None = None

    def action(self, obj: Any, changes: Mapping[str, Any]) -> str:
        """``<type>.<verb>`` of an update of ``obj`` with ``changes`` (``{field: {before,
        after}}``); a function returning something not a verb raises
        :class:`ConfigurationError`."""
        if self.function is None:
            verb = next((v for rule in self.rules if (v := rule.match(changes))), UPDATED)
        else:
            found = self.function(obj, changes)
            verb = UPDATED if found is None else found
            _check(verb, f"{self.model}: actions function:", self.type)
        return f"{self.type}.{verb}"


def model_actions(option: PerModelActions, cls: type) -> tuple[Actions, bool]:
    """track()'s ``actions`` for ``cls``, and whether they were given for it (``{Model:
    ...}``, the most specific base wins) rather than for every model."""
    if not isinstance(option, Mapping) or not any(isinstance(k, type) for k in option):
        return cast(Actions, option), False
    if not all(isinstance(k, type) for k in option):
        raise ConfigurationError(
            "track(actions=...): give rules for every model ({field: verb}) or per model"
            " ({Model: {field: verb}}), not both in one mapping"
        )
    per_model = cast(Mapping[type, Actions], option)
    return next((per_model[base] for base in cls.__mro__ if base in per_model), None), True


def update_actions(
    cls: type,
    type_: str,
    option: Actions,
    *,
    own: bool,
    fields: Collection[str],
    policy: FieldPolicy,
) -> UpdateActions:
    """Resolve ``option`` for ``cls`` (a bad one raises :class:`ConfigurationError` naming
    the class and the rule). ``own``: given for this model, so a rule on a field it lacks
    is an error, not a rule that applies to other models only. ``fields``: its column and
    relationship attributes."""
    name = cls.__name__
    if option is None:
        return UpdateActions(type_, name)
    if callable(option) and not isinstance(option, Mapping):
        return UpdateActions(type_, name, function=option)
    if not isinstance(option, Mapping):
        raise ConfigurationError(
            f"{name}: actions must be a mapping {{field: verb}} or a function"
            " (instance, changes) -> verb"
        )
    rules: list[Rule] = []
    for field, rule in option.items():
        where = f"{name}: actions rule {field!r}:"
        if field not in fields:
            if own or not isinstance(field, str):
                raise ConfigurationError(f"{where} {name} has no attribute {field!r}")
            continue
        if not policy.keeps(field):
            raise ConfigurationError(f"{where} the field is excluded, so it never changes")
        if isinstance(rule, str):
            rules.append(Rule(field, verb=_check(rule, where, type_)))
        elif isinstance(rule, Mapping) and rule:
            if policy.masks(field):
                raise ConfigurationError(
                    f"{where} the field is masked, so its new value is never seen;"
                    " name one verb for any change"
                )
            values = tuple(
                (json_value(value), _check(verb, f"{where} value {value!r}:", type_))
                for value, verb in rule.items()
            )
            rules.append(Rule(field, values=values))
        else:
            raise ConfigurationError(
                f"{where} give a verb ('assigned') or {{new value: verb}}, not {rule!r}"
            )
    return UpdateActions(type_, name, tuple(rules))


def _check(verb: object, where: str, type_: str) -> str:
    if not isinstance(verb, str) or not _VERB.fullmatch(verb):
        raise ConfigurationError(
            f"{where} {verb!r} is not a verb like 'assigned' (lowercase letters, digits and _,"
            " starting with a letter)"
        )
    if len(type_) + 1 + len(verb) > NAME_MAX:
        raise ConfigurationError(f"{where} {type_}.{verb} is longer than {NAME_MAX} characters")
    return verb


def _same(after: Any, value: Any) -> bool:
    # True == 1 in Python; a boolean column's rule should not match an integer's value.
    return bool(after == value) and isinstance(after, bool) is isinstance(value, bool)
