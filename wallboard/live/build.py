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
import time
from bisect import insort
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from itertools import compress
from operator import attrgetter, is_not
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
from wallboard.live.state_order import PRESSING_RANK, most_pressing
from wallboard.live.states import (
    Q_CHECKED_IN,
    Q_PAUSED,
    X_DISABLED,
    X_ENABLED,
    X_NOT_REGISTERED,
    X_REGISTERED,
    agent_state,
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
    reads one for every agent. Remembered (`_moment`): the rows that change in a poll
    mostly share a few seconds, and a row read again brings its old time, while turning a
    time in a zone into unix seconds is most of the cost. For this machine's zone the
    remembered times are keyed by the zone as the system knows it, which `time.tzset`
    changes."""
    host = (time.timezone, time.altzone, time.tzname) if tz is None else None
    return _moment(text, tz, host)


@functools.lru_cache(maxsize=4096)
def _moment(text: str, tz: dt.tzinfo | None, host: object) -> float | None:
    """`server_moment`, remembered; `host`: this machine's zone when `tz` is None."""
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


#: Enabled, by GetSipnumberInfo's status; registered, by GetSipRegisterStatus's code.
_ENABLED: dict[int, bool] = {X_ENABLED: True, X_DISABLED: False}
_REGISTERED: dict[int, bool] = {X_REGISTERED: True, X_NOT_REGISTERED: False}
_FLAGGED: dict[str, bool] = {"reg": True, "nreg": False}
#: Every fact there can be (registered and enabled each yes, no or not known), made once:
#: a slow read hands the builder the very object it built from for an extension that did
#: not change, which it tells by identity, and reading 2,000 extensions makes no objects.
_FACTS: dict[tuple[bool | None, bool | None], ExtensionFacts] = {
    (registered, enabled): ExtensionFacts(registered, enabled)
    for registered in (True, False, None)
    for enabled in (True, False, None)
}


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
        enabled[number] = _ENABLED.get(ext.status or 0)
        registered[number] = _FLAGGED.get(ext.register.strip().lower())
    for row in registrations:
        number = row.extnumber.strip()
        code = _REGISTERED.get(row.code or 0)
        if number and code is not None:
            registered[number] = code
    return {
        number: _FACTS[registered.get(number), enabled.get(number)]
        for number in enabled.keys() | registered.keys()
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
    facts = facts or _FACTS[None, None]
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


@dataclass(slots=True, eq=False)
class _Built:
    """One agent's last view and what it was built from (`row` None: not known). An entry
    is itself only (identity), so that the lists of entries are searched in C."""

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
    # In wrap-up, while the same reading and facts come again: from when until when the
    # view cannot change (`_quieten`).
    quiet_from: float = 0.0
    quiet_until: float = float("-inf")


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
    rows (the client hands back the same model object for a queue row that did not change),
    and most extensions keep the same call reading (a poller reading a fifth of the floor a
    cycle hands the others' last reading again). So a cycle looks only at what can have
    changed: rows new or gone (told apart by identity, not by their fields), extensions
    with another reading or other slow facts, and the agents whose view moves with the
    clock alone (a wrap-up running out, an agent with no call state). An agent whose view
    comes out the same keeps its `AgentView` object, and a queue whose agents all did keeps
    its `QueueView` (and the floor its tuple), so that the screen tells what changed by
    identity. The views are the same as `build_queues` would build (the tests hold it).

    The builder also keeps the floor's people by state and the customers' numbers on the
    line (`counts`, `calls_in_progress`, `live_numbers`), changed only for the extensions
    whose views changed: what `floor_totals` and `live_numbers` count over every agent.

    The slow facts go by identity too: hand over the same mapping while they are the same
    (a new one when they change, never the same one changed in place); another mapping is
    compared with the last, fact by fact.
    """

    __slots__ = (
        "_built",
        "_by_row",
        "_call_order",
        "_call_rows",
        "_counted",
        "_facts",
        "_facts_given",
        "_known",
        "_members",
        "_names",
        "_names_version",
        "_of_extension",
        "_passed",
        "_queue_list",
        "_queues",
        "_rows",
        "_scope",
        "_shown",
        "_ticking",
        "_views",
        "_wrapup",
        "tz",
    )

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
        # Rows not shown (outside the scope, or without a queue or extension), held for the
        # same reason: known again by identity.
        self._passed: dict[int, QueueAgent] = {}
        # The last answer's rows in their places: the next is compared with it side by side.
        self._rows: list[QueueAgent] = []
        self._members: dict[str, list[_Built]] = {}  # each queue's entries, in order
        self._of_extension: dict[str, list[_Built]] = {}  # each extension's, in its queues
        # Entries whose view moves with the clock alone: in wrap-up, or without a call state.
        self._ticking: dict[int, _Built] = {}  # by the entry's identity
        self._wrapup: dict[str, int] = {}  # each queue's longest wrap-up time
        # The extensions of the call rows last built from, in order, and their rows (copies:
        # the caller's mapping may change).
        self._call_order: list[str] = []
        self._call_rows: list[CallRow] = []
        self._facts: dict[str, ExtensionFacts] = {}
        # The facts mapping last handed over, as it was given: the caller hands the same
        # object until the slow reads bring new facts, so a cycle without them compares none
        # of the floor's facts (a copy, as `_facts` is, is never the same object).
        self._facts_given: Mapping[str, ExtensionFacts] | None = None
        self._queue_list: Sequence[Queue] | None = None
        self._known: dict[str, Queue] = {}
        self._scope: list[str] | None = None
        self._shown: list[str] = []
        self._queues: dict[str, QueueView] = {}
        self._views: tuple[QueueView, ...] = ()
        self._counted = _FloorCount()

    # ------------------------------------------------------------------ what it keeps

    @property
    def counts(self) -> Mapping[AgentState, int]:
        """People of the last build by state, each extension once in its most pressing
        state: `floor_totals`'s counts."""
        return self._counted.count

    @property
    def calls_in_progress(self) -> int:
        """Calls ringing or talking on the last build's agents: `floor_totals`'s."""
        return len(self._counted.calls)

    @property
    def live_numbers(self) -> LiveNumbers:
        """`live_numbers` of the last build: the same object while it did not change."""
        return self._counted.live_numbers()

    def totals(
        self,
        today: CallFigures | None = None,
        *,
        recent_drops: tuple[int, int] = (0, 0),
        scoped: bool = False,
        trend: Trend | None = None,
    ) -> FloorTotals:
        """`floor_totals` of the last build's queues, from the counts kept."""
        return _totals(
            self._counted.count,
            len(self._counted.calls),
            today,
            recent_drops=recent_drops,
            scoped=scoped,
            trend=trend,
        )

    # ------------------------------------------------------------------ a build

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
        rows = agents if isinstance(agents, (list, tuple)) else list(agents)
        wanted = list(dict.fromkeys(name.strip() for name in scope or () if name.strip()))
        names = self._names
        renamed = names is not None and names.version != self._names_version
        if renamed or wanted != (self._scope or []) or not self._by_row:
            return self._build_all(rows, calls, queue_list, facts, taken_at, wanted, renamed)
        by_row, passed = self._by_row, self._passed
        last = self._rows
        if len(rows) == len(last) and len(by_row) + len(passed) == len(last):
            # Every row of the last answer known once, and as many rows: most answers hold
            # the same objects in the same places, so only the places that differ are
            # looked at (side by side, in C), not the floor.
            places = list(compress(range(len(rows)), map(is_not, rows, last)))
            came = {id(rows[at]): rows[at] for at in places}
            news = {row_id: row for row_id, row in came.items() if row_id not in by_row}
            for row_id in [row_id for row_id in news if row_id in passed]:
                del news[row_id]
            left = [id(last[at]) for at in places]
            gone = {row_id for row_id in left if row_id not in came and row_id in by_row}
            unseen = [row_id for row_id in left if row_id not in came and row_id in passed]
            # Rows gone, rows new: as many rows known as places, else a row came twice.
            twice = len(by_row) + len(passed) - len(gone) - len(unseen) + len(news) != len(rows)
        else:
            twice = True
        if twice:
            by_id = dict(zip(map(id, rows), rows, strict=True))
            if len(by_id) != len(rows):  # the same row object twice: as a whole
                return self._build_all(rows, calls, queue_list, facts, taken_at, wanted, False)
            news = {
                row_id: by_id[row_id] for row_id in by_id.keys() - by_row.keys() - passed.keys()
            }
            gone = by_row.keys() - by_id.keys()
            unseen = list(passed.keys() - by_id.keys())
        if 2 * len(news) > len(rows):  # most of the floor new: as a whole, it is no slower
            return self._build_all(rows, calls, queue_list, facts, taken_at, wanted, False)
        keep = set(wanted)
        arrived: dict[AgentKey, QueueAgent] = {}
        built = self._built
        for row in news.values():
            queue, extnumber = row.queuename.strip(), row.extnumber.strip()
            if not queue or not extnumber or (keep and queue not in keep):
                continue
            key = (queue, extnumber)
            held = built.get(key)
            if key in arrived or (held is not None and id(held.row) not in gone):
                # The same agent twice in one answer: the order of the rows decides.
                return self._build_all(rows, calls, queue_list, facts, taken_at, wanted, False)
            arrived[key] = row
        for row_id in unseen:
            del passed[row_id]
        self._rows = list(rows)
        return self._build_changes(news, gone, arrived, calls, queue_list, facts, taken_at)

    def _build_changes(
        self,
        news: dict[int, QueueAgent],
        gone: AbstractSet[int],
        arrived: dict[AgentKey, QueueAgent],
        calls: Mapping[str, CallRow],
        queue_list: Sequence[Queue],
        facts: Mapping[str, ExtensionFacts],
        taken_at: float,
    ) -> tuple[QueueView, ...]:
        """A cycle from what changed since the last: rows new and gone, readings and facts
        of other extensions, and the agents whose views move with the clock."""
        built, by_row, names = self._built, self._by_row, self._names
        members, of_extension, ticking = self._members, self._of_extension, self._ticking
        changed: set[str] = set()  # queues whose agents changed
        moved: set[str] = set()  # extensions whose views changed
        # Queues that lost a row with their longest wrap-up time: counted again.
        regrouped: set[str] = set()
        wrapups = self._wrapup
        passed = self._passed
        for row_id in gone:
            entry = by_row.pop(row_id)
            key = (entry.queue, entry.extnumber)
            if key in arrived:
                continue  # a new row of the same agent takes its place below
            del built[key]
            ticking.pop(id(entry), None)
            _drop(members, entry.queue, entry)
            _drop(of_extension, entry.extnumber, entry)
            changed.add(entry.queue)
            _lose_wrapup(regrouped, wrapups, entry)
            moved.add(entry.extnumber)
        fresh: set[int] = set()  # entries made this cycle: nothing more to look at
        for row_id, row in news.items():
            key = (row.queuename.strip(), row.extnumber.strip())
            if arrived.get(key) is not row:
                passed[row_id] = row
                continue
            queue, extnumber = key
            before = built.get(key)
            entry = _entry_of(row, key, before, calls, facts, taken_at, self.tz, names)
            built[key] = by_row[row_id] = entry
            fresh.add(id(entry))
            if before is not None:
                _swap(members[queue], before, entry)
                _swap(of_extension[extnumber], before, entry)
                ticking.pop(id(before), None)
            else:
                insort(members.setdefault(queue, []), entry, key=_order_of)
                of_extension.setdefault(extnumber, []).append(entry)
            _tick(ticking, entry)
            if before is not None and row.wrapuptime < _wrapup_of(before):
                _lose_wrapup(regrouped, wrapups, before)
            if row.wrapuptime > wrapups.get(queue, 0):
                wrapups[queue] = row.wrapuptime
            changed.add(queue)
            moved.add(extnumber)

        # Extensions whose call row is another object, or whose slow facts changed.
        again = self._other_calls(calls)
        if facts is not self._facts_given:
            self._facts_given = facts
            if facts != self._facts:
                known = self._facts
                again.update(ext for ext in known.keys() - facts.keys())
                again.update(
                    ext for ext, fact in facts.items() if _other_fact(known.get(ext), fact)
                )
                self._facts = dict(facts)
        # Those whose call row or facts changed (each extension's looked up once), and
        # those whose view moves with the clock (as they were before this cycle).
        clocked = [entry for entry_id, entry in ticking.items() if entry_id not in fresh]
        calls_of, facts_of = calls.get, facts.get
        talking, idle, wrapup, paused = (
            AgentState.TALKING,
            AgentState.IDLE,
            AgentState.WRAPUP,
            AgentState.PAUSED,
        )
        for extnumber in again:
            entries = of_extension.get(extnumber)
            if entries is None:
                continue
            call, fact = calls_of(extnumber), facts_of(extnumber)
            reading = call if isinstance(call, CallReading) else None
            for entry in entries:
                entry_id = id(entry)
                if entry_id in fresh or entry_id in ticking:
                    continue
                view = entry.view
                # Most come here with a new reading of the same call (the same state object)
                # and the same facts: `_again` in short for a talking agent whose start moved
                # by less than SINCE_TOLERANCE, and for states the server gives no start of.
                if reading is not None and reading.state is entry.call and fact is entry.facts:
                    state = view.state
                    if state is talking and not view.at_least:
                        talk = reading.callduration
                        if talk is not None:
                            read_at = reading.read_at
                            if read_at is not None and taken_at > read_at:
                                talk += int(taken_at - read_at)  # as `durations_at`
                            off = view.since - (taken_at - talk if talk > 0 else taken_at)
                            if -SINCE_TOLERANCE < off < SINCE_TOLERANCE:
                                entry.reading = reading
                                continue
                    elif (  # states whose start the server never says (`_derived_since`)
                        state is not talking
                        and state is not idle
                        and state is not wrapup
                        and state is not paused
                    ):
                        entry.reading = reading  # no start from the server: kept
                        continue
                if _bring_up_to_date(entry, call, fact, taken_at, names):
                    # As `_tick`: not ticking before, so not in wrap-up if the view is the same.
                    if call is None or (entry.view is not view and entry.view.state is wrapup):
                        ticking[entry_id] = entry
                    if entry.view is not view:
                        changed.add(entry.queue)
                        moved.add(extnumber)
        for entry in clocked:
            view = entry.view
            extnumber = entry.extnumber
            call = calls_of(extnumber)
            if (
                call is entry.reading
                and entry.quiet_from <= taken_at < entry.quiet_until
                and facts_of(extnumber) is entry.facts
            ):
                continue  # the same reading, the wrap-up still running: nothing moves
            _bring_up_to_date(entry, call, facts_of(extnumber), taken_at, names)
            _tick(ticking, entry)
            if entry.view is not view:
                changed.add(entry.queue)
                moved.add(extnumber)

        for queue in regrouped:
            longest = 0
            for entry in members.get(queue, ()):
                if entry.row is not None and entry.row.wrapuptime > longest:
                    longest = entry.row.wrapuptime
            if queue in members:
                wrapups[queue] = longest
            else:
                wrapups.pop(queue, None)
        counted = self._counted
        for extnumber in moved:
            counted.person(extnumber, of_extension.get(extnumber, ()))
        return self._panels(queue_list, changed, everything=False)

    def _other_calls(self, calls: Mapping[str, CallRow]) -> set[str]:
        """The extensions whose call row is not the object of the last build (or is new, or
        gone), and the rows kept for the next. The rows go by identity: a poller hands the
        same reading again for the extensions it did not read. Most cycles list the same
        extensions in the same order, and then the rows are compared side by side."""
        order, rows = list(calls), list(calls.values())
        if order == self._call_order:
            again = set(compress(order, map(is_not, rows, self._call_rows)))
            order = self._call_order
        else:
            last = dict(zip(self._call_order, self._call_rows, strict=True))
            again = set(calls.keys() ^ last.keys())
            again.update(e for e, call in calls.items() if e in last and last[e] is not call)
        self._call_order, self._call_rows = order, rows
        return again

    def _build_all(
        self,
        agents: Sequence[QueueAgent],
        calls: Mapping[str, CallRow],
        queue_list: Sequence[Queue],
        facts: Mapping[str, ExtensionFacts],
        taken_at: float,
        wanted: list[str],
        renamed: bool,
    ) -> tuple[QueueView, ...]:
        """A cycle from every row: the first, after the names or the scope changed, and
        whenever an answer holds the same agent twice (the last row counts)."""
        keep = set(wanted)
        last, last_by_row = self._built, self._by_row
        names, tz = self._names, self.tz
        if renamed and names is not None:
            self._names_version = names.version
            last_by_row = {}  # the names changed: every agent's view is built again
        built: dict[AgentKey, _Built] = {}
        by_row: dict[int, _Built] = {}
        passed: dict[int, QueueAgent] = {}
        for row in agents:
            entry = last_by_row.get(id(row))
            if entry is not None and entry.row is row:
                queue, extnumber = entry.queue, entry.extnumber
                if keep and queue not in keep:
                    passed[id(row)] = row
                    continue
                _bring_up_to_date(
                    entry, calls.get(extnumber), facts.get(extnumber), taken_at, names
                )
            else:
                queue = row.queuename.strip()
                extnumber = row.extnumber.strip()
                if not queue or not extnumber or (keep and queue not in keep):
                    passed[id(row)] = row
                    continue
                key = (queue, extnumber)
                entry = _entry_of(row, key, last.get(key), calls, facts, taken_at, tz, names)
            key = (queue, extnumber)
            twice = built.get(key)
            if twice is not None and twice.row is not None:
                # The same agent twice in one answer: the last row counts, and the first
                # is not known by its identity next time.
                by_row.pop(id(twice.row), None)
            built[key] = entry
            by_row[id(row)] = entry
        self._built, self._by_row, self._passed = built, by_row, passed
        self._scope = wanted
        self._rows = list(agents)

        # What the next cycles build on: every index made again.
        members: dict[str, list[_Built]] = {}
        of_extension: dict[str, list[_Built]] = {}
        ticking: dict[int, _Built] = {}
        wrapup: dict[str, int] = {}
        for entry in built.values():
            members.setdefault(entry.queue, []).append(entry)
            of_extension.setdefault(entry.extnumber, []).append(entry)
            _tick(ticking, entry)
            if entry.row is not None and entry.row.wrapuptime > wrapup.get(entry.queue, 0):
                wrapup[entry.queue] = entry.row.wrapuptime
        for entries in members.values():
            entries.sort(key=_order_of)
        self._members, self._of_extension, self._ticking = members, of_extension, ticking
        self._wrapup = wrapup
        self._call_order, self._call_rows = list(calls), list(calls.values())
        self._facts, self._facts_given = dict(facts), facts
        self._counted = _FloorCount()
        for extnumber, entries in of_extension.items():
            self._counted.person(extnumber, entries)
        return self._panels(queue_list, set(members), everything=True)

    def _panels(
        self, queue_list: Sequence[Queue], changed: set[str], *, everything: bool
    ) -> tuple[QueueView, ...]:
        """The queues shown, each made again only when its agents changed (or the queue
        list or which queues there are did): the same objects, and the same tuple, else."""
        if queue_list is not self._queue_list:
            self._queue_list = queue_list
            known = {q.queuename.strip(): q for q in queue_list if q.queuename.strip()}
            if known != self._known:
                self._known = known
                everything = True
        members, known, wanted = self._members, self._known, self._scope
        shown = (
            [n for n in wanted if n in known or n in members]
            if wanted
            else sorted({*known, *members})
        )
        if shown != self._shown:
            self._shown = shown
            everything = True
        if not changed and not everything:
            return self._views
        queues: dict[str, QueueView] = {}
        olds = self._queues
        for name in shown:
            old = olds.get(name)
            if old is not None and not everything and name not in changed:
                queues[name] = old
                continue
            info = known.get(name)
            remark, autocall = (info.remark, info.autocall) if info else ("", "")
            strategy = info.strategy if info else None
            wrapuptime = self._wrapup.get(name, 0)
            agents = tuple(map(_view_of, members.get(name, ())))
            if (
                old is not None
                and old.agents == agents  # (the same views, mostly: at once, in C)
                and old.wrapuptime == wrapuptime
                and old.remark == remark
                and old.autocall == autocall
                and old.strategy == strategy
            ):
                queues[name] = old  # nothing in the queue changed: the same object
                continue
            queues[name] = QueueView(name, remark, strategy, autocall, wrapuptime, agents)
        views = tuple(queues.values())
        self._queues = queues
        if len(views) != len(self._views) or any(
            a is not b for a, b in zip(views, self._views, strict=True)
        ):
            self._views = views
        return self._views


def _entry_of(
    row: QueueAgent,
    key: AgentKey,
    before: _Built | None,
    calls: Mapping[str, CallRow],
    facts: Mapping[str, ExtensionFacts],
    taken_at: float,
    tz: dt.tzinfo | None,
    names: AgentNames | None,
) -> _Built:
    """A new row's entry, its view built from the row (and the agent's last view, which
    says since when it is in its state)."""
    queue, extnumber = key
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
    return _Built(queue, extnumber, row, _call_fields(call), fact, view, order, changed_at, call)


def _order_of(entry: _Built) -> tuple[int, int, str]:
    return entry.order


_view_of = attrgetter("view")  # an entry's view, read in C


def _wrapup_of(entry: _Built) -> int:
    return entry.row.wrapuptime if entry.row is not None else 0


def _other_fact(was: ExtensionFacts | None, fact: ExtensionFacts | None) -> bool:
    """Facts that say something else (a new object that says the same is no change)."""
    return was is not fact and was != fact


def _lose_wrapup(regrouped: set[str], wrapups: dict[str, int], entry: _Built) -> None:
    """An entry's row leaves its queue: the queue's longest wrap-up time is counted again
    if it may have been that row's."""
    if entry.row is not None and 0 < entry.row.wrapuptime >= wrapups.get(entry.queue, 0):
        regrouped.add(entry.queue)


def _drop(index: dict[str, list[_Built]], name: str, entry: _Built) -> None:
    """Take the entry out of its queue's (or extension's) list; the list goes when empty."""
    entries = index[name]
    entries.remove(entry)  # (by identity: an entry equals itself only)
    if not entries:
        del index[name]


def _swap(entries: list[_Built], before: _Built, entry: _Built) -> None:
    """Put the agent's new entry in the place of its last (the same order)."""
    entries[entries.index(before)] = entry  # (by identity, in C)


def _tick(ticking: dict[int, _Built], entry: _Built) -> None:
    """Whether the entry's view can change with the clock alone: in wrap-up (it runs out),
    or without a call state (its start may be a checked-in time still ahead)."""
    if entry.view.state is AgentState.WRAPUP or entry.reading is None:
        ticking[id(entry)] = entry
    else:
        ticking.pop(id(entry), None)


def _bring_up_to_date(
    entry: _Built,
    call: CallRow | None,
    fact: ExtensionFacts | None,
    taken_at: float,
    names: AgentNames | None,
) -> bool:
    """The entry of an unchanged queue row brought up to date with this cycle's call row
    and facts; False when there was nothing to look at (the very reading and facts of last
    time, not in wrap-up)."""
    known = entry.facts
    same_facts = fact is known or fact == known
    if same_facts:
        entry.facts = fact  # equal facts: keep the new object
        if call is not None and call is entry.reading and entry.view.state is not AgentState.WRAPUP:
            return False  # the very reading and row of last time: only a wrap-up runs out
    row = entry.row
    assert row is not None  # only entries of rows are brought up to date
    if not same_facts or not _again(entry, row, call, taken_at):
        _rebuild(entry, row, call, fact, taken_at, names)
    entry.reading = call
    if entry.view.state is AgentState.WRAPUP and isinstance(call, CallReading):
        _quieten(entry, call, row.wrapuptime, taken_at)
    else:
        entry.quiet_until = _NEVER
    return True


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
    remains is the time in state, computed as `agent_view` computes it (`durations_at` and
    `_derived_since`, written out here: some hundreds of agents a cycle come this way, most
    with a new reading of the same call whose start moved by less than SINCE_TOLERANCE).
    """
    known = entry.call
    if isinstance(call, CallReading):
        if call.state is not known:  # the client hands back the same object when unchanged
            return False
        idle, talk, read_at = call.idleduration, call.callduration, call.read_at
        if read_at is not None and taken_at > read_at:  # as `durations_at`
            passed = int(taken_at - read_at)
            if passed:
                if idle is not None:
                    idle += passed
                if talk is not None:
                    talk += passed
    elif call is None:
        if known is not None:
            return False
        idle = talk = None
    elif (
        not isinstance(known, tuple)
        or call.status != known[0]
        or call.callee != known[2]
        or call.caller != known[1]
        or call.disnumber != known[3]
    ):
        return False
    else:
        idle, talk = call.idleduration, call.callduration
    view = entry.view
    state = view.state
    # As `_derived_since`, with the state unchanged.
    if state is AgentState.TALKING:
        if talk is None:
            return True
        derived = taken_at - talk if talk > 0 else taken_at
    elif state is AgentState.IDLE or state is AgentState.WRAPUP:
        wrapuptime = row.wrapuptime
        if idle is not None and wrapuptime > 0 and 0 <= idle < wrapuptime:  # `in_wrapup`
            if state is not AgentState.WRAPUP:
                return False
        elif state is not AgentState.IDLE:
            return False
        changed_at = entry.changed_at
        if idle is None:  # checked in (1218): available since the check-in
            if changed_at is None or view.queue_code not in CHANGE_TIMED:
                return True
            derived = changed_at
        else:
            if idle < 0:
                idle = 0
            if state is AgentState.IDLE and 0 < wrapuptime <= idle:
                idle -= wrapuptime  # idle began when the wrap-up ended
            derived = taken_at - idle
            if changed_at is not None and changed_at > derived:
                derived = changed_at  # back from a pause after the last call
    elif state is AgentState.PAUSED:
        derived = entry.changed_at  # type: ignore[assignment]
        if derived is None or view.queue_code not in CHANGE_TIMED:
            return True
    else:
        return True
    # As `state_since`: the last time kept unless the server's times say otherwise by
    # SINCE_TOLERANCE or more.
    if view.at_least or abs(view.since - derived) >= SINCE_TOLERANCE:
        entry.view = replace(view, since=min(derived, taken_at), at_least=False)
    return True


#: No moment: an entry that is never quiet.
_NEVER = float("-inf")


def _quieten(entry: _Built, call: CallReading, wrapuptime: int, taken_at: float) -> None:
    """When an agent in wrap-up, brought up to date with `call`, needs no look while the
    same reading is handed again: until its wrap-up runs out, and only if its start cannot
    move by SINCE_TOLERANCE meanwhile (`quiet_from` to `quiet_until`; never, else).

    From `read_at` on, the idle duration counted on is the one read plus the whole seconds
    passed, so the derived start stays within a second after `read_at - idleduration`;
    a start kept close enough to that second never moves. The bounds keep a tenth of a
    second to spare against rounding: near them the agent is looked at as before."""
    entry.quiet_until = _NEVER
    view = entry.view
    read_at, idle = call.read_at, call.idleduration
    if read_at is None or idle is None or view.at_least:
        return
    began = read_at - idle
    changed_at = entry.changed_at
    if changed_at is None or changed_at <= began:
        if not began - 0.9 < view.since < began + 1.9:
            return
    elif changed_at > began + 1.1:  # back from a pause after the call: since then
        if abs(view.since - changed_at) >= SINCE_TOLERANCE:
            return
    else:
        return
    entry.quiet_from = max(read_at, taken_at)
    entry.quiet_until = read_at + (wrapuptime - idle) - 0.01


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
    return _totals(count, len(calls), today, recent_drops=recent_drops, scoped=scoped, trend=trend)


def _totals(
    count: Mapping[AgentState, int],
    calls_in_progress: int,
    today: CallFigures | None,
    *,
    recent_drops: tuple[int, int],
    scoped: bool,
    trend: Trend | None,
) -> FloorTotals:
    """The header's figures from the people counted by state and the calls on the line."""
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
        calls_in_progress=calls_in_progress,
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


class _FloorCount:
    """The floor's people by state and its calls on the line, kept per extension: an
    extension's part is taken out and put back in whenever its views change, so that a
    cycle counts only what changed. The same figures as `floor_totals` and `live_numbers`
    over the builder's queues (the tests hold it)."""

    __slots__ = ("_live", "_numbers", "_on_line", "_parts", "_refs", "calls", "count")

    def __init__(self) -> None:
        self.count: dict[AgentState, int] = {state: 0 for state in AgentState}
        # Each call on the line (`floor_totals`'s key) with how many people are on it.
        self.calls: dict[tuple[str, str], int] = {}
        # Each extension's part: its most pressing state and the call it is on, if any.
        self._parts: dict[str, tuple[AgentState, tuple[str, str] | None]] = {}
        # Each extension's customers' numbers on the line (`phone_key`, talking), and each
        # number's (views, of which talking) over the floor.
        self._numbers: dict[str, tuple[tuple[str, bool], ...]] = {}
        self._refs: dict[str, list[int]] = {}
        # Each number on the line: whether an agent talks to the customer (`live_numbers`),
        # kept as `_refs` changes, and the last copy handed out (None: changed since).
        self._on_line: dict[str, bool] = {}
        self._live: dict[str, bool] | None = {}

    def person(self, extnumber: str, views: Iterable[_Built]) -> None:
        """Count the extension again from its entries (none: it left the floor)."""
        agents = [entry.view for entry in views]
        part: tuple[AgentState, tuple[str, str] | None] | None = None
        if agents:
            chosen = most_pressing(agents)
            state = chosen.state
            on_call = None
            if state in _ON_A_CALL:
                number = chosen.number
                on_call = ("number", number) if number else ("extension", extnumber)
            part = (state, on_call)
        old = self._parts.get(extnumber)
        if old != part:
            count, calls = self.count, self.calls
            if old is not None:
                count[old[0]] -= 1
                if old[1] is not None:
                    left = calls[old[1]] - 1
                    if left:
                        calls[old[1]] = left
                    else:
                        del calls[old[1]]
                del self._parts[extnumber]
            if part is not None:
                count[part[0]] += 1
                if part[1] is not None:
                    calls[part[1]] = calls.get(part[1], 0) + 1
                self._parts[extnumber] = part
        numbers = tuple(
            [
                (key, agent.state is AgentState.TALKING)
                for agent in agents
                if agent.number and agent.state in _ON_A_CALL
                for key in (_phone_key(agent.number),)
                if key
            ]
        )
        before = self._numbers.get(extnumber, ())
        if numbers == before:
            return
        refs, on_line = self._refs, self._on_line
        for key, talking in before:
            held = refs[key]
            held[0] -= 1
            held[1] -= talking
            if not held[0]:
                del refs[key]
                del on_line[key]
            else:
                on_line[key] = held[1] > 0
        for key, talking in numbers:
            counted = refs.get(key)
            if counted is None:
                counted = refs[key] = [0, 0]
            counted[0] += 1
            counted[1] += talking
            on_line[key] = counted[1] > 0
        if numbers:
            self._numbers[extnumber] = numbers
        else:
            del self._numbers[extnumber]
        self._live = None

    def live_numbers(self) -> dict[str, bool]:
        """The customers' numbers on the line (`live_numbers`): a new object only when they
        changed (a copy of those kept as they change, in C)."""
        if self._live is None:
            self._live = dict(self._on_line)
        return self._live


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
    have no finished call yet (they add to the numbers dialled); and its calls that ended
    but are not in the bills yet: to such numbers, and answered (`unbilled_*`)."""

    live: int = 0
    talking: int = 0
    first: int = 0
    unbilled_first: int = 0
    unbilled_answered: int = 0


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
    finished answered + talking now, each with the calls ended but not billed yet; the
    abandon rate and the drop budget over the bills' finished calls only; `trend` its
    calls of the day per 15 minutes."""
    live = live or CampaignLive()
    total = len(task.numbers)
    dialled = figures.dialled + live.first + live.unbilled_first
    return CampaignView(
        taskid=task.taskid,
        name=task.label,
        status=task.status,
        total=total,
        dialled=dialled,
        answered=figures.answered + live.talking + live.unbilled_answered,
        dropped=figures.dropped,
        remaining=max(0, total - dialled),
        abandon_rate=figures.abandon_rate,
        drop_budget=drop_budget(figures.answered, figures.dropped),
        assigned_to=task.assigned_to,
        live=live.live,
        talking=live.talking,
        live_first=live.first,
        unbilled_first=live.unbilled_first,
        unbilled_answered=live.unbilled_answered,
        trend=trend or Trend(),
    )


def order_campaigns(views: Iterable[CampaignView]) -> tuple[CampaignView, ...]:
    """Live campaigns first, then finished ones; otherwise in the registry's order."""
    listed = list(views)
    return tuple(
        [v for v in listed if v.status not in _FINISHED]
        + [v for v in listed if v.status in _FINISHED]
    )
