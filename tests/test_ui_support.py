"""Builders shared by the dashboard's tests: hand-made snapshots, a scripted floor, a client
that records the supervisor's calls. (No tests here.)"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from wallboard.live.actions import Supervisor
from wallboard.live.audit import AuditLog
from wallboard.live.snapshot import (
    AgentState,
    AgentView,
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
    FloorTotals,
    QueueView,
)
from wallboard.ui.app import WallboardApp

T0 = 1_767_600_000.0  # a fixed "now" for hand-made snapshots


def agent(
    ext: str,
    queue: str = "sales",
    state: AgentState = AgentState.IDLE,
    *,
    seconds: float = 30,
    name: str | None = None,
    number: str | None = None,
    answered: int = 0,
    missed: int = 0,
    crmid: str = "",
) -> AgentView:
    return AgentView(
        extnumber=ext,
        queue=queue,
        name=name if name is not None else f"Agent {ext}",
        state=state,
        since=T0 - seconds,
        number=number,
        answered=answered,
        missed=missed,
        crmid=crmid,
    )


def campaign(
    taskid: str = "T1",
    name: str = "Spring promo",
    status: CampaignStatus = CampaignStatus.RUNNING,
    **figures: Any,
) -> CampaignView:
    values: dict[str, Any] = {
        "total": 1000,
        "dialled": 400,
        "answered": 200,
        "dropped": 4,
        "remaining": 600,
        "abandon_rate": 0.02,
        "drop_budget": 2,
    }
    values.update(figures)
    return CampaignView(taskid=taskid, name=name, status=status, **values)


def snapshot(
    queues: dict[str, Sequence[AgentView]] | None = None,
    campaigns: Iterable[CampaignView] = (),
    *,
    taken_at: float = T0,
    stale: bool = False,
    error: str | None = None,
    totals: FloorTotals | None = None,
) -> FloorSnapshot:
    queues = queues if queues is not None else {"sales": [agent("1001")]}
    return FloorSnapshot(
        taken_at=taken_at,
        queues=tuple(QueueView(name=name, agents=tuple(agents)) for name, agents in queues.items()),
        campaigns=tuple(campaigns),
        totals=totals or FloorTotals(),
        stale=stale,
        error=error,
    )


def with_agent(snap: FloorSnapshot, changed: AgentView) -> FloorSnapshot:
    """The snapshot with one agent replaced (matched by queue and extension)."""
    queues = []
    for queue in snap.queues:
        agents = tuple(
            changed if (a.queue, a.extnumber) == (changed.queue, changed.extnumber) else a
            for a in queue.agents
        )
        queues.append(replace(queue, agents=agents))
    return replace(snap, queues=tuple(queues))


class ScriptedFloor:
    """A LiveFloor stand-in: hands out the given snapshots in turn (the last one repeats)."""

    def __init__(self, snapshots: Sequence[FloorSnapshot], *, delay: float = 3600.0) -> None:
        self.snapshots = list(snapshots)
        self.delay = delay
        self.calls = 0
        self.running = 0
        self.overlapped = False
        self.gate: asyncio.Event | None = None
        self._snapshot = FloorSnapshot(taken_at=0.0)

    @property
    def snapshot(self) -> FloorSnapshot:
        return self._snapshot

    def push(self, snap: FloorSnapshot) -> None:
        self.snapshots.append(snap)

    async def refresh(self) -> FloorSnapshot:
        self.running += 1
        self.overlapped = self.overlapped or self.running > 1
        try:
            if self.gate is not None:
                await self.gate.wait()
            index = min(self.calls, len(self.snapshots) - 1)
            self.calls += 1
            self._snapshot = self.snapshots[index]
            return self._snapshot
        finally:
            self.running -= 1

    def next_delay(self) -> float:
        return self.delay


class RecordingClient:
    """The part of WallboardClient the Supervisor uses; records calls, can hold them open."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.gate: asyncio.Event | None = None

    async def _record(self, name: str, **fields: Any) -> dict[str, Any]:
        self.calls.append((name, fields))
        if self.gate is not None:
            await self.gate.wait()
        return {"status": 0}

    async def sign_in(self, queuename: str, extnumber: str, crmid: Any) -> Any:
        return await self._record("sign_in", queuename=queuename, extnumber=extnumber, crmid=crmid)

    async def sign_out(self, queuename: str, extnumber: str, crmid: Any) -> Any:
        return await self._record("sign_out", queuename=queuename, extnumber=extnumber, crmid=crmid)

    async def set_agent_status(
        self, settype: int, extnumber: str, crmid: Any, queuename: str
    ) -> Any:
        return await self._record(
            "set_agent_status",
            settype=settype,
            extnumber=extnumber,
            crmid=crmid,
            queuename=queuename,
        )

    async def set_task(self, taskid: str, taskstatus: int) -> Any:
        return await self._record("set_task", taskid=taskid, taskstatus=taskstatus)

    async def create_task(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise AssertionError("the dashboard never creates tasks")


def scripted_app(
    tmp_path: Path,
    snapshots: Sequence[FloorSnapshot],
    *,
    read_only: bool = False,
    client: RecordingClient | None = None,
    **options: Any,
) -> tuple[WallboardApp, ScriptedFloor, RecordingClient]:
    floor = ScriptedFloor(snapshots)
    client = client or RecordingClient()
    audit = AuditLog(tmp_path / "audit.jsonl", clock=lambda: T0, user="tester")
    supervisor = Supervisor(client, audit, read_only=read_only, user="tester")
    options.setdefault("clock", lambda: T0 + 2)
    app = WallboardApp(floor, supervisor, **options)
    return app, floor, client


def kill_child(pid: int) -> None:
    """Kill a child process a test started, and reap it (it may have left already)."""
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
