"""The Python SDK: :class:`ActivityLog`, writing to and reading from a local store, or
sending to a server (``http(s)://`` URL, see :mod:`activitylog.remote`).

from activitylog import ActivityLog

log = ActivityLog("sqlite:///activitylog.db")   # or ("https://log.example.com", api_key=...)
with log.context(actor={"id": "u_1", "name": "Ava"}, workspace="acme", ip="203.0.113.9"):
    log.record(action="contact.updated", subject={"type": "contact", "id": "c_9"},
               changes={"email": {"before": "a@x.io", "after": "b@x.io"}})
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from activitylog.access import (
    OPERATOR,
    Viewer,
    Visibility,
    may_delete,
    visibility_for,
    widest_scope,
)
from activitylog.catalog import DEFAULT_CATALOG, Catalog
from activitylog.chain import DELETION_ACTION
from activitylog.enrich import Prepared, prepare, prepare_batch
from activitylog.entry_check import EntryCheck, check_entry
from activitylog.errors import (
    AccessDenied,
    BatchValidationError,
    ConfigurationError,
    FieldError,
    IntegrityError,
    NotFound,
    ValidationError,
)
from activitylog.events import fit_name, format_micros, normal_id, validate, validate_batch
from activitylog.exports import StoredRow
from activitylog.filter_values import unknown_values
from activitylog.idempotency import Recorded
from activitylog.keyfile import KeyFile
from activitylog.notes import Checkpoint
from activitylog.proofs import consistency_proof, inclusion_proof
from activitylog.query import Cursor, Filters, Page, QuerySpec, Sort
from activitylog.sealing import SealPolicy
from activitylog.selection import Selection, selection_of
from activitylog.settings import Settings
from activitylog.signing import KeyRing, SigningKey
from activitylog.stats import Dim, Stats, StatsSpec, compute
from activitylog.store import Store, open_store
from activitylog.verification import verify_log
from activitylog.verify_jobs import process_verifier
from activitylog.verify_report import VerifyReport
from activitylog.witness import Witness

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from activitylog.accounts import Accounts
    from activitylog.remote import RemoteOptions, RemoteTransport

CONTEXT_FIELDS = (
    "actor",
    "workspace",
    "ip",
    "user_agent",
    "request_id",
    "session_id",
    "impersonator",
)
#: How far from a deletion its record is looked for (it is written in the same transaction).
DELETION_RECORD_WINDOW = timedelta(hours=1)
_context: ContextVar[Mapping[str, Any]] = ContextVar(
    "activitylog_context", default=MappingProxyType({})
)


class ActivityLog:
    """Record and read activity. ``url`` is a database URL (default ``$ACTIVITYLOG_DB`` or
    ``sqlite:///activitylog.db``); the checkpoint signing key lives in a file outside it.

    With an ``http(s)://`` server URL and an ``api_key`` (default ``$ACTIVITYLOG_API_KEY``)
    the log is remote: events are validated here and sent in the background, spooled in
    ``spool_dir`` (default ``$ACTIVITYLOG_SPOOL_DIR``) while the server cannot be reached;
    only writing and :meth:`viewer_token` work, reading goes through the server.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        catalog: Catalog = DEFAULT_CATALOG,
        settings: Settings | None = None,
        signing_key: str | Path | None = None,
        api_key: str | None = None,
        spool_dir: str | Path | None = None,
        remote_options: RemoteOptions | None = None,
    ) -> None:
        settings = settings or Settings.from_env()
        url = url or settings.db
        self.url = url
        self.catalog = catalog
        self.keys = KeyFile(Path(signing_key) if signing_key else settings.signing_key)
        self.settings = settings
        self._secret_key = settings.secret_key
        self._store: Store | None = None
        self._remote: RemoteTransport | None = None
        self._accounts: Accounts | None = None
        self._accounts_lock = threading.Lock()
        self.witness: Witness | None = None
        if url.lower().startswith(("http://", "https://")):
            from activitylog.remote.connect import open_transport

            self._remote = open_transport(url, settings, api_key, spool_dir, remote_options)
            return
        self.witness = Witness(settings.witness_dir) if settings.witness_dir else None
        policy = SealPolicy(
            key=self.keys.key,
            ring=self.keys.ring,
            every=settings.checkpoint_every,
            seconds=settings.checkpoint_seconds,
            witness=self.witness,
        )
        self._store = open_store(url, policy, durability=settings.durability)

    @property
    def store(self) -> Store:
        """The local store; a :class:`ConfigurationError` in remote mode."""
        if self._store is None:
            raise ConfigurationError(
                f"ActivityLog({self.url!r}) sends events to a server and cannot read them; "
                "read through the server's API or web pages, or open its database URL"
            )
        return self._store

    def accounts(self) -> Accounts:
        """People, roles, sessions, API keys and workspace settings, kept in the
        ``accounts_db`` setting's database: by default this log's, on its engine (a
        :class:`ConfigurationError` in remote mode). Opened, and migrated, once."""
        with self._accounts_lock:
            if self._accounts is None:
                self._accounts = self._open_accounts()
            return self._accounts

    def _open_accounts(self) -> Accounts:
        from activitylog.accounts import Accounts
        from activitylog.accounts.database import same_database

        store = self.store  # a remote log keeps no accounts here: ConfigurationError
        url = self.settings.accounts_db
        if url is None or same_database(url, self.url):
            return Accounts(store.engine)
        return Accounts.open(url)

    @property
    def signing_key(self) -> SigningKey:
        """The key that signs checkpoints, created on first use."""
        if self._remote is not None:
            raise ConfigurationError("checkpoints are signed by the server in remote mode")
        return self.keys.key()

    # -- writing ---------------------------------------------------------------------------
    @contextmanager
    def context(self, **fields: Any) -> Iterator[None]:
        """Fill ``actor``, ``workspace``, ``ip``, ``user_agent``, ``request_id``,
        ``session_id`` or ``impersonator`` for everything recorded inside (per thread/task)."""
        unknown = set(fields) - set(CONTEXT_FIELDS)
        if unknown:
            raise ValidationError(
                [
                    FieldError(name, f"cannot be set by context; use {', '.join(CONTEXT_FIELDS)}")
                    for name in sorted(unknown)
                ]
            )
        token = _context.set({**_context.get(), **fields})
        try:
            yield
        finally:
            _context.reset(token)

    def record(self, **fields: Any) -> dict[str, Any]:
        """Validate, enrich, sequence and store one event; returns it as stored.

        Recording an ``id`` already stored with the same content returns the stored event
        unchanged; with other content raises :class:`~activitylog.errors.Conflict`. Remote: the
        event is validated and queued, and its content returned (with its ``id``) without
        ``seq``, hashes, ``received_at`` or derived fields: the server sets those.
        """
        raw = {**_context.get(), **fields}
        if self._remote is not None:
            return self._remote.send([validate(raw)])[0]
        try:
            batch = prepare_batch([raw], self.catalog)
        except BatchValidationError as exc:  # of the one event: its errors as they are
            raise ValidationError(list(exc.by_index[0])) from None
        return self.store.append_batch(batch)[0].event

    def record_many(
        self, events: Iterable[Mapping[str, Any]], *, connection: Connection | None = None
    ) -> list[dict[str, Any]]:
        """Store a batch atomically: any invalid event -> BatchValidationError, nothing stored.
        Remote: nothing queued; once queued, the server may store the batch in several parts.

        ``connection``: a SQLAlchemy connection to this log's own database, inside a
        transaction the caller commits; the batch is stored with it, or not at all (see
        :meth:`SQLStore.append`). Not available in remote mode.
        """
        if connection is not None and self._remote is not None:
            raise ConfigurationError(
                "a remote log cannot record in a database transaction; record without one"
            )
        ctx = _context.get()
        raws = [{**ctx, **event} for event in events] if ctx else list(events)
        if self._remote is not None:
            return self._remote.send(validate_batch(raws))
        batch = prepare_batch(raws, self.catalog)
        return [r.event for r in self.store.append_batch(batch, connection=connection)]

    def record_batch(self, events: Iterable[Mapping[str, Any]]) -> list[Recorded]:
        """:meth:`record_many`, saying of each event whether it is a ``duplicate``: its id
        was recorded before (or earlier in the batch) with the same content, so nothing
        was stored for it. An id recorded before with other content raises
        :class:`~activitylog.errors.Conflict` (409) and nothing of the batch is stored (as
        :meth:`record_many` does). Not available in remote mode (events are queued)."""
        if self._remote is not None:
            raise ConfigurationError("a remote log queues events; use record_many")
        ctx = _context.get()
        raws = [{**ctx, **event} for event in events] if ctx else list(events)
        return self.store.append_batch(prepare_batch(raws, self.catalog))

    def delete(
        self,
        ids: Sequence[str],
        *,
        by: str,
        reason: str,
        viewer: Viewer = OPERATOR,
        record: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """Tombstone events by id (owners of their workspace, or platform admins), and
        record the deletion in each workspace's log in the same transaction: an
        ``activity_log.deleted`` entry naming every id removed. ``record`` gives its
        actor, ip and other fields (default: the current context, else ``by``)."""
        if not reason.strip():
            raise ValidationError([FieldError("reason", "is required")])
        if not may_delete(viewer, viewer.workspace):
            raise AccessDenied("only owners may delete activity")
        visibility = visibility_for(viewer, "workspace", viewer.workspace or None)
        fields = {**_context.get(), **(record or {})}
        fields.setdefault("actor", {"id": by, "name": by, "type": "user"})
        who = fields["actor"].get("name") or by

        def deletion(workspace: str, gone: list[str], deleted_at: int) -> Prepared:
            content = validate(
                {
                    **fields,
                    "workspace": workspace,
                    "action": DELETION_ACTION,
                    "subject": {
                        "type": "activity_log",
                        "id": workspace,
                        "name": fit_name(f"Activity log of {workspace}"),
                    },
                    "description": f"{who} deleted {_entries(len(gone))}: {reason}",
                    "details": {
                        "ids": gone,
                        "reason": reason,
                        "deleted_by": by,
                        "deleted_at": format_micros(deleted_at),
                        "count": len(gone),
                    },
                },
                reserved=True,
            )
            return prepare(content, self.catalog)

        return self.store.delete(
            [normal_id(i) for i in ids],
            by=by,
            reason=reason,
            visibility=visibility,
            record=deletion,
        )

    # -- reading ---------------------------------------------------------------------------
    def get(
        self, event_id: str, *, viewer: Viewer = OPERATOR, workspace: str | None = None
    ) -> dict[str, Any]:
        visibility = visibility_for(
            viewer,
            widest_scope(viewer),
            workspace or viewer.workspace or None,
        )
        event = self.store.get(normal_id(event_id), visibility)
        if event is None:
            raise NotFound(f"no event {event_id}")
        return event

    def query(
        self,
        selection: Selection | None = None,
        *,
        sort: str = "-time",
        page: int = 1,
        per_page: int = 20,
        limit: int | None = None,
        after: str | None = None,
        before: str | None = None,
        **filters: Any,
    ) -> Page:
        """One page of events. Filters are :class:`Selection` fields (``workspace``,
        ``range``, ``since``, ``until``, ``tz``, ``users``, ``categories``, ``events``,
        ``results``, ``roles`` (the actor's role then), ``layer``, ``subject_type``,
        ``subject_id``, ``ip``, ``countries`` (of the IP), ``search``, ``viewer``,
        ``scope``); without a range the last 7 days are shown.

        By number (``page``, ``per_page``) or, with ``limit``, by cursor: the entries
        just ``after`` (or ``before``) a page's ``next_cursor`` (``prev_cursor``), none
        seen twice or skipped however many are recorded meanwhile."""
        chosen = selection_of(selection, filters)
        visibility, resolved = chosen.resolve()
        self._check_values(chosen, visibility)
        order = Sort.parse(sort)
        spec = QuerySpec(
            visibility,
            resolved,
            order,
            page,
            per_page,
            limit=limit,
            after=Cursor.decode(after, order, "after") if after else None,
            before=Cursor.decode(before, order, "before") if before else None,
        )
        return self.store.query(spec)

    def stats(
        self, selection: Selection | None = None, *, group: str = "daily", **filters: Any
    ) -> Stats:
        chosen = selection_of(selection, filters)
        visibility, resolved = chosen.resolve()
        self._check_values(chosen, visibility)
        with self.store.reusing_counts():  # the statistics ask some questions twice
            return compute(StatsSpec(visibility, resolved, group, chosen.tz), self.store)  # type: ignore[arg-type]

    def export(
        self, selection: Selection | None = None, *, order: str = "-time", **filters: Any
    ) -> Iterator[dict[str, Any]]:
        """Every matching event, streamed; without a range, all time."""
        chosen = selection_of(selection, filters)
        visibility, resolved = chosen.resolve(default_range=None)
        self._check_values(chosen, visibility)
        return self.store.iter_events(visibility, resolved, order)

    def export_rows(
        self, selection: Selection | None = None, *, order: str = "-time", **filters: Any
    ) -> Iterator[StoredRow]:
        """Every matching entry as stored, ``(seq, canonical body, content hash, chain
        hash)``, streamed, for exports to splice (:mod:`activitylog.exports`); without a
        range, all time."""
        chosen = selection_of(selection, filters)
        visibility, resolved = chosen.resolve(default_range=None)
        self._check_values(chosen, visibility)
        return self.store.iter_rows(visibility, resolved, order)

    def count(self, selection: Selection | None = None, **filters: Any) -> int:
        chosen = selection_of(selection, filters)
        visibility, resolved = chosen.resolve(default_range=None)
        self._check_values(chosen, visibility)
        return self.store.count(visibility, resolved)

    def _check_values(self, selection: Selection, visibility: Visibility) -> None:
        """A category or event that can never match is an error, not an empty answer."""

        def recorded() -> list[str]:
            return [row[0] for row in self.store.counts(visibility, Filters(), ("action",))]

        errors = unknown_values(self.catalog, selection.categories, selection.events, recorded)
        if errors:
            raise ValidationError(errors)

    @contextmanager
    def reusing_counts(self) -> Iterator[None]:
        """Answer each counting question once inside this block: a page asks its KPIs,
        charts and filters' live counts some of the same questions."""
        with self.store.reusing_counts():
            yield

    def counts(
        self, selection: Selection | None = None, *, by: Sequence[Dim] = (), **filters: Any
    ) -> list[tuple[Any, ...]]:
        """``(value of each of by..., count)`` rows of the events matching (without a range,
        the last 7 days); ``by`` names ``hour``, ``kind``, ``category``, ``actor_id`` or
        ``verb``, hours as hours since the epoch."""
        visibility, resolved = selection_of(selection, filters).resolve()
        return self.store.counts(visibility, resolved, by)

    def workspaces(self) -> list[str]:
        """Every workspace with a chain (something recorded), by name; the operator's view:
        callers decide who may see the list."""
        return self.store.workspaces()

    def actor_summaries(
        self, actor_ids: Sequence[str], selection: Selection | None = None, **filters: Any
    ) -> dict[str, dict[str, Any]]:
        """``{actor_id: {"name", "last_seen"}}`` of these actors in the events matching."""
        visibility, resolved = selection_of(selection, filters).resolve()
        return self.store.actor_summaries(visibility, resolved, actor_ids)

    # -- integrity -------------------------------------------------------------------------
    def check_entry(self, event: Mapping[str, Any]) -> EntryCheck:
        """Check one entry, as :meth:`get` returned it (a deleted one too): its hash, its
        link to the previous entry and the chain up to the signed checkpoint covering it."""
        workspace, seq = str(event["workspace"]), int(event["seq"])
        covering = self.store.covering(workspace, seq)
        last = covering[0] if covering else seq
        rows = self.store.entries_of(workspace, max(seq - 1, 1), last)
        purged_to = None
        if seq > 1 and not any(row[0] == seq - 1 for row in rows):
            purged_to = self._purged_to(workspace)
        return check_entry(workspace, seq, rows, covering, self.key_ring(), purged_to)

    def _purged_to(self, workspace: str) -> tuple[int, str] | None:
        """``(last seq, chain hash)`` the latest purge record of ``workspace`` states (None:
        nothing purged, or a record that cannot be read: verify names that)."""
        try:
            with self.store.engine.connect() as conn:
                start = self.store.purge_start(conn, workspace)
        except IntegrityError:
            return None
        return None if start is None else (start.last, start.chain.hex())

    def deletion_record(
        self, event: Mapping[str, Any], *, viewer: Viewer = OPERATOR
    ) -> dict[str, Any] | None:
        """The ``activity_log.deleted`` entry naming a deleted ``event`` (as :meth:`get`
        returned it): its actor is who deleted it, by name. None for an entry not deleted,
        or a record ``viewer`` may not see (or itself deleted since)."""
        deleted_at = event.get("deleted_at")
        if not deleted_at:
            return None
        at = datetime.fromisoformat(str(deleted_at))
        selection = Selection(
            workspace=str(event["workspace"]),
            viewer=viewer,
            scope=widest_scope(viewer),
            since=at - DELETION_RECORD_WINDOW,
            until=at + DELETION_RECORD_WINDOW,
            categories=(self.catalog.describe(DELETION_ACTION).category,),
            events=(DELETION_ACTION,),
        )
        for record in self.export(selection, order="time"):
            details = record.get("details") or {}
            if event["id"] in details.get("ids", ()):
                return record
        return None

    def verify(
        self,
        workspace: str | None = None,
        *,
        public_keys: Sequence[bytes] | None = None,
        witness_dir: Path | None = None,
        on_progress: Callable[[int], None] | None = None,
        copies: bool = True,
        jobs: int = 1,
    ) -> VerifyReport:
        """Check every workspace (or one) end to end: hashes, chain, tree, every signed
        note, cadence, deletion records, the copies kept for reading, and, with a witness
        directory (``witness_dir`` or the setting), that the database is not behind it.
        ``public_keys``: PEM bundles to check signatures with (default: this log's ring).
        ``copies=False`` skips comparing the copies kept for reading with the bodies.
        ``jobs``: workspaces checked in that many processes at once (the same report;
        not for an embedded ClickHouse log, which one process opens at a time)."""
        ring = KeyRing.from_pem(public_keys) if public_keys else self.key_ring()
        directory = witness_dir or self.settings.witness_dir
        workers = None
        if jobs > 1 and workspace is None:
            workers = process_verifier(
                self.url,
                self.settings,
                jobs=jobs,
                public_keys=list(public_keys) if public_keys else None,
                witness_dir=directory,
                copies=copies,
            )
        return verify_log(
            self.store,
            ring=ring,
            every=self.settings.checkpoint_every,
            witness=Witness(directory) if directory else None,
            workspace=workspace,
            on_progress=on_progress,
            copies=copies,
            workers=workers,
        )

    def key_ring(self) -> KeyRing | None:
        """The public keys this log signs with (None when no key exists yet)."""
        return self.keys.ring() if self.keys.exists() else None

    @staticmethod
    def ring_of(settings: Settings) -> KeyRing | None:
        """The key ring of the signing key ``settings`` name, without opening a log."""
        keys = KeyFile(settings.signing_key)
        return keys.ring() if keys.exists() else None

    def checkpoint(self, workspace: str) -> Checkpoint | None:
        """Keep a checkpoint of ``workspace``'s head now (if it moved since the last one),
        or copy the last one to the witness if it lacks it; None when nothing was new."""
        return self.store.checkpoint_now(workspace) or self.store.witness_catch_up(workspace)

    def checkpoint_all(self) -> list[Checkpoint]:
        """:meth:`checkpoint` for every workspace (``serve`` runs it on a timer)."""
        done = (self.checkpoint(workspace) for workspace in self.store.workspaces())
        return [c for c in done if c is not None]

    def prove(self, event_id: str) -> dict[str, Any]:
        """An inclusion proof of one entry (tombstones too) in its workspace's signed tree."""
        event = self.get(event_id)
        return inclusion_proof(self.store, event["workspace"], int(event["seq"]))

    def prove_consistency(self, workspace: str, old_size: int, new_size: int) -> dict[str, Any]:
        return consistency_proof(self.store, workspace, old_size, new_size)

    def rotate_key(self) -> str:
        """Replace the signing key; the old one signs the handover (returned, and copied to
        the witness directory)."""
        _ = self.signing_key  # a configuration error in remote mode: the server signs
        note = self.keys.rotate()
        if self.witness is not None:
            self.witness.append_handover(note)
        return note

    def total_events(self) -> int:
        total = 0
        for workspace in self.store.workspaces():
            head = self.store.head(workspace)
            total += head.seq if head else 0
        return total

    def flush(self, timeout: float | None = None) -> bool:
        """Remote: wait until everything recorded so far (and spooled) is delivered; False
        when ``timeout`` seconds pass first. Local writes are synchronous: True."""
        return self._remote.flush(timeout) if self._remote is not None else True

    def viewer_token(
        self,
        *,
        workspace: str,
        user_id: str,
        role: str,
        ttl: timedelta = timedelta(minutes=15),
    ) -> str:
        """A short-lived token letting ``user_id`` (as ``role``) view ``workspace``'s log in
        the embedded viewer: minted by the server in remote mode (the API key needs read
        access), else signed here with the secret key file (``settings.secret_key``)."""
        if self._remote is not None:
            return self._remote.viewer_token(
                workspace=workspace, user_id=user_id, role=role, ttl=ttl
            )
        from activitylog.accounts.secret import load_or_create_secret
        from activitylog.accounts.tokens import mint_viewer_token

        secret = load_or_create_secret(self._secret_key)
        return mint_viewer_token(secret, workspace=workspace, user_id=user_id, role=role, ttl=ttl)

    def close(self, timeout: float | None = 10.0) -> None:
        """Local: close the store. Remote: flush for up to ``timeout`` seconds and stop
        sending; what is undelivered stays in the spool for the next start."""
        if self._remote is not None:
            self._remote.close(timeout)
        elif self._store is not None:
            if self._accounts is not None:
                self._accounts.close()
            self._store.close()

    def __enter__(self) -> ActivityLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _entries(count: int) -> str:
    return f"{count:,} {'entry' if count == 1 else 'entries'}"
