"""The SDK surface: ``activitylog.ActivityLog`` and what the package exports."""

from __future__ import annotations

import contextlib
import importlib.metadata
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import text

import activitylog
from activitylog import (
    AccessDenied,
    ActivityLog,
    ActivityLogError,
    BatchValidationError,
    ConfigurationError,
    IntegrityError,
    NotFound,
    ValidationError,
    Viewer,
)
from activitylog.settings import Settings

# -- what the package exports ---------------------------------------------------------------
PUBLIC_API = [
    "AccessDenied",
    "ActionInfo",
    "ActivityLog",
    "ActivityLogError",
    "BatchValidationError",
    "Catalog",
    "ConfigurationError",
    "Conflict",
    "FieldError",
    "IntegrityError",
    "NotFound",
    "Selection",
    "StorageFull",
    "ValidationError",
    "Viewer",
    "__version__",
]


def test_public_api_is_pinned() -> None:
    # Changing the public API is a decision: update this list with it.
    assert activitylog.__all__ == PUBLIC_API


def test_all_exports_exist_and_nothing_else_is_public() -> None:
    public = sorted(
        name
        for name, value in vars(activitylog).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    )
    assert public == [name for name in PUBLIC_API if not name.startswith("_")]
    namespace: dict[str, Any] = {}
    exec("from activitylog import *", namespace)
    assert set(PUBLIC_API) <= set(namespace)


def test_version_matches_the_distribution() -> None:
    assert activitylog.__version__ == importlib.metadata.version("activitylog")


def test_errors_share_one_root_and_carry_http_statuses() -> None:
    assert {
        cls: cls.status
        for cls in (
            ValidationError,
            BatchValidationError,
            AccessDenied,
            NotFound,
            ConfigurationError,
            IntegrityError,
        )
    } == {
        ValidationError: 422,
        BatchValidationError: 422,
        AccessDenied: 403,
        NotFound: 404,
        ConfigurationError: 500,
        IntegrityError: 500,
    }
    for cls in (ValidationError, AccessDenied, NotFound, ConfigurationError, IntegrityError):
        assert issubclass(cls, ActivityLogError)


# -- opening a log -------------------------------------------------------------------------
@pytest.fixture
def key_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings come from a clean environment; the signing key lives in tmp_path."""
    for name in (
        "ACTIVITYLOG_DB",
        "ACTIVITYLOG_CHECKPOINT_EVERY",
        "ACTIVITYLOG_CHECKPOINT_SECONDS",
        "ACTIVITYLOG_DURABILITY",
        "ACTIVITYLOG_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    key = tmp_path / "env-key.pem"
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(key))
    return key


def test_default_url_comes_from_activitylog_db(
    db_url: str, key_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIVITYLOG_DB", db_url)
    monkeypatch.setenv("ACTIVITYLOG_CHECKPOINT_EVERY", "3")
    with ActivityLog() as log:
        assert log.url == db_url
        for _ in range(3):
            log.record(workspace="acme", action="contact.updated")
        assert [size for size, _ in log.store.kept_checkpoints("acme")] == [3]
    assert key_env.exists()
    with ActivityLog(db_url, signing_key=key_env) as again:
        assert again.count() == 3
        assert again.verify().ok


def test_without_activitylog_db_a_local_sqlite_file_is_used(
    key_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with ActivityLog() as log:
        assert log.url == "sqlite:///activitylog.db"
        log.record(workspace="acme", action="contact.updated")
    assert (tmp_path / "activitylog.db").exists()


@pytest.mark.parametrize("url", ["http://localhost:8000", "HTTPS://log.example.com/base"])
def test_a_server_url_without_an_api_key_is_a_configuration_error(
    url: str, key_env: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="API key"):
        ActivityLog(url, spool_dir=tmp_path / "spool")
    assert not key_env.exists()
    assert not (tmp_path / "spool").exists()


def test_a_server_url_in_the_environment_needs_an_api_key(
    key_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIVITYLOG_DB", "https://log.example.com")
    with pytest.raises(ConfigurationError, match="ACTIVITYLOG_API_KEY"):
        ActivityLog()


@pytest.mark.parametrize("url", ["http://", "https:///path", "http://[::1"])
def test_a_server_url_without_a_host_is_a_configuration_error(url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="server URL"):
        ActivityLog(url, api_key="alk_x", spool_dir=tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://localhost",
        "mysql://user@localhost/log",
        "sqlite://",
        "sqlite:///:memory:",
        "activitylog.db",
    ],
)
def test_unsupported_urls_are_configuration_errors(url: str, key_env: Path) -> None:
    with pytest.raises(ConfigurationError):
        ActivityLog(url)


def test_bad_settings_in_the_environment(key_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIVITYLOG_CHECKPOINT_EVERY", "often")
    with pytest.raises(ConfigurationError):
        ActivityLog("sqlite:///unused.db")


def test_concurrent_first_opens_share_one_new_signing_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two processes/threads starting at once with no key yet (a first deploy) must end
    # up with one key, not a FileExistsError or a half-written PEM.
    both_generating = threading.Barrier(2)
    generate: Callable[[], Ed25519PrivateKey] = Ed25519PrivateKey.generate

    def racing_generate(cls: type[Ed25519PrivateKey]) -> Ed25519PrivateKey:
        # both saw "no key file" before either writes (if only one generates: fine)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_generating.wait(timeout=2)
        return generate()

    monkeypatch.setattr(Ed25519PrivateKey, "generate", classmethod(racing_generate))
    key = tmp_path / "shared-key.pem"

    def open_log(n: int) -> str:
        settings = Settings(signing_key=key, checkpoint_every=1)
        with ActivityLog(f"sqlite:///{tmp_path / f'{n}.db'}", settings=settings) as log:
            log.record(workspace="acme", action="contact.updated")
            return log.signing_key.public.key_id

    with ThreadPoolExecutor(2) as pool:
        key_ids = list(pool.map(open_log, range(2)))

    assert key_ids[0] == key_ids[1]


# -- context() ------------------------------------------------------------------------------
def test_context_rejects_unknown_fields_naming_them(log: ActivityLog) -> None:
    with (
        pytest.raises(ValidationError) as info,
        log.context(workspace="acme", colour="red", action="contact.updated"),
    ):
        pytest.fail("the block must not run")
    assert [e.field for e in info.value.errors] == ["action", "colour"]
    assert "colour" in str(info.value)
    assert "action" in str(info.value)
    with pytest.raises(ValidationError):
        log.record(action="contact.updated")  # nothing of the rejected context stuck


def test_unknown_query_filters_are_validation_errors(log: ActivityLog) -> None:
    for read in (log.query, log.count, log.stats):
        with pytest.raises(ValidationError):
            read(usres=["u_1"])
    with pytest.raises(ValidationError):
        list(log.export(colour="red"))


def test_a_round_trip_through_the_facade(log: ActivityLog) -> None:
    with log.context(workspace="acme", actor={"id": "u_1", "name": "Ava"}):
        stored = log.record(action="contact.updated", subject={"type": "contact", "id": "c_1"})
        many = log.record_many([{"action": "note.created"}, {"action": "contact.viewed"}])
    assert log.get(stored["id"]) == stored
    assert log.count(workspace="acme") == 3
    assert log.total_events() == 3
    oldest_first = [e["id"] for e in log.export(order="time")]
    assert oldest_first[0] == stored["id"]
    assert set(oldest_first[1:]) == {e["id"] for e in many}  # one batch: one timestamp
    assert log.query(users="u_1").total == 3  # a single value for a list filter
    assert log.stats(workspace="acme").kpis["total"] == 3
    with pytest.raises(NotFound):
        log.get("00000000-0000-7000-8000-000000000000")


def test_what_a_page_reads_through_the_facade(log: ActivityLog) -> None:
    with log.context(workspace="acme"):
        log.record_many(
            [
                {"action": "contact.updated", "actor": {"id": "u_1", "name": "Ava"}},
                {"action": "contact.viewed", "actor": {"id": "u_1", "name": "Ava"}},
                {"action": "auth.signed_in", "actor": {"id": "u_2", "name": "Ben"}},
            ]
        )
    log.record(workspace="globex", action="note.created")
    assert log.workspaces() == ["acme", "globex"]
    with log.reusing_counts():
        by_category = dict(log.counts(workspace="acme", by=("category",)))
        assert by_category == {"contacts": 2, "auth": 1}
        assert log.counts(workspace="acme", categories=("auth",)) == [(1,)]
        assert dict(log.counts(workspace="acme", users=("u_1",), by=("verb",))) == {
            "updated": 1,
            "viewed": 1,
        }
    summaries = log.actor_summaries(["u_1", "u_2", "u_9"], workspace="acme")
    assert {k: v["name"] for k, v in summaries.items()} == {"u_1": "Ava", "u_2": "Ben"}
    # The access rules hold: My activity counts one's own; another workspace is closed.
    admin = Viewer(user_id="u_2", role="admin", workspace="acme")
    assert log.counts(workspace="acme", viewer=admin, scope="mine") == [(1,)]
    outsider = Viewer(user_id="u_3", role="admin", workspace="globex")
    with pytest.raises(AccessDenied):
        log.counts(workspace="acme", viewer=outsider)
    assert log.accounts().engine is log.store.engine


# -- verify() ------------------------------------------------------------------------------
def record_some(log: ActivityLog) -> None:
    """20 events in acme and 10 in globex: checkpoints at acme 10, 20 and globex 10."""
    for i in range(30):
        log.record(workspace="acme" if i % 3 else "globex", action="contact.updated")


def test_verify_one_workspace(log: ActivityLog) -> None:
    record_some(log)
    with log.store.engine.begin() as conn:
        conn.execute(
            text("UPDATE entries SET body = :b WHERE workspace = 'globex' AND seq = 2"),
            {"b": b"{}"},
        )
    acme = log.verify(workspace="acme")
    assert acme.ok
    assert [w.workspace for w in acme.workspaces] == ["acme"]
    assert acme.entries == 20
    globex = log.verify("globex")
    assert not globex.ok
    assert globex.first_break is not None
    assert (globex.first_break.seq, globex.first_break.kind) == (2, "modified")
    assert not log.verify().ok
    nobody = log.verify("nobody")
    assert nobody.ok
    assert nobody.entries == 0


def test_verify_with_only_the_public_key(log: ActivityLog, db_url: str, tmp_path: Path) -> None:
    record_some(log)
    pem = log.signing_key.public.pem().encode()
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")

    with ActivityLog(db_url, signing_key=tmp_path / "auditor" / "own-key.pem") as auditor:
        report = auditor.verify(public_keys=[pem])
        assert report.ok
        assert report.entries == 30
        assert sum(w.checkpoints for w in report.workspaces) == 3
        stranger = Ed25519PrivateKey.generate().public_key()
        other = stranger.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        assert not auditor.verify(public_keys=[other]).ok


def test_opening_a_log_to_verify_creates_no_signing_key(
    log: ActivityLog, db_url: str, tmp_path: Path
) -> None:
    # The key is "created on first use": an auditor who only reads and verifies (chains
    # only, without a key) must not get a fresh key file, nor see its own key reject
    # every checkpoint as a bad signature.
    record_some(log)
    key = tmp_path / "auditor" / "signing-key.pem"
    with ActivityLog(db_url, signing_key=key) as auditor:
        assert auditor.count() == 30
        report = auditor.verify()
        assert report.ok, report.first_break
    assert not key.exists()


@pytest.mark.parametrize("kind", ["rsa", "garbage"])
def test_verify_with_an_unusable_public_key(log: ActivityLog, kind: str) -> None:
    record_some(log)
    if kind == "rsa":
        pem = (
            generate_private_key(65537, 2048)
            .public_key()
            .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        )
    else:
        pem = b"-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n"
    with pytest.raises(ConfigurationError):
        log.verify(public_keys=[pem])


# -- remote mode (delivery itself: tests/remote) --------------------------------------------
@pytest.fixture
def remote(key_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ActivityLog]:
    """A remote log whose server never answers (port 9, nothing listens), from the
    environment: ``ACTIVITYLOG_API_KEY`` and ``ACTIVITYLOG_SPOOL_DIR``."""
    monkeypatch.setenv("ACTIVITYLOG_API_KEY", "alk_from_env")
    monkeypatch.setenv("ACTIVITYLOG_SPOOL_DIR", str(tmp_path / "spool"))
    log = ActivityLog("http://127.0.0.1:9")
    yield log
    log.close(timeout=0)


def test_remote_settings_come_from_the_environment(remote: ActivityLog, tmp_path: Path) -> None:
    assert (tmp_path / "spool").is_dir()
    event = remote.record(workspace="acme", action="contact.updated")
    assert not remote.flush(timeout=0.2)
    remote.close(timeout=0)
    spooled = "".join(p.read_text() for p in (tmp_path / "spool").glob("*.ndjson"))
    assert event["id"] in spooled


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("query", ()),
        ("stats", ()),
        ("export", ()),
        ("count", ()),
        ("get", ("00000000-0000-7000-8000-000000000000",)),
        ("verify", ()),
        ("checkpoint", ("acme",)),
        ("total_events", ()),
    ],
)
def test_reading_in_remote_mode_is_a_configuration_error(
    remote: ActivityLog, method: str, args: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigurationError, match="cannot read them"):
        getattr(remote, method)(*args)


def test_deleting_and_signing_in_remote_mode_are_configuration_errors(
    remote: ActivityLog, key_env: Path
) -> None:
    with pytest.raises(ConfigurationError):
        remote.delete(["00000000-0000-7000-8000-000000000000"], by="u_1", reason="GDPR")
    with pytest.raises(ConfigurationError, match="server"):
        _ = remote.signing_key
    assert not key_env.exists()


def test_flush_in_local_mode_has_nothing_to_wait_for(settings: Settings, tmp_path: Path) -> None:
    with ActivityLog(f"sqlite:///{tmp_path / 'local.db'}", settings=settings) as log:
        log.record(workspace="acme", action="contact.updated")
        assert log.flush(timeout=0)


def test_viewer_token_in_local_mode_is_signed_with_the_secret_key(tmp_path: Path) -> None:
    from activitylog.accounts.secret import load_or_create_secret
    from activitylog.accounts.tokens import read_viewer_token

    secret_key = tmp_path / "secret-key"
    settings = Settings(signing_key=tmp_path / "signing-key.pem", secret_key=secret_key)
    with ActivityLog(f"sqlite:///{tmp_path / 'local.db'}", settings=settings) as log:
        token = log.viewer_token(
            workspace="acme", user_id="u_1", role="admin", ttl=timedelta(minutes=5)
        )
    claims = read_viewer_token(load_or_create_secret(secret_key), token)
    assert (claims.viewer.workspace, claims.viewer.user_id, claims.viewer.role) == (
        "acme",
        "u_1",
        "admin",
    )
    assert timedelta(minutes=4) < claims.expires_at - datetime.now(UTC) <= timedelta(minutes=5)
