"""``activitylog signing``: the public key(s) for auditors, and key rotation."""

from __future__ import annotations

import click

from activitylog.cli.app import cli, current_settings, open_log
from activitylog.client import ActivityLog
from activitylog.errors import ConfigurationError


@cli.group()
def signing() -> None:
    """The checkpoint signing key: print its public half, rotate it."""


@signing.command("public-key")
def public_key() -> None:
    """Print every public key this log signed with (PEM, oldest first) and the signed
    handovers between them: the key ring auditors pass to --public-key."""
    ring = ActivityLog.ring_of(current_settings())
    if ring is None:
        raise ConfigurationError("signing_key: no signing key exists yet (nothing was signed)")
    click.echo(ring.pem(), nl=False)


@signing.command()
def rotate() -> None:
    """Make a new signing key; the old one signs the handover (kept in the ring file and
    the witness directory). Running servers switch to the new key within a second."""
    log = open_log()
    note = log.rotate_key()
    click.echo(note, nl=False)
    click.echo(f"new key {log.signing_key.public.key_id} (ring: activitylog signing public-key)")
