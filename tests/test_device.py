"""device: user agent -> browser, OS and device type."""

from __future__ import annotations

import pytest

from activitylog.device import parse_device

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
IPAD_SAFARI = (
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
TWITTERBOT_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Twitterbot"
)
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
MAC_SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Safari/605.1.15"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


@pytest.mark.parametrize(
    ("user_agent", "device_type"),
    [
        (CHROME_WINDOWS, "desktop"),
        (IPHONE_SAFARI, "mobile"),
        (IPAD_SAFARI, "tablet"),
        (ANDROID_PHONE, "mobile"),
        (ANDROID_TABLET, "tablet"),
        (GOOGLEBOT, "bot"),
        (GOOGLEBOT_SMARTPHONE, "bot"),
        (TWITTERBOT_IPHONE, "bot"),
        (CUBOT_PHONE, "mobile"),  # a phone brand, not a crawler
        ("Mozilla/5.0 (compatible; SomeCrawlerBot/1.0)", "bot"),
        (MAC_SAFARI, "desktop"),
        (FIREFOX_LINUX, "desktop"),
        ("curl/8.5.0", "other"),
        ("", "other"),
    ],
)
def test_device_type(user_agent: str, device_type: str) -> None:
    assert parse_device(user_agent)["device_type"] == device_type


@pytest.mark.parametrize(
    ("user_agent", "browser", "os"),
    [
        (CHROME_WINDOWS, "Chrome 124", "Windows 10"),
        (IPHONE_SAFARI, "Mobile Safari 17", "iOS 17"),
        (ANDROID_PHONE, "Chrome Mobile 124", "Android 14"),
        (FIREFOX_LINUX, "Firefox 125", "Linux"),
        ("", "Other", "Other"),
    ],
)
def test_browser_and_os(user_agent: str, browser: str, os: str) -> None:
    device = parse_device(user_agent)
    assert (device["browser"], device["os"]) == (browser, os)
    assert set(device) == {"browser", "os", "device_type"}
