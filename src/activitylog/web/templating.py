"""The Jinja environment of the web pages: ``templates`` over ``web/templates``, autoescaped.

Filters format numbers and times; only ``marked`` returns markup, escaping the text before
it wraps the search's matches in ``<mark>``, so event data is always escaped (a
description holding ``<script>`` renders as text).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi.templating import Jinja2Templates

from activitylog.stats import initials
from activitylog.web import presenters

TEMPLATES = Path(__file__).parent / "templates"
ROLE_LABELS = {
    "owner": "Owner",
    "admin": "Admin",
    "member": "Member",
    "viewer": "Viewer",
    "platform_admin": "Platform admin",
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=presenters.number,
        pct=_pct,
        role_label=role_label,
        category_label=presenters.category_label,
        verb_label=presenters.verb_label,
        pretty_json=presenters.pretty_json,
        relative=presenters.relative_time,
        initials=initials,
        count=presenters.count_text,
        seq=presenters.seq_text,
        marked=presenters.marked,
        matches=presenters.matches,
    )
    return env


def role_label(role: str | None) -> str:
    return ROLE_LABELS.get(role or "", (role or "").replace("_", " ").capitalize())


def _pct(value: Any) -> str:
    if value is None:
        return "—"
    return f"{abs(float(value)):,.1f}%"


templates = Jinja2Templates(env=_environment())
