"""The simulated call floor: a discrete-event model of a predictive outbound floor, no HTTP.

The server turns requests into the reads and mutations of `Floor` and delivers the
`FloorEvent`s it emits as callbacks. The floor is built in layers, one job each:
`core` (clock, events, extensions, who is free), `predictive` (the life of a queue call:
pacing, dials, waits, offers, the end and the bill), `calls` (the other call methods and
incoming calls), `tasks` (predictive tasks), `rows` (the documented reads), and this module:
the administration of queues, agents and groups, and the bill reads.

Reads are cheap (no scanning beyond what they return) and mutations raise `FloorError` with
the documented business code. Every dict a read returns is already in the documented wire
format (times as `yyyy-mm-dd hh:mm:ss`, codes as ints), ready for the envelope.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from wallboard.api.services import MAX_NUMBERS_PER_CALL
from wallboard.sim.bills import Bill, BillFilter, call_uuid
from wallboard.sim.calls import OtherCalls
from wallboard.sim.core import SERVER_IP
from wallboard.sim.entities import (
    QUEUE_SETTINGS,
    TASK_OVER,
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
from wallboard.sim.events import EVENT_KINDS, FloorEvent, FloorStats
from wallboard.sim.tasks import TaskDesk

__all__ = [
    "EVENT_KINDS",
    "MAX_NUMBERS_PER_CALL",
    "SERVER_IP",
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
    "call_uuid",
]


class Floor(TaskDesk, OtherCalls):
    """The whole floor of one company. Build one with `wallboard.sim.scenario.build_floor`.

    Its attributes are `FloorCore`'s (read them, change them only through the methods).
    """

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
        if any(c.pool is pool for c in self.calls.values()) or any(
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


def _check_setting(key: str, value: Any) -> None:
    bounds = QUEUE_SETTINGS.get(key)
    if bounds is None:
        raise FloorError(1002, f"{key} is not a queue setting")
    if isinstance(value, bool) or not isinstance(value, int):
        raise FloorError(1002, f"{key} must be a whole number")
    low, high = bounds
    if not low <= value <= high:
        raise FloorError(1002, f"{key} must be from {low} to {high}")


_POOL_SETTINGS = frozenset(
    {"strategy", "ringdelay", "discardtime", "wrapuptime", "maxwaittime", "withnoagenttime"}
)
DEFAULT_WRAPUP = 10
