"""The example helpdesk through its HTTP API: each request leaves exactly the events its
capture instrumentation should record, and a refused or rolled-back one leaves none."""

from __future__ import annotations

from typing import Any

from activitylog.capture.changes import MASK
from activitylog.demo.helpdesk import jobs

from .conftest import FIREFOX, PASSWORD, Desk

AVA = {
    "id": "u_ava",
    "name": "Ava Thompson",
    "email": "ava@acme.example",
    "role": "owner",
    "type": "user",
}
SCHEDULER = {"id": "system", "name": "Scheduler", "type": "system"}


def only(events: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(events) == 1, [e["action"] for e in events]
    return events[0]


def test_create_contact_records_the_snapshot_and_the_request(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    session_id = ava.get("/auth/me").json()["session_id"]
    before = desk.head()
    reply = ava.post(
        "/contacts",
        json={"name": "Jo Park", "email": "jo@old.io", "tags": ["vip", "trial", "vip"]},
        headers={"x-request-id": "req_test_1"},
    )
    assert reply.status_code == 201
    contact_id = reply.json()["id"]
    event = only(desk.since(before))
    assert event["action"] == "contact.created"
    assert (event["category"], event["verb"], event["label"]) == (
        "contacts",
        "created",
        "Created contact",
    )
    assert event["actor"] == AVA
    assert event["impersonator"] is None
    assert event["subject"] == {
        "type": "contact",
        "id": str(contact_id),
        "name": "Jo Park",
        "url": f"/contacts/{contact_id}",
    }
    assert event["snapshot"] == {
        "id": contact_id,
        "name": "Jo Park",
        "email": "jo@old.io",
        "phone": None,
        "company": None,
        "tags": ["trial", "vip"],
        "created_at": "2026-03-02T09:00:00",
    }
    assert event["occurred_at"].startswith(desk.log.get(event["id"])["occurred_at"][:4])
    assert event["ip"] == "203.0.113.9"  # X-Forwarded-For, believed from the trusted proxy
    assert event["user_agent"] == FIREFOX
    assert event["device"]["browser"].startswith("Firefox")
    assert event["session_id"] == session_id
    assert event["request_id"] == reply.headers["x-request-id"] == "req_test_1"


def test_update_records_only_the_changed_field(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    contact = ava.post("/contacts", json={"name": "Jo Park", "email": "jo@old.io"}).json()
    before = desk.head()
    desk.clock.advance(minutes=5)
    reply = ava.patch(f"/contacts/{contact['id']}", json={"email": "jo@new.io", "name": "Jo Park"})
    assert reply.status_code == 200
    event = only(desk.since(before))
    assert event["action"] == "contact.updated"
    assert event["changes"] == {"email": {"before": "jo@old.io", "after": "jo@new.io"}}
    assert event.get("snapshot") is None
    # Nothing changed: nothing recorded.
    same = desk.head()
    assert ava.patch(f"/contacts/{contact['id']}", json={"email": "jo@new.io"}).status_code == 200
    assert desk.head() == same


def test_delete_contact_records_it_and_its_conversations(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    contact = ava.post("/contacts", json={"name": "Jo Park", "email": "jo@x.io"}).json()
    body = {"contact_id": contact["id"], "subject": "Refund", "body": "Hello"}
    conversation = ava.post("/conversations", json=body).json()
    before = desk.head()
    assert ava.delete(f"/contacts/{contact['id']}").status_code == 204
    deleted = {(e["action"], e["subject"]["id"]) for e in desk.since(before)}
    assert deleted == {
        ("contact.deleted", str(contact["id"])),
        ("conversation.deleted", str(conversation["id"])),
    }
    contact_event = next(e for e in desk.since(before) if e["action"] == "contact.deleted")
    assert contact_event["snapshot"]["email"] == "jo@x.io"


def test_assigning_records_conversation_assigned(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    contact = ava.post("/contacts", json={"name": "Jo Park"}).json()
    body = {"contact_id": contact["id"], "subject": "Refund for order 42", "body": "Hi"}
    conversation = ava.post("/conversations", json=body).json()
    before = desk.head()
    path = f"/conversations/{conversation['id']}/assign"
    assert ava.post(path, json={"assignee_id": "u_ben"}).status_code == 200
    event = only(desk.since(before))
    # Named by the instrumentation's actions rules, with the changed field as ever.
    assert event["action"] == "conversation.assigned"
    assert (event["category"], event["label"]) == ("inbox", "Assigned conversation")
    assert event["changes"] == {"assignee_id": {"before": "u_ava", "after": "u_ben"}}
    assert event["subject"]["name"] == f"#{conversation['id']} Refund for order 42"
    # A viewer cannot be assigned: refused, nothing recorded.
    assert ava.post(path, json={"assignee_id": "u_ivan"}).status_code == 422
    assert desk.head() == event["seq"]


def test_conversation_verbs_and_replies(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    contact = ava.post("/contacts", json={"name": "Jo Park"}).json()
    body = {"contact_id": contact["id"], "subject": "Refund", "body": "Hi"}
    conversation = ava.post("/conversations", json=body).json()
    path = f"/conversations/{conversation['id']}"
    before = desk.head()
    ava.post(f"{path}/snooze", json={"until": "2026-03-03T09:00:00Z"})
    ava.post(f"{path}/reopen")
    ava.post(f"{path}/replies", json={"body": "Refund sent", "channel": "chat"})
    ava.post(f"{path}/resolve")
    note = ava.post(f"{path}/notes", json={"body": "Approved by billing"}).json()
    ava.patch(f"/notes/{note['id']}", json={"body": "Approved by billing (Mia)"})
    assert ava.post(f"{path}/resolve").status_code == 409  # resolved already: no event
    events = desk.since(before)
    assert [(e["action"], e.get("changes")) for e in events] == [
        (
            "conversation.snoozed",
            {
                "status": {"before": "open", "after": "snoozed"},
                "snoozed_until": {"before": None, "after": "2026-03-03T09:00:00"},
            },
        ),
        (
            "conversation.reopened",
            {
                "status": {"before": "snoozed", "after": "open"},
                "snoozed_until": {"before": "2026-03-03T09:00:00", "after": None},
            },
        ),
        (
            "conversation.replied",
            {"last_replied_at": {"before": None, "after": "2026-03-02T09:00:00"}},
        ),
        ("conversation.resolved", {"status": {"before": "open", "after": "resolved"}}),
        ("note.created", None),
        (
            "note.updated",
            {"body": {"before": "Approved by billing", "after": "Approved by billing (Mia)"}},
        ),
    ]
    assert [e["label"] for e in events[:2]] == ["Snoozed conversation", "Reopened conversation"]
    assert events[3]["label"] == "Resolved conversation"
    reply = events[2]
    assert reply["label"] == "Replied to conversation"
    assert reply["subject"]["name"] == f"#{conversation['id']} Refund"
    assert "Refund sent" not in str(reply)  # what was written is not the log's to keep
    before = desk.head()
    assert ava.post(f"{path}/assign", json={"assignee_id": None}).status_code == 200
    unassigned = only(desk.since(before))
    assert (unassigned["action"], unassigned["label"]) == (
        "conversation.unassigned",
        "Unassigned conversation",
    )
    assert unassigned["changes"] == {"assignee_id": {"before": "u_ava", "after": None}}


def test_broadcast_verbs(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    ava.post("/contacts", json={"name": "Jo Park", "email": "jo@x.io"})
    draft = ava.post("/broadcasts", json={"title": "Spring sale", "body": "20% off"}).json()
    path = f"/broadcasts/{draft['id']}"
    before = desk.head()
    ava.patch(path, json={"audience": "Trials"})
    ava.post(f"{path}/schedule", json={"at": "2026-03-05T09:00:00Z"})
    desk.clock.advance(minutes=30)
    assert ava.post(f"{path}/send").status_code == 200
    assert ava.post(f"{path}/send").status_code == 409  # sent already: no event
    edited, scheduled, sent = desk.since(before)
    assert edited["action"] == "broadcast.updated"  # editing a draft has no verb of its own
    assert edited["changes"] == {"audience": {"before": "All customers", "after": "Trials"}}
    assert (scheduled["action"], scheduled["label"]) == (
        "broadcast.scheduled",
        "Scheduled broadcast",
    )
    assert scheduled["changes"] == {
        "status": {"before": "draft", "after": "scheduled"},
        "scheduled_at": {"before": None, "after": "2026-03-05T09:00:00"},
    }
    assert (sent["action"], sent["label"]) == ("broadcast.sent", "Sent broadcast")
    assert sent["changes"] == {
        "status": {"before": "scheduled", "after": "sent"},
        "sent_at": {"before": None, "after": "2026-03-02T09:30:00"},
        "recipients": {"before": None, "after": 1},
    }


def test_team_member_added_records_the_many_to_many_change(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    team = ava.post("/teams", json={"name": "Tier 1", "lead_id": "u_ava"}).json()
    before = desk.head()
    assert ava.put(f"/teams/{team['id']}/members/u_ben").status_code == 200
    event = only(desk.since(before))
    assert event["action"] == "team.updated"
    assert event["changes"] == {"members": {"before": ["u_ava"], "after": ["u_ava", "u_ben"]}}
    assert {"type": "user", "id": "u_ben", "name": "Ben Ortiz"} in event["related"]
    before = desk.head()
    assert ava.delete(f"/teams/{team['id']}/members/u_ben").status_code == 200
    removed = only(desk.since(before))
    assert removed["changes"] == {"members": {"before": ["u_ava", "u_ben"], "after": ["u_ava"]}}


def test_webhook_secret_is_masked(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    secret, rotated = "whsec_" + "a1" * 16, "whsec_" + "b2" * 16
    body = {"url": "https://hooks.example.com/in", "secret": secret, "events": ["contact.*"]}
    hook = ava.post("/webhooks", json=body).json()
    assert "secret" not in hook
    ava.patch(f"/webhooks/{hook['id']}", json={"enabled": False})
    ava.patch(f"/webhooks/{hook['id']}", json={"secret": rotated})
    assert ava.delete(f"/webhooks/{hook['id']}").status_code == 204
    events = [e for e in desk.events() if e["subject"]["type"] == "webhook"]
    assert [e["action"] for e in events] == [
        "webhook.created",
        "webhook.updated",
        "webhook.updated",
        "webhook.deleted",
    ]
    assert events[0]["snapshot"]["secret"] == MASK
    assert events[0]["snapshot"]["url"] == "https://hooks.example.com/in"
    assert events[1]["changes"] == {"enabled": {"before": True, "after": False}}
    assert events[2]["changes"] == {"secret": {"before": MASK, "after": MASK}}
    assert events[3]["snapshot"]["secret"] == MASK
    stored = repr(desk.events())
    assert secret not in stored
    assert rotated not in stored
    # The workspace's inbound token is masked by its name alone.
    settings = next(e for e in desk.events() if e["action"] == "settings.created")
    assert settings["snapshot"]["inbound_token"] == MASK


def test_sign_in_and_out(desk: Desk) -> None:
    before = desk.head()
    browser = desk.browser(ip="198.51.100.20")
    wrong = {"email": "ava@acme.example", "password": "nope", "workspace": "acme"}
    assert browser.post("/auth/sign-in", json=wrong).status_code == 401
    unknown = {"email": "mallory@evil.example", "password": "x", "workspace": "acme"}
    assert browser.post("/auth/sign-in", json=unknown).status_code == 401
    right = {"email": "AVA@acme.example", "password": PASSWORD, "workspace": "acme"}
    me = browser.post("/auth/sign-in", json=right).json()
    assert browser.post("/auth/sign-out").status_code == 204
    assert browser.get("/auth/me").status_code == 401
    failed, failed_unknown, signed_in, signed_out = desk.since(before)
    assert failed["action"] == "auth.sign_in_failed"
    assert failed["result"] == "failure"
    assert failed["actor"]["type"] == "system"
    assert failed["subject"] == {"type": "user", "id": "u_ava", "name": "Ava Thompson"}
    assert failed["details"]["email"] == "ava@acme.example"
    assert failed["ip"] == "198.51.100.20"
    assert failed_unknown["subject"] == {"type": "user", "name": "mallory@evil.example"}
    assert signed_in["action"] == "auth.signed_in"
    assert signed_in["actor"] == AVA
    assert signed_in["details"] == {"method": "password"}
    assert signed_in["session_id"] == me["session_id"]
    assert signed_in["kind"] == "auth"
    assert signed_out["action"] == "auth.signed_out"
    assert signed_out["actor"] == AVA
    assert signed_out["session_id"] == me["session_id"]


def test_impersonation_keeps_actor_and_impersonator(desk: Desk) -> None:
    sam = desk.signed_in("sam@helpdesk.example", ip="192.0.2.50")
    ben = desk.signed_in("ben@acme.example")
    contact = ben.post("/contacts", json={"name": "Jo Park"}).json()
    before = desk.head()
    reply = sam.post("/admin/impersonation", json={"user_id": "u_ben", "reason": "SUP-1042"})
    assert reply.json()["user"]["id"] == "u_ben"
    desk.clock.advance(minutes=12)
    sam.patch(f"/contacts/{contact['id']}", json={"company": "Northwind"})
    sam.delete("/admin/impersonation")
    sam.post("/auth/sign-out")
    started, during, ended, signed_out = desk.since(before)
    sam_ref = {"id": "u_sam", "name": "Sam Rivera", "email": "sam@helpdesk.example"}
    assert started["action"] == "impersonation.started"
    assert started["layer"] == "platform"
    assert started["actor"] == {**sam_ref, "role": "platform_admin", "type": "user"}
    assert started["impersonator"] is None
    assert started["subject"] == {"type": "user", "id": "u_ben", "name": "Ben Ortiz"}
    assert started["details"] == {"reason": "SUP-1042"}
    assert during["action"] == "contact.updated"
    assert during["actor"]["id"] == "u_ben"
    assert during["actor"]["role"] == "member"
    assert during["impersonator"]["id"] == "u_sam"
    assert during["ip"] == "192.0.2.50"  # the admin's own browser
    assert during["changes"] == {"company": {"before": None, "after": "Northwind"}}
    assert ended["action"] == "impersonation.ended"
    assert ended["actor"]["id"] == "u_sam"
    assert ended["impersonator"] is None
    assert ended["details"] == {"duration_minutes": 12}
    assert signed_out["action"] == "auth.signed_out"
    assert signed_out["actor"]["id"] == "u_sam"
    assert signed_out["impersonator"] is None


def test_role_change_is_recorded_once_by_whom(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    before = desk.head()
    assert ava.patch("/members/u_ben", json={"role": "admin"}).json()["role"] == "admin"
    event = only(desk.since(before))
    assert event["action"] == "user.role_changed"
    assert event["actor"] == AVA
    assert event["subject"] == {"type": "user", "id": "u_ben", "name": "Ben Ortiz"}
    assert event["changes"] == {"role": {"before": "member", "after": "admin"}}


def test_invite_and_remove_member(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    team = ava.post("/teams", json={"name": "Tier 1", "lead_id": "u_ava"}).json()
    body = {"email": "nia@acme.example", "name": "Nia Cole", "role": "member"}
    nia = ava.post("/members", json=body).json()
    ava.put(f"/teams/{team['id']}/members/{nia['id']}")
    before = desk.head()
    assert ava.delete(f"/members/{nia['id']}").status_code == 204
    actions = [(e["action"], e.get("changes")) for e in desk.since(before)]
    assert actions == [
        ("team.updated", {"members": {"before": sorted(["u_ava", nia["id"]]), "after": ["u_ava"]}}),
        ("member.deleted", None),
    ]
    invited = next(
        e for e in desk.events() if e["action"] == "member.created" and e["actor"]["id"] == "u_ava"
    )
    assert invited["subject"]["name"] == "Nia Cole"
    assert invited["category"] == "users"


def test_refused_and_rolled_back_requests_record_nothing(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    ivan = desk.signed_in("ivan@acme.example")
    ava.post("/contacts", json={"name": "Jo Park", "email": "jo@x.io"})
    team = ava.post("/teams", json={"name": "Tier 1", "lead_id": "u_ava"}).json()
    before = desk.head()
    # Fails validation before anything changes.
    assert ava.post("/contacts", json={"name": "Bad", "email": "not-an-email"}).status_code == 422
    assert ava.patch("/settings", json={"timezone": "Mars/Olympus"}).status_code == 422
    # Breaks a database constraint at commit: rolled back.
    assert ava.post("/contacts", json={"name": "Jo", "email": "jo@x.io"}).status_code == 409
    # Flushed (the capture saw the change), then refused by the app's own check: rolled back.
    body = {"name": "Renamed", "lead_id": "u_ben"}
    assert ava.patch(f"/teams/{team['id']}", json=body).status_code == 422
    # Not allowed for the role.
    assert ivan.post("/contacts", json={"name": "Nope"}).status_code == 403
    assert desk.head() == before
    assert ava.get("/teams").json()[0]["name"] == "Tier 1"


def test_workspaces_are_isolated(desk: Desk) -> None:
    ava = desk.signed_in("ava@acme.example")
    jonas = desk.signed_in("jonas@globex.example", workspace="globex")
    contact = ava.post("/contacts", json={"name": "Jo Park"}).json()
    before = desk.head(), desk.head("globex")
    assert jonas.patch(f"/contacts/{contact['id']}", json={"name": "X"}).status_code == 404
    assert (desk.head(), desk.head("globex")) == before
    jonas.post("/contacts", json={"name": "Kim Lee"})
    assert desk.events("globex")[-1]["subject"]["name"] == "Kim Lee"


def test_inbound_email_and_scheduler_record_as_system(desk: Desk) -> None:
    with desk.state.sessions() as db:
        from activitylog.demo.helpdesk.models import WorkspaceSettings

        token = db.get(WorkspaceSettings, "acme").inbound_token  # type: ignore[union-attr]
    mail = desk.browser(ip="198.2.128.17", agent="MailRelay-Webhook/2.4")
    body = {
        "workspace": "acme",
        "from_email": "kim@example.org",
        "from_name": "Kim Lee",
        "subject": "Cannot log in",
        "body": "Help!",
    }
    before = desk.head()
    assert (
        mail.post("/inbound/email", json=body, headers={"x-inbound-token": "x"}).status_code == 401
    )
    filed = mail.post("/inbound/email", json=body, headers={"x-inbound-token": token}).json()
    events = desk.since(before)
    assert [e["action"] for e in events] == [
        "contact.created",
        "conversation.created",
    ]
    assert all(e["actor"]["type"] == "system" for e in events)
    assert {e["ip"] for e in events} == {"198.2.128.17"}
    ava = desk.signed_in("ava@acme.example")
    path = f"/conversations/{filed['conversation_id']}"
    ava.post(f"{path}/snooze", json={"until": "2026-03-02T10:00:00"})
    draft = ava.post("/broadcasts", json={"title": "Spring sale", "body": "20% off"}).json()
    ava.post(f"/broadcasts/{draft['id']}/schedule", json={"at": "2026-03-02T11:00:00Z"})
    before = desk.head()
    desk.clock.advance(hours=3)
    assert jobs.run_due(desk.state) == 2
    sent, woke = desk.since(before)
    assert woke["action"] == "conversation.reopened"
    assert woke["actor"] == SCHEDULER
    assert woke["ip"] is None
    assert woke["changes"]["status"] == {"before": "snoozed", "after": "open"}
    assert sent["action"] == "broadcast.sent"
    assert sent["actor"] == SCHEDULER
    assert sent["changes"]["status"] == {"before": "scheduled", "after": "sent"}
    assert sent["changes"]["recipients"] == {"before": None, "after": 1}
    # Open and untouched for the workspace's auto-close days (7): resolved.
    before = desk.head()
    desk.clock.advance(days=8)
    assert jobs.run_due(desk.state) == 1
    closed = only(desk.since(before))
    assert (closed["action"], closed["actor"]) == ("conversation.resolved", SCHEDULER)
    assert closed["changes"] == {"status": {"before": "open", "after": "resolved"}}
