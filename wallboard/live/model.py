"""The live model: polls the server and hands the screen one immutable snapshot per cycle.

Three cadences, each a fixed number of requests:
- fast (every `fast_interval`, 1.5 s): GetQueueSipStatus for ALL queues in one call (empty
  queuename), then GetSipCallStatus (`client.call_states`: each state apart from its ticking
  durations, the same object while only they move) for the extensions that need it: on
  the first cycle all; after that those whose queue row changed or is new, calls placed by
  hand, and a fifth of the floor in turn (`CALL_SWEEP`), so that each extension's call
  state is read at least every five cycles (one on a queue call, whose end its queue row
  tells, every twenty: `ON_CALL_SWEEP_ROUNDS`). The others keep their last reading, whose
  durations count on from when it was read (`build.durations_at`); so does one read again
  in the same call or idle spell, its durations where that count puts them (`_same_spell`),
  which the builder then passes by. The model asks the
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
import math
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import compress
from operator import add, is_, is_not
from typing import TYPE_CHECKING, Any, Protocol

from wallboard.api.call_states import CallStates
from wallboard.api.errors import ApiError
from wallboard.api.models import (
    Extension,
    ExtensionRegistration,
    Queue,
    QueueAgent,
)
from wallboard.live.bills import (
    LOOKBACK_DAYS,
    BillReader,
    BillSource,
    CallFigures,
    DayBuckets,
    number_keys,
)
from wallboard.live.build import (
    CallReading,
    CallRow,
    CampaignLive,
    ExtensionFacts,
    FloorBuilder,
    LiveNumbers,
    campaign_view,
    extension_facts,
    number_owners,
    order_campaigns,
)
from wallboard.live.campaigns import CampaignRegistry, TrackedTask
from wallboard.live.names import AgentNames
from wallboard.live.snapshot import (
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
    QueueView,
    Trend,
    TrendBucket,
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
#: An extension on a queue call is left out of the sweep's turns but one round in this many
#: (every 20 cycles): its queue row tells when the call ends (the cycle then reads it), and
#: its reading counts on meanwhile. On a busy floor most agents are on queue calls, so the
#: sweep reads mostly those who could have placed a call by hand (idle, paused, wrap-up).
ON_CALL_SWEEP_ROUNDS = 4
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
#: Bill reads (`bills_interval` apart) for which a campaign's call that ended is counted on
#: while the bills do not show it; a call whose bill never comes counts no more after.
UNBILLED_READS = 6


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
        # The slow read's rows the facts were made from: the client hands back the same
        # object for an unchanged row, so the same rows make the same facts (the same dict,
        # which the builder then passes by).
        self._facts_of: tuple[Sequence[Extension], Sequence[ExtensionRegistration]] = ((), ())
        self._extensions: list[str] = []  # the extensions of the agents shown
        # The call readings by extension (the last one of each), the queue rows they were
        # asked with (by identity), and which turn of the sweep reads which extension.
        self._readings: dict[str, CallReading] = {}
        self._rows: dict[int, QueueAgent] = {}
        self._buckets: dict[str, int] = {}
        self._sweep_turn = 0
        self._sweep_cycles = 0  # cycles swept: which round of the sweep this one is in
        # What the cycles go over instead of the floor: the rows' extension fields as last
        # shown, the extensions shown as a set, those whose reading shows a call, the rows on
        # a queue call by extension, and each turn of the sweep's extensions (for `shown`).
        self._listed: list[QueueAgent] = []  # the rows as last handed, in order
        self._shown_set: set[str] = set()
        self._on_line: set[str] = set()
        self._queue_calls: dict[str, int] = {}
        self._turns: list[tuple[list[str], set[str]]] = []
        self._places: dict[str, int] = {}
        self._turns_of: tuple[list[str] | None, int] = (None, 0)
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
        # The tasks as last read from the registry, with each one's number keys by taskid and
        # as (taskid, keys) pairs: a cycle whose tasks are the same objects looks no further.
        self._keyed: tuple[
            tuple[TrackedTask, ...],
            dict[str, frozenset[str]],
            tuple[tuple[str, frozenset[str]], ...],
        ] = ((), {}, ())
        # The tracked numbers' campaigns, for the tasks and numbers they were made of.
        self._owners: tuple[tuple[object, ...], dict[str, tuple[str, ...]]] = ((), {})
        # The campaigns' calls in progress, for the numbers and the bills' version they are of.
        self._live_counted: _LiveCount | None = None
        # Each campaign's day (its slots, their starts, the Trend) and its last view with
        # what it was made of (task, figures, trend, calls in progress).
        # (The slots as a DayBuckets and its count of calls added, through which slot, their
        # starts, and the Trend made of them.)
        self._trends: dict[str, tuple[DayBuckets | None, int, int, tuple[float, ...], Trend]] = {}
        self._made: dict[str, tuple[object, ...]] = {}
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
        campaigns = self._campaigns_of(tasks)
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

    async def _fast(self) -> tuple[list[QueueAgent], Mapping[str, CallRow], list[CallReading]]:
        """The queues' agents, then the call states of the extensions that need reading
        this cycle (`_to_ask`); the others keep their last reading (counted on from when it
        was read). Also the readings made this cycle, whose `read_at` the cycle sets.

        A cycle goes over the rows that changed, not the floor: the client hands back the
        same object for an unchanged row, so rows new and gone are told by their identity,
        and the extensions shown are listed again only when the rows' extensions changed."""
        agents = await self._client.queue_agents()
        mine = self._in_scope(agents)
        news, gone, by_id, in_place = _rows_changed(mine, self._listed, self._rows)
        shown = self._extensions  # the same extension in every place: the same list
        if not in_place:
            listed = list(dict.fromkeys(n for n in (r.extnumber.strip() for r in mine) if n))
            if listed != shown:
                shown = listed
        queue_calls = self._queue_calls
        if news or gone:
            queue_calls = dict(queue_calls)
            for row in gone:
                _count_queue_call(queue_calls, row, -1)
            for row in news:
                _count_queue_call(queue_calls, row, 1)
        asked = self._to_ask(shown, {row.extnumber.strip() for row in news}, queue_calls)
        readings = await self._call_states(asked) if asked else ()
        # Only once the call states answered: after a failed read, the rows that changed
        # are still new to the next cycle, and have their call states read then.
        self._rows, self._listed, self._queue_calls = by_id, mine, queue_calls
        last, on_line = self._readings, self._on_line
        # A reading of the same call or idle spell as the last one (the same state, its
        # durations counted on) is that last reading: the builder then passes it by.
        now = self.server_now() if self._offset_known else None
        fresh: dict[str, CallReading] = {}
        made: list[CallReading] = []  # the new readings, whose `read_at` the cycle sets
        calling: list[str] = []  # those of them whose reading shows a call
        for state, idle, talk in readings:
            extnumber = state.extnumber.strip()
            if extnumber:
                before = last.get(extnumber)
                if (
                    before is not None
                    and before.state is state
                    and now is not None
                    and _same_spell(before, idle, talk, now)
                ):
                    fresh[extnumber] = before
                else:
                    fresh[extnumber] = reading = CallReading(state, idle, talk)
                    made.append(reading)
                if state.status in CALL_ON_LINE_CODES:
                    calling.append(extnumber)
        # Each extension shown: this cycle's reading, else (not asked) its last one. A new
        # dict each cycle (in C): the last one went to the builder; it is never changed after.
        if shown is self._extensions:
            calls = dict(last)
        else:
            self._shown_set = set(shown)
            calls = {ext: last[ext] for ext in shown if ext in last}
            on_line.intersection_update(calls)
        shown_set = self._shown_set
        for extnumber in set(asked).difference(fresh):  # asked, not answered: no reading
            calls.pop(extnumber, None)
            on_line.discard(extnumber)
        if fresh.keys() <= shown_set:  # (a reading of an extension not shown is left out)
            calls.update(fresh)
            on_line.difference_update(fresh)
            on_line.update(calling)
        else:
            for extnumber, reading in fresh.items():
                if extnumber in shown_set:
                    calls[extnumber] = reading
                    on_line.discard(extnumber)
            on_line.update(ext for ext in calling if ext in shown_set)
        self._extensions = shown
        self._readings = calls
        return mine, calls, made  # (`calls` is not changed after: the next cycle copies it)

    def _to_ask(
        self, shown: list[str], wanted: set[str], queue_calls: Mapping[str, int]
    ) -> list[str]:
        """The extensions whose call state this cycle reads: every one on the first cycle
        (and every cycle with `call_sweep` 1); else those whose queue row changed or is new
        (`wanted`: the client hands back the same row object for an unchanged row), those
        never read, those whose last reading shows a call their queue rows do not (a call
        placed by hand, whose end no queue row tells: `queue_calls` counts the rows on a
        queue call by extension), and one `call_sweep`-th of the floor in turn, so that
        every extension's call state is read at least every `call_sweep` cycles (what only
        the call state says: a phone unplugged, a call placed by hand); one on a queue call,
        whose end its queue row tells, at least every ON_CALL_SWEEP_ROUNDS rounds of the
        sweep. In the order shown."""
        sweep = self.call_sweep
        last = self._readings
        if sweep <= 1 or not last:
            return list(shown)
        turn = self._sweep_turn = (self._sweep_turn + 1) % sweep
        whole_round = (self._sweep_cycles // sweep) % ON_CALL_SWEEP_ROUNDS == 0
        self._sweep_cycles += 1
        if self._turns_of[0] is not shown or self._turns_of[1] != sweep:
            buckets = self._buckets
            for extnumber in shown:
                if extnumber not in buckets:
                    buckets[extnumber] = len(buckets) % sweep
            turns: list[list[str]] = [[] for _ in range(sweep)]
            for extnumber in shown:
                bucket = buckets[extnumber]
                if bucket < sweep:  # (a bucket of a longer sweep is never read in turn)
                    turns[bucket].append(extnumber)
            self._turns = [(every, set(every)) for every in turns]
            self._places = {extnumber: place for place, extnumber in enumerate(shown)}
            self._turns_of = (shown, sweep)
        listed, listed_set = self._turns[turn]
        if queue_calls and not whole_round:  # on a queue call: its row tells the call's end
            listed = [extnumber for extnumber in listed if extnumber not in queue_calls]
            listed_set = listed_set.difference(queue_calls)
        # A reading that shows a call, of an extension no queue row shows on a queue call.
        wanted.update(self._on_line.difference(queue_calls))
        places = self._places
        # Never read (or not answered). The last readings are of the extensions shown then,
        # each once: while those are the ones shown, as many readings as places is all read.
        if shown is not self._extensions or len(last) < len(places):
            wanted.update(places.keys() - last.keys())
        extra = [ext for ext in wanted if ext in places and ext not in listed_set]
        if not extra:
            return list(listed)
        return sorted([*listed, *extra], key=places.__getitem__)

    async def _call_states(self, extnumbers: Sequence[str]) -> CallStates:
        """GetSipCallStatus in batches of CALL_BATCH: one request for most floors."""
        return await self._client.call_states(list(extnumbers), batch_size=CALL_BATCH)

    def _in_scope(self, agents: Sequence[QueueAgent]) -> list[QueueAgent]:
        if not self.scope:  # the client's list is the caller's own: not copied again
            return agents if isinstance(agents, list) else list(agents)
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
        if not (
            _same_rows(extensions, self._facts_of[0])
            and _same_rows(registrations, self._facts_of[1])
        ):
            self._facts = extension_facts(extensions, registrations)
            self._facts_of = (extensions, registrations)
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
        calls: Mapping[str, CallRow],
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
            # The builder keeps the people by state and the numbers on the line as it builds.
            campaigns=self._campaign_views(tasks, self._builder.live_numbers, upto),
            totals=self._builder.totals(
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
        self, agents: list[QueueAgent], calls: Mapping[str, CallRow], taken_at: float
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
            was = self._floor_trend[1]
            trend = _trend_again(self._bills.day_slots(), self._bills.slot_starts, upto, was)
            self._floor_trend = (key, trend)
        return self._floor_trend[1]

    def _campaign_views(
        self, tasks: Sequence[TrackedTask], live: LiveNumbers, upto: int = -1
    ) -> tuple[CampaignView, ...]:
        """Campaign figures: the finished ones (bills) recomputed only when the bills or the
        tasks changed, the calls in progress (`live`, from the agents shown) every cycle.

        A task the registry does not know to have started, whose numbers the bills show
        dialled, is shown running; the registry learns it after the cycle
        (`_report_dialling`). The views are the last cycle's objects when nothing changed:
        a campaign's view is made again only when its task, figures, trend or calls in
        progress did."""
        if self.registry is None:
            return ()
        key = (self._bills.version, upto, tuple(tasks))
        if key != self._campaigns_key:
            finished = []
            dialling = []
            starts = self._bills.slot_starts
            trends = self._trends
            for task in tasks:
                figures = self._bills.figures(self._keys_of(task))
                buckets = self._bills.day_slots(task.taskid)
                changes = -1 if buckets is None else buckets.changes
                known = trends.get(task.taskid)
                if (
                    known is not None
                    and known[0] is buckets
                    and known[1] == changes
                    and known[2] == upto
                    and known[3] is starts
                ):
                    trend = known[4]  # no call added to its day: the same Trend object
                else:
                    was = None if known is None else known[4]
                    trend = _trend_again(buckets, starts, upto, was)
                    trends[task.taskid] = (buckets, changes, upto, starts, trend)
                if figures.dialled and task.status in NOT_YET_DIALLING:
                    task = replace(task, status=CampaignStatus.RUNNING)
                    dialling.append(task.taskid)
                finished.append((task, figures, trend))
            for taskid in trends.keys() - {task.taskid for task in tasks}:
                del trends[taskid]
            self._finished = finished
            self._dialling = tuple(dialling)
            self._campaigns_key = key
        lives = self._lives(tasks, live)
        made = self._made
        fresh: dict[str, tuple[object, ...]] = {}
        listed = []
        for task, figures, trend in self._finished:
            part = lives.get(task.taskid)
            held = made.get(task.taskid)
            if (
                held is not None
                and (held[0] is task or held[0] == task)
                and held[1] is figures
                and held[2] is trend
                and (held[3] is part or held[3] == part)
            ):
                view = held[4]
                fresh[task.taskid] = held
            else:
                view = campaign_view(task, figures, part, trend)
                fresh[task.taskid] = (task, figures, trend, part, view)
            assert isinstance(view, CampaignView)
            listed.append(view)
        self._made = fresh
        views = order_campaigns(listed)
        if views != self._campaigns:  # element by element: the same objects compare at once
            self._campaigns = views
        return self._campaigns

    def _lives(self, tasks: Sequence[TrackedTask], live: LiveNumbers) -> dict[str, CampaignLive]:
        """Each campaign's calls in progress (`campaigns_live`): counted again whole when the
        campaigns' numbers changed; when the bills did (they say which numbers are dialled
        for the first time), each number on the line is looked up again, and only those
        whose first call the bills now tell are counted again; else only the numbers whose
        calls began, ended or were answered since the last cycle."""
        made_of = self._pairs_of(tasks)
        if made_of is not self._owners[0] and made_of != self._owners[0]:
            self._owners = (made_of, number_owners(dict(made_of)))
        owners = self._owners[1]
        counted = self._live_counted
        bills = self._bills
        if counted is None:
            hold = UNBILLED_READS * self.bills_interval
            counted = self._live_counted = _LiveCount(owners, bills.version, hold)
        elif counted.owners is not owners:  # its held calls, as of the bills it last saw
            counted = self._live_counted = _LiveCount(
                owners, counted.version, counted.hold, counted.held
            )
        if counted.version != bills.version:
            counted.recheck(bills.dialled, bills.answered, bills.version)
        return counted.update(live, bills.dialled, bills.answered, self._clock())

    def _numbers_of(self, tasks: Sequence[TrackedTask]) -> frozenset[str]:
        """Every tracked campaign's numbers (`phone_key`s): those whose bills are tallied."""
        keys = tuple(keys for _taskid, keys in self._pairs_of(tasks))
        if keys != self._followed[0]:
            self._followed = (keys, frozenset().union(*keys))
            tracked = {task.taskid for task in tasks}
            for taskid in [t for t in self._number_keys if t not in tracked]:
                del self._number_keys[taskid]
        return self._followed[1]

    def _campaigns_of(self, tasks: Sequence[TrackedTask]) -> dict[str, frozenset[str]]:
        """Each task's number keys by taskid: the same dict while the tasks are the same
        (not to be changed by whoever is given it)."""
        self._pairs_of(tasks)
        return self._keyed[1]

    def _pairs_of(self, tasks: Sequence[TrackedTask]) -> tuple[tuple[str, frozenset[str]], ...]:
        """(taskid, number keys) of each task, in order: made again only when the tasks are
        not the last cycle's (the registry hands the same task objects until it changes)."""
        listed = tuple(tasks)
        if listed != self._keyed[0]:  # the same objects: compared one by one at once
            pairs = tuple((task.taskid, self._keys_of(task)) for task in listed)
            self._keyed = (listed, dict(pairs), pairs)
        return self._keyed[2]

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


@dataclass(slots=True)
class _Unbilled:
    """A number's calls that ended and that the bills do not show yet."""

    first: bool  # a call to it, while the bills have none (it counts as dialled)
    answered: int  # answered calls
    billed: int  # the bills' answered calls to it when the first of these was held
    until: float  # let go then, if no bill has come


class _LiveCount:
    """`campaigns_live` kept from cycle to cycle: each campaign's counts changed only by the
    numbers whose calls began, ended or were answered since the last cycle. Made again
    when the campaigns' numbers change; when the bills change (a number's first call is the
    bills'), the numbers on the line are checked again (`recheck`), not counted again.

    A call that ends is counted on (`unbilled_*`) until the bills show it: as a number
    dialled while the bills have no call to it, as an answered call until its number's
    answered calls in the bills grow. Without it a campaign's dialled and answered went
    back for a few seconds whenever a call ended, until the next bill read. A call whose
    bill never comes is let go after `hold` seconds (the clock passed to `update`)."""

    __slots__ = (
        "_counts",
        "_due",
        "_ended",
        "_live",
        "_parts",
        "_result",
        "_seen",
        "hold",
        "owners",
        "version",
    )

    def __init__(
        self,
        owners: Mapping[str, tuple[str, ...]],
        version: int,
        hold: float,
        held: Mapping[str, _Unbilled] | None = None,
    ) -> None:
        """`held`: the calls the count made for the last campaigns held unbilled, kept for
        the numbers these campaigns hold (tracking one more campaign loses none of them)."""
        self.owners = owners
        self.version = version
        self.hold = hold
        self._seen: LiveNumbers | None = None  # the calls last counted, as handed
        self._live: dict[str, bool] = {}
        # Each number counted: talking, first, and its answered calls in the bills when it
        # came on the line (a bill that comes while it is still on the line is its own).
        self._parts: dict[str, tuple[bool, bool, int]] = {}
        # Each number whose calls ended unbilled, and the earliest let-go of them.
        self._ended: dict[str, _Unbilled] = {}
        self._due = math.inf
        # By campaign: live, talking, first, unbilled first, unbilled answered.
        self._counts: dict[str, list[int]] = {}
        self._result: dict[str, CampaignLive] = {}
        if held:
            touched: set[str] = set()
            for key, calls in held.items():
                held_by = owners.get(key)
                if held_by is not None:
                    self._ended[key] = replace(calls)
                    self._add(held_by, (0, 0, 0, int(calls.first), calls.answered), touched)
            self._due = min((calls.until for calls in self._ended.values()), default=math.inf)
            self._result_again(touched)

    @property
    def held(self) -> Mapping[str, _Unbilled]:
        """The calls that ended and are counted on until their bills, by number."""
        return self._ended

    def _add(
        self, held_by: tuple[str, ...], change: tuple[int, int, int, int, int], touched: set[str]
    ) -> None:
        """Add `change` to the counts of the campaigns that hold a number (`held_by`)."""
        counts = self._counts
        for taskid in held_by:
            count = counts.get(taskid)
            counts[taskid] = list(map(add, count, change)) if count is not None else [*change]
            touched.add(taskid)

    def recheck(
        self, dialled: Callable[[str], bool], answered: Callable[[str], int], version: int
    ) -> None:
        """The bills changed (`version`): the calls held unbilled that they now show are let
        go, and each number on the line whose first call they now say was (or was not) made
        is counted again, as if counted from the start. The numbers on the line, a thousand
        or so, are looked up once; only those that changed are counted again."""
        touched: set[str] = set()
        ended = self._ended
        for key, held in list(ended.items()):
            first = held.first and dialled(key)
            billed = min(held.answered, max(0, answered(key) - held.billed))
            if not first and not billed:
                continue
            held.first = held.first and not first
            held.answered -= billed
            held.billed += billed
            if not held.first and not held.answered:
                del ended[key]
            self._add(self.owners[key], (0, 0, 0, -first, -billed), touched)
        parts = self._parts
        for key, (talking, first, billed) in parts.items():
            now = not dialled(key)
            if now and key in ended:  # a call that ended unbilled counts the number already
                now = not ended[key].first
            if now != first:
                parts[key] = (talking, now, billed)
                self._add(self.owners[key], (0, 0, now - first, 0, 0), touched)
        self.version = version
        self._result_again(touched)

    def _result_again(self, touched: set[str]) -> None:
        """The result again for the campaigns whose counts changed (a new dict)."""
        if not touched:
            return
        counts = self._counts
        result = dict(self._result)
        for taskid in touched:
            count = counts[taskid]
            if any(count):
                result[taskid] = CampaignLive(*count)
            else:
                del counts[taskid]
                result.pop(taskid, None)
        self._result = result

    def _held(
        self, key: str, part: tuple[bool, bool, int], answered: Callable[[str], int], now: float
    ) -> tuple[int, int]:
        """A call that ended (`part`: it was answered, its number's first, the number's
        answered calls in the bills when it began): counted on until the bills show it;
        what it adds to the counts unbilled (first, answered)."""
        talking, first, billed = part
        talking = talking and answered(key) <= billed  # else its bill came while on the line
        if not talking and not first:
            return 0, 0
        held = self._ended.get(key)
        if held is None:
            held = self._ended[key] = _Unbilled(False, 0, billed, 0.0)
        newly = first and not held.first
        held.first = held.first or first
        held.answered += talking
        held.until = now + self.hold
        self._due = min(self._due, held.until)
        return int(newly), int(talking)

    def _let_go(self, now: float, dialled: Callable[[str], bool], touched: set[str]) -> None:
        """The calls held longer than `hold` (no bill came): counted no more. A number of
        them that is on the line again counts as new there if the bills have no call to it."""
        ended, parts = self._ended, self._parts
        for key in [key for key, held in ended.items() if held.until <= now]:
            gone = ended.pop(key)
            self._add(self.owners[key], (0, 0, 0, -gone.first, -gone.answered), touched)
            part = parts.get(key)
            if gone.first and part is not None and not part[1] and not dialled(key):
                parts[key] = (part[0], True, part[2])
                self._add(self.owners[key], (0, 0, 1, 0, 0), touched)
        self._due = min((held.until for held in ended.values()), default=math.inf)

    def update(
        self,
        live: LiveNumbers,
        dialled: Callable[[str], bool],
        answered: Callable[[str], int],
        now: float,
    ) -> dict[str, CampaignLive]:
        """The campaigns' calls in progress for `live` (and those ended, unbilled): the same
        dict while they are the same."""
        if live is self._seen and now < self._due:
            return self._result
        touched: set[str] = set()
        if now >= self._due:
            self._let_go(now, dialled, touched)
        parts, owners, ended = self._parts, self.owners, self._ended
        if live is not self._seen:
            for key, _ in live.items() ^ self._live.items():
                held_by = owners.get(key)
                if held_by is None:
                    continue
                before = parts.pop(key, None)
                talking = live.get(key)
                calls = answers = first = unbilled_first = unbilled_answered = 0
                if before is not None:
                    calls, answers, first = -1, -before[0], -before[1]
                if talking is not None:
                    if before is not None and before[0] == talking:
                        part = before
                    elif before is not None:
                        if before[0]:  # answered, now ringing: that call ended, another began
                            unbilled_first, unbilled_answered = self._held(
                                key, (True, False, before[2]), answered, now
                            )
                            part = (talking, before[1], answered(key))
                        else:
                            part = (talking, before[1], before[2])
                    else:
                        new = not dialled(key)
                        if new and key in ended:  # it ended unbilled: counted already
                            new = not ended[key].first
                        part = (talking, new, answered(key))
                    parts[key] = part
                    calls, answers, first = calls + 1, answers + part[0], first + part[1]
                elif before is not None:  # the call ended: counted on until its bill
                    unbilled_first, unbilled_answered = self._held(key, before, answered, now)
                if calls or answers or first or unbilled_first or unbilled_answered:
                    self._add(
                        held_by,
                        (calls, answers, first, unbilled_first, unbilled_answered),
                        touched,
                    )
            self._seen, self._live = live, dict(live)
        self._result_again(touched)
        return self._result


def _trend_again(
    buckets: DayBuckets | None, starts: Sequence[float], upto: int, was: Trend | None
) -> Trend:
    """`trend_of(buckets, starts, upto)`, made from the last Trend (`was`): its buckets kept
    where their calls did not change (most of the day's: the calls of a read fall in the
    last quarter or two), and `was` itself when none did."""
    if buckets is None or upto < 0 or not starts:
        return was if was is not None and not was.buckets else Trend()
    old = was.buckets if was is not None else ()
    kept = len(old)
    made: list[TrendBucket] = []
    fresh = 0
    for slot, (answered, dropped) in enumerate(buckets.slots(upto)):
        start = starts[slot]
        if slot < kept:
            bucket = old[slot]
            if bucket.start == start and bucket.answered == answered and bucket.dropped == dropped:
                made.append(bucket)
                continue
        made.append(TrendBucket(start, answered, dropped))
        fresh += 1
    if was is not None and not fresh and len(made) == kept:
        return was
    return Trend(tuple(made))


def _rows_changed(
    rows: list[QueueAgent], last: list[QueueAgent], known: dict[int, QueueAgent]
) -> tuple[list[QueueAgent], list[QueueAgent], dict[int, QueueAgent], bool]:
    """The rows new since the last answer and those gone (by identity: the client hands
    back the same object for an unchanged row), the rows by identity now (`known`: the
    last answer's), and whether every place holds the same extension as before.

    Most answers list the same rows in the same places, a few of them new objects: those
    places are compared side by side, and `known` moved on by them."""
    if len(rows) == len(last) and len(known) == len(last):
        places = list(compress(range(len(rows)), map(is_not, rows, last)))
        if not places:
            return [], [], known, True
        news = [row for row in (rows[p] for p in places) if id(row) not in known]
        came = {id(rows[p]) for p in places}
        gone = [row for row in (last[p] for p in places) if id(row) not in came]
        now = dict(known)
        for row in gone:
            del now[id(row)]
        for row in news:
            now[id(row)] = row
        if len(now) == len(rows):  # every row once: nothing moved out of sight
            in_place = all(rows[p].extnumber == last[p].extnumber for p in places)
            return news, gone, now, in_place
    now = dict(zip(map(id, rows), rows, strict=True))
    news = [now[row_id] for row_id in now.keys() - known.keys()]
    gone = [known[row_id] for row_id in known.keys() - now.keys()]
    return news, gone, now, False


def _same_rows(rows: Sequence[object], last: Sequence[object]) -> bool:
    """The same row objects in the same places (side by side, in C)."""
    return len(rows) == len(last) and all(map(is_, rows, last))


def _same_spell(before: CallReading, idle: int | None, talk: int | None, now: float) -> bool:
    """Whether durations read at `now` (server clock) are `before`'s counted on since it was
    read: the same idle spell or call. Each duration counts on (within a second: the
    server's are whole seconds) or stands still (the one the state does not time, like the
    last call's length while idle); at least one counts on, so that a state whose durations
    stand still is read again as the server gives it. Without durations, the same state is
    the same reading."""
    read_at = before.read_at
    if read_at is None:
        return False
    passed = now - read_at
    counted = timed = False
    for last, this in ((before.idleduration, idle), (before.callduration, talk)):
        if last is None or this is None:
            if last is not this:
                return False
            continue
        timed = True
        if abs(this - last - passed) < 1:
            counted = True
        elif this != last:
            return False
    return counted or not timed


def _count_queue_call(counts: dict[str, int], row: QueueAgent, change: int) -> None:
    """Count a row in (or out of) the rows on a queue call, by extension."""
    if (row.state if row.state is not None else row.status) in QUEUE_CALL_CODES:
        extnumber = row.extnumber.strip()
        left = counts.get(extnumber, 0) + change
        if left > 0:
            counts[extnumber] = left
        else:
            counts.pop(extnumber, None)


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
