"""The Django app: add ``"activitylog.contrib.django"`` to ``INSTALLED_APPS``."""

from __future__ import annotations

from django.apps import AppConfig


class ActivityLogConfig(AppConfig):
    """Checks the ``ACTIVITYLOG`` setting at start-up (a bad one fails ``manage.py check``
    and every command, not the first request) and, unless ``AUTH_SIGNALS`` is False, records
    Django's sign-in signals. It has no models and no migrations: events go to the
    activitylog store, never to a table of the project's database."""

    name = "activitylog.contrib.django"
    label = "activitylog"
    verbose_name = "Activity log"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from activitylog.contrib.django import settings

        setting_changed.connect(settings.setting_changed, dispatch_uid="activitylog:settings")
        settings.on_reset(_follow_auth_setting)
        _follow_auth_setting()


def _follow_auth_setting() -> None:
    from django.apps import apps

    from activitylog.contrib.django import auth
    from activitylog.contrib.django.settings import config

    if config().auth_signals and apps.is_installed("django.contrib.auth"):
        auth.connect()
    else:
        auth.disconnect()
