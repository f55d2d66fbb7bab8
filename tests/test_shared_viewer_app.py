"""The same app as a viewer of the shared floor (`wallboard --redis URL`), driven with Pilot:
the floor appears from Redis, an action goes through the collector into its audit log with
the viewer's name, and when the collector dies the screen says STALE within two refresh
periods and is fresh again on the standby's floor without a key press."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fixtures.redis_server import RedisServer, redis_server_fixture  # noqa: F401
from redis.asyncio import Redis

from wallboard.api.client import WallboardClient
from wallboard.commands.collect import build_collector
from wallboard.commands.dashboard import viewer_app
from wallboard.live.audit import AuditLog
from wallboard.live.shared.collector import Collector
from wallboard.live.shared.keys import FloorKeys
from wallboard.live.snapshot import AgentState
from wallboard.settings import Settings
from wallboard.sim.server import Simulator, serve_in_thread
from wallboard.ui.app import WallboardApp
from wallboard.ui.dialogs import ConfirmDialog

KEYS = FloorKeys("test", "viewer-app")


@pytest.fixture
def served(make_simulator: Callable[..., Simulator]) -> Iterator[tuple[Simulator, str]]:
    sim = make_simulator(agents=24, queues=2)
    with serve_in_thread(sim) as url:
        yield sim, url


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:g} s: {what}")
        await asyncio.sleep(0.05)  # a turn of the app's loop


def says_stale(app: WallboardApp) -> bool:
    return app.header.figure("updated").startswith("STALE")


async def test_the_viewer_app_follows_acts_and_survives_its_collector(
    served: tuple[Simulator, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    sim, url = served
    audit = tmp_path / "collector-audit.jsonl"
    connections: list[Redis] = []
    clients: list[WallboardClient] = []
    running: list[asyncio.Task[None]] = []

    def collector() -> Collector:
        redis = Redis.from_url(redis_server.url)
        client = WallboardClient(url, sim.appid, sim.accesskey)
        connections.append(redis)
        clients.append(client)
        made = build_collector(
            client,
            Settings(refresh=0.3),
            redis,
            KEYS,
            audit=AuditLog(audit),
            lock_ttl=3.0,  # the STALE in between lasts long enough for the age tick to show
            renew_every=0.2,
        )
        running.append(asyncio.ensure_future(made.run(asyncio.Event())))
        return made

    first = collector()
    await first.wait_leading(10)
    standby = collector()
    viewer_redis = Redis.from_url(redis_server.url)
    app = viewer_app(
        viewer_redis,
        KEYS,
        Settings(theme="default"),
        audit=AuditLog(tmp_path / "viewer-audit.jsonl"),
        who="ana@desk-1",
    )
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            snapshot = await app.wait_for_snapshot(timeout=10)
            assert not snapshot.stale and snapshot.queues
            view = next(
                a
                for q in snapshot.queues
                for a in q.agents
                if a.crmid and a.state is AgentState.IDLE
            )
            assert app.grid.select(view.queue, view.extnumber)
            assert app.grid.tile_text(view.queue, view.extnumber) is not None
            assert not says_stale(app)

            await pilot.press("o")
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("y")
            await app.workers.wait_for_complete()
            with sim.lock:
                assert view.extnumber not in sim.floor.queues[view.queue].pool.members
            lines = AuditLog(audit).entries()
            assert [(e["user"], e["action"], e["outcome"]) for e in lines] == [
                ("ana@desk-1", "check out", "done")
            ]
            await until(
                lambda: app.grid.tile_text(view.queue, view.extnumber) is None,
                5,
                "the tile gone on the viewer",
            )

            running[0].cancel()  # the collector dies
            died = time.monotonic()
            stale_after = app.snapshot.stale_after if app.snapshot else 0.0
            await until(lambda: says_stale(app), 10, "STALE on the viewer's screen")
            # Two refresh periods, plus the screen's one-second age tick.
            assert time.monotonic() - died <= stale_after + 1.5
            await until(lambda: not says_stale(app), 10, "fresh again on the standby's floor")
            assert standby.leading
            await pilot.press("q")
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for client in clients:
            await client.aclose()
        for redis in [*connections, viewer_redis]:
            with contextlib.suppress(Exception):
                await redis.aclose()
