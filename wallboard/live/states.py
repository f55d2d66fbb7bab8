"""The ONE mapping from what the server says about an agent to what the supervisor sees.

An agent's state comes from two answers that are polled together: the agent's state in the
queue (GetQueueSipStatus, 1212-1218) and the extension's call state (GetSipCallStatus,
1201-1205 and 1012-1015). The slow reads add whether the extension is registered and
enabled. Every widget, figure and test reads states through `agent_state`, so a code means
the same thing on every tile and in every total.

Order of precedence, and why:
1. The extension cannot take calls at all: disabled (1013, or disabled in the extension
   list), missing (1012) or not registered (1014, or not registered in the slow reads).
   A fresh call state that shows the phone in use (1201-1205) wins over the slow reads,
   which may be up to 30 s old.
2. A call in progress: talking (1215 answered, 1203 off-hook, 1204 in a call), then ringing
   (1214 receiving, 1202 ringing). A paused agent on a call is on a call: that is what the
   supervisor needs to see first.
3. Paused (1217, "shows busy").
4. Missed: the queue offered a call that the agent did not answer (1212) or rejected (1216),
   or the extension rejected one (1205).
5. Otherwise the agent is available: in wrap-up while the idle time since the last call is
   shorter than the queue's wrap-up time, idle after that.
"""

from __future__ import annotations

from wallboard.api.codes import BUSINESS
from wallboard.live.snapshot import AgentState


def documented(message: str) -> int:
    """The documented status code with this message: the numbers live in one table
    (`wallboard.api.codes`); a name here that the table lacks fails at import, not on a tile."""
    found = [entry.code for entry in BUSINESS.values() if entry.message == message]
    if len(found) != 1:
        raise LookupError(f"the code table has {len(found)} codes named {message!r}")
    return found[0]


# Queue (agent) states, GetQueueSipStatus.state (1212-1218).
Q_NO_ANSWER = documented("did not answer")
Q_WAITING = documented("waiting")
Q_RECEIVING = documented("receiving")
Q_ANSWERED = documented("answered")
Q_REJECTED = documented("rejected")
Q_PAUSED = documented("paused")
Q_CHECKED_IN = documented("checked in")

# Extension states, GetSipCallStatus.status (and the validity/registration codes).
X_MISSING = documented("extension does not exist")
X_DISABLED = documented("extension disabled")
X_NOT_REGISTERED = documented("extension not registered")
X_NOT_IN_CALL = documented("extension is not in a call")
X_ENABLED = documented("extension enabled")
X_REGISTERED = documented("extension is registered")
X_IDLE = documented("idle")
X_RINGING = documented("ringing")
X_OFF_HOOK = documented("off-hook")
X_IN_CALL = documented("in a call")
X_REJECTED = documented("user rejects")

# Predictive task states (1024-1028).
T_MISSING = documented("task does not exist")
T_NOT_STARTED = documented("task has not started")
T_RUNNING = documented("task in progress")
T_PAUSED = documented("task paused")
T_OVER = documented("task over")

#: Call states that prove the extension is registered and enabled right now.
LIVE_CALL_CODES = frozenset({X_IDLE, X_RINGING, X_OFF_HOOK, X_IN_CALL, X_REJECTED})
#: Call states of an extension with a call on the line (for "calls in progress").
IN_CALL_CODES = frozenset({X_OFF_HOOK, X_IN_CALL})


def agent_state(
    queue_code: int | None,
    call_code: int | None,
    *,
    idleduration: int | None = None,
    wrapuptime: int = 0,
    registered: bool | None = None,
    enabled: bool | None = None,
) -> AgentState:
    """The state a supervisor sees for one agent in one queue.

    `registered` and `enabled` come from the slow reads; None means not known (yet), which
    never makes an agent offline by itself. `idleduration` is the server's seconds since the
    extension's last call ended (None when it gives none), `wrapuptime` the queue's wrap-up
    seconds for this agent. Unknown codes never fail: they count as "no information".
    """
    # 1. Cannot take calls.
    if call_code == X_DISABLED:
        return AgentState.DISABLED
    if call_code in (X_MISSING, X_NOT_REGISTERED):
        return AgentState.OFFLINE
    if call_code not in LIVE_CALL_CODES:
        if enabled is False:
            return AgentState.DISABLED
        if registered is False:
            return AgentState.OFFLINE
    # 2. A call on the line.
    if queue_code == Q_ANSWERED or call_code in IN_CALL_CODES:
        return AgentState.TALKING
    if queue_code == Q_RECEIVING or call_code == X_RINGING:
        return AgentState.RINGING
    # 3. Paused.
    if queue_code == Q_PAUSED:
        return AgentState.PAUSED
    # 4. Missed.
    if queue_code in (Q_NO_ANSWER, Q_REJECTED) or call_code == X_REJECTED:
        return AgentState.MISSED
    # 5. Available.
    if in_wrapup(idleduration, wrapuptime):
        return AgentState.WRAPUP
    return AgentState.IDLE


def in_wrapup(idleduration: int | None, wrapuptime: int) -> bool:
    """Still inside the wrap-up time after a call (the server gives the idle seconds)."""
    return idleduration is not None and wrapuptime > 0 and 0 <= idleduration < wrapuptime


#: Which state an extension counts as in the header when it sits in several queues: the
#: most pressing one (a call on the line beats everything, offline counts last).
TOTALS_PRIORITY: tuple[AgentState, ...] = (
    AgentState.TALKING,
    AgentState.RINGING,
    AgentState.MISSED,
    AgentState.PAUSED,
    AgentState.WRAPUP,
    AgentState.IDLE,
    AgentState.DISABLED,
    AgentState.OFFLINE,
)
