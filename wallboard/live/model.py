"""The live model: polls the server and hands the screen one immutable snapshot per cycle.

Three cadences, each a fixed number of requests:
- fast (every `fast_interval`, 1.5 s): GetQueueSipStatus for ALL queues in one call (empty
  queuename), then GetSipCallStatus (`client.call_states`: each state apart from its ticking
  durations, the same object while only they move) for the extensions that need it: on
  the first cycle all; after that those whose queue row changed or is new, calls placed by
  hand, and a fifth of the floor in turn (`CALL_SWEEP`), so that each extension's call
  state is read at least every five cycles. The others keep their last reading, whose
  durations count on from when it was read (`build.durations_at`). The model asks the
  client for comma lists of CALL_BATCH (2,500) extensions, so a floor of up to 2,500
  agents costs two requests per fast cycle, whether it has 100, 500 or 2,000 agents.
- slow (every `slow_interval`, 30 s): GetQueueList, GetSipnumberInfo (enabled, registered),
  GetSipRegisterStatus.
- bills (every `bills_interval`, 10 s): the new pages of GetBill (see `bills.py`), at most
  three pages a cycle; while a long day is being caught up, every fast cycle reads more. The
  reader keeps running totals (the day's, each tracked campaign number's, and the day per
  15 minutes for the floor and each campaign: the trends), not the bills;
  the numbers of a campaign tracked or topped up later are counted back over the window.

Building a snapshot is pure: it writes no file and changes no registry. The campaign
registry is read once at the start of a cycle; what the bills teach it (a campaign not known
to have started is dialling) is shown at once, and written to the registry by the poll loop
after the snapshot is out, once a task, all tasks in one write.

The server's clock is the truth (API-NOTES decision 10). The client says, from the
`reqtime`/`rsptime` of its latest answer, how far the server's clock is from this machine's
(`server_offset`); the model keeps that as an offset from its own `clock` and puts every
time of a snapshot on the server's clock: `taken_at`, each agent's `since`, "today" and the
bill windows (in the profile's zone `tz`). A first cycle, before any answer told the
server's time, reads the bills only after the fast reads answered, so that it never counts
this machine's day. `clock` is this machine's clock (time.time); a test may give its own
(a simulator's manual clock): the offset is measured against whichever it is.

`refresh()` never raises. When the fast reads fail, the last good snapshot stays, marked
stale, with the reason in a supervisor's words, and `next_delay()` backs off exponentially
until the server answers again; then the model recovers by itself. A failed slow or bills
read keeps the previous data, says so in `error`, and is tried again sooner than its
interval, but does not make the agents' states stale. A streak of failures is logged once
when it starts and once when it ends, never once per failed poll.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from wallboard.api.call_states import CallStates
from wallboard.api.errors import ApiError
from wallboard.api.models import (
    Extension,
    ExtensionRegistration,
    Queue,
    QueueAgent,
)
from wallboard.live.bills import LOOKBACK_DAYS, BillReader, BillSource, CallFigures, number_keys
from wallboard.live.build import (
    CallReading,
    CallRow,
    CampaignLive,
    ExtensionFacts,
    FloorBuilder,
    LiveNumbers,
    campaign_view,
    campaigns_live,
    extension_facts,
    floor_totals,
    live_numbers,
    number_owners,
    order_campaigns,
    trend_of,
)
from wallboard.live.campaigns import CampaignRegistry, TrackedTask
from wallboard.live.names import AgentNames
from wallboard.live.snapshot import (
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
    QueueView,
    Trend,
)
from wallboard.live.states import (
    Q_ANSWERED,
    Q_RECEIVING,
    X_IN_CALL,
    X_OFF_HOOK,
    X_REJECTED,
    X_RINGING,
)
from wallboard.live.words import describe_failure

if TYPE_CHECKING:
    from wallboard.live.history.feed import HistoryFeed

log = logging.getLogger("wallboard.live")

#: The batch size the live model asks of its client: extensions per GetSipCallStatus and
#: GetSipRegisterStatus request. The documents set no limit; 2,500 numbers make a form of
#: about 25 KB, and a floor of up to 2,500 agents is then one request.
CALL_BATCH = 2500
MAX_BACKOFF = 30.0
#: Every extension's call state is read at least once in this many fast cycles; in between,
#: only those whose queue row changed, and calls placed by hand, are read again.
CALL_SWEEP = 5
#: Queue states of an agent with a queue call (receiving, answered): the queue row tells
#: when that call ends.
QUEUE_CALL_CODES = frozenset({Q_RECEIVING, Q_ANSWERED})
#: Call states of an extension with a call on the line or ringing (or just rejected).
CALL_ON_LINE_CODES = frozenset({X_RINGING, X_OFF_HOOK, X_IN_CALL, X_REJECTED})
#: Bill pages read in one cycle at most: a long day is caught up over several cycles rather
#: than holding up one snapshot.
BILL_PAGES_PER_CYCLE = 3
#: What a task's status says when the bills show its numbers dialled: it has started.
NOT_YET_DIALLING = (CampaignStatus.UNKNOWN, CampaignStatus.NOT_STARTED)
#: Drops counted in the header: in the last 15 and 60 minutes.
RECENT_DROPS = (15, 60)


class FloorSource(BillSource, Protocol):
    """The reads the live model makes: the API client, or anything that answers like it."""

    async def queue_agents(self) -> Sequence[QueueAgent]: ...

    async def call_states(
        self, extnumbers: Sequence[str], batch_size: int | None = None
    ) -> CallStates: ...

    async def queues(self) -> Sequence[Queue]: ...

    async def extensions(self, status: int = 3) -> Sequence[Extension]: ...

    async def register_status(
        self, extnumbers: Sequence[str], batch_size: int | None = None
    ) -> Sequence[ExtensionRegistration]: ...

    @property
    def server_offset(self) -> float | None:
        """Seconds to add to this machine's `time.time()` for the server's clock, from the
        latest answer's `rsptime`/`reqtime`; None before any answer gave it."""
        ...


class LiveFloor:
    """Pollers -> `FloorSnapshot`. One instance per dashboard; `refresh()` is not reentrant
    (a second call while one runs waits for it and returns its snapshot)."""

    def __init__(
        self,
        client: FloorSource,
        *,
        queues: Sequence[str] | None = None,
        registry: CampaignRegistry | None = None,
        clock: Callable[[], float] = time.time,
        fast_interval: float = 1.5,
        slow_interval: float = 30.0,
        bills_interval: float = 10.0,
        read_only: bool = False,
        profile: str | None = None,
        tz: dt.tzinfo | None = None,
        max_backoff: float = MAX_BACKOFF,
        names: AgentNames | None = None,
        call_sweep: int = CALL_SWEEP,
        history: HistoryFeed | None = None,
        server_clock: Callable[[], float] | None = None,
    ) -> None:
        if fast_interval <= 0 or slow_interval <= 0 or bills_interval <= 0:
            raise ValueError("poll intervals must be positive")
        self._client = client
        # The history store (None: no 24-hour and 30-day windows) sees every page of bills
        # the reader reads, on its way, and each new snapshot.
        self.history = history
        self._bill_source: BillSource = client if history is None else history.bill_source(client)
        self.scope: tuple[str, ...] | None = (
            tuple(q.strip() for q in queues if q.strip()) or None if queues else None
        )
        self.registry = registry
        self._clock = clock
        self.fast_interval = fast_interval
        self.slow_interval = slow_interval
        self.bills_interval = bills_interval
        self.read_only = read_only
        self.tz = tz  # the server's zone: its day, its seatschangetime
        self.names = names  # the agents file: names for people (reloaded in the slow cycle)
        self._profile = profile
        self._max_backoff = max(max_backoff, fast_interval)
        self._bills = BillReader(tz=tz, max_pages=BILL_PAGES_PER_CYCLE)
        self._lock = asyncio.Lock()

        self._failures = 0
        self._slow_failures = 0
        self._bill_failures = 0
        self._slow_due = float("-inf")
        self._bills_due = float("-inf")
        self._slow_error: str | None = None
        self._bills_error: str | None = None

        self._queue_list: list[Queue] = []
        self._facts: dict[str, ExtensionFacts] = {}
        self._extensions: list[str] = []  # the extensions of the agents shown
        # The call readings by extension (the last one of each), the queue rows they were
        # asked with (by identity), and which turn of the sweep reads which extension.
        self._readings: dict[str, CallReading] = {}
        self._rows: dict[int, QueueAgent] = {}
        self._buckets: dict[str, int] = {}
        self._sweep_turn = 0
        self.call_sweep = max(1, call_sweep)
        self._builder = FloorBuilder(tz=tz, names=names)
        # Server time minus `clock()`; known once an answer told the server's time.
        self._offset = 0.0
        self._offset_known = False
        # The server's clock when it is known outright rather than learnt from answers'
        # whole-second stamps: a simulator in this process with its clock stopped (the
        # screenshots), whose time the host's clock does not follow.
        self._server_clock = server_clock
        self._fast_took = 0.0  # how long the last good fast read took (on `clock`)
        self._failing_since: float | None = None  # when the failing fast cycles began
        self._slow_logged = self._bills_logged = False  # their failing streak was logged
        self._finished: list[tuple[TrackedTask, CallFigures, Trend]] = []
        if history is not None:
            history.clock = self.server_now
        self._floor_trend: tuple[tuple[int, int], Trend] = ((-1, -1), Trend())
        self._campaigns_key: tuple[object, ...] | None = None
        self._campaigns: tuple[CampaignView, ...] = ()
        # Each campaign's numbers reduced to `phone_key`s, with the numbers they came from:
        # rebuilt only when a task's numbers change, not whenever its bills do.
        self._number_keys: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}
        self._followed: tuple[tuple[frozenset[str], ...], frozenset[str]] = ((), frozenset())
        # The tracked numbers' campaigns, for the tasks and numbers they were made of.
        self._owners: tuple[tuple[object, ...], dict[str, tuple[str, ...]]] = ((), {})
        # The campaigns' calls in progress, for the calls and the bills' version they are of.
        self._live: tuple[tuple[object, ...], dict[str, CampaignLive]] = ((), {})
        # Tasks the bills show dialling while the registry says otherwise (the last views'),
        # and those of them already reported to the registry (once a task).
        self._dialling: tuple[str, ...] = ()
        self._reported: set[str] = set()
        self._snapshot = FloorSnapshot(taken_at=clock(), read_only=read_only, bills_read=False)

    def __repr__(self) -> str:
        return f"LiveFloor(scope={self.scope!r}, failures={self._failures})"

    # ------------------------------------------------------------------ public

    @property
    def snapshot(self) -> FloorSnapshot:
        """The latest snapshot (the last good data, stale when the last poll failed)."""
        return self._snapshot

    @property
    def failures(self) -> int:
        """Fast cycles failed in a row (0 while the server answers)."""
        return self._failures

    def server_now(self) -> float:
        """Now on the server's clock (this machine's until an answer told the server's)."""
        return self._clock() + self._offset

    @property
    def clock_offset(self) -> float:
        """Server time minus this machine's clock (`clock`), as far as the answers said."""
        return self._offset

    @property
    def bills_read(self) -> bool:
        """Every bill of the window is counted: the day's and campaigns' figures are whole,
        not catching up (after a start, a new day, or a campaign tracked)."""
        return self._bills.complete

    def next_delay(self) -> float:
        """Seconds until the next refresh: the interval, or an exponential backoff while the
        fast reads fail (1.5 s, 3, 6, 12, 24, then 30 s at most)."""
        if self._failures == 0:
            return self.fast_interval
        return min(self._max_backoff, self.fast_interval * 2.0 ** (self._failures - 1))

    async def refresh(self) -> FloorSnapshot:
        """One fast cycle, plus the slow reads and bills when due. Never raises."""
        if self._lock.locked():
            async with self._lock:
                return self._snapshot
        async with self._lock:
            try:
                await self._cycle()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed(exc)
            return self._snapshot

    # ------------------------------------------------------------------ a cycle

    async def _cycle(self) -> None:
        now = self._clock()
        tasks = self.registry.tasks() if self.registry is not None else ()
        numbers = self._numbers_of(tasks)
        campaigns = {task.taskid: self._keys_of(task) for task in tasks}
        if self.history is not None:
            self.history.follow(campaigns, {task.taskid: task.assigned_to for task in tasks})
        if self._bills.follow(numbers, campaigns) and self._bills.recounting:
            self._bills_due = min(self._bills_due, now)  # count the new numbers back now
        slow = self._slow() if now >= self._slow_due else None
        bills = self._read_bills(tasks) if now >= self._bills_due else None
        side = [job for job in (slow, bills) if job is not None]
        if not self._offset_known and self._client.server_offset is None:
            # No answer has told the server's time yet: the bills wait for the fast reads,
            # so that they never count this machine's day.
            try:
                agents, calls, fresh = await self._fast()
            except BaseException:
                for job in side:
                    job.close()  # never started: nothing to wait for
                raise
            self._learn_clock()
            await _side_jobs(side)
        else:
            outcome = await asyncio.gather(self._fast(), *side, return_exceptions=True)
            fast = outcome[0]
            for result in outcome[1:]:
                if isinstance(result, asyncio.CancelledError):
                    raise result
            if isinstance(fast, BaseException):
                raise fast
            if fast is None:  # pragma: no cover - typing: only the side jobs give None
                raise RuntimeError("the fast read gave no answer")
            agents, calls, fresh = fast
        self._fast_took = max(0.0, self._clock() - now)
        self._learn_clock()
        taken_at = self.server_now()
        for reading in fresh:
            reading.read_at = taken_at  # the durations are those of this moment
        self._publish(agents, calls, taken_at, tasks)
        if self.history is not None:  # the windows' figures; never raises
            self._snapshot = await self.history.after_cycle(self._snapshot)
        self._report_dialling()

    def _learn_clock(self) -> None:
        """Take the server's clock from the client (which settles it over its answers'
        whole-second stamps) as an offset from `clock`: measured through `time.time()`, the
        host clock the client's offset is from, so that it holds whatever `clock` is."""
        if self._server_clock is not None:
            self._offset = self._server_clock() - self._clock()
            self._offset_known = True
            return
        told = self._client.server_offset
        if told is None:
            return
        self._offset = time.time() + told - self._clock()
        self._offset_known = True

    async def _fast(self) -> tuple[list[QueueAgent], dict[str, CallRow], list[CallReading]]:
        """The queues' agents, then the call states of the extensions that need reading
        this cycle (`_to_ask`); the others keep their last reading (counted on from when it
        was read). Also the readings made this cycle, whose `read_at` the cycle sets."""
        agents = await self._client.queue_agents()
        mine = self._in_scope(agents)
        shown = list(dict.fromkeys(row.extnumber.strip() for row in mine if row.extnumber.strip()))
        asked = self._to_ask(mine, shown)
        readings = await self._call_states(asked) if asked else ()
        # Only once the call states answered: after a failed read, the rows that changed
        # are still new to the next cycle, and have their call states read then.
        self._rows = {id(row): row for row in mine}
        self._extensions = shown
        fresh: dict[str, CallReading] = {}
        for state, idle, talk in readings:
            extnumber = state.extnumber.strip()
            if extnumber:
                fresh[extnumber] = CallReading(state, idle, talk)
        last, unasked = self._readings, set(shown).difference(asked)
        calls: dict[str, CallReading] = {}
        for extnumber in shown:
            reading = fresh.get(extnumber)
            if reading is None and extnumber in unasked:
                reading = last.get(extnumber)
            if reading is not None:
                calls[extnumber] = reading
        self._readings = calls
        rows: dict[str, CallRow] = dict(calls)
        return mine, rows, list(fresh.values())

    def _to_ask(self, rows: Sequence[QueueAgent], shown: Sequence[str]) -> list[str]:
        """The extensions whose call state this cycle reads: every one on the first cycle
        (and every cycle with `call_sweep` 1); else those whose queue row changed or is new
        (the client hands back the same row object for an unchanged row), those never read,
        those whose last reading shows a call their queue rows do not (a call placed by
        hand, whose end no queue row tells), and one `call_sweep`-th of the floor in turn,
        so that every extension's call state is read at least every `call_sweep` cycles
        (what only the call state says: a phone unplugged, a call placed by hand)."""
        sweep = self.call_sweep
        last = self._readings
        if sweep <= 1 or not last:
            return list(shown)
        turn = self._sweep_turn = (self._sweep_turn + 1) % sweep
        known = self._rows
        wanted = {row.extnumber.strip() for row in rows if known.get(id(row)) is not row}
        # A reading that shows a call, of an extension no queue row shows on a queue call.
        on_line = [ext for ext, reading in last.items() if reading.status in CALL_ON_LINE_CODES]
        if on_line:
            queue_calls = {
                row.extnumber.strip()
                for row in rows
                if (row.state if row.state is not None else row.status) in QUEUE_CALL_CODES
            }
            wanted.update(ext for ext in on_line if ext not in queue_calls)
        buckets = self._buckets
        for extnumber in shown:
            if extnumber not in buckets:
                buckets[extnumber] = len(buckets) % sweep
        return [
            extnumber
            for extnumber in shown
            if buckets[extnumber] == turn or extnumber in wanted or extnumber not in last
        ]

    async def _call_states(self, extnumbers: Sequence[str]) -> CallStates:
        """GetSipCallStatus in batches of CALL_BATCH: one request for most floors."""
        return await self._client.call_states(list(extnumbers), batch_size=CALL_BATCH)

    def _in_scope(self, agents: Sequence[QueueAgent]) -> list[QueueAgent]:
        if not self.scope:
            return list(agents)
        keep = set(self.scope)
        return [row for row in agents if row.queuename.strip() in keep]

    async def _slow(self) -> None:
        try:
            known = list(self._extensions)
            queue_list, extensions, registrations = await _all(
                self._client.queues(),
                self._client.extensions(status=3),
                self._client.register_status(known, batch_size=CALL_BATCH) if known else _nothing(),
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._slow_failures += 1
            self._slow_error = describe_failure(exc, profile=self._profile)
            self._slow_due = self._clock() + self._retry_after(
                self._slow_failures, self.slow_interval
            )
            if self._slow_failures == 1:
                _log_unexpected(exc)  # a bug: its traceback, once a streak
            return
        finally:
            if self.names is not None:
                self.names.reload_if_changed()  # the agents file, once a slow cycle
        self._queue_list = list(queue_list)
        self._facts = extension_facts(extensions, registrations)
        if self._slow_logged:
            log.warning("slow reads answered again after %d failures", self._slow_failures)
            self._slow_logged = False
        self._slow_failures = 0
        self._slow_error = None
        self._slow_due = self._clock() + self.slow_interval

    async def _read_bills(self, tasks: Sequence[TrackedTask]) -> None:
        """The new bills of the server's day (and the tracked campaigns' windows). The
        registry's times are this machine's; the window is the server's: they are moved
        onto the server's clock by the offset."""
        here, offset = self._clock(), self._offset
        since = [task.bills_since + offset for task in tasks if _holds_the_window(task, here)]
        try:
            await self._bills.read(self._bill_source, here + offset, since)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._bill_failures += 1
            self._bills_error = describe_failure(exc, profile=self._profile)
            self._bills_due = self._clock() + self._retry_after(
                self._bill_failures, self.bills_interval
            )
            if self._bill_failures == 1:
                _log_unexpected(exc)  # a bug: its traceback, once a streak
            return
        if self._bills_logged:
            log.warning("bills read again after %d failures", self._bill_failures)
            self._bills_logged = False
        self._bill_failures = 0
        self._bills_error = None
        self._bills_due = self._clock() + (
            self.bills_interval if self._bills.complete else self.fast_interval
        )

    def _retry_after(self, failures: int, interval: float) -> float:
        return min(interval, self.fast_interval * 2.0 ** (failures - 1))

    # ------------------------------------------------------------------ the snapshot
    # Pure: from what the reads brought and the registry's tasks as the cycle began. Nothing
    # here writes a file or changes the registry.

    def _publish(
        self,
        agents: list[QueueAgent],
        calls: dict[str, CallRow],
        taken_at: float,
        tasks: Sequence[TrackedTask],
    ) -> None:
        queues = self._queue_views(agents, calls, taken_at)
        if self._failures and (self._slow_error or self._bills_error):
            # The server is back: catch the slow reads and the bills up on the next cycle
            # rather than after their backed-off retry times.
            self._slow_due = self._bills_due = float("-inf")
        if self._failures:
            began = self._failing_since
            lasted = f" ({self._clock() - began:.0f} s)" if began is not None else ""
            log.warning("polls answered again after %d failed%s", self._failures, lasted)
        self._failures = 0
        self._failing_since = None
        # A slow or bills read failing while the fast reads answer: one line when it starts
        # (not while the whole server is down: the fast reads' line says that).
        if self._slow_error and not self._slow_logged:
            log.warning("slow reads failing: %s", self._slow_error)
            self._slow_logged = True
        if self._bills_error and not self._bills_logged:
            log.warning("bills not read: %s", self._bills_error)
            self._bills_logged = True
        problems = [p for p in (self._slow_error, self._bills_error) if p]
        recent = tuple(self._bills.dropped_within(m, taken_at) for m in RECENT_DROPS)
        upto = self._bills.slot_of(taken_at)
        self._snapshot = FloorSnapshot(
            taken_at=taken_at,
            queues=queues,  # the builder keeps an unchanged queue's QueueView object
            campaigns=self._campaign_views(tasks, live_numbers(queues), upto),
            totals=floor_totals(
                queues,
                self._bills.today,
                recent_drops=(recent[0], recent[1]),
                scoped=self.scope is not None,
                trend=self._day_trend(upto),
            ),
            stale=False,
            error="; ".join(problems) or None,
            read_only=self.read_only,
            clock_offset=self._offset,
            server_time=taken_at if self._offset_known else None,
            bills_read=self._bills.complete,
            stale_after=2.0 * (self.fast_interval + self._fast_took),
            scope=self.scope,
        )

    def _queue_views(
        self, agents: list[QueueAgent], calls: dict[str, CallRow], taken_at: float
    ) -> tuple[QueueView, ...]:
        """The queues and their agents from this cycle's answers (and the last cycle's views,
        which say since when each agent is in its state)."""
        return self._builder.build(
            agents, calls, self._queue_list, self._facts, taken_at=taken_at, scope=self.scope
        )

    def _day_trend(self, upto: int) -> Trend:
        """The floor's day per 15 minutes through slot `upto`: made again only when the bills
        changed or a new quarter of an hour began (the same object otherwise)."""
        key = (self._bills.version, upto)
        if key != self._floor_trend[0]:
            trend = trend_of(self._bills.day_slots(), self._bills.slot_starts, upto)
            self._floor_trend = (key, trend)
        return self._floor_trend[1]

    def _campaign_views(
        self, tasks: Sequence[TrackedTask], live: LiveNumbers, upto: int = -1
    ) -> tuple[CampaignView, ...]:
        """Campaign figures: the finished ones (bills) recomputed only when the bills or the
        tasks changed, the calls in progress (`live`, from the agents shown) every cycle.

        A task the registry does not know to have started, whose numbers the bills show
        dialled, is shown running; the registry learns it after the cycle
        (`_report_dialling`). The views are the last cycle's objects when nothing changed."""
        if self.registry is None:
            return ()
        key = (self._bills.version, upto, tuple(tasks))
        if key != self._campaigns_key:
            finished = []
            dialling = []
            starts = self._bills.slot_starts
            for task in tasks:
                figures = self._bills.figures(self._keys_of(task))
                trend = trend_of(self._bills.day_slots(task.taskid), starts, upto)
                if figures.dialled and task.status in NOT_YET_DIALLING:
                    task = replace(task, status=CampaignStatus.RUNNING)
                    dialling.append(task.taskid)
                finished.append((task, figures, trend))
            self._finished = finished
            self._dialling = tuple(dialling)
            self._campaigns_key = key
        lives = self._lives(tasks, live)
        views = order_campaigns(
            campaign_view(task, figures, lives.get(task.taskid), trend)
            for task, figures, trend in self._finished
        )
        if views != self._campaigns:
            self._campaigns = views
        return self._campaigns

    def _lives(self, tasks: Sequence[TrackedTask], live: LiveNumbers) -> dict[str, CampaignLive]:
        """Each campaign's calls in progress (`campaigns_live`): counted again only when the
        calls in progress, the bills or the campaigns' numbers changed."""
        if not live:
            return {}
        made_of = tuple((task.taskid, self._keys_of(task)) for task in tasks)
        if made_of != self._owners[0]:
            self._owners = (made_of, number_owners(dict(made_of)))
        owners = self._owners[1]
        key = (self._bills.version, owners, live)
        known = self._live[0]
        if len(known) != 3 or known[0] != key[0] or known[1] is not owners or known[2] != live:
            self._live = (key, campaigns_live(owners, live, self._bills.dialled))
        return self._live[1]

    def _numbers_of(self, tasks: Sequence[TrackedTask]) -> frozenset[str]:
        """Every tracked campaign's numbers (`phone_key`s): those whose bills are tallied."""
        keys = tuple(self._keys_of(task) for task in tasks)
        if keys != self._followed[0]:
            self._followed = (keys, frozenset().union(*keys))
            tracked = {task.taskid for task in tasks}
            for taskid in [t for t in self._number_keys if t not in tracked]:
                del self._number_keys[taskid]
        return self._followed[1]

    def _keys_of(self, task: TrackedTask) -> frozenset[str]:
        """The task's number keys, from the cache while its numbers are the same."""
        cached = self._number_keys.get(task.taskid)
        if cached is not None and (cached[0] is task.numbers or cached[0] == task.numbers):
            return cached[1]
        keys = number_keys(task.numbers)
        self._number_keys[task.taskid] = (task.numbers, keys)
        return keys

    # ------------------------------------------------------------------ after a cycle

    def _report_dialling(self) -> None:
        """Tell the registry which tasks the bills show dialling: after the snapshot is out,
        all in one write, once a task. A failed write is logged and not tried again while the
        task stays as it is (the snapshot shows it running all the same; the next start of
        the dashboard learns it again from the bills)."""
        self._reported &= set(self._dialling)
        news = [taskid for taskid in self._dialling if taskid not in self._reported]
        if not news or self.registry is None:
            return
        self._reported.update(news)
        try:
            self.registry.note_dialling_all(news)
        except (OSError, ValueError) as exc:
            log.warning("campaign registry not updated: %s", exc)

    def _failed(self, exc: BaseException) -> None:
        """A fast cycle failed: the last good data stays, stale. The first failure of a
        streak is logged (with the traceback of an unexpected one); the next are not."""
        self._failures += 1
        message = describe_failure(exc, profile=self._profile)
        if self._failures == 1:
            self._failing_since = self._clock()
            _log_unexpected(exc)
            log.warning("polls failing: %s", message)
        self._snapshot = replace(
            self._snapshot, stale=True, error=message, read_only=self.read_only
        )


def _holds_the_window(task: TrackedTask, now: float) -> bool:
    """A campaign whose bills the window must cover: one with numbers, running or ended.

    An ended campaign keeps its place, so that its figures do not fall back to today's the
    moment it ends; once it ended more than LOOKBACK_DAYS ago its bills are out of reach
    anyway. A task the server does not know (MISSING) has no bills.
    """
    if not task.numbers or task.status is CampaignStatus.MISSING:
        return False
    if task.status is CampaignStatus.OVER:
        return task.updated_at >= now - LOOKBACK_DAYS * 86400.0
    return True


async def _all(*jobs: Awaitable[Any]) -> list[Any]:
    """Like `asyncio.gather`, but every job has finished when the first failure is raised:
    no request is left running, unwatched, after a failed cycle."""
    results = await asyncio.gather(*jobs, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


async def _side_jobs(jobs: Sequence[Coroutine[Any, Any, None]]) -> None:
    """Run the slow and bills jobs together (each handles its own failures)."""
    for result in await asyncio.gather(*jobs, return_exceptions=True):
        if isinstance(result, asyncio.CancelledError):
            raise result


async def _nothing() -> list[ExtensionRegistration]:
    return []


def _log_unexpected(exc: BaseException) -> None:
    if not isinstance(exc, ApiError):
        log.error("unexpected failure while polling", exc_info=exc)


__all__ = ["CALL_BATCH", "LiveFloor"]
