"""``activitylog prove``, ``verify-proof``, ``signing`` and ``verify --witness-dir``, run with
click's CliRunner on every engine: proofs checked offline with the public key ring, forged
proofs refused, key rotation, and verify's exit codes."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from activitylog import ActivityLog
from activitylog.chain import content_hash
from activitylog.cli import main
from activitylog.notes import parse_checkpoint, sign_checkpoint
from activitylog.settings import Settings
from activitylog.signing import KeyRing, SigningKey, write_private
from store._tamper import Seeded, cut_back, drop_workspace, seeded_log

NOW = datetime.now(UTC).replace(microsecond=0)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = tmp_path / "signing-key.pem"
    write_private(key, plus_key(), replace=False)
    monkeypatch.setenv("ACTIVITYLOG_SIGNING_KEY", str(key))
    monkeypatch.setenv("ACTIVITYLOG_CHECKPOINT_EVERY", "10")
    for name in ("DB", "DURABILITY", "WITNESS_DIR", "CONFIG"):
        monkeypatch.delenv(f"ACTIVITYLOG_{name}", raising=False)


def plus_key() -> SigningKey:
    """A signing key whose verifier key (``name+hash+base64``) has a ``+`` in its base64,
    as about half of all keys do: key handovers must name such keys too."""
    while True:
        key = SigningKey.generate()
        if "+" in key.public.vkey().split("+", 2)[2]:
            return key


@pytest.fixture
def witness(tmp_path: Path) -> Path:
    return tmp_path / "witness"


@pytest.fixture
def stored(db_url: str, witness: Path) -> Iterator[ActivityLog]:
    """The application writing the log the CLI reads: same key, with a witness directory
    (the CLI's own settings name none)."""
    settings = Settings.from_env().replace(witness_dir=witness)
    with ActivityLog(db_url, settings=settings) as log:
        yield log


def run(db_url: str, *args: str | Path) -> Result:
    result = CliRunner().invoke(main, ["--db", db_url, *map(str, args)])
    assert "Traceback" not in result.output
    return result


def record(log: ActivityLog, workspace: str, count: int, *, start: int = 0) -> list[str]:
    """``count`` events in batches of 7; their ids."""
    events = [
        {
            "workspace": workspace,
            "action": "contact.updated",
            "actor": {"id": f"u_{n % 3}", "name": f"User {n % 3}"},
            "subject": {"type": "contact", "id": f"c_{n}"},
            "occurred_at": (NOW - timedelta(minutes=1000 - n)).isoformat(),
            "description": f"event number {n}",
        }
        for n in range(start, start + count)
    ]
    ids = []
    for at in range(0, count, 7):
        ids += [e["id"] for e in log.record_many(events[at : at + 7])]
    return ids


def sql(log: ActivityLog, statement: str, **params: Any) -> list[Any]:
    with log.store.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return list(result.mappings()) if result.returns_rows else []


def public_key(db_url: str, to: Path) -> Path:
    """``activitylog signing public-key`` saved to ``to`` (the ring auditors get)."""
    result = run(db_url, "signing", "public-key")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    to.write_text(result.stdout)
    return to


def broken(result: Result) -> list[str]:
    """verify's break lines."""
    return [line for line in result.stdout.splitlines() if line.startswith("workspace '")]


# -- inclusion proofs ----------------------------------------------------------------------
def test_prove_and_verify_proof(db_url: str, stored: ActivityLog, tmp_path: Path) -> None:
    ids = record(stored, "acme", 25)
    proof_file = tmp_path / "proof.json"
    result = run(db_url, "prove", ids[11], "--out", proof_file)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    proof = orjson.loads(proof_file.read_bytes())
    assert (proof["workspace"], proof["seq"], proof["leaf_index"]) == ("acme", 12, 11)
    assert proof["tree_size"] == 25  # the head's signed note: every entry is provable at once
    assert orjson.loads(run(db_url, "prove", ids[11]).stdout) == proof

    key = public_key(db_url, tmp_path / "public.pem")
    checked = run(db_url, "verify-proof", proof_file, "--public-key", key)
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith("ok: inclusion")

    last = tmp_path / "last.json"
    assert run(db_url, "prove", ids[-1], "--out", last).exit_code == 0
    assert run(db_url, "verify-proof", last, "--public-key", key).exit_code == 0


def test_a_deleted_entry_is_still_provable(
    db_url: str, stored: ActivityLog, tmp_path: Path
) -> None:
    ids = record(stored, "acme", 12)
    stored.delete([ids[3]], by="u_0", reason="GDPR request 118")
    proof_file = tmp_path / "proof.json"
    assert run(db_url, "prove", ids[3], "--out", proof_file).exit_code == 0
    proof = orjson.loads(proof_file.read_bytes())
    assert (proof["seq"], proof["body"], proof["tree_size"]) == (4, None, 13)
    key = public_key(db_url, tmp_path / "public.pem")
    assert run(db_url, "verify-proof", proof_file, "--public-key", key).exit_code == 0


def _forge_body(proof: dict[str, Any]) -> None:
    proof["body"] = proof["body"].replace("event number", "event NUMBER")


def _forge_body_and_hash(proof: dict[str, Any]) -> None:
    _forge_body(proof)
    proof["content_hash"] = content_hash(proof["body"].encode())


def _forge_path(proof: dict[str, Any]) -> None:
    node = proof["audit_path"][1]
    proof["audit_path"][1] = ("0" if node[0] != "0" else "1") + node[1:]


def _forge_checkpoint(proof: dict[str, Any]) -> None:
    """The same checkpoint, signed by a key that is not the log's."""
    signed = parse_checkpoint(proof["checkpoint"])
    stranger = SigningKey.generate()
    proof["checkpoint"] = sign_checkpoint(
        stranger,
        signed.origin,
        signed.size,
        signed.root,
        signed.chain_hash,
        signed.prev,
        signed.time,
    ).note


def _forge_seq(proof: dict[str, Any]) -> None:
    proof["seq"] += 1
    proof["leaf_index"] += 1


FORGERIES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "body": (_forge_body, "the body does not hash to content_hash"),
    "body_and_hash": (_forge_body_and_hash, "the audit path does not lead"),
    "path_node": (_forge_path, "the audit path does not lead"),
    "checkpoint_of_another_key": (_forge_checkpoint, "signature does not verify"),
    "another_seq": (_forge_seq, "the audit path does not lead"),
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_forged_proof_is_refused(
    db_url: str, stored: ActivityLog, tmp_path: Path, forgery: str
) -> None:
    ids = record(stored, "acme", 25)
    proof_file = tmp_path / "proof.json"
    assert run(db_url, "prove", ids[11], "--out", proof_file).exit_code == 0
    key = public_key(db_url, tmp_path / "public.pem")
    forge, problem = FORGERIES[forgery]
    proof = orjson.loads(proof_file.read_bytes())
    forge(proof)
    proof_file.write_bytes(orjson.dumps(proof))

    result = run(db_url, "verify-proof", proof_file, "--public-key", key)
    assert result.exit_code == 1, result.output
    assert problem in result.stdout
    assert result.stdout.startswith("FAILED: ")


def test_a_proof_checked_with_another_key_fails(
    db_url: str, stored: ActivityLog, tmp_path: Path
) -> None:
    ids = record(stored, "acme", 5)
    proof_file = tmp_path / "proof.json"
    assert run(db_url, "prove", ids[0], "--out", proof_file).exit_code == 0
    stranger = tmp_path / "stranger.pem"
    stranger.write_text(SigningKey.generate().public.pem())
    result = run(db_url, "verify-proof", proof_file, "--public-key", stranger)
    assert result.exit_code == 1
    assert "signature does not verify" in result.stdout


def test_verify_proof_usage_errors(db_url: str, stored: ActivityLog, tmp_path: Path) -> None:
    record(stored, "acme", 3)
    key = public_key(db_url, tmp_path / "public.pem")
    not_json = tmp_path / "proof.json"
    not_json.write_text("{not json")
    assert run(db_url, "verify-proof", not_json, "--public-key", key).exit_code == 2
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    assert run(db_url, "verify-proof", not_json, "--public-key", garbage).exit_code == 2
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"format": "something-else/v1"}')
    assert run(db_url, "verify-proof", unknown, "--public-key", key).exit_code == 1


# -- consistency proofs --------------------------------------------------------------------
def test_prove_consistency(db_url: str, stored: ActivityLog, tmp_path: Path) -> None:
    record(stored, "acme", 25)
    key = public_key(db_url, tmp_path / "public.pem")
    for old, new in ((10, 20), (7, 25), (20, 20), (1, 25)):
        proof_file = tmp_path / f"consistency-{old}-{new}.json"
        result = run(
            db_url, "prove", "--consistency", str(old), str(new), "--workspace", "acme",
            "--out", proof_file,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        proof = orjson.loads(proof_file.read_bytes())
        assert (proof["old_size"], proof["new_size"]) == (old, new)
        assert proof["new_checkpoint"] is not None  # kept at 10 and 20, the head at 25
        assert (proof["old_checkpoint"] is not None) == (old in (10, 20))
        checked = run(db_url, "verify-proof", proof_file, "--public-key", key)
        assert checked.exit_code == 0, checked.output
        assert checked.stdout.startswith("ok: consistency")

    proof = orjson.loads((tmp_path / "consistency-10-20.json").read_bytes())
    node = proof["path"][0]
    proof["path"][0] = ("0" if node[0] != "0" else "1") + node[1:]
    forged = tmp_path / "forged.json"
    forged.write_bytes(orjson.dumps(proof))
    result = run(db_url, "verify-proof", forged, "--public-key", key)
    assert result.exit_code == 1
    assert "does not prove the old tree is a prefix" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--consistency", "10", "26", "--workspace", "acme"],  # past the head
        ["--consistency", "20", "10", "--workspace", "acme"],
        ["--consistency", "10", "20"],  # no workspace
        ["--consistency", "10", "20", "--workspace", "nope"],
        [],
    ],
)
def test_prove_usage_errors(db_url: str, stored: ActivityLog, args: list[str]) -> None:
    record(stored, "acme", 25)
    assert run(db_url, "prove", *args).exit_code == 2


# -- rotation ------------------------------------------------------------------------------
def test_rotation(db_url: str, stored: ActivityLog, tmp_path: Path) -> None:
    ids = record(stored, "acme", 25)
    old_key = tmp_path / "retired-key.pem"
    shutil.copyfile(tmp_path / "signing-key.pem", old_key)
    before = tmp_path / "before.json"
    assert run(db_url, "prove", ids[0], "--out", before).exit_code == 0

    rotated = run(db_url, "signing", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "activitylog key handover" in rotated.stdout
    new = SigningKey.from_file(tmp_path / "signing-key.pem", create=False)
    retired = SigningKey.from_file(old_key, create=False)
    assert new.public.key_id != retired.public.key_id
    assert f"new key {new.public.key_id}" in rotated.stdout

    with ActivityLog(db_url, settings=Settings.from_env()) as writer:  # a fresh process
        record(writer, "acme", 10, start=100)  # a kept checkpoint at 30, by the new key
    ring = public_key(db_url, tmp_path / "ring.pem")
    assert ring.read_text().count("-----BEGIN PUBLIC KEY-----") == 2
    assert "ACTIVITYLOG HANDOVER" in ring.read_text()
    ok = run(db_url, "verify", "--public-key", ring)
    assert ok.exit_code == 0, ok.output
    # a proof made before the rotation still holds with the ring, and one made after
    assert run(db_url, "verify-proof", before, "--public-key", ring).exit_code == 0
    after = tmp_path / "after.json"
    assert run(db_url, "prove", ids[0], "--out", after).exit_code == 0
    assert run(db_url, "verify-proof", after, "--public-key", ring).exit_code == 0
    old_only = tmp_path / "old-only.pem"
    old_only.write_text(retired.public.pem())
    assert run(db_url, "verify-proof", after, "--public-key", old_only).exit_code == 1

    # Someone holding the retired key signs a checkpoint dated after it was retired.
    retired_at = KeyRing.from_pem([ring.read_bytes()]).retired_at(retired.public)
    assert retired_at is not None
    later = datetime.strptime(retired_at, TIME_FORMAT).replace(tzinfo=UTC) + timedelta(minutes=1)
    [row] = sql(stored, "SELECT note FROM checkpoints WHERE workspace = 'acme' AND size = 30")
    kept = parse_checkpoint(row["note"])
    forged = sign_checkpoint(
        retired, kept.origin, kept.size, kept.root, kept.chain_hash, kept.prev,
        later.strftime(TIME_FORMAT),
    )  # fmt: skip
    sql(
        stored,
        "UPDATE checkpoints SET note = :n WHERE workspace = 'acme' AND size = 30",
        n=forged.note,
    )
    result = run(db_url, "verify", "--public-key", ring)
    assert result.exit_code == 1
    assert broken(result)[0].startswith("workspace 'acme': seq 30: checkpoint signature bad")
    assert "retired" in broken(result)[0]


def test_a_log_open_during_rotation_signs_with_the_new_key(
    db_url: str, stored: ActivityLog, tmp_path: Path
) -> None:
    """A server running through a rotation signs with the key it has loaded until it
    notices the new key file: what it signs meanwhile must still verify."""
    record(stored, "acme", 9)
    assert run(db_url, "signing", "rotate").exit_code == 0
    record(stored, "acme", 2, start=100)  # crosses the kept checkpoint at 10
    ring = public_key(db_url, tmp_path / "ring.pem")
    result = run(db_url, "verify", "--public-key", ring)
    assert result.exit_code == 0, result.output


# -- verify: the witness and exit codes ----------------------------------------------------
@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> Iterator[Seeded]:
    """The tamper suite's seeded log (same key and cadence as the CLI's settings), with
    its witness directory current."""
    with seeded_log(db_url, tmp_path) as log:
        yield log


def test_verify_with_a_witness_directory(db_url: str, seeded: Seeded) -> None:
    witness = seeded.witness_dir
    ok = run(db_url, "verify", "--witness-dir", witness)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.splitlines()[-1].endswith("checked against the witness")
    assert "workspace acme: ok, head seq 47," in ok.stdout

    # What nothing left in the database shows: acme cut back to its kept checkpoint at
    # 30 (the head as that checkpoint signed it), and globex removed from every table.
    cut_back(seeded.log, "acme", 30)
    drop_workspace(seeded.log, "globex")

    blind = run(db_url, "verify")
    assert blind.exit_code == 0, blind.output  # the limit without a witness
    caught = run(db_url, "verify", "--witness-dir", witness)
    assert caught.exit_code == 1, caught.output
    lines = "\n".join(broken(caught))
    assert "workspace 'acme': seq 31: behind its witness" in lines
    assert "workspace 'globex': seq 1: workspace missing" in lines
    assert "workspace initech: ok" in caught.stdout
    assert caught.stdout.splitlines()[-1].startswith("BROKEN (2 of 3 workspaces)")
    # workers in other processes see the same: a workspace the database lacks included
    jobs = run(db_url, "verify", "--witness-dir", witness, "--jobs", "2")
    assert jobs.exit_code == 1, jobs.output
    assert broken(jobs) == broken(caught)
    # a workspace only the witness knows can be named, with the witness
    one = run(db_url, "verify", "--workspace", "globex", "--witness-dir", witness)
    assert one.exit_code == 1, one.output
    assert run(db_url, "verify", "--workspace", "globex").exit_code == 2
    assert run(db_url, "verify", "--workspace", "initech", "--witness-dir", witness).exit_code == 0
    report = orjson.loads(run(db_url, "verify", "--witness-dir", witness, "--json").stdout)
    assert (report["ok"], report["witness_checked"]) == (False, True)
    assert {(b["workspace"], b["seq"], b["kind"]) for b in report["breaks"]} >= {
        ("acme", 31, "behind_witness"),
        ("globex", 1, "workspace_missing"),
    }


def test_verify_usage_errors(db_url: str, seeded: Seeded, tmp_path: Path) -> None:
    witness = seeded.witness_dir
    unknown = run(db_url, "verify", "--workspace", "nope", "--witness-dir", witness)
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: workspace:")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    bad_key = run(db_url, "verify", "--public-key", garbage, "--witness-dir", witness)
    assert bad_key.exit_code == 2
    assert bad_key.stderr.startswith("error: public_key:")
    assert run(db_url, "verify", "--public-key", tmp_path / "absent.pem").exit_code == 2
    key = public_key(db_url, tmp_path / "public.pem")
    assert run(db_url, "verify", "--public-key", key, "--witness-dir", witness).exit_code == 0
    stranger = tmp_path / "stranger.pem"
    stranger.write_text(SigningKey.generate().public.pem())
    assert run(db_url, "verify", "--public-key", stranger, "--witness-dir", witness).exit_code == 1
