"""Retention purges on every engine: what goes, the record that accounts for it, verify
and proofs afterwards, an interrupted purge, and purges forged by someone who can write
the database."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from typing import Any

import pytest

from activitylog import ActivityLog
from activitylog.errors import IntegrityError, NotFound, ValidationError
from activitylog.events import micros
from activitylog.proofs import check_proof
from activitylog.purging import purge_workspace, run_purges
from activitylog.retention import PURGE_ACTION, ArchiveRef, PurgePlan
from activitylog.settings import Settings
from activitylog.store import purges

from ._support import ago, eid, event, iso, sql

OLD = 35  # entries 200 days old; checkpoints are kept every 10 (tests' settings)
NEW = 5  # entries a day old
CUTOFF = micros(ago(days=100))


@pytest.fixture
def aged(log: ActivityLog) -> ActivityLog:
    log.record_many(
        [event(id=eid(i), occurred_at=iso(ago(days=200, minutes=-i))) for i in range(1, OLD + 1)]
    )
    log.record_many(
        [event(id=eid(100 + i), occurred_at=iso(ago(days=1, minutes=-i))) for i in range(NEW)]
    )
    return log


def purge(log: ActivityLog, cutoff: int = CUTOFF, **options: Any) -> Any:
    return purge_workspace(log.store, log.catalog, "acme", cutoff, **options)


def seqs(log: ActivityLog, table: str = "entries") -> list[int]:
    return [
        r["seq"] for r in sql(log, f"SELECT seq FROM {table} WHERE workspace='acme' ORDER BY seq")
    ]


def test_a_purge_removes_old_entries_up_to_a_kept_checkpoint_and_records_it(
    aged: ActivityLog,
) -> None:
    outcome = purge(aged)
    assert outcome.plan == PurgePlan("acme", 1, 30, 30, CUTOFF)  # 31..35 wait for 40
    assert outcome.removed == 30
    assert outcome.record_seq == OLD + NEW + 1
    assert seqs(aged) == list(range(31, OLD + NEW + 2))
    record = aged.get(
        sql(
            aged,
            "SELECT id FROM entries AS b JOIN events AS e ON e.rid = b.rid"
            f" WHERE action='{PURGE_ACTION}'",
        )[0]["id"],
        workspace="acme",
    )
    details = record["details"]
    assert (details["first_seq"], details["last_seq"], details["count"]) == (1, 30, 30)
    assert details["cutoff"] == iso(ago(days=100))
    assert details["archive"] is None
    assert record["actor"]["id"] == "system"
    assert record["category"] == "activity_log"
    report = aged.verify()
    assert report.ok, report.breaks
    (acme,) = report.workspaces
    assert (acme.purged, acme.entries, acme.head_seq) == (30, 11, 41)


def test_counts_lose_the_purged_entries(aged: ActivityLog) -> None:
    window = {"workspace": "acme", "since": iso(ago(days=365)), "until": iso(ago(days=-1))}
    before = aged.stats(**window).kpis["total"]
    purge(aged)
    assert aged.stats(**window).kpis["total"] == before - 30  # the record is dated now
    assert aged.verify().ok


def test_a_dry_run_says_what_would_go_and_removes_nothing(aged: ActivityLog) -> None:
    outcome = purge(aged, dry_run=True)
    assert outcome.dry_run
    assert outcome.plan is not None
    assert outcome.plan.count == 30
    assert seqs(aged) == list(range(1, OLD + NEW + 1))


def test_nothing_goes_while_no_checkpoint_is_kept_inside_the_window(log: ActivityLog) -> None:
    log.record_many([event(occurred_at=iso(ago(days=200))) for _ in range(9)])
    log.record(**event(occurred_at=iso(ago(days=1))))
    assert purge(log).plan is None
    assert seqs(log) == list(range(1, 11))


def test_the_archiver_runs_first_and_the_record_names_its_archive(aged: ActivityLog) -> None:
    seen: list[PurgePlan] = []

    def archiver(plan: PurgePlan) -> ArchiveRef:
        seen.append(plan)
        assert seqs(aged)[0] == 1  # nothing removed yet
        return ArchiveRef("acme/acme-1-30.ndjson.zst", "ab" * 32)

    outcome = purge(aged, archiver=archiver)
    assert seen == [outcome.plan]
    record = sql(
        aged,
        "SELECT b.body FROM events AS e JOIN entries AS b ON b.rid = e.rid"
        f" WHERE e.action='{PURGE_ACTION}'",
    )[0]["body"]
    assert b'"name":"acme/acme-1-30.ndjson.zst"' in bytes(record)


def test_a_failing_archive_purges_nothing(aged: ActivityLog) -> None:
    def archiver(plan: PurgePlan) -> ArchiveRef:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        purge(aged, archiver=archiver)
    assert seqs(aged) == list(range(1, OLD + NEW + 1))
    assert aged.verify().ok


def test_purges_follow_each_other_and_verify_accounts_for_every_seq(aged: ActivityLog) -> None:
    purge(aged)
    aged.record_many([event(occurred_at=iso(ago(hours=1))) for _ in range(20)])
    outcome = purge(aged, micros(ago(days=0.5)))
    assert outcome.plan is not None
    assert outcome.plan.first == 31
    assert aged.verify().ok
    starts = sql(
        aged,
        "SELECT seq FROM entries AS b JOIN events AS e ON e.rid = b.rid"
        f" WHERE action='{PURGE_ACTION}' ORDER BY 1",
    )
    assert len(starts) == 2


def test_proofs_after_a_purge(aged: ActivityLog) -> None:
    purge(aged)
    ring = aged.key_ring()
    assert ring is not None
    proof = aged.prove(eid(33))
    assert proof["seq"] == 33
    assert check_proof(proof, ring) == []
    assert check_proof(aged.prove_consistency("acme", 30, 41), ring) == []
    assert check_proof(aged.prove_consistency("acme", 35, 41), ring) == []
    with pytest.raises(NotFound):
        aged.prove(eid(3))
    with pytest.raises(ValidationError):
        aged.prove_consistency("acme", 20, 41)


def test_an_interrupted_purge_is_finished_by_the_next_and_verifies_meanwhile(
    aged: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = aged.store
    finish = store.finish_purge
    monkeypatch.setattr(store, "finish_purge", lambda workspace: 0)
    purge(aged)
    assert seqs(aged)[0] == 1  # recorded, not yet removed (kill -9 here)
    report = aged.verify()
    assert report.ok, report.breaks
    monkeypatch.setattr(store, "finish_purge", finish)
    assert purge(aged).plan is None  # nothing new is due ...
    assert seqs(aged)[0] == 31  # ... but the recorded purge was finished
    assert aged.verify().ok


def test_a_slice_cut_short_between_its_copies_and_its_entries_is_finished_by_the_next(
    aged: ActivityLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slice removes the copies and counts first, then the entries: a purge that stops
    # in between (kill -9) leaves entries without copies, which the next purge removes
    # without taking them out of the counts again.
    window = {"workspace": "acme", "since": iso(ago(days=365)), "until": iso(ago(days=-1))}
    before = aged.stats(**window).kpis["total"]
    monkeypatch.setattr(purges, "PURGE_STEP", 10)
    monkeypatch.setattr(purges, "PURGE_PAUSE", 0.0)
    store = aged.store
    remove = store._remove
    calls: list[int] = []

    def stopped_at_the_second(conn: Any, workspace: str, upto: int) -> int:
        calls.append(upto)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process stops here
        return remove(conn, workspace, upto)

    monkeypatch.setattr(store, "_remove", stopped_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        purge(aged)
    assert seqs(aged)[0] == 11  # the first slice went whole; the second's entries stay ...
    copied = sql(
        aged,
        "SELECT count(*) AS n FROM events WHERE workspace='acme' AND rid IN"
        " (SELECT rid FROM entries WHERE workspace='acme' AND seq <= 20)",
    )
    assert copied[0]["n"] == 0  # ... without their copies
    monkeypatch.setattr(store, "_remove", remove)
    assert purge(aged).plan is None
    assert seqs(aged)[0] == 31
    assert aged.stats(**window).kpis["total"] == before - 30
    report = aged.verify()
    assert report.ok, report.breaks


#: A purge in a process of its own, killed (SIGKILL) in the second slice's removal of
#: entries, its statements run and not committed.
_KILLED_PURGE = """
import os, signal, sys
from activitylog import ActivityLog
from activitylog.purging import purge_workspace
from activitylog.settings import Settings
from activitylog.store import purges

purges.PURGE_STEP, purges.PURGE_PAUSE = 10, 0.0
url, key, cutoff = sys.argv[1:]
log = ActivityLog(url, settings=Settings(signing_key=key, checkpoint_every=10, followers=False))
remove, calls = log.store._remove, []

def killed(conn, workspace, upto):
    removed = remove(conn, workspace, upto)
    calls.append(upto)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return removed

log.store._remove = killed
purge_workspace(log.store, log.catalog, "acme", int(cutoff))
"""


def test_a_purge_killed_mid_slice_is_finished_by_the_next(
    aged: ActivityLog, db_url: str, settings: Settings
) -> None:
    window = {"workspace": "acme", "since": iso(ago(days=365)), "until": iso(ago(days=-1))}
    before = aged.stats(**window).kpis["total"]
    args = [db_url, str(settings.signing_key), str(CUTOFF)]
    done = subprocess.run([sys.executable, "-c", _KILLED_PURGE, *args], timeout=120, check=False)
    assert done.returncode == -signal.SIGKILL
    assert seqs(aged)[0] == 11  # the second slice's removal of entries did not commit
    report = aged.verify(copies=False)
    assert report.ok, report.breaks  # the record accounts for what went
    assert purge(aged).plan is None
    assert seqs(aged)[0] == 31
    assert aged.stats(**window).kpis["total"] == before - 30
    report = aged.verify()
    assert report.ok, report.breaks


@pytest.mark.parametrize("step", ["_uncount", "_delete_empty_counts"])
def test_appends_go_on_while_a_purge_removes_copies_and_counts(
    aged: ActivityLog, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    # The copies' half of a slice, and the removal of the counts a purge emptied (they
    # live with the copies), hold no lock an append needs: an append made while either is
    # open commits at once (on SQLite it writes the other file).
    store = aged.store
    run = getattr(store, step)
    appended: list[bool] = []

    def with_an_append(*args: Any) -> None:
        run(*args)
        if not appended:
            writer = threading.Thread(
                target=lambda: appended.append(bool(aged.record(**event(id=eid(900)))))
            )
            writer.start()
            writer.join(timeout=20)
            assert appended == [True], "the append waited for the purge's open transaction"

    monkeypatch.setattr(store, step, with_an_append)
    assert purge(aged).removed == 30
    assert aged.get(eid(900), workspace="acme")
    report = aged.verify()
    assert report.ok, report.breaks


def test_a_purge_refuses_entries_someone_changed(aged: ActivityLog) -> None:
    sql(
        aged,
        "UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), 'acme', 'acmf')"
        " AS BLOB) WHERE workspace='acme' AND seq=3"
        if _sqlite(aged)
        else "UPDATE entries SET body = convert_to(replace(convert_from(body, 'UTF8'), 'acme',"
        " 'acmf'), 'UTF8') WHERE workspace='acme' AND seq=3",
    )
    with pytest.raises(IntegrityError, match="nothing was purged"):
        purge(aged)
    assert seqs(aged)[0] == 1
    assert not sql(aged, f"SELECT 1 FROM events WHERE action='{PURGE_ACTION}'")


# -- an attacker who can write the database ---------------------------------------------


def test_removing_old_entries_without_a_record_is_caught(aged: ActivityLog) -> None:
    sql(aged, "DELETE FROM entries WHERE workspace='acme' AND seq <= 30")
    report = aged.verify()
    assert not report.ok
    assert (report.breaks[0].seq, report.breaks[0].kind) == (1, "missing")


def test_removing_more_than_the_record_says_is_caught(aged: ActivityLog) -> None:
    purge(aged)
    sql(aged, "DELETE FROM entries WHERE workspace='acme' AND seq BETWEEN 31 AND 33")
    report = aged.verify()
    assert [(b.seq, b.kind) for b in report.breaks][:1] == [(31, "missing")]


def test_removing_the_purge_record_is_caught(aged: ActivityLog) -> None:
    purge(aged)
    sql(
        aged,
        f"DELETE FROM entries WHERE rid IN (SELECT rid FROM events WHERE action='{PURGE_ACTION}')",
    )
    kinds = {(b.seq, b.kind) for b in aged.verify().breaks}
    assert (1, "missing") in kinds


def test_hiding_the_purge_record_from_its_index_is_caught(aged: ActivityLog) -> None:
    purge(aged)
    sql(aged, f"UPDATE events SET action='note.created' WHERE action='{PURGE_ACTION}'")
    report = aged.verify()
    assert not report.ok
    assert (1, "missing") in {(b.seq, b.kind) for b in report.breaks}


def test_a_forged_purge_record_is_caught(aged: ActivityLog) -> None:
    # The attacker removes 1..30 and appends their own record with correct hashes at
    # the head; without the key it cannot be signed, so the head's note gives it away.
    outcome = purge(aged, dry_run=True)
    assert outcome.plan is not None
    sql(aged, "DELETE FROM entries WHERE workspace='acme' AND seq <= 30")
    sql(
        aged,
        "UPDATE events SET action='activity_log.purged'"
        " WHERE rid = (SELECT rid FROM entries WHERE workspace='acme' AND seq=40)",
    )
    report = aged.verify()
    assert not report.ok


def _sqlite(log: ActivityLog) -> bool:
    return log.store.engine.dialect.name == "sqlite"


def test_no_client_can_record_a_purge(log: ActivityLog) -> None:
    with pytest.raises(ValidationError, match="reserved"):
        log.record(**event(PURGE_ACTION))


def test_a_long_workspace_name_fits_the_record(log: ActivityLog) -> None:
    workspace = "w" * 200
    log.record_many(
        [
            {"workspace": workspace, "action": "note.created", "occurred_at": iso(ago(days=300))}
            for _ in range(10)
        ]
    )
    log.record(workspace=workspace, action="note.created")
    outcome = purge_workspace(log.store, log.catalog, workspace, CUTOFF)
    assert outcome.removed == 10
    assert log.verify(workspace).ok


def test_an_entry_passed_off_as_a_purge_record_is_caught(aged: ActivityLog) -> None:
    # Marking an ordinary entry as a purge record (its action column) would let verify
    # start after it; its body says otherwise, so verify names the forgery.
    sql(
        aged,
        "UPDATE events SET action='activity_log.purged'"
        " WHERE rid = (SELECT rid FROM entries WHERE workspace='acme' AND seq=38)",
    )
    report = aged.verify()
    assert not report.ok
    assert (38, "unaccounted_deletion") in {(b.seq, b.kind) for b in report.breaks}


def test_retention_changed_in_the_database_purges_only_what_is_recorded(
    aged: ActivityLog,
) -> None:
    # Someone who can write the database can shorten a workspace's retention without the
    # change being recorded (settings are not under the log's signatures: INTEGRITY.md);
    # what a purge then removes is still recorded, signed and accounted for by verify.
    aged.accounts()  # the settings' table is made when the accounts first open
    sql(
        aged,
        "INSERT INTO workspace_settings (workspace, name, value, updated_us, updated_by)"
        " VALUES ('acme', 'retention_days', '50', 0, 'intruder')",
    )
    (outcome,) = run_purges(aged, workspace="acme", now=ago(days=0))
    assert outcome.plan is not None
    assert outcome.plan.last == 30
    report = aged.verify()
    assert report.ok, report.breaks
    assert report.workspaces[0].purged == 30
    assert not aged.query(workspace="acme", events=["workspace.settings_updated"]).items
