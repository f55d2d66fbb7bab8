"""The floor's core: its clock and timed events, its listeners, its extensions, and which
agents are free to take a call. The life of calls (`predictive`, `calls`), tasks (`tasks`)
and the administration services (`floor`) build on it.

Time only moves in `advance_to`, so the same seed and the same operations at the same
simulated times give the same floor and the same bills.
"""

from __future__ import annotations

import heapq
import logging
import math
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from typing import Any

from wallboard.sim.bills import NO_NUMBER, BillBook, call_uuid
from wallboard.sim.entities import (
    CAUSE_LINE_FAILURE,
    DIRECTION_WORDS,
    EXT_DISABLED,
    EXT_MISSING,
    EXT_UNREGISTERED,
    HANGUP_CALLER,
    METHOD_EXTENSION,
    MISSED,
    PAUSED,
    REJECTED,
    STAGE_WAITING,
    WAITING,
    Call,
    Extension,
    FloorError,
    Group,
    Member,
    Pool,
    Queue,
    Task,
)
from wallboard.sim.events import EVENT_KINDS, FloorEvent, FloorStats
from wallboard.sim.rows import Rows

log = logging.getLogger("wallboard.sim.floor")

SERVER_IP = "10.0.0.5"


class FloorCore(Rows, ABC):
    """State, clock, listeners and agent availability shared by every part of the floor.

    Attributes (read them, change them only through the methods):
    start, now, seed, rng (the one random.Random), companycode, companyname, downloadip,
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
        if not math.isfinite(start):
            raise ValueError(f"the floor's clock cannot start at {start}")
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
        #: True: answered customers wait until the queue's limit drops them, never hanging up
        #: on their own (tests of the queue's limits; the patience is still drawn).
        self.patient_customers = False
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

    # -- what the call life cycle provides -------------------------------------------------
    @abstractmethod
    def _settle(self) -> None:
        """Connect waiting calls and pace the dialler for every pool that changed."""

    @abstractmethod
    def _withdraw(self, call: Call, m: Member) -> None:
        """An offer to `m` ends without counting as a miss."""

    @abstractmethod
    def _requeue(self, call: Call) -> None:
        """A call whose offers all ended waits again (or is dropped)."""

    @abstractmethod
    def _end(self, call: Call, cause: int, direction: int) -> None:
        """The call is over: free whoever was on it and write its bill."""

    @abstractmethod
    def _check_task(self, task: Task) -> None:
        """A task with nothing left to dial and no call in progress is over."""

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
        pool.wrapping.pop(member.extnumber, None)
        pool.talking.pop(member.extnumber, None)  # a call in progress ends, but not for the pool
        member.ext.members = [m for m in member.ext.members if m is not member]

    def _pause(self, member: Member, busy: bool, by: str) -> None:
        member.paused = busy
        member.paused_by = by if busy else ""
        if member.state in (WAITING, MISSED, REJECTED, PAUSED):
            self._set_state(member, self._resting(member))
        self._refresh(member)

    def _resting(self, m: Member) -> int:
        if m.paused:
            return PAUSED
        return m.missed_code if self.now < m.missed_until else WAITING

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
        """The documented extension callback. As documented, `caller` is the extension and
        `callee` the customer's number, in either direction (`direction` tells which way
        the call went); on an extension-to-extension call, the calling and the called
        extension."""
        if not self._listeners["ext"]:
            return
        seed, companycode = self.seed, self.companycode

        def payload() -> dict[str, Any]:
            number = call.number or NO_NUMBER
            if call.method == METHOD_EXTENSION and call.ext is not None:
                caller, callee = call.ext.extnumber, call.destnumber
            else:
                caller, callee = ext.extnumber, call.destnumber
            return {
                "buuid": call_uuid(seed, call.seq, "b"),
                "callee": callee,
                "caller": caller,
                "companycode": companycode,
                "customuuid": number.customuuid,
                "direction": DIRECTION_WORDS[call.direction],
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
