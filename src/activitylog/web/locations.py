"""Where an entry's IP was, in words: the detail panel's "IP address and location", the
table's IP tooltip and the PDF report's IP cell. Read from the ``location`` the entry was
recorded with (never looked up again: the location data changes between releases)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: What an address that is not on the public internet is called.
SCOPE_TEXT = {
    "private": "Private address",
    "loopback": "Loopback address",
    "link_local": "Link-local address",
    "reserved": "Reserved address",
}


@dataclass(frozen=True)
class LocationView:
    """``country`` "Germany (DE)", ``network`` "Deutsche Telekom AG" (with "AS3320" when
    known), ``scope`` "Private address" for addresses without a country; all empty for an
    entry recorded before locations were kept."""

    ip: str
    country: str = ""
    code: str = ""
    network: str = ""
    scope: str = ""

    @property
    def summary(self) -> str:
        """One line: "Germany · Deutsche Telekom AG", "Private address", or empty."""
        return " · ".join(p for p in (self.country or self.scope, self.network) if p)

    @property
    def title(self) -> str:
        """The IP with its summary (the table's tooltip)."""
        return f"{self.ip} · {self.summary}" if self.summary else self.ip


def location_view(event: Mapping[str, Any]) -> LocationView | None:
    """The entry's IP and where it was; None without an IP."""
    ip = event.get("ip")
    if not ip:
        return None
    location = event.get("location")
    if not isinstance(location, Mapping):
        return LocationView(str(ip))
    code = str(location.get("country") or "")
    name = str(location.get("country_name") or "")
    country = f"{name} ({code})" if name and code else name or code
    owner = str(location.get("network") or "")
    asn = location.get("asn")
    network = " · ".join(p for p in (owner, f"AS{asn}" if asn else "") if p)
    scope = str(location.get("scope") or "")
    if scope == "public":
        scope_text = "" if country else "Public address, country unknown"
    else:
        scope_text = SCOPE_TEXT.get(scope, "")
    return LocationView(str(ip), country, code, network, scope_text)
