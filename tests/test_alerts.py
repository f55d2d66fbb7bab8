"""The alerts engine on hand-made snapshots: each rule raises and clears, the hysteresis,
acknowledgement, and events the audit log can take as they are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from random import Random

import pytest

from wallboard.live.alerts import (
    AlertEvent,
    AlertLevel,
    AlertRule,
    AlertRules,
    Alerts,
    EventKind,
    alert_key,
)
from wallboard.live.audit import AuditLog
from wallboard.live.snapshot import (
    AgentState,
    AgentView,
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
    QueueView,
)
from wallboard.live.state_order import people

T0 = 1_767_600_000.0


def agent(
    ext: str,
    state: AgentState = AgentState.IDLE,
    *,
    queue: str = "sales",
    seconds: float = 30,
    name: str = "",
    at: float = T0,
) -> AgentView:
    return AgentView(
        extnumber=ext, queue=queue, name=name or f"Agent {ext}", state=state, since=at - seconds
    )


def campaign(
    answered: int = 200,
    dropped: int = 0,
    *,
    status: CampaignStatus = CampaignStatus.RUNNING,
    taskid: str = "T1",
    name: str = "Spring promo",
    assigned_to: str = "sales",
) -> CampaignView:
    return CampaignView(
        taskid=taskid,
        name=name,
        status=status,
        total=1000,
        dialled=answered + 50,
        answered=answered,
        dropped=dropped,
        remaining=1000 - answered - 50,
        abandon_rate=dropped / answered if answered else 0.0,
        drop_budget=0,
        assigned_to=assigned_to,
    )


def floor(
    agents: Sequence[AgentView] = (),
    campaigns: Sequence[CampaignView] = (),
    *,
    at: float = T0,
    stale: bool = False,
    error: str | None = None,
) -> FloorSnapshot:
    queues: dict[str, list[AgentView]] = {}
    for each in agents or [agent("1001", at=at)]:
        queues.setdefault(each.queue, []).append(each)
    return FloorSnapshot(
        taken_at=at,
        queues=tuple(QueueView(name=n, agents=tuple(a)) for n, a in queues.items()),
        campaigns=tuple(campaigns),
        stale=stale,
        error=error,
    )


def kinds(events: Sequence[AlertEvent]) -> list[tuple[str, str]]:
    return [(e.kind.value, e.alert.key) for e in events]


ABANDON = alert_key(AlertRule.ABANDON, "T1")


def test_the_minimum_counts_finished_calls_as_the_rate_does() -> None:
    """Calls being talked now are answered but not finished: the rate is over finished
    calls, and so is the minimum it is judged from."""
    from dataclasses import replace

    alerts = Alerts(AlertRules(abandon_min_answered=10))
    talking = replace(campaign(25, 3), talking=20, abandon_rate=3 / 5)  # 5 finished
    assert alerts.update(floor(campaigns=[talking])) == []
    finished = replace(campaign(30, 3), talking=20, abandon_rate=3 / 10)  # 10 finished
    (raised,) = alerts.update(floor(campaigns=[finished], at=T0 + 1))
    assert raised.alert.text.endswith("(3 dropped of 10 finished calls answered)")


def test_abandon_rate_raises_amber_at_2_5_and_red_past_3_percent() -> None:
    alerts = Alerts()
    assert alerts.update(floor(campaigns=[campaign(200, 4)])) == []  # 2.0%
    raised = alerts.update(floor(campaigns=[campaign(200, 5)], at=T0 + 1))  # 2.5%: amber
    assert kinds(raised) == [("raised", ABANDON)]
    alert = raised[0].alert
    assert alert.level is AlertLevel.AMBER and alert.raised_at == T0 + 1
    assert alert.text == (
        "Campaign Spring promo: abandon rate 2.5%, near the 3.0% limit "
        "(5 dropped of 200 finished calls answered)"
    )
    assert alerts.update(floor(campaigns=[campaign(200, 6)], at=T0 + 2)) == []  # 3.0%: not past
    worse = alerts.update(floor(campaigns=[campaign(201, 7)], at=T0 + 3))  # 3.5%: red
    assert kinds(worse) == [("raised", ABANDON)]
    assert worse[0].alert.level is AlertLevel.RED
    assert "abandon rate 3.5%, past the 3.0% limit" in worse[0].alert.text
    assert [a.key for a in alerts.shown] == [ABANDON]


def test_abandon_hysteresis_and_latching_until_acknowledged() -> None:
    alerts = Alerts(AlertRules(abandon_margin=0.002))
    alerts.update(floor(campaigns=[campaign(1000, 31)]))  # 3.1%: red
    # 2.9% is under the limit but within the margin: still red, nothing new.
    assert alerts.update(floor(campaigns=[campaign(1000, 29)], at=T0 + 1)) == []
    assert alerts.get(ABANDON) is not None and alerts.get(ABANDON).level is AlertLevel.RED  # type: ignore[union-attr]
    # 2.4% is under amber but within its margin: the alert holds.
    assert alerts.update(floor(campaigns=[campaign(1000, 24)], at=T0 + 2)) == []
    # 2.2% is well below: the condition clears, but the alert stays shown until seen.
    cleared = alerts.update(floor(campaigns=[campaign(1000, 22)], at=T0 + 3))
    assert kinds(cleared) == [("cleared", ABANDON)]
    shown = alerts.get(ABANDON)
    assert shown is not None and not shown.active and shown.level is AlertLevel.RED
    # Back over while still shown: it is active again, without a second raise (no bell).
    assert alerts.update(floor(campaigns=[campaign(1000, 26)], at=T0 + 4)) == []
    assert alerts.get(ABANDON).active  # type: ignore[union-attr]
    ack = alerts.acknowledge(ABANDON, at=T0 + 5)
    assert ack is not None and ack.kind is EventKind.ACKNOWLEDGED and ack.at == T0 + 5
    assert alerts.shown == []


def test_an_acknowledged_alert_stays_silent_until_it_clears_and_comes_back() -> None:
    alerts = Alerts()
    alerts.update(floor(campaigns=[campaign(1000, 26)]))  # amber
    assert alerts.acknowledge(ABANDON) is not None
    assert alerts.acknowledge(ABANDON) is None  # once
    assert alerts.update(floor(campaigns=[campaign(1000, 27)], at=T0 + 1)) == []  # still true
    assert alerts.shown == []
    # Worse than when it was seen: red is raised again.
    again = alerts.update(floor(campaigns=[campaign(1000, 35)], at=T0 + 2))
    assert kinds(again) == [("raised", ABANDON)] and again[0].alert.level is AlertLevel.RED
    alerts.acknowledge_all()
    assert kinds(alerts.update(floor(campaigns=[campaign(1000, 10)], at=T0 + 3))) == [
        ("cleared", ABANDON)
    ]
    assert alerts.shown == []  # seen and cleared: gone
    back = alerts.update(floor(campaigns=[campaign(1000, 26)], at=T0 + 4))
    assert kinds(back) == [("raised", ABANDON)]


def test_no_rate_over_nothing_and_no_alert_for_a_paused_or_finished_campaign() -> None:
    alerts = Alerts(AlertRules(abandon_min_answered=20, campaign_ended=False))
    assert alerts.update(floor(campaigns=[campaign(10, 5)])) == []  # 50% of too few
    assert alerts.update(floor(campaigns=[campaign(0, 0)])) == []
    for status in (CampaignStatus.PAUSED, CampaignStatus.OVER, CampaignStatus.NOT_STARTED):
        assert alerts.update(floor(campaigns=[campaign(100, 9, status=status)])) == []
    assert kinds(alerts.update(floor(campaigns=[campaign(100, 9)]))) == [("raised", ABANDON)]
    # Pausing the campaign is the remedy: the condition clears.
    paused = campaign(100, 9, status=CampaignStatus.PAUSED)
    assert kinds(alerts.update(floor(campaigns=[paused]))) == [("cleared", ABANDON)]


def test_an_agent_paused_past_the_red_limit_counts_from_their_since() -> None:
    alerts = Alerts(AlertRules(paused_after=900), names={"1002": "Bob Stone"})
    bob = agent("1002", AgentState.PAUSED, seconds=899)
    assert alerts.update(floor([agent("1001"), bob])) == []
    # One second later by the server's clock, the same `since`: past the limit.
    later = T0 + 1
    raised = alerts.update(floor([agent("1001", at=later), bob], at=later))
    key = alert_key(AlertRule.PAUSED, "1002")
    assert kinds(raised) == [("raised", key)]
    assert raised[0].alert.level is AlertLevel.RED
    assert raised[0].alert.text == "Bob Stone (1002) paused for 15 min (in sales)"
    # A dashboard that starts late sees the same: time in state is from `since`.
    fresh = Alerts(AlertRules(paused_after=900))
    assert kinds(fresh.update(floor([bob], at=T0 + 3600)))[0] == ("raised", key)
    assert "Agent 1002 (1002) paused for 1 h 14 min" in fresh.shown[0].text
    back = agent("1002", AgentState.IDLE, seconds=0, at=later + 5)
    assert kinds(alerts.update(floor([back], at=later + 5))) == [("cleared", key)]


def test_an_agent_in_two_queues_is_one_person_in_their_most_pressing_state() -> None:
    alerts = Alerts(AlertRules(paused_after=60))
    in_sales = agent("1003", AgentState.PAUSED, seconds=600, name="1_1003_sales")
    talking = agent("1003", AgentState.TALKING, queue="support", seconds=5)
    assert alerts.update(floor([in_sales, talking])) == []  # on a call: not paused
    paused_too = replace(talking, state=AgentState.PAUSED, since=T0 - 300)
    raised = alerts.update(floor([in_sales, paused_too], at=T0 + 1))
    assert len(raised) == 1
    # The seat name repeats extension and queue: the agent is named by extension.
    assert raised[0].alert.text.startswith("extension 1003 paused for 10 min (in sales, support)")
    persons = people(floor([in_sales, paused_too]).queues)
    assert [(view.extnumber, names) for view, names in persons] == [("1003", ("sales", "support"))]


def test_a_queue_with_a_running_campaign_and_no_idle_agent() -> None:
    alerts = Alerts(AlertRules(no_idle_after=60, clear_after=10))
    busy = [agent("1001", AgentState.TALKING), agent("1002", AgentState.PAUSED)]
    key = alert_key(AlertRule.NO_IDLE, "sales")
    dials = [campaign(100, 0)]
    assert alerts.update(floor(busy, dials)) == []
    assert alerts.update(floor(busy, dials, at=T0 + 59)) == []
    raised = alerts.update(floor(busy, dials, at=T0 + 60))
    assert kinds(raised) == [("raised", key)]
    assert raised[0].alert.text == (
        "Queue sales: no idle agent for 60 s while campaign Spring promo dials"
    )
    # One idle agent for one poll does not clear it; idle agents for `clear_after` do.
    idle = [agent("1001", AgentState.IDLE), busy[1]]
    assert alerts.update(floor(idle, dials, at=T0 + 61)) == []
    assert alerts.update(floor(busy, dials, at=T0 + 62)) == []
    assert alerts.update(floor(idle, dials, at=T0 + 63)) == []
    assert kinds(alerts.update(floor(idle, dials, at=T0 + 73))) == [("cleared", key)]
    # No campaign dials for the queue (paused, or for another queue): no alert at all.
    other = [campaign(100, 0, assigned_to="support")]
    quiet = Alerts(AlertRules(no_idle_after=0))
    assert quiet.update(floor(busy, other)) == []
    assert quiet.update(floor(busy, [campaign(100, 0, status=CampaignStatus.PAUSED)])) == []


def test_the_server_unreadable_for_a_while_uses_the_callers_server_clock() -> None:
    alerts = Alerts(AlertRules(unreadable_after=30, clear_after=10))
    good = floor()
    key = alert_key(AlertRule.UNREADABLE, "server")
    assert alerts.update(good) == []
    stale = replace(good, stale=True, error="server unreachable")
    assert alerts.update(stale, now=T0 + 29) == []
    raised = alerts.update(stale, now=T0 + 30)
    assert kinds(raised) == [("raised", key)]
    assert raised[0].alert.level is AlertLevel.RED
    assert raised[0].alert.text == "Server not answering for 30 s: server unreachable"
    assert alerts.update(stale, now=T0 + 31) == []  # once
    back = floor(at=T0 + 40)
    assert alerts.update(back) == []  # answering again, not yet for long
    assert kinds(alerts.update(floor(at=T0 + 50))) == [("cleared", key)]
    assert alerts.get(key) is not None  # latched until acknowledged


def test_stale_data_neither_raises_nor_clears_floor_alerts() -> None:
    alerts = Alerts(AlertRules(paused_after=60, unreadable_after=3600))
    paused = floor([agent("1001", AgentState.PAUSED, seconds=120)])
    assert len(alerts.update(paused)) == 1
    idle_but_stale = replace(floor([agent("1001")], at=T0 + 5), stale=True)
    assert alerts.update(idle_but_stale, now=T0 + 10) == []
    assert alerts.get(alert_key(AlertRule.PAUSED, "1001")).active  # type: ignore[union-attr]
    fresh = Alerts(AlertRules(paused_after=60, unreadable_after=3600))
    assert fresh.update(replace(paused, stale=True), now=T0 + 1) == []


def test_a_campaign_seen_running_that_ends_raises_once() -> None:
    alerts = Alerts()
    key = alert_key(AlertRule.ENDED, "T1")
    over = campaign(180, 2, status=CampaignStatus.OVER)
    assert alerts.update(floor(campaigns=[over])) == []  # ended before we looked: no news
    alerts = Alerts()
    assert alerts.update(floor(campaigns=[campaign(100, 1)])) == []
    raised = alerts.update(floor(campaigns=[over], at=T0 + 1))
    assert kinds(raised) == [("raised", key)]
    assert (
        raised[0].alert.text == "Campaign Spring promo ended (230 dialled, 180 answered, 2 dropped)"
    )
    alerts.acknowledge(key)
    assert alerts.update(floor(campaigns=[over], at=T0 + 2)) == []
    assert Alerts(AlertRules(campaign_ended=False)).update(floor(campaigns=[over])) == []


def test_events_go_to_the_audit_log_as_they_are(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", clock=lambda: T0, user="sup")
    alerts = Alerts()
    for event in alerts.update(floor(campaigns=[campaign(100, 4, name="Winter\x1b[31m")])):
        log.append(**event.audit_fields())
    for event in alerts.acknowledge_all(at=T0 + 9):
        log.append(**event.audit_fields())
    raised, seen = log.entries()
    assert raised["action"] == "alert" and raised["outcome"] == "raised"
    assert raised["target"] == ABANDON and raised["level"] == "red"
    assert raised["message"] == (
        "Campaign Winter [31m: abandon rate 4.0%, past the 3.0% limit "
        "(4 dropped of 100 finished calls answered)"
    )
    assert seen["outcome"] == "acknowledged" and seen["server_time"] == T0 + 9


def test_the_strip_lists_red_first_then_oldest() -> None:
    alerts = Alerts(AlertRules(paused_after=60))
    alerts.update(floor(campaigns=[campaign(1000, 26)]))  # amber at T0
    alerts.update(
        floor(
            [agent("1001", AgentState.PAUSED, seconds=600, at=T0 + 5)],
            [campaign(1000, 26)],
            at=T0 + 5,
        )
    )
    assert [a.rule for a in alerts.shown] == [AlertRule.PAUSED, AlertRule.ABANDON]


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"abandon_amber": 0.04}, "abandon_amber must be from 0 to abandon_rate"),
        ({"abandon_rate": 1.5}, "abandon_rate at most 1"),
        ({"paused_after": -1}, "paused_after must be 0 or more"),
        ({"abandon_min_answered": 0}, "abandon_min_answered must be 1 or more"),
    ],
)
def test_rules_refuse_limits_that_make_no_sense(values: dict[str, float], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        AlertRules(**values)  # type: ignore[arg-type]


ABANDON_30D = alert_key(AlertRule.ABANDON_30D, "T1")


def with_month(
    view: CampaignView, answered: int, dropped: int, held: int = 30 * 86400
) -> CampaignView:
    return replace(
        view,
        abandon_30d=dropped / answered,
        answered_30d=answered,
        dropped_30d=dropped,
        budget_30d=max(0, answered * 3 // 100 - dropped),
        counted_over_30d=held,
    )


def test_the_30_day_rate_raises_amber_at_2_5_and_red_at_2_8_percent() -> None:
    alerts = Alerts()
    today = campaign(200, 0)  # today is fine: only the 30-day figure speaks
    assert alerts.update(floor(campaigns=[with_month(today, 1000, 24)])) == []
    raised = alerts.update(floor(campaigns=[with_month(today, 1000, 25)], at=T0 + 1))
    assert kinds(raised) == [("raised", ABANDON_30D)]
    assert raised[0].alert.level is AlertLevel.AMBER
    assert raised[0].alert.text == (
        "Campaign Spring promo: 30-day abandon rate 2.5%, at the 2.5% line "
        "(25 dropped of 1000 answered; 5 more drops fit)"
    )
    worse = alerts.update(floor(campaigns=[with_month(today, 1000, 28)], at=T0 + 2))
    assert kinds(worse) == [("raised", ABANDON_30D)] and worse[0].alert.level is AlertLevel.RED
    # A younger store says over how long the figure is counted.
    short = with_month(today, 1000, 29, held=52 * 3600)
    alerts.acknowledge_all()
    alerts.update(floor(campaigns=[replace(short, abandon_30d=0.0)], at=T0 + 3))
    again = alerts.update(floor(campaigns=[short], at=T0 + 4))
    assert "(counted over 2 d 4 h)" in again[0].alert.text


def test_the_30_day_lines_are_settable_and_need_a_figure() -> None:
    alerts = Alerts(AlertRules(abandon_30d_amber=0.01, abandon_30d_red=0.02))
    assert alerts.update(floor(campaigns=[campaign(200, 0)])) == []  # no store: no figure
    raised = alerts.update(floor(campaigns=[with_month(campaign(200, 0), 1000, 15)], at=T0 + 1))
    assert kinds(raised) == [("raised", ABANDON_30D)] and "at the 1.0% line" in raised[0].alert.text
    with pytest.raises(ValueError, match="abandon_30d_amber must be from 0 to abandon_30d_red"):
        AlertRules(abandon_30d_amber=0.03, abandon_30d_red=0.028)


def test_paused_people_are_found_as_state_order_finds_them_while_queues_change() -> None:
    """The paused rule reads again only the queues the live model handed over anew (an
    unchanged queue is the same object), and looks at a person's other queues only when
    they are paused: over many snapshots of people in several queues, changing a few rows
    at a time, joining and leaving, it raises for exactly the people `people` sees paused
    past the limit, in its order and with its queue names."""
    rules = AlertRules(paused_after=60)
    alerts = Alerts(rules)
    rng = Random(8)
    names = ["sales", "support", "retention", "billing"]
    states = list(AgentState)
    rows: dict[str, dict[str, AgentView]] = {name: {} for name in names}
    for ext in range(1000, 1040):
        for name in rng.sample(names, rng.choice([1, 1, 2, 3])):
            state = rng.choice(states)
            rows[name][str(ext)] = agent(str(ext), state, queue=name, seconds=rng.randint(0, 200))
    queues = {name: QueueView(name=name, agents=tuple(rows[name].values())) for name in names}
    for step in range(60):
        at = T0 + step
        changed = rng.sample(names, rng.randint(0, 2))
        for name in changed:
            for _ in range(rng.randint(1, 3)):
                ext = str(rng.randint(1000, 1044))
                if ext in rows[name] and rng.random() < 0.1:
                    del rows[name][ext]  # checked out of this queue
                else:
                    state = rng.choice(states)
                    rows[name][ext] = agent(
                        ext, state, queue=name, seconds=rng.randint(0, 90), at=at
                    )
            ordered = dict(sorted(rows[name].items()))
            rows[name] = ordered
            queues[name] = QueueView(name=name, agents=tuple(ordered.values()))
        snapshot = FloorSnapshot(taken_at=at, queues=tuple(queues.values()))
        alerts.update(snapshot)
        expected = [
            (view.extnumber, f"(in {', '.join(where)})")
            for view, where in people(snapshot.queues)
            if view.state is AgentState.PAUSED and at - view.since >= rules.paused_after
        ]
        held = [
            (alert.subject, alert.text[alert.text.index("(in ") :])
            for alert in alerts.shown
            if alert.rule is AlertRule.PAUSED and alert.active
        ]
        assert sorted(held) == sorted(expected)
        order = [c.subject for c in alerts._holding.values() if c.rule is AlertRule.PAUSED]
        assert order == [ext for ext, _where in expected]
