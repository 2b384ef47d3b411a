"""chain: the content and chain hashes, and the rows a store hands verification."""

from __future__ import annotations

import hashlib

from activitylog import chain
from activitylog.verify_report import GENESIS


def test_hashes() -> None:
    assert chain.content_hash(b"{}") == hashlib.sha256(b"\x00{}").hexdigest()
    first = chain.link(GENESIS, chain.content_hash(b"{}"))
    assert first == hashlib.sha256(bytes(32) + hashlib.sha256(b"\x00{}").digest()).hexdigest()


def test_a_live_chunk_gives_rows_of_its_seqs_and_bodies() -> None:
    chunk = chain.LiveChunk([(7, b"x"), (8, b"y")], [b"{}", b"{1}"])
    assert (chunk.first, chunk.last, len(chunk)) == (7, 8, 2)
    assert list(chunk) == [(7, b"{}", None, None, None), (8, b"{1}", None, None, None)]
