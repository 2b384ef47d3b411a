"""What is sent about an alert: the message read from its ``alert.raised`` or
``alert.extended`` entry, and its three shapes (pure, no I/O).

- an email: plain text, the rule, severity, summary, workspace and a link to the alert;
- a Standard Webhooks payload: ``{"type", "timestamp", "data": {...}}``;
- a Slack incoming-webhook payload: ``{"text", "blocks"}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import orjson

#: The entries delivered: an alert raised, or raised again with more entries.
DELIVERED_ACTIONS = frozenset({"alert.raised", "alert.extended"})
#: The type of the message ``alerts channels test`` sends.
TEST = "alert.test"
SUMMARY_MAX = 1000
_SPACE = re.compile(r"\s+")


def alert_message(entry: Mapping[str, Any], link_base: str | None = None) -> dict[str, Any] | None:
    """The message about the alert ``entry`` states (an event dict as ``query`` returns
    it); None when ``entry`` is not an alert entry to deliver."""
    if entry.get("action") not in DELIVERED_ACTIONS:
        return None
    subject = entry.get("subject") or {}
    details = entry.get("details") or {}
    alert_id = details.get("alert_id") or subject.get("id")
    if subject.get("type") != "alert" or not isinstance(alert_id, str) or not alert_id:
        return None
    event_ids = details.get("event_ids")
    return {
        "type": entry["action"],
        "alert_id": alert_id,
        "workspace": entry["workspace"],
        "rule": _text(details.get("rule"), 200) or "unknown",
        "severity": _text(details.get("severity"), 16) or "unknown",
        "summary": _text(details.get("summary"), SUMMARY_MAX),
        "event_ids": [str(e) for e in event_ids] if isinstance(event_ids, list) else [],
        "entry_id": entry["id"],
        "occurred_at": entry["occurred_at"],
        "url": alert_url(link_base, alert_id),
    }


def test_message(workspace: str, at: datetime) -> dict[str, Any]:
    """A message to try a channel with (``alert.test``): no alert, nothing raised."""
    return {
        "type": TEST,
        "alert_id": "test",
        "workspace": workspace,
        "rule": "test",
        "severity": "low",
        "summary": f"A test of an alert channel of {workspace}: no alert was raised.",
        "event_ids": [],
        "entry_id": None,
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
        "url": None,
    }


def alert_url(link_base: str | None, alert_id: str) -> str | None:
    """The alert's page under the workspace's ``link_base`` (None without one)."""
    if not link_base:
        return None
    return f"{link_base.rstrip('/')}/alerts/{alert_id}"


def _text(value: object, limit: int) -> str:
    """One line of text: whitespace (line breaks included) collapsed, at most ``limit``."""
    if not isinstance(value, str):
        return ""
    return _SPACE.sub(" ", value).strip()[:limit]


def subject_line(message: Mapping[str, Any]) -> str:
    if message["type"] == TEST:
        return f"Test of an alert channel of {message['workspace']}"
    verb = "raised again" if message["type"] == "alert.extended" else "raised"
    return (
        f"[{message['severity'].upper()}] Alert {verb} in {message['workspace']}: {message['rule']}"
    )


def email_text(message: Mapping[str, Any]) -> str:
    lines = [
        message["summary"] or subject_line(message),
        "",
        f"Rule:      {message['rule']}",
        f"Severity:  {message['severity']}",
        f"Workspace: {message['workspace']}",
        f"Alert:     {message['alert_id']}",
        f"Entries:   {len(message['event_ids'])}",
        f"When:      {message['occurred_at']}",
    ]
    if message.get("url"):
        lines += ["", f"Open the alert: {message['url']}"]
    lines += ["", "-- ", "activitylog alert delivery"]
    return "\n".join(lines) + "\n"


def email_message(
    message: Mapping[str, Any], sender: str, recipients: list[str], message_id: str
) -> EmailMessage:
    """The email; its ``Message-ID`` is the delivery's, the same on every retry, so a
    repeat after an interrupted send is recognisable."""
    mail = EmailMessage()
    mail["Subject"] = subject_line(message)
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = format_datetime(datetime.fromisoformat(message["occurred_at"]))
    mail["Message-ID"] = f"<{message_id}@activitylog>"
    mail["X-Activitylog-Alert"] = message["alert_id"]
    mail.set_content(email_text(message))
    return mail


def webhook_payload(message: Mapping[str, Any]) -> bytes:
    """The Standard Webhooks payload: the event type, when it happened, and the alert."""
    data = {
        "alert_id": message["alert_id"],
        "workspace": message["workspace"],
        "rule": message["rule"],
        "severity": message["severity"],
        "summary": message["summary"],
        "event_ids": message["event_ids"],
        "entry_id": message["entry_id"],
        "url": message["url"],
    }
    return orjson.dumps(
        {"type": message["type"], "timestamp": message["occurred_at"], "data": data}
    )


def slack_payload(message: Mapping[str, Any]) -> bytes:
    """A Slack incoming-webhook message: ``text`` (notifications) and ``blocks``."""
    title = _slack(subject_line(message))
    body = _slack(message["summary"]) if message["summary"] else title
    facts = (
        f"*Rule:* {_slack(message['rule'])}   *Severity:* {_slack(message['severity'])}   "
        f"*Workspace:* {_slack(message['workspace'])}   *Entries:* {len(message['event_ids'])}"
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{body}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": facts}]},
    ]
    if message.get("url"):
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the alert"},
                        "url": message["url"],
                    }
                ],
            }
        )
    return orjson.dumps({"text": f"{title}: {body}", "blocks": blocks})


def _slack(text: str) -> str:
    """Text as Slack's markup reads it literally: ``&``, ``<`` and ``>`` escaped, so no
    ``<!channel>`` mention or link can come from an alert's words."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
