"""The documented read rows of a floor: what the Get* services answer, in wire format.

Reads must stay cheap (a full GetQueueSipStatus over 2,000 agents well under 30 ms with the
HTTP around it), so each row is built straight from the live objects with no scanning
beyond the rows returned; times come from a cache of formatted seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wallboard.sim.entities import (
    ANSWERED,
    DIRECTION_WORDS,
    EXT_DISABLED,
    EXT_ENABLED,
    EXT_IDLE,
    EXT_IN_CALL,
    EXT_MISSING,
    EXT_NOT_IN_CALL,
    EXT_OFF_HOOK,
    EXT_REGISTERED,
    EXT_REJECTED,
    EXT_RINGING,
    EXT_UNREGISTERED,
    RECEIVING,
    STAGE_DIALLING,
    STAGE_TALKING,
    WAITING,
    Extension,
    FloorError,
    Group,
    Member,
    Queue,
)
from wallboard.sim.wire import format_time

#: GetQueueSipStatus's `state` filter: 0 any, 1 idle, 2 waiting, 3 receiving, 4 talking.
#: How long GetSipCallStatus shows a finished call's extension as 1015 (not in a call).
TEARDOWN_SECONDS = 1.0

_STATE_FILTER: dict[int, int | None] = {0: None, 1: WAITING, 2: WAITING, 3: RECEIVING, 4: ANSWERED}


class Rows:
    """The read half of `Floor` (a mixin: the floor supplies the attributes below), with
    the lookups that reads and mutations share."""

    now: float
    extensions: dict[str, Extension]
    queues: dict[str, Queue]
    groups: dict[str, Group]

    def _queue(self, name: str) -> Queue:
        queue = self.queues.get(str(name).strip())
        if queue is None:
            raise FloorError(1211, f"queue {name} does not exist")
        return queue

    def _group(self, name: str) -> Group:
        group = self.groups.get(str(name).strip())
        if group is None:
            raise FloorError(1002, f"group {name} does not exist")
        return group

    def _queues_named(self, name: str) -> Iterable[Queue]:
        return (self._queue(name),) if name else self.queues.values()

    def call_state(self, extnumber: str) -> dict[str, Any]:
        """The GetSipCallStatus row: status 1012/1013/1014/1201-1205/1015, caller, callee,
        disnumber, direction, channel, idleduration, callduration (seconds or None).

        1205 (rejected) shows for a few seconds after the extension rejected a call that
        rang it, or its customer rejected its call; 1015 (not in a call) for the second a
        finished call takes to be torn down, before the phone shows idle (1201) again."""
        row: dict[str, Any] = {
            "extnumber": extnumber,
            "status": EXT_MISSING,
            "caller": None,
            "callee": None,
            "disnumber": None,
            "direction": None,
            "channel": None,
            "idleduration": None,
            "callduration": None,
        }
        ext = self.extensions.get(extnumber)
        if ext is None:
            return row
        if not ext.enabled:
            row["status"] = EXT_DISABLED
            return row
        if not ext.registered:
            row["status"] = EXT_UNREGISTERED
            return row
        call = ext.call
        now = self.now
        if call is None:
            if now < ext.rejected_until:
                row["status"] = EXT_REJECTED
            elif ext.last_call_end is not None and now - ext.last_call_end < TEARDOWN_SECONDS:
                row["status"] = EXT_NOT_IN_CALL
            else:
                row["status"] = EXT_IDLE
            row["idleduration"] = int(now - ext.idle_since)
            row["callduration"] = 0
            return row
        if call.peer is ext and call.ext is not None:
            row["caller"], row["callee"] = call.ext.extnumber, extnumber
        else:
            row["caller"], row["callee"] = extnumber, call.destnumber
        row["disnumber"] = call.disnumber
        row["direction"] = DIRECTION_WORDS[call.direction]
        row["channel"] = f"sofia/internal/{extnumber}-{call.seq:08x}"
        if call.stage == STAGE_TALKING and (call.ext is ext or call.peer is ext):
            row["status"] = EXT_IN_CALL
            row["idleduration"] = 0
            row["callduration"] = int(now - (call.connected_at or now))
        else:
            dialling_out = call.ext is ext and not call.ext_ringing and call.stage == STAGE_DIALLING
            row["status"] = EXT_OFF_HOOK if dialling_out else EXT_RINGING
            row["idleduration"] = int(now - ext.idle_since)
            row["callduration"] = 0
        return row

    def valid_state(self, extnumber: str) -> dict[str, Any]:
        """The GetSipValidStatus row: code 1016 enabled, 1013 disabled, 1012 missing."""
        ext = self.extensions.get(extnumber)
        code = EXT_MISSING if ext is None else EXT_ENABLED if ext.enabled else EXT_DISABLED
        return {"extnumber": extnumber, "code": code}

    def register_state(self, extnumber: str) -> dict[str, Any]:
        """The GetSipRegisterStatus row: code 1017/1014 (1012 missing), clientip, serverip."""
        ext = self.extensions.get(extnumber)
        if ext is None:
            return {"extnumber": extnumber, "code": EXT_MISSING, "clientip": None, "serverip": None}
        return {
            "extnumber": extnumber,
            "code": EXT_REGISTERED if ext.registered else EXT_UNREGISTERED,
            "clientip": ext.clientip,
            "serverip": ext.serverip,
        }

    def extension_rows(self, status: int = 3, extnumber: str = "") -> list[dict[str, Any]]:
        """GetSipnumberInfo: status 1 enabled / 2 disabled / 3 all. Carries the password, as
        documented: the server sends it, nothing else may show or log it."""
        if extnumber:
            found = self.extensions.get(extnumber)
            chosen: Iterable[Extension] = () if found is None else (found,)
        else:
            chosen = self.extensions.values()
        return [
            {
                "extnumber": ext.extnumber,
                "password": ext.password,
                "status": EXT_ENABLED if ext.enabled else EXT_DISABLED,
                "register": "reg" if ext.registered else "nreg",
            }
            for ext in chosen
            if status == 3 or (status == 1) == ext.enabled
        ]

    def queue_rows(self, queuename: str = "") -> list[dict[str, Any]]:
        """GetQueueList rows; FloorError 1211 for a named queue that does not exist."""
        return [
            {
                "queuename": queue.name,
                "remark": queue.remark,
                "strategy": queue.strategy,
                "announce": queue.announce,
                "announcefreq": queue.announcefreq,
                "ringdelay": queue.ringdelay,
                "maxwaittime": queue.maxwaittime,
                "withnoagenttime": queue.withnoagenttime,
                "noagentrejoiningtime": queue.noagentrejoiningtime,
                "discardtime": queue.discardtime,
                "autocall": queue.autocall_state,
            }
            for queue in self._queues_named(queuename)
        ]

    def queue_agents(
        self, queuename: str = "", extnumber: str = "", state: int = 0
    ) -> list[dict[str, Any]]:
        """GetQueueSipStatus rows, queue by queue, agents in check-in order.

        state 0 any, 1 idle (1213 and free to take a call now: not in any call, past
        wrap-up), 2 waiting (1213, wrap-up included), 3 receiving (1214), 4 talking (1215).
        FloorError 1211 for a named queue that does not exist. O(agents returned)."""
        wanted = _STATE_FILTER.get(state)
        rows: list[dict[str, Any]] = []
        for queue in self._queues_named(queuename):
            pool = queue.pool
            if extnumber:
                found = pool.members.get(extnumber)
                members: Iterable[Member] = () if found is None else (found,)
            else:
                members = pool.members.values()
            wrapuptime = pool.wrapuptime
            for m in members:
                code = m.state
                if wanted is not None and code != wanted:
                    continue
                if state == 1 and m.extnumber not in pool.idle:
                    continue
                rows.append(
                    {
                        "queuename": queue.name,
                        "seatsname": m.seatsname,
                        "extnumber": m.extnumber,
                        "status": code,
                        "state": code,
                        "lastanswertime": format_time(m.lastanswertime),
                        "lastassigntime": format_time(m.lastassigntime),
                        "seatschangetime": format_time(m.seatschangetime),
                        "noanswercount": m.noanswercount,
                        "callsanswered": m.callsanswered,
                        "externalcallscount": m.ext.manual_calls,
                        "wrapuptime": wrapuptime,
                        "maxnoanswer": 0,
                    }
                )
        return rows

    def group_rows(self, name: str = "", status: int = 2) -> list[dict[str, Any]]:
        """GetExtgroupInfo rows (id, name, status 1/0); name "" lists all; status 1/0/2 all."""
        groups: Iterable[Group]
        if name:
            found = self.groups.get(name)
            groups = () if found is None else (found,)
        else:
            groups = self.groups.values()
        return [
            {"id": g.id, "name": g.name, "status": g.status}
            for g in groups
            if status not in (0, 1) or g.status == status
        ]

    def group_ext_rows(self, name: str, extnumber: str = "") -> list[dict[str, Any]]:
        """GetGroupExt rows: name, extnumber, status (hangup / ring / answer), state
        (idle / busy). FloorError 1002 when the group does not exist."""
        group = self._group(name)
        rows = []
        for m in group.members.values():
            if extnumber and m.extnumber != extnumber:
                continue
            call = m.ext.call
            if call is None:
                status = "hangup"
            elif call.stage == STAGE_TALKING and call.ext is m.ext:
                status = "answer"
            else:
                status = "ring"
            rows.append(
                {
                    "name": group.name,
                    "extnumber": m.extnumber,
                    "status": status,
                    "state": "busy" if m.paused else "idle",
                }
            )
        return rows
