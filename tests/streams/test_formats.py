"""The stream formats: CEF's escaping, OCSF's classes and the fields each class requires
(OCSF 1.3 schema), native JSON as the export's NDJSON."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from activitylog import ActivityLog
from activitylog.chain import content_hash
from activitylog.selection import Selection
from activitylog.streams.cef import extension_value, header_field, to_cef
from activitylog.streams.formats import ENCODERS, stored_line
from activitylog.streams.ocsf import to_ocsf

# What OCSF 1.3 requires of every event (base event) and of each class used here.
BASE_REQUIRED = ("category_uid", "class_uid", "activity_id", "type_uid", "severity_id", "time")
CLASS_REQUIRED = {
    3002: ("user",),  # Authentication
    3001: ("user",),  # Account Change
    6003: ("actor", "api", "src_endpoint"),  # API Activity
}
CATEGORY = {3002: 3, 3001: 3, 6003: 6}
ACTIVITIES = {  # the class's activity_id enum in the schema
    3002: {0, 1, 2, 3, 4, 5, 6, 7, 99},
    3001: {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99},
    6003: {0, 1, 2, 3, 4, 99},
}


def _event(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "01a2b3c4-0000-7000-8000-000000000001",
        "seq": 7,
        "workspace": "acme",
        "layer": "workspace",
        "occurred_at": "2026-03-01T12:00:00.250000Z",
        "received_at": "2026-03-01T12:00:01Z",
        "actor": {"id": "u_ava", "name": "Ava", "email": "ava@acme.example", "type": "user"},
        "action": "contact.updated",
        "category": "contacts",
        "kind": "write",
        "label": "Updated contact",
        "result": "success",
        "ip": "81.2.69.142",
        "location": {"country": "GB", "asn": 3320, "network": "Net", "scope": "public"},
        "description": "Ava updated a contact",
        "content_hash": "ab" * 32,
    }
    return {**base, **fields}


def _check_ocsf(out: dict[str, Any]) -> None:
    for name in BASE_REQUIRED + CLASS_REQUIRED[out["class_uid"]]:
        assert out.get(name) not in (None, {}, ""), name
    assert out["category_uid"] == CATEGORY[out["class_uid"]]
    assert out["activity_id"] in ACTIVITIES[out["class_uid"]]
    assert out["type_uid"] == out["class_uid"] * 100 + out["activity_id"]
    assert out["metadata"]["product"]["vendor_name"]
    assert re.fullmatch(r"1\.\d+\.\d+", out["metadata"]["version"])
    assert out["severity_id"] in {0, 1, 2, 3, 4, 5, 6, 99}
    assert out["status_id"] in {0, 1, 2, 99}
    if "api" in out:
        assert out["api"]["operation"]


@pytest.mark.parametrize(
    ("action", "category", "result", "class_uid", "activity"),
    [
        ("auth.signed_in", "auth", "success", 3002, 1),
        ("auth.sign_in_failed", "auth", "failure", 3002, 1),
        ("auth.signed_out", "auth", "success", 3002, 2),
        ("impersonation.started", "impersonation", "success", 6003, 99),
        ("auth.password_changed", "auth", "success", 3001, 3),
        ("auth.locked_out", "auth", "failure", 3001, 9),
        ("auth.mfa_enabled", "auth", "success", 3001, 10),
        ("user.invited", "users", "success", 3001, 1),
        ("user.role_changed", "users", "success", 3001, 99),
        ("user.removed", "users", "success", 3001, 6),
        ("api_key.created", "workspace", "success", 3001, 1),
        ("api_key.revoked", "workspace", "success", 3001, 6),
        ("contact.updated", "contacts", "success", 6003, 3),
        ("contact.deleted", "contacts", "warning", 6003, 4),
        ("note.created", "notes", "success", 6003, 1),
    ],
)
def test_ocsf_classes_and_activities(
    action: str, category: str, result: str, class_uid: int, activity: int
) -> None:
    event = _event(action=action, category=category, result=result, subject=None)
    out = to_ocsf(event)
    _check_ocsf(out)
    assert (out["class_uid"], out["activity_id"]) == (class_uid, activity)
    assert out["status_id"] == {"success": 1, "failure": 2, "warning": 99}[result]
    assert out["status"] == result.title()


def test_ocsf_fields_carry_the_event() -> None:
    out = to_ocsf(_event(action="auth.signed_in", category="auth", session_id="s1"))
    assert out["time"] == 1772366400250  # 2026-03-01T12:00:00.250Z in ms
    assert out["metadata"]["uid"] == "01a2b3c4-0000-7000-8000-000000000001"
    assert out["metadata"]["tenant_uid"] == "acme"
    assert out["metadata"]["product"]["name"] == "activitylog"
    assert out["user"] == {
        "uid": "u_ava",
        "name": "Ava",
        "email_addr": "ava@acme.example",
        "type_id": 1,
        "type": "user",
    }
    assert out["actor"]["user"]["uid"] == "u_ava"
    assert out["src_endpoint"]["ip"] == "81.2.69.142"
    assert out["src_endpoint"]["location"] == {"country": "GB"}
    assert out["src_endpoint"]["autonomous_system"] == {"number": 3320, "name": "Net"}
    assert out["session"] == {"uid": "s1"}
    assert out["unmapped"]["seq"] == 7
    assert out["unmapped"]["content_hash"] == "ab" * 32
    assert "id" not in out["unmapped"]


def test_ocsf_account_change_names_the_account_changed() -> None:
    subject = {"type": "user", "id": "u_ben", "name": "Ben"}
    out = to_ocsf(_event(action="user.removed", category="users", subject=subject))
    assert out["user"]["uid"] == "u_ben"
    assert out["actor"]["user"]["uid"] == "u_ava"


def test_ocsf_api_activity_names_the_operation_and_resource() -> None:
    subject = {"type": "contact", "id": "c_1", "name": "Acme Corp"}
    out = to_ocsf(_event(subject=subject, user_agent="curl/8"))
    assert out["api"]["operation"] == "contact.updated"
    assert out["resources"] == [{"uid": "c_1", "name": "Acme Corp", "type": "contact"}]
    assert out["http_request"] == {"user_agent": "curl/8"}
    read = to_ocsf(_event(action="contact.viewed", kind="read"))
    assert (read["activity_id"], read["activity_name"]) == (2, "Read")


def test_ocsf_without_an_address_or_actor_still_has_the_required_fields() -> None:
    out = to_ocsf(_event(ip=None, location=None, actor={"name": "System", "type": "system"}))
    _check_ocsf(out)
    assert out["src_endpoint"] == {"name": "unknown"}
    assert out["actor"]["user"]["type_id"] == 3


def test_cef_header_escapes_pipes_and_backslashes() -> None:
    assert header_field("a|b\\c") == "a\\|b\\\\c"
    assert header_field("two\nlines\r\n") == "two lines "
    line = to_cef(_event(action="odd|action", label="Odd\\label"))
    assert line.startswith("CEF:0|activitylog|activitylog|")
    fields = re.split(r"(?<!\\)\|", line)
    assert len(fields) == 8  # version, vendor, product, version, class, name, severity, ext
    assert fields[4] == "odd\\|action"
    assert fields[5] == "Odd\\\\label"
    assert fields[6] == "3"


def test_cef_extension_escapes_equals_backslashes_and_newlines() -> None:
    assert extension_value("a=b\\c\nd\re") == "a\\=b\\\\c\\nd\\re"
    assert extension_value("pipes|stay") == "pipes|stay"
    line = to_cef(_event(description="x=1 \\ y\nz", actor={"id": "u=1", "name": "A|B"}))
    ext = line.split("|", 7)[7]
    assert "msg=x\\=1 \\\\ y\\nz" in ext
    assert "suid=u\\=1" in ext
    assert "suser=A|B" in ext
    assert "\n" not in line


def test_cef_extension_keys() -> None:
    line = to_cef(_event(result="failure"))
    header, ext = line.rsplit("|", 1)
    assert header.endswith("|8")  # failure
    pairs = dict(re.findall(r"(\w+)=((?:[^\\ =]|\\.| (?!\w+=))*)", ext))
    assert pairs["rt"] == "1772366400250"
    assert pairs["suser"] == "Ava"
    assert pairs["suid"] == "u_ava"
    assert pairs["src"] == "81.2.69.142"
    assert pairs["outcome"] == "failure"
    assert pairs["cs1"] == "acme"
    assert pairs["cs1Label"] == "workspace"
    assert pairs["externalId"] == "01a2b3c4-0000-7000-8000-000000000001"
    assert pairs["msg"] == "Ava updated a contact"
    six = to_cef(_event(ip="2001:db8::1"))
    assert "c6a2=2001:db8::1" in six
    assert " src=" not in six


def test_json_lines_are_the_stored_bodies_with_seq_and_hashes(log: ActivityLog) -> None:
    log.record(workspace="acme", action="contact.updated", ip="81.2.69.142", description='é"}')
    (row,) = log.store.after("acme", 0, 10)
    line = stored_line(row)
    (event,) = list(log.export(Selection(since="1970-01-01")))
    assert orjson.loads(line) == {k: v for k, v in event.items() if v is not None}
    body = line[: line.rindex(b',"seq":')] + b"}"
    assert body == bytes(row[1])
    assert content_hash(body) == event["content_hash"]  # a receiver can check the entry
    assert orjson.loads(ENCODERS["ocsf"](event))["metadata"]["uid"] == event["id"]
    assert ENCODERS["cef"](event).decode().startswith("CEF:0|")
