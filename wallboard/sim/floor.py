"""The simulated call floor: a discrete-event model of a predictive outbound floor, no HTTP.

The server turns requests into the reads and mutations below and delivers the `FloorEvent`s
this model emits as callbacks. Time only moves in `advance_to`, so the same seed and the same
operations at the same simulated times give the same floor and the same bills.

Reads are cheap (no scanning beyond what they return) and mutations raise `FloorError` with
the documented business code. Every dict a read returns is already in the documented wire
format (times as `yyyy-mm-dd hh:mm:ss`, codes as ints), ready for the envelope.
"""

from __future__ import annotations

import functools
import heapq
import logging
import math
import random
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from wallboard.api.services import MAX_NUMBERS_PER_CALL
from wallboard.sim import dialer
from wallboard.sim.bills import NO_NUMBER, Bill, BillBook, BillFilter, call_uuid
from wallboard.sim.entities import (
    ANSWERED,
    ASSIGN_EXTENSION,
    ASSIGN_GROUP,
    ASSIGN_QUEUE,
    CAUSE_BUSY,
    CAUSE_CANCELLED,
    CAUSE_LINE_FAILURE,
    CAUSE_NORMAL,
    CAUSE_REFUSED,
    CAUSE_TIMEOUT,
    EXT_DISABLED,
    EXT_MISSING,
    EXT_UNREGISTERED,
    HANGUP_CALLEE,
    HANGUP_CALLER,
    METHOD_MANUAL,
    METHOD_PREDICTIVE,
    MISSED,
    NUMBER_DIALLING,
    NUMBER_DONE,
    NUMBER_PENDING,
    NUMBER_REMOVED,
    PAUSED,
    QUEUE_SETTINGS,
    RECEIVING,
    STAGE_DIALLING,
    STAGE_OVER,
    STAGE_TALKING,
    STAGE_WAITING,
    TASK_MISSING,
    TASK_NOT_STARTED,
    TASK_OVER,
    TASK_PAUSED,
    TASK_RUNNING,
    WAITING,
    Call,
    Extension,
    FloorError,
    Group,
    Member,
    Pool,
    Queue,
    Task,
    TaskNumber,
)
from wallboard.sim.numbers import parse_number
from wallboard.sim.rows import Rows

log = logging.getLogger("wallboard.sim.floor")

__all__ = [
    "Bill",
    "BillFilter",
    "Call",
    "Extension",
    "Floor",
    "FloorError",
    "FloorEvent",
    "FloorStats",
    "Group",
    "Member",
    "Pool",
    "Queue",
    "Task",
    "TaskNumber",
]

#: The kinds of `FloorEvent`.
EVENT_KINDS = ("ext", "bill", "task")


class FloorEvent:
    """Something a callback receiver is told about.

    kind "ext": an extension's call state (payload: the documented extension callback, status
    ring / answer / hangup); "bill": a finished call (payload: the documented bill callback,
    `bill` the record); "task": a task is over (payload {"taskid", "companycode", "status": 3}).

    The payload is built on first read, from values fixed when the event happened: hashing
    uuids for every event cost a listener that only counts events most of the run's time.
    """

    __slots__ = ("_build", "_payload", "bill", "kind")

    def __init__(
        self,
        kind: str,
        payload: dict[str, Any] | Callable[[], dict[str, Any]],
        bill: Bill | None = None,
    ) -> None:
        self.kind = kind
        self.bill = bill
        self._payload: dict[str, Any] | None = None if callable(payload) else payload
        self._build = payload if callable(payload) else None

    @property
    def payload(self) -> dict[str, Any]:
        payload = self._payload
        if payload is None:
            assert self._build is not None
            payload = self._payload = self._build()
            self._build = None
        return payload

    def __repr__(self) -> str:
        return f"FloorEvent({self.kind!r}, bill={self.bill!r})"


@dataclass(slots=True)
class FloorStats:
    """Running counts, for tests and benchmarks: dialled = answered + busy + no_answer +
    refused + failed for predictive calls, once they are over."""

    dialled: int = 0
    answered: int = 0  # the customer answered (whether or not an agent took the call)
    busy: int = 0
    no_answer: int = 0
    refused: int = 0
    failed: int = 0
    connected: int = 0  # answered calls an agent took
    abandoned: int = 0  # answered calls no agent took within discardtime
    offers: int = 0  # times an agent's phone was rung with a queue call
    missed_offers: int = 0  # offers the agent did not answer within ringdelay
    manual_calls: int = 0
    events: int = 0  # timed events processed


class Floor(Rows):
    """The whole floor of one company. Build one with `wallboard.sim.scenario.build_floor`.

    Attributes (read them, change them only through the methods):
    now, seed, rng (the one random.Random), companycode, companyname, downloadip,
    extensions, queues, groups, tasks, disnumbers (company caller ids -> enabled),
    bills (a sequence of Bill, ascending id), calls (calls in progress by sequence number),
    stats.
    """

    def __init__(
        self,
        *,
        seed: int,
        start: float,
        companycode: str = "9017",
        companyname: str = "Demo Outbound Ltd",
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.start = float(start)
        self.now = float(start)
        self.companycode = companycode
        self.companyname = companyname
        self.downloadip = "127.0.0.1"
        self.extensions: dict[str, Extension] = {}
        self.queues: dict[str, Queue] = {}
        self.groups: dict[str, Group] = {}
        self.tasks: dict[str, Task] = {}
        self.disnumbers: dict[str, bool] = {}
        self.calls: dict[int, Call] = {}
        self.stats = FloorStats()
        self._book = BillBook(seed)
        self._caller_ids: list[str] | None = None
        self._heap: list[tuple[float, int, Callable[[Any], None], Any]] = []
        self._event_seq = 0
        self._call_seq = 0
        self._group_ids = 0
        # listeners by event kind: a kind nobody listens to costs nothing
        self._listeners: dict[str, list[Callable[[FloorEvent], None]]] = {
            kind: [] for kind in EVENT_KINDS
        }
        self._dirty: dict[str, Pool] = {}
        self._ext_pools: dict[str, Pool] = {}

    @property
    def bills(self) -> BillBook:
        """Every bill so far, oldest first (`bills[i].id == i + 1`)."""
        return self._book

    # -- time ---------------------------------------------------------------------------
    def advance_to(self, t: float) -> None:
        """Process every timed event up to simulated time `t`; earlier `t` is a no-op."""
        if not math.isfinite(t):
            raise ValueError(f"the floor's clock cannot move to {t}")
        if t <= self.now:
            return
        heap = self._heap
        stats = self.stats
        while heap and heap[0][0] <= t:
            at, _, action, arg = heapq.heappop(heap)
            if at > self.now:
                self.now = at
            action(arg)
            stats.events += 1
            if self._dirty:
                self._settle()
        self.now = float(t)

    def advance(self, seconds: float) -> None:
        """`advance_to(now + seconds)`."""
        self.advance_to(self.now + seconds)

    def schedule(self, at: float, action: Callable[[], None]) -> None:
        """Run `action` at simulated time `at` (behaviours of the simulated people use it)."""
        if not math.isfinite(at):
            raise ValueError(f"cannot schedule an action at {at}")
        self._at(max(at, self.now), _run, action)

    def subscribe(
        self, listener: Callable[[FloorEvent], None], kinds: Collection[str] = EVENT_KINDS
    ) -> None:
        """Call `listener` synchronously for every event of `kinds`; its exceptions are
        logged, never raised into the floor (a slow or broken receiver must not change the
        floor)."""
        unknown = set(kinds) - set(EVENT_KINDS)
        if unknown:
            raise ValueError(f"unknown event kinds: {', '.join(sorted(unknown))}")
        for kind in kinds:
            self._listeners[kind].append(listener)

    def _at(self, at: float, action: Callable[[Any], None], arg: Any) -> None:
        # NaN would break the heap's order (and with it every later event); infinity would
        # keep a task open forever. Inputs are checked where they enter; this is the proof.
        assert math.isfinite(at), f"a timed event at {at}"
        self._event_seq += 1
        heapq.heappush(self._heap, (at, self._event_seq, action, arg))

    def _emit(self, event: FloorEvent) -> None:
        for listener in self._listeners[event.kind]:
            try:
                listener(event)
            except Exception:
                log.exception("a floor event listener failed; the floor carries on")

    # -- set-up (the vendor's back office; no documented service does these) -------------
    def add_extension(
        self,
        extnumber: str,
        password: str,
        *,
        enabled: bool = True,
        registered: bool = True,
        clientip: str | None = None,
        idle_since: float | None = None,
    ) -> Extension:
        """A new extension the company owns; its number must start with the company code.
        `idle_since` backdates its last call (a floor that was already at work)."""
        if not self._owned(extnumber):
            raise FloorError(1011, f"extension {extnumber} is not the company's number")
        if extnumber in self.extensions:
            raise FloorError(1002, f"extension {extnumber} already exists")
        ext = Extension(extnumber=extnumber, password=password, enabled=enabled)
        ext.idle_since = self.now if idle_since is None else min(idle_since, self.now)
        self.extensions[extnumber] = ext
        self._set_registration(ext, registered, clientip)
        return ext

    def add_caller_id(self, number: str, enabled: bool = True) -> None:
        """A caller id (disnumber) the company owns."""
        self.disnumbers[number] = enabled
        self._caller_ids = None

    def set_registered(self, extnumber: str, registered: bool, clientip: str | None = None) -> None:
        """The phone registers or drops off; a call it was on ends (line failure)."""
        ext = self._ext(extnumber)
        if not registered:
            self._drop_ext_call(ext)
        self._set_registration(ext, registered, clientip)
        self._refresh_ext(ext)
        self._settle()

    def set_enabled(self, extnumber: str, enabled: bool) -> None:
        """The company enables or disables an extension; a call it was on ends."""
        ext = self._ext(extnumber)
        if not enabled:
            self._drop_ext_call(ext)
        ext.enabled = enabled
        self._refresh_ext(ext)
        self._settle()

    def place_manual_call(self, extnumber: str, destnumber: str) -> Call:
        """An agent picks up the phone and dials (callmethod 2): off-hook, then maybe a talk.
        Raises FloorError 1011/1012/1013/1014, or 1204 when the extension is already in a call."""
        ext = self._ext(extnumber, enabled=True, registered=True)
        if ext.call is not None:
            raise FloorError(1204, f"extension {extnumber} is in a call")
        call = Call(
            seq=self._next_call_seq(),
            method=METHOD_MANUAL,
            destnumber=destnumber,
            disnumber=self._any_caller_id(),
            start=self.now,
            number=TaskNumber(phone=destnumber, time=self.now),
            ext=ext,
        )
        self.calls[call.seq] = call
        ext.call = call
        ext.manual_calls += 1
        self.stats.manual_calls += 1
        self._refresh_ext(ext)
        self._ext_event(call, ext, "ring", bleg=True)
        cause, direction, ring = dialer.customer_outcome(self.rng)
        if cause is None:
            self._at(self.now + ring, self._manual_answered, call)
        else:
            self._at(self.now + ring, self._call_failed, (call, cause, direction))
        self._settle()
        return call

    def query_bills(
        self,
        *,
        start: float,
        end: float,
        syncflag: int = 3,
        direction: int = 3,
        callmethod: int = 0,
        page: int = 1,
        per_page: int = 1000,
        extnumbers: Collection[str] = (),
        destnumber: str = "",
        userid: str = "",
        memberid: str = "",
        chengshudu: str = "",
        customuuid: str = "",
    ) -> tuple[int, list[Bill]]:
        """GetBill: (totalitems, the bills of page `page`), by dial time in [start, end].
        syncflag 1 returns unqueried bills and marks the returned ones queried."""
        wanted = BillFilter(
            start=start,
            end=end,
            syncflag=syncflag,
            direction=direction,
            callmethod=callmethod,
            extnumbers=frozenset(e for e in extnumbers if e),
            destnumber=destnumber,
            userid=userid,
            memberid=memberid,
            chengshudu=chengshudu,
            customuuid=customuuid,
        )
        return self._book.query(wanted, page=page, per_page=max(1, per_page))

    def bill_row(self, bill: Bill) -> dict[str, Any]:
        """A bill as GetBill shows it."""
        return bill.row(self.downloadip)

    def recording(self, filename: str) -> Bill | None:
        """The bill whose recordfilename is `filename`, or None."""
        stem = filename.strip().rsplit("_", 1)[-1].removesuffix(".wav")
        if not stem.isdigit():
            return None
        bill = self._book.by_id(int(stem))
        if bill is None or not bill.recordfilename or bill.recordfilename != filename.strip():
            return None
        return bill

    def task_status(self, taskid: str) -> int:
        """1024 when there is no such task, else 1025-1028 (no documented service reads it;
        for tests and the simulator's own logs)."""
        task = self.tasks.get(taskid)
        return TASK_MISSING if task is None else task.status

    # -- mutations: queues and agents ----------------------------------------------------
    def sign_in(self, queuename: str, extnumber: str, crmid: str) -> None:
        """SipSignIn. 1011 not ours, 1012 missing, 1013 disabled, 1014 not registered,
        1211 no such queue, 1218 already checked in, 1002 an empty crmid."""
        ext = self._ext(extnumber, enabled=True, registered=True)
        queue = self._queue(queuename)
        crmid = str(crmid).strip()
        if not crmid:
            raise FloorError(1002, "crmid is required")
        if extnumber in queue.pool.members:
            raise FloorError(1218, f"extension {extnumber} is already checked into {queuename}")
        self._join(queue.pool, ext, crmid, f"{crmid}_{extnumber}_{queuename}")
        self._settle()

    def sign_out(self, queuename: str, extnumber: str, crmid: str) -> None:
        """SipSignOut. 1011, 1012, 1211, 1002 not checked into that queue. A ringing offer
        goes back to the queue; a call in progress carries on to its end."""
        self._ext(extnumber)
        queue = self._queue(queuename)
        self._leave(queue.pool, self._member(queue, extnumber))
        self._settle()

    def set_seat_status(
        self, queuename: str, extnumber: str, crmid: str, busy: bool, *, by: str = "supervisor"
    ) -> None:
        """SetSeatsStatus: busy (settype 1, state 1217 once any call ends) or idle (settype 2).
        1011, 1012, 1013, 1211, 1002 not checked into that queue."""
        self._ext(extnumber, enabled=True)
        queue = self._queue(queuename)
        self._pause(self._member(queue, extnumber), busy, by)
        self._settle()

    def add_queue(self, name: str, autocall: bool, remark: str, strategy: int = 1) -> Queue:
        """AddQueue with the documented defaults. 1210 when the name is taken, 1002 for an
        empty name or a strategy outside 1-8."""
        name = name.strip()
        if not name:
            raise FloorError(1002, "queuename is required")
        if name in self.queues:
            raise FloorError(1210, f"queue {name} already exists")
        _check_setting("strategy", strategy)
        pool = Pool(key=f"queue:{name}", queue=name, strategy=strategy, wrapuptime=DEFAULT_WRAPUP)
        queue = Queue(name=name, remark=remark, autocall=autocall, pool=pool)
        self.queues[name] = queue
        return queue

    def edit_queue(self, name: str, remark: str, **settings: int | None) -> None:
        """EditQueue: strategy, announcefreq, ringdelay, maxwaittime, withnoagenttime,
        noagentrejoiningtime, discardtime (and the simulator's wrapuptime); None leaves a
        setting as it is. The dialler honours strategy, ringdelay, discardtime, maxwaittime,
        withnoagenttime and wrapuptime; the others are stored and shown. 1211 missing, 1002
        for a value out of range or an unknown setting."""
        queue = self._queue(name)
        for key, value in settings.items():
            if value is not None:
                _check_setting(key, value)
        queue.remark = remark
        pool = queue.pool
        for key, value in settings.items():
            if value is None:
                continue
            if key in _POOL_SETTINGS:
                setattr(pool, key, int(value))
            else:
                setattr(queue, key, int(value))
        self._dirty[pool.key] = pool
        self._settle()

    def del_queue(self, name: str) -> None:
        """DelQueue. 1211 missing; 1210 while a task that is not over dials for it or its
        calls are still in progress. Checked-in agents are signed out."""
        queue = self._queue(name)
        pool = queue.pool
        if pool.in_flight or any(
            t.pool is pool and t.status != TASK_OVER for t in self.tasks.values()
        ):
            raise FloorError(1210, f"queue {name} is in use by a predictive task")
        for m in list(pool.members.values()):
            self._leave(pool, m)
        del self.queues[name]

    # -- mutations: groups ---------------------------------------------------------------
    def add_group(self, name: str, status: int = 1) -> Group:
        """AddExtgroup (status 1 enabled, 0 disabled). 1002 when the name is taken or empty."""
        name = name.strip()
        if not name:
            raise FloorError(1002, "group name is required")
        if name in self.groups:
            raise FloorError(1002, f"group {name} already exists")
        if status not in (0, 1):
            raise FloorError(1002, "group status must be 1 (enabled) or 0 (disabled)")
        self._group_ids += 1
        group = Group(id=self._group_ids, name=name, status=status, pool=Pool(key=f"group:{name}"))
        self.groups[name] = group
        return group

    def add_group_ext(self, name: str, extnumber: str) -> None:
        """AddExtnumber. 1002 no such group or already in it; 1011, 1012."""
        group = self._group(name)
        ext = self._ext(extnumber)
        if extnumber in group.members:
            raise FloorError(1002, f"extension {extnumber} is already in group {name}")
        self._join(group.pool, ext, "", extnumber)
        self._settle()

    def del_group_ext(self, name: str, extnumber: str) -> None:
        """DelExtnumber. 1002 no such group or not in it; 1011, 1012."""
        group = self._group(name)
        self._ext(extnumber)
        member = group.members.get(extnumber)
        if member is None:
            raise FloorError(1002, f"extension {extnumber} is not in group {name}")
        self._leave(group.pool, member)
        self._settle()

    def edit_group_ext(self, name: str, extnumber: str, state: str) -> None:
        """EditExtnumber: state "idle" or "busy". 1002 no such group / not in it / bad state."""
        group = self._group(name)
        self._ext(extnumber)
        member = group.members.get(extnumber)
        if member is None:
            raise FloorError(1002, f"extension {extnumber} is not in group {name}")
        if state not in ("idle", "busy"):
            raise FloorError(1002, "state must be idle or busy")
        self._pause(member, state == "busy", "supervisor")
        self._settle()

    # -- mutations: predictive tasks -----------------------------------------------------
    def create_task(
        self,
        assigntype: int,
        assignagent: str,
        numbers: Sequence[Any],
        scale: tuple[int, int],
        disnumbers: Sequence[str],
        name: str = "",
    ) -> tuple[str, list[Any]]:
        """TaskCreat: (taskid, invaliddata). The task starts not started (1025); TaskSet 1
        runs it. numbers are the documented dicts {"phone", "time", "userid", "memberid",
        "chengshudu", "customuuid"}; an entry that is not one, or whose phone is not 3-20
        digits (a leading + allowed) or repeats one of the task not yet done, or whose time
        is not unix seconds, comes back in invaliddata as given and is never dialled.
        Errors: 1002 assigntype not 1-3, bad scale, a disabled group or more than 10,000
        numbers; 1011/1012/1013 for an extension; 1211 for a queue (1210 one without
        autocall); 1002 for a missing group; 1021 a caller id the company does not own,
        1019 a disabled one."""
        a, b = scale
        if not (1 <= a <= 100 and 1 <= b <= 100):
            raise FloorError(1002, "taskscale must be a:b with a and b from 1 to 100")
        target = self._task_target(assigntype, assignagent.strip())
        callers = [d.strip() for d in disnumbers if d and d.strip()]
        for number in callers:
            if number not in self.disnumbers:
                raise FloorError(1021, f"caller id {number} is not the company's number")
            if not self.disnumbers[number]:
                raise FloorError(1019, f"caller id {number} is disabled")
        _check_count(numbers)
        # Every check is done: only now may the floor change (a refusal leaves it alone).
        pool = target if isinstance(target, Pool) else self._extension_pool(target)
        task = Task(
            taskid=self._new_taskid(),
            name=name.strip(),
            assigntype=assigntype,
            assignagent=assignagent.strip(),
            scale=(a, b),
            disnumbers=callers,
            pool=pool,
            created=self.now,
        )
        invalid = self._take_numbers(task, numbers)
        self.tasks[task.taskid] = task
        return task.taskid, invalid

    def add_numbers(self, taskid: str, numbers: Sequence[Any]) -> tuple[int, list[Any]]:
        """TaskAdd: (how many were added, invaliddata). 1024 missing, 1028 over, 1002 more
        than 10,000 numbers."""
        task = self._task(taskid)
        _check_count(numbers)
        before = task.pending
        invalid = self._take_numbers(task, numbers)
        if task.status == TASK_RUNNING and task.pool is not None:
            self._dirty[task.pool.key] = task.pool
        self._settle()
        return task.pending - before, invalid

    def del_numbers(self, taskid: str, phones: Sequence[str]) -> None:
        """taskDelPhone: numbers not yet dialled are never dialled. 1024, 1028."""
        task = self._task(taskid)
        for phone in phones:
            number = task.numbers.get(str(phone).strip())
            if number is not None and number.state == NUMBER_PENDING:
                number.state = NUMBER_REMOVED
                task.pending -= 1
                del task.numbers[number.phone]
        self._check_task(task)
        self._settle()

    def set_task(self, taskid: str, status: int) -> None:
        """TaskSet: 1 open (1025/1027 -> 1026), 2 pause (1026 -> 1027; 1025 when not
        started), 3 end (-> 1028, the task callback is sent; calls in progress finish).
        1024 missing, 1028 already over, 1002 status not 1-3."""
        if status not in (1, 2, 3):
            raise FloorError(1002, "taskstatus must be 1 (open), 2 (pause) or 3 (end)")
        task = self._task(taskid)
        pool = task.pool
        assert pool is not None
        if status == 1:
            if task.status != TASK_RUNNING:
                task.status = TASK_RUNNING
                pool.tasks.append(task)
                self._dirty[pool.key] = pool
            self._check_task(task)
        elif status == 2:
            if task.status == TASK_NOT_STARTED:
                raise FloorError(1025, f"task {taskid} has not started")
            if task.status == TASK_RUNNING:
                task.status = TASK_PAUSED
                pool.tasks.remove(task)
        else:
            self._task_over(task)
        self._settle()

    # -- the life of a predictive call ---------------------------------------------------
    def _settle(self) -> None:
        """Connect waiting calls to free agents and pace the dialler, pool by pool, for every
        pool whose free agents, calls or tasks changed."""
        dirty = self._dirty
        while dirty:
            key = next(iter(dirty))
            pool = dirty.pop(key)
            if pool.waiting and pool.idle:
                self._connect(pool)
            if pool.tasks and pool.idle:
                self._pace(pool)

    def _pace(self, pool: Pool) -> None:
        """Keep b calls dialling for every a idle agents. Tasks on one pool share its budget
        (the boldest scale sets it) and take turns for their numbers."""
        tasks = pool.tasks
        idle = len(pool.idle)
        count = len(tasks)
        if count == 1:
            a, b = tasks[0].scale
            need = idle * b // a - pool.in_dial
        else:
            need = max(idle * t.scale[1] // t.scale[0] for t in tasks) - pool.in_dial
        misses = 0
        while need > 0 and misses < count:
            task = tasks[pool.rr_task % count]
            pool.rr_task += 1
            number = self._next_number(task)
            if number is None:
                misses += 1
                continue
            misses = 0
            self._dial(task, pool, number)
            need -= 1

    def _next_number(self, task: Task) -> TaskNumber | None:
        scheduled = task.scheduled
        now = self.now
        while scheduled and scheduled[0][0] <= now:
            task.ready.append(heapq.heappop(scheduled)[2])
        ready = task.ready
        while ready:
            number = ready.popleft()
            if number.state == NUMBER_PENDING:
                return number
        while scheduled and scheduled[0][2].state != NUMBER_PENDING:
            heapq.heappop(scheduled)
        if scheduled and task.wake_at != scheduled[0][0]:
            task.wake_at = scheduled[0][0]
            self._at(task.wake_at, self._wake_task, task)
        return None

    def _wake_task(self, task: Task) -> None:
        if task.wake_at is not None and task.wake_at <= self.now:
            task.wake_at = None
        if task.status == TASK_RUNNING and task.pool is not None:
            self._dirty[task.pool.key] = task.pool

    def _dial(self, task: Task, pool: Pool, number: TaskNumber) -> None:
        number.state = NUMBER_DIALLING
        task.pending -= 1
        task.dialled += 1
        task.in_dial += 1
        task.active += 1
        pool.in_dial += 1
        pool.in_flight += 1
        self.stats.dialled += 1
        rng = self.rng
        callers = task.disnumbers
        call = Call(
            seq=self._next_call_seq(),
            method=METHOD_PREDICTIVE,
            destnumber=number.phone,
            disnumber=callers[int(rng.random() * len(callers))]
            if callers
            else self._any_caller_id(),
            start=self.now,
            task=task,
            number=number,
            pool=pool,
        )
        self.calls[call.seq] = call
        cause, direction, ring = dialer.customer_outcome(rng)
        if cause is None:
            self._at(self.now + ring, self._customer_answered, call)
        else:
            self._at(self.now + ring, self._call_failed, (call, cause, direction))

    def _call_failed(self, args: tuple[Call, int, int]) -> None:
        call, cause, direction = args
        if call.stage != STAGE_DIALLING:
            return
        if call.method == METHOD_PREDICTIVE:
            stats = self.stats
            if cause == CAUSE_BUSY:
                stats.busy += 1
            elif cause == CAUSE_TIMEOUT:
                stats.no_answer += 1
            elif cause == CAUSE_REFUSED:
                stats.refused += 1
            else:
                stats.failed += 1
        self._end(call, cause, direction)

    def _customer_answered(self, call: Call) -> None:
        if call.stage != STAGE_DIALLING:
            return
        pool = call.pool
        assert pool is not None
        call.stage = STAGE_WAITING
        call.answer_at = self.now
        self.stats.answered += 1
        pool.waiting.append(call)
        call.deadline = self.now + self._patience(pool)
        self._at(call.deadline, self._discard, call)
        self._dirty[pool.key] = pool

    def _patience(self, pool: Pool) -> float:
        """How long an answered customer may wait for an agent: discardtime, or less when
        maxwaittime is set, or withnoagenttime when nobody in the pool can take calls."""
        wait = float(max(1, pool.discardtime))
        if pool.maxwaittime > 0:
            wait = min(wait, pool.maxwaittime)
        if pool.withnoagenttime > 0 and not any(
            m.ext.enabled and m.ext.registered and not m.paused for m in pool.members.values()
        ):
            wait = min(wait, pool.withnoagenttime)
        return wait

    def _connect(self, pool: Pool) -> None:
        rng = self.rng
        while pool.waiting and pool.idle:
            call = pool.waiting.popleft()
            self._offer(call, pool, dialer.choose_agents(pool, rng))

    def _offer(self, call: Call, pool: Pool, members: list[Member]) -> None:
        now = self.now
        rng = self.rng
        ringdelay = max(1, pool.ringdelay)
        call.offers = list(members)
        call.offered_at = now
        for m in members:
            ext = m.ext
            ext.call = call
            m.lastassigntime = now
            self._set_state(m, RECEIVING)
            self._refresh_ext(ext)
            self.stats.offers += 1
            self._ext_event(call, ext, "ring")
            delay = dialer.agent_answer_delay(rng)
            if delay is not None and delay < ringdelay:
                self._at(now + delay, self._agent_answered, (call, m))
            else:
                self._at(now + ringdelay, self._agent_missed, (call, m))

    def _agent_answered(self, args: tuple[Call, Member]) -> None:
        call, m = args
        if call.stage != STAGE_WAITING or not _holds(call.offers, m):
            return
        for other in call.offers:
            if other is not m:
                self._withdraw(call, other)
        call.offers = []
        now = self.now
        call.stage = STAGE_TALKING
        call.agent = m
        call.ext = m.ext
        call.connected_at = now
        self._left_dialling(call)
        m.callsanswered += 1
        m.lastanswertime = now
        self._set_state(m, ANSWERED)
        self.stats.connected += 1
        self._ext_event(call, m.ext, "answer")
        seconds, customer_hangs_up = dialer.talk(self.rng)
        direction = HANGUP_CALLEE if customer_hangs_up else HANGUP_CALLER
        self._at(now + seconds, self._hung_up, (call, direction))

    def _agent_missed(self, args: tuple[Call, Member]) -> None:
        call, m = args
        if call.stage != STAGE_WAITING or not _holds(call.offers, m):
            return
        call.offers.remove(m)
        m.noanswercount += 1
        self.stats.missed_offers += 1
        m.missed_until = self.now + dialer.MISSED_SHOWN_SECONDS
        self._set_state(m, MISSED)
        self._at(m.missed_until, self._missed_over, m)
        ext = m.ext
        ext.call = None
        self._ext_event(call, ext, "hangup")
        self._refresh_ext(ext)
        self._requeue(call)

    def _missed_over(self, m: Member) -> None:
        if m.state == MISSED and self.now >= m.missed_until:
            self._set_state(m, self._resting(m))
        self._refresh(m)

    def _withdraw(self, call: Call, m: Member) -> None:
        """The offer to `m` ends without counting as a miss (someone else answered, the
        customer was dropped, the agent signed out or lost the phone)."""
        ext = m.ext
        if ext.call is call:
            ext.call = None
            self._ext_event(call, ext, "hangup")
        if m.state == RECEIVING:
            self._set_state(m, self._resting(m))
        self._refresh_ext(ext)

    def _requeue(self, call: Call) -> None:
        """A call whose offers all ended goes back to the head of its pool's queue, or is
        dropped when it is past its deadline and no agent is free."""
        pool = call.pool
        if call.stage != STAGE_WAITING or call.offers or pool is None:
            return
        if self.now >= call.deadline and not pool.idle:
            self._drop(call)
            return
        pool.waiting.appendleft(call)
        self._dirty[pool.key] = pool

    def _discard(self, call: Call) -> None:
        """discardtime is up: a customer still waiting for a free agent is dropped; one whose
        call is ringing an agent waits for that offer to end (see `_requeue`)."""
        if call.stage == STAGE_WAITING and not call.offers:
            self._drop(call)

    def _drop(self, call: Call) -> None:
        self.stats.abandoned += 1
        self._end(call, CAUSE_CANCELLED, HANGUP_CALLER)

    def _hung_up(self, args: tuple[Call, int]) -> None:
        call, direction = args
        if call.stage == STAGE_TALKING:
            self._end(call, CAUSE_NORMAL, direction)

    def _manual_answered(self, call: Call) -> None:
        if call.stage != STAGE_DIALLING:
            return
        now = self.now
        call.stage = STAGE_TALKING
        call.answer_at = now
        call.connected_at = now
        assert call.ext is not None
        self._ext_event(call, call.ext, "answer", bleg=True)
        seconds, customer_hangs_up = dialer.talk(self.rng)
        direction = HANGUP_CALLEE if customer_hangs_up else HANGUP_CALLER
        self._at(now + seconds, self._hung_up, (call, direction))

    def _left_dialling(self, call: Call) -> None:
        task, pool = call.task, call.pool
        if task is not None:
            task.in_dial -= 1
        if pool is not None:
            pool.in_dial -= 1
            self._dirty[pool.key] = pool

    def _end(self, call: Call, cause: int, direction: int) -> None:
        """The call is over: free whoever was on it, write its bill, settle its task."""
        now = self.now
        stage = call.stage
        call.stage = STAGE_OVER
        self.calls.pop(call.seq, None)
        pool = call.pool
        if stage in (STAGE_DIALLING, STAGE_WAITING) and call.method == METHOD_PREDICTIVE:
            self._left_dialling(call)
        if stage == STAGE_WAITING:
            for m in call.offers:
                self._withdraw(call, m)
            call.offers = []
            if pool is not None and call in pool.waiting:
                pool.waiting.remove(call)
        ext = call.ext
        bleg = call.method == METHOD_MANUAL
        if ext is not None and ext.call is call:
            ext.call = None
            ext.last_call_end = now
            ext.idle_since = now
            if call.connected_at is not None:
                ext.talk_seconds += now - call.connected_at
            if pool is not None and pool.wrapuptime > 0:
                ext.ready_at = now + pool.wrapuptime
                self._at(ext.ready_at, self._ext_ready, ext)
            agent = call.agent
            if agent is not None and agent.state == ANSWERED:
                self._set_state(agent, self._resting(agent))
            self._ext_event(call, ext, "hangup", bleg=bleg)
            self._refresh_ext(ext)
        bill_id = self._bill(call, cause, direction)
        task = call.task
        if task is not None:
            assert call.number is not None and pool is not None
            number = call.number
            number.state = NUMBER_DONE
            if task.numbers.get(number.phone) is number:
                del task.numbers[number.phone]  # done numbers live on in their bills only
            task.active -= 1
            pool.in_flight -= 1
        if self._listeners["bill"]:
            bill = self._book[bill_id - 1]
            build = functools.partial(bill.callback, self.companycode, self.downloadip)
            self._emit(FloorEvent("bill", build, bill=bill))
        if task is not None:
            self._check_task(task)

    def _ext_ready(self, ext: Extension) -> None:
        self._refresh_ext(ext)

    def _bill(self, call: Call, cause: int, direction: int) -> int:
        start = int(call.start)
        agent = call.agent
        if call.method == METHOD_MANUAL:
            assert call.ext is not None
            extnumber, crmid = call.ext.extnumber, "0"
        elif agent is not None:
            extnumber, crmid = agent.extnumber, agent.crmid or "0"
        else:
            extnumber, crmid = "", "0"
        return self._book.append(
            seq=call.seq,
            start=start,
            duration=int(self.now) - start,
            answer_after=None if call.answer_at is None else int(call.answer_at) - start,
            extnumber=extnumber,
            displaynumber=call.disnumber,
            callmethod=call.method,
            hangupdirection=direction,
            hangupcause=cause,
            crmid=crmid,
            taskid=call.task.taskid if call.task is not None else "",
            number=call.number if call.number is not None else NO_NUMBER,
        )

    # -- tasks -----------------------------------------------------------------------------
    def _check_task(self, task: Task) -> None:
        if task.status == TASK_RUNNING and task.pending == 0 and task.active == 0:
            self._task_over(task)

    def _task_over(self, task: Task) -> None:
        if task.status == TASK_RUNNING and task.pool is not None:
            task.pool.tasks.remove(task)
        task.status = TASK_OVER
        task.finished = self.now
        if not task.over_sent:
            task.over_sent = True
            if self._listeners["task"]:
                payload = {"taskid": task.taskid, "companycode": self.companycode, "status": 3}
                self._emit(FloorEvent("task", payload))

    def _task(self, taskid: str) -> Task:
        task = self.tasks.get(str(taskid).strip())
        if task is None:
            raise FloorError(TASK_MISSING, f"task {taskid} does not exist")
        if task.status == TASK_OVER:
            raise FloorError(TASK_OVER, f"task {taskid} is over")
        return task

    def _task_target(self, assigntype: int, assignagent: str) -> Pool | Extension:
        """The pool a new task would dial for (an extension's own pool is made only once the
        task is accepted), or the FloorError that refuses it."""
        if assigntype == ASSIGN_EXTENSION:
            ext = self._ext(assignagent, enabled=True)
            return self._ext_pools.get(ext.extnumber) or ext
        if assigntype == ASSIGN_QUEUE:
            queue = self._queue(assignagent)
            if not queue.autocall:
                raise FloorError(1210, f"queue {assignagent} does not take predictive calls")
            return queue.pool
        if assigntype == ASSIGN_GROUP:
            group = self._group(assignagent)
            if group.status != 1:
                raise FloorError(1002, f"group {assignagent} is disabled")
            return group.pool
        raise FloorError(1002, "assigntype must be 1 (extension), 2 (queue) or 3 (group)")

    def _extension_pool(self, ext: Extension) -> Pool:
        pool = Pool(key=f"ext:{ext.extnumber}")
        self._ext_pools[ext.extnumber] = pool
        self._join(pool, ext, "", ext.extnumber)
        return pool

    def _take_numbers(self, task: Task, numbers: Sequence[Any]) -> list[Any]:
        invalid: list[Any] = []
        now = self.now
        for item in numbers:
            number = parse_number(item, now)
            if number is None or number.phone in task.numbers:
                invalid.append(item)
                continue
            task.numbers[number.phone] = number
            task.pending += 1
            if number.time <= now:
                task.ready.append(number)
            else:
                self._event_seq += 1
                heapq.heappush(task.scheduled, (number.time, self._event_seq, number))
        return invalid

    def _new_taskid(self) -> str:
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(self.now))
        while True:
            taskid = f"{stamp}{int(self.rng.random() * 1_000_000):06d}"
            if taskid not in self.tasks:
                return taskid

    # -- agents and their availability -----------------------------------------------------
    def _join(self, pool: Pool, ext: Extension, crmid: str, seatsname: str) -> Member:
        member = Member(
            extnumber=ext.extnumber,
            crmid=crmid,
            seatsname=seatsname,
            pool=pool,
            ext=ext,
            seatschangetime=self.now,
            joined=pool.next_join,
            priority=pool.next_join,
        )
        pool.next_join += 1
        pool.members[ext.extnumber] = member
        ext.members.append(member)
        self._refresh(member)
        return member

    def _leave(self, pool: Pool, member: Member) -> None:
        call = member.ext.call
        if call is not None and _holds(call.offers, member):
            call.offers.remove(member)
            self._withdraw(call, member)
            self._requeue(call)
        del pool.members[member.extnumber]
        pool.idle.pop(member.extnumber, None)
        member.ext.members = [m for m in member.ext.members if m is not member]

    def _pause(self, member: Member, busy: bool, by: str) -> None:
        member.paused = busy
        member.paused_by = by if busy else ""
        if member.state in (WAITING, MISSED, PAUSED):
            self._set_state(member, self._resting(member))
        self._refresh(member)

    def _resting(self, m: Member) -> int:
        if m.paused:
            return PAUSED
        return MISSED if self.now < m.missed_until else WAITING

    def _set_state(self, m: Member, code: int) -> None:
        if m.state != code:
            m.state = code
            m.seatschangetime = self.now

    def _refresh(self, m: Member) -> None:
        """Put `m` into its pool's free set, or take it out, from the facts."""
        ext = m.ext
        pool = m.pool
        now = self.now
        free = (
            ext.call is None
            and ext.enabled
            and ext.registered
            and not m.paused
            and now >= ext.ready_at
            and now >= m.missed_until
            and pool.members.get(m.extnumber) is m
        )
        if free:
            if m.extnumber not in pool.idle:
                pool.idle[m.extnumber] = m
                self._dirty[pool.key] = pool
        else:
            pool.idle.pop(m.extnumber, None)

    def _refresh_ext(self, ext: Extension) -> None:
        for m in ext.members:
            self._refresh(m)

    def _set_registration(self, ext: Extension, registered: bool, clientip: str | None) -> None:
        ext.registered = registered
        if registered:
            ext.clientip = clientip or ext.clientip or "192.168.1.100"
            ext.serverip = SERVER_IP
        else:
            ext.clientip = None
            ext.serverip = None

    def _drop_ext_call(self, ext: Extension) -> None:
        """The extension can no longer be on a call: an offer is withdrawn, a call drops."""
        call = ext.call
        if call is None:
            return
        if call.stage == STAGE_WAITING:
            for m in [m for m in call.offers if m.ext is ext]:
                call.offers.remove(m)
                self._withdraw(call, m)
            self._requeue(call)
        else:
            self._end(call, CAUSE_LINE_FAILURE, HANGUP_CALLER)

    # -- lookups -------------------------------------------------------------------------
    def _owned(self, extnumber: str) -> bool:
        return extnumber.isdigit() and extnumber.startswith(self.companycode)

    def _ext(self, extnumber: str, *, enabled: bool = False, registered: bool = False) -> Extension:
        extnumber = str(extnumber).strip()
        if not self._owned(extnumber):
            raise FloorError(1011, f"extension {extnumber} is not owned by the company")
        ext = self.extensions.get(extnumber)
        if ext is None:
            raise FloorError(EXT_MISSING, f"extension {extnumber} does not exist")
        if enabled and not ext.enabled:
            raise FloorError(EXT_DISABLED, f"extension {extnumber} is disabled")
        if registered and not ext.registered:
            raise FloorError(EXT_UNREGISTERED, f"extension {extnumber} is not registered")
        return ext

    def _member(self, queue: Queue, extnumber: str) -> Member:
        member = queue.pool.members.get(extnumber)
        if member is None:
            raise FloorError(1002, f"extension {extnumber} is not checked into {queue.name}")
        return member

    def _next_call_seq(self) -> int:
        self._call_seq += 1
        return self._call_seq

    def _any_caller_id(self) -> str:
        """A random enabled caller id of the company (empty disnumber means random)."""
        enabled = self._caller_ids
        if enabled is None:
            enabled = self._caller_ids = [n for n, on in self.disnumbers.items() if on]
        if not enabled:
            return self.companycode + "0000"
        return enabled[int(self.rng.random() * len(enabled))]

    def _ext_event(self, call: Call, ext: Extension, status: str, *, bleg: bool = False) -> None:
        if not self._listeners["ext"]:
            return
        seed, companycode = self.seed, self.companycode

        def payload() -> dict[str, Any]:
            number = call.number or NO_NUMBER
            return {
                "buuid": call_uuid(seed, call.seq, "b"),
                "callee": call.destnumber,
                "caller": ext.extnumber,
                "companycode": companycode,
                "customuuid": number.customuuid,
                "direction": "callout",
                "disnumber": call.disnumber,
                "extnumber": ext.extnumber,
                "isbleg": "true" if bleg else "false",
                "method": str(call.method),
                "starttime": str(int(call.start)),
                "status": status,
                "type": "call",
                "uuid": call_uuid(seed, call.seq),
            }

        self._emit(FloorEvent("ext", payload))


def _run(action: Callable[[], None]) -> None:
    action()


def _holds(members: list[Member], m: Member) -> bool:
    return any(x is m for x in members)


def _check_setting(key: str, value: Any) -> None:
    bounds = QUEUE_SETTINGS.get(key)
    if bounds is None:
        raise FloorError(1002, f"{key} is not a queue setting")
    if isinstance(value, bool) or not isinstance(value, int):
        raise FloorError(1002, f"{key} must be a whole number")
    low, high = bounds
    if not low <= value <= high:
        raise FloorError(1002, f"{key} must be from {low} to {high}")


def _check_count(numbers: Sequence[Any]) -> None:
    if len(numbers) > MAX_NUMBERS_PER_CALL:
        raise FloorError(1002, f"at most {MAX_NUMBERS_PER_CALL} numbers per call")


_POOL_SETTINGS = frozenset(
    {"strategy", "ringdelay", "discardtime", "wrapuptime", "maxwaittime", "withnoagenttime"}
)
DEFAULT_WRAPUP = 10
SERVER_IP = "10.0.0.5"
