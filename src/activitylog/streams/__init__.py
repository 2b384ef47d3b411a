"""Streams: the log's entries sent on, as they are written, to a webhook, a syslog
collector or a file, as native JSON, OCSF or CEF, optionally filtered.

Each stream is a follower (``stream:<id>``, :mod:`activitylog.followers`): at least once,
in order per workspace, the event id as the key to drop repeats by.
"""

from activitylog.streams.follower import StreamFollower
from activitylog.streams.records import stream_event
from activitylog.streams.service import ALL, Streams, stream_followers
from activitylog.streams.spec import FILTER_FIELDS, FORMATS, Stream, new_stream

__all__ = [
    "ALL",
    "FILTER_FIELDS",
    "FORMATS",
    "Stream",
    "StreamFollower",
    "Streams",
    "new_stream",
    "stream_event",
    "stream_followers",
]
