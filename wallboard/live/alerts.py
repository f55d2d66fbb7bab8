"""Alerts: the few things on a floor that must call a supervisor's attention, not just colour.

Colour on a tile or a campaign line is enough for someone watching; a supervisor on the phone
or across the room needs to be called, once, and to say "seen". This module decides when:
it reads each new `FloorSnapshot` and says which alerts were raised and which cleared since
the last one. It is pure: no screen, no file, no clock of its own. The screen shows the
alerts (a toast, a strip, the bell, a flash on the wall) and the caller writes the returned
events to the audit log.

The rules, in the order a supervisor scans (see `AlertRules` for the limits):

- a campaign's abandon rate at or past the amber limit (2.5%), red past the legal 3%;
- a campaign's abandon rate over the last 30 days (the US rule's window, from the history
  store) at or past 2.5% (amber) and 2.8% (red): the lines of the compliance add-ons, kept
  below 3% so that there is room to act;
- an agent paused past the red limit of the paused ramp;
- a queue that a running campaign dials for with no idle agent for a while;
- the server unreadable for a while;
- a campaign that ended.

Alerts latch, as alarm panels do: a raised alert stays until it is acknowledged, even if its
condition cleared meanwhile; an acknowledged alert whose condition is still true is not
raised again until the condition clears and comes back (or gets worse: amber to red). Each
alert has a stable key (rule and subject), so the screen and the audit log can follow it.

Time is the server's: a snapshot's `taken_at`. Only the "server unreadable" rule needs a
time the snapshot cannot give (a failed poll has no server time), so `Alerts.update` takes
`now`, the dashboard's clock in server time, for it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import compress
from operator import attrgetter, is_not
from typing import TypedDict

from wallboard.live.server_text import clean, seat_crmid
from wallboard.live.snapshot import (
    AgentState,
    AgentView,
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
    QueueView,
)
from wallboard.live.state_order import PRESSING_RANK


class AlertLevel(enum.IntEnum):
    """How pressing an alert is (ordered: red is worse than amber)."""

    AMBER = 1
    RED = 2

    @property
    def word(self) -> str:
        return self.name.lower()


class AlertRule(enum.Enum):
    """What an alert is about; the value is the first part of the alert's key."""

    ABANDON = "abandon"
    ABANDON_30D = "abandon-30d"
    PAUSED = "paused"
    NO_IDLE = "no-idle"
    UNREADABLE = "unreadable"
    ENDED = "ended"


class EventKind(enum.Enum):
    RAISED = "raised"
    CLEARED = "cleared"
    ACKNOWLEDGED = "acknowledged"


#: Campaigns that are dialling, or may be as far as this dashboard knows.
_DIALLING = frozenset({CampaignStatus.RUNNING, CampaignStatus.UNKNOWN})
#: Campaigns that cannot end any more (or never were).
_FINISHED = frozenset({CampaignStatus.OVER, CampaignStatus.MISSING})
SERVER = "server"  # the subject of the "server unreadable" alert


@dataclass(frozen=True, slots=True)
class AlertRules:
    """The `[alerts]` limits. Field names are the settings keys, so that the settings section
    can be turned into rules with `AlertRules(**section)`.

    `abandon_rate` is the legal limit (red when the rate is past it); `abandon_amber` the
    point where supervisors act (amber from it). `abandon_margin` is the hysteresis: an
    abandon alert goes down a level, or clears, only once the rate is that far below the
    limit, so that a rate wobbling around 2.5% with each bill does not ring every minute.
    `abandon_min_answered`: a rate over fewer answered calls is not judged.
    `abandon_30d_amber` and `abandon_30d_red`: the lines for the 30-day rate (the same
    hysteresis and minimum); a campaign without a 30-day figure (no history store) is not
    judged by them.
    `paused_after` is the paused ramp's red limit (`[thresholds] paused`, second figure).
    `no_idle_after`, `unreadable_after`: seconds a condition must last before it is raised.
    `clear_after`: seconds a queue must have an idle agent (or the server answer) before
    those alerts clear, so that one idle agent for one poll does not clear and re-raise.
    """

    abandon_amber: float = 0.025
    abandon_rate: float = 0.03
    abandon_margin: float = 0.002
    abandon_min_answered: int = 1
    abandon_30d_amber: float = 0.025
    abandon_30d_red: float = 0.028
    paused_after: float = 900.0
    no_idle_after: float = 60.0
    unreadable_after: float = 30.0
    clear_after: float = 10.0
    campaign_ended: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.abandon_amber <= self.abandon_rate <= 1.0:
            raise ValueError(
                "abandon_amber must be from 0 to abandon_rate, and abandon_rate at most 1 "
                f"(got {self.abandon_amber:g} and {self.abandon_rate:g})"
            )
        if not 0.0 <= self.abandon_30d_amber <= self.abandon_30d_red <= 1.0:
            raise ValueError(
                "abandon_30d_amber must be from 0 to abandon_30d_red, and abandon_30d_red at "
                f"most 1 (got {self.abandon_30d_amber:g} and {self.abandon_30d_red:g})"
            )
        if not 0.0 <= self.abandon_margin < 1.0:
            raise ValueError(f"abandon_margin must be from 0 to 1 (got {self.abandon_margin:g})")
        if self.abandon_min_answered < 1:
            raise ValueError("abandon_min_answered must be 1 or more")
        for name in ("paused_after", "no_idle_after", "unreadable_after", "clear_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more seconds")


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert as the screen shows it. `active`: its condition is true now (an alert
    whose condition cleared stays shown, inactive, until acknowledged)."""

    key: str
    rule: AlertRule
    subject: str  # taskid, extension, queue name, or SERVER
    level: AlertLevel
    text: str  # the supervisor's words, naming the campaign, agent or queue
    raised_at: float  # server time of the raise
    active: bool = True


class AuditFields(TypedDict):
    """Keyword arguments of `AuditLog.append` for one alert event."""

    action: str
    target: str
    outcome: str
    message: str
    details: dict[str, object]


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert raised, cleared or acknowledged, for the screen and the audit log."""

    kind: EventKind
    alert: Alert
    at: float  # server time

    def audit_fields(self) -> AuditFields:
        """`audit.append(**event.audit_fields())` records it (the engine writes nothing)."""
        alert = self.alert
        return {
            "action": "alert",
            "target": alert.key,
            "outcome": self.kind.value,
            "message": alert.text,
            "details": {
                "rule": alert.rule.value,
                "level": alert.level.word,
                "server_time": self.at,
            },
        }


@dataclass(frozen=True, slots=True)
class _Condition:
    """A rule that holds now, with what an alert about it says."""

    rule: AlertRule
    subject: str
    level: AlertLevel
    text: str

    @property
    def key(self) -> str:
        return alert_key(self.rule, self.subject)


def alert_key(rule: AlertRule, subject: str) -> str:
    """The stable key of a rule's alert about one subject: `abandon:T1`, `paused:1001`."""
    return f"{rule._value_}:{subject}"  # (the member's value, without `value`'s lookup)


class Alerts:
    """Keeps the floor's alerts from snapshot to snapshot.

    `update` takes each new snapshot and returns the events since the last one; `shown` is
    what the alerts strip lists (unacknowledged alerts, worst and oldest first).
    `names` maps an extension to the agent's name from the agents file, when there is one
    (else the queue's seat name is used).
    """

    def __init__(
        self, rules: AlertRules | None = None, *, names: Mapping[str, str] | None = None
    ) -> None:
        self.rules = rules or AlertRules()
        self.names: Mapping[str, str] = names or {}
        self._shown: dict[str, Alert] = {}  # raised, not acknowledged
        self._silenced: dict[str, AlertLevel] = {}  # acknowledged while true, at this level
        self._holding: dict[str, _Condition] = {}  # true now (with hysteresis)
        self._began: dict[str, float] = {}  # when a timed condition began
        self._fine_since: dict[str, float] = {}  # when a timed condition stopped holding
        self._seen_live: set[str] = set()  # campaigns seen not finished
        # Each dialling campaign's abandon condition with what it was made of (the figures
        # it says, the level held, the rules): most cycles change a campaign's calls in
        # progress, not its finished calls, and its words are not made again.
        self._abandon_made: dict[str, tuple[tuple[object, ...], _Condition | None]] = {}
        self._last = 0.0
        self._floor_read = _FloorRead()

    # ------------------------------------------------------------------ the public surface

    @property
    def shown(self) -> list[Alert]:
        """Unacknowledged alerts: red first, then by when they were raised."""
        return sorted(self._shown.values(), key=lambda a: (-a.level, a.raised_at, a.key))

    def get(self, key: str) -> Alert | None:
        return self._shown.get(key)

    def update(self, snapshot: FloorSnapshot, now: float | None = None) -> list[AlertEvent]:
        """Take a new snapshot; the alerts raised and cleared since the last one.

        `now` is the dashboard's clock in the server's time; it only matters while the
        server cannot be read (then the snapshot's time is that of the last good data).
        Stale data neither raises nor clears alerts about the floor: it is not news.
        """
        at = max(snapshot.taken_at, now if now is not None else snapshot.taken_at)
        self._last = at
        if snapshot.stale:  # the floor's conditions hold as they were
            holding = {k: c for k, c in self._holding.items() if c.rule is not AlertRule.UNREADABLE}
        else:
            holding = {c.key: c for c in self._floor(snapshot)}
        unreadable = self._unreadable(snapshot, at)
        if unreadable is not None:
            holding[unreadable.key] = unreadable
        return self._settle(holding, at)

    def acknowledge(self, key: str, at: float | None = None) -> AlertEvent | None:
        """The supervisor saw the alert: it leaves the strip. Still true, it stays silent
        until its condition clears and comes back. None when no such alert is shown."""
        alert = self._shown.pop(key, None)
        if alert is None:
            return None
        held = self._holding.get(key)
        if held is not None:
            self._silenced[key] = held.level
        return AlertEvent(EventKind.ACKNOWLEDGED, alert, self._last if at is None else at)

    def acknowledge_all(self, at: float | None = None) -> list[AlertEvent]:
        events = [self.acknowledge(alert.key, at) for alert in self.shown]
        return [event for event in events if event is not None]

    # ------------------------------------------------------------------ raising and clearing

    def _settle(self, holding: dict[str, _Condition], at: float) -> list[AlertEvent]:
        events: list[AlertEvent] = []
        before, self._holding = self._holding, holding
        for key, condition in holding.items():
            shown = self._shown.get(key)
            if shown is not None:
                if shown.active and condition.level <= shown.level and condition.text == shown.text:
                    continue  # shown as it is: most alerts, most cycles
                worse = condition.level > shown.level
                self._shown[key] = replace(
                    shown,
                    level=max(shown.level, condition.level),
                    text=condition.text,
                    active=True,
                    raised_at=at if worse else shown.raised_at,
                )
                if worse:
                    events.append(AlertEvent(EventKind.RAISED, self._shown[key], at))
                continue
            silenced = self._silenced.get(key)
            if silenced is not None and condition.level <= silenced:
                continue  # acknowledged and still true, no worse
            self._silenced.pop(key, None)
            alert = Alert(
                key, condition.rule, condition.subject, condition.level, condition.text, at
            )
            self._shown[key] = alert
            events.append(AlertEvent(EventKind.RAISED, alert, at))
        for key, was in before.items():
            if key in holding:
                continue
            self._silenced.pop(key, None)
            shown = self._shown.get(key)
            if shown is not None:
                self._shown[key] = replace(shown, active=False)
            events.append(
                AlertEvent(EventKind.CLEARED, self._shown.get(key) or _alert(was, at), at)
            )
        return events

    # ------------------------------------------------------------------ the rules

    def _unreadable(self, snapshot: FloorSnapshot, at: float) -> _Condition | None:
        key = alert_key(AlertRule.UNREADABLE, SERVER)
        rules = self.rules
        if snapshot.stale:
            self._fine_since.pop(key, None)
            since = self._began.setdefault(key, snapshot.taken_at)
            silent = at - since
            if silent >= rules.unreadable_after or key in self._holding:
                why = f": {snapshot.error}" if snapshot.error else ""
                return _Condition(
                    AlertRule.UNREADABLE,
                    SERVER,
                    AlertLevel.RED,
                    f"Server not answering for {_minutes(silent)}{why}",
                )
            return None
        self._began.pop(key, None)
        return self._still_holding(key, at)

    def _still_holding(self, key: str, at: float) -> _Condition | None:
        """A timed condition that stopped holding at `at`: kept for `clear_after` seconds."""
        held = self._holding.get(key)
        if held is None:
            self._fine_since.pop(key, None)
            return None
        fine = self._fine_since.setdefault(key, at)
        if at - fine >= self.rules.clear_after:
            del self._fine_since[key]
            return None
        return held

    def _floor(self, snapshot: FloorSnapshot) -> Iterable[_Condition]:
        at = snapshot.taken_at
        self._floor_read.take(snapshot.queues)
        yield from self._abandon(snapshot.campaigns)
        yield from self._abandon_30d(snapshot.campaigns)
        yield from self._paused(at)
        yield from self._no_idle(snapshot, at)
        if self.rules.campaign_ended:
            yield from self._ended_campaigns(snapshot.campaigns)

    def _abandon(self, campaigns: Iterable[CampaignView]) -> Iterable[_Condition]:
        made = self._abandon_made
        kept: dict[str, tuple[tuple[object, ...], _Condition | None]] = {}
        for view in campaigns:
            key = alert_key(AlertRule.ABANDON, view.taskid)
            held = self._holding.get(key)
            made_of = (
                view.status,
                view.finished_answered,
                view.abandon_rate,
                view.dropped,
                view.name,
                None if held is None else held.level,
                self.rules,
            )
            known = made.get(view.taskid)
            if known is not None and known[0] == made_of:
                condition = known[1]
            else:
                condition = self._abandon_of(view, held)
            kept[view.taskid] = (made_of, condition)
            if condition is not None:
                yield condition
        self._abandon_made = kept

    def _abandon_of(self, view: CampaignView, held: _Condition | None) -> _Condition | None:
        """A campaign's abandon rate against the amber and red limits (None: neither)."""
        rules = self.rules
        # The rate is over finished calls: so is the minimum, and so is what it says.
        finished = view.finished_answered
        if view.status not in _DIALLING or finished < rules.abandon_min_answered:
            return None
        rate = view.abandon_rate
        level: AlertLevel | None = None
        if rate > rules.abandon_rate:
            level = AlertLevel.RED
        elif rate >= rules.abandon_amber:
            level = AlertLevel.AMBER
        if held is not None:  # hysteresis: down a level only well below its limit
            margin = rules.abandon_margin
            if held.level is AlertLevel.RED and rate > rules.abandon_rate - margin:
                level = AlertLevel.RED
            elif level is None and rate >= rules.abandon_amber - margin:
                level = AlertLevel.AMBER
        if level is None:
            return None
        limit = rules.abandon_rate
        where = (
            f"past the {_percent(limit)} limit"
            if rate > limit
            else f"near the {_percent(limit)} limit"
        )
        return _Condition(
            AlertRule.ABANDON,
            view.taskid,
            level,
            f"Campaign {campaign_name(view)}: abandon rate {_percent(rate)}, {where} "
            f"({view.dropped} dropped of {finished} finished calls answered)",
        )

    def _abandon_30d(self, campaigns: Iterable[CampaignView]) -> Iterable[_Condition]:
        """The 30-day rate against its amber and red lines, with the same hysteresis."""
        rules = self.rules
        for view in campaigns:
            rate, answered = view.abandon_30d, view.answered_30d or 0
            if (
                view.status not in _DIALLING
                or rate is None
                or answered < rules.abandon_min_answered
            ):
                continue
            key = alert_key(AlertRule.ABANDON_30D, view.taskid)
            held = self._holding.get(key)
            red, amber = rules.abandon_30d_red, rules.abandon_30d_amber
            level: AlertLevel | None = None
            if rate >= red:
                level = AlertLevel.RED
            elif rate >= amber:
                level = AlertLevel.AMBER
            if held is not None:
                margin = rules.abandon_margin
                if held.level is AlertLevel.RED and rate >= red - margin:
                    level = AlertLevel.RED
                elif level is None and rate >= amber - margin:
                    level = AlertLevel.AMBER
            if level is None:
                continue
            line = red if level is AlertLevel.RED else amber
            held_for = view.counted_over_30d
            over = (
                f" (counted over {_minutes(held_for)})"
                if held_for is not None and held_for < 30 * 86400
                else ""
            )
            budget = "" if view.budget_30d is None else f"; {view.budget_30d} more drops fit"
            yield _Condition(
                AlertRule.ABANDON_30D,
                view.taskid,
                level,
                f"Campaign {campaign_name(view)}: 30-day abandon rate {_percent(rate)}{over}, "
                f"at the {_percent(line)} line ({view.dropped_30d or 0} dropped of "
                f"{answered} answered{budget})",
            )

    def _paused(self, at: float) -> Iterable[_Condition]:
        """People (an extension once, in its most pressing state, as `state_order.people`
        sees them) paused past the limit, with every queue they are in."""
        for view, queue_names in self._floor_read.paused_people(at, self.rules.paused_after):
            paused = at - view.since
            where = ", ".join(queue_names)
            yield _Condition(
                AlertRule.PAUSED,
                view.extnumber,
                AlertLevel.RED,
                f"{self.agent_label(view)} paused for {_minutes(paused)} (in {where})",
            )

    def _no_idle(self, snapshot: FloorSnapshot, at: float) -> Iterable[_Condition]:
        rules = self.rules
        dialling: dict[str, list[CampaignView]] = {}
        for view in snapshot.campaigns:
            if view.status is CampaignStatus.RUNNING and view.assigned_to:
                dialling.setdefault(view.assigned_to.strip(), []).append(view)
        for queue in snapshot.queues:
            key = alert_key(AlertRule.NO_IDLE, queue.name)
            campaigns = dialling.get(queue.name.strip())
            if not campaigns:  # nothing dials for it: nothing to starve
                self._began.pop(key, None)
                self._fine_since.pop(key, None)
                continue
            if self._floor_read.has_idle(queue):
                self._began.pop(key, None)
                held = self._still_holding(key, at)
                if held is not None:
                    yield held
                continue
            self._fine_since.pop(key, None)
            since = self._began.setdefault(key, at)
            if at - since < rules.no_idle_after and key not in self._holding:
                continue
            names = ", ".join(campaign_name(view) for view in campaigns)
            yield _Condition(
                AlertRule.NO_IDLE,
                queue.name,
                AlertLevel.AMBER,
                f"Queue {queue.name}: no idle agent for {_minutes(at - since)} "
                f"while campaign {names} dials",
            )

    def _ended_campaigns(self, campaigns: Iterable[CampaignView]) -> Iterable[_Condition]:
        for view in campaigns:
            if view.status not in _FINISHED:
                self._seen_live.add(view.taskid)
            elif view.status is CampaignStatus.OVER and view.taskid in self._seen_live:
                yield _Condition(
                    AlertRule.ENDED,
                    view.taskid,
                    AlertLevel.AMBER,
                    f"Campaign {campaign_name(view)} ended "
                    f"({view.dialled} dialled, {view.answered} answered, "
                    f"{view.dropped} dropped)",
                )

    # ------------------------------------------------------------------ words

    def agent_label(self, view: AgentView) -> str:
        """An agent by name and extension: "Alice Smith (1001)", or "extension 1001"."""
        name = clean(self.names.get(view.extnumber, "")) or seat_name(view)
        ext = clean(view.extnumber)
        return f"{name} ({ext})" if name else f"extension {ext}"


_EXTNUMBER = attrgetter("extnumber")
_STATE = attrgetter("state")
_PAUSED_RANK = PRESSING_RANK[AgentState.PAUSED]


@dataclass(frozen=True, slots=True)
class _QueueRead:
    """What the rules read of one queue: kept while the live model hands over the same
    `QueueView` object (it does for a queue none of whose rows changed)."""

    queue: QueueView
    extnumbers: tuple[str, ...]  # who is in it, in its order
    paused: tuple[AgentView, ...]  # its paused entries, in its order
    idle: bool  # someone in it is idle


def _read_again(was: _QueueRead, queue: QueueView) -> _QueueRead | None:
    """A queue read again from its last read, by the places whose agent view is another
    object (the live model keeps an unchanged agent's view): most of a queue's views are
    the same from one snapshot to the next. None when its length changed (read it whole)."""
    agents, before = queue.agents, was.queue.agents
    if len(agents) != len(before):
        return None
    places = list(compress(range(len(agents)), map(is_not, agents, before)))
    if not places:
        return _QueueRead(queue, was.extnumbers, was.paused, was.idle)
    extnumbers = was.extnumbers
    if any(agents[p].extnumber != before[p].extnumber for p in places):
        extnumbers = tuple(map(_EXTNUMBER, agents))
    paused_state, idle_state = AgentState.PAUSED, AgentState.IDLE
    paused = was.paused
    if any(agents[p].state is paused_state or before[p].state is paused_state for p in places):
        paused = tuple(a for a in agents if a.state is paused_state)
    if any(agents[p].state is idle_state for p in places):
        idle = True
    elif was.idle and not any(before[p].state is idle_state for p in places):
        idle = True  # its idle agents are where they were
    else:
        idle = idle_state in map(_STATE, agents)
    return _QueueRead(queue, extnumbers, paused, idle)


class _FloorRead:
    """The agent rows the paused and no-idle rules need, without a pass over every row of
    every snapshot: a floor of 2,000 agents changes a few dozen rows a second, and only the
    queues holding them are read again.

    A person is found paused from the paused entries alone: the first one met (queue order)
    of each extension is the person's view if none of their entries elsewhere is more
    pressing, which `_places` (where each extension is, rebuilt only when who is in which
    queue changes) answers in a few look-ups. The result is `state_order.people` filtered
    to the paused, in the same order and with the same queue names.
    """

    def __init__(self) -> None:
        self._reads: list[_QueueRead] = []
        self._queues: tuple[QueueView, ...] = ()
        self._places: dict[str, list[tuple[int, int]]] = {}  # ext -> (queue, row) in order
        self._idle: dict[int, bool] = {}  # id(queue) -> someone idle, for this snapshot

    def take(self, queues: tuple[QueueView, ...]) -> None:
        """Read a snapshot's queues: again only those that changed."""
        old = self._reads
        same_shape = len(old) == len(queues)
        moved = not same_shape
        reads: list[_QueueRead] = []
        for index, queue in enumerate(queues):
            if same_shape and old[index].queue is queue:
                reads.append(old[index])
                continue
            read = _read_again(old[index], queue) if same_shape else None
            if read is None:
                agents = queue.agents
                extnumbers = tuple(map(_EXTNUMBER, agents))
                states = tuple(map(_STATE, agents))
                paused = (
                    tuple(a for a in agents if a.state is AgentState.PAUSED)
                    if AgentState.PAUSED in states
                    else ()
                )
                read = _QueueRead(queue, extnumbers, paused, AgentState.IDLE in states)
            extnumbers = read.extnumbers
            if not moved and (
                old[index].extnumbers != extnumbers or old[index].queue.name != queue.name
            ):
                moved = True
            reads.append(read)
        self._reads, self._queues = reads, queues
        self._idle = {id(read.queue): read.idle for read in reads}
        if moved:
            places: dict[str, list[tuple[int, int]]] = {}
            for index, read in enumerate(reads):
                for row, ext in enumerate(read.extnumbers):
                    places.setdefault(ext, []).append((index, row))
            self._places = places

    def has_idle(self, queue: QueueView) -> bool:
        """Someone in the queue (one of the snapshot's, as taken) is idle."""
        idle = self._idle.get(id(queue))
        if idle is None:  # not a queue of the snapshot taken: read it now
            return any(agent.state is AgentState.IDLE for agent in queue.agents)
        return idle

    def paused_people(self, at: float, limit: float) -> list[tuple[AgentView, tuple[str, ...]]]:
        """Each person paused for `limit` seconds or more at `at`, once: the view of their
        most pressing state, and all their queues, in the order `state_order.people` gives
        (where each is first met)."""
        first: dict[str, AgentView] = {}
        for read in self._reads:
            for view in read.paused:
                first.setdefault(view.extnumber, view)
        queues, places = self._queues, self._places
        found: list[tuple[tuple[int, int], AgentView, tuple[str, ...]]] = []
        for ext, view in first.items():
            if at - view.since < limit:
                continue
            where = places[ext]
            if any(
                PRESSING_RANK[queues[index].agents[row].state] < _PAUSED_RANK
                for index, row in where
            ):
                continue  # on a call (or ringing) in another queue: not paused
            found.append((where[0], view, tuple(queues[index].name for index, _ in where)))
        found.sort(key=lambda item: item[0])
        return [(view, names) for _place, view, names in found]


def seat_name(view: AgentView) -> str:
    """The queue's seat name, unless it is the documents' `<crmid>_<ext>_<queue>` pattern,
    which only repeats the extension and queue."""
    return "" if seat_crmid(view) else clean(view.name)


def campaign_name(view: CampaignView) -> str:
    """A campaign by its name (the task id only when it has none)."""
    return clean(view.name) or clean(view.taskid)


def _alert(condition: _Condition, at: float) -> Alert:
    return Alert(
        condition.key, condition.rule, condition.subject, condition.level, condition.text, at
    )


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _minutes(seconds: float) -> str:
    total = max(0, int(seconds))
    if total < 120:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min"
    hours, minutes = divmod(total // 60, 60)
    if hours >= 48:
        days, hours = divmod(hours, 24)
        return f"{days} d {hours} h"
    return f"{hours} h {minutes:02d} min"


__all__ = [
    "SERVER",
    "Alert",
    "AlertEvent",
    "AlertLevel",
    "AlertRule",
    "AlertRules",
    "Alerts",
    "AuditFields",
    "EventKind",
    "alert_key",
    "campaign_name",
    "seat_name",
]
