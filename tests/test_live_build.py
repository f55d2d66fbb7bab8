"""Building the snapshot from API rows made by hand: agents, time in state, queues, totals,
and the campaigns' figures (abandon rate, drop budget)."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wallboard.api.call_states import CallStateCache
from wallboard.api.models import (
    Bill,
    Extension,
    ExtensionCallStatus,
    ExtensionRegistration,
    Queue,
    QueueAgent,
)
from wallboard.live.bills import CallFigures, NumberTally, campaign_figures, drop_budget
from wallboard.live.build import (
    CallReading,
    CampaignLive,
    ExtensionFacts,
    FloorBuilder,
    build_queues,
    campaign_live,
    campaign_view,
    campaigns_live,
    durations_at,
    extension_facts,
    floor_totals,
    live_numbers,
    number_owners,
    order_campaigns,
    server_moment,
)
from wallboard.live.campaigns import TrackedTask
from wallboard.live.names import AgentName, AgentNames
from wallboard.live.snapshot import AgentState, AgentView, CampaignStatus, QueueView

NOW = 1_767_603_600.0  # 2026-01-05 09:00:00 UTC


def agent(ext: str, queue: str = "q1", state: int = 1213, **fields: object) -> QueueAgent:
    return QueueAgent.model_validate(
        {"queuename": queue, "extnumber": ext, "seatsname": f"Agent {ext}", "state": state} | fields
    )


def call(ext: str, status: int = 1201, **fields: object) -> ExtensionCallStatus:
    return ExtensionCallStatus.model_validate({"extnumber": ext, "status": status} | fields)


def build(
    agents: list[QueueAgent],
    calls: Sequence[ExtensionCallStatus] = (),
    *,
    queues: Sequence[Queue] = (),
    facts: dict[str, ExtensionFacts] | None = None,
    previous: dict[tuple[str, str], AgentView] | None = None,
    scope: list[str] | None = None,
    taken_at: float = NOW,
) -> tuple[QueueView, ...]:
    return build_queues(
        agents,
        {c.extnumber: c for c in calls},
        list(queues),
        facts or {},
        taken_at=taken_at,
        previous=previous or {},
        scope=scope,
    )


def test_an_agent_tile_from_both_answers() -> None:
    (queue,) = build(
        [agent("1001", state=1215, callsanswered="7", noanswercount=2)],
        [call("1001", 1204, caller="1001", callee="13800000001", callduration="42")],
    )
    (tile,) = queue.agents
    assert tile.state is AgentState.TALKING
    assert (tile.extnumber, tile.queue, tile.name) == ("1001", "q1", "Agent 1001")
    assert tile.since == NOW - 42  # from the server's call duration
    assert tile.number == "13800000001"
    assert (tile.answered, tile.missed) == (7, 2)
    assert (tile.queue_code, tile.call_code) == (1215, 1204)


def test_the_customer_is_whichever_party_is_not_the_agent() -> None:
    (queue,) = build(
        [agent("1001", state=1214), agent("1002", state=1213)],
        [
            call("1001", 1202, caller="13900000009", callee="1001", disnumber="2190170001"),
            call("1002", 1201, caller="1002", callee="13800000001"),  # idle: no number shown
        ],
    )
    ringing, idle = queue.agents
    assert ringing.number == "13900000009"
    assert idle.number is None


def test_idle_and_wrapup_time_from_the_idle_duration() -> None:
    rows = [agent("1001", wrapuptime=30), agent("1002", wrapuptime=30)]
    (queue,) = build(rows, [call("1001", idleduration=10), call("1002", idleduration=100)])
    wrapup, idle = queue.agents
    assert (wrapup.state, wrapup.since) == (AgentState.WRAPUP, NOW - 10)
    assert (idle.state, idle.since) == (AgentState.IDLE, NOW - 70)  # idle since wrap-up ended
    assert queue.wrapuptime == 30


def test_time_in_state_is_kept_while_the_state_is_unchanged() -> None:
    (first,) = build([agent("1001", state=1217)], [call("1001")])
    assert first.agents[0].since == NOW  # first seen: now
    previous = {("q1", "1001"): first.agents[0]}
    (later,) = build(
        [agent("1001", state=1217)], [call("1001")], previous=previous, taken_at=NOW + 90
    )
    assert later.agents[0].since == NOW  # still paused: still since then
    (changed,) = build(
        [agent("1001", state=1213)], [call("1001")], previous=previous, taken_at=NOW + 95
    )
    assert changed.agents[0].since == NOW + 95  # idle now, no idle time given


def test_server_durations_do_not_make_the_time_jitter() -> None:
    (first,) = build([agent("1001", state=1215)], [call("1001", 1204, callduration=10)])
    previous = {("q1", "1001"): first.agents[0]}
    (later,) = build(
        [agent("1001", state=1215)],
        [call("1001", 1204, callduration=11)],  # 1.6 s later the server says 11 s
        previous=previous,
        taken_at=NOW + 1.6,
    )
    assert later.agents[0].since == first.agents[0].since
    (next_call,) = build(
        [agent("1001", state=1215)],
        [call("1001", 1204, callduration=2)],  # a new call began between two polls
        previous=previous,
        taken_at=NOW + 30,
    )
    assert next_call.agents[0].since == NOW + 28


def test_equal_facts_are_one_object() -> None:
    """The builder tells an extension whose facts did not change by identity: a slow read
    that says the same again hands it the same objects."""
    rows = [Extension(extnumber=ext, status=1016, register="reg") for ext in ("1001", "1002")]
    first, again = extension_facts(rows, []), extension_facts(list(rows), [])
    assert first["1001"] is first["1002"] is again["1001"]
    assert first["1001"] == ExtensionFacts(registered=True, enabled=True)


def test_slow_facts_make_agents_offline_or_disabled() -> None:
    facts = extension_facts(
        [
            Extension(extnumber="1001", status=1016, register="reg"),
            Extension(extnumber="1002", status=1013, register="reg"),
            Extension(extnumber="1003", status=1016, register="reg"),
        ],
        [ExtensionRegistration(extnumber="1003", code=1014)],  # the newer answer wins
    )
    assert facts["1002"] == ExtensionFacts(registered=True, enabled=False)
    assert facts["1003"] == ExtensionFacts(registered=False, enabled=True)
    (queue,) = build([agent("1001"), agent("1002"), agent("1003")], facts=facts)
    assert [a.state for a in queue.agents] == [
        AgentState.IDLE,
        AgentState.DISABLED,
        AgentState.OFFLINE,
    ]


def test_queues_in_order_with_agents_in_extension_order() -> None:
    rows = [agent("1010", "b"), agent("999", "b"), agent("1002", "a"), agent("1002", "a")]
    listed = [Queue(queuename="c", remark="empty", autocall="idle", strategy=1)]
    queues = build(rows, queues=listed)
    assert [q.name for q in queues] == ["a", "b", "c"]
    assert [a.extnumber for a in queues[1].agents] == ["999", "1010"]  # numeric order
    assert len(queues[0].agents) == 1  # a repeated row shows once
    assert (queues[2].remark, queues[2].autocall, queues[2].strategy, queues[2].agents) == (
        "empty",
        "idle",
        1,
        (),
    )


def test_scope_keeps_the_named_queues_in_the_given_order() -> None:
    rows = [agent("1", "a"), agent("2", "b"), agent("3", "c")]
    queues = build(rows, queues=[Queue(queuename="d")], scope=["c", "nope", "a", "d"])
    assert [q.name for q in queues] == ["c", "a", "d"]


def test_totals_count_each_extension_once() -> None:
    rows = [
        agent("1001", "a", 1215),
        agent("1001", "b", 1213),  # the same agent, in a second queue
        agent("1002", "a", 1214),
        agent("1003", "a", 1217),
        agent("1004", "a", 1213, wrapuptime=20),
        agent("1005", "a", 1212),
        agent("1006", "a", 1213),
        agent("1007", "a", 1213),
    ]
    calls = [
        call("1001", 1204),
        call("1004", idleduration=3),
        call("1006", 1014),
        call("1007", 1013),
    ]
    totals = floor_totals(build(rows, calls), CallFigures(dialled=50, answered=40, dropped=2))
    assert (totals.talking, totals.ringing, totals.paused, totals.wrapup) == (1, 1, 1, 1)
    assert (totals.missed, totals.offline, totals.disabled, totals.idle) == (1, 1, 1, 0)
    assert totals.calls_in_progress == 2
    assert (totals.answered_today, totals.dropped_today) == (40, 2)
    assert totals.abandon_rate == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("answered", "dropped", "budget"),
    [
        (0, 0, 0),
        (33, 0, 0),  # 3% of 33 is 0.99: not one drop fits yet
        (34, 0, 1),
        (100, 0, 3),
        (100, 1, 2),
        (100, 3, 0),
        (100, 5, 0),  # over the cap: no budget, never negative
        (1000, 29, 1),
        (2900, 0, 87),
    ],
)
def test_drop_budget(answered: int, dropped: int, budget: int) -> None:
    assert drop_budget(answered, dropped) == budget


def test_campaign_figures_from_the_bills_of_its_numbers() -> None:
    def bill(number: str, answered: bool, ext: str) -> Bill:
        return Bill(
            destnumber=number,
            extnumber=ext,
            answertime="2026-01-05 09:01:00" if answered else "",
            direction="callout",
        )

    by_number = {
        "13800000001": [bill("13800000001", True, "1001")],
        "13800000002": [bill("13800000002", True, "")],  # dropped
        "13800000003": [bill("13800000003", False, ""), bill("13800000003", True, "1002")],
        "13900000000": [bill("13900000000", True, "1001")],  # another campaign's number
    }
    numbers = ["138-0000-0001", "13800000002", "13800000003", "13800000004"]
    figures = campaign_figures(numbers, by_number)
    assert figures == CallFigures(dialled=3, answered=3, dropped=1)

    task = TrackedTask(
        "T1",
        name="spring",
        numbers=tuple(numbers),
        status=CampaignStatus.RUNNING,
        assigned_to="q1",
    )
    view = campaign_view(task, figures)
    assert (view.total, view.dialled, view.remaining, view.progress) == (4, 3, 1, 0.75)
    assert view.abandon_rate == pytest.approx(1 / 3)
    assert view.drop_budget == 0
    assert (view.name, view.assigned_to, view.status) == ("spring", "q1", CampaignStatus.RUNNING)
    unnamed = campaign_view(TrackedTask("T2"), CallFigures())
    assert (unnamed.name, unnamed.progress, unnamed.abandon_rate) == ("T2", 0.0, 0.0)


def test_finished_campaigns_come_last() -> None:
    views = [
        campaign_view(TrackedTask(taskid, status=status), CallFigures())
        for taskid, status in [
            ("a", CampaignStatus.OVER),
            ("b", CampaignStatus.RUNNING),
            ("c", CampaignStatus.MISSING),
            ("d", CampaignStatus.PAUSED),
        ]
    ]
    assert [v.taskid for v in order_campaigns(views)] == ["b", "d", "a", "c"]


_loose = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["1213", "1215", "1204", " 1001 ", "", "reg", "nreg", "abc"]),
)


@settings(deadline=None)  # a loaded machine must not fail it on time
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "queuename": st.sampled_from(["q1", "q2", "", None, 7]),
                "extnumber": st.sampled_from(["1001", "1002", " 1003", "", None, 1004]),
                "state": _loose,
                "status": _loose,
                "seatsname": _loose,
                "wrapuptime": _loose,
                "callsanswered": _loose,
            }
        ),
        max_size=8,
    ),
    calls=st.lists(
        st.fixed_dictionaries(
            {
                "extnumber": st.sampled_from(["1001", "1002", "1003", ""]),
                "status": _loose,
                "caller": _loose,
                "callee": _loose,
                "idleduration": _loose,
                "callduration": _loose,
            }
        ),
        max_size=5,
    ),
)
def test_drifting_types_never_break_the_build(
    rows: list[dict[str, object]], calls: list[dict[str, object]]
) -> None:
    agents = [QueueAgent.model_validate(row) for row in rows]
    queues = build(agents, [ExtensionCallStatus.model_validate(c) for c in calls])
    totals = floor_totals(queues)
    shown = {a.extnumber for q in queues for a in q.agents}
    assert "" not in shown
    assert sum(
        getattr(totals, s)
        for s in ("idle", "ringing", "talking", "wrapup", "paused", "offline", "disabled", "missed")
    ) == len(shown)


def test_calls_in_progress_counts_calls_not_phones() -> None:
    """A ring-all queue rings every agent for one customer: one call, however many phones
    ring. Agents on the same customer's call count once; one with no number known counts as
    a call of its own; an agent in two queues counts once."""
    rows = [
        agent("1001", "a", 1214),
        agent("1002", "a", 1214),
        agent("1003", "a", 1214),
        agent("1003", "b", 1214),  # the same phone, seen in a second queue
        agent("1004", "a", 1215),
        agent("1005", "a", 1214),
        agent("1006", "a", 1213),
    ]
    customer = {"caller": "02100000001", "callee": "13800000001"}
    calls = [
        call("1001", 1202, **customer),
        call("1002", 1202, **customer),
        call("1003", 1202, **customer),
        call("1004", 1204, caller="02100000001", callee="13900000002", callduration=30),
        call("1005", 1201),  # the queue says receiving; the phone gives no number yet
    ]
    totals = floor_totals(build(rows, calls))
    assert (totals.ringing, totals.talking, totals.idle) == (4, 1, 1)
    assert totals.calls_in_progress == 3


# ---------------------------------------------------------------------- the builder's memory

EXTENSIONS = ("1001", "1002", "1003", "1004")
QUEUE_CODES = (1212, 1213, 1214, 1215, 1217, 1218, None)
CALL_CODES = (1201, 1202, 1204, 1205, 1013, 1014, None)
#: seatschangetime: none, before the polls, a minute in, later than the polls, nonsense.
CHANGE_TIMES = ("", "2026-01-05 08:50:00", "2026-01-05 09:00:30", "2026-01-05 10:00:00", "x")


@st.composite
def polls(draw: st.DrawFn) -> list[tuple[list[QueueAgent], list[ExtensionCallStatus], float]]:
    """A run of fast polls: each agent row either handed back as the same object (as the
    client does for an unchanged row) or new; call rows new every time, durations ticking."""
    taken_at = NOW
    rows: dict[tuple[str, str], QueueAgent] = {}
    run = []
    for _ in range(draw(st.integers(2, 6))):
        taken_at += draw(st.sampled_from((1.0, 1.0, 1.5, 7.0)))
        for ext in EXTENSIONS:
            for queue in ("q1", "q2")[: 1 + (ext == "1004")]:
                key = (queue, ext)
                if key not in rows or draw(st.booleans()):
                    rows[key] = agent(
                        ext,
                        queue,
                        state=draw(st.sampled_from(QUEUE_CODES)),
                        wrapuptime=draw(st.sampled_from((0, 5, 30))),
                        seatsname=draw(st.sampled_from((f"7_{ext}_{queue}", "", "anna"))),
                        seatschangetime=draw(st.sampled_from(CHANGE_TIMES)),
                    )
        calls = [
            call(
                ext,
                draw(st.sampled_from(CALL_CODES)),
                callee=draw(st.sampled_from(("", "13800000001", ext))),
                idleduration=draw(st.sampled_from((None, 0, 3, 12, 40))),
                callduration=draw(st.sampled_from((None, 0, 20, 21))),
            )
            for ext in EXTENSIONS
            if draw(st.integers(0, 5))  # now and then an extension without a call row
        ]
        shown = [rows[key] for key in sorted(rows) if draw(st.integers(0, 7))]
        run.append((shown, calls, taken_at))
    return run


@settings(deadline=None)
@given(polls(), st.booleans())
def test_the_builder_builds_what_build_queues_builds(
    run: list[tuple[list[QueueAgent], list[ExtensionCallStatus], float]], slow_facts: bool
) -> None:
    builder = FloorBuilder()
    previous: dict[tuple[str, str], AgentView] = {}
    before: tuple[QueueView, ...] = ()
    facts = {"1003": ExtensionFacts(registered=False)}
    for agents, calls, taken_at in run:
        if slow_facts:  # the slow read brings new (equal) facts objects
            facts = {"1003": ExtensionFacts(registered=False)}
        by_ext = {c.extnumber: c for c in calls}
        expected = build_queues(agents, by_ext, [], facts, taken_at=taken_at, previous=previous)
        built = builder.build(agents, by_ext, [], facts, taken_at=taken_at)
        assert built == expected
        for queue in built:
            same = [q for q in before if q.name == queue.name and q == queue]
            assert not same or same[0] is queue  # an unchanged queue: the same object
        previous = {(a.queue, a.extnumber): a for q in expected for a in q.agents}
        before = built


def readings(cache: CallStateCache, calls: list[ExtensionCallStatus]) -> dict[str, CallReading]:
    """The calls as a poller reading `call_states` has them: each state the same object as
    the last reading's while only its durations moved."""
    cache.begin()
    read = cache.read([c.model_dump() for c in calls])
    return {state.extnumber: CallReading(state, idle, talk) for state, idle, talk in read}


@settings(deadline=None)
@given(polls())
def test_the_builder_builds_the_same_from_call_states(
    run: list[tuple[list[QueueAgent], list[ExtensionCallStatus], float]],
) -> None:
    from_rows, from_states, cache = FloorBuilder(), FloorBuilder(), CallStateCache()
    for agents, calls, taken_at in run:
        by_ext = {c.extnumber: c for c in calls}
        expected = from_rows.build(agents, by_ext, [], {}, taken_at=taken_at)
        built = from_states.build(agents, readings(cache, calls), [], {}, taken_at=taken_at)
        assert built == expected


def test_a_call_state_kept_and_its_durations_ticking_keep_the_view() -> None:
    rows = [agent("1001", state=1215)]
    builder, cache = FloorBuilder(), CallStateCache()
    talk = call("1001", 1204, callee="13800000001", callduration=20)
    (first,) = builder.build(rows, readings(cache, [talk]), [], {}, taken_at=NOW)
    ticked = readings(cache, [talk.model_copy(update={"callduration": 21})])
    (second,) = builder.build(rows, ticked, [], {}, taken_at=NOW + 1)
    assert second is first  # the same state object, the same since: nothing built
    new_call = talk.model_copy(update={"callee": "13800000002", "callduration": 1})
    (third,) = builder.build(rows, readings(cache, [new_call]), [], {}, taken_at=NOW + 2)
    assert third.agents[0].number == "13800000002"
    assert third.agents[0].since == NOW + 1


def test_unchanged_rows_keep_their_views_while_the_durations_tick() -> None:
    rows = [agent("1001", state=1215), agent("1002", state=1213, wrapuptime=5)]
    builder = FloorBuilder()
    (first,) = builder.build(
        rows,
        {"1001": call("1001", 1204, callduration=20), "1002": call("1002", idleduration=60)},
        [],
        {},
        taken_at=NOW,
    )
    (second,) = builder.build(
        rows,
        {"1001": call("1001", 1204, callduration=21), "1002": call("1002", idleduration=61)},
        [],
        {},
        taken_at=NOW + 1,
    )
    assert second is first
    assert first.agents[0].since == NOW - 20


def test_a_wrapup_ends_by_the_idle_duration_alone() -> None:
    rows = [agent("1001", state=1213, wrapuptime=10)]
    builder = FloorBuilder()
    (during,) = builder.build(rows, {"1001": call("1001", idleduration=8)}, [], {}, taken_at=NOW)
    (after,) = builder.build(
        rows, {"1001": call("1001", idleduration=11)}, [], {}, taken_at=NOW + 3
    )
    assert during.agents[0].state is AgentState.WRAPUP
    assert after.agents[0].state is AgentState.IDLE
    assert after.agents[0].since == NOW + 3 - 1  # idle since the wrap-up ended


def test_a_new_call_between_two_polls_moves_the_time_in_state() -> None:
    rows = [agent("1001", state=1215)]
    builder = FloorBuilder()
    talk = {"1001": call("1001", 1204, callee="13800000001", callduration=100)}
    builder.build(rows, talk, [], {}, taken_at=NOW)
    again = {"1001": call("1001", 1204, callee="13800000001", callduration=3)}
    (queue,) = builder.build(rows, again, [], {}, taken_at=NOW + 1)
    assert queue.agents[0].since == NOW + 1 - 3


def test_the_same_agent_twice_in_one_answer_shows_the_last_row() -> None:
    first_row, last_row = agent("1001", state=1213), agent("1001", state=1217)
    builder = FloorBuilder()
    (queue,) = builder.build([first_row, last_row], {}, [], {}, taken_at=NOW)
    assert [a.state for a in queue.agents] == [AgentState.PAUSED]
    (queue,) = builder.build([first_row], {}, [], {}, taken_at=NOW + 1)
    assert [a.state for a in queue.agents] == [AgentState.IDLE]


# ---------------------------------------------------------------------- the real start of a state


def test_a_pause_starts_at_seatschangetime_in_the_servers_zone() -> None:
    """A paused agent's time in state is the server's: it survives a restart (no previous
    view), and is read in the server's zone."""
    rows = [agent("1001", state=1217, seatschangetime="2026-01-05 08:45:00")]
    (queue,) = build(rows)
    (paused,) = queue.agents
    assert paused.state is AgentState.PAUSED and not paused.at_least
    assert paused.since == NOW - 15 * 60
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")  # 16:45 there is 08:45 UTC
    rows = [agent("1001", state=1217, seatschangetime="2026-01-05 16:45:00")]
    (queue,) = build_queues(rows, {}, [], {}, taken_at=NOW, previous={}, tz=shanghai)
    assert queue.agents[0].since == NOW - 15 * 60
    assert server_moment("0000-00-00 00:00:00", dt.UTC) is None
    assert server_moment("yesterday", dt.UTC) is None


def test_a_time_in_this_machines_zone_follows_the_zone_as_it_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Times read in this machine's zone are remembered, but not across a change of the
    zone (`time.tzset`): the same text is read again in the new one."""
    text = "2026-01-05 08:45:00"
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert (
            server_moment(text, None) == dt.datetime(2026, 1, 5, 8, 45, tzinfo=dt.UTC).timestamp()
        )
        monkeypatch.setenv("TZ", "Asia/Shanghai")
        time.tzset()
        assert (
            server_moment(text, None) == dt.datetime(2026, 1, 5, 0, 45, tzinfo=dt.UTC).timestamp()
        )
    finally:
        monkeypatch.undo()
        time.tzset()


def test_no_start_from_the_server_is_at_least_and_kept() -> None:
    """Missed, offline, a pause without seatschangetime: first seen, marked "at least",
    and kept while the state lasts."""
    rows = [
        agent("1001", state=1212),  # missed
        agent("1002", state=1217),  # paused, no seatschangetime
        agent("1003", state=1213),
    ]
    calls = [call("1001", 1201, idleduration=5), call("1003", 1014)]
    (first,) = build(rows, calls)
    assert all(a.at_least and a.since == NOW for a in first.agents)
    previous = {(a.queue, a.extnumber): a for a in first.agents}
    (later,) = build(rows, calls, previous=previous, taken_at=NOW + 30)
    assert [(a.state, a.since, a.at_least) for a in later.agents] == [
        (AgentState.MISSED, NOW, True),
        (AgentState.PAUSED, NOW, True),
        (AgentState.OFFLINE, NOW, True),
    ]


def test_idle_never_starts_before_the_agent_came_back() -> None:
    """Back from a pause (seatschangetime) long after the last call: idle since then."""
    rows = [agent("1001", state=1213, seatschangetime="2026-01-05 08:59:00")]
    (queue,) = build(rows, [call("1001", 1201, idleduration=3600)])
    (idle,) = queue.agents
    assert idle.state is AgentState.IDLE and idle.since == NOW - 60 and not idle.at_least
    rows = [agent("1001", state=1213, seatschangetime="2026-01-05 07:00:00")]
    (queue,) = build(rows, [call("1001", 1201, idleduration=120)])
    assert queue.agents[0].since == NOW - 120  # the call ended after it came back
    checked_in = [agent("1001", state=1218, seatschangetime="2026-01-05 08:58:00")]
    (queue,) = build(checked_in)  # no call row: checked in since seatschangetime
    assert queue.agents[0].since == NOW - 120 and not queue.agents[0].at_least


def test_the_builder_follows_the_names_file() -> None:
    names = AgentNames.of([AgentName("1001", "Li Wei")])
    builder = FloorBuilder(names=names)
    rows = [agent("1001"), agent("1002")]
    (queue,) = builder.build(rows, {}, [], {}, taken_at=NOW)
    assert [a.name for a in queue.agents] == ["Li Wei", "Agent 1002"]
    (same,) = builder.build(rows, {}, [], {}, taken_at=NOW + 1)
    assert same is queue  # nothing changed: the same objects
    names._agents = {"1002": AgentName("1002", "Ann")}
    names.version += 1
    (renamed,) = builder.build(rows, {}, [], {}, taken_at=NOW + 2)  # the same row objects
    assert [a.name for a in renamed.agents] == ["Agent 1001", "Ann"]


# ---------------------------------------------------------------------- live and finished


def test_a_campaign_is_its_finished_and_its_live_calls() -> None:
    rows = [agent("1001", state=1215), agent("1002", state=1214), agent("1003", state=1215)]
    calls = [
        call("1001", 1204, caller="1001", callee="+86 138-0000-0001", callduration=20),
        call("1002", 1202, caller="1002", callee="13800000002"),
        call("1003", 1204, caller="1003", callee="13900000009", callduration=5),  # not ours
    ]
    live = live_numbers(build(rows, calls))
    assert live == {"8613800000001": True, "13800000002": False, "13900000009": True}
    keys = frozenset({"8613800000001", "13800000002", "13800000003"})
    finished = {"8613800000001": NumberTally(calls=1, answered=0)}
    counted = campaign_live(keys, live, finished.get)
    assert counted == CampaignLive(live=2, talking=1, first=1)
    task = TrackedTask("T1", numbers=("8613800000001", "13800000002", "13800000003"))
    view = campaign_view(task, CallFigures(dialled=1, answered=0, dropped=0), counted)
    assert (view.dialled, view.finished_dialled, view.live, view.remaining) == (2, 1, 2, 1)
    assert (view.answered, view.finished_answered, view.talking) == (1, 0, 1)
    assert view.abandon_rate == 0.0 and view.drop_budget == 0  # over finished calls
    assert campaign_view(task, CallFigures(1, 0, 0)).live == 0  # nothing live: finished only


@given(
    st.dictionaries(
        st.sampled_from(("T1", "T2", "T3")),
        st.frozensets(st.sampled_from(("a", "b", "c", "d", "e")), max_size=4),
    ),
    st.dictionaries(st.sampled_from(("a", "b", "c", "d", "x")), st.booleans()),
    st.frozensets(st.sampled_from(("a", "b", "c", "d", "e"))),
)
def test_every_campaigns_live_calls_at_once_are_each_campaigns(
    campaigns: dict[str, frozenset[str]], live: dict[str, bool], finished: frozenset[str]
) -> None:
    tallies = {key: NumberTally(calls=1) for key in finished}
    counted = campaigns_live(number_owners(campaigns), live, finished.__contains__)
    for taskid, keys in campaigns.items():
        one = campaign_live(keys, live, tallies.get)
        assert counted.get(taskid, CampaignLive()) == one


def test_the_header_counts_drops_and_says_when_it_is_scoped() -> None:
    queues = build([agent("1001")], [call("1001")])
    totals = floor_totals(queues, CallFigures(10, 8, 3), recent_drops=(1, 2), scoped=True)
    assert (totals.dropped_today, totals.dropped_15m, totals.dropped_60m) == (3, 1, 2)
    assert totals.scoped and totals.people == 1


def test_a_reading_handed_again_counts_on_from_when_it_was_read() -> None:
    """A poller that reads a share of the floor each cycle hands the others' last readings
    again: their durations count on from `read_at`, as the server's would have, so the
    views are those a fresh reading would give, and nothing is built while nothing moved."""
    rows = [agent("1001", state=1215), agent("1002", state=1213, wrapuptime=5)]
    cache = CallStateCache()
    calls = readings(
        cache,
        [
            call("1001", 1204, callee="13800000001", callduration=20),
            call("1002", idleduration=2),
        ],
    )
    for reading in calls.values():
        reading.read_at = NOW
    builder = FloorBuilder()
    (first,) = builder.build(rows, calls, [], {}, taken_at=NOW)
    talking, wrapping = first.agents
    assert (talking.since, wrapping.state, wrapping.since) == (NOW - 20, AgentState.WRAPUP, NOW - 2)
    (second,) = builder.build(rows, calls, [], {}, taken_at=NOW + 1.5)
    assert second is first  # the same readings, one and a half seconds on: nothing moved
    assert durations_at(calls["1002"], NOW + 1.5) == (3, None)  # whole seconds, as the server
    (third,) = builder.build(rows, calls, [], {}, taken_at=NOW + 4)  # the wrap-up ran out
    assert third.agents[0] is talking
    assert (third.agents[1].state, third.agents[1].since) == (AgentState.IDLE, NOW + 3)
    # The same views as from scratch, with no memory of earlier cycles.
    (fresh,) = build_queues(rows, calls, [], {}, taken_at=NOW + 4, previous={})
    assert fresh == third
