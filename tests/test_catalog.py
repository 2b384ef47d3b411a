"""catalog: action -> category, verb, kind and label; extension without mutation."""

from __future__ import annotations

import pytest

from activitylog.catalog import (
    CATEGORIES,
    DEFAULT_CATALOG,
    KNOWN_ACTIONS,
    PREFIX_CATEGORIES,
    READ_VERBS,
    ActionInfo,
    Catalog,
    Kind,
)


@pytest.mark.parametrize(
    ("action", "category", "verb", "kind", "label"),
    [
        ("conversation.assigned", "inbox", "assigned", "write", "Assigned conversation"),
        ("auth.signed_in", "auth", "signed_in", "auth", "Signed in"),
        ("contact.exported", "contacts", "exported", "read", "Exported contact"),
        ("contact.merged", "contacts", "merged", "write", "Merged contact"),
        ("api_key.created", "workspace", "created", "write", "Created API key"),
        ("session.viewed", "auth", "viewed", "auth", "Viewed session"),
        ("auth.token_refreshed", "auth", "token_refreshed", "auth", "Token refreshed"),
        ("workspace.switched", "workspace", "switched", "auth", "Switched workspace"),
        ("webhook.delivery_failed", "webhooks", "delivery_failed", "write",
         "Webhook delivery failed"),
        ("activity_log.exported", "activity_log", "exported", "read", "Exported activity log"),
        ("contact.note.added", "contacts", "added", "write", "Added contact note"),
    ],
)  # fmt: skip
def test_describe(action: str, category: str, verb: str, kind: Kind, label: str) -> None:
    assert DEFAULT_CATALOG.describe(action) == ActionInfo(category, verb, kind, label)


@pytest.mark.parametrize("action", ["gadget.created", "zzz.viewed", "invoice.paid", "nodots"])
def test_unknown_prefix_is_other(action: str) -> None:
    assert DEFAULT_CATALOG.describe(action).category == "other"


def test_unknown_prefix_kind_and_label() -> None:
    assert DEFAULT_CATALOG.describe("invoice.viewed") == ActionInfo(
        "other", "viewed", "read", "Viewed invoice"
    )


@pytest.mark.parametrize("verb", sorted(READ_VERBS))
def test_read_verbs_are_reads_outside_auth(verb: str) -> None:
    assert DEFAULT_CATALOG.describe(f"contact.{verb}").kind == "read"
    assert DEFAULT_CATALOG.describe(f"auth.{verb}").kind == "auth"


@pytest.mark.parametrize("action", sorted(KNOWN_ACTIONS))
def test_known_actions_use_hand_written_label(action: str) -> None:
    label, kind = KNOWN_ACTIONS[action]
    info = DEFAULT_CATALOG.describe(action)
    assert info.label == label
    if kind is not None:
        assert info.kind == kind


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_default_category_reachable(category: str) -> None:
    prefixes = [p for p, c in PREFIX_CATEGORIES.items() if c == category] or ["unmapped"]
    assert DEFAULT_CATALOG.describe(f"{prefixes[0]}.updated").category == category


def test_default_categories() -> None:
    assert DEFAULT_CATALOG.categories == CATEGORIES
    assert DEFAULT_CATALOG.categories[-1] == "other"


def test_describe_is_cached_and_stable() -> None:
    assert DEFAULT_CATALOG.describe("contact.updated") is DEFAULT_CATALOG.describe(
        "contact.updated"
    )


def test_extend_does_not_mutate_default() -> None:
    before = {a: DEFAULT_CATALOG.describe(a) for a in ("invoice.paid", "contact.updated")}
    custom = ActionInfo("billing_x", "paid", "write", "Paid an invoice")
    extended = DEFAULT_CATALOG.extend(
        prefixes={"invoice": "billing", "contact": "crm"},
        labels={"contact.updated": "Edited a contact", "invoice.voided": "Voided invoice"},
        actions={"invoice.paid": custom},
    )
    assert extended is not DEFAULT_CATALOG
    assert extended.describe("invoice.paid") == custom
    assert extended.describe("invoice.voided") == ActionInfo(
        "billing", "voided", "write", "Voided invoice"
    )
    assert extended.describe("contact.updated") == ActionInfo(
        "crm", "updated", "write", "Edited a contact"
    )
    assert extended.categories == (*CATEGORIES[:-1], "billing", "crm", "other")
    # The default catalog and its tables are untouched.
    assert {a: DEFAULT_CATALOG.describe(a) for a in before} == before
    assert DEFAULT_CATALOG.categories == CATEGORIES
    assert "invoice" not in PREFIX_CATEGORIES
    assert "contact.updated" not in KNOWN_ACTIONS
    assert Catalog().describe("invoice.paid").category == "other"


def test_extend_label_keeps_known_kind() -> None:
    extended = DEFAULT_CATALOG.extend(labels={"workspace.switched": "Changed workspace"})
    assert extended.describe("workspace.switched") == ActionInfo(
        "workspace", "switched", "auth", "Changed workspace"
    )
    assert DEFAULT_CATALOG.describe("workspace.switched").label == "Switched workspace"


def test_extend_chains() -> None:
    one = DEFAULT_CATALOG.extend(prefixes={"invoice": "billing"})
    two = one.extend(labels={"invoice.paid": "Paid invoice"})
    assert two.describe("invoice.paid") == ActionInfo("billing", "paid", "write", "Paid invoice")
    assert one.describe("invoice.paid").label == "Paid invoice"  # built by rule, same text
    assert one.extend(prefixes={"invoice": "other"}).describe("invoice.x").category == "other"
