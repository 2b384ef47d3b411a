"""The ASGI middleware with real Starlette and FastAPI apps recording into a real log."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

from activitylog import ActivityLog, ConfigurationError, ValidationError
from activitylog.capture import asgi as asgi_module
from activitylog.capture.asgi import ActivityLogMiddleware
from activitylog.capture.context import Identity
from activitylog.capture.proxies import TrustedProxies
from activitylog.events import SYSTEM_ACTOR
from activitylog.settings import Settings

AVA = {"id": "u_ava", "name": "Ava Thompson", "email": "ava@acme.io", "role": "owner"}
SAM = {"id": "u_sam", "name": "Sam Rivera", "role": "platform_admin"}
UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"
USERS = {"ava": AVA}


@pytest.fixture
def log(tmp_path: Path, settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(f"sqlite:///{tmp_path / 'log.db'}", settings=settings) as instance:
        yield instance


def stored(log: ActivityLog) -> list[dict[str, Any]]:
    return list(log.export(order="time"))


async def identify_by_header(request: Request) -> Identity | None:
    """The user named by the X-User header (a stand-in for a session cookie)."""
    user = USERS.get(request.headers.get("x-user", ""))
    if user is None:
        return None
    impersonator = SAM if request.headers.get("x-impersonated") else None
    return Identity(actor=user, workspace="acme", session_id="s_1", impersonator=impersonator)


def starlette_app(log: ActivityLog, **options: Any) -> Starlette:
    async def async_endpoint(request: Request) -> JSONResponse:
        return JSONResponse(_brief(log.record(action="contact.updated")))

    async def named_workspace(request: Request) -> JSONResponse:
        return JSONResponse(_brief(log.record(action="contact.viewed", workspace="acme")))

    def sync_endpoint(request: Request) -> JSONResponse:
        thread = threading.current_thread().name
        event = log.record(action="contact.viewed", details={"thread": thread})
        return JSONResponse(_brief(event))

    async def streaming(request: Request) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            for n in range(3):
                event = log.record(action="contact.exported", details={"chunk": n})
                yield f"{event['actor']['id']}\n".encode()

        return StreamingResponse(body())

    async def with_background(request: Request) -> PlainTextResponse:
        task = BackgroundTask(log.record, action="broadcast.sent")
        return PlainTextResponse("ok", background=task)

    async def sets_own_id(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok", headers={"X-Request-ID": "app-chosen"})

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    routes = [
        Route("/async", async_endpoint, methods=["GET", "POST"]),
        Route("/sync", sync_endpoint),
        Route("/explicit", named_workspace, methods=["GET", "POST"]),
        Route("/stream", streaming),
        Route("/background", with_background),
        Route("/own-id", sets_own_id),
        WebSocketRoute("/ws", echo),
    ]
    options.setdefault("identify", identify_by_header)
    return Starlette(routes=routes, middleware=[Middleware(ActivityLogMiddleware, log, **options)])


def _brief(event: dict[str, Any]) -> dict[str, Any]:
    return {k: event[k] for k in ("actor", "workspace", "ip", "user_agent", "request_id")}


def test_public_api_is_pinned() -> None:
    assert asgi_module.__all__ == ["ActivityLogMiddleware", "Identify", "Identity"]


# -- what gets recorded ----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/async", "/sync"])
def test_events_in_endpoints_get_the_request_context(log: ActivityLog, path: str) -> None:
    client = TestClient(starlette_app(log), client=("203.0.113.9", 5000))
    response = client.get(path, headers={"x-user": "ava", "user-agent": UA})
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    assert request_id.startswith("req_")
    [event] = stored(log)
    assert event["actor"] == {**AVA, "type": "user"}
    assert event["workspace"] == "acme"
    assert event["ip"] == "203.0.113.9"
    assert event["user_agent"] == UA
    assert event["device"]["browser"] == "Safari"
    assert event["request_id"] == request_id
    assert event["session_id"] == "s_1"
    assert event["impersonator"] is None
    assert response.json()["request_id"] == request_id


def test_sync_endpoints_run_in_a_worker_thread_and_still_see_the_context(
    log: ActivityLog,
) -> None:
    client = TestClient(starlette_app(log))
    client.get("/sync", headers={"x-user": "ava"})
    [event] = stored(log)
    assert event["details"]["thread"] != threading.current_thread().name
    assert "AnyIO worker thread" in event["details"]["thread"]
    assert event["actor"]["id"] == "u_ava"


def test_streamed_bodies_and_background_tasks_keep_the_context(log: ActivityLog) -> None:
    client = TestClient(starlette_app(log))
    assert client.get("/stream", headers={"x-user": "ava"}).text == "u_ava\n" * 3
    client.get("/background", headers={"x-user": "ava"})
    events = stored(log)
    assert [e["action"] for e in events] == ["contact.exported"] * 3 + ["broadcast.sent"]
    assert {e["actor"]["id"] for e in events} == {"u_ava"}
    assert len({e["request_id"] for e in events}) == 2


def test_an_impersonated_request_keeps_both_people(log: ActivityLog) -> None:
    client = TestClient(starlette_app(log))
    client.get("/async", headers={"x-user": "ava", "x-impersonated": "1"})
    [event] = stored(log)
    assert event["actor"]["id"] == "u_ava"
    assert event["impersonator"] == {**SAM, "type": "user"}


def test_anonymous_requests_are_system_and_nothing_leaks_between_requests(
    log: ActivityLog,
) -> None:
    client = TestClient(starlette_app(log))
    client.get("/explicit", headers={"x-user": "ava"})
    client.get("/explicit")
    signed_in, anonymous = stored(log)
    assert signed_in["actor"]["id"] == "u_ava"
    assert anonymous["actor"] == SYSTEM_ACTOR
    assert anonymous["session_id"] is None
    assert anonymous["request_id"] != signed_in["request_id"]


def test_an_anonymous_request_has_no_workspace_unless_the_endpoint_names_one(
    log: ActivityLog,
) -> None:
    with pytest.raises(ValidationError, match="workspace"):
        TestClient(starlette_app(log)).get("/async")


# -- identify ------------------------------------------------------------------------------
def test_a_sync_identify_runs_in_a_worker_thread(log: ActivityLog) -> None:
    threads: list[str] = []

    def identify(request: Request) -> Identity:
        threads.append(threading.current_thread().name)
        return Identity(actor={"id": "u_1", "name": request.headers["x-name"]}, workspace="w")

    client = TestClient(starlette_app(log, identify=identify))
    client.get("/async", headers={"x-name": "Jo"})
    assert stored(log)[0]["actor"] == {"id": "u_1", "name": "Jo", "type": "user"}
    assert "AnyIO worker thread" in threads[0]


def test_a_callable_object_with_an_async_call_is_awaited(log: ActivityLog) -> None:
    class Identify:
        async def __call__(self, request: Request) -> Identity:
            return Identity(actor=AVA, workspace="acme")

    TestClient(starlette_app(log, identify=Identify())).get("/async")
    assert stored(log)[0]["actor"]["id"] == "u_ava"


def test_identify_sees_cookies_and_headers_but_no_body(log: ActivityLog) -> None:
    seen: dict[str, Any] = {}

    async def identify(request: Request) -> Identity | None:
        seen["cookie"] = request.cookies.get("session")
        try:
            await request.body()
        except RuntimeError as exc:
            seen["body"] = str(exc)
        return None

    client = TestClient(starlette_app(log, identify=identify), cookies={"session": "abc"})
    client.post("/explicit", content=b"secret body")
    assert seen["cookie"] == "abc"
    assert "Receive channel" in seen["body"]


@pytest.mark.parametrize(
    "identify",
    [
        pytest.param(lambda request: 1 / 0, id="sync-raises"),
        pytest.param(lambda request: {"id": "u_1"}, id="wrong-type"),
    ],
)
def test_a_failing_identify_is_logged_once_and_the_request_goes_on_as_system(
    log: ActivityLog, caplog: pytest.LogCaptureFixture, identify: Callable[..., Any]
) -> None:
    async def endpoint(request: Request) -> PlainTextResponse:
        log.record(action="contact.viewed", workspace="acme")
        return PlainTextResponse("ok")

    middleware = [Middleware(ActivityLogMiddleware, log, identify=identify)]
    app = Starlette(routes=[Route("/", endpoint)], middleware=middleware)
    with caplog.at_level(logging.ERROR, logger="activitylog.capture"):
        response = TestClient(app, client=("203.0.113.9", 1)).get("/")
    assert response.status_code == 200
    assert "x-request-id" in response.headers
    [event] = stored(log)
    assert event["actor"] == SYSTEM_ACTOR
    assert event["ip"] == "203.0.113.9"
    records = [r for r in caplog.records if r.name == "activitylog.capture"]
    assert len(records) == 1
    assert "identify failed for GET /" in records[0].getMessage()
    assert records[0].exc_info is not None


def test_an_async_identify_that_raises_is_logged_too(
    log: ActivityLog, caplog: pytest.LogCaptureFixture
) -> None:
    async def identify(request: Request) -> Identity:
        raise LookupError("session store down")

    with caplog.at_level(logging.ERROR, logger="activitylog.capture"):
        response = TestClient(starlette_app(log, identify=identify)).get("/explicit")
    assert response.json()["actor"] == SYSTEM_ACTOR
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [LookupError]


# -- request ids ---------------------------------------------------------------------------
def test_a_sane_incoming_request_id_is_kept_and_echoed(log: ActivityLog) -> None:
    client = TestClient(starlette_app(log))
    response = client.get("/async", headers={"x-user": "ava", "x-request-id": "lb-7f3a"})
    assert response.headers["x-request-id"] == "lb-7f3a"
    assert stored(log)[0]["request_id"] == "lb-7f3a"


@pytest.mark.parametrize("bad", ["x" * 201, "ünïcode", "a\tb"])
def test_an_insane_incoming_request_id_is_replaced(log: ActivityLog, bad: str) -> None:
    client = TestClient(starlette_app(log))
    response = client.get("/async", headers={b"x-user": b"ava", b"x-request-id": bad.encode()})
    assert response.headers["x-request-id"].startswith("req_")
    assert stored(log)[0]["request_id"] == response.headers["x-request-id"]


def test_the_response_carries_one_request_id_header(log: ActivityLog) -> None:
    response = TestClient(starlette_app(log)).get("/own-id", headers={"x-request-id": "abc"})
    assert response.headers.get_list("x-request-id") == ["abc"]


def test_the_request_id_header_name_is_configurable(log: ActivityLog) -> None:
    client = TestClient(starlette_app(log, request_id_header="X-Correlation-ID"))
    response = client.get("/async", headers={"x-user": "ava", "x-correlation-id": "corr-1"})
    assert response.headers["x-correlation-id"] == "corr-1"
    assert "x-request-id" not in response.headers
    assert stored(log)[0]["request_id"] == "corr-1"


def test_distinct_requests_get_distinct_ids(log: ActivityLog) -> None:
    client = TestClient(starlette_app(log))
    ids = {client.get("/async", headers={"x-user": "ava"}).headers["x-request-id"] for _ in "abc"}
    assert len(ids) == 3


# -- client IP -----------------------------------------------------------------------------
def test_the_test_client_peer_is_no_address(log: ActivityLog) -> None:
    TestClient(starlette_app(log)).get("/async", headers={"x-user": "ava"})
    assert stored(log)[0]["ip"] is None


def test_behind_a_trusted_proxy_the_forwarded_client_is_recorded(log: ActivityLog) -> None:
    app = starlette_app(log, trusted_proxies=["10.0.0.0/8"])
    client = TestClient(app, client=("10.0.0.1", 1234))
    headers = {"x-user": "ava", "x-forwarded-for": "1.2.3.4, 2001:db8::0001"}
    client.get("/async", headers=headers)
    assert stored(log)[0]["ip"] == "2001:db8::1"


def test_a_client_talking_directly_cannot_spoof_its_address(log: ActivityLog) -> None:
    app = starlette_app(log, trusted_proxies=["10.0.0.0/8"])
    client = TestClient(app, client=("198.51.100.23", 1234))
    client.get("/async", headers={"x-user": "ava", "x-forwarded-for": "10.0.0.2"})
    client.get("/async", headers={"x-user": "ava", "forwarded": "for=1.1.1.1"})
    assert [e["ip"] for e in stored(log)] == ["198.51.100.23", "198.51.100.23"]


def test_repeated_forwarding_headers_are_joined_in_order(log: ActivityLog) -> None:
    app = starlette_app(log, trusted_proxies=TrustedProxies(["10.0.0.0/8"]))
    client = TestClient(app, client=("10.0.0.1", 1234))
    headers = [
        ("x-user", "ava"),
        ("forwarded", "for=1.2.3.4"),
        ("forwarded", 'for="[2001:db8:cafe::17]:4711", for=10.0.0.9'),
    ]
    client.get("/async", headers=headers)
    assert stored(log)[0]["ip"] == "2001:db8:cafe::17"


def test_a_bad_trusted_proxy_entry_fails_at_startup(log: ActivityLog) -> None:
    with pytest.raises(ConfigurationError, match=r"10\.0\.0\.0/99"):
        ActivityLogMiddleware(
            PlainTextResponse("x"),
            log,
            identify=identify_by_header,
            trusted_proxies=["10.0.0.0/99"],
        )


def test_user_agents_too_long_for_the_log_are_cut_not_fatal(log: ActivityLog) -> None:
    client = TestClient(starlette_app(log))
    response = client.get("/async", headers={"x-user": "ava", "user-agent": "A" * 3000})
    assert response.status_code == 200
    assert stored(log)[0]["user_agent"] == "A" * 1000


# -- other protocols -----------------------------------------------------------------------
def test_websockets_and_lifespan_pass_through(log: ActivityLog) -> None:
    calls: list[str] = []

    def identify(request: Request) -> None:
        calls.append(request.url.path)

    with (
        TestClient(starlette_app(log, identify=identify)) as client,
        client.websocket_connect("/ws") as ws,
    ):
        ws.send_text("hello")
        assert ws.receive_text() == "hello"
    assert calls == []


# -- FastAPI -------------------------------------------------------------------------------
def fastapi_app(log: ActivityLog) -> FastAPI:
    app = FastAPI()
    app.add_middleware(
        ActivityLogMiddleware, log=log, identify=identify_by_header, trusted_proxies=["10.0.0.0/8"]
    )

    def current_actor() -> str:
        # A sync dependency runs in the thread pool: it sees the context too.
        return str(log.record(action="activity_log.viewed")["actor"]["id"])

    @app.post("/contacts/{contact_id}")
    async def update(contact_id: str, actor: str = Depends(current_actor)) -> dict[str, Any]:
        event = log.record(action="contact.updated", subject={"type": "contact", "id": contact_id})
        return {"actor": actor, "request_id": event["request_id"]}

    @app.get("/contacts")
    def listing() -> dict[str, Any]:
        return {"ip": log.record(action="contact.listed")["ip"]}

    return app


def test_fastapi_async_and_sync_routes_and_dependencies(log: ActivityLog) -> None:
    client = TestClient(fastapi_app(log), client=("10.0.0.1", 1234))
    headers = {"x-user": "ava", "x-forwarded-for": "203.0.113.9", "user-agent": UA}
    posted = client.post("/contacts/c_42", headers=headers)
    assert posted.json() == {"actor": "u_ava", "request_id": posted.headers["x-request-id"]}
    assert client.get("/contacts", headers=headers).json() == {"ip": "203.0.113.9"}
    events = stored(log)
    assert [e["action"] for e in events] == [
        "activity_log.viewed",
        "contact.updated",
        "contact.listed",
    ]
    assert {(e["actor"]["id"], e["ip"], e["user_agent"], e["workspace"]) for e in events} == {
        ("u_ava", "203.0.113.9", UA, "acme")
    }
    assert events[0]["request_id"] == events[1]["request_id"] != events[2]["request_id"]
