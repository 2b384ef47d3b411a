"""Request and job context: what is recorded inside, what threads and tasks inherit."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from activitylog import ActivityLog, ValidationError
from activitylog.capture import context as context_module
from activitylog.capture.context import (
    Identity,
    new_request_id,
    request_context,
    request_id_from,
    system_job,
    user_agent_from,
)
from activitylog.events import SYSTEM_ACTOR
from activitylog.settings import Settings

AVA = {"id": "u_ava", "name": "Ava Thompson", "email": "ava@acme.io", "role": "owner"}
SAM = {"id": "u_sam", "name": "Sam Rivera", "email": "sam@platform.io"}


@pytest.fixture
def log(tmp_path: Path, settings: Settings) -> Iterator[ActivityLog]:
    with ActivityLog(f"sqlite:///{tmp_path / 'log.db'}", settings=settings) as instance:
        yield instance


@pytest.fixture
def in_request(log: ActivityLog) -> Iterator[None]:
    with request_context(
        log,
        actor=AVA,
        workspace="acme",
        ip="203.0.113.9",
        user_agent="Mozilla/5.0",
        request_id="req_1",
        session_id="s_1",
    ):
        yield


def test_public_api_is_pinned() -> None:
    assert context_module.__all__ == [
        "REQUEST_FIELDS",
        "Identity",
        "new_request_id",
        "request_context",
        "request_id_from",
        "system_job",
        "user_agent_from",
    ]


def test_new_request_ids_are_random_and_prefixed() -> None:
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"req_[0-9a-f]{16}", i) for i in ids)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("abc-123", "abc-123"),
        ("  padded  ", "padded"),
        ("x" * 200, "x" * 200),
        ("x" * 201, None),
        ("", None),
        ("   ", None),
        (None, None),
        ("bad\r\nSet-Cookie: a=b", None),
        ("tab\there", None),
        ("ünïcode", None),
        ("nul\x00", None),
    ],
)
def test_incoming_request_ids_must_be_sane(header: str | None, expected: str | None) -> None:
    assert request_id_from(header) == expected


def test_user_agents_are_cleaned_and_cut_to_the_event_limit() -> None:
    assert user_agent_from("Mozilla/5.0 (X11)") == "Mozilla/5.0 (X11)"
    assert user_agent_from("a\x00b\x1fc\x7fd") == "abcd"
    assert user_agent_from("x" * 5000) == "x" * 1000
    assert user_agent_from("") is None
    assert user_agent_from(None) is None
    assert user_agent_from("\x00\x01") is None


def test_identity_is_a_small_frozen_value() -> None:
    identity = Identity(actor=AVA, workspace="acme")
    assert identity.session_id is None
    assert identity.impersonator is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        identity.workspace = "globex"  # type: ignore[misc]


# -- request context -----------------------------------------------------------------------
@pytest.mark.usefixtures("in_request")
def test_a_request_context_fills_every_event(log: ActivityLog) -> None:
    event = log.record(action="contact.updated")
    assert event["actor"] == {**AVA, "type": "user"}
    assert event["workspace"] == "acme"
    assert (event["ip"], event["user_agent"]) == ("203.0.113.9", "Mozilla/5.0")
    assert (event["request_id"], event["session_id"]) == ("req_1", "s_1")
    assert event["impersonator"] is None


@pytest.mark.usefixtures("in_request")
def test_explicit_fields_win_over_the_context(log: ActivityLog) -> None:
    event = log.record(action="contact.updated", workspace="globex", ip="198.51.100.1")
    assert (event["workspace"], event["ip"]) == ("globex", "198.51.100.1")
    assert event["request_id"] == "req_1"


def test_none_values_are_left_out(log: ActivityLog) -> None:
    with request_context(
        log, actor=None, workspace="acme", ip=None, user_agent=None, request_id="req_2"
    ):
        event = log.record(action="contact.updated")
    assert event["actor"] == SYSTEM_ACTOR
    assert event["ip"] is None
    assert event["request_id"] == "req_2"


def test_the_context_is_reset_after_the_block_even_on_errors(log: ActivityLog) -> None:
    with (
        pytest.raises(RuntimeError),
        request_context(
            log, actor=AVA, workspace="acme", ip=None, user_agent=None, request_id="req_3"
        ),
    ):
        raise RuntimeError("boom")
    with pytest.raises(ValidationError, match="workspace"):
        log.record(action="contact.updated")
    event = log.record(action="contact.updated", workspace="acme")
    assert event["actor"] == SYSTEM_ACTOR
    assert event["request_id"] is None


def test_outside_any_context_events_are_done_by_system(log: ActivityLog) -> None:
    event = log.record(action="contact.exported", workspace="acme")
    assert event["actor"] == SYSTEM_ACTOR


# -- background jobs -----------------------------------------------------------------------
@pytest.mark.usefixtures("in_request")
def test_a_job_records_as_system_and_clears_the_request_fields(log: ActivityLog) -> None:
    with log.context(impersonator=SAM), system_job(log, "globex"):
        event = log.record(action="contact.deleted")
    assert event["actor"] == SYSTEM_ACTOR
    assert event["workspace"] == "globex"
    for field in ("ip", "user_agent", "request_id", "session_id", "impersonator"):
        assert event[field] is None, field
    assert log.record(action="contact.updated")["actor"]["id"] == "u_ava"  # restored after


def test_a_named_job_is_a_system_actor_with_that_name(log: ActivityLog) -> None:
    with system_job(log, "acme", name="Nightly import"):
        event = log.record(action="contact.created")
    assert event["actor"] == {"id": "system", "name": "Nightly import", "type": "system"}


def test_system_job_is_also_a_decorator(log: ActivityLog) -> None:
    @system_job(log, "acme", name="Purge")
    def purge() -> dict[str, Any]:
        return log.record(action="contact.deleted")

    assert purge()["actor"]["name"] == "Purge"
    assert purge()["actor"]["name"] == "Purge"  # re-entrant: a fresh context each call


@pytest.mark.parametrize("workspace", ["", None, 3])
def test_a_job_needs_a_workspace(log: ActivityLog, workspace: Any) -> None:
    with pytest.raises(ValidationError, match="workspace"), system_job(log, workspace):
        pass  # pragma: no cover


# -- threads and tasks ---------------------------------------------------------------------
@pytest.mark.usefixtures("in_request")
def test_a_thread_started_in_a_request_does_not_inherit_its_actor(log: ActivityLog) -> None:
    events: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def job() -> None:
        try:
            events.append(log.record(action="contact.exported", workspace="acme"))
            log.record(action="contact.exported")  # no workspace in this thread's context
        except ValidationError as exc:
            errors.append(exc)

    thread = threading.Thread(target=job)
    thread.start()
    thread.join()
    assert events[0]["actor"] == SYSTEM_ACTOR
    assert events[0]["request_id"] is None
    assert len(errors) == 1


@pytest.mark.usefixtures("in_request")
def test_an_executor_does_not_inherit_unless_the_context_is_copied(log: ActivityLog) -> None:
    def job() -> dict[str, Any]:
        return log.record(action="contact.exported", workspace="acme")

    with ThreadPoolExecutor(1) as pool:
        plain = pool.submit(job).result()
        copied = pool.submit(contextvars.copy_context().run, job).result()
    assert plain["actor"] == SYSTEM_ACTOR
    assert copied["actor"]["id"] == "u_ava"
    assert copied["request_id"] == "req_1"


def test_asyncio_tasks_and_to_thread_inherit_the_context(log: ActivityLog) -> None:
    def record() -> dict[str, Any]:
        return log.record(action="contact.exported", workspace="acme")

    async def record_async() -> dict[str, Any]:
        return record()

    async def handler() -> list[dict[str, Any]]:
        with request_context(
            log, actor=AVA, workspace="acme", ip=None, user_agent=None, request_id="req_4"
        ):
            in_task = await asyncio.create_task(record_async())
            in_thread = await asyncio.to_thread(record)
            in_executor = await asyncio.get_running_loop().run_in_executor(None, record)
        return [in_task, in_thread, in_executor]

    in_task, in_thread, in_executor = asyncio.run(handler())
    assert in_task["actor"]["id"] == in_thread["actor"]["id"] == "u_ava"
    assert in_task["request_id"] == in_thread["request_id"] == "req_4"
    assert in_executor["actor"] == SYSTEM_ACTOR  # run_in_executor does not copy the context


def test_a_task_started_in_a_request_keeps_its_actor_after_the_request(log: ActivityLog) -> None:
    async def main() -> dict[str, Any]:
        gate = asyncio.Event()

        async def later() -> dict[str, Any]:
            await gate.wait()
            return log.record(action="contact.exported")

        with request_context(
            log, actor=AVA, workspace="acme", ip=None, user_agent=None, request_id="req_5"
        ):
            task = asyncio.create_task(later())
        gate.set()  # the request's block has ended; the task still holds its copy
        return await task

    assert asyncio.run(main())["actor"]["id"] == "u_ava"
