"""The archive file's pieces: the manifest's text, lines, and reading zstd back."""

from __future__ import annotations

import io

import pytest
import zstandard

from activitylog.archives.format import (
    Manifest,
    compressor,
    line,
    manifest_text,
    parse_manifest,
    read_lines,
    record_of,
)

MANIFEST = Manifest(
    workspace="acme",
    first_seq=1,
    last_seq=1042,
    count=1042,
    cutoff="2026-09-07T00:00:00.000000Z",
    entries_sha256="ab" * 32,
    tree_size=1042,
    root="cd" * 32,
    checkpoint_size=1100,
    checkpoint_root="ef" * 32,
    time="2026-12-06T15:00:00.000000Z",
)


def test_the_manifest_text_states_the_archive() -> None:
    text = manifest_text(MANIFEST)
    assert text == (
        "activitylog archive v1\nworkspace acme\nseqs 1 1042\ncount 1042\n"
        "cutoff 2026-09-07T00:00:00.000000Z\n"
        f"entries {'ab' * 32}\nroot 1042 {'cd' * 32}\ncheckpoint 1100 {'ef' * 32}\n"
        "time 2026-12-06T15:00:00.000000Z\n"
    )
    assert parse_manifest(text) == MANIFEST


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("activitylog checkpoint\n", "does not start with"),
        ("activitylog archive v1\nworkspace acme\n", "malformed"),
        (manifest_text(MANIFEST).replace("count 1042", "count many"), "malformed"),
    ],
)
def test_what_is_not_a_manifest(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_manifest(text)


def test_a_workspace_with_a_line_break_cannot_be_stated() -> None:
    with pytest.raises(ValueError, match="one line"):
        manifest_text(Manifest(**{**MANIFEST.__dict__, "workspace": "a\nb"}))


def test_lines_come_back_as_written_across_chunks_and_frames() -> None:
    records = [{"type": "entry", "seq": n, "body": "é" * n} for n in range(1, 300)]
    out = io.BytesIO()
    with compressor(out) as zst:
        for record in records[:150]:
            zst.write(line(record))
    with compressor(out) as zst:  # a second frame, as a concatenated file would have
        for record in records[150:]:
            zst.write(line(record))
    lines = list(read_lines(io.BytesIO(out.getvalue()), chunk=97))
    assert [record_of(raw) for raw in lines] == records
    assert all(raw.endswith(b"\n") for raw in lines)


def test_a_file_cut_short_or_not_zstd_is_refused() -> None:
    data = zstandard.ZstdCompressor().compress(line({"type": "entry"}) * 1000)
    with pytest.raises(ValueError, match="cut short"):
        list(read_lines(io.BytesIO(data[:-10])))
    with pytest.raises(ValueError, match="not a zstd archive"):
        list(read_lines(io.BytesIO(b"plain text\n")))


@pytest.mark.parametrize("raw", [b"[1, 2]\n", b"{}\n", b"{not json\n"])
def test_a_line_that_is_no_record(raw: bytes) -> None:
    with pytest.raises(ValueError, match="not"):
        record_of(raw)
