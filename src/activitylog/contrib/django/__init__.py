"""Django integration: model changes, bulk operations, sign-ins and request context,
recorded to activitylog's own store once the transaction commits::

    INSTALLED_APPS = [..., "activitylog.contrib.django"]
    MIDDLEWARE = [..., "django.contrib.auth.middleware.AuthenticationMiddleware",
                  "activitylog.contrib.django.middleware.ActivityLogMiddleware", ...]
    ACTIVITYLOG = {"DB": "sqlite:////var/lib/app/activitylog.db",
                   "WORKSPACE": "request.user.workspace_id", "TRUSTED_PROXIES": ["10.0.0.0/8"]}

    from activitylog.contrib.django import register

    @register(exclude=["updated_at"], mask=["ssn"])
    class Contact(models.Model): ...

docs/CAPTURE.md ("Django") has the whole story: settings, event shapes, what is and is not
recorded, and when.
"""

from activitylog.contrib.django.background import flush
from activitylog.contrib.django.policy import keep_last
from activitylog.contrib.django.querysets import IDS_CAP, AuditedQuerySetMixin
from activitylog.contrib.django.recording import get_log
from activitylog.contrib.django.registry import register, registered, unregister
from activitylog.contrib.django.switch import disable_capture

__all__ = [
    "IDS_CAP",
    "AuditedQuerySetMixin",
    "disable_capture",
    "flush",
    "get_log",
    "keep_last",
    "register",
    "registered",
    "unregister",
]
