"""Live callbacks: what the server's extension and bill callbacks say, applied to the floor.

The server posts an extension callback when a phone rings, is answered or hangs up, and a
bill callback when a call is over. The collector applies each to its last snapshot at once,
so that a tile changes within a fraction of a second instead of at the next poll; the next
poll is still the truth and corrects an event that was lost, late or out of order.

Only what the event says for sure changes: the agent's state and its customer's number, on
every queue row of the extension, and the header's counts of people and calls (recounted
from the rows). The day's finished-call figures stay the bill reader's: a bill counted here
and again by the reader would count twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from wallboard.live.build import floor_totals
from wallboard.live.snapshot import AgentState, AgentView, FloorSnapshot, QueueView

#: An extension callback's `status`, as the documents spell it.
RING, ANSWER, HANGUP = "ring", "answer", "hangup"
CALL_EVENTS = frozenset({RING, ANSWER, HANGUP})
#: States an event does not overrule: a disabled extension takes no calls.
UNTOUCHED = frozenset({AgentState.DISABLED})
ON_A_CALL = frozenset({AgentState.RINGING, AgentState.TALKING})


@dataclass(frozen=True, slots=True)
class CallEvent:
    """An extension callback: `extnumber`'s phone rang, was answered, or hung up.

    `number` is the other end (the documents' `callee`: the customer's number for a queue
    or predictive call), "" when the callback gave none."""

    extnumber: str
    status: str  # ring / answer / hangup
    number: str = ""
    uuid: str = ""
    bleg: bool = False  # the documents' `isbleg`: "false" is the agent's own leg


@dataclass(frozen=True, slots=True)
class BillEvent:
    """A bill callback: a call of `extnumber` (empty for a call no agent took) is over."""

    extnumber: str
    number: str = ""  # destnumber
    uuid: str = ""
    billsec: int = 0


LiveEvent = CallEvent | BillEvent


def call_event(data: Mapping[str, Any]) -> CallEvent | None:
    """The extension callback in `data`, or None when it is not one (no extension, a status
    the documents do not list)."""
    status = _text(data.get("status")).lower()
    extnumber = _text(data.get("extnumber")) or _text(data.get("caller"))
    if status not in CALL_EVENTS or not extnumber:
        return None
    return CallEvent(
        extnumber=extnumber,
        status=status,
        number=_text(data.get("callee")),
        uuid=_text(data.get("uuid")),
        bleg=_text(data.get("isbleg")).lower() == "true",
    )


def bill_event(data: Mapping[str, Any]) -> BillEvent | None:
    """The bill callback in `data`, or None when it has no fields of one."""
    if "billsec" not in data and "callmethod" not in data:
        return None
    billsec = data.get("billsec")
    return BillEvent(
        extnumber=_text(data.get("extnumber")),
        number=_text(data.get("destnumber")),
        uuid=_text(data.get("uuid")),
        billsec=int(billsec) if isinstance(billsec, int) and not isinstance(billsec, bool) else 0,
    )


def apply_event(snapshot: FloorSnapshot, event: LiveEvent, now: float) -> FloorSnapshot:
    """`snapshot` with `event` applied at server time `now`; the same object when the event
    changes nothing on it (an extension not on the floor, a bill of a call already over)."""
    if not event.extnumber:
        return snapshot
    queues: list[QueueView] = []
    changed = False
    for queue in snapshot.queues:
        agents = tuple(_agent_after(agent, queue, event, now) for agent in queue.agents)
        if any(a is not b for a, b in zip(agents, queue.agents, strict=True)):
            changed = True
            queue = replace(queue, agents=agents)
        queues.append(queue)
    if not changed:
        return snapshot
    counted = floor_totals(queues)
    totals = replace(
        snapshot.totals,
        idle=counted.idle,
        ringing=counted.ringing,
        talking=counted.talking,
        wrapup=counted.wrapup,
        paused=counted.paused,
        offline=counted.offline,
        disabled=counted.disabled,
        missed=counted.missed,
        calls_in_progress=counted.calls_in_progress,
    )
    return replace(snapshot, queues=tuple(queues), totals=totals)


def _agent_after(agent: AgentView, queue: QueueView, event: LiveEvent, now: float) -> AgentView:
    if agent.extnumber != event.extnumber or agent.state in UNTOUCHED:
        return agent
    if isinstance(event, BillEvent):
        if agent.state not in ON_A_CALL or (agent.number and agent.number != event.number):
            return agent
        return _off_the_call(agent, queue, now)
    if event.status == RING:
        # The customer's leg ringing (`isbleg` true) while the agent is already on the call
        # (an API call: the agent first, then the customer) leaves the agent talking.
        if agent.state is AgentState.RINGING or (event.bleg and agent.state is AgentState.TALKING):
            return agent
        number = event.number or None
        return replace(agent, state=AgentState.RINGING, since=now, number=number, at_least=True)
    if event.status == ANSWER:
        if agent.state is AgentState.TALKING:
            return agent
        number = event.number or agent.number
        return replace(agent, state=AgentState.TALKING, since=now, number=number, at_least=False)
    if agent.state not in ON_A_CALL:
        return agent
    return _off_the_call(agent, queue, now)


def _off_the_call(agent: AgentView, queue: QueueView, now: float) -> AgentView:
    """Idle after a call, or in wrap-up after one the agent talked on in a queue with one."""
    talked = agent.state is AgentState.TALKING
    state = AgentState.WRAPUP if talked and queue.wrapuptime > 0 else AgentState.IDLE
    return replace(agent, state=state, since=now, number=None, at_least=False)


def _text(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, str | int | float):
        return str(value).strip()
    return ""


__all__ = [
    "ANSWER",
    "CALL_EVENTS",
    "HANGUP",
    "RING",
    "BillEvent",
    "CallEvent",
    "LiveEvent",
    "apply_event",
    "bill_event",
    "call_event",
]
