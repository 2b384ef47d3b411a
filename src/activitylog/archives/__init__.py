"""Archives: the entries a purge removes, kept as one signed file per workspace per purge.

- :mod:`~activitylog.archives.format` the file (zstd-compressed NDJSON, signed manifest)
- :mod:`~activitylog.archives.locations` where files are kept (a directory, an S3 bucket)
- :mod:`~activitylog.archives.writer` :func:`write_archive`, which the purge calls
- :mod:`~activitylog.archives.verify` :func:`verify_archive`, offline, with the key ring
- :mod:`~activitylog.archives.search` :func:`search_archive`, the filters of ``query``

docs/INTEGRITY.md describes the format and how to check an archive without activitylog.
"""

from __future__ import annotations

from activitylog.archives.locations import (
    ArchiveName,
    Location,
    archive_name,
    archive_names,
    open_location,
)
from activitylog.archives.search import search_archive
from activitylog.archives.verify import ArchiveReport, verify_archive
from activitylog.archives.writer import ArchiveInfo, write_archive

__all__ = [
    "ArchiveInfo",
    "ArchiveName",
    "ArchiveReport",
    "Location",
    "archive_name",
    "archive_names",
    "open_location",
    "search_archive",
    "verify_archive",
    "write_archive",
]
