"""The demo's people in the helpdesk, through its HTTP API (in process, behind a simulated
reverse proxy): their devices and browser sessions — sign in (now and then with a typo
first), sign out, impersonate — customers emailing in, password-guessing strangers, and
the requests all of them send. What people do once signed in: :mod:`.simulation`.

Each :class:`Person` has a cookie jar and one to three devices (an IP and a browser).
Requests the app refuses (a conflict, a permission) are counted, not raised: people do
that too.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from starlette.types import ASGIApp

from activitylog.demo.seed.cast import (
    _ATTACK_UAS,
    _FOREIGN_NETS,
    _HOME_NETS,
    _HOME_V6,
    _NAMES,
    _TOPICS,
    _UAS,
    SeedUser,
)

#: The mail provider's servers posting inbound email.
MAIL_GATEWAYS = ("198.2.128.17", "198.2.180.44", "167.89.115.5")
MAIL_AGENT = "MailRelay-Webhook/2.4"
#: Where customers' (and new contacts') email addresses are.
MAILBOXES = ("gmail.com", "outlook.com", "yahoo.com", "proton.me", "gmx.de")


@dataclass(frozen=True)
class Person:
    """A member of the cast and their devices (an IP address and a browser each)."""

    user: SeedUser
    devices: tuple[tuple[str, str], ...]


@dataclass
class Visit:
    """One sitting of a person in a workspace: a browser session with its own cookies."""

    person: Person
    workspace: str
    device: tuple[str, str] = ("", "")
    client: httpx.AsyncClient | None = None
    #: While impersonating: the member acted as (``{id, name, email, role}``).
    acting: dict[str, Any] | None = None


@dataclass
class Visits:
    """The people's visits to ``app``, and the requests they send; ``statuses`` counts the
    replies by status."""

    app: ASGIApp
    inbound_tokens: Mapping[str, str]
    password: str
    rng: random.Random
    proxy: tuple[str, int]
    #: The app's "now" (naive UTC).
    clock: Callable[[], datetime]
    statuses: Counter[int] = field(default_factory=Counter)
    _people: dict[str, Person] = field(default_factory=dict)
    _open: list[httpx.AsyncClient] = field(default_factory=list)
    _anonymous: httpx.AsyncClient | None = None
    _threads: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    _attackers: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)

    def visit(self, user: SeedUser, workspace: str) -> Visit:
        """A future sitting of ``user`` in ``workspace`` (from their usual devices)."""
        person = self._people.get(user.id)
        if person is None:
            count = 1 + self.rng.randint(0, 2)
            devices = tuple((_home_ip(self.rng), self.rng.choice(_UAS)) for _ in range(count))
            person = self._people[user.id] = Person(user, devices)
        return Visit(person, workspace)

    async def aclose(self) -> None:
        """Close the browsers still open (sessions nobody signed out of)."""
        for client in self._open:
            await client.aclose()
        self._open.clear()
        if self._anonymous is not None:
            await self._anonymous.aclose()

    # -- sessions ------------------------------------------------------------------------
    async def _sign_in(self, visit: Visit) -> None:
        """Open a browser on one of the person's devices (usually the everyday one) and
        sign in, now and then after mistyping the password."""
        devices = visit.person.devices
        visit.device = devices[0] if self.rng.random() < 0.7 else self.rng.choice(devices)
        visit.client = self._client()
        self._open.append(visit.client)
        if self.rng.random() < 0.04:
            await self._call(
                visit, "POST", "/auth/sign-in", json=self._credentials(visit, typo=True)
            )
        await self._call(visit, "POST", "/auth/sign-in", json=self._credentials(visit))

    async def _sign_out(self, visit: Visit) -> None:
        await self._call(visit, "POST", "/auth/sign-out")
        visit.acting = None
        if visit.client is not None:
            self._open.remove(visit.client)
            await visit.client.aclose()
            visit.client = None

    def _credentials(self, visit: Visit, *, typo: bool = False) -> dict[str, str]:
        password = self.password[:-1] if typo else self.password
        return {
            "email": visit.person.user.email,
            "password": password,
            "workspace": visit.workspace,
        }

    async def _impersonate(self, visit: Visit) -> None:
        members = await self._call(visit, "GET", "/members") or []
        targets = [m for m in members if m["role"] in ("admin", "member")]
        if not targets:
            return
        target = self.rng.choice(targets)
        reason = self.rng.choice(("Customer reported missing data", "Webhook setup", "SUP-1042"))
        body = {"user_id": target["id"], "reason": reason}
        if await self._call(visit, "POST", "/admin/impersonation", json=body) is not None:
            visit.acting = target

    async def _unimpersonate(self, visit: Visit) -> None:
        await self._call(visit, "DELETE", "/admin/impersonation")
        visit.acting = None

    async def _attack(self, workspace: str) -> None:
        """One guess of a password-guessing burst (a burst keeps its address and client)."""
        now = self.clock()
        attacker = self._attackers.get(workspace)
        if attacker is None or now - attacker[2] > timedelta(hours=1):
            attacker = (_ip(self.rng, _FOREIGN_NETS), self.rng.choice(_ATTACK_UAS), now)
        ip, agent, _ = attacker
        self._attackers[workspace] = (ip, agent, now)
        first, last = self.rng.choice(_NAMES).lower().split()
        email = self.rng.choice(
            (f"admin@{workspace}.example", f"{first}.{last}@{workspace}.example")
        )
        body = {"email": email, "password": secrets.token_hex(4), "workspace": workspace}
        await self._anon("POST", "/auth/sign-in", ip, agent, json=body)

    # -- customers -------------------------------------------------------------------------
    async def _inbound(self, workspace: str) -> None:
        threads = self._threads.setdefault(workspace, [])
        if threads and self.rng.random() < 0.3:
            conversation_id, email, name = self.rng.choice(threads)
            subject, body = "Re: your reply", "Thanks, but it is still not working for me."
        else:
            conversation_id = None
            name = self.rng.choice(_NAMES)
            first, last = name.lower().split()
            email = f"{first}.{last}{self.rng.randrange(400)}@{self.rng.choice(MAILBOXES)}"
            subject = self.rng.choice(_TOPICS).format(self.rng.randrange(1000, 9999))
            body = "Hi, " + subject.lower() + ". Can you help?"
        payload = {
            "workspace": workspace,
            "from_email": email,
            "from_name": name,
            "subject": subject,
            "body": body,
            "conversation_id": conversation_id,
        }
        headers = {"x-inbound-token": self.inbound_tokens[workspace]}
        gateway = self.rng.choice(MAIL_GATEWAYS)
        filed = await self._anon(
            "POST", "/inbound/email", gateway, MAIL_AGENT, json=payload, headers=headers
        )
        if filed is not None and conversation_id is None:
            threads.append((filed["conversation_id"], email, name))
            del threads[:-200]

    # -- plumbing --------------------------------------------------------------------------
    def _client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=self.proxy)
        return httpx.AsyncClient(transport=transport, base_url="https://helpdesk.example")

    async def _call(self, visit: Visit, method: str, path: str, **kwargs: Any) -> Any:
        if visit.client is None:  # signed out already
            return None
        ip, agent = visit.device
        return await self._send(visit.client, method, path, ip, agent, **kwargs)

    async def _did(self, visit: Visit, method: str, path: str, **kwargs: Any) -> bool:
        """Whether the app did it (a 2xx reply)."""
        return await self._call(visit, method, path, **kwargs) is not None

    async def _anon(self, method: str, path: str, ip: str, agent: str, **kwargs: Any) -> Any:
        if self._anonymous is None:
            self._anonymous = self._client()
        return await self._send(self._anonymous, method, path, ip, agent, **kwargs)

    async def _send(
        self, client: httpx.AsyncClient, method: str, path: str, ip: str, agent: str, **kwargs: Any
    ) -> Any:
        """The reply's JSON (``{}`` when empty), or None when the app refused."""
        headers = {"x-forwarded-for": ip, "user-agent": agent, **kwargs.pop("headers", {})}
        reply = await client.request(method, path, headers=headers, **kwargs)
        self.statuses[reply.status_code] += 1
        if reply.status_code >= 500:
            raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text}")
        if reply.status_code >= 400:
            return None
        return reply.json() if reply.content else {}


def _home_ip(rng: random.Random) -> str:
    if rng.random() < 0.25:
        prefix = _HOME_V6[rng.getrandbits(16) % len(_HOME_V6)]
        return f"{prefix}:{rng.getrandbits(16):x}::{rng.getrandbits(12):x}"
    return _ip(rng, _HOME_NETS)


def _ip(rng: random.Random, nets: tuple[int, ...]) -> str:
    return f"{rng.choice(nets)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
