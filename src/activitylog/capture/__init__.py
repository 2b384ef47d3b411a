"""Automatic capture: request context (ASGI / WSGI middleware), model changes (SQLAlchemy,
Django) and helpers for sign-ins and other special actions, so applications get complete
records without a ``record()`` call for each."""
