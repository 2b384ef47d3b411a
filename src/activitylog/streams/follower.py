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
from activitylog.streams.formats import ENCODERS
from activitylog.streams.spec import Stream
from activitylog.streams.syslog import SyslogSender
from activitylog.streams.webhook import WebhookSender


class Sender(Protocol):
    def send(
        self, batch_id: str, entries: Sequence[dict[str, Any]], lines: list[bytes]
    ) -> None: ...

    def close(self) -> None: ...


def sender_for(stream: Stream) -> Sender:
    """The destination's sender (connections are opened when first used)."""
    if stream.kind == "webhook":
        return WebhookSender(stream.target, stream.secret or "")
    if stream.kind == "syslog":
        return SyslogSender(stream.target, tls=stream.tls, ca_file=stream.ca_file)
    return FileSender(stream.target)


class StreamFollower:
    """Follows the log for one stream; one worker thread calls :meth:`handle` at a time."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        visibility = stream_visibility(stream.workspace)
        self._matcher = EntryMatcher(visibility, stream.selection_filters())
        self._everything = not stream.filters and stream.workspace is None
        self._encode = ENCODERS[stream.format]
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
            chosen = batch.entries
        else:
            matches = self._matcher.matches
            pairs = zip(batch.entries, batch.bodies, strict=True)
            chosen = [entry for entry, body in pairs if matches(body)]
        if not chosen:
            return
        encode = self._encode
        lines = [encode(entry) for entry in chosen]
        batch_id = f"{self.name}:{batch.workspace}:{batch.entries[0]['seq']}-{batch.last_seq}"
        if self._sender is None:
            self._sender = sender_for(self.stream)
        self._sender.send(batch_id, chosen, lines)

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()
            self._sender = None
