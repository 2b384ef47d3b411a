"""HEAD on the API's GET endpoints: answered as the GET would be, headers only.

The request reaches the GET route (so the OpenAPI document lists each operation once),
marked so a handler can skip what only the body needs (an export's rows, its audit entry).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Set in the request's scope when it came as HEAD.
HEAD = "activitylog.head"


class HeadAsGet:
    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "HEAD"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET", HEAD: True}, receive, headers_only)


def is_head(conn: HTTPConnection) -> bool:
    """Whether the request came as HEAD (only the reply's headers are sent)."""
    return bool(conn.scope.get(HEAD))
