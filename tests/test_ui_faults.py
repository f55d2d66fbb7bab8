"""No false alarms: for five simulated minutes the dashboard polls a simulator that
answers slowly, with `ret 500`, malformed JSON and dropped connections, and STALE shows
only on the polls where a whole fast cycle failed; a read the client retried shows nothing,
and the banner's row never moves the grid."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wallboard.api.client import WallboardClient
from wallboard.commands.dashboard import build_app
from wallboard.live.audit import AuditLog
from wallboard.settings import Settings
from wallboard.sim.faults import Faults
from wallboard.sim.server import Simulator, serve_in_thread

#: Five simulated minutes: a poll every 2 simulated seconds.
POLLS = 150


async def no_wait(_seconds: float) -> None:
    """The client's backoff between retries, without waiting (the faults are the test)."""


def fired(sim: Simulator) -> Counter[str]:
    return Counter(sim.stats()["faults"])


async def test_stale_shows_only_when_a_whole_cycle_failed(
    tmp_path: Path, make_simulator: Callable[..., Any]
) -> None:
    faults = Faults(latency=0.005, error500=0.05, malformed=0.05, drop=0.05, seed=11)
    sim: Simulator = make_simulator(seed=7, agents=40, faults=faults)
    settings = Settings(theme="default", refresh=3600.0)  # this test polls, not the timer
    stale_polls = quiet_faults = 0
    with serve_in_thread(sim, host="127.0.0.1", port=0) as url:
        async with WallboardClient(
            url, sim.appid, sim.accesskey, sleep=no_wait, timeout=5.0
        ) as client:
            app = build_app(client, settings, audit=AuditLog(tmp_path / "audit.jsonl"))
            async with app.run_test(size=(120, 40)) as pilot:
                await app.wait_for_snapshot(timeout=20)
                await pilot.pause()
                grid_y = app.grid.region.y
                before = fired(sim)
                for poll in range(POLLS):
                    sim.advance(2)
                    app.poll_now()
                    snapshot = await app.wait_for_snapshot(app.snapshot_count + 1, timeout=20)
                    await pilot.pause()
                    now = fired(sim)
                    faults_this_poll = sum((now - before).values())
                    before = now
                    banner = app.banner
                    says_stale = app.header.figure("updated").startswith("STALE")
                    shown_stale = banner.has_class("-shown") and not banner.has_class("-behind")
                    # STALE exactly when the live model says a whole cycle failed (the
                    # refresh is an hour: no data is old enough to look stale by age) ...
                    assert says_stale == shown_stale == snapshot.stale, (poll, banner.text)
                    assert app.dimmed == snapshot.stale
                    # ... and never without a fault behind it.
                    if snapshot.stale:
                        assert faults_this_poll > 0, poll
                        stale_polls += 1
                    elif faults_this_poll:
                        quiet_faults += 1
                    assert app.grid.region.y == grid_y, poll  # the grid never moves
    # The faults did fire, and some of them were absorbed by a retry without a word.
    assert quiet_faults > 0
    assert stale_polls < POLLS // 2
