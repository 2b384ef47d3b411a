"""The SMTP settings: read from the environment and the TOML file, bad values named where
they came from, the password never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from activitylog.config import load_settings
from activitylog.errors import ConfigurationError
from activitylog.settings import Settings


def test_the_defaults_send_no_email_and_use_starttls_on_587() -> None:
    settings = Settings.from_env({})
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (None, 587, True)
    assert (settings.smtp_user, settings.smtp_password, settings.smtp_from) == (None, None, None)


def test_the_environment_and_the_file(tmp_path: Path) -> None:
    env = {
        "ACTIVITYLOG_SMTP_HOST": "smtp.example.com",
        "ACTIVITYLOG_SMTP_STARTTLS": "false",
        "ACTIVITYLOG_SMTP_PASSWORD": "s3cret!",
    }
    config = tmp_path / "activitylog.toml"
    config.write_text('smtp_port = 2525\nsmtp_user = "alerts"\nsmtp_from = "a@example.com"\n')
    settings = load_settings({}, env=env, config_file=str(config))
    assert settings.smtp_host == "smtp.example.com"
    assert (settings.smtp_port, settings.smtp_starttls, settings.smtp_user) == (
        2525,
        False,
        "alerts",
    )
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "s3cret!"
    assert "s3cret!" not in repr(settings)
    assert settings.smtp_from == "a@example.com"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ACTIVITYLOG_SMTP_PORT": "0"}, "ACTIVITYLOG_SMTP_PORT: must be between 1 and 65535"),
        (
            {"ACTIVITYLOG_SMTP_STARTTLS": "maybe"},
            "ACTIVITYLOG_SMTP_STARTTLS: must be true or false",
        ),
        ({"ACTIVITYLOG_SMTP_FROM": "  "}, "ACTIVITYLOG_SMTP_FROM: must not be empty"),
    ],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env(env)


def test_a_file_value_of_the_wrong_type_names_the_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "activitylog.toml"
    config.write_text('smtp_starttls = "yes"\n')
    with pytest.raises(ConfigurationError, match="smtp_starttls: must be true or false"):
        load_settings({}, env={}, config_file=str(config))
