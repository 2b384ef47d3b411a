"""Where archives are kept: a directory, or an S3-compatible bucket (``s3://bucket/prefix``).

An archive's name is ``<workspace>/<first seq>-<last seq>.ndjson.zst`` (the workspace
percent-encoded as the witness names its files, seqs zero-padded to 12 digits so names
sort in seq order), the same in a directory and under a bucket's prefix. A location only
stores and lists files; what is in them is :mod:`activitylog.archives.format`'s.

S3 goes through boto3 (the ``activitylog[s3]`` extra), imported when an ``s3://`` location
is opened; the endpoint, region and credentials come from the usual AWS variables and
files (``AWS_ENDPOINT_URL`` for another S3-compatible server, ``AWS_ACCESS_KEY_ID``...).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import quote, unquote

from activitylog.archives.format import SUFFIX
from activitylog.errors import ConfigurationError, NotFound

_MAX_NAME = 200
_NAME = re.compile(
    r"(?P<workspace>[^/]+)/(?P<first>[0-9]{12})-(?P<last>[0-9]{12})" + re.escape(SUFFIX)
)


def workspace_dir(workspace: str) -> str:
    """The directory part of a workspace's archive names (long names end in a hash)."""
    encoded = quote(workspace, safe="").replace("~", "%7E")  # "~" marks a hashed name
    if len(encoded) > _MAX_NAME:
        digest = hashlib.sha256(workspace.encode()).hexdigest()[:16]
        encoded = f"{encoded[: _MAX_NAME - 17]}~{digest}"
    return encoded


def archive_name(workspace: str, first_seq: int, last_seq: int) -> str:
    return f"{workspace_dir(workspace)}/{first_seq:012d}-{last_seq:012d}{SUFFIX}"


@dataclass(frozen=True)
class ArchiveName:
    """What an archive's name says: its workspace (None when the name is hashed) and range."""

    name: str
    directory: str
    first_seq: int
    last_seq: int

    @property
    def workspace(self) -> str | None:
        return None if "~" in self.directory else unquote(self.directory)

    @classmethod
    def parse(cls, name: str) -> ArchiveName | None:
        match = _NAME.fullmatch(name)
        if match is None:
            return None
        return cls(name, match["workspace"], int(match["first"]), int(match["last"]))


class Location(Protocol):
    """A place archives are written to and read from."""

    url: str

    def put(self, name: str, source: Path) -> bool:
        """Store the file ``source`` as ``name``, whole or not at all; False when a file of
        that name is there already (it is kept: an archive a purge record names is never
        replaced)."""

    def open(self, name: str) -> IO[bytes]:
        """The stored file ``name``, to read (NotFound when absent)."""

    def exists(self, name: str) -> bool: ...

    def names(self, directory: str | None = None) -> list[str]:
        """Every stored file's name (in one workspace directory), sorted."""


class DirectoryLocation:
    """Archives as files under a directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = str(root)

    def put(self, name: str, source: Path) -> bool:
        target = self.root / name
        temporary = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
            with os.fdopen(fd, "wb") as out, source.open("rb") as data:
                shutil.copyfileobj(data, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            # A hard link appears whole, and fails rather than replace a file of that name.
            os.link(temporary, target)
            _fsync_dir(target.parent)
        except FileExistsError:
            return False
        except OSError as exc:
            raise ConfigurationError(f"archive: cannot write {target} ({exc})") from None
        finally:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
        return True

    def open(self, name: str) -> IO[bytes]:
        try:
            return (self.root / name).open("rb")
        except FileNotFoundError:
            raise NotFound(f"archive: no {name} in {self.url}") from None
        except OSError as exc:
            raise ConfigurationError(f"archive: cannot read {self.root / name} ({exc})") from None

    def exists(self, name: str) -> bool:
        return (self.root / name).is_file()

    def names(self, directory: str | None = None) -> list[str]:
        base = self.root / directory if directory else self.root
        if not base.is_dir():
            return []
        return sorted(
            path.relative_to(self.root).as_posix()
            for path in base.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        )


class S3Location:
    """Archives as objects of an S3-compatible bucket, under a prefix."""

    def __init__(self, bucket: str, prefix: str, url: str) -> None:
        try:
            import boto3
        except ImportError:
            raise ConfigurationError(
                "archive: s3:// locations need boto3 (pip install 'activitylog[s3]')"
            ) from None
        self.url = url
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client: Any = boto3.client("s3")

    def put(self, name: str, source: Path) -> bool:
        # S3 replaces objects, and boto3's multipart upload cannot be made conditional: of
        # two writers of one name at the same moment, the later one's file stays.
        if self.exists(name):
            return False
        with _s3_errors(self.url, name):
            self._client.upload_file(str(source), self.bucket, self.prefix + name)
        return True

    def open(self, name: str) -> IO[bytes]:
        spool = tempfile.TemporaryFile()  # noqa: SIM115  # the caller reads and closes it
        try:
            with _s3_errors(self.url, name):
                self._client.download_fileobj(self.bucket, self.prefix + name, spool)
        except Exception:
            spool.close()
            raise
        spool.seek(0)
        return spool

    def exists(self, name: str) -> bool:
        try:
            with _s3_errors(self.url, name):
                self._client.head_object(Bucket=self.bucket, Key=self.prefix + name)
        except NotFound:
            return False
        return True

    def names(self, directory: str | None = None) -> list[str]:
        prefix = self.prefix + (directory.rstrip("/") + "/" if directory else "")
        keys: list[str] = []
        with _s3_errors(self.url, directory or ""):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                keys.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", ()))
        return sorted(keys)


@contextmanager
def _s3_errors(url: str, name: str) -> Iterator[None]:
    """boto3's errors as the log's: a missing object is NotFound, anything else (no
    bucket, no credentials, no connection) a ConfigurationError naming the location."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound"):
            raise NotFound(f"archive: no {name} in {url}") from None
        raise ConfigurationError(f"archive: {url}: {code or exc}") from None
    except BotoCoreError as exc:
        raise ConfigurationError(f"archive: {url}: {exc}") from None


def open_location(url: str | Path) -> Location:
    """The location the ``archive`` setting names: ``s3://bucket[/prefix]`` or a directory."""
    text = str(url).strip()
    if not text:
        raise ConfigurationError("archive: must not be empty")
    if text.startswith("s3://"):
        bucket, _, prefix = text.removeprefix("s3://").partition("/")
        if not bucket:
            raise ConfigurationError(f"archive: {text!r} names no bucket (s3://bucket/prefix)")
        return S3Location(bucket, prefix, text)
    if "://" in text:
        raise ConfigurationError(
            f"archive: {text!r} is neither a directory nor an s3://bucket/prefix URL"
        )
    return DirectoryLocation(Path(text).expanduser())


def archive_names(location: Location, workspace: str | None = None) -> Iterator[ArchiveName]:
    """The archives at ``location`` (of one workspace), in name order; other files are
    not archives and are left out."""
    directory = workspace_dir(workspace) if workspace is not None else None
    for name in location.names(directory):
        parsed = ArchiveName.parse(name)
        if parsed is not None:
            yield parsed


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
