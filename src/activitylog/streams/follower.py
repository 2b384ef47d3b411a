"""A stream as a follower (``stream:<id>``): each batch of a workspace's entries, those
its filters match, formatted and sent to its destination.

Delivery is at least once and in order per workspace: the cursor moves only after the
destination took the whole batch (a webhook's 2xx, the bytes written to the syslog
connection, the file fsynced); a batch that fails is sent again, whole, with backoff
(the follower core's), so a destination that was away gets everything when it is back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from activitylog.access import stream_visibility
from activitylog.followers import Batch
from activitylog.matching import EntryMatcher
from activitylog.streams.files import FileSender
from activitylog.streams.formats import ENCODERS, stored_line
from activitylog.streams.spec import Stream
from activitylog.streams.syslog import SyslogSender
from activitylog.streams.webhook import WebhookSender


class Sender(Protocol):
    """Sends one batch's lines; ``entries`` (the entries the lines are made of) only to a
    sender that ``needs_entries`` (syslog's headers), else empty."""

    needs_entries: bool

    def send(
        self, batch_id: str, entries: Sequence[dict[str, Any]], lines: list[bytes]
    ) -> None: ...

    def close(self) -> None: ...


def sender_for(stream: Stream, *, allow_private: bool = False) -> Sender:
    """The destination's sender (connections are opened when first used); network
    destinations reach private addresses only if ``allow_private``."""
    if stream.kind == "webhook":
        return WebhookSender(stream.target, stream.secret or "", allow_private=allow_private)
    if stream.kind == "syslog":
        return SyslogSender(
            stream.target, tls=stream.tls, ca_file=stream.ca_file, allow_private=allow_private
        )
    return FileSender(stream.target)


class StreamFollower:
    """Follows the log for one stream; one worker thread calls :meth:`handle` at a time."""

    def __init__(self, stream: Stream, *, allow_private: bool = False) -> None:
        self.stream = stream
        self._allow_private = allow_private
        visibility = stream_visibility(stream.workspace)
        self._matcher = EntryMatcher(visibility, stream.selection_filters())
        self._everything = not stream.filters and stream.workspace is None
        self._encode = ENCODERS.get(stream.format)  # None: json, the stored rows
        self._sender: Sender | None = None

    @property
    def name(self) -> str:
        return self.stream.follower_name

    @property
    def workspace(self) -> str | None:
        return self.stream.workspace

    @property
    def start(self) -> Literal["beginning", "end"]:
        return self.stream.start

    def handle(self, batch: Batch) -> None:
        if self._everything:
            picked: Sequence[int] = range(len(batch.rows))
        else:
            matches = self._matcher.matches
            picked = [i for i, body in enumerate(batch.bodies) if matches(body)]
        if not picked:
            return
        if self._sender is None:
            self._sender = sender_for(self.stream, allow_private=self._allow_private)
        needs_entries = self._encode is not None or self._sender.needs_entries
        entries = [batch.entries[i] for i in picked] if needs_entries else []
        if self._encode is None:
            lines = [stored_line(batch.rows[i]) for i in picked]
        else:
            lines = [self._encode(entry) for entry in entries]
        batch_id = f"{self.name}:{batch.workspace}:{batch.first_seq}-{batch.last_seq}"
        self._sender.send(batch_id, entries, lines)

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()
            self._sender = None
