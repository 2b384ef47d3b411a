"""What every request handler shares: the settings, the log, the accounts and the secret."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from activitylog.accounts import Accounts
from activitylog.client import ActivityLog
from activitylog.settings import Settings
from activitylog.web.audit import ReadAudit

if TYPE_CHECKING:
    from activitylog.demo import DemoAccount


@dataclass
class AppState:
    settings: Settings
    log: ActivityLog
    accounts: Accounts
    #: Signs viewer tokens (and nothing else): the secret key file's bytes.
    secret: bytes
    audit: ReadAudit
    #: In demo mode (``activitylog demo``), the sign-ins the sign-in page lists.
    demo_accounts: tuple[DemoAccount, ...] = ()


def app_state(conn: HTTPConnection) -> AppState:
    state: AppState = conn.app.state.activitylog
    return state
