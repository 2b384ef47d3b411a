"""The spool: append, replay, confirm/truncate, adoption under flock, torn writes."""

from __future__ import annotations

import fcntl
import logging
import os
import stat
from pathlib import Path

import orjson
import pytest

from activitylog.remote import Spool
from activitylog.remote import spool as spool_module
from activitylog.remote.spool import spool_key

URL = "https://log.example.com"


def lines(*numbers: int) -> list[bytes]:
    return [orjson.dumps({"id": f"e{n}", "action": "contact.updated"}) for n in numbers]


def replay_all(spool: Spool, limit: int = 1000) -> list[bytes]:
    out: list[bytes] = []
    while (batch := spool.read(limit)) is not None:
        out += batch.lines
        spool.confirm(batch)
    return out


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path, URL)


def test_nothing_is_written_until_something_is_spooled(spool: Spool, tmp_path: Path) -> None:
    assert not spool.pending()
    assert spool.read(10) is None
    assert list(tmp_path.iterdir()) == []


def test_append_then_replay_in_order(spool: Spool) -> None:
    spool.append(lines(1, 2, 3))
    spool.append(lines(4))
    assert spool.pending()
    [path] = spool.files()
    assert path.read_bytes() == b"".join(line + b"\n" for line in lines(1, 2, 3, 4))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert replay_all(spool, limit=3) == lines(1, 2, 3, 4)
    assert not spool.pending()


def test_a_batch_is_consumed_only_when_confirmed(spool: Spool) -> None:
    spool.append(lines(1, 2, 3))
    first = spool.read(2)
    assert first is not None
    assert first.lines == lines(1, 2)
    again = spool.read(2)  # the server did not confirm: the same events again
    assert again is not None
    assert again.lines == lines(1, 2)
    spool.confirm(again)
    rest = spool.read(2)
    assert rest is not None
    assert rest.lines == lines(3)


def test_the_file_is_truncated_once_everything_is_confirmed(spool: Spool) -> None:
    spool.append(lines(1, 2))
    [path] = spool.files()
    replay_all(spool)
    assert path.stat().st_size == 0
    spool.append(lines(3))  # the same file, reused
    assert spool.files() == [path]
    assert replay_all(spool) == lines(3)


def test_close_removes_an_empty_file_and_keeps_an_unconfirmed_one(tmp_path: Path) -> None:
    empty = Spool(tmp_path, URL)
    empty.append(lines(1))
    replay_all(empty)
    empty.close()
    assert list(tmp_path.iterdir()) == []

    left = Spool(tmp_path, URL)
    left.append(lines(1, 2))
    [path] = left.files()
    left.close()
    assert path.exists()


def test_a_new_spool_adopts_leftovers_and_removes_them_when_confirmed(tmp_path: Path) -> None:
    earlier = Spool(tmp_path, URL)
    earlier.append(lines(1, 2))
    [path] = earlier.files()
    earlier.close()

    later = Spool(tmp_path, URL)
    assert later.adopt() == 1
    assert later.pending()
    later.append(lines(3))  # its own events come after the adopted ones
    assert replay_all(later) == lines(1, 2, 3)
    assert not path.exists()


def test_files_held_by_a_live_spool_are_not_adopted(tmp_path: Path) -> None:
    live = Spool(tmp_path, URL)
    live.append(lines(1))
    other = Spool(tmp_path, URL)
    assert other.adopt() == 0
    assert not other.pending()
    live.close()
    assert other.adopt() == 1


def test_a_file_locked_elsewhere_is_skipped(tmp_path: Path) -> None:
    # flock locks belong to an open file description: another open() stands for another
    # process holding it.
    path = tmp_path / f"{spool_key(URL)}.20260101T000000000000.1.ndjson"
    path.write_bytes(b"".join(line + b"\n" for line in lines(1)))
    with path.open("rb") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        assert Spool(tmp_path, URL).adopt() == 0
    assert Spool(tmp_path, URL).adopt() == 1


def test_only_files_for_the_same_base_url_are_adopted(tmp_path: Path) -> None:
    mine = Spool(tmp_path, URL)
    mine.append(lines(1))
    mine.close()
    assert Spool(tmp_path, "https://other.example.com").adopt() == 0
    assert Spool(tmp_path, URL + "/").adopt() == 1  # the same base URL
    assert spool_key(URL) != spool_key("http://log.example.com")


def test_a_torn_last_line_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / f"{spool_key(URL)}.20260101T000000000000.1.ndjson"
    complete = b"".join(line + b"\n" for line in lines(1, 2))
    path.write_bytes(complete + lines(3)[0][:17])  # the process died mid-write
    spool = Spool(tmp_path, URL)
    spool.adopt()
    assert replay_all(spool) == lines(1, 2)
    assert not spool.pending()
    assert not path.exists()
    assert "torn" in caplog.text


def test_a_torn_line_alone_is_consumed_without_sending(tmp_path: Path) -> None:
    path = tmp_path / f"{spool_key(URL)}.20260101T000000000000.1.ndjson"
    path.write_bytes(b'{"id": "e1", "act')
    spool = Spool(tmp_path, URL)
    spool.adopt()
    assert spool.read(10) is None
    assert not path.exists()


def test_lines_that_are_not_events_are_set_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / f"{spool_key(URL)}.20260101T000000000000.1.ndjson"
    path.write_bytes(lines(1)[0] + b"\nnot json\n\n[1, 2]\n" + lines(2)[0] + b"\n")
    spool = Spool(tmp_path, URL)
    spool.adopt()
    with caplog.at_level(logging.ERROR, logger="activitylog.remote"):
        assert replay_all(spool) == lines(1, 2)
    assert spool.rejected_path.read_bytes() == b"not json\n[1, 2]\n"
    assert "not events" in caplog.text


def test_reject_appends_to_the_rejected_file(spool: Spool, tmp_path: Path) -> None:
    path = spool.reject(lines(1))
    spool.reject(lines(2))
    assert path.parent == tmp_path
    assert path.name.startswith(f"rejected-{spool.key}.")
    assert path.read_bytes().splitlines() == lines(1, 2)
    spool.close()
    assert path.exists()  # kept for a person to look at
    assert Spool(tmp_path, URL).adopt() == 0  # and never replayed


def test_a_failed_append_leaves_no_partial_line(
    spool: Spool, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool.append(lines(1))
    [path] = spool.files()

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        spool.append(lines(2, 3))
    monkeypatch.undo()
    assert path.read_bytes() == lines(1)[0] + b"\n"
    spool.append(lines(4))
    assert replay_all(spool) == lines(1, 4)


def test_reading_crosses_chunk_boundaries(spool: Spool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool_module, "READ_CHUNK", 7)
    spool.append(lines(*range(20)))
    assert replay_all(spool, limit=6) == lines(*range(20))


def test_the_spool_directory_is_private(tmp_path: Path) -> None:
    Spool(tmp_path / "a" / "spool", URL)
    assert stat.S_IMODE(os.stat(tmp_path / "a" / "spool").st_mode) == 0o700


def test_two_spools_for_one_url_in_one_process_write_separate_files(tmp_path: Path) -> None:
    first, second = Spool(tmp_path, URL), Spool(tmp_path, URL)
    first.append(lines(1))
    second.append(lines(2))
    assert first.files() != second.files()
    assert replay_all(first) == lines(1)
    assert replay_all(second) == lines(2)
