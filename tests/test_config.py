"""Settings and their layers: flags > environment > TOML file > defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from activitylog.config import load_settings
from activitylog.errors import ConfigurationError
from activitylog.settings import KINDS, MIB, Settings

HOME = {"XDG_CONFIG_HOME": "/cfg", "XDG_CACHE_HOME": "/cache"}


@pytest.fixture(autouse=True)
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty directory, so no ./activitylog.toml is found by accident, and with
    no setting from the tests' environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ACTIVITYLOG_PRIVATE_DESTINATIONS")


def toml(tmp_path: Path, text: str, name: str = "settings.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_setting_has_a_kind_and_a_description() -> None:
    assert list(KINDS) == list(Settings.model_fields)
    for name, field in Settings.model_fields.items():
        assert field.description, name


def test_settings_read_every_variable_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIVITYLOG_DB", "sqlite:///from-env.db")
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", "/k/from-env.pem")
    monkeypatch.setenv("ACTIVITYLOG_PORT", "8123")
    monkeypatch.setenv("ACTIVITYLOG_HOST", "")  # empty counts as unset
    settings = Settings()
    assert (settings.db, settings.signing_key) == ("sqlite:///from-env.db", Path("/k/from-env.pem"))
    assert (settings.port, settings.host) == (8123, "127.0.0.1")
    assert Settings(db="sqlite:///given.db").db == "sqlite:///given.db"  # keywords win
    assert Settings() == Settings.from_env() == load_settings()


def test_replace_checks_and_keeps_the_rest() -> None:
    settings = Settings.from_env(HOME)
    moved = settings.replace(port=9000, witness_dir="~/w")
    assert (moved.port, moved.witness_dir) == (9000, Path("~/w").expanduser())
    assert moved.signing_key == settings.signing_key
    with pytest.raises(ConfigurationError, match=r"^port: must be between"):
        settings.replace(port=0)


def test_defaults() -> None:
    settings = load_settings(env=HOME)
    assert settings == Settings(
        db="sqlite:///activitylog.db",
        signing_key=Path("/cfg/activitylog/signing-key.pem"),
        checkpoint_every=1000,
        checkpoint_seconds=60.0,
        durability="full",
        secret_key=Path("/cfg/activitylog/secret-key"),
        host="127.0.0.1",
        port=8000,
        embed_origins=(),
        max_body_bytes=8 * MIB,
        api_key=None,
        spool_dir=Path("/cache/activitylog/spool"),
    )


def test_precedence_flags_over_env_over_file_over_defaults(tmp_path: Path) -> None:
    path = toml(
        tmp_path,
        'db = "sqlite:///file.db"\nport = 9000\nhost = "0.0.0.0"\ndurability = "normal"\n',
    )
    env = {
        **HOME,
        "ACTIVITYLOG_PORT": "9100",
        "ACTIVITYLOG_HOST": "10.0.0.1",
        "ACTIVITYLOG_DB": "",  # empty counts as unset
    }
    settings = load_settings({"host": "192.0.2.1", "port": None}, env=env, config_file=path)
    assert settings.host == "192.0.2.1"  # flag
    assert settings.port == 9100  # environment (the flag was None)
    assert settings.db == "sqlite:///file.db"  # file
    assert settings.durability == "normal"  # file
    assert settings.checkpoint_every == 1000  # default


def test_every_setting_from_a_file(tmp_path: Path) -> None:
    path = toml(
        tmp_path,
        """
db = "postgresql://log@db/log"
signing_key = "~/keys/signing.pem"
secret_key = "/etc/activitylog/secret"
host = "0.0.0.0"
port = 8080
checkpoint_every = 50
checkpoint_seconds = 5
durability = "normal"
embed_origins = ["https://App.Example.com/", "http://localhost:3000"]
max_body_bytes = 1048576
api_key = "alk_abc"
spool_dir = "/var/spool/activitylog"
""",
    )
    settings = load_settings(env=HOME, config_file=path)
    assert settings.db == "postgresql://log@db/log"
    assert settings.signing_key == Path("~/keys/signing.pem").expanduser()
    assert settings.secret_key == Path("/etc/activitylog/secret")
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)
    assert (settings.checkpoint_every, settings.checkpoint_seconds) == (50, 5.0)
    assert settings.embed_origins == ("https://app.example.com", "http://localhost:3000")
    assert settings.max_body_bytes == MIB
    assert settings.api_key == "alk_abc"
    assert settings.spool_dir == Path("/var/spool/activitylog")


def test_every_setting_from_the_environment() -> None:
    env = {
        "ACTIVITYLOG_DB": "sqlite:///env.db",
        "ACTIVITYLOG_SIGNING_KEY": "/k/signing.pem",
        "ACTIVITYLOG_SECRET_KEY": "/k/secret",
        "ACTIVITYLOG_HOST": "::1",
        "ACTIVITYLOG_PORT": "8443",
        "ACTIVITYLOG_CHECKPOINT_EVERY": "10",
        "ACTIVITYLOG_CHECKPOINT_SECONDS": "2.5",
        "ACTIVITYLOG_DURABILITY": "normal",
        "ACTIVITYLOG_EMBED_ORIGINS": "https://a.example.com, https://b.example.com:8443",
        "ACTIVITYLOG_MAX_BODY_BYTES": "1024",
        "ACTIVITYLOG_API_KEY": "alk_xyz",
        "ACTIVITYLOG_SPOOL_DIR": "/spool",
    }
    expected = Settings(
        db="sqlite:///env.db",
        signing_key=Path("/k/signing.pem"),
        secret_key=Path("/k/secret"),
        host="::1",
        port=8443,
        checkpoint_every=10,
        checkpoint_seconds=2.5,
        durability="normal",
        embed_origins=("https://a.example.com", "https://b.example.com:8443"),
        max_body_bytes=1024,
        api_key="alk_xyz",
        spool_dir=Path("/spool"),
    )
    assert load_settings(env=env) == expected
    assert Settings.from_env(env) == expected


def test_from_env_reads_no_file(tmp_path: Path) -> None:
    toml(tmp_path, "port = 9999\n", name="activitylog.toml")
    assert Settings.from_env(HOME).port == 8000
    assert load_settings(env=HOME).port == 9999


def test_the_file_is_named_by_argument_then_env_then_found_here(tmp_path: Path) -> None:
    named = toml(tmp_path, "port = 1111\n")
    from_env = toml(tmp_path, "port = 2222\n", name="env.toml")
    toml(tmp_path, "port = 3333\n", name="activitylog.toml")
    env = {**HOME, "ACTIVITYLOG_CONFIG": str(from_env)}
    assert load_settings(env=env, config_file=named).port == 1111
    assert load_settings(env=env).port == 2222
    assert load_settings(env=HOME).port == 3333


def test_a_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"missing\.toml does not exist"):
        load_settings(env=HOME, config_file=tmp_path / "missing.toml")
    with pytest.raises(ConfigurationError, match="ACTIVITYLOG_CONFIG"):
        load_settings(env={**HOME, "ACTIVITYLOG_CONFIG": str(tmp_path / "gone.toml")})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prot = 8000\n", "unknown setting 'prot'"),
        ("[server]\nport = 1\n", "unknown setting 'server'"),
        ('port = "8000"\n', "port: must be an integer"),
        ("port = true\n", "port: must be an integer"),
        ("port = 70000\n", "port: must be between 1 and 65535"),
        ("checkpoint_every = 0\n", "checkpoint_every: must be positive"),
        ("checkpoint_seconds = 1.5e0\ndurability = 'fast'\n", "durability: must be 'full'"),
        ('embed_origins = "https://a.example.com"\n', "embed_origins: must be an array"),
        ('embed_origins = ["https://a.example.com/path"]\n', "'https://a.example.com/path'"),
        ("signing_key = 7\n", "signing_key: must be a path"),
        ("host = ''\n", "host: must not be empty"),
        ("port = \n", "not valid TOML"),
        ("= nonsense", "not valid TOML"),
    ],
)
def test_bad_files_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = toml(tmp_path, text)
    with pytest.raises(ConfigurationError, match=r"settings\.toml") as exc:
        load_settings(env=HOME, config_file=path)
    assert message in str(exc.value)


def test_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_bytes(b"port = 1\n\xff\xfe")
    with pytest.raises(ConfigurationError, match=r"settings\.toml: not valid TOML"):
        load_settings(env=HOME, config_file=path)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ACTIVITYLOG_PORT", "eighty", "ACTIVITYLOG_PORT: must be an integer (got 'eighty')"),
        ("ACTIVITYLOG_CHECKPOINT_EVERY", "often", "ACTIVITYLOG_CHECKPOINT_EVERY: must be an"),
        ("ACTIVITYLOG_CHECKPOINT_SECONDS", "-1", "ACTIVITYLOG_CHECKPOINT_SECONDS: must be pos"),
        ("ACTIVITYLOG_MAX_BODY_BYTES", "0", "ACTIVITYLOG_MAX_BODY_BYTES: must be positive"),
        ("ACTIVITYLOG_DURABILITY", "fast", "ACTIVITYLOG_DURABILITY: must be 'full' or 'normal'"),
        ("ACTIVITYLOG_EMBED_ORIGINS", "https://ok.io,ftp://x.io", "'ftp://x.io' is not an origin"),
    ],
)
def test_bad_environment_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as exc:
        load_settings(env={**HOME, name: value})
    assert message in str(exc.value)
    with pytest.raises(ConfigurationError):
        Settings.from_env({**HOME, name: value})


@pytest.mark.parametrize(
    "origin",
    [
        "app.example.com",
        "https://",
        "https://app.example.com/embed",
        "https://app.example.com?x=1",
        "https://app.example.com#top",
        "https://user@app.example.com",
        "https://app.example.com:99999",
        "javascript://app.example.com",
    ],
)
def test_embed_origins_must_be_origins(origin: str) -> None:
    with pytest.raises(ConfigurationError, match="embed_origins") as exc:
        Settings(embed_origins=(origin,))
    assert repr(origin) in str(exc.value)


def test_embed_origins_are_normalised() -> None:
    settings = Settings(embed_origins=("HTTPS://App.Example.COM:8443/", "http://[::1]:3000"))
    assert settings.embed_origins == ("https://app.example.com:8443", "http://[::1]:3000")


def test_flags_take_text_or_typed_values() -> None:
    settings = load_settings({"port": "9001", "db": "sqlite:///flag.db"}, env=HOME)
    assert (settings.port, settings.db) == (9001, "sqlite:///flag.db")
    assert load_settings({"port": 9002, "secret_key": Path("/s")}, env=HOME).port == 9002
    with pytest.raises(ConfigurationError, match="--port: must be an integer"):
        load_settings({"port": "x"}, env=HOME)
    with pytest.raises(ConfigurationError, match="unknown setting 'colour'"):
        load_settings({"colour": "blue"}, env=HOME)


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError, match="frozen"):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"port": 0}, "port"),
        ({"max_body_bytes": 0}, "max_body_bytes"),
        ({"durability": "fast"}, "durability"),
        ({"host": " "}, "host"),
        ({"api_key": ""}, "api_key"),
        ({"archive": "s3://"}, "archive"),
        ({"archive": "https://archive.example.com"}, "archive"),
        ({"embed_origins": "https://a.example.com, ftp://b"}, "embed_origins"),
    ],
)
def test_direct_construction_is_checked(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{field}: "):
        Settings(**kwargs)
