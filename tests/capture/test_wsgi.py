"""The WSGI middleware with a real Flask app (and bare WSGI apps) recording into a real log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, jsonify, request, stream_with_context

from activitylog import ActivityLog, ValidationError
from activitylog.capture import wsgi as wsgi_module
from activitylog.capture.context import Identity
from activitylog.capture.wsgi import ActivityLogWSGIMiddleware
from activitylog.events import SYSTEM_ACTOR
from activitylog.settings import Settings

AVA = {"id": "u_ava", "name": "Ava Thompson", "email": "ava@acme.io", "role": "owner"}
SAM = {"id": "u_sam", "name": "Sam Rivera", "role": "platform_admin"}
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def log(tmp_path: Path, settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(f"sqlite:///{tmp_path / 'log.db'}", settings=settings) as instance:
        yield instance


def stored(log: ActivityLog) -> list[dict[str, Any]]:
    return list(log.export(order="time"))


def identify_by_header(environ: dict[str, Any]) -> Identity | None:
    if environ.get("HTTP_X_USER") != "ava":
        return None
    impersonator = SAM if environ.get("HTTP_X_IMPERSONATED") else None
    return Identity(actor=AVA, workspace="acme", session_id="s_9", impersonator=impersonator)


def flask_app(log: ActivityLog, **options: Any) -> Flask:
    app = Flask("capture-test")

    @app.post("/contacts/<contact_id>")
    def update(contact_id: str) -> Any:
        event = log.record(action="contact.updated", subject={"type": "contact", "id": contact_id})
        return jsonify(request_id=event["request_id"], actor=event["actor"]["id"])

    @app.get("/anonymous")
    def anonymous() -> Any:
        return jsonify(actor=log.record(action="contact.viewed", workspace="acme")["actor"])

    @app.get("/stream")
    def stream() -> Response:
        def body() -> Iterator[str]:
            for n in range(3):
                event = log.record(action="contact.exported", details={"chunk": n})
                yield f"{event['actor']['id']} {event['request_id']}\n"

        return Response(body(), mimetype="text/plain")

    @app.get("/stream-with-flask-context")
    def stream_flask() -> Response:
        def body() -> Iterator[str]:
            yield request.path + "\n"
            yield log.record(action="contact.exported")["actor"]["id"]

        return Response(stream_with_context(body()), mimetype="text/plain")

    @app.get("/own-id")
    def own_id() -> Any:
        return "ok", 200, {"X-Request-ID": "app-chosen"}

    options.setdefault("identify", identify_by_header)
    app.wsgi_app = ActivityLogWSGIMiddleware(app.wsgi_app, log, **options)  # type: ignore[method-assign]
    return app


def test_public_api_is_pinned() -> None:
    assert wsgi_module.__all__ == ["ActivityLogWSGIMiddleware", "Identify", "Identity"]


def test_a_flask_view_records_with_the_request_context(log: ActivityLog) -> None:
    client = flask_app(log).test_client()
    response = client.post(
        "/contacts/c_42",
        headers={"X-User": "ava", "User-Agent": UA},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    request_id = response.headers["X-Request-ID"]
    assert response.json == {"request_id": request_id, "actor": "u_ava"}
    [event] = stored(log)
    assert event["actor"] == {**AVA, "type": "user"}
    assert event["workspace"] == "acme"
    assert event["ip"] == "203.0.113.9"
    assert event["user_agent"] == UA
    assert event["device"]["browser"].startswith("Firefox")
    assert event["request_id"] == request_id
    assert request_id.startswith("req_")
    assert event["session_id"] == "s_9"
    assert event["subject"] == {"type": "contact", "id": "c_42"}


def test_an_impersonated_request_keeps_both_people(log: ActivityLog) -> None:
    client = flask_app(log).test_client()
    client.post("/contacts/c_1", headers={"X-User": "ava", "X-Impersonated": "yes"})
    [event] = stored(log)
    assert (event["actor"]["id"], event["impersonator"]["id"]) == ("u_ava", "u_sam")


def test_anonymous_requests_record_as_system(log: ActivityLog) -> None:
    client = flask_app(log).test_client()
    assert client.get("/anonymous").json == {"actor": SYSTEM_ACTOR}
    assert stored(log)[0]["session_id"] is None


def test_streamed_responses_record_inside_the_context(log: ActivityLog) -> None:
    client = flask_app(log).test_client()
    response = client.get("/stream", headers={"X-User": "ava", "X-Request-ID": "lb-1"})
    assert response.text == "u_ava lb-1\n" * 3
    events = stored(log)
    assert [e["details"]["chunk"] for e in events] == [0, 1, 2]
    assert {(e["actor"]["id"], e["request_id"], e["workspace"]) for e in events} == {
        ("u_ava", "lb-1", "acme")
    }


def test_flask_stream_with_context_works_under_the_middleware(log: ActivityLog) -> None:
    client = flask_app(log).test_client()
    response = client.get("/stream-with-flask-context", headers={"X-User": "ava"})
    assert response.text == "/stream-with-flask-context\nu_ava"


def test_request_ids_sane_kept_insane_replaced_app_ones_overridden(log: ActivityLog) -> None:
    client = flask_app(log).test_client()
    kept = client.post("/contacts/c", headers={"X-User": "ava", "X-Request-ID": "abc-1"})
    assert kept.headers["X-Request-ID"] == "abc-1"
    replaced = client.post("/contacts/c", headers={"X-User": "ava", "X-Request-ID": "x" * 300})
    assert replaced.headers["X-Request-ID"].startswith("req_")
    own = client.get("/own-id", headers={"X-Request-ID": "mine"})
    assert own.headers.get_all("X-Request-ID") == ["mine"]
    assert [e["request_id"] for e in stored(log)] == ["abc-1", replaced.headers["X-Request-ID"]]


def test_the_request_id_header_is_configurable(log: ActivityLog) -> None:
    client = flask_app(log, request_id_header="X-Correlation-ID").test_client()
    response = client.post("/contacts/c", headers={"X-User": "ava", "X-Correlation-ID": "c-9"})
    assert response.headers["X-Correlation-ID"] == "c-9"
    assert "X-Request-ID" not in response.headers
    assert stored(log)[0]["request_id"] == "c-9"


def test_behind_trusted_proxies_and_no_spoofing(log: ActivityLog) -> None:
    client = flask_app(log, trusted_proxies=["10.0.0.0/8", "fd00::/8"]).test_client()
    via_proxy = {"REMOTE_ADDR": "10.0.0.1"}
    direct = {"REMOTE_ADDR": "198.51.100.23"}
    headers = {"X-User": "ava"}
    client.post(
        "/contacts/c",
        headers={**headers, "X-Forwarded-For": "6.6.6.6, 203.0.113.9"},
        environ_base=via_proxy,
    )
    client.post(
        "/contacts/c",
        headers={**headers, "Forwarded": 'for="[2001:db8::7]:443";proto=https'},
        environ_base={"REMOTE_ADDR": "fd00::1"},
    )
    client.post(
        "/contacts/c", headers={**headers, "X-Forwarded-For": "10.0.0.5"}, environ_base=direct
    )
    assert [e["ip"] for e in stored(log)] == ["203.0.113.9", "2001:db8::7", "198.51.100.23"]


def test_a_failing_identify_is_logged_once_and_the_request_goes_on(
    log: ActivityLog, caplog: pytest.LogCaptureFixture
) -> None:
    def identify(environ: dict[str, Any]) -> Identity:
        raise ConnectionError("session store down")

    client = flask_app(log, identify=identify).test_client()
    with caplog.at_level(logging.ERROR, logger="activitylog.capture"):
        response = client.get("/anonymous", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.json == {"actor": SYSTEM_ACTOR}
    records = [r for r in caplog.records if r.name == "activitylog.capture"]
    assert len(records) == 1
    assert "identify failed for GET /anonymous" in records[0].getMessage()
    assert stored(log)[0]["ip"] == "203.0.113.9"


def test_identify_returning_the_wrong_type_is_an_error_too(
    log: ActivityLog, caplog: pytest.LogCaptureFixture
) -> None:
    client = flask_app(log, identify=lambda environ: AVA).test_client()
    with caplog.at_level(logging.ERROR, logger="activitylog.capture"):
        assert client.get("/anonymous").json == {"actor": SYSTEM_ACTOR}
    assert "not Identity" in caplog.text


# -- bare WSGI: the context's lifetime -----------------------------------------------------
class StartResponse:
    def __init__(self) -> None:
        self.headers: list[tuple[str, str]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        self.headers = headers
        return lambda data: None


def _environ(**extra: Any) -> dict[str, Any]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "REMOTE_ADDR": "203.0.113.9", **extra}


class Body:
    """A response iterable that records on each step and on close."""

    def __init__(self, log: ActivityLog) -> None:
        self.log = log
        self.closed_by: str | None = None
        self.steps = iter(range(2))

    def __iter__(self) -> Body:
        return self

    def __next__(self) -> bytes:
        step = next(self.steps)
        event = self.log.record(action="contact.exported", details={"n": step})
        return str(event["actor"]["id"]).encode()

    def close(self) -> None:
        self.closed_by = self.log.record(action="contact.viewed")["actor"]["id"]


def wrap(log: ActivityLog, app: Callable[..., Iterable[bytes]]) -> ActivityLogWSGIMiddleware:
    return ActivityLogWSGIMiddleware(app, log, identify=identify_by_header)


def iterate_in_another_thread(response: Iterable[bytes]) -> list[bytes]:
    out: list[bytes] = []
    thread = threading.Thread(target=lambda: out.extend(response))
    thread.start()
    thread.join()
    return out


def test_the_context_covers_iteration_and_close_and_is_reset_after(log: ActivityLog) -> None:
    body = Body(log)
    start = StartResponse()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    response = wrap(log, app)(_environ(HTTP_X_USER="ava"), start)
    # Nothing is set in the server's context between steps:
    assert log.record(action="contact.viewed", workspace="acme")["actor"] == SYSTEM_ACTOR
    assert iterate_in_another_thread(response) == [b"u_ava", b"u_ava"]
    response.close()  # type: ignore[attr-defined]
    assert body.closed_by == "u_ava"
    request_ids = {e["request_id"] for e in stored(log) if e["actor"]["id"] == "u_ava"}
    assert [("X-Request-ID", *request_ids)] == [h for h in start.headers if h[0] == "X-Request-ID"]
    assert log.record(action="contact.viewed", workspace="acme")["actor"] == SYSTEM_ACTOR


def test_the_request_context_does_not_leak_into_the_server_thread(log: ActivityLog) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [])
        return [str(log.record(action="contact.viewed")["actor"]["id"]).encode()]

    response = wrap(log, app)(_environ(HTTP_X_USER="ava"), StartResponse())
    assert list(response) == [b"u_ava"]
    with pytest.raises(ValidationError, match="workspace"):
        log.record(action="contact.viewed")  # no workspace here: the request's stayed inside


def test_an_app_that_raises_leaves_nothing_set(log: ActivityLog) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        wrap(log, app)(_environ(HTTP_X_USER="ava"), StartResponse())
    assert log.record(action="contact.viewed", workspace="acme")["actor"] == SYSTEM_ACTOR


def test_an_iterable_without_close_and_a_generator(log: ActivityLog) -> None:
    start = StartResponse()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("X-Request-ID", "the app's")])
        yield b"a"
        yield str(log.record(action="contact.viewed")["actor"]["id"]).encode()

    response = wrap(log, app)(_environ(HTTP_X_USER="ava", HTTP_X_REQUEST_ID="r-1"), start)
    assert list(response) == [b"a", b"u_ava"]
    response.close()  # type: ignore[attr-defined]
    assert start.headers == [("X-Request-ID", "r-1")]

    def listing(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [])
        return [b"x"]

    response = wrap(log, listing)(_environ(), start)
    assert list(response) == [b"x"]
    response.close()  # type: ignore[attr-defined]


def test_a_unix_socket_peer_records_no_ip(log: ActivityLog) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [])
        return [str(log.record(action="contact.viewed", workspace="acme")["ip"]).encode()]

    assert list(wrap(log, app)(_environ(REMOTE_ADDR=""), StartResponse())) == [b"None"]
