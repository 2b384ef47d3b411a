"""Serve the example helpdesk: ``python -m activitylog.demo.helpdesk [--db URL]``.

An empty database gets the demo cast's workspaces and people (password
``activitylog-demo``, or ``--password``). The log shares the database: open it with
``activitylog demo --db URL`` (or ``activitylog serve --db URL``) on another port.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime

from activitylog.client import ActivityLog
from activitylog.demo.helpdesk.app import create_app
from activitylog.demo.helpdesk.models import Workspace
from activitylog.demo.helpdesk.provisioning import add_cast
from activitylog.demo.seed.cast import WORKSPACES


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m activitylog.demo.helpdesk")
    parser.add_argument("--db", default="sqlite:///helpdesk.db", help="app and log database")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--password", default="activitylog-demo", help="for a new cast")
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="CIDR",
        help="a reverse proxy whose X-Forwarded-For is believed (repeatable)",
    )
    args = parser.parse_args(argv)

    import uvicorn

    log = ActivityLog(args.db)
    app = create_app(log, trusted_proxies=args.trusted_proxy)
    state = app.state.helpdesk
    with state.sessions() as db:
        if db.get(Workspace, WORKSPACES[0].id) is None:
            add_cast(db, state.passwords, args.password, datetime.now(UTC).replace(tzinfo=None))
            db.commit()
            print(f"created the cast; sign in as ava.thompson@acme.example / {args.password}")
    print(f"helpdesk API docs: http://{args.host}:{args.port}/docs")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
