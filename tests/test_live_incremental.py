"""The builder's work follows what changed: a cycle built from the rows, readings and facts
that changed gives the same views as one built from every row, and the figures it keeps as
it goes (people by state, calls in progress, the customers' numbers on the line, each
campaign's calls in progress) are those counted over the whole floor."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import astuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_live_bills import NINE, Bills
from test_live_bills import NUMBERS as BILL_NUMBERS
from test_live_bills import _by_number as bills_by_number
from test_live_bills import arrivals as bill_arrivals

from wallboard.api.models import Bill, ExtensionCallState, Queue, QueueAgent
from wallboard.live import build as build_module
from wallboard.live.bills import BillReader, campaign_figures, number_keys
from wallboard.live.build import (
    CallReading,
    CallRow,
    CampaignLive,
    ExtensionFacts,
    FloorBuilder,
    campaigns_live,
    floor_totals,
    live_numbers,
    number_owners,
)
from wallboard.live.model import _LiveCount
from wallboard.live.snapshot import AgentState, QueueView

NOW = 1_767_603_600.0  # 2026-01-05 09:00:00 UTC
EXTENSIONS = tuple(f"10{n:02d}" for n in range(1, 13))
QUEUES = ("q1", "q2", "q3")
QUEUE_CODES = (1212, 1213, 1213, 1214, 1215, 1215, 1217, 1218)
CALL_CODES = (1201, 1201, 1202, 1204, 1204, 1205, 1013, 1014)
CUSTOMERS = ("", "13800000001", "13800000002", "+86 138 0000 0003", "02100000004")
CHANGE_TIMES = ("", "2026-01-05 08:50:00", "2026-01-05 09:00:30", "2026-01-05 10:00:00")


class WholeFloorBuilder(FloorBuilder):
    """The builder as it builds a first cycle, from every row, every cycle: what the
    builder that follows the changes must build."""

    def build(
        self,
        agents: Sequence[QueueAgent],  # type: ignore[override]
        calls: Mapping[str, CallRow],
        queue_list: Sequence[Queue],
        facts: Mapping[str, ExtensionFacts],
        *,
        taken_at: float,
        scope: Sequence[str] | None = None,
    ) -> tuple[QueueView, ...]:
        wanted = list(dict.fromkeys(n.strip() for n in scope or () if n.strip()))
        return self._build_all(list(agents), calls, queue_list, facts, taken_at, wanted, False)


def queue_row(rng: random.Random, queue: str, ext: str) -> QueueAgent:
    return QueueAgent.model_validate(
        {
            "queuename": queue,
            "extnumber": ext,
            "seatsname": rng.choice((f"7_{ext}_{queue}", "", "anna")),
            "state": rng.choice(QUEUE_CODES),
            "wrapuptime": rng.choice((0, 5, 30)),
            "seatschangetime": rng.choice(CHANGE_TIMES),
            "callsanswered": rng.randint(0, 3),
        }
    )


def call_state(rng: random.Random, ext: str) -> ExtensionCallState:
    return ExtensionCallState(
        extnumber=ext,
        status=rng.choice(CALL_CODES),
        caller=rng.choice(("", ext)),
        callee=rng.choice(CUSTOMERS),
    )


def floors(seed: int, cycles: int = 40, *, late: bool = False):  # type: ignore[no-untyped-def]
    """A run of fast cycles as a poller hands them to the builder: most rows the same
    objects, a few new (a state changed), agents joining and leaving queues, an extension in
    two queues; a fifth of the readings new each cycle (often the same state with other
    durations), the others handed again; now and then new facts objects, equal or not, a
    new queue list, and the same agent twice in one answer. `late`: cycles a fraction of a
    second apart, readings made before the snapshot's time (or after it, a clock that
    stepped back), so that durations counted on and starts near SINCE_TOLERANCE come up."""
    rng = random.Random(seed)
    rows: dict[tuple[str, str], QueueAgent] = {}
    for ext in EXTENSIONS:
        for queue in rng.sample(QUEUES, rng.choice((1, 1, 2))):
            rows[(queue, ext)] = queue_row(rng, queue, ext)
    readings: dict[str, CallReading] = {}
    facts: dict[str, ExtensionFacts] = {"1003": ExtensionFacts(registered=False)}
    queue_list = [Queue(queuename="q1", remark="sales")]
    taken_at = NOW
    for cycle in range(cycles):
        taken_at += (
            rng.choice((0.3, 0.6, 0.9, 1.0, 1.4, 2.5)) if late else rng.choice((1.0, 1.0, 1.5, 7.0))
        )
        for _ in range(rng.randint(0, 3)):  # state changes: new row objects
            key = rng.choice(sorted(rows))
            rows[key] = queue_row(rng, *key)
        if rng.random() < 0.3:  # someone joins a queue
            key = (rng.choice(QUEUES), rng.choice(EXTENSIONS))
            rows[key] = queue_row(rng, *key)
        if rng.random() < 0.3 and len(rows) > 2:  # someone leaves one
            del rows[rng.choice(sorted(rows))]
        for ext in EXTENSIONS:
            if cycle == 0 or rng.random() < 0.25:
                if rng.random() < 0.1:
                    readings.pop(ext, None)  # not answered
                    continue
                last = readings.get(ext)
                state = (
                    last.state if last is not None and rng.random() < 0.5 else call_state(rng, ext)
                )
                readings[ext] = CallReading(
                    state,
                    rng.choice((None, 0, 3, 12, 40)) if not late else rng.choice((None, 1, 4, 6)),
                    rng.choice((None, 0, 20)),
                    read_at=taken_at - rng.choice((0.0, 0.0, 0.4, 1.7, -0.5)) if late else taken_at,
                )
        if rng.random() < 0.15:  # the slow read: new objects, mostly equal
            facts = {ext: ExtensionFacts(f.registered, f.enabled) for ext, f in facts.items()}
            if rng.random() < 0.5:
                facts[rng.choice(EXTENSIONS)] = ExtensionFacts(
                    registered=rng.choice((True, False, None)),
                    enabled=rng.choice((True, False, None)),
                )
            queue_list = [Queue(queuename=q, remark=f"{q}!") for q in QUEUES[: rng.randint(0, 3)]]
        answer = [rows[key] for key in rows]
        rng.shuffle(answer) if rng.random() < 0.1 else None
        if rng.random() < 0.05:  # the same agent twice: the last row counts
            key = rng.choice(sorted(rows))
            answer.append(queue_row(rng, *key))
        yield answer, dict(readings), list(queue_list), facts, taken_at


@pytest.mark.parametrize("seed", range(40))
def test_following_the_changes_builds_what_every_row_builds(seed: int) -> None:
    following, whole = FloorBuilder(), WholeFloorBuilder()
    before: tuple[QueueView, ...] = ()
    for agents, calls, queue_list, facts, taken_at in floors(seed):
        built = following.build(agents, calls, queue_list, facts, taken_at=taken_at)
        assert built == whole.build(agents, calls, queue_list, facts, taken_at=taken_at)
        for queue in built:
            same = [q for q in before if q.name == queue.name and q == queue]
            assert not same or same[0] is queue  # an unchanged queue: the same object
        if built == before:
            assert built is before  # nothing changed: the same floor
        # The figures kept as it went are those counted over every agent.
        assert following.totals() == floor_totals(built)
        assert following.live_numbers == live_numbers(built)
        before = built


@pytest.mark.parametrize("seed", range(40))
def test_readings_counted_on_and_short_wrapups_are_followed_the_same(seed: int) -> None:
    """Cycles a fraction of a second apart, readings handed again and counted on from when
    they were read, wrap-ups of seconds that run out between readings: what the builder
    skips (an agent in wrap-up with the same reading, a new reading of the same call whose
    start moved by less than SINCE_TOLERANCE) is what looking at it again would leave."""
    following, whole = FloorBuilder(), WholeFloorBuilder()
    for agents, calls, queue_list, facts, taken_at in floors(seed, 60, late=True):
        built = following.build(agents, calls, queue_list, facts, taken_at=taken_at)
        assert built == whole.build(agents, calls, queue_list, facts, taken_at=taken_at)
        assert following.totals() == floor_totals(built)
        assert following.live_numbers == live_numbers(built)


def test_a_wrapup_is_not_looked_at_again_until_it_runs_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An agent in wrap-up whose reading is handed again needs no look while the wrap-up
    runs (its start cannot move): only the cycle it runs out in looks at it, and the tile
    turns idle then, as the whole floor built again says."""
    rows = [QueueAgent(queuename="q1", extnumber="1001", state=1213, wrapuptime=10)]
    calls: dict[str, CallRow] = {
        "1001": CallReading(ExtensionCallState(extnumber="1001", status=1201), 2, None, NOW)
    }
    looked: list[float] = []
    again = build_module._again
    following, whole = FloorBuilder(), WholeFloorBuilder()

    def counting(entry, row, call, taken_at):  # type: ignore[no-untyped-def]
        if entry is following._built[("q1", "1001")]:
            looked.append(taken_at - NOW)
        return again(entry, row, call, taken_at)

    following.build(rows, calls, [], {}, taken_at=NOW)
    monkeypatch.setattr(build_module, "_again", counting)
    for tick in range(1, 12):
        built = following.build(rows, calls, [], {}, taken_at=NOW + tick)
        assert built == whole.build(rows, calls, [], {}, taken_at=NOW + tick)
        state = built[0].agents[0].state
        assert state is (AgentState.WRAPUP if tick < 8 else AgentState.IDLE)
    # The first cycle after the build looks (and finds the wrap-up quiet); the next only
    # when it runs out (idle 2 + 8 s passed = the wrap-up's 10 s), and no more once idle.
    assert looked == [1.0, 8.0]


@pytest.mark.parametrize("seed", range(10))
def test_a_scope_is_followed_the_same(seed: int) -> None:
    following, whole = FloorBuilder(), WholeFloorBuilder()
    for agents, calls, queue_list, facts, taken_at in floors(seed):
        scope = ["q3", "q1"]
        built = following.build(agents, calls, queue_list, facts, taken_at=taken_at, scope=scope)
        assert built == whole.build(
            agents, calls, queue_list, facts, taken_at=taken_at, scope=scope
        )
        assert [q.name for q in built] == [n for n in scope if n in {q.name for q in built}]
        assert following.totals(scoped=True) == floor_totals(built, scoped=True)
        assert following.live_numbers == live_numbers(built)


def in_progress(counted: Mapping[str, CampaignLive]) -> dict[str, CampaignLive]:
    """The calls in progress of `_LiveCount`'s answer, as `campaigns_live` counts them (the
    calls ended but not billed aside)."""
    return {
        taskid: CampaignLive(count.live, count.talking, count.first)
        for taskid, count in counted.items()
        if count.live
    }


def no_answers(_: str) -> int:
    return 0


@pytest.mark.parametrize("seed", range(20))
def test_campaigns_live_calls_followed_are_those_counted_whole(seed: int) -> None:
    rng = random.Random(seed)
    keys = [f"138000000{n:02d}" for n in range(30)]
    campaigns = {f"t{n}": frozenset(rng.sample(keys, rng.randint(0, 12))) for n in range(5)}
    owners = number_owners(campaigns)
    dialled = set(rng.sample(keys, 10))
    counted = _LiveCount(owners, 0, hold=0.0)  # a call that ended counts one cycle on
    live: dict[str, bool] = {}
    for cycle in range(30):
        live = dict(live)
        for _ in range(rng.randint(0, 4)):
            key = rng.choice([*keys, "02100000001"])
            if rng.random() < 0.3:
                live.pop(key, None)
            else:
                live[key] = rng.random() < 0.5
        got = counted.update(live, dialled.__contains__, no_answers, float(cycle))
        assert in_progress(got) == campaigns_live(owners, live, dialled.__contains__)


class TestCallsEndedUnbilled:
    """A call that ended counts on in its campaign's dialled and answered until the bills
    show it, so that neither figure goes back between two bill reads."""

    OWNERS = number_owners({"A": frozenset({"1", "2"}), "B": frozenset({"2"})})

    def test_an_answered_call_counts_on_until_its_bill(self) -> None:
        counted = _LiveCount(self.OWNERS, 0, hold=60.0)
        dialled: set[str] = set()
        assert counted.update({"1": True}, dialled.__contains__, no_answers, 0.0) == {
            "A": CampaignLive(live=1, talking=1, first=1)
        }
        ended = counted.update({}, dialled.__contains__, no_answers, 1.0)
        assert ended == {"A": CampaignLive(unbilled_first=1, unbilled_answered=1)}
        assert all(type(count) is int for count in astuple(ended["A"]))  # counts, never flags
        dialled.add("1")  # the bills show the call, not yet answered
        counted.recheck(dialled.__contains__, no_answers, 1)
        assert counted.update({}, dialled.__contains__, no_answers, 2.0) == {
            "A": CampaignLive(unbilled_answered=1)
        }
        counted.recheck(dialled.__contains__, lambda key: int(key == "1"), 2)
        assert counted.update({}, dialled.__contains__, no_answers, 3.0) == {}

    def test_a_bill_read_while_the_call_is_on_the_line_is_its_own(self) -> None:
        """The agent still shows the call when its bill is read: when it ends, nothing is
        held (else it would count twice, in the bills and held, until let go)."""
        counted = _LiveCount(self.OWNERS, 0, hold=60.0)
        counted.update({"1": True}, set().__contains__, no_answers, 0.0)
        dialled, billed = {"1"}.__contains__, lambda key: int(key == "1")
        counted.recheck(dialled, billed, 1)
        assert counted.update({"1": True}, dialled, billed, 1.0) == {
            "A": CampaignLive(live=1, talking=1, first=0)
        }
        assert counted.update({}, dialled, billed, 2.0) == {}

    def test_tracking_one_more_campaign_keeps_the_calls_held(self) -> None:
        counted = _LiveCount(self.OWNERS, 0, hold=60.0)
        counted.update({"1": True}, set().__contains__, no_answers, 0.0)
        counted.update({}, set().__contains__, no_answers, 1.0)
        more = number_owners({"A": frozenset({"1", "2"}), "C": frozenset({"1"})})
        again = _LiveCount(more, 0, hold=60.0, held=counted.held)
        held = CampaignLive(unbilled_first=1, unbilled_answered=1)
        assert again.update({}, set().__contains__, no_answers, 2.0) == {"A": held, "C": held}
        assert again.update({}, set().__contains__, no_answers, 61.0) == {}  # the same hold

    def test_a_number_shared_by_two_campaigns_counts_in_both(self) -> None:
        counted = _LiveCount(self.OWNERS, 0, hold=60.0)
        counted.update({"2": False}, set().__contains__, no_answers, 0.0)
        held = CampaignLive(unbilled_first=1)
        assert counted.update({}, set().__contains__, no_answers, 1.0) == {"A": held, "B": held}

    def test_a_call_whose_bill_never_comes_is_let_go_after_the_hold(self) -> None:
        counted = _LiveCount(self.OWNERS, 0, hold=60.0)
        counted.update({"1": False}, set().__contains__, no_answers, 0.0)
        live: dict[str, bool] = {}
        assert counted.update(live, set().__contains__, no_answers, 10.0) == {
            "A": CampaignLive(unbilled_first=1)
        }
        assert counted.update(live, set().__contains__, no_answers, 69.0) != {}
        assert counted.update(live, set().__contains__, no_answers, 70.0) == {}

    def test_a_number_called_again_before_its_bill_counts_once(self) -> None:
        counted = _LiveCount(self.OWNERS, 0, hold=60.0)
        dialled: set[str] = set()
        counted.update({"1": False}, dialled.__contains__, no_answers, 0.0)
        counted.update({}, dialled.__contains__, no_answers, 1.0)
        again = counted.update({"1": False}, dialled.__contains__, no_answers, 2.0)
        assert again == {"A": CampaignLive(live=1, first=0, unbilled_first=1)}
        # No bill at all: once let go, the call on the line is the number's first again.
        assert counted.update({"1": False}, dialled.__contains__, no_answers, 61.0) == {
            "A": CampaignLive(live=1, first=1)
        }

    def test_talking_then_ringing_is_a_new_call_after_an_answered_one(self) -> None:
        counted = _LiveCount(self.OWNERS, 0, hold=60.0)
        counted.update({"1": True}, set().__contains__, no_answers, 0.0)
        assert counted.update({"1": False}, set().__contains__, no_answers, 1.0) == {
            "A": CampaignLive(live=1, talking=0, first=1, unbilled_answered=1)
        }


def test_new_equal_facts_do_not_make_every_agent_be_looked_at_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The slow read brings new ExtensionFacts objects every 30 s, most equal to the last:
    an agent whose row, reading and facts are the same is not brought up to date again."""
    rows = [
        QueueAgent(queuename="q1", extnumber="1001", state=1215),
        QueueAgent(queuename="q1", extnumber="1002", state=1217),
    ]
    state = ExtensionCallState(extnumber="1001", status=1204, callee="13800000001")
    calls: dict[str, CallRow] = {
        "1001": CallReading(state, None, 20, read_at=NOW),
        "1002": CallReading(ExtensionCallState(extnumber="1002", status=1201), 5, None, NOW),
    }
    looked: list[str] = []
    again = build_module._again

    def counting(entry, row, call, taken_at):  # type: ignore[no-untyped-def]
        looked.append(entry.extnumber)
        return again(entry, row, call, taken_at)

    monkeypatch.setattr(build_module, "_again", counting)
    for builder in (FloorBuilder(), WholeFloorBuilder()):
        builder.build(rows, calls, [], {"1001": ExtensionFacts(True, True)}, taken_at=NOW)
        for tick in range(1, 4):  # a slow read each cycle: new, equal facts
            facts = {"1001": ExtensionFacts(True, True)}
            builder.build(rows, calls, [], facts, taken_at=NOW + tick)
        assert looked == []


@settings(max_examples=100, deadline=None)
@given(
    batches=bill_arrivals(),
    campaigns=st.lists(st.sets(st.sampled_from(BILL_NUMBERS)), min_size=1, max_size=4),
    page_size=st.integers(1, 6),
)
def test_campaign_figures_moved_on_by_new_bills_are_a_recount(
    batches: list[list[Bill]], campaigns: list[set[str]], page_size: int
) -> None:
    """The campaigns' figures are summed once and then moved on by the calls of their
    numbers read since, cycle after cycle (as the live model asks for them): what counting
    every bill of their numbers gives."""
    keys = [number_keys(numbers) for numbers in campaigns]
    source = Bills()
    reader = BillReader(tz=dt.UTC, page_size=page_size, max_pages=2)
    reader.follow(frozenset().union(*keys))

    async def run() -> None:
        for step, batch in enumerate(batches):
            source.rows.extend(batch)
            for held in keys:
                reader.figures(held)
            await reader.read(source, NINE + step, [NINE - 86400])
        for extra in range(500):
            if reader.complete:
                break
            await reader.read(source, NINE + 100 + extra, [NINE - 86400])
            for held in keys:
                reader.figures(held)

    asyncio.run(run())
    by_number = bills_by_number(source.rows)
    for held in keys:
        assert reader.figures(held) == campaign_figures(held, by_number)


def test_the_same_facts_handed_again_are_not_compared_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between two slow reads the poller hands the same facts mapping every cycle: the
    builder takes it by identity and compares none of the floor's facts (2,000 a cycle
    on a big floor); a new mapping is compared, and a fact that differs is built."""
    rows = [QueueAgent(queuename="q1", extnumber=ext, state=1213) for ext in ("1001", "1002")]
    facts = {ext: ExtensionFacts(True, True) for ext in ("1001", "1002")}
    compared: list[object] = []
    equal = ExtensionFacts.__eq__

    def counting(self: ExtensionFacts, other: object) -> bool:
        compared.append(self)
        return equal(self, other)

    monkeypatch.setattr(ExtensionFacts, "__eq__", counting)
    builder = FloorBuilder()
    builder.build(rows, {}, [], facts, taken_at=NOW)
    read_again = {ext: ExtensionFacts(True, True) for ext in facts}  # a slow read: equal
    builder.build(rows, {}, [], read_again, taken_at=NOW + 1)
    assert compared  # new objects: compared once
    compared.clear()
    for tick in range(2, 5):
        builder.build(rows, {}, [], read_again, taken_at=NOW + tick)
    assert compared == []
    unplugged = {**facts, "1002": ExtensionFacts(registered=False, enabled=True)}
    queues = builder.build(rows, {}, [], unplugged, taken_at=NOW + 5)
    assert compared  # another mapping: compared with the last
    states = {agent.extnumber: agent.state for queue in queues for agent in queue.agents}
    assert states["1002"] != states["1001"]
