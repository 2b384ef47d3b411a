"""The ACTIVITYLOG setting: checked once, resolvers, where the log comes from."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("django", reason="the Django integration needs Django (the test extra)")

from django.conf import settings
from django.test import override_settings

from activitylog import ActivityLog
from activitylog.contrib.django import get_log
from activitylog.contrib.django.registry import snake_case
from activitylog.contrib.django.settings import Config, config
from activitylog.errors import ConfigurationError
from activitylog.settings import Settings


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"DATABASE": "x"}, "unknown key"),
        ({"DB": ""}, "DB"),
        ({"TRUSTED_PROXIES": ["not-an-ip"]}, "TRUSTED_PROXIES"),
        ({"MASK": "ssn"}, "MASK"),
        ({"WORKSPACE": "no.such.module.function"}, "WORKSPACE"),
        ({"WORKSPACE": 5}, "WORKSPACE"),
        ({"DEFAULT_WORKSPACE": ""}, "DEFAULT_WORKSPACE"),
        ({"REQUEST_ID_HEADER": " "}, "REQUEST_ID_HEADER"),
        ({"WRITE": "later"}, "WRITE"),
        ({"MASK_WITH": "no.such.module.mask"}, "MASK_WITH"),
        ({"RECORD_RAW_SAVES": "yes"}, "RECORD_RAW_SAVES"),
    ],
)
def test_bad_settings_name_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Config.of(raw)


def test_resolvers_by_attribute_path_and_dotted_path() -> None:
    cfg = Config.of(
        {"WORKSPACE": "request.user.profile.workspace", "ACTOR": "contrib.conftest.acme"}
    )
    assert cfg.workspace is not None
    request = SimpleNamespace(user=SimpleNamespace(profile=SimpleNamespace(workspace="acme")))
    assert cfg.workspace(request) == "acme"
    assert cfg.workspace(SimpleNamespace(user=SimpleNamespace())) is None
    assert callable(cfg.actor)


def test_the_setting_is_read_once_and_again_when_overridden() -> None:
    first = config()
    assert config() is first
    with override_settings(ACTIVITYLOG={**settings.ACTIVITYLOG, "MASK": ["email"]}):
        assert config().mask == frozenset({"email"})
    assert config().mask == frozenset()


def test_the_log_opens_the_db_setting(activitylog_db: str) -> None:
    assert get_log().url == activitylog_db


def test_the_log_setting_wins_over_db(tmp_path: Path) -> None:
    given = ActivityLog(
        f"sqlite:///{tmp_path / 'given.db'}", settings=Settings(signing_key=tmp_path / "k.pem")
    )
    with override_settings(ACTIVITYLOG={**settings.ACTIVITYLOG, "LOG": given}):
        assert get_log() is given
    given.close()


def test_type_names_are_snake_case() -> None:
    assert snake_case("TicketComment") == "ticket_comment"
    assert snake_case("HTTPLog") == "http_log"
    assert snake_case("Contact") == "contact"


def test_every_setting_is_documented() -> None:
    from activitylog.contrib.django.settings import DEFAULTS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "CAPTURE.md").read_text()
    section = docs[docs.index("## Django") :]
    for key in DEFAULTS:
        assert f"`{key}`" in section.split("### `register(")[0], key


def test_the_public_api() -> None:
    import activitylog.contrib.django as package

    assert sorted(package.__all__) == [
        "AuditedQuerySetMixin",
        "IDS_CAP",
        "disable_capture",
        "flush",
        "get_log",
        "keep_last",
        "register",
        "registered",
        "unregister",
    ]
