"""Security headers on every reply: a strict Content-Security-Policy (no inline script or
style, no third-party origins), no MIME sniffing, no referrer leaks, and framing only of
``/embed`` and only by the configured ``embed_origins``."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from activitylog.settings import Settings

BASE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
#: Swagger UI (served from the installed swagger-ui-bundle package) styles inline.
DOCS_POLICY = BASE_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, embed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.embed_ancestors = " ".join(embed_origins) or "'none'"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        embedded = path == "/embed"
        policy = DOCS_POLICY if path == "/docs" else BASE_POLICY
        ancestors = self.embed_ancestors if embedded else "'none'"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault(
                    "Content-Security-Policy", f"{policy}; frame-ancestors {ancestors}"
                )
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not embedded:
                    headers.setdefault("X-Frame-Options", "DENY")
                if path.startswith(("/activity", "/api/", "/embed", "/signin")):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(SecurityHeaders, embed_origins=settings.embed_origins)
