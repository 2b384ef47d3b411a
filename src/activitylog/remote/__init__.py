"""Remote mode of the SDK: ``ActivityLog("https://...", api_key=...)`` sends events to an
activitylog server in the background (:class:`RemoteTransport`), spooling them on disk
while the server cannot be reached (:class:`Spool`)."""

from activitylog.remote.options import RemoteOptions
from activitylog.remote.spool import Spool
from activitylog.remote.transport import RemoteTransport

__all__ = ["RemoteOptions", "RemoteTransport", "Spool"]
