"""The live model's handle on the history store: pages of bills folded on their way to the
reader, each snapshot taken in and its campaigns filled with the rules' windows, and a
store that fails costing the windows only."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from pathlib import Path

import pytest
from test_history_helpers import UTC, agent, bill, snapshot

from wallboard.api.models import BillPage
from wallboard.live.history.feed import HistoryFeed
from wallboard.live.history.fold import CAMPAIGN
from wallboard.live.history.store import HistoryStore
from wallboard.live.snapshot import AgentState, CampaignStatus, CampaignView

T0 = dt.datetime(2026, 1, 10, 9, 0, tzinfo=UTC).timestamp()


class Pages:
    """A bill source of one page, counting the asks."""

    def __init__(self, page: BillPage) -> None:
        self.page = page
        self.asked = 0

    async def bills(self, starttime: str, endtime: str, **_: int) -> BillPage:
        self.asked += 1
        return self.page


def view(taskid: str) -> CampaignView:
    return CampaignView(taskid, f"task {taskid}", CampaignStatus.RUNNING, 10, 0, 0, 0, 10, 0.0, 0)


@pytest.fixture
def feed(tmp_path: Path) -> HistoryFeed:
    feed = HistoryFeed(HistoryStore(tmp_path / "history.sqlite3", tz=UTC), clock=lambda: T0 + 600)
    feed.follow({"T1": frozenset({"15550001"})}, {"T1": "sales"})
    return feed


async def test_pages_are_folded_on_their_way_and_snapshots_filled(feed: HistoryFeed) -> None:
    page = BillPage(
        totalitems=3,
        bills=[
            bill(1, T0, number="15550001", answer_after=2),
            bill(2, T0 + 10, number="15550001", ext="8001", answer_after=2),
            bill(3, T0 + 20, number="15550009", ext="8001", answer_after=2),
        ],
    )
    source = Pages(page)
    wrapped = feed.bill_source(source)
    assert await wrapped.bills("a", "b") is page and source.asked == 1
    await wrapped.bills("a", "b")  # the same page again: nothing counted twice
    shot = snapshot(T0 + 600, agent("8001", AgentState.IDLE))
    shot = type(shot)(
        taken_at=shot.taken_at, queues=shot.queues, campaigns=(view("T1"), view("T2"))
    )
    filled = await feed.after_cycle(shot)
    first, second = filled.campaigns
    assert (first.answered_24h, first.dropped_24h, first.abandon_24h) == (2, 1, 0.5)
    assert first.budget_30d == 0 and first.counted_over_24h == 600  # held since T0
    assert second.answered_24h == 0 and second.abandon_24h is None
    assert filled.queues == shot.queues and feed.error is None


async def test_a_failing_store_costs_the_windows_only(
    feed: HistoryFeed, caplog: pytest.LogCaptureFixture
) -> None:
    feed.store.db.close()  # as a disk gone or a server down would
    shot = snapshot(T0 + 600, agent("8001", AgentState.IDLE))
    shot = type(shot)(taken_at=shot.taken_at, queues=shot.queues, campaigns=(view("T1"),))
    with caplog.at_level(logging.WARNING):
        filled = await feed.after_cycle(shot)
        await feed.after_cycle(shot)
    assert filled.campaigns[0].abandon_24h is None  # no figure rather than a wrong one
    assert feed.error is not None and feed.error.startswith("history store ")
    assert sum("history store" in r.getMessage() for r in caplog.records) == 1  # once


async def test_a_busy_store_does_not_hold_the_floor_up(feed: HistoryFeed, tmp_path: Path) -> None:
    await feed.fold(BillPage(bills=[bill(1, T0, number="15550001", answer_after=2)]))
    shot = snapshot(T0 + 600, agent("8001", AgentState.IDLE))
    shot = type(shot)(
        taken_at=shot.taken_at, queues=shot.queues, campaigns=(view("T1"), view("T2"))
    )
    assert (await feed.after_cycle(shot)).campaigns[0].dropped_24h == 1
    # Another writer holds the store's write lock: the next page's fold waits for it ...
    other = sqlite3.connect(tmp_path / "history.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    page = BillPage(bills=[bill(2, T0 + 60, number="15550001", answer_after=2)])
    folding = asyncio.create_task(feed.fold(page))
    for _ in range(100):
        if feed.busy:
            break
        await asyncio.sleep(0)
    assert feed.busy
    # ... and the cycle does not: it comes back at once with the last figures.
    filled = await asyncio.wait_for(feed.after_cycle(shot), timeout=2)
    assert not folding.done()
    first, second = filled.campaigns
    assert (first.answered_24h, first.dropped_24h, first.abandon_24h) == (1, 1, 1.0)
    assert second.answered_24h == 0 and second.abandon_24h is None
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(folding, timeout=10)
    assert (await feed.after_cycle(shot)).campaigns[0].dropped_24h == 2
    assert feed.error is None


async def test_an_extension_event_times_the_agent(feed: HistoryFeed) -> None:
    await feed.agent_joined("+1 555-0001", T0 + 9)  # answered at +2: 7 s late
    await feed.fold(BillPage(bills=[bill(1, T0, number="15550001", ext="8001", answer_after=2)]))
    totals = feed.store.totals(CAMPAIGN, T0, T0 + 900)["T1"]
    assert (totals.timed, totals.late, totals.strict_rate) == (1, 1, 1.0)


def test_following_the_same_campaigns_keeps_the_index(feed: HistoryFeed) -> None:
    before = feed._attribution
    feed.follow({"T1": frozenset({"15550001"})}, {"T1": "sales"})
    assert feed._attribution is before
    feed.follow({"T1": frozenset({"15550001", "15550002"})}, {"T1": "sales"})
    assert feed._attribution is not before
    assert feed._attribution.campaigns_of("15550002") == ("T1",)


def test_the_windows_in_words() -> None:
    from dataclasses import replace

    from wallboard.live.history.words import strict_words, window_level, windows_text

    plain = view("T1")
    assert windows_text(plain) is None and window_level(plain) == ""
    held = replace(
        plain,
        abandon_24h=0.021,
        abandon_30d=0.027,
        budget_24h=14,
        budget_30d=9,
        counted_over_24h=86400,
        counted_over_30d=52 * 3600,
    )
    assert windows_text(held) == "24 h 2.1% (14 left) · 30 d 2.7% (9 left, over 2 d 4 h)"
    # Short: no budgets, but a window counted over less than itself still says so.
    assert windows_text(held, short=True) == "24 h 2.1% · 30 d 2.7% (over 2 d 4 h)"
    young = replace(held, abandon_24h=0.02, abandon_30d=0.02, counted_over_24h=7200)
    young = replace(young, counted_over_30d=7200, budget_24h=3, budget_30d=3)
    assert windows_text(young) == "24 h = 30 d 2.0% (3 left, over 2 h)"
    assert (
        window_level(held) == "-amber" and window_level(replace(held, abandon_30d=0.028)) == "-red"
    )
    assert strict_words(held).endswith("2-second test: not every call timed")
    assert strict_words(replace(held, strict_24h=0.03)).endswith("2-second test: 24 h 3.0%")
    empty = replace(plain, counted_over_24h=0, counted_over_30d=0)
    assert windows_text(empty) == "24 h = 30 d – (over 0 min)"
