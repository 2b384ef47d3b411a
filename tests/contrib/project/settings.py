"""Settings of the test project. ``ACTIVITYLOG_DJANGO_TEST_DIR`` (set by the conftest) holds
both databases: Django's (SQLite) and the activitylog store."""

import os
from pathlib import Path

HERE = Path(os.environ["ACTIVITYLOG_DJANGO_TEST_DIR"])

SECRET_KEY = "activitylog-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "contrib.project.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "activitylog.contrib.django",
    "contrib.project.shop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "activitylog.contrib.django.middleware.ActivityLogMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(HERE / "app.db")}}

ACTIVITYLOG = {
    "DB": f"sqlite:///{HERE / 'activitylog.db'}",
    "WORKSPACE": "request.user.profile.workspace",
    "TRUSTED_PROXIES": ["10.0.0.0/8"],
    "EXCLUDE": ["last_login"],
}
