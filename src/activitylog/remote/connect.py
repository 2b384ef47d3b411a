"""Opening the remote SDK's transport from ``ActivityLog("https://...")``: the API key and
the server URL checked, the spool directory chosen."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from activitylog.errors import ConfigurationError
from activitylog.remote.options import RemoteOptions
from activitylog.remote.transport import RemoteTransport
from activitylog.settings import Settings


def open_transport(
    url: str,
    settings: Settings,
    api_key: str | None,
    spool_dir: str | Path | None,
    options: RemoteOptions | None,
) -> RemoteTransport:
    """The transport to ``url``, with the key given or ``settings``' (ConfigurationError
    when there is none, or when ``url`` names no host)."""
    key = api_key or settings.api_key
    if not key:
        raise ConfigurationError(
            f"ActivityLog({url!r}) needs an API key: api_key=... or $ACTIVITYLOG_API_KEY"
        )
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not host:
        raise ConfigurationError(f"{url!r} is not a server URL like https://log.example.com")
    directory = Path(spool_dir).expanduser() if spool_dir else settings.spool_dir
    return RemoteTransport(url, key, spool_dir=directory, options=options)
