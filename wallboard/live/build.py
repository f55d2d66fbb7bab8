"""Building the floor's picture from API rows: pure functions, no I/O, no clock of their own.

The pollers fetch rows; these functions turn them into the snapshot's views. Keeping them
pure means every figure on the screen is tested from hand-made rows, and a snapshot is the
same whenever it is rebuilt from the same answers.

Times are the server's (API-NOTES decisions 10 and 11): `taken_at` is the server's time at
the poll, and each state's start comes from the server where it gives one, so that a restart
of the dashboard changes no time in state:
- paused (1217) and checked in (1218): `seatschangetime`, the queue state's last change,
  written in the server's zone (`tz`);
- talking: `callduration`; idle and wrap-up: `idleduration` (idle begins when the wrap-up
  ends), never before `seatschangetime` (an agent back from a pause has been available
  since then, however long ago the last call ended);
- anything else (ringing, missed, offline, disabled, a row without the field): the first
  time this dashboard saw the state, marked `at_least`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from wallboard.api.models import (
    Extension,
    ExtensionCallState,
    ExtensionRegistration,
    Queue,
    QueueAgent,
)
from wallboard.live.bills import CallFigures, DayBuckets, NumberTally, drop_budget
from wallboard.live.campaigns import TrackedTask, phone_key
from wallboard.live.names import AgentNames
from wallboard.live.snapshot import (
    AgentState,
    AgentView,
    CampaignStatus,
    CampaignView,
    FloorTotals,
    QueueView,
    Trend,
    TrendBucket,
)
from wallboard.live.state_order import PRESSING_RANK
from wallboard.live.states import (
    Q_CHECKED_IN,
    Q_PAUSED,
    X_DISABLED,
    X_ENABLED,
    X_NOT_REGISTERED,
    X_REGISTERED,
    agent_state,
    in_wrapup,
)

#: A time in state recomputed from the server's whole-second durations wobbles by up to a
#: second between polls; within this much the previous value is kept, so tiles stay still.
SINCE_TOLERANCE = 2.0

AgentKey = tuple[str, str]  # (queue, extnumber)
#: Queue states whose start is `seatschangetime` (API-NOTES decision 11).
CHANGE_TIMED = frozenset({Q_PAUSED, Q_CHECKED_IN})


def server_moment(text: str, tz: dt.tzinfo | None) -> float | None:
    """A server time text ("yyyy-mm-dd hh:mm:ss", in the server's zone `tz`; None: this
    machine's) as unix seconds; None when empty or not such a time ("0000-00-00 ...").

    Read by hand rather than with `strptime` (a quarter of its cost): a floor's first poll
    reads one for every agent."""
    text = text.strip()
    if len(text) != 19 or text[4] + text[7] + text[10] + text[13] + text[16] != "-- ::":
        return None
    try:
        moment = dt.datetime(
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
            tzinfo=tz,
        )
    except ValueError:  # "0000-00-00 00:00:00", a month 13, letters
        return None
    return moment.timestamp()


class CallRow(Protocol):
    """An extension's call state as the views read it: a GetSipCallStatus row
    (`ExtensionCallStatus`), or a `CallReading` of `call_states`."""

    @property
    def status(self) -> int | None: ...
    @property
    def caller(self) -> str: ...
    @property
    def callee(self) -> str: ...
    @property
    def disnumber(self) -> str: ...
    @property
    def idleduration(self) -> int | None: ...
    @property
    def callduration(self) -> int | None: ...


class CallReading:
    """An extension's call state as last read: the state without its durations (the same
    object as the reading before while only the durations moved), the durations, and when
    they were read (`read_at`, on the server's clock; None: at the snapshot's own time).

    What a poller reading `call_states` hands the builder: the builder tells an agent whose
    call did not change by the identity of `state`, without comparing its fields. A poller
    that does not read every extension every cycle hands the same reading again: its
    durations are then counted on from `read_at` (`durations_at`), as the server's own
    would have moved, and the builder, seeing the very reading it built from, need look at
    nothing but a wrap-up running out.
    """

    __slots__ = ("callduration", "idleduration", "read_at", "state")

    def __init__(
        self,
        state: ExtensionCallState,
        idleduration: int | None,
        callduration: int | None,
        read_at: float | None = None,
    ) -> None:
        self.state = state
        self.idleduration = idleduration
        self.callduration = callduration
        self.read_at = read_at

    def __repr__(self) -> str:
        return (
            f"CallReading({self.state!r}, {self.idleduration!r}, {self.callduration!r}, "
            f"read_at={self.read_at!r})"
        )

    @property
    def status(self) -> int | None:
        return self.state.status

    @property
    def caller(self) -> str:
        return self.state.caller

    @property
    def callee(self) -> str:
        return self.state.callee

    @property
    def disnumber(self) -> str:
        return self.state.disnumber


def durations_at(call: CallRow | None, taken_at: float) -> tuple[int | None, int | None]:
    """The call's (idle, call) durations as of `taken_at`: a reading made earlier
    (`CallReading.read_at`) counted on by the whole seconds passed since, as the server's
    whole-second durations would have; any other row as it is."""
    if call is None:
        return None, None
    idle, talk = call.idleduration, call.callduration
    if isinstance(call, CallReading) and call.read_at is not None and taken_at > call.read_at:
        passed = int(taken_at - call.read_at)
        if passed:
            idle = None if idle is None else idle + passed
            talk = None if talk is None else talk + passed
    return idle, talk


@dataclass(frozen=True, slots=True)
class ExtensionFacts:
    """What the slow reads say about an extension; None: not known."""

    registered: bool | None = None
    enabled: bool | None = None


def extension_facts(
    extensions: Iterable[Extension], registrations: Iterable[ExtensionRegistration]
) -> dict[str, ExtensionFacts]:
    """Enabled from GetSipnumberInfo (1016/1013); registered from GetSipRegisterStatus
    (1017/1014), else from GetSipnumberInfo's reg/nreg."""
    enabled: dict[str, bool | None] = {}
    registered: dict[str, bool | None] = {}
    for ext in extensions:
        number = ext.extnumber.strip()
        if not number:
            continue
        enabled[number] = {X_ENABLED: True, X_DISABLED: False}.get(ext.status or 0)
        flag = ext.register.strip().lower()
        registered[number] = True if flag == "reg" else False if flag == "nreg" else None
    for row in registrations:
        number = row.extnumber.strip()
        code = {X_REGISTERED: True, X_NOT_REGISTERED: False}.get(row.code or 0)
        if number and code is not None:
            registered[number] = code
    return {
        number: ExtensionFacts(registered.get(number), enabled.get(number))
        for number in set(enabled) | set(registered)
    }


def extension_order(extnumber: str) -> tuple[int, int, str]:
    """Numeric extensions in numeric order, then any others by text."""
    text = extnumber.strip()
    return (0, int(text), text) if text.isdigit() else (1, 0, text)


def customer_number(call: CallRow | None, extnumber: str) -> str | None:
    """The other party of the extension's call: whichever of callee/caller is not the agent."""
    if call is None:
        return None
    mine = {extnumber.strip(), call.disnumber.strip(), ""}
    for candidate in (call.callee.strip(), call.caller.strip()):
        if candidate not in mine:
            return candidate
    return None


def state_since(
    state: AgentState,
    *,
    taken_at: float,
    call: CallRow | None,
    wrapuptime: int,
    previous: AgentView | None,
    changed_at: float | None = None,
    queue_code: int | None = None,
) -> tuple[float, bool]:
    """When the agent entered `state`, and whether that is only a lower bound (`at_least`).

    From the server where it says (`seatschangetime` as `changed_at`, the durations of
    `call`); else kept from the previous snapshot while the state is unchanged; else now,
    as a lower bound."""
    kept = previous if previous is not None and previous.state is state else None
    derived = _derived_since(state, taken_at, call, wrapuptime, changed_at, queue_code)
    if derived is None:
        return (kept.since, kept.at_least) if kept is not None else (taken_at, True)
    if kept is not None and not kept.at_least and abs(kept.since - derived) < SINCE_TOLERANCE:
        return kept.since, False
    return min(derived, taken_at), False


def _derived_since(
    state: AgentState,
    taken_at: float,
    call: CallRow | None,
    wrapuptime: int,
    changed_at: float | None = None,
    queue_code: int | None = None,
) -> float | None:
    """When the agent entered `state` by the server's own times; None where none says."""
    timed_by_change = changed_at if queue_code in CHANGE_TIMED else None
    if state is AgentState.PAUSED:
        return timed_by_change
    if state is AgentState.TALKING:
        talking = durations_at(call, taken_at)[1]
        return None if talking is None else taken_at - max(0, talking)
    if state is AgentState.IDLE or state is AgentState.WRAPUP:
        idle = durations_at(call, taken_at)[0]
        if idle is None:
            return timed_by_change  # checked in (1218): available since the check-in
        idle = max(0, idle)
        if state is AgentState.IDLE and 0 < wrapuptime <= idle:
            idle -= wrapuptime  # idle began when the wrap-up ended
        began = taken_at - idle
        # Back from a pause or checked in after the last call: available since then.
        return began if changed_at is None or changed_at <= began else changed_at
    return None


def agent_view(
    row: QueueAgent,
    *,
    taken_at: float,
    call: CallRow | None,
    facts: ExtensionFacts | None,
    previous: AgentView | None,
    tz: dt.tzinfo | None = None,
    names: AgentNames | None = None,
    changed_at: float | None = None,
) -> AgentView:
    """One agent's tile, from its queue row, its extension's call state and the slow facts.

    `tz` is the server's zone, in which `seatschangetime` is written (`changed_at`, when
    given, is that time already read); `names` the agents file, whose name for the
    extension wins over the server's `seatsname`."""
    extnumber = row.extnumber.strip()
    queue_code = row.state if row.state is not None else row.status
    call_code = call.status if call is not None else None
    facts = facts or ExtensionFacts()
    state = agent_state(
        queue_code,
        call_code,
        idleduration=durations_at(call, taken_at)[0],
        wrapuptime=row.wrapuptime,
        registered=facts.registered,
        enabled=facts.enabled,
    )
    number = (
        customer_number(call, extnumber)
        if state in (AgentState.RINGING, AgentState.TALKING)
        else None
    )
    if changed_at is None:
        changed_at = server_moment(row.seatschangetime, tz)
    since, at_least = state_since(
        state,
        taken_at=taken_at,
        call=call,
        wrapuptime=row.wrapuptime,
        previous=previous,
        changed_at=changed_at,
        queue_code=queue_code,
    )
    seatsname = row.seatsname.strip()
    values = (
        extnumber,
        row.queuename.strip(),
        names.name_for(extnumber, seatsname) if names is not None else seatsname,
        state,
        since,
        number,
        row.callsanswered,
        row.noanswercount,
        crmid_of(row, previous),
        queue_code,
        call_code,
        at_least,
    )
    if previous is not None and _same(previous, values):
        return previous  # most tiles do not change between two polls: keep the object
    return AgentView(*values)


def _same(view: AgentView, values: tuple[object, ...]) -> bool:
    return (
        view.state is values[3]
        and view.since == values[4]
        and view.number == values[5]
        and view.answered == values[6]
        and view.missed == values[7]
        and view.queue_code == values[9]
        and view.call_code == values[10]
        and view.at_least is values[11]
        and view.name == values[2]
        and view.crmid == values[8]
        and view.extnumber == values[0]
        and view.queue == values[1]
    )


def crmid_of(row: QueueAgent, previous: AgentView | None) -> str:
    """The agent id the extension was checked in with, when the server's row shows it.

    GetQueueSipStatus has no crmid field; servers built like the documents' example name the
    seat `<crmid>_<extnumber>_<queue>`, so a numeric first part of seatsname is taken to be it.
    """
    head, sep, rest = row.seatsname.strip().partition("_")
    if sep and head.isdigit() and rest:
        return head
    return previous.crmid if previous is not None else ""


def build_queues(
    agents: Iterable[QueueAgent],
    calls: Mapping[str, CallRow],
    queue_list: Sequence[Queue],
    facts: Mapping[str, ExtensionFacts],
    *,
    taken_at: float,
    previous: Mapping[AgentKey, AgentView],
    scope: Sequence[str] | None = None,
    tz: dt.tzinfo | None = None,
    names: AgentNames | None = None,
) -> tuple[QueueView, ...]:
    """Every queue with its agents, in a stable order: the scope's order, else by name.

    Queues come from GetQueueList and from the agents' rows (a queue missing from a stale
    list still shows). With a scope, only the named queues show, in the order given.
    `previous` is the last snapshot's agents by (queue, extnumber): it says since when each
    agent is in its state. A poller that builds every cycle keeps a `FloorBuilder` instead,
    which gives the same views and rebuilds only the agents whose rows changed.
    """
    return FloorBuilder(previous, tz=tz, names=names).build(
        agents, calls, queue_list, facts, taken_at=taken_at, scope=scope
    )


@dataclass(slots=True)
class _Built:
    """One agent's last view and what it was built from (`row` None: not known)."""

    queue: str
    extnumber: str
    row: QueueAgent | None
    # The call state apart from its durations: a `CallReading`'s state object, or the fields
    # of another row that are not durations.
    call: ExtensionCallState | tuple[object, ...] | None
    facts: ExtensionFacts | None
    view: AgentView
    order: tuple[int, int, str]
    changed_at: float | None = None  # the row's seatschangetime, read
    # The call row (a `CallReading`, most often) the view was last brought up to date with.
    reading: CallRow | None = None


def _call_fields(call: CallRow | None) -> ExtensionCallState | tuple[object, ...] | None:
    """What of an extension's call state a view depends on, besides the ticking durations:
    a reading's state object (known again by identity), else the fields themselves."""
    if call is None:
        return None
    if isinstance(call, CallReading):
        return call.state
    return (call.status, call.caller, call.callee, call.disnumber)


class FloorBuilder:
    """`build_queues` with a memory, for a poller that builds the floor every cycle.

    On a floor of 2,000 agents a tenth change in a second; the rest come back as the same
    rows (the client hands back the same model object for a queue row that did not change).
    For those, only what moves with the clock is looked at again: the call state's durations
    (which end a wrap-up, and say since when an agent talks or waits) and so the time in
    state. An agent whose view comes out the same keeps its `AgentView` object, and a queue
    whose agents all did keeps its `QueueView`, so that the screen tells what changed by
    identity. The views are the same as `build_queues` would build (the tests hold it).
    """

    __slots__ = ("_built", "_by_row", "_names", "_names_version", "_queues", "tz")

    def __init__(
        self,
        previous: Mapping[AgentKey, AgentView] | None = None,
        *,
        tz: dt.tzinfo | None = None,
        names: AgentNames | None = None,
    ) -> None:
        self.tz = tz  # the server's zone: seatschangetime is written in it
        self._names = names
        self._names_version = names.version if names is not None else 0
        self._built: dict[AgentKey, _Built] = {
            key: _Built(*key, None, None, None, view, extension_order(view.extnumber))
            for key, view in (previous or {}).items()
        }
        # The entries by their row's identity: a row object the client handed back again is
        # found without reading its fields. The entry holds the row, so its id stays unique.
        self._by_row: dict[int, _Built] = {}
        self._queues: dict[str, QueueView] = {}

    def build(
        self,
        agents: Iterable[QueueAgent],
        calls: Mapping[str, CallRow],
        queue_list: Sequence[Queue],
        facts: Mapping[str, ExtensionFacts],
        *,
        taken_at: float,
        scope: Sequence[str] | None = None,
    ) -> tuple[QueueView, ...]:
        """The queues from this cycle's answers; see `build_queues`."""
        wanted = list(dict.fromkeys(name.strip() for name in scope or () if name.strip()))
        keep = set(wanted)
        last, last_by_row = self._built, self._by_row
        names, tz = self._names, self.tz
        if names is not None and names.version != self._names_version:
            self._names_version = names.version
            last_by_row = {}  # the names changed: every agent's view is built again
        built: dict[AgentKey, _Built] = {}
        by_row: dict[int, _Built] = {}
        rows: dict[str, dict[str, _Built]] = {}
        wrapup: dict[str, int] = {}
        changed: set[str] = set()  # queues with an agent whose view is not the last one
        for row in agents:
            entry = last_by_row.get(id(row))
            if entry is not None and entry.row is row:
                queue, extnumber = entry.queue, entry.extnumber
                if keep and queue not in keep:
                    continue
                call = calls.get(extnumber)
                fact = facts.get(extnumber)
                view = entry.view
                if (
                    call is not None
                    and call is entry.reading
                    and fact is entry.facts
                    and view.state is not AgentState.WRAPUP
                ):
                    pass  # the very reading and row of last time: only a wrap-up runs out
                else:
                    if (fact is not entry.facts and fact != entry.facts) or not _again(
                        entry, row, call, taken_at
                    ):
                        _rebuild(entry, row, call, fact, taken_at, names)
                    entry.reading = call
                    if entry.view is not view:
                        changed.add(queue)
            else:
                queue = row.queuename.strip()
                extnumber = row.extnumber.strip()
                if not queue or not extnumber or (keep and queue not in keep):
                    continue
                key = (queue, extnumber)
                before = last.get(key)
                call = calls.get(extnumber)
                fact = facts.get(extnumber)
                changed_at = server_moment(row.seatschangetime, tz)
                view = agent_view(
                    row,
                    taken_at=taken_at,
                    call=call,
                    facts=fact,
                    previous=before.view if before is not None else None,
                    names=names,
                    changed_at=changed_at,
                )
                order = before.order if before is not None else extension_order(extnumber)
                entry = _Built(
                    queue, extnumber, row, _call_fields(call), fact, view, order, changed_at, call
                )
                changed.add(queue)
            key = (queue, extnumber)
            twice = built.get(key)
            if twice is not None:  # the same agent twice in one answer: the last row counts,
                changed.add(queue)  # and the first is not known by its identity next time
                if twice.row is not None:
                    by_row.pop(id(twice.row), None)
            built[key] = entry
            by_row[id(row)] = entry
            members = rows.get(queue)
            if members is None:
                members = rows[queue] = {}
            members[extnumber] = entry
            if row.wrapuptime > wrapup.get(queue, 0):
                wrapup[queue] = row.wrapuptime
        self._built, self._by_row = built, by_row

        known = {q.queuename.strip(): q for q in queue_list if q.queuename.strip()}
        shown = [n for n in wanted if n in known or n in rows] if keep else sorted({*known, *rows})
        views: list[QueueView] = []
        queues: dict[str, QueueView] = {}
        for name in shown:
            info = known.get(name)
            members = rows.get(name, {})
            old = self._queues.get(name)
            # Every agent the same view as last time, and as many: the same members in order.
            same = old is not None and name not in changed and len(members) == len(old.agents)
            panel = QueueView(
                name=name,
                remark=info.remark if info else "",
                strategy=info.strategy if info else None,
                autocall=info.autocall if info else "",
                wrapuptime=wrapup.get(name, 0),
                agents=old.agents
                if same and old is not None
                else tuple([e.view for e in sorted(members.values(), key=_order_of)]),
            )
            if old is not None and old == panel:
                panel = old  # nothing in the queue changed: the same object
            queues[name] = panel
            views.append(panel)
        self._queues = queues
        return tuple(views)


def _order_of(entry: _Built) -> tuple[int, int, str]:
    return entry.order


def _rebuild(
    entry: _Built,
    row: QueueAgent,
    call: CallRow | None,
    facts: ExtensionFacts | None,
    taken_at: float,
    names: AgentNames | None,
) -> None:
    """Build the agent's view again from its rows, in its entry (the same row: its
    seatschangetime is the one read before)."""
    entry.view = agent_view(
        row,
        taken_at=taken_at,
        call=call,
        facts=facts,
        previous=entry.view,
        names=names,
        changed_at=entry.changed_at,
    )
    entry.call = _call_fields(call)
    entry.facts = facts


def _again(entry: _Built, row: QueueAgent, call: CallRow | None, taken_at: float) -> bool:
    """Bring the entry of an unchanged queue row (and unchanged facts) up to date when its call
    state differs at most in its durations; False when the view must be built again.

    With the codes the same, the state is the same, except between idle and wrap-up, which
    the idle duration decides; the customer's number and the crmid are the same too. What
    remains is the time in state, computed as `agent_view` computes it.
    """
    known = entry.call
    if call is None or known is None:
        if call is not None or known is not None:
            return False
    elif isinstance(call, CallReading):
        if call.state is not known:  # the client hands back the same object when unchanged
            return False
    elif (
        not isinstance(known, tuple)
        or call.status != known[0]
        or call.callee != known[2]
        or call.caller != known[1]
        or call.disnumber != known[3]
    ):
        return False
    view = entry.view
    state = view.state
    if state is AgentState.IDLE or state is AgentState.WRAPUP:
        idle = durations_at(call, taken_at)[0]
        if (AgentState.WRAPUP if in_wrapup(idle, row.wrapuptime) else AgentState.IDLE) is not state:
            return False
    # As `state_since` with the state unchanged: the last time kept unless the server's
    # times say otherwise by SINCE_TOLERANCE or more.
    derived = _derived_since(
        state, taken_at, call, row.wrapuptime, entry.changed_at, view.queue_code
    )
    if derived is not None and (view.at_least or abs(view.since - derived) >= SINCE_TOLERANCE):
        entry.view = replace(view, since=min(derived, taken_at), at_least=False)
    return True


def floor_totals(
    queues: Iterable[QueueView],
    today: CallFigures | None = None,
    *,
    recent_drops: tuple[int, int] = (0, 0),
    scoped: bool = False,
    trend: Trend | None = None,
) -> FloorTotals:
    """The header's figures. An extension in several queues counts once, in its most pressing
    state (a call on the line first, offline last), so the counts add up to the agents.

    Calls in progress are calls, not agents: a queue that rings every agent at once for one
    customer (ring-all) rings N phones for one call. Ringing and talking agents count once per
    customer number; one whose number is not known counts as a call of its own.

    `today` and `recent_drops` (drops in the last 15 and 60 minutes) are the finished calls'
    figures from the bills; `scoped` says the queues are the --queues' only (the finished
    figures are the whole account's either way); `trend` the day per 15 minutes (`trend_of`).
    """
    rank = PRESSING_RANK
    per_extension: dict[str, AgentView] = {}
    for queue in queues:
        for agent in queue.agents:
            seen = per_extension.get(agent.extnumber)
            if seen is None or rank[agent.state] < rank[seen.state]:
                per_extension[agent.extnumber] = agent
    count = {state: 0 for state in AgentState}
    calls: set[tuple[str, str]] = set()
    for extnumber, agent in per_extension.items():
        count[agent.state] += 1
        if agent.state in (AgentState.TALKING, AgentState.RINGING):
            calls.add(("number", agent.number) if agent.number else ("extension", extnumber))
    today = today or CallFigures()
    return FloorTotals(
        idle=count[AgentState.IDLE],
        ringing=count[AgentState.RINGING],
        talking=count[AgentState.TALKING],
        wrapup=count[AgentState.WRAPUP],
        paused=count[AgentState.PAUSED],
        offline=count[AgentState.OFFLINE],
        disabled=count[AgentState.DISABLED],
        missed=count[AgentState.MISSED],
        calls_in_progress=len(calls),
        answered_today=today.answered,
        dropped_today=today.dropped,
        dropped_15m=recent_drops[0],
        dropped_60m=recent_drops[1],
        scoped=scoped,
        trend=trend or Trend(),
    )


def trend_of(buckets: DayBuckets | None, starts: Sequence[float], upto: int) -> Trend:
    """The day per 15 minutes from the bill reader's slots, from midnight through slot
    `upto` (the snapshot's time); `starts` says when each slot starts (server time)."""
    if buckets is None or upto < 0 or not starts:
        return Trend()
    return Trend(
        tuple(
            TrendBucket(starts[slot], answered, dropped)
            for slot, (answered, dropped) in enumerate(buckets.slots(upto))
        )
    )


_ON_A_CALL = frozenset({AgentState.TALKING, AgentState.RINGING})
#: `phone_key` of the customers' numbers on the line, remembered: the same calls go on over
#: many cycles (bounded, for a day of new numbers).
_phone_key = functools.lru_cache(maxsize=4096)(phone_key)


#: Calls in progress by the customer's number (`phone_key`): True when an agent is talking
#: to the customer, False while it only rings.
LiveNumbers = Mapping[str, bool]


def live_numbers(queues: Iterable[QueueView]) -> dict[str, bool]:
    """The customers' numbers of the calls in progress on the agents shown (ringing or
    talking), each once: what a campaign's live calls are counted from."""
    live: dict[str, bool] = {}
    for queue in queues:
        for agent in queue.agents:
            if agent.number and agent.state in _ON_A_CALL:
                key = _phone_key(agent.number)
                if key:
                    live[key] = live.get(key, False) or agent.state is AgentState.TALKING
    return live


@dataclass(frozen=True, slots=True)
class CampaignLive:
    """A campaign's calls in progress: all, answered (talking), and those to numbers that
    have no finished call yet (they add to the numbers dialled)."""

    live: int = 0
    talking: int = 0
    first: int = 0


def campaign_live(
    keys: Iterable[str] | frozenset[str],
    live: LiveNumbers,
    tally: Callable[[str], NumberTally | None],
) -> CampaignLive:
    """The live calls among a campaign's numbers (`number_keys`); `tally` gives a number's
    finished calls (the bill reader's)."""
    numbers = keys if isinstance(keys, frozenset) else frozenset(keys)
    calls = talking = first = 0
    for key, answered in live.items():
        if key in numbers:
            calls += 1
            talking += answered
            finished = tally(key)
            first += finished is None or finished.calls == 0
    return CampaignLive(calls, talking, first)


#: Each tracked number (`phone_key`) with the campaigns (taskids) that hold it.
NumberOwners = Mapping[str, tuple[str, ...]]


def number_owners(campaigns: Mapping[str, frozenset[str]]) -> dict[str, tuple[str, ...]]:
    """The campaigns by number (taskid: its `number_keys`): made once when the tracked
    campaigns change, so that a cycle's live calls are matched with their campaigns by one
    look-up each rather than one per campaign."""
    owners: dict[str, tuple[str, ...]] = {}
    for taskid, keys in campaigns.items():
        alone = (taskid,)  # one tuple shared by every number only this campaign holds
        for key in keys:
            held = owners.get(key)
            owners[key] = alone if held is None else (*held, taskid)
    return owners


def campaigns_live(
    owners: NumberOwners, live: LiveNumbers, dialled: Callable[[str], bool]
) -> dict[str, CampaignLive]:
    """`campaign_live` of every campaign at once (by taskid; a campaign with no call in
    progress is left out), going over the calls in progress once; `dialled` says whether a
    number has a finished call (the bill reader's)."""
    counts: dict[str, list[int]] = {}
    for key, answered in live.items():
        held = owners.get(key)
        if held is None:
            continue
        first = not dialled(key)
        for taskid in held:
            count = counts.get(taskid)
            if count is None:
                count = counts[taskid] = [0, 0, 0]
            count[0] += 1
            count[1] += answered
            count[2] += first
    return {taskid: CampaignLive(*count) for taskid, count in counts.items()}


#: The campaigns pane lists live campaigns first, finished ones after.
_FINISHED = (CampaignStatus.OVER, CampaignStatus.MISSING)


def campaign_view(
    task: TrackedTask,
    figures: CallFigures,
    live: CampaignLive | None = None,
    trend: Trend | None = None,
) -> CampaignView:
    """A tracked task with its figures: finished ones from the bills of its numbers, and its
    calls in progress (`live`): dialled = finished + new numbers in progress, answered =
    finished answered + talking now; the abandon rate and the drop budget over finished
    calls only; `trend` its calls of the day per 15 minutes."""
    live = live or CampaignLive()
    total = len(task.numbers)
    dialled = figures.dialled + live.first
    return CampaignView(
        taskid=task.taskid,
        name=task.label,
        status=task.status,
        total=total,
        dialled=dialled,
        answered=figures.answered + live.talking,
        dropped=figures.dropped,
        remaining=max(0, total - dialled),
        abandon_rate=figures.abandon_rate,
        drop_budget=drop_budget(figures.answered, figures.dropped),
        assigned_to=task.assigned_to,
        live=live.live,
        talking=live.talking,
        live_first=live.first,
        trend=trend or Trend(),
    )


def order_campaigns(views: Iterable[CampaignView]) -> tuple[CampaignView, ...]:
    """Live campaigns first, then finished ones; otherwise in the registry's order."""
    listed = list(views)
    return tuple(
        [v for v in listed if v.status not in _FINISHED]
        + [v for v in listed if v.status in _FINISHED]
    )
