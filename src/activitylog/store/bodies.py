"""How an entry's body is stored: its canonical JSON as is, or compressed with zstd and a
dictionary trained on the log's own bodies.

Stored bytes say which they are by their first byte:

- ``{``: the canonical JSON itself (every body before the log had a dictionary);
- a zstd frame without magic number or checksum, holding the body's length and naming
  its dictionary in one byte (its first byte ``0b??1???01``: the single-segment flag and a
  one-byte dictionary id, so the id is the second byte): the body compressed with that
  dictionary. Dictionaries are trained with their row's id as their zstd id, so the frame
  is stored as zstd wrote it, and read without copying it first (the form of dictionaries
  1 to 255 trained so);
- ``0x01``, then the dictionary's id (unsigned LEB128), then a zstd frame without magic
  number or checksum, holding the body's length: the body compressed with that dictionary
  (dictionaries with another zstd id, those trained before the form above, and ids past
  255).

Decoding gives back the exact canonical bytes that were hashed, so hashes, exports and
proofs never see the difference. Measured on seed events (bodies of about 1,040 bytes): a
64 KiB dictionary trained on 5,000 of them brings a body to about 145 bytes at level 3,
for about 3.5 us to compress and 1.4 us to decompress. zstandard's batch decompression
(``multi_decompress_to_buffer``) was no faster than one call per body and needs frames
with their magic number (4 bytes more each), so bodies are decoded one call each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import zstandard

#: The first byte of a canonical JSON body (stored as is).
RAW = ord("{")
#: The first byte of a body compressed with a dictionary, its id after it.
ZSTD = 0x01
#: A zstd frame header's first byte, masked, when the frame is in one segment and names its
#: dictionary in one byte (the next one): a body stored as the frame itself.
FRAME_MASK, FRAME = 0x23, 0x21
LEVEL = 3
#: Bytes of a trained dictionary (32 KiB gave bodies 3% larger, 110 KiB none smaller).
DICTIONARY_SIZE = 64 * 1024
_FORMAT = zstandard.FORMAT_ZSTD1_MAGICLESS
_PARAMETERS = {
    framed: zstandard.ZstdCompressionParameters.from_level(
        LEVEL, format=_FORMAT, write_checksum=False, write_dict_id=framed, write_content_size=True
    )
    for framed in (False, True)
}


class BodyError(ValueError):
    """Stored bytes that are no body this codec can read (an unknown dictionary, a
    damaged frame, or neither form)."""


class BodyCodec:
    """Encodes bodies with the dictionary last given to :meth:`add` (none: as they are),
    decodes with any dictionary it holds: those given to it, and those ``load`` fetches by
    id (None: there is none). A dictionary is put to use when first needed, so one that is
    damaged fails only the bodies that need it. zstd's compressors are not for concurrent
    use: each thread makes its own.
    """

    def __init__(
        self,
        dictionaries: Mapping[int, bytes] | None = None,
        *,
        load: Callable[[int], bytes | None] | None = None,
    ) -> None:
        self._load = load
        self._data: dict[int, bytes] = {i: bytes(d) for i, d in (dictionaries or {}).items()}
        self._local = threading.local()
        #: What encoded bodies start with, the dictionary they are compressed with, its id
        #: and whether its frames name it, replaced as one (None: bodies stay as they are).
        self._current: tuple[bytes, bytes, int, bool] | None = None
        #: The id of the dictionary appends compress with (None: bodies stay as they are).
        self.newest: int | None = None

    def add(self, dictionary_id: int, data: bytes) -> None:
        """Encode with dictionary ``dictionary_id`` from now on (and decode with it).
        Raises :class:`BodyError` when it cannot compress."""
        if dictionary_id < 1:
            raise ValueError(f"dictionary id: must be at least 1, got {dictionary_id}")
        data = bytes(data)
        try:
            framed = dictionary_id < 0x100 and _zstd_id(data) == dictionary_id
            _compressor(data, framed)(b"{}")
        except zstandard.ZstdError as exc:
            raise BodyError(f"dictionary {dictionary_id} is unusable: {exc}") from None
        self._data[dictionary_id] = data
        prefix = b"" if framed else bytes([ZSTD]) + _varint(dictionary_id)
        self._current = (prefix, data, dictionary_id, framed)
        self.newest = dictionary_id

    def encode(self, body: bytes) -> bytes:
        """What to store for canonical ``body`` (a JSON object)."""
        if body[:1] != b"{":
            raise ValueError("body: a canonical body is a JSON object, starting with '{'")
        current = self._current
        if current is None:
            return body
        mine = getattr(self._local, "compress", None)
        if mine is None or mine[0] is not current:
            mine = self._local.compress = (current, _compressor(current[1], current[3]))
        frame = mine[1](body)
        if current[3] and frame[0] & FRAME_MASK != FRAME:  # a body past zstd's window
            return bytes([ZSTD]) + _varint(current[2]) + frame
        return current[0] + frame

    def decode(self, stored: bytes) -> bytes:
        """The canonical body ``stored`` holds. Raises :class:`BodyError` when it cannot
        be read."""
        return self._decode(stored, self._decompressors())

    def decode_many(self, stored: Iterable[bytes]) -> list[bytes]:
        """:meth:`decode` of each item, in order (exports and verification read thousands:
        the common forms are decoded by one comprehension, see :meth:`_decode_fast`)."""
        items = stored if isinstance(stored, list) else list(stored)
        decoded = self._decode_fast(items)
        if decoded is not None:
            return decoded
        decode, decompressors = self._decode, self._decompressors()
        return [decode(item, decompressors) for item in items]

    def _decode_fast(self, items: list[bytes]) -> list[bytes] | None:
        """Every item decoded in one comprehension when each is a canonical body as is or
        compressed with a dictionary of a one-byte id already in use; None when one is not
        (or cannot be decoded): the caller then goes item by item, naming why."""
        decompressors = self._decompressors()
        for held in self._data.keys() - decompressors.keys():
            decompressors[held] = self._decompressor(held)
        framed = {i: d for i, d in decompressors.items() if i < 0x100}
        short = {i: d for i, d in decompressors.items() if i < 0x80}
        try:
            return [
                framed[item[1]](item)
                if item[0] & FRAME_MASK == FRAME
                else short[item[1]](item[2:])
                if item[0] == ZSTD
                else _as_is(item)
                for item in items
            ]
        except (LookupError, zstandard.ZstdError, BodyError):
            return None

    def readable(self, stored: bytes) -> bytes:
        """The body ``stored`` holds, or ``stored`` itself when it cannot be decoded: for
        verification, which then reports the entry (those bytes do not hash to its
        content hash)."""
        try:
            return self._decode(stored, self._decompressors())
        except BodyError:
            return stored if type(stored) is bytes else bytes(stored)

    def readable_many(self, stored: Iterable[bytes | None]) -> list[bytes | None]:
        """:meth:`readable` of each item, in order (None, a tombstone's, stays None)."""
        items = stored if isinstance(stored, list) else list(stored)
        if None not in items:
            decoded = self._decode_fast(items)  # type: ignore[arg-type]
            if decoded is not None:
                return decoded  # type: ignore[return-value]
        readable = self.readable
        return [None if item is None else readable(item) for item in items]

    def readable_rows(self, rows: Iterable[Sequence[Any]], column: int) -> list[tuple[Any, ...]]:
        """``rows`` with the stored body in ``column`` as :meth:`readable` gives it (for
        checks of copies against bodies: one that cannot be decoded is then reported as
        no readable event)."""
        rows = list(rows)
        bodies = self.readable_many([row[column] for row in rows])
        return [
            (*row[:column], body, *row[column + 1 :])
            for row, body in zip(rows, bodies, strict=True)
        ]

    def _decode(self, stored: bytes, decompressors: dict[int, Callable[[bytes], bytes]]) -> bytes:
        if not stored:
            raise BodyError("body: empty")
        first = stored[0]
        if first == RAW:
            return stored if type(stored) is bytes else bytes(stored)
        if first & FRAME_MASK == FRAME:
            if len(stored) < 2:
                raise BodyError("body: cut short")
            dictionary_id, start = stored[1], 0
        elif first != ZSTD:
            raise BodyError(f"body: unknown form (first byte {first:#04x})")
        elif len(stored) > 1 and stored[1] < 0x80:  # a dictionary id of one byte: no varint
            dictionary_id, start = stored[1], 2
        else:
            dictionary_id, start = _read_varint(stored, 1)
        decompress = decompressors.get(dictionary_id)
        if decompress is None:
            decompress = decompressors[dictionary_id] = self._decompressor(dictionary_id)
        try:
            return decompress(stored[start:] if start else stored)
        except zstandard.ZstdError as exc:
            raise BodyError(
                f"body: cannot be decompressed with dictionary {dictionary_id}: {exc}"
            ) from None

    def _decompressors(self) -> dict[int, Callable[[bytes], bytes]]:
        """This thread's decompressors, by dictionary id."""
        mine: dict[int, Callable[[bytes], bytes]] | None = getattr(
            self._local, "decompressors", None
        )
        if mine is None:
            mine = self._local.decompressors = {}
        return mine

    def _decompressor(self, dictionary_id: int) -> Callable[[bytes], bytes]:
        data = self._data.get(dictionary_id)
        if data is None and self._load is not None:
            data = self._load(dictionary_id)
        if data is None:
            raise BodyError(f"body: dictionary {dictionary_id} is not stored")
        self._data.setdefault(dictionary_id, bytes(data))
        try:
            dictionary = zstandard.ZstdCompressionDict(bytes(data))
            decompressor = zstandard.ZstdDecompressor(dict_data=dictionary, format=_FORMAT)
        except zstandard.ZstdError as exc:
            return _unusable(f"body: dictionary {dictionary_id} is unusable: {exc}")
        return decompressor.decompress


def _unusable(problem: str) -> Callable[[bytes], bytes]:
    """What decodes the bodies of a damaged dictionary: a refusal, naming why (so a
    damaged dictionary fails only the bodies that name it, and is looked at once)."""

    def refuse(_frame: bytes) -> bytes:
        raise BodyError(problem)

    return refuse


def _as_is(item: bytes) -> bytes:
    """A stored canonical body (``{`` first) as bytes; anything else is no body."""
    if item[0] != RAW:
        raise BodyError(f"body: unknown form (first byte {item[0]:#04x})")
    return item if type(item) is bytes else bytes(item)


def _compressor(data: bytes, framed: bool) -> Callable[[bytes], bytes]:
    dictionary = zstandard.ZstdCompressionDict(data)
    parameters = _PARAMETERS[framed]
    return zstandard.ZstdCompressor(dict_data=dictionary, compression_params=parameters).compress


def _zstd_id(data: bytes) -> int:
    """The id a zstd dictionary gives itself (0 for raw content)."""
    return int(zstandard.ZstdCompressionDict(data).dict_id())


def train(samples: list[bytes], dictionary_id: int = 0) -> bytes:
    """A dictionary of :data:`DICTIONARY_SIZE` bytes trained on ``samples`` (canonical
    bodies; some thousands), with ``dictionary_id`` as its zstd id (the id of the row it
    is stored in; 0: a random one). Raises ``zstandard.ZstdError`` when they are too
    few."""
    buffers: list[bytes | bytearray | memoryview] = list(samples)
    return zstandard.train_dictionary(DICTIONARY_SIZE, buffers, dict_id=dictionary_id).as_bytes()


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    """The unsigned LEB128 number at ``data[at:]`` and the offset after it."""
    value, shift = 0, 0
    while at < len(data) and shift < 63:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7
    raise BodyError("body: the dictionary id is cut short")
