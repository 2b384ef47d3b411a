"""Bodies compressed with dictionaries the log trains and keeps (store/dictionaries.py), on
each engine: reads, exports and verification see the canonical bodies as recorded; a
dictionary or a compressed body changed in the database is caught."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from alembic import command
from alembic.config import Config

from activitylog import ActivityLog
from activitylog.demo.seed import generate_events
from activitylog.settings import Settings
from activitylog.store import base, migrate
from activitylog.store.bodies import FRAME, RAW, BodyCodec, train

from ._support import sql

#: Bodies the tests' logs hold before their first dictionary (the store's is 5,000).
TRAIN_AFTER = 200
#: The first byte of the frames the tests' bodies compress to (the content size in two
#: bytes).
FRAME_FORM = 0x40 | FRAME


@pytest.fixture
def small(db_url: str, settings: Settings) -> Iterator[ActivityLog]:
    """A log that trains its first dictionary after :data:`TRAIN_AFTER` bodies."""
    with ActivityLog(db_url, settings=settings) as log:
        log.store._train_at = TRAIN_AFTER
        yield log


def record(log: ActivityLog, count: int, seed: int) -> None:
    log.record_many(list(generate_events(count, seed=seed)))


def stored(log: ActivityLog) -> dict[tuple[str, int], bytes]:
    rows = sql(log, "SELECT workspace, seq, body FROM entries")
    return {(r["workspace"], int(r["seq"])): bytes(r["body"]) for r in rows}


def dictionary_ids(log: ActivityLog) -> list[int]:
    """The stored dictionaries (read without settling: no indexer runs)."""
    with log.store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id FROM body_dictionaries ORDER BY id")
        return [int(i) for (i,) in rows]


def test_a_dictionary_is_trained_once_the_log_holds_enough_bodies(small: ActivityLog) -> None:
    record(small, TRAIN_AFTER - 50, seed=1)
    assert dictionary_ids(small) == []
    record(small, 100, seed=2)  # trained after this append committed
    assert dictionary_ids(small) == [1]
    record(small, 60, seed=3)
    forms = [body[0] for _, body in sorted(stored(small).items(), key=lambda kv: kv[0][1])]
    # zstd frames naming the dictionary the log trained with its row's id
    assert forms.count(FRAME_FORM) == 60
    assert forms.count(RAW) == TRAIN_AFTER + 50
    assert sum(len(b) for b in stored(small).values() if b[0] != RAW) < 60 * 400
    assert small.verify().ok


def test_the_indexer_trains_one_for_a_log_it_finds_without(
    small: ActivityLog, db_url: str, settings: Settings
) -> None:
    small.store._train_at = 10**9  # this process never trains after its appends
    record(small, TRAIN_AFTER, seed=1)
    with ActivityLog(db_url, settings=settings) as indexer:
        indexer.store._train_at = TRAIN_AFTER
        assert indexer.store.index_pending() == TRAIN_AFTER
    assert dictionary_ids(small) == [1]


def test_a_training_that_fails_after_an_append_leaves_the_append_standing(
    small: ActivityLog, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fail() -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(small.store, "train_dictionary", fail)
    recorded = small.record_many(list(generate_events(TRAIN_AFTER, seed=1)))
    assert len(recorded) == TRAIN_AFTER
    assert "no dictionary was trained" in caplog.text
    assert small.verify().ok


def test_reads_and_exports_give_the_bodies_as_recorded(small: ActivityLog) -> None:
    record(small, 120, seed=1)
    events = {e["id"]: e for e in small.export()}
    rows = list(small.export_rows())
    small.store.train_dictionary()
    codec = BodyCodec()
    codec.add(1, sql(small, "SELECT data FROM body_dictionaries")[0]["data"])
    # every stored body compressed in place, as an append would have stored it
    for (workspace, seq), body in stored(small).items():
        sql(
            small,
            "UPDATE entries SET body = :b WHERE workspace = :w AND seq = :s",
            b=codec.encode(body),
            w=workspace,
            s=seq,
        )
    assert all(body[0] != RAW for body in stored(small).values())
    assert list(small.export_rows()) == rows
    assert {e["id"]: e for e in small.export()} == events
    some = next(iter(events))
    assert small.get(some) == events[some]
    page = small.query(per_page=10).items
    assert page == [events[e["id"]] for e in page]
    assert small.verify().ok


def test_later_appends_compress_and_read_back(small: ActivityLog) -> None:
    record(small, TRAIN_AFTER, seed=1)
    small.store.settle()
    recorded = small.record_many(list(generate_events(30, seed=4)))
    by_id = {r["id"]: r for r in small.export()}
    assert all(by_id[r["id"]] == r for r in recorded)


def test_a_changed_dictionary_fails_every_body_decoded_with_it(small: ActivityLog) -> None:
    record(small, TRAIN_AFTER, seed=1)
    small.store.settle()
    record(small, 40, seed=2)
    compressed = {key for key, body in stored(small).items() if body[0] != RAW}
    assert len(compressed) == 40
    # another log's dictionary in its place
    other = train([orjson.dumps(e) for e in generate_events(300, seed=9)])
    sql(small, "UPDATE body_dictionaries SET data = :d WHERE id = 1", d=other)
    report = small.verify()
    modified = {(b.workspace, b.seq) for b in report.breaks if b.kind == "modified"}
    assert modified == compressed


def test_a_deleted_dictionary_fails_every_body_it_decoded(small: ActivityLog) -> None:
    record(small, TRAIN_AFTER, seed=1)
    small.store.settle()
    record(small, 40, seed=2)
    compressed = {key for key, body in stored(small).items() if body[0] != RAW}
    assert len(compressed) == 40
    sql(small, "DELETE FROM body_dictionaries")
    report = small.verify()
    modified = {(b.workspace, b.seq) for b in report.breaks if b.kind == "modified"}
    assert modified == compressed
    assert not report.ok


def test_a_compressed_body_swapped_for_another_entrys_is_caught(small: ActivityLog) -> None:
    record(small, TRAIN_AFTER, seed=1)
    small.store.settle()
    record(small, 30, seed=2)
    bodies = stored(small)
    (first, body), (second, _) = sorted(
        ((key, body) for key, body in bodies.items() if body[0] != RAW and key[0] == "acme"),
    )[:2]
    sql(
        small,
        "UPDATE entries SET body = :b WHERE workspace = 'acme' AND seq = :s",
        b=body,
        s=second[1],
    )
    report = small.verify()
    assert ("acme", second[1], "modified") in {(b.workspace, b.seq, b.kind) for b in report.breaks}
    assert first != second


def test_a_raw_body_among_compressed_ones_verifies(small: ActivityLog) -> None:
    record(small, TRAIN_AFTER, seed=1)
    small.store.settle()
    record(small, 30, seed=2)
    key, body = next((k, b) for k, b in stored(small).items() if b[0] != RAW)
    plain = small.store.bodies.decode(body)
    sql(
        small,
        "UPDATE entries SET body = :b WHERE workspace = :w AND seq = :s",
        b=plain,
        w=key[0],
        s=key[1],
    )
    assert small.verify().ok


def test_retraining_keeps_older_bodies_readable(small: ActivityLog) -> None:
    record(small, TRAIN_AFTER, seed=1)
    small.store.settle()
    record(small, 30, seed=2)
    assert small.store.train_dictionary() == 2
    record(small, 30, seed=3)
    firsts = {body[:2] for body in stored(small).values() if body[0] != RAW}
    assert firsts == {bytes([FRAME_FORM, 1]), bytes([FRAME_FORM, 2])}
    assert len(list(small.export())) == TRAIN_AFTER + 60
    assert small.verify().ok


def test_another_process_appends_with_the_new_dictionary(
    small: ActivityLog, db_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "DICTIONARY_CHECK", 0.0)
    with ActivityLog(db_url, settings=settings) as other:
        record(other, 5, seed=1)  # it has looked for a dictionary: none yet
        record(small, TRAIN_AFTER, seed=2)
        small.store.settle()
        record(other, 10, seed=3)
    assert sum(body[0] != RAW for body in stored(small).values()) == 10
    assert small.verify().ok


def test_hashes_are_stored_as_their_32_bytes(small: ActivityLog) -> None:
    [event] = small.record_many(list(generate_events(1, seed=1)))
    [row] = sql(small, "SELECT content_hash, chain_hash FROM entries")
    assert bytes(row["content_hash"]).hex() == event["content_hash"]
    assert bytes(row["chain_hash"]).hex() == event["chain_hash"]


def test_migration_0016_down_and_up_again(small: ActivityLog, db_url: str) -> None:
    """Down: bodies decompressed, hashes as hex text, the dictionaries gone; up again: the
    log reads and verifies as before (PostgreSQL converts the hex back to bytes)."""
    record(small, TRAIN_AFTER, seed=1)
    small.store.settle()
    record(small, 30, seed=2)
    rows = list(small.export_rows())
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    with small.store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0015")
    with small.store.engine.connect() as conn:
        bodies = [bytes(b) for (b,) in conn.exec_driver_sql("SELECT body FROM entries")]
        hashes = [h for (h,) in conn.exec_driver_sql("SELECT content_hash FROM entries")]
    assert all(body[0] == RAW for body in bodies)
    assert all(isinstance(h, str) and len(h) == 64 for h in hashes)
    with small.store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
    assert list(small.export_rows()) == rows
    assert small.verify().ok
