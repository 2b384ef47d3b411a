"""The body codec: stored bytes give back the exact canonical body, raw or compressed, with
any dictionary the codec was given; what it cannot read is refused, naming why."""

from __future__ import annotations

import threading

import orjson
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from activitylog.demo.seed import generate_events
from activitylog.store.bodies import FRAME, FRAME_MASK, RAW, ZSTD, BodyCodec, BodyError, train


def _bodies(count: int, seed: int) -> list[bytes]:
    return [
        orjson.dumps(event, option=orjson.OPT_SORT_KEYS)
        for event in generate_events(count, seed=seed)
    ]


SAMPLES = _bodies(300, seed=1)
#: Dictionaries with a zstd id of their own (as trained before the frame form): bodies
#: compressed with them carry the dictionary's id in front.
DICTIONARY = train(SAMPLES)
OTHER_DICTIONARY = train(_bodies(300, seed=2))
#: A dictionary trained as the log trains them: its zstd id is its row's id, 1.
LABELLED = train(SAMPLES, 1)


@pytest.fixture
def codec() -> BodyCodec:
    codec = BodyCodec()
    codec.add(1, DICTIONARY)
    return codec


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
#: Canonical-looking bodies: a JSON object, then anything (the codec keeps bytes, it does not
#: parse them).
bodies = st.builds(
    lambda obj, tail: orjson.dumps(obj) + tail,
    st.dictionaries(st.text(), json_values, max_size=6),
    st.binary(max_size=64),
)


@given(bodies)
def test_without_a_dictionary_a_body_is_stored_as_it_is(body: bytes) -> None:
    codec = BodyCodec()
    assert codec.encode(body) is body
    assert codec.decode(codec.encode(body)) == body


@given(bodies)
def test_with_a_dictionary_every_body_comes_back_exactly(body: bytes) -> None:
    codec = BodyCodec()
    codec.add(1, DICTIONARY)
    stored = codec.encode(body)
    assert stored[0] == ZSTD
    assert codec.decode(stored) == body
    assert BodyCodec({1: DICTIONARY}).decode(stored) == body  # another process's codec


def test_a_body_compressed_is_a_seventh_of_its_size(codec: BodyCodec) -> None:
    bodies = _bodies(200, seed=3)
    stored = [codec.encode(body) for body in bodies]
    assert sum(map(len, stored)) * 5 < sum(map(len, bodies))
    assert codec.decode_many(stored) == bodies


def test_raw_bodies_stay_readable_among_compressed_ones(codec: BodyCodec) -> None:
    raw = SAMPLES[0]
    assert raw[0] == RAW
    assert codec.decode_many([codec.encode(SAMPLES[1]), raw]) == [SAMPLES[1], raw]


def test_bodies_of_an_older_dictionary_stay_readable_after_a_newer_one(codec: BodyCodec) -> None:
    older = codec.encode(SAMPLES[0])
    codec.add(2, OTHER_DICTIONARY)
    newer = codec.encode(SAMPLES[0])
    assert (older[:2], newer[:2]) == (bytes([ZSTD, 1]), bytes([ZSTD, 2]))
    assert codec.decode(older) == codec.decode(newer) == SAMPLES[0]


def test_a_dictionary_it_does_not_hold_is_fetched_once() -> None:
    writer = BodyCodec()
    writer.add(1, DICTIONARY)
    encoded = writer.encode(SAMPLES[0])
    asked: list[int] = []

    def load(dictionary_id: int) -> bytes | None:
        asked.append(dictionary_id)
        return DICTIONARY if dictionary_id == 1 else None

    reader = BodyCodec(load=load)
    assert reader.decode(encoded) == reader.decode(encoded) == SAMPLES[0]
    assert asked == [1]


def test_ids_past_one_byte_are_written_as_varints() -> None:
    codec = BodyCodec()
    codec.add(300, DICTIONARY)
    stored = codec.encode(SAMPLES[0])
    assert stored[:3] == bytes([ZSTD, 0xAC, 0x02])
    assert BodyCodec({300: DICTIONARY}).decode(stored) == SAMPLES[0]


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        (b"", "empty"),
        (b"[1]", "unknown form"),
        (bytes([ZSTD, 7]) + b"\x00\x00", "dictionary 7 is not stored"),
        (bytes([ZSTD, 0x80]), "cut short"),
        (bytes([ZSTD, 1]) + b"\xff\xff\xff\xff", "cannot be decompressed"),
        (bytes([0x61]), "cut short"),
        (bytes([0x61, 9]) + b"\x00\x00", "dictionary 9 is not stored"),
        (bytes([0x61, 1]) + b"\x00\x00", "cannot be decompressed"),
    ],
)
def test_what_it_cannot_read_is_refused(codec: BodyCodec, stored: bytes, problem: str) -> None:
    with pytest.raises(BodyError, match=problem):
        codec.decode(stored)
    with pytest.raises(BodyError, match=problem):  # also past the batch's shortcut
        codec.decode_many([codec.encode(SAMPLES[0]), stored])
    assert codec.readable(stored) == stored  # verification hashes it as it is, and fails


def test_a_batch_decodes_every_form_as_one_at_a_time_does() -> None:
    codec = BodyCodec()
    raw = codec.encode(SAMPLES[0])
    codec.add(1, DICTIONARY)
    first = codec.encode(SAMPLES[1])
    codec.add(300, DICTIONARY)  # an id of two bytes: no shortcut
    later = codec.encode(SAMPLES[2])
    batch = [first, raw, later, first]
    assert codec.decode_many(batch) == [codec.decode(item) for item in batch]
    assert codec.decode_many(batch) == [SAMPLES[1], SAMPLES[0], SAMPLES[2], SAMPLES[1]]


def test_a_damaged_dictionary_fails_only_its_bodies(codec: BodyCodec) -> None:
    stored = codec.encode(SAMPLES[0])
    damaged = bytearray(DICTIONARY)
    damaged[8:4000] = bytes(3992)
    reader = BodyCodec({1: bytes(damaged)})
    assert reader.readable(stored) != SAMPLES[0]
    assert reader.decode(SAMPLES[1]) == SAMPLES[1]


def test_a_body_that_is_no_object_is_not_encoded(codec: BodyCodec) -> None:
    with pytest.raises(ValueError, match="body: a canonical body is a JSON object"):
        codec.encode(b"[1]")


def test_an_unusable_dictionary_is_refused() -> None:
    codec = BodyCodec()
    # a zstd dictionary's magic number with nothing sane after it
    with pytest.raises(BodyError, match="dictionary 1 is unusable"):
        codec.add(1, b"\x37\xa4\x30\xec" + bytes(200))
    assert codec.newest is None


def test_readable_rows_decode_one_column(codec: BodyCodec) -> None:
    rows = [(1, 10, codec.encode(SAMPLES[0]), "x"), (2, 11, b"\x09", "y")]
    assert codec.readable_rows(rows, 2) == [(1, 10, SAMPLES[0], "x"), (2, 11, b"\x09", "y")]


def test_training_on_too_few_bodies_fails_clearly() -> None:
    with pytest.raises(zstandard.ZstdError):
        train(SAMPLES[:3])


def test_threads_encode_and_decode_side_by_side_while_a_dictionary_is_added() -> None:
    codec = BodyCodec()
    codec.add(1, DICTIONARY)
    bodies = _bodies(400, seed=5)
    results: list[bool] = []

    def work() -> None:
        stored = [codec.encode(body) for body in bodies]
        results.append(codec.decode_many(stored) == bodies)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    codec.add(2, OTHER_DICTIONARY)
    for thread in threads:
        thread.join()
    assert results == [True] * 4


def test_a_dictionary_named_by_its_own_id_is_named_inside_the_frame() -> None:
    """The stored bytes are zstd's frame as is: the id in its header, read without a copy,
    and readable with zstandard alone, as docs/INTEGRITY.md says."""
    codec = BodyCodec()
    codec.add(1, LABELLED)
    stored = codec.encode(SAMPLES[0])
    assert stored[0] & FRAME_MASK == FRAME
    assert stored[1] == 1
    assert codec.decode(stored) == BodyCodec({1: LABELLED}).decode(stored) == SAMPLES[0]
    zstd = zstandard.ZstdDecompressor(
        dict_data=zstandard.ZstdCompressionDict(LABELLED),
        format=zstandard.FORMAT_ZSTD1_MAGICLESS,
    )
    assert zstd.decompress(stored) == SAMPLES[0]
    # one byte shorter than the same body with the id in front
    older = BodyCodec()
    older.add(1, DICTIONARY)
    assert len(stored) == len(older.encode(SAMPLES[0])) - 1


def test_a_frame_is_refused_by_another_dictionary_stored_under_its_id() -> None:
    codec = BodyCodec()
    codec.add(1, LABELLED)
    stored = codec.encode(SAMPLES[0])
    swapped = BodyCodec({1: train(_bodies(300, seed=2), 1)})  # same id, other content
    assert swapped.readable(stored) != SAMPLES[0]
    assert BodyCodec({1: DICTIONARY}).readable(stored) == stored  # another zstd id
    with pytest.raises(BodyError, match="cannot be decompressed"):
        BodyCodec({1: DICTIONARY}).decode(stored)


def test_every_form_in_one_batch_decodes_as_one_at_a_time() -> None:
    codec = BodyCodec()
    raw = codec.encode(SAMPLES[0])
    codec.add(1, LABELLED)
    framed = codec.encode(SAMPLES[1])
    codec.add(2, DICTIONARY)
    prefixed = codec.encode(SAMPLES[2])
    codec.add(300, train(SAMPLES, 300))  # an id past one byte: in front, as a varint
    varint = codec.encode(SAMPLES[3])
    assert (framed[0] & FRAME_MASK, prefixed[:2], varint[:3]) == (
        FRAME,
        bytes([ZSTD, 2]),
        bytes([ZSTD, 0xAC, 0x02]),
    )
    batch = [framed, raw, prefixed, varint, framed]
    assert codec.decode_many(batch) == [codec.decode(item) for item in batch]
    assert codec.decode_many(batch) == [SAMPLES[1], SAMPLES[0], SAMPLES[2], SAMPLES[3], SAMPLES[1]]


def test_a_body_past_zstds_window_names_its_dictionary_in_front() -> None:
    """A frame in more than one segment has its window before the dictionary's id: such a
    body (megabytes) is stored with the id in front."""
    codec = BodyCodec()
    codec.add(1, LABELLED)
    body = orjson.dumps({"details": {"blob": "x" * (3 << 20)}})
    stored = codec.encode(body)
    assert stored[:2] == bytes([ZSTD, 1])
    assert codec.decode(stored) == codec.decode_many([stored])[0] == body
