from __future__ import annotations

import contextlib
import secrets
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from activitylog.accounts.secret import load_or_create_secret
from activitylog.errors import ConfigurationError


def test_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "secret-key"
    secret = load_or_create_secret(path)
    assert len(secret) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == secret.hex()
    assert load_or_create_secret(path) == secret
    assert [p.name for p in path.parent.iterdir()] == ["secret-key"]  # no temporary left


@pytest.mark.parametrize("content", ["not hex", "abcd", ""])
def test_a_bad_file_is_a_configuration_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "secret-key"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match="secret key"):
        load_or_create_secret(path)


def test_concurrent_first_uses_share_one_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both generate a secret before either links its file into place: one wins, the other
    # reads the winner's (never a FileExistsError or a half-written file).
    both_generating = threading.Barrier(2)
    token_bytes = secrets.token_bytes

    def racing_token_bytes(n: int) -> bytes:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_generating.wait(timeout=2)
        return token_bytes(n)

    monkeypatch.setattr("activitylog.accounts.secret.secrets.token_bytes", racing_token_bytes)
    path = tmp_path / "secret-key"
    with ThreadPoolExecutor(2) as pool:
        found = list(pool.map(load_or_create_secret, [path, path]))
    assert found[0] == found[1]
    assert [p.name for p in tmp_path.iterdir()] == ["secret-key"]
