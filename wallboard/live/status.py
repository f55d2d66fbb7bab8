"""`wallboard status`: one snapshot of the floor as a document for scripts, or a short table.

Pure: a `FloorSnapshot` in, a `FloorStatus` out, then JSON-ready data (`as_json`) or text
(`as_table`), so that monitoring reads the same figures as the screen, and the formatting is
tested without a server.

The JSON document is a contract for scripts; keys are only ever added, never renamed:

    {
      "server_time": "2026-01-05 09:41:07",   # the data's moment, in the profile's tz
      "tz": "Asia/Shanghai",                  # the zone server_time is written in
      "age_seconds": 0.4,                     # how old the data was when printed
      "stale": false,                         # true: the server could not be read
      "error": null,                          # why not (one line), else null
      "today": {                              # the server's day, finished calls
        "answered": 120, "dropped": 3,        # null when there is no data (never 0 for it)
        "abandon_rate": 0.025,                # dropped / answered, null when nothing answered
        "dropped_15m": 0, "dropped_60m": 1,   # drops whose call ended in the last 15 / 60
                                              #   server minutes (to the minute)
        "all_queues": true                    # these figures are the whole account's, also
      },                                      #   under --queues (a bill names no queue)
      "calls_in_progress": 19,                # ringing and talking now (calls, not agents)
      "counts": {                             # agents by state (every state, 0 included):
        "floor": {"idle": 4, ...},            #   people, once each, in their most pressing
                                              #   state (an agent in two queues counts once)
        "queues": {"sales": {"idle": 3, ...}} #   each queue's members
      },
      "agents": [                             # one entry per agent and queue
        {"extnumber": "8001", "name": "Ann", "queue": "sales",
         "state": "paused",                   # idle, ringing, talking, wrap-up, paused,
                                              # missed, offline or disabled
         "seconds_in_state": 54,
         "at_least": true}                    # the server gives no start for this state:
      ],                                      #   the agent has been in it at least that long
      "campaigns": [                          # tracked predictive tasks, live ones first
        {"taskid": "2026...", "name": "Renewals", "status": "running",
                                              # not-started, running, paused, ended,
                                              # missing, unknown (ended: the server's
                                              # 1028 "task over")
         "dialled": 120,                      # numbers called, finished or in progress
         "answered": 40,                      # answered: finished, plus talking now
         "dropped": 1,                        # abandoned (finished calls)
         "live": 2,                           # its calls in progress (ringing or talking)
         "finished_dialled": 119,             # numbers with a finished call
         "finished_answered": 39,             # finished calls answered
         "abandon_rate": 0.0256,              # dropped / finished_answered (finished
                                              #   calls only); null: none answered
         "total": 500, "remaining": 380,      # its numbers, as far as this dashboard knows
         "abandon_24h": 0.021,                # the rules' windows, from the history store
         "abandon_30d": 0.027,                #   (null: no store, or none answered): the
         "budget_24h": 14, "budget_30d": 9,   #   rate over the last 24 h / 30 d and the
                                              #   drops still fitting under 3% of each
         "counted_hours_24h": 24.0,           # hours of each window the store holds (less
         "counted_hours_30d": 52.0,           #   than 24 / 720: "counted over N h")
         "strict_24h": 0.024,                 # with the 2-second test (an agent joining
         "strict_30d": null,                  #   after 2 s is a drop); null unless every
                                              #   call of the window was timed
         "rate_test": "simple"}               # what abandon_* count: "simple" (answered,
      ],                                      #   no agent); strict_* is the 2-second test
      "queues_shown": ["sales"]               # the --queues scope, null for all
    }

When the server cannot be read at all, the document has the same keys with `"stale": true`,
`"error"` saying why, null figures and empty lists (`failure_status`).

Where the figures come from is isolated in one small function each (`server_clock`,
`seconds_in_state`, `agent_at_least`, `campaign_live`, `today_known`), so that the
snapshot's server clock, the "at least" mark and the live calls per campaign are wired in
one place each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wallboard.live.snapshot import AgentState, AgentView, CampaignView, FloorSnapshot
from wallboard.live.state_order import STATE_ORDER

#: The states in the order a supervisor reads them, as their one-word names.
STATE_NAMES: tuple[str, ...] = tuple(state.value for state in STATE_ORDER)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: What the abandon rates count as a drop: answered with no agent (the bills' test). The
#: 2-second test's figures are beside them, as strict_24h / strict_30d.
RATE_TEST = "simple"


@dataclass(frozen=True, slots=True)
class AgentStatus:
    extnumber: str
    name: str
    queue: str
    state: str
    seconds_in_state: int
    at_least: bool


@dataclass(frozen=True, slots=True)
class CampaignStatusLine:
    taskid: str
    name: str
    status: str
    dialled: int
    answered: int
    dropped: int
    live: int | None
    abandon_rate: float | None
    total: int
    remaining: int
    finished_dialled: int = 0
    finished_answered: int = 0
    abandon_24h: float | None = None
    abandon_30d: float | None = None
    budget_24h: int | None = None
    budget_30d: int | None = None
    counted_hours_24h: float | None = None
    counted_hours_30d: float | None = None
    strict_24h: float | None = None
    strict_30d: float | None = None


@dataclass(frozen=True, slots=True)
class TodayFigures:
    answered: int | None = None
    dropped: int | None = None
    abandon_rate: float | None = None
    dropped_15m: int | None = None
    dropped_60m: int | None = None
    all_queues: bool = True


@dataclass(frozen=True, slots=True)
class FloorStatus:
    """What `wallboard status` reports: the snapshot reduced to plain figures."""

    server_time: str | None
    tz: str
    age_seconds: float | None
    stale: bool
    error: str | None
    today: TodayFigures
    calls_in_progress: int | None
    floor_counts: Mapping[str, int]
    queue_counts: Mapping[str, Mapping[str, int]]
    agents: tuple[AgentStatus, ...]
    campaigns: tuple[CampaignStatusLine, ...]
    queues_shown: tuple[str, ...] | None = None


# ---------------------------------------------------------------------- where figures come from


def server_clock(snapshot: FloorSnapshot) -> float:
    """The moment of the data on the server's clock (unix seconds): the live model puts
    `taken_at` on the server's clock, learnt from its answers' `reqtime`/`rsptime`."""
    return snapshot.server_time if snapshot.server_time is not None else snapshot.taken_at


def seconds_in_state(agent: AgentView, snapshot: FloorSnapshot) -> int:
    """Whole seconds the agent has been in its state at the moment of the data: `since` and
    `taken_at` are both on the server's clock."""
    return max(0, int(snapshot.taken_at - agent.since))


def agent_at_least(agent: AgentView) -> bool:
    """Whether the time in state is only a lower bound: the server gave no start for it
    (the live model marks each agent)."""
    return agent.at_least


def campaign_live(campaign: CampaignView) -> int | None:
    """The campaign's calls in progress (its customers ringing or talking to an agent)."""
    return campaign.live


def today_known(snapshot: FloorSnapshot) -> bool:
    """Whether the day's figures were read: a fresh snapshot whose bills are all counted
    (`bills_read`) and whose every read succeeded.

    A failed bills read leaves zeros in the totals, which must not be shown as figures; the
    snapshot only says that some read failed (`error`), so any failure counts here."""
    return not snapshot.stale and snapshot.bills_read and snapshot.error is None


# ---------------------------------------------------------------------- the status


def floor_status(
    snapshot: FloorSnapshot,
    *,
    now: float,
    tz: dt.tzinfo | None = None,
    queues_shown: Sequence[str] | None = None,
) -> FloorStatus:
    """The status of a snapshot that holds data, printed at `now` (this machine's clock)."""
    clock = server_clock(snapshot)
    totals = snapshot.totals
    floor_counts = {
        AgentState.IDLE.value: totals.idle,
        AgentState.RINGING.value: totals.ringing,
        AgentState.TALKING.value: totals.talking,
        AgentState.WRAPUP.value: totals.wrapup,
        AgentState.PAUSED.value: totals.paused,
        AgentState.MISSED.value: totals.missed,
        AgentState.OFFLINE.value: totals.offline,
        AgentState.DISABLED.value: totals.disabled,
    }
    queue_counts: dict[str, dict[str, int]] = {}
    agents: list[AgentStatus] = []
    for queue in snapshot.queues:
        members = dict.fromkeys(STATE_NAMES, 0)
        for agent in queue.agents:
            members[agent.state.value] += 1
            agents.append(
                AgentStatus(
                    extnumber=agent.extnumber,
                    name=agent.name,
                    queue=agent.queue,
                    state=agent.state.value,
                    seconds_in_state=seconds_in_state(agent, snapshot),
                    at_least=agent_at_least(agent),
                )
            )
        queue_counts[queue.name] = members
    if today_known(snapshot):
        today = TodayFigures(
            answered=totals.answered_today,
            dropped=totals.dropped_today,
            abandon_rate=_rate(totals.dropped_today, totals.answered_today),
            dropped_15m=totals.dropped_15m,
            dropped_60m=totals.dropped_60m,
        )
    else:
        today = TodayFigures()
    return FloorStatus(
        server_time=dt.datetime.fromtimestamp(clock, tz).strftime(TIME_FORMAT),
        tz=zone_name(tz, clock),
        age_seconds=round(snapshot.age(now), 1),
        stale=snapshot.stale,
        error=snapshot.error,
        today=today,
        calls_in_progress=totals.calls_in_progress,
        floor_counts=floor_counts,
        queue_counts=queue_counts,
        agents=tuple(agents),
        campaigns=tuple(_campaign(view) for view in snapshot.campaigns),
        queues_shown=tuple(queues_shown) if queues_shown else None,
    )


def failure_status(
    error: str,
    *,
    tz: dt.tzinfo | None = None,
    queues_shown: Sequence[str] | None = None,
) -> FloorStatus:
    """The status when the server could not be read: no figures, and why."""
    return FloorStatus(
        server_time=None,
        tz=zone_name(tz, None),
        age_seconds=None,
        stale=True,
        error=error,
        today=TodayFigures(),
        calls_in_progress=None,
        floor_counts={},
        queue_counts={},
        agents=(),
        campaigns=(),
        queues_shown=tuple(queues_shown) if queues_shown else None,
    )


def _campaign(view: CampaignView) -> CampaignStatusLine:
    return CampaignStatusLine(
        taskid=view.taskid,
        name=view.name,
        status=view.status.value.replace(" ", "-"),
        dialled=view.dialled,
        answered=view.answered,
        dropped=view.dropped,
        live=campaign_live(view),
        abandon_rate=_rate(view.dropped, view.finished_answered),
        total=view.total,
        remaining=view.remaining,
        finished_dialled=view.finished_dialled,
        finished_answered=view.finished_answered,
        abandon_24h=_rounded(view.abandon_24h),
        abandon_30d=_rounded(view.abandon_30d),
        budget_24h=view.budget_24h,
        budget_30d=view.budget_30d,
        counted_hours_24h=_hours(view.counted_over_24h),
        counted_hours_30d=_hours(view.counted_over_30d),
        strict_24h=_rounded(view.strict_24h),
        strict_30d=_rounded(view.strict_30d),
    )


def _rounded(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600.0, 1)


def _rate(dropped: int, answered: int) -> float | None:
    return None if answered <= 0 else round(dropped / answered, 4)


def zone_name(tz: dt.tzinfo | None, moment: float | None) -> str:
    """The zone's name: the IANA key, "UTC", or this machine's abbreviation."""
    if tz is not None:
        return str(tz)
    local = dt.datetime.fromtimestamp(moment if moment is not None else 0.0).astimezone()
    return local.tzname() or "local"


# ---------------------------------------------------------------------- JSON


def as_json(status: FloorStatus) -> dict[str, object]:
    """The documented JSON document (see the module's docstring)."""
    return {
        "server_time": status.server_time,
        "tz": status.tz,
        "age_seconds": status.age_seconds,
        "stale": status.stale,
        "error": status.error,
        "today": {
            "answered": status.today.answered,
            "dropped": status.today.dropped,
            "abandon_rate": status.today.abandon_rate,
            "dropped_15m": status.today.dropped_15m,
            "dropped_60m": status.today.dropped_60m,
            "all_queues": status.today.all_queues,
        },
        "calls_in_progress": status.calls_in_progress,
        "counts": {
            "floor": dict(status.floor_counts),
            "queues": {name: dict(counts) for name, counts in status.queue_counts.items()},
        },
        "agents": [
            {
                "extnumber": agent.extnumber,
                "name": agent.name,
                "queue": agent.queue,
                "state": agent.state,
                "seconds_in_state": agent.seconds_in_state,
                "at_least": agent.at_least,
            }
            for agent in status.agents
        ],
        "campaigns": [
            {
                "taskid": line.taskid,
                "name": line.name,
                "status": line.status,
                "dialled": line.dialled,
                "answered": line.answered,
                "dropped": line.dropped,
                "live": line.live,
                "finished_dialled": line.finished_dialled,
                "finished_answered": line.finished_answered,
                "abandon_rate": line.abandon_rate,
                "total": line.total,
                "remaining": line.remaining,
                "abandon_24h": line.abandon_24h,
                "abandon_30d": line.abandon_30d,
                "budget_24h": line.budget_24h,
                "budget_30d": line.budget_30d,
                "counted_hours_24h": line.counted_hours_24h,
                "counted_hours_30d": line.counted_hours_30d,
                "strict_24h": line.strict_24h,
                "strict_30d": line.strict_30d,
                "rate_test": RATE_TEST,
            }
            for line in status.campaigns
        ],
        "queues_shown": list(status.queues_shown) if status.queues_shown else None,
    }


# ---------------------------------------------------------------------- text


def as_table(status: FloorStatus, *, agents: bool = False) -> str:
    """A short table for a person at a terminal: the floor, its queues and campaigns (and
    each agent, with `agents`)."""
    if status.server_time is None:
        return f"no data: {status.error or 'the server could not be read'}\n"
    lines = [f"server time {status.server_time} {status.tz} · data {status.age_seconds:g} s old"]
    if status.queues_shown:
        lines.append(
            f"queues      {', '.join(status.queues_shown)} only (today's calls: all queues)"
        )
    if status.error:
        lines.append(f"warning     {status.error}")
    lines.append("today       " + _today_text(status.today))
    floor = " · ".join(f"{status.floor_counts.get(name, 0)} {name}" for name in STATE_NAMES)
    lines.append(f"floor       {floor}")
    lines.append(f"calls       {status.calls_in_progress} in progress")
    if status.queue_counts:
        width = max(12, *(len(name) + 2 for name in status.queue_counts))
        lines.append("")
        lines.append("queue".ljust(width) + " ".join(f"{name:>8}" for name in STATE_NAMES))
        for queue, counts in status.queue_counts.items():
            figures = " ".join(f"{counts.get(name, 0):>8}" for name in STATE_NAMES)
            lines.append(queue.ljust(width) + figures)
    if status.campaigns:
        lines.append("")
        lines.append(
            f"{'campaign':<24} {'status':<11} {'dialled':>8} {'answered':>8} "
            f"{'dropped':>8} {'live':>6} {'abandon':>8}"
        )
        for line in status.campaigns:
            live = "?" if line.live is None else str(line.live)
            lines.append(
                f"{_cut(line.name, 24):<24} {line.status:<11} {line.dialled:>8} "
                f"{line.answered:>8} {line.dropped:>8} {live:>6} {_percent(line.abandon_rate):>8}"
            )
        held = [line for line in status.campaigns if line.counted_hours_30d is not None]
        if held:
            lines.append("")
            lines.append(
                f"{'campaign':<24} {'24 h':>7} {'budget':>7} {'30 d':>7} {'budget':>7}  "
                "(abandon, simple test; strict in --json)"
            )
            for line in held:
                lines.append(
                    f"{_cut(line.name, 24):<24} {_percent(line.abandon_24h):>7} "
                    f"{_count(line.budget_24h):>7} {_percent(line.abandon_30d):>7} "
                    f"{_count(line.budget_30d):>7}{_counted_over(line)}"
                )
    if agents and status.agents:
        lines.append("")
        lines.append(f"{'ext':<8} {'name':<20} {'queue':<16} {'state':<9} {'in state':>9}")
        for agent in status.agents:
            shown = ("≥" if agent.at_least else "") + _duration(agent.seconds_in_state)
            lines.append(
                f"{agent.extnumber:<8} {_cut(agent.name, 20):<20} {_cut(agent.queue, 16):<16} "
                f"{agent.state:<9} {shown:>9}"
            )
    return "\n".join(lines) + "\n"


def _today_text(today: TodayFigures) -> str:
    if today.answered is None or today.dropped is None:
        return "no data (the bills could not be read)"
    recent = (
        f" · dropped {today.dropped_15m} in 15 min, {today.dropped_60m} in 60 min"
        if today.dropped_15m is not None and today.dropped_60m is not None
        else ""
    )
    return (
        f"answered {today.answered} · dropped {today.dropped} · "
        f"abandon {_percent(today.abandon_rate)} (finished calls){recent}"
    )


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _counted_over(line: CampaignStatusLine) -> str:
    """Where the store holds less than a window: over how long it was counted."""
    parts = [
        f"{name} over {hours:g} h"
        for name, hours, span in (
            ("24 h", line.counted_hours_24h, 24.0),
            ("30 d", line.counted_hours_30d, 720.0),
        )
        if hours is not None and hours < span
    ]
    return f"  ({', '.join(parts)})" if parts else ""


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


__all__ = [
    "RATE_TEST",
    "STATE_NAMES",
    "AgentStatus",
    "CampaignStatusLine",
    "FloorStatus",
    "TodayFigures",
    "agent_at_least",
    "as_json",
    "as_table",
    "campaign_live",
    "failure_status",
    "floor_status",
    "seconds_in_state",
    "server_clock",
    "today_known",
    "zone_name",
]
