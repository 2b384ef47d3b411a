"""Filter values that can never match: a category the catalog does not have, or an event
(an action when dotted, else a verb) that is neither the catalog's nor ever recorded.

Such a value is a typo, not an empty answer, so reading with one is a
:class:`~activitylog.errors.ValidationError` naming the parameter and the value. Results and
layers are checked by :class:`~activitylog.query.Filters` itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from activitylog.catalog import READ_VERBS, Catalog
from activitylog.errors import FieldError
from activitylog.events import ACTION_PATTERN

_ACTION = re.compile(ACTION_PATTERN)
_VERB = re.compile(r"[a-z][a-z0-9_]*")


def unknown_values(
    catalog: Catalog,
    categories: Sequence[str],
    events: Sequence[str],
    recorded_actions: Callable[[], Collection[str]],
) -> list[FieldError]:
    """One error per value that cannot match. ``recorded_actions`` returns the actions
    stored in the log (that the reader may see); it is called only for an event the
    catalog does not know, at most once."""
    errors = [
        FieldError("category", f"unknown category {value!r}; expected one of {', '.join(known)}")
        for known in [catalog.categories]
        for value in categories
        if value not in known
    ]
    named = catalog.actions | {action.rsplit(".", 1)[-1] for action in catalog.actions}
    named |= READ_VERBS
    recorded: set[str] | None = None
    for value in events:
        if not (_ACTION.fullmatch(value) if "." in value else _VERB.fullmatch(value)):
            errors.append(FieldError("events", f"{value!r} is not an action or a verb"))
            continue
        if value in named:
            continue
        if recorded is None:
            actions = set(recorded_actions())
            recorded = actions | {action.rsplit(".", 1)[-1] for action in actions}
        if value not in recorded:
            kind = "action" if "." in value else "verb"
            errors.append(
                FieldError("events", f"unknown event {value!r}: no such {kind} in the log")
            )
    return errors
