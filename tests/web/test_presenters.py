"""Events as the page shows them: sentences, badges, diffs, snapshots, devices, times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from activitylog.web import presenters as p
from activitylog.web.entries import present_detail, present_row

AVA = {"id": "u_ava", "name": "Ava Thompson", "email": "ava@acme.example", "role": "owner"}
SAM = {"id": "u_sam", "name": "Sam Rivera", "role": "platform_admin"}


def _event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "01900000-0000-7000-8000-000000000001",
        "seq": 7,
        "workspace": "acme",
        "occurred_at": "2026-05-04T12:03:21.000000Z",
        "actor": AVA,
        "action": "contact.updated",
        "category": "contacts",
        "verb": "updated",
        "kind": "write",
        "label": "Updated contact",
        "subject": {"type": "contact", "id": "c_9", "name": "Jane Doe"},
        "result": "success",
    }
    return {**base, **fields}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "Ava Thompson updated contact Jane Doe"),
        ({"impersonator": SAM}, "Sam Rivera as Ava Thompson updated contact Jane Doe"),
        (
            {
                "action": "auth.signed_in",
                "label": "Signed in",
                "subject": {"type": "user", "id": "u_ava", "name": "Ava Thompson"},
            },
            "Ava Thompson signed in",
        ),
        (
            {
                "action": "settings.updated",
                "label": "Updated settings",
                "subject": {"type": "settings", "id": "set_1", "name": "Inbox settings"},
            },
            "Ava Thompson updated Inbox settings",
        ),
        (
            {
                "action": "team.member_added",
                "label": "Added team member",
                "subject": {"type": "team", "id": "t_1", "name": "Tier 1"},
                "related": [{"type": "user", "id": "u_ben", "name": "Ben Ortiz"}],
            },
            "Ava Thompson added Ben Ortiz to team Tier 1",
        ),
        (
            {
                "actor": {"id": "system", "name": "System", "type": "system"},
                "action": "auth.sign_in_failed",
                "label": "Failed sign-in",
                "subject": {"type": "user", "name": "eve@example.com"},
            },
            "Failed sign-in for eve@example.com",
        ),
        (
            {
                "action": "activity_log.viewed",
                "label": "Viewed activity log",
                "subject": {"type": "activity_log", "id": "acme", "name": "Activity log of acme"},
            },
            "Ava Thompson viewed Activity log of acme",
        ),
        ({"actor": None, "subject": None}, "System updated contact"),
        ({"deleted_at": "2026-05-05T00:00:00.000000Z"}, "This entry was deleted"),
    ],
)
def test_sentence_says_the_action_in_plain_language(fields: dict[str, Any], expected: str) -> None:
    assert p.sentence(_event(**fields)) == expected


def test_diff_rows_show_only_changed_fields() -> None:
    changes = {
        "email": {"before": "a@x.io", "after": "b@x.io"},
        "name": {"before": "Jane", "after": "Jane"},
        "tags": {"before": ["a"], "after": ["a", "b"]},
        "phone": {"after": "+1 555"},
    }
    rows = p.diff_rows(changes)
    assert [r.field for r in rows] == ["email", "tags", "phone"]
    assert rows[0] == p.DiffRow("email", "a@x.io", "b@x.io")
    assert rows[2].before == "—"
    assert '"b"' in rows[1].after


def test_snapshot_rows_hold_every_value() -> None:
    rows = p.snapshot_rows({"id": "c_1", "name": "Jane", "vip": True, "score": None})
    assert [(r.field, r.value) for r in rows] == [
        ("id", "c_1"),
        ("name", "Jane"),
        ("vip", "true"),
        ("score", "—"),
    ]


def test_detail_shows_changes_for_updates_and_snapshots_for_creates() -> None:
    updated = present_detail(_event(changes={"email": {"before": "a", "after": "b"}}), "UTC")
    assert [r.field for r in updated.changes] == ["email"]
    assert updated.snapshot == []
    created = present_detail(
        _event(verb="created", label="Created contact", snapshot={"id": "c_9", "name": "Jane"}),
        "UTC",
    )
    assert created.changes == []
    assert [r.field for r in created.snapshot] == ["id", "name"]
    assert created.snapshot_title == "Record as created"
    deleted = present_detail(_event(verb="deleted", snapshot={"id": "c_9"}), "UTC")
    assert deleted.snapshot_title == "Record as deleted"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://app.example.com/contacts/9", "https://app.example.com/contacts/9"),
        ("http://app.example.com/x", "http://app.example.com/x"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>", None),
        ("/contacts/9", None),
        ("//evil.example/x", None),
        ("https://", None),
        ("", None),
        (None, None),
    ],
)
def test_only_absolute_http_urls_become_links(url: str | None, expected: str | None) -> None:
    assert p.link_url(url) == expected


def test_subject_keeps_an_unlinkable_url_as_text() -> None:
    view = p.subject_view({"type": "contact", "id": "c_9", "url": "javascript:alert(1)"})
    assert view is not None
    assert view.url is None
    assert view.url_text == "javascript:alert(1)"
    assert view.name == "c_9"


def test_device_text() -> None:
    device = {"browser": "Chrome 124", "os": "Windows 10", "device_type": "desktop"}
    assert p.device_text(device) == "Chrome 124 on Windows 10 · desktop"
    assert p.device_text({"browser": "Other", "os": "Other", "device_type": "bot"}) == "bot"
    assert p.device_text(None) == ""


def test_local_time_is_in_the_viewers_zone_with_utc_beside_it() -> None:
    shown = p.local_time("2026-05-04T22:30:00.000000Z", "Europe/Berlin")
    assert shown is not None
    assert shown.iso == "2026-05-04T22:30:00Z"
    assert (shown.date, shown.time) == ("May 5, 2026", "00:30:00")
    assert "Europe/Berlin" in shown.full
    assert shown.utc == "2026-05-04 22:30:00.000000 UTC"
    assert p.local_time(None, "UTC") is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "just now"),
        (300, "5 min ago"),
        (7200, "2 h ago"),
        (86400, "1 day ago"),
        (3 * 86400, "3 days ago"),
    ],
)
def test_relative_time(seconds: int, text: str) -> None:
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    moment = datetime.fromtimestamp(now.timestamp() - seconds, UTC)
    iso = moment.isoformat().replace("+00:00", "Z")
    assert p.relative_time(iso, now) == text


def test_badges_carry_text_not_only_colour() -> None:
    assert p.category_badge("auth") == p.Badge("Authentication", "indigo")
    assert p.category_badge("billing_v2").text == "Billing v2"
    assert p.event_badge({"verb": "deleted", "kind": "write"}) == p.Badge("Deleted", "red")
    assert p.event_badge({"verb": "signed_in", "kind": "auth"}) == p.Badge("Signed in", "violet")
    assert p.event_badge({"verb": "viewed", "kind": "read"}).tone == "gray"
    failure = p.result_badge("failure")
    assert (failure.text, failure.icon, failure.tone) == ("Failure", "✕", "red")
    assert p.result_badge(None).text == "Unknown"


def test_row_seq_and_actor_title() -> None:
    row = present_row({**_event(ip="203.0.113.9"), "seq": 1234}, "UTC")
    assert row.seq == 1234
    assert row.actor.title == "ava@acme.example · owner"
    assert row.actor.initials == "AT"
    assert row.event.text == "Updated"
    assert row.time is not None
    assert row.time.iso == "2026-05-04T12:03:21Z"


def test_details_are_pretty_json_left_for_the_template_to_escape() -> None:
    detail = present_detail(_event(details={"note": "<b>hi</b>", "n": 1}), "UTC")
    assert detail.details == '{\n  "note": "<b>hi</b>",\n  "n": 1\n}'


def test_integrity_status_reads_the_check() -> None:
    class Check:
        content_ok = True
        linked = True
        checkpoint_seq = 50
        signature_ok = True
        verified = True

    detail = present_detail(_event(content_hash="ab" * 32), "UTC", Check())
    assert detail.integrity.status == "Verified"
    assert detail.integrity.checkpoint_seq == 50
    assert present_detail(_event(), "UTC").integrity.status == "Not checked"


def test_counts_say_one_event_and_many_events() -> None:
    assert p.count_text(1, "event") == "1 event"
    assert p.count_text(0, "event") == "0 events"
    assert p.count_text(2345, "event") == "2,345 events"


def test_seq_is_written_one_way() -> None:
    assert p.seq_text(1234) == "#1234"
    assert p.seq_text(None) == "—"


def test_search_matches_are_marked_in_escaped_text() -> None:
    marked = p.marked("Ava <b>EVANS</b> met evans", "evans")
    assert marked == "Ava &lt;b&gt;<mark>EVANS</mark>&lt;/b&gt; met <mark>evans</mark>"
    assert p.marked("<i>x</i>", "") == "&lt;i&gt;x&lt;/i&gt;"
    assert p.marked("a<b", "<") == "a&lt;b"  # no word to search for
    assert p.marked("Ava Thompson", "thom") == "Ava <mark>Thom</mark>pson"
    assert p.marked("java, Ava", "ava") == "java, <mark>Ava</mark>"  # words' beginnings only
    assert p.marked("Chloé", "CHLOE") == "<mark>Chloé</mark>"
    assert p.marked("ava.thompson@acme", "thompson@ac") == "ava.<mark>thompson@ac</mark>me"
    assert p.matches("Jane Doe", " DOE ")
    assert not p.matches("Jane Doe", "smith")
    assert not p.matches("Jane", "")


def test_an_ipv6_address_may_wrap_after_its_colons() -> None:
    text = p.marked("2001:db8::1", "db8", wrap_after=":")
    assert text == "2001:<wbr><mark>db8</mark>:<wbr>:<wbr>1"
    assert p.marked("10.0.0.1", "", wrap_after=":") == "10.0.0.1"


def test_relative_urls_link_against_the_workspace_link_base() -> None:
    base = "https://app.example.com/acme/"
    assert p.link_url("/contacts/c_9") is None  # no link_base: text, as before
    assert p.link_url("/contacts/c_9", base) == "https://app.example.com/contacts/c_9"
    assert p.link_url("contacts/c_9", base) == "https://app.example.com/acme/contacts/c_9"
    assert p.link_url("https://crm.example/c_9", base) == "https://crm.example/c_9"
    assert p.link_url("//evil.example/x", base) is None
    assert p.link_url("javascript:alert(1)", base) is None
    event = _event(
        subject={"type": "contact", "id": "c_9", "name": "Jane Doe", "url": "/contacts/c_9"},
        related=[{"type": "team", "id": "t_1", "name": "Support", "url": "/teams/t_1"}],
    )
    plain = present_detail(event, "UTC")
    assert plain.subject is not None
    assert (plain.subject.url, plain.subject.url_text) == (None, "/contacts/c_9")
    linked = present_detail(event, "UTC", link_base=base)
    assert linked.subject is not None
    assert linked.subject.url == "https://app.example.com/contacts/c_9"
    assert [r.url for r in linked.related] == ["https://app.example.com/teams/t_1"]
