"""The reference verifier printed in docs/INTEGRITY.md, run as an auditor would (its own
process, the public key only) against what the CLI writes: proofs and exports hold, forged
ones fail."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from activitylog import ActivityLog
from activitylog.cli import main
from activitylog.settings import Settings

DOC = Path(__file__).parents[1] / "docs" / "INTEGRITY.md"


@pytest.fixture
def verifier(tmp_path: Path) -> Path:
    [code] = re.findall(r"## 8\. A reference verifier.*?```python\n(.*?)```", DOC.read_text(), re.S)
    path = tmp_path / "verify_ref.py"
    path.write_text(code)
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ACTIVITYLOG_DB", f"sqlite:///{tmp_path / 'log.db'}")
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(tmp_path / "key.pem"))
    monkeypatch.setenv("ACTIVITYLOG_CHECKPOINT_EVERY", "8")
    settings = Settings.from_env()
    with ActivityLog(settings=settings) as log:
        for i in range(21):
            log.record(
                workspace="acme",
                action="contact.updated",
                actor={"id": "u_1", "name": "Zoë Ødegård"},
                subject={"type": "contact", "id": f"c_{i}", "name": "Jo Park"},
                changes={"email": {"before": "a@x.io", "after": f"b{i}@x.io"}},
                details={"n": i, "tags": ["ünïcode", "日本"]},
                ip="2001:DB8::1",
                user_agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 "
                "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            )
        victim = log.record(workspace="acme", action="note.created")["id"]
        log.delete([victim], by="ops", reason="erasure")
    return tmp_path


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def check(verifier: Path, key: Path, document: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(verifier), str(key), str(document)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_reference_verifier_accepts_what_the_cli_writes(verifier: Path, workdir: Path) -> None:
    key = workdir / "ring.pem"
    key.write_text(cli("signing", "public-key"))
    ids = [orjson.loads(line)["id"] for line in cli("export", "--format", "ndjson").splitlines()]
    for event_id in (ids[0], ids[len(ids) // 2], ids[-1]):
        cli("prove", event_id, "--out", str(workdir / "inclusion.json"))
        assert check(verifier, key, workdir / "inclusion.json").stdout == "ok\n"
    cli(
        "prove", "--consistency", "8", "23", "--workspace", "acme", "--out", str(workdir / "c.json")
    )
    assert check(verifier, key, workdir / "c.json").stdout == "ok\n"
    (workdir / "export.ndjson").write_text(cli("export", "--format", "ndjson"))
    assert check(verifier, key, workdir / "export.ndjson").stdout == "ok\n"


def test_the_reference_verifier_refuses_forgeries(verifier: Path, workdir: Path) -> None:
    key = workdir / "ring.pem"
    key.write_text(cli("signing", "public-key"))
    event_id = orjson.loads(cli("export", "--format", "ndjson").splitlines()[3])["id"]
    proof = orjson.loads(cli("prove", event_id))
    forgeries = {
        "body": {**proof, "body": proof["body"].replace("b", "c", 1)},
        "path": {**proof, "audit_path": ["00" * 32, *proof["audit_path"][1:]]},
        "signature": {**proof, "checkpoint": proof["checkpoint"].replace("\nchain ", "\nchain 0")},
        "index": {**proof, "leaf_index": proof["leaf_index"] + 1},
    }
    for name, forged in forgeries.items():
        path = workdir / f"{name}.json"
        path.write_bytes(orjson.dumps(forged))
        result = check(verifier, key, path)
        assert result.returncode != 0, name
    lines = cli("export", "--format", "ndjson").splitlines()
    event = orjson.loads(lines[2])
    event["description"] = "edited"
    (workdir / "forged.ndjson").write_text("\n".join([*lines[:2], orjson.dumps(event).decode()]))
    assert "content differs" in check(verifier, key, workdir / "forged.ndjson").stderr
