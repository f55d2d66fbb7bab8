"""The history store fed as the dashboard feeds it: the bill reader reads the simulator's
GetBill through `HistoryFeed.bill_source`, 3 simulated days after the floor started; the
24-hour and 30-day figures equal a count made straight from the simulator's bills, and
survive a restart (a new store on the same file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx

from wallboard.api.client import WallboardClient
from wallboard.live.bills import BillReader
from wallboard.live.history.feed import HistoryFeed
from wallboard.live.history.fold import BUCKET_SECONDS, bucket_of
from wallboard.live.history.store import HistoryStore
from wallboard.live.history.windows import DAYS_30, HOURS_24, RuleWindows
from wallboard.live.snapshot import CampaignStatus, CampaignView
from wallboard.sim.server import Simulator, create_app

UTC = dt.UTC
DAY = 86400.0


async def _no_sleep(_: float) -> None:
    return None


def straight_count(sim: Simulator, taskid: str, since: float) -> tuple[int, int]:
    """(answered, dropped) of the task's predictive calls dialled from `since`, from the
    simulator's own bills (which know their task)."""
    answered = dropped = 0
    for record in sim.floor.bills:
        if record.taskid != taskid or record.callmethod != 5 or record.start < since:
            continue
        if record.answer_after is not None:
            answered += 1
            dropped += not record.extnumber
    return answered, dropped


async def test_three_days_of_bills_give_the_windows_of_the_simulators_bills(
    make_simulator: Any, tmp_path: Path
) -> None:
    sim: Simulator = make_simulator(agents=12, queues=2, campaigns=2)
    start = sim.now()
    queues = {task.taskid: task.assignagent for task in sim.tasks()}
    sim.advance(3 * DAY)
    now = sim.now()
    # Every number each task held over the 3 days (the scenario tops its tasks up), as the
    # campaign registry knows a tracked task's numbers.
    held: dict[str, set[str]] = {taskid: set() for taskid in queues}
    for record in sim.floor.bills:
        if record.taskid in held:
            held[record.taskid].add(record.destnumber)
    campaigns = {taskid: frozenset(numbers) for taskid, numbers in held.items()}
    client = WallboardClient(
        "http://sim.test",
        sim.appid,
        sim.accesskey,
        transport=httpx.ASGITransport(app=create_app(sim)),
        sleep=_no_sleep,
    )
    path = tmp_path / "history.sqlite3"
    feed = HistoryFeed(HistoryStore(path, tz=UTC, source="sim"), clock=sim.now)
    feed.follow(campaigns, queues)
    reader = BillReader(tz=UTC, max_pages=20)
    source = feed.bill_source(client)
    for _ in range(50):
        await reader.read(source, now, since=[start])
        if reader.complete:
            break
    assert reader.complete
    assert feed.error is None
    await client.aclose()

    current = bucket_of(now)
    for taskid in campaigns:
        view = CampaignView(taskid, taskid, CampaignStatus.RUNNING, 0, 0, 0, 0, 0, 0.0, 0)
        (filled,) = await feed.fill([view], now)
        answered, dropped = straight_count(sim, taskid, current - HOURS_24 + BUCKET_SECONDS)
        assert answered > 100  # the floor really dialled
        assert (filled.answered_24h, filled.dropped_24h) == (answered, dropped)
        answered, dropped = straight_count(sim, taskid, start)
        assert (filled.answered_30d, filled.dropped_30d) == (answered, dropped)
        assert filled.abandon_30d == dropped / answered
        assert filled.budget_30d == max(0, answered * 3 // 100 - dropped)
        assert filled.counted_over_24h == HOURS_24
        # The store began with the floor, 3 days back: the 30 days are counted over 3.
        assert filled.counted_over_30d is not None and filled.counted_over_30d < DAYS_30
        assert abs(filled.counted_over_30d - 3 * DAY) <= BUCKET_SECONDS

    # A restart: a new store on the same file says the same, and reading again adds nothing.
    before = {t: w.month.totals for t, w in feed.windows.campaigns(campaigns, now).items()}
    feed.close()
    again = HistoryStore(path, tz=UTC, source="sim")
    after = {t: w.month.totals for t, w in RuleWindows(again).campaigns(campaigns, now).items()}
    assert after == before
    assert again.fold(sim_bills_again(sim), now=now) == 0
    again.close()


def sim_bills_again(sim: Simulator) -> list[Any]:
    """Every predictive bill of the simulator (what the reader asked GetBill for) as GetBill
    writes it, read again after the restart."""
    from wallboard.api.models import Bill

    return [
        Bill.model_validate(record.row("")) for record in sim.floor.bills if record.callmethod == 5
    ]
