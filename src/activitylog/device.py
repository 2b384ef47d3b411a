"""User agent -> device ``{browser, os, device_type}`` with the maintained ua-parser rules."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse

_TABLET_FAMILIES = ("ipad", "tablet", "kindle", "galaxy tab", "nexus 7", "nexus 9", "nexus 10")
_MOBILE_OS = ("ios", "android", "windows phone", "blackberry os", "kaios")


@lru_cache(maxsize=8192)
def parse_device(user_agent: str) -> dict[str, str]:
    """Browser, OS and device type (desktop, mobile, tablet, bot, other) of a user agent."""
    result = parse(user_agent)
    browser = _version_name(result.user_agent)
    os_name = _version_name(result.os)
    device = result.device.family if result.device else "Other"
    kind = _device_type(device, os_name, user_agent, browser)
    return {"browser": browser, "os": os_name, "device_type": kind}


def _version_name(part: object | None) -> str:
    if part is None:
        return "Other"
    family = str(getattr(part, "family", "Other"))
    major = getattr(part, "major", None)
    return f"{family} {major}" if major else family


def _device_type(device: str, os_name: str, user_agent: str, browser: str = "Other") -> str:
    family = device.lower()
    # "bot" anywhere in the raw string only when ua-parser knows no device: "CUBOT" is a phone.
    if family == "spider" or "bot" in browser.lower():
        return "bot"
    if family == "other" and "bot" in user_agent.lower():
        return "bot"
    if any(t in family for t in _TABLET_FAMILIES):
        return "tablet"
    os_lower = os_name.lower()
    if any(os_lower.startswith(m) for m in _MOBILE_OS):
        return (
            "tablet" if "android" in os_lower and "mobile" not in user_agent.lower() else "mobile"
        )
    if os_name == "Other" and family == "other":
        return "other"
    return "desktop"
