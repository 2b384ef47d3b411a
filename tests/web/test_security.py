"""Viewer tokens kept out of uvicorn's access log (the headers are tested with the API)."""

from __future__ import annotations

import logging
import logging.config

from uvicorn.config import LOGGING_CONFIG

from activitylog.web.security import RedactTokens

from ._support import World


def _access_line(path: str) -> str:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("203.0.113.9:5000", "GET", path, "1.1", 303),
        None,
    )
    assert RedactTokens().filter(record)
    return record.getMessage()


def test_the_token_of_an_embed_link_is_redacted() -> None:
    line = _access_line("/embed?token=eyJhbGciOi.eyJzdWIi.c2ln&scope=workspace")
    assert line == ('203.0.113.9:5000 - "GET /embed?token=[redacted]&scope=workspace HTTP/1.1" 303')
    assert "token=[redacted]" in _access_line("/embed?scope=mine&token=abc")
    assert _access_line("/activity?search=token") == (
        '203.0.113.9:5000 - "GET /activity?search=token HTTP/1.1" 303'
    )


def test_the_filter_survives_uvicorns_logging_setup(world: World) -> None:
    """The app adds it when built; uvicorn configures its loggers after (``serve``) or
    before (``--factory``), and dictConfig keeps a logger's filters."""
    logging.config.dictConfig(LOGGING_CONFIG)
    access = logging.getLogger("uvicorn.access")
    assert sum(isinstance(f, RedactTokens) for f in access.filters) == 1
