"""The Python SDK: :class:`ActivityLog`, writing to and reading from a local store.

from activitylog import ActivityLog

log = ActivityLog("sqlite:///activitylog.db")
with log.context(actor={"id": "u_1", "name": "Ava"}, workspace="acme", ip="203.0.113.9"):
    log.record(action="contact.updated", subject={"type": "contact", "id": "c_9"},
               changes={"email": {"before": "a@x.io", "after": "b@x.io"}})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from activitylog.access import OPERATOR, Viewer, may_delete, visibility_for, widest_scope
from activitylog.catalog import DEFAULT_CATALOG, Catalog
from activitylog.chain import VerifyReport, verify_workspace
from activitylog.enrich import prepare
from activitylog.errors import (
    AccessDenied,
    ConfigurationError,
    FieldError,
    NotFound,
    ValidationError,
)
from activitylog.events import validate, validate_batch
from activitylog.query import Page, QuerySpec, Sort
from activitylog.selection import Selection
from activitylog.settings import Settings
from activitylog.signing import Checkpoint, CheckpointSigner
from activitylog.stats import Stats, StatsSpec, compute
from activitylog.store import CheckpointPolicy, SQLStore, open_store

CONTEXT_FIELDS = (
    "actor",
    "workspace",
    "ip",
    "user_agent",
    "request_id",
    "session_id",
    "impersonator",
)
_context: ContextVar[Mapping[str, Any]] = ContextVar(
    "activitylog_context", default=MappingProxyType({})
)


class ActivityLog:
    """Record and read activity. ``url`` is a database URL (default ``$ACTIVITYLOG_DB`` or
    ``sqlite:///activitylog.db``); the checkpoint signing key lives in a file outside it."""

    def __init__(
        self,
        url: str | None = None,
        *,
        catalog: Catalog = DEFAULT_CATALOG,
        settings: Settings | None = None,
        signing_key: str | Path | None = None,
    ) -> None:
        settings = settings or Settings.from_env()
        url = url or settings.db
        if url.startswith(("http://", "https://")):
            raise ConfigurationError(
                "only database URLs are supported (sqlite:/// or postgresql://)"
            )
        key_path = Path(signing_key) if signing_key else settings.signing_key
        self.url = url
        self.catalog = catalog
        self._key_path = key_path
        self._signer: CheckpointSigner | None = None
        policy = CheckpointPolicy(
            signer=lambda: self.signer,
            every=settings.checkpoint_every,
            seconds=settings.checkpoint_seconds,
        )
        self.store: SQLStore = open_store(url, policy, durability=settings.durability)

    @property
    def signer(self) -> CheckpointSigner:
        """The checkpoint key, created on first use."""
        if self._signer is None:
            self._signer = CheckpointSigner.from_file(self._key_path)
        return self._signer

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

        Recording an ``id`` already stored returns the stored event unchanged.
        """
        content = validate({**_context.get(), **fields})
        fresh = fields.get("id") is None
        return self.store.append([prepare(content, self.catalog, fresh_id=fresh)])[0]

    def record_many(self, events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Store a batch atomically: any invalid event -> BatchValidationError, nothing stored."""
        ctx = _context.get()
        raws = [{**ctx, **event} for event in events] if ctx else list(events)
        contents = validate_batch(raws)
        catalog = self.catalog
        return self.store.append(
            [
                prepare(content, catalog, fresh_id=raw.get("id") is None)
                for raw, content in zip(raws, contents, strict=True)
            ]
        )

    def delete(
        self, ids: Sequence[str], *, by: str, reason: str, viewer: Viewer = OPERATOR
    ) -> list[str]:
        """Tombstone events by id (owners of their workspace, or platform admins)."""
        if not reason.strip():
            raise ValidationError([FieldError("reason", "is required")])
        if not may_delete(viewer, viewer.workspace):
            raise AccessDenied("only owners may delete activity")
        visibility = visibility_for(viewer, "workspace", viewer.workspace or None)
        return self.store.delete(list(ids), by=by, reason=reason, visibility=visibility)

    # -- reading ---------------------------------------------------------------------------
    def get(
        self, event_id: str, *, viewer: Viewer = OPERATOR, workspace: str | None = None
    ) -> dict[str, Any]:
        visibility = visibility_for(
            viewer,
            widest_scope(viewer),
            workspace or viewer.workspace or None,
        )
        event = self.store.get(event_id, visibility)
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
        **filters: Any,
    ) -> Page:
        """One page of events. Filters are :class:`Selection` fields (``workspace``,
        ``range``, ``since``, ``until``, ``tz``, ``users``, ``categories``, ``events``,
        ``results``, ``layer``, ``subject_type``, ``subject_id``, ``ip``, ``search``,
        ``viewer``, ``scope``); without a range the last 7 days are shown."""
        visibility, resolved = _selection(selection, filters).resolve()
        spec = QuerySpec(visibility, resolved, Sort.parse(sort), page, per_page)
        return self.store.query(spec)

    def stats(
        self, selection: Selection | None = None, *, group: str = "daily", **filters: Any
    ) -> Stats:
        chosen = _selection(selection, filters)
        visibility, resolved = chosen.resolve()
        return compute(StatsSpec(visibility, resolved, group, chosen.tz), self.store)  # type: ignore[arg-type]

    def export(
        self, selection: Selection | None = None, *, order: str = "-time", **filters: Any
    ) -> Iterator[dict[str, Any]]:
        """Every matching event, streamed; without a range, all time."""
        visibility, resolved = _selection(selection, filters).resolve(default_range=None)
        return self.store.iter_events(visibility, resolved, order)

    def count(self, selection: Selection | None = None, **filters: Any) -> int:
        visibility, resolved = _selection(selection, filters).resolve(default_range=None)
        return self.store.count(visibility, resolved)

    # -- integrity -------------------------------------------------------------------------
    def verify(
        self,
        workspace: str | None = None,
        *,
        public_key: bytes | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> VerifyReport:
        """Recompute every chain (or one workspace's) and check the signed checkpoints."""
        signer = (
            CheckpointSigner.from_public_pem(public_key) if public_key else self._verify_signer()
        )
        names = [workspace] if workspace else self.store.workspaces()
        report = VerifyReport(signatures_checked=signer is not None)
        for name in names:
            with self.store.chain_snapshot(name) as (head, checkpoints, rows):
                result = verify_workspace(name, rows, checkpoints, signer, on_progress, head=head)
            report.workspaces.append(result)
        return report

    def checkpoint(self, workspace: str) -> Checkpoint | None:
        """Sign ``workspace``'s current head now (if anything was added since the last)."""
        return self.store.checkpoint_now(workspace)

    def total_events(self) -> int:
        return sum(self.store.head(w)[0] for w in self.store.workspaces())

    def _verify_signer(self) -> CheckpointSigner | None:
        if self._signer is None and not self._key_path.exists():
            return None
        return self.signer

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> ActivityLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _selection(selection: Selection | None, filters: Mapping[str, Any]) -> Selection:
    base = selection or Selection()
    tuples = {k: tuple(v) if isinstance(v, list | tuple | set) else v for k, v in filters.items()}
    for key in ("users", "categories", "events", "results", "ids"):
        if isinstance(tuples.get(key), str):
            tuples[key] = (tuples[key],)
    try:
        return replace(base, **tuples)  # type: ignore[arg-type]
    except TypeError as exc:
        raise ValidationError([FieldError("filters", str(exc))]) from None
