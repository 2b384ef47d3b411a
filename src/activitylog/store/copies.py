"""The copies of an entry kept beside its body, derived from the body alone.

``entries.body`` is the canonical JSON that was hashed; every column of ``events`` but
``rid`` copies something it says, for filtering, sorting and search, and the rollups count
entries by some of those copies. :func:`copies` is what the columns must hold for a body
(what the indexer writes), :func:`rollup_key` what an entry is counted under;
:class:`RowCheck` compares fetched rows with their bodies quickly enough to run over every
entry on each verification.

Pure: bytes and tuples in, values out; the store does the reading and writing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

import msgspec
import orjson

from activitylog.catalog import ActionInfo
from activitylog.enrich import search_text
from activitylog.events import to_micros
from activitylog.search_words import words
from activitylog.store import search_index
from activitylog.store.rollups import DAY_US, HOUR_US
from activitylog.store.schema import RID_SLOTS, Rollup

#: The columns of ``events`` that copy the body, in the order :func:`copies` gives them.
COPY_COLUMNS = (
    "workspace",
    "layer",
    "actor_id",
    "actor_name",
    "action",
    "category",
    "verb",
    "kind",
    "result",
    "ip",
    "subject_type",
    "subject_id",
    "search_text",
    "country",
    "actor_role",
)
#: What an entry is counted under in the rollups: its hour and day (since the epoch, UTC)
#: and every rollup dimension, in this order.
KEY_FIELDS = (
    "hour",
    "day",
    "layer",
    "actor_id",
    "category",
    "action",
    "verb",
    "kind",
    "result",
    "ip",
)
#: The columns :class:`RowCheck` reads, in order: the row's place, its body, the entry's
#: id (``entries.id``, which must be the body's), the copies, then the rollup dimensions
#: (as in :data:`KEY_FIELDS`). ``seq``, ``body`` and ``id`` are the log's (:data:`LOGGED`).
ROW_COLUMNS = (
    "seq",
    "rid",
    "body",
    "id",
    "workspace",
    "actor_name",
    "subject_type",
    "subject_id",
    "search_text",
    "country",
    "actor_role",
    *KEY_FIELDS[2:],
)
LOGGED = ("seq", "body", "id")
#: :class:`RowCheck`'s rows ``as_json``: the id and copies (``ROW_COLUMNS[3:]``) as a JSON
#: array, then the size FTS5 keeps of the entry's row of the search index.
JSON_ROW = ("seq", "rid", "body", "copies", "index_size")
_DIMS_AT = ROW_COLUMNS.index(KEY_FIELDS[2])
_COPIED_DIMS = _DIMS_AT - 3
_END = len(ROW_COLUMNS)
_IP_AT = KEY_FIELDS.index("ip")

Key = tuple[Any, ...]


def copies(body: bytes) -> dict[str, Any]:
    """Every copy column's value for ``body`` (:data:`COPY_COLUMNS`), with the body's
    ``id`` and ``occurred_at`` (microseconds), which the entry's row and rid hold. Raises
    ``ValueError`` when the body is not a stored event."""
    try:
        content = orjson.loads(body)
        actor = content["actor"]
        subject = content.get("subject") or {}
        location = content.get("location") or {}
        info = ActionInfo(content["category"], content["verb"], content["kind"], content["label"])
        values = {
            "id": content["id"],
            "workspace": content["workspace"],
            "occurred_at": to_micros(content["occurred_at"]),
            "layer": content["layer"],
            "actor_id": actor.get("id") or actor.get("name") or "",
            "actor_name": actor.get("name"),
            "action": content["action"],
            "category": info.category,
            "verb": info.verb,
            "kind": info.kind,
            "result": content["result"],
            "ip": content.get("ip"),
            "subject_type": subject.get("type"),
            "subject_id": subject.get("id"),
            "search_text": search_text(content, info),
            "country": location.get("country"),
            "actor_role": actor.get("role"),
        }
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"not an event body: {exc}") from None
    return values


def rollup_key(values: dict[str, Any]) -> Key:
    """The :data:`KEY_FIELDS` of an entry from its :func:`copies`."""
    occurred = values["occurred_at"]
    return (occurred // HOUR_US, occurred // DAY_US, *(values[f] for f in KEY_FIELDS[2:]))


def differing(row: Sequence[Any], columns: Sequence[str], values: dict[str, Any]) -> list[str]:
    """The names of ``columns`` whose value in ``row`` is not the body's (``rid`` too, when
    it is not in the body's microsecond)."""
    names = [
        name
        for name, value in zip(columns, row, strict=True)
        if name in values and value != values[name]
    ]
    if "rid" in columns and row[columns.index("rid")] // RID_SLOTS != values["occurred_at"]:
        names.insert(0, "rid")
    return names


def index_size(count: int) -> bytes:
    """What SQLite's FTS5 keeps as the size of a row of ``count`` tokens
    (``events_fts_docsize.sz``), as a SQLite varint."""
    out = [count & 0x7F]
    count >>= 7
    while count:
        out.append(0x80 | (count & 0x7F))
        count >>= 7
    return bytes(reversed(out))


# -- the fast check ------------------------------------------------------------------------
# The body decoded into just what the copies need: msgspec skips the other fields without
# building them, in about half the time orjson.loads takes for the whole body. A row the
# fast check doubts goes to the exact one (copies() above), which alone says what differs.


class _Party(msgspec.Struct, gc=False):
    id: str | None = None
    name: str | None = None
    role: str | None = None


class _Subject(msgspec.Struct, gc=False):
    type: str | None = None
    id: str | None = None
    name: str | None = None


class _Location(msgspec.Struct, gc=False):
    country: str | None = None


class _Body(msgspec.Struct, gc=False):
    id: str
    workspace: str
    occurred_at: str
    layer: str
    actor: _Party
    action: str
    category: str
    verb: str
    kind: str
    label: str
    result: str
    ip: str | None = None
    subject: _Subject | None = None
    description: str | None = None
    location: _Location | None = None


_decode = msgspec.json.Decoder(_Body).decode
_NO_SUBJECT = _Subject()
_NO_LOCATION = _Location()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass
class Broken:
    """A row whose copies differ from its body: which columns, what they should hold
    (None when the body is unreadable), and the rollup key its columns say."""

    seq: int
    rid: int
    names: list[str]
    values: dict[str, Any] | None
    stored_key: Key


@dataclass
class RowCheck:
    """Checks rows of one workspace against their bodies, and gathers the rollup key of
    every entry whose body belongs to it.

    Rows are :data:`ROW_COLUMNS` (then, with ``search_index``, the size FTS5 keeps of the
    entry's row of the search index); or, ``as_json``, :data:`JSON_ROW`: the id and
    copies as one JSON array (SQLite builds it: one value to fetch instead of
    seventeen). A JSON row that differs is only noted in ``suspects`` (its rid): read it
    again as :data:`ROW_COLUMNS` and give it to :meth:`exact`.

    With ``search_index`` (SQLite) the words live in the search index alone: the copies'
    ``search_text`` must be empty, and the index must hold as many tokens for the entry
    as its scope token and words make (:func:`~activitylog.store.search_index.size`).

    ``keys`` and ``seqs`` hold one item per counted entry; ``broken`` the rows that
    differ; ``unindexed`` the seqs the search index holds wrongly (its size of the row,
    or, once :meth:`check_scopes` is given the rows holding each scope token, the scope
    token), and ``reindexed``
    ``(rid, seq, indexed text)`` for each of them: what the index should hold.
    """

    workspace: str
    as_json: bool = False
    search_index: bool = False
    keys: list[Key] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    broken: list[Broken] = field(default_factory=list)
    unindexed: list[int] = field(default_factory=list)
    reindexed: list[tuple[int, int, str]] = field(default_factory=list)
    #: ``(rid, seq, class, words)`` of the rows of this workspace whose index size is
    #: right, until :meth:`check_scopes` looks for their scope token.
    scoped: list[tuple[int, int, str, str]] = field(default_factory=list)
    suspects: list[int] = field(default_factory=list)
    _sizes: dict[int, bytes] = field(default_factory=dict)
    #: The index's size of each suspect, for :meth:`exact`.
    _suspect_sizes: dict[int, Any] = field(default_factory=dict)

    def feed(self, rows: Sequence[Sequence[Any]]) -> None:
        add_key, add_seq = self.keys.append, self.seqs.append
        as_json, suspects = self.as_json, self.suspects
        decode, dumps, fromiso = _decode, orjson.dumps, datetime.fromisoformat
        epoch, micro, no_subject, no_location = _EPOCH, _MICROSECOND, _NO_SUBJECT, _NO_LOCATION
        hour_us, day_us, slots = HOUR_US, DAY_US, RID_SLOTS
        indexed, size_at = self.search_index, 4 if as_json else _END
        for row in rows:
            try:
                s = decode(row[2])
                actor, subject, label, action, ip = s.actor, s.subject, s.label, s.action, s.ip
                if subject is None:
                    subject = no_subject
                location = s.location or no_location
                occurred = (fromiso(s.occurred_at) - epoch) // micro
                parts = (label, action, s.description, subject.type, subject.name, actor.name, ip)
                searched = words(" ".join(filter(None, parts)))
                copied = (
                    s.id,
                    s.workspace,
                    actor.name,
                    subject.type,
                    subject.id,
                    "" if indexed else searched,
                    location.country,
                    actor.role,
                    s.layer,
                    actor.id or actor.name or "",
                    s.category,
                    action,
                    s.verb,
                    s.kind,
                    s.result,
                    ip,
                )
                same = (dumps(copied) == row[3] if as_json else row[3:_END] == copied) and (
                    row[1] // slots == occurred
                )
            except (msgspec.MsgspecError, ValueError, TypeError):
                same = False
            if same:
                add_key((occurred // hour_us, occurred // day_us, *copied[_COPIED_DIMS:]))
                add_seq(row[0])
                if indexed:
                    self._check_index(row, row[size_at], s.workspace, s.layer, s.category, searched)
            elif as_json:
                suspects.append(row[1])
                self._suspect_sizes[row[1]] = row[size_at]
            else:
                self._exact(row)

    def exact(self, rows: Sequence[Sequence[Any]]) -> None:
        """Check rows of :data:`ROW_COLUMNS` column by column (what differs, and why)."""
        for row in rows:
            self._exact(row)

    def _exact(self, row: Sequence[Any]) -> None:
        seq, rid = row[0], row[1]
        occurred = rid // RID_SLOTS
        stored_key = (occurred // HOUR_US, occurred // DAY_US, *row[_DIMS_AT:_END])
        try:
            values = copies(bytes(row[2]))
        except ValueError:
            self.broken.append(Broken(seq, rid, ["body"], None, stored_key))
            return
        if values["workspace"] == self.workspace:
            self.keys.append(rollup_key(values))
            self.seqs.append(seq)
        if self.search_index:
            searched = values["search_text"]
            values["search_text"] = ""  # what the copies' row holds: the words are indexed
            args = (values["workspace"], values["layer"], values["category"], searched)
            values["indexed"] = search_index.indexed(*args)
            stored = row[_END] if len(row) > _END else self._suspect_sizes.pop(rid, None)
            self._check_index(row, stored, *args)
        names = differing(row[:_END], ROW_COLUMNS, values)
        if names:
            self.broken.append(Broken(seq, rid, names, values, stored_key))

    def _check_index(
        self, row: Sequence[Any], stored: Any, workspace: str, layer: str, category: str, text: str
    ) -> None:
        """Note the entry of ``row`` when the index's size of it (``stored``) is not that
        of its scope token and words ``text``."""
        count = search_index.size(text)
        expected = self._sizes.get(count)
        if expected is None:
            expected = self._sizes[count] = index_size(count)
        if stored != expected:
            self.unindexed.append(row[0])
            self.reindexed.append(
                (row[1], row[0], search_index.indexed(workspace, layer, category, text))
            )
        elif workspace == self.workspace:
            self.scoped.append((row[1], row[0], search_index.entry_class(layer, category), text))

    def check_scopes(self, holding: dict[str, set[int]]) -> None:
        """Note the entries of :attr:`scoped` whose row of the index is not among the
        rows ``holding`` their class's scope token (by class), and forget them."""
        for rid, seq, klass, text in self.scoped:
            if rid not in holding[klass]:
                self.unindexed.append(seq)
                scope = search_index.token(self.workspace, klass)
                self.reindexed.append((rid, seq, f"{scope} {text}" if text else scope))
        self.scoped.clear()


def project(dims: Sequence[str], grain: str) -> Callable[[Key], Key]:
    """``key -> (bucket, *dims)`` for a rollup of ``grain`` with ``dims`` (C speed)."""
    positions = [KEY_FIELDS.index("hour" if grain == "hour" else "day")]
    positions += [KEY_FIELDS.index(d) for d in dims]
    pick: Callable[[Key], Key] = itemgetter(*positions)
    return pick


def rollup_counts(keys: Iterable[Key], rollups: Sequence[Rollup]) -> list[dict[Key, int]]:
    """What each of ``rollups`` counts for entries with rollup ``keys``: ``(bucket, *dims)
    -> n``, as ingest counts them (IP rollups only entries with an IP).

    The keys are counted once; each rollup is then summed from the smallest count already
    made that has its dimensions (an hourly one for a daily one), so most of the work is
    per distinct key, not per entry."""
    fine = Counter(keys)
    with_ip = {key: n for key, n in fine.items() if key[_IP_AT]}
    made: list[tuple[Rollup, dict[Key, int]]] = []
    out: dict[str, dict[Key, int]] = {}
    finest_first = sorted(rollups, key=lambda r: (r.grain != "hour", -len(r.dims)))
    for rollup in finest_first:
        ip = "ip" in rollup.dims
        sources = [
            (source, counts)
            for source, counts in made
            if set(rollup.dims) <= set(source.dims)
            and ("ip" in source.dims) == ip
            and (source.grain == "hour" or rollup.grain == "day")
        ]
        if sources:
            source, counts = min(sources, key=lambda pair: len(pair[1]))
            pick = _regroup(source, rollup)
        else:
            counts, pick = (with_ip if ip else fine), project(rollup.dims, rollup.grain)
        summed = _sum_by(counts, pick)
        made.append((rollup, summed))
        out[rollup.table.name] = summed
    return [out[rollup.table.name] for rollup in rollups]


def _regroup(source: Rollup, target: Rollup) -> Callable[[Key], Key]:
    """``(bucket, *source.dims) -> (bucket, *target.dims)``, hours to days if need be."""
    positions = [1 + source.dims.index(d) for d in target.dims]
    if source.grain == target.grain:
        pick: Callable[[Key], Key] = itemgetter(0, *positions)
        return pick
    dims = itemgetter(*positions)
    if len(positions) == 1:
        return lambda key: (key[0] // 24, dims(key))
    return lambda key: (key[0] // 24, *dims(key))


def _sum_by(counts: dict[Key, int], pick: Callable[[Key], Key]) -> dict[Key, int]:
    out: dict[Key, int] = {}
    get = out.get
    for key, n in counts.items():
        group = pick(key)
        out[group] = get(group, 0) + n
    return out
