"""What the administration tests share: a client on a simulator in-process (httpx's ASGI
transport) that counts the services it sends, and an administrator over it with its audit
log, campaign registry and known groups in a temporary folder. No tests here."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from fixtures.fake_api import FaultTransport

from wallboard.api.client import WallboardClient
from wallboard.live.admin import Administrator
from wallboard.live.admin_groups import KnownGroups
from wallboard.live.audit import AuditLog
from wallboard.live.campaigns import CampaignRegistry
from wallboard.sim.server import Simulator, create_app

SERVICE = re.compile(rb'name="service"\r\n\r\n([A-Za-z_.]+)\r\n')
CHANGES = (
    "App.Sip_Queue.AddQueue",
    "App.Sip_Queue.EditQueue",
    "App.Sip_Queue.DelQueue",
    "App.Sip_Extgroup.AddExtgroup",
    "App.Sip_Extgroup.AddExtnumber",
    "App.Sip_Extgroup.DelExtnumber",
    "App.Sip_Extgroup.EditExtnumber",
)


class Counting(httpx.AsyncBaseTransport):
    """Counts the requests per service on the client's side of the transport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        found = SERVICE.search(await request.aread())
        self.sent[found.group(1).decode() if found else "?"] += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def changes(self) -> int:
        """How many changing requests were sent (any of the seven admin changes)."""
        return sum(self.sent[wire] for wire in CHANGES)


async def _no_sleep(_: float) -> None:
    return None


class Desk:
    """An administrator on a simulator, and everything a test looks at afterwards."""

    def __init__(self, sim: Simulator, tmp_path: Path, *, read_only: bool = False) -> None:
        self.sim = sim
        self.transport = Counting(httpx.ASGITransport(app=create_app(sim)))
        self.faults = FaultTransport(self.transport)  # off until a test sets refuse or drop
        self.client = WallboardClient(
            "http://sim.test", sim.appid, sim.accesskey, transport=self.faults, sleep=_no_sleep
        )
        self.audit = AuditLog(tmp_path / "audit.jsonl", user="sup1", clock=lambda: 1767603600.0)
        self.registry = CampaignRegistry(tmp_path / "campaigns.json")
        self.groups = KnownGroups(tmp_path / "groups.json")
        self.admin = Administrator(
            self.client,
            self.audit,
            read_only=read_only,
            user="sup1",
            registry=self.registry,
            groups=self.groups,
        )

    def lines(self) -> list[dict[str, Any]]:
        path = self.audit.path
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    async def close(self) -> None:
        await self.client.aclose()


def passwords(sim: Simulator) -> list[str]:
    """Every extension password the simulator holds (what must never be shown)."""
    return [ext.password for ext in sim.floor.extensions.values()]


__all__ = ["CHANGES", "Counting", "Desk", "passwords"]
