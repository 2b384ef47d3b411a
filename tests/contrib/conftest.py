"""A real Django project (``contrib.project``: SQLite in a temporary directory, the shop
app, ``migrate --run-syncdb``) set up once per test process; each test gets a fresh
activitylog store (``ACTIVITYLOG["DB"]``) and empty Django tables.

Django is in the ``test`` extra: without it these tests skip, except in CI, where they fail.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
HAVE_DJANGO = importlib.util.find_spec("django") is not None
if not HAVE_DJANGO and IN_CI:
    raise RuntimeError("CI needs Django for tests/contrib: pip install -e '.[test]'")

_DIRECTORY = tempfile.mkdtemp(prefix="activitylog-django-")
if HAVE_DJANGO:
    import django
    from django.core.management import call_command

    os.environ["ACTIVITYLOG_DJANGO_TEST_DIR"] = _DIRECTORY
    os.environ["DJANGO_SETTINGS_MODULE"] = "contrib.project.settings"
    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)


#: Tables kept between tests (filled by migrate).
_KEPT = {"django_content_type", "auth_permission", "auth_group", "auth_group_permissions"}


@pytest.fixture(scope="session", autouse=True)
def _remove_directory() -> Iterator[None]:
    yield
    shutil.rmtree(_DIRECTORY, ignore_errors=True)


@pytest.fixture(autouse=True)
def activitylog_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh store for the test (keys in its temporary directory); Django's tables are
    emptied afterwards."""
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("ACTIVITYLOG_SECRET_KEY", str(tmp_path / "secret-key"))
    url = f"sqlite:///{tmp_path / 'activitylog.db'}"
    try:
        with override_settings(ACTIVITYLOG={**settings.ACTIVITYLOG, "DB": url}):
            yield url
    finally:
        tables = set(connection.introspection.table_names()) - _KEPT
        with connection.constraint_checks_disabled(), connection.cursor() as cursor:
            for table in sorted(tables):
                cursor.execute(f'DELETE FROM "{table}"')


@pytest.fixture
def events() -> Callable[..., list[dict[str, Any]]]:
    """``events(action=None)``: what the store holds, oldest first (all workspaces)."""
    from activitylog.contrib.django import get_log

    def read(action: str | None = None, prefix: str | None = None) -> list[dict[str, Any]]:
        found = list(get_log().export(order="time"))
        if action is not None:
            found = [e for e in found if e["action"] == action]
        if prefix is not None:
            found = [e for e in found if e["action"].startswith(prefix)]
        return found

    return read


@pytest.fixture
def user() -> Any:
    """Ava, member of workspace acme, password ``s3cret-pass``."""
    from django.contrib.auth.models import User

    from activitylog.contrib.django import get_log
    from contrib.project.shop.models import Profile

    with get_log().context(workspace="acme"):
        ava = User.objects.create_user(
            "ava", email="ava@acme.io", password="s3cret-pass", first_name="Ava", last_name="T"
        )
        Profile.objects.create(user=ava, workspace="acme")
    return ava


@pytest.fixture
def acme() -> Iterator[None]:
    """Everything inside is recorded in workspace acme, by System."""
    from activitylog.contrib.django import get_log

    with get_log().context(workspace="acme"):
        yield
