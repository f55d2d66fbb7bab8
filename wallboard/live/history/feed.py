"""What the live model holds of the history store: it folds what the model reads, and
gives each campaign view its windows' figures.

- `HistoryFeed.bill_source(client)`: the client's `bills` with every page folded into the
  store on its way to the bill reader, so the store sees exactly the bills the dashboard
  (or the collector) reads, with no change to the reader; the store keeps each once.
- `HistoryFeed.observe(snapshot)`: each new snapshot (paused and idle seconds, when agents
  joined calls, which queue each agent sits in).
- `HistoryFeed.fill(views, now)`: the campaign views with `abandon_24h`, `abandon_30d`,
  `budget_*`, `counted_over_*` and `strict_*` set.

The store's work runs in a worker thread (`asyncio.to_thread`): a Postgres across the
network never holds the screen up. A store that fails (a full disk, a server gone) costs
the windows' figures, never the floor: the error is kept (`error`) and logged once. A
store that is only busy (another writer's lock, a slow server: at most 5 s, `dialect`) is
not waited for: the cycle shows the last figures.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import ParamSpec, TypeVar

from wallboard.api.models import BillPage
from wallboard.live.bills import BillSource
from wallboard.live.history.fold import Attribution
from wallboard.live.history.store import HistoryStore
from wallboard.live.history.windows import CampaignWindows, RuleWindows
from wallboard.live.snapshot import CampaignView, FloorSnapshot

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


class HistoryFeed:
    """The live model's handle on a history store."""

    def __init__(self, store: HistoryStore, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.windows = RuleWindows(store)
        self.clock = clock  # the server's time (the live model's `server_now`)
        self.error: str | None = None
        self._campaigns: Mapping[str, Iterable[str]] = {}
        self._campaign_queue: Mapping[str, str] = {}
        self._agent_queue: dict[str, str] = {}
        self._attribution = Attribution()
        self._lock = asyncio.Lock()
        self._last: dict[str, CampaignWindows] = {}  # the last windows, per campaign

    def follow(
        self, campaigns: Mapping[str, Iterable[str]], campaign_queue: Mapping[str, str]
    ) -> None:
        """The tracked campaigns (taskid: its numbers) and the queue each dials for: what a
        bill's number and agent are counted to. Rebuilt only when they change."""
        if _same_campaigns(campaigns, self._campaigns) and campaign_queue == self._campaign_queue:
            return
        self._campaigns = campaigns
        self._campaign_queue = dict(campaign_queue)
        self._attribution = Attribution(campaigns, self._campaign_queue, self._agent_queue)

    def bill_source(self, source: BillSource) -> BillSource:
        """`source` with every page of bills folded into the store as it is read."""
        return _FoldingBills(source, self)

    async def fold(self, page: BillPage) -> None:
        if not page.bills:
            return
        await self._run(self.store.fold, page.bills, self._attribution, self.clock())

    async def observe(self, snapshot: FloorSnapshot) -> None:
        """Take a new snapshot (each poll cycle's)."""
        agent_queue: dict[str, str] = {}
        for queue in snapshot.queues:
            for agent in queue.agents:
                agent_queue.setdefault(agent.extnumber, queue.name)
        if agent_queue and agent_queue != self._agent_queue:
            self._agent_queue = agent_queue
            self._attribution = Attribution(self._campaigns, self._campaign_queue, agent_queue)
        await self._run(self.store.observe, snapshot)

    async def after_cycle(self, snapshot: FloorSnapshot) -> FloorSnapshot:
        """What the live model calls with each new snapshot: the snapshot is taken in
        (`observe`) and comes back with its campaigns' windows filled in. A stale snapshot
        is returned as it is (its figures are the last good ones); while the store is
        `busy`, the snapshot comes back at once with the last figures."""
        if snapshot.stale:
            return snapshot
        if self._lock.locked():
            return replace(snapshot, campaigns=self.last_filled(snapshot.campaigns))
        await self.observe(snapshot)
        if self._lock.locked():  # a page of bills took the store meanwhile
            return replace(snapshot, campaigns=self.last_filled(snapshot.campaigns))
        campaigns = await self.fill(snapshot.campaigns, snapshot.taken_at)
        return replace(snapshot, campaigns=campaigns)

    @property
    def busy(self) -> bool:
        """A store job still runs (a long fold, a store waiting for another writer's lock):
        the floor goes on without waiting for it, with the last figures."""
        return self._lock.locked()

    def last_filled(self, views: Sequence[CampaignView]) -> tuple[CampaignView, ...]:
        """The views with the last windows' figures the store gave (those it never gave:
        unchanged). What a cycle shows while the store is busy; that cycle's snapshot is
        not taken in (its paused and idle seconds: the next one's gap is counted)."""
        return tuple(
            with_windows(v, self._last[v.taskid]) if v.taskid in self._last else v for v in views
        )

    async def agent_joined(self, number: str, at: float) -> None:
        """An extension event said an agent answered a call to `number` at `at` (server
        unix seconds): the 2-second test's other half, when polling is too slow to see it."""
        await self._run(self.store.connects.note, number, at)

    async def fill(self, views: Sequence[CampaignView], now: float) -> tuple[CampaignView, ...]:
        """The views with their windows' figures (unchanged when the store cannot say)."""
        if not views:
            return tuple(views)
        found = await self._run(self.windows.campaigns, [v.taskid for v in views], now)
        if found is None:
            return tuple(views)
        self._last = dict(found)
        return tuple(with_windows(v, found[v.taskid]) if v.taskid in found else v for v in views)

    async def _run(self, job: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """Run a store job in a worker thread; None (and `error` set, logged once) when it
        fails. A job that reads the store (a fold, the windows) says it works again."""
        async with self._lock:  # one job at a time: the store's order is the model's
            try:
                result = await asyncio.to_thread(job, *args, **kwargs)
            except Exception as exc:  # the store's own errors: sqlite3's, psycopg's, OS
                said = str(exc).strip()
                text = f"history store {self.store.where}: "
                text += said.splitlines()[0] if said else type(exc).__name__
                if text != self.error:
                    log.warning("%s", text)
                self.error = text
                return None
        if self.error is not None and job in (self.store.fold, self.windows.campaigns):
            log.warning("history store used again")
            self.error = None
        return result

    def close(self) -> None:
        self.store.close()


class _FoldingBills:
    """A bill source that hands every page to the feed before the reader gets it."""

    def __init__(self, source: BillSource, feed: HistoryFeed) -> None:
        self._source = source
        self._feed = feed

    async def bills(
        self,
        starttime: str,
        endtime: str,
        *,
        syncflag: int = 3,
        direction: int = 3,
        callmethod: int = 0,
        currentpage: int = 1,
        itemsperpage: int = 1000,
    ) -> BillPage:
        page = await self._source.bills(
            starttime,
            endtime,
            syncflag=syncflag,
            direction=direction,
            callmethod=callmethod,
            currentpage=currentpage,
            itemsperpage=itemsperpage,
        )
        await self._feed.fold(page)
        return page


def _same_campaigns(a: Mapping[str, Iterable[str]], b: Mapping[str, Iterable[str]]) -> bool:
    """The same campaigns with the same numbers: by identity first (the live model keeps
    each task's numbers as one frozenset while they do not change), so a cycle costs a few
    comparisons, not a new index of every number."""
    if a is b:
        return True
    if a.keys() != b.keys():
        return False
    return all(a[k] is b[k] or a[k] == b[k] for k in a)


def with_windows(view: CampaignView, windows: CampaignWindows) -> CampaignView:
    """A campaign view with its 24-hour and 30-day figures."""
    day, month = windows.day, windows.month
    return replace(
        view,
        abandon_24h=day.rate,
        abandon_30d=month.rate,
        budget_24h=day.budget,
        budget_30d=month.budget,
        counted_over_24h=day.counted_over,
        counted_over_30d=month.counted_over,
        strict_24h=day.strict_rate,
        strict_30d=month.strict_rate,
        answered_24h=day.totals.answered,
        dropped_24h=day.totals.abandoned,
        answered_30d=month.totals.answered,
        dropped_30d=month.totals.abandoned,
    )
