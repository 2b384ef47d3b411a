"""A small helpdesk (FastAPI + SQLAlchemy) instrumented only through activitylog's capture
APIs — the source of the events ``activitylog demo --from-helpdesk`` shows.

See ``examples/helpdesk/README.md`` in the repository for the endpoints and how to run it.
"""

from activitylog.demo.helpdesk.app import close, create_app

__all__ = ["close", "create_app"]
