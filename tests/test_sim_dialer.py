"""The predictive dialler's physics and the named scenarios: pacing that looks ahead, customers
who give up, abandon rates that behave like a real floor's, and floors that run from any
start. Time is simulated: an hour of floor runs in a fraction of a second."""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter

import pytest

from wallboard.sim import dialer
from wallboard.sim.entities import Extension, Member, Pool
from wallboard.sim.floor import Floor
from wallboard.sim.scenario import (
    DEFAULT_START,
    SCENARIOS,
    ScenarioSpec,
    build_floor,
    describe_scenarios,
)

HOUR = 3600.0


def ext_no(i: int) -> str:
    return f"9017{i:04d}"


def make_floor(agents: int, *, wrapuptime: int, discardtime: int = 30, seed: int = 1) -> Floor:
    floor = Floor(seed=seed, start=DEFAULT_START)
    floor.add_caller_id("2190170001")
    floor.add_queue("q1", True, "first team")
    floor.edit_queue(
        "q1", "first team", ringdelay=10, discardtime=discardtime, wrapuptime=wrapuptime
    )
    for i in range(1, agents + 1):
        floor.add_extension(ext_no(i), f"pw-{i}")
        floor.sign_in("q1", ext_no(i), str(100 + i))
    return floor


def run_task(floor: Floor, count: int, scale: tuple[int, int]) -> str:
    numbers = [{"phone": f"1380000{i:04d}"} for i in range(count)]
    taskid, invalid = floor.create_task(2, "q1", numbers, scale, [], "test")
    assert invalid == []
    floor.set_task(taskid, 1)
    return taskid


def abandon_rate(spec: ScenarioSpec | str, seed: int, hours: float = 1.0) -> float:
    floor = build_floor(seed=seed, scenario=spec)
    floor.advance(hours * HOUR)
    predictive = [b for b in floor.bills if b.callmethod == 5 and b.answer_after is not None]
    assert len(predictive) > 200
    return 100.0 * sum(b.abandoned for b in predictive) / len(predictive)


def worst_campaign_rate(spec: str, seed: int) -> float:
    floor = build_floor(seed=seed, scenario=spec)
    floor.advance(HOUR)
    answered: Counter[str] = Counter()
    abandoned: Counter[str] = Counter()
    for bill in floor.bills:
        if bill.callmethod == 5 and bill.answer_after is not None:
            answered[bill.taskid] += 1
            abandoned[bill.taskid] += bill.abandoned
    return max(100.0 * abandoned[t] / answered[t] for t in answered)


# -- measured outcomes (issue 9: "a real predictive dialer's drops") ----------------------------
@pytest.mark.parametrize("seed", [7, 8, 9])
def test_the_default_floor_abandons_between_one_and_five_percent(seed: int) -> None:
    assert 1.0 <= abandon_rate("default", seed) <= 5.0


def test_the_abandon_rate_rises_with_the_taskscale() -> None:
    default = SCENARIOS["default"]
    means = []
    for scale in ((1, 1), (2, 3), (1, 2), (1, 3)):
        spec = dataclasses.replace(default, scales=(scale,))
        means.append(statistics.fmean(abandon_rate(spec, seed) for seed in (7, 8)))
    assert means == sorted(means) and means[0] < 1.0 < 10.0 < means[-1], means


@pytest.mark.parametrize("seed", [7, 8])
def test_the_surge_pushes_a_campaign_over_three_percent(seed: int) -> None:
    assert worst_campaign_rate("surge", seed) > 3.0
    assert worst_campaign_rate("calm", seed) < 3.0


# -- pacing that looks ahead -------------------------------------------------------------------
def _next_dial_after_each_talk(floor: Floor) -> list[float]:
    """For each call an agent talked on: seconds from its end to the next dial."""
    bills = list(floor.bills)
    starts = sorted(b.start for b in bills if b.callmethod == 5)
    gaps = []
    for bill in bills:
        if bill.extnumber:
            later = [s for s in starts if s >= bill.endtime]
            if later:
                gaps.append(later[0] - bill.endtime)
    return gaps


def test_the_dialler_dials_for_an_agent_whose_wrap_up_is_about_to_end() -> None:
    short = make_floor(1, wrapuptime=4)
    run_task(short, 400, (1, 1))
    short.advance(2 * HOUR)
    gaps = _next_dial_after_each_talk(short)
    assert len(gaps) > 10
    # wrap-up (4 s) ends within the look-ahead: the next call is dialled as the talk ends
    assert sum(gap <= 1 for gap in gaps) >= 0.9 * len(gaps)

    long = make_floor(1, wrapuptime=30)
    run_task(long, 400, (1, 1))
    long.advance(2 * HOUR)
    gaps = _next_dial_after_each_talk(long)
    assert len(gaps) > 10
    # a long wrap-up: nothing is dialled until it is within the look-ahead of its end
    ahead = 30 - dialer.LOOKAHEAD_SECONDS
    assert all(gap >= ahead - 1 for gap in gaps), sorted(gaps)[:5]
    assert statistics.median(gaps) <= ahead + 1


def _pool_with(talking: list[tuple[float, bool]], wrapping: list[float], now: float) -> Pool:
    pool = Pool(key="queue:q")
    for i, (connected_at, paused) in enumerate(talking):
        ext = Extension(extnumber=f"t{i}", password="x")
        m = Member(extnumber=ext.extnumber, crmid="1", seatsname="s", pool=pool, ext=ext)
        m.paused = paused
        pool.talking[ext.extnumber] = (m, connected_at)
    for i, ready_at in enumerate(wrapping):
        ext = Extension(extnumber=f"w{i}", password="x")
        m = Member(extnumber=ext.extnumber, crmid="1", seatsname="s", pool=pool, ext=ext)
        pool.wrapping[ext.extnumber] = (m, ready_at)
    return pool


def test_agents_about_to_free_up_follow_the_talk_time_distribution() -> None:
    now = 10_000.0
    # A call just begun almost never ends within the look-ahead; one near the median does
    # more often; a paused talker will not come back to the queue.
    fresh = dialer.agents_freeing(_pool_with([(now - 1, False)], [], now), now)
    median = dialer.agents_freeing(_pool_with([(now - 95, False)], [], now), now)
    paused = dialer.agents_freeing(_pool_with([(now - 95, True)], [], now), now)
    assert fresh == 0.0 and 0.01 < median < 0.2 and paused == 0.0
    # The probabilities are those of the bounded log-normal the talks are drawn from.
    e, h = 95, dialer.LOOKAHEAD_SECONDS
    cdf = dialer._talk_cdf
    assert median == pytest.approx((cdf(e + h) - cdf(e)) / (1 - cdf(e)))
    assert dialer.agents_freeing(_pool_with([(now - 3599, False)], [], now), now) == 1.0
    # Wrap-up: those ending within the look-ahead count whole, the others not at all.
    wraps = _pool_with([], [now + 1, now + h - 0.5, now + h + 5, now - 1], now)
    assert dialer.agents_freeing(wraps, now) == 2.0
    assert len(wraps.wrapping) == 3  # the one whose wrap-up is over is forgotten


def test_talk_draws_agree_with_the_distribution_the_dialler_assumes() -> None:
    floor = make_floor(1, wrapuptime=0)
    talks = [dialer.talk(floor.rng)[0] for _ in range(20_000)]
    for seconds in (30.0, 95.0, 300.0):
        share = sum(t <= seconds for t in talks) / len(talks)
        assert share == pytest.approx(dialer._talk_cdf(seconds), abs=0.02)


# -- customers who wait ------------------------------------------------------------------------
def test_customers_hang_up_on_their_own_or_are_dropped_at_discardtime() -> None:
    floor = make_floor(20, wrapuptime=5, discardtime=120)
    run_task(floor, 200, (1, 3))
    for i in range(1, 21):  # everybody pauses while the first dials ring
        floor.set_seat_status("q1", ext_no(i), str(100 + i), True)
    floor.advance(HOUR)
    abandoned = [b for b in floor.bills if b.abandoned]
    gave_up = [b.billsec for b in abandoned if b.hangupdirection == 10041]
    dropped = [b.billsec for b in abandoned if b.hangupdirection == 10040]
    assert len(abandoned) == floor.stats.abandoned >= 10
    assert len(gave_up) == floor.stats.gave_up > 0 and dropped
    assert all(w <= 120 for w in gave_up) and all(119 <= w <= 121 for w in dropped)
    assert len(set(gave_up)) > 3  # drawn per customer, not one fixed patience
    assert all(b.hangupcause == 10002 and b.answertime is not None for b in abandoned)


def test_inbound_customers_are_more_patient_than_predictive_ones() -> None:
    floor = make_floor(1, wrapuptime=0)
    outbound = statistics.median(dialer.patience(floor.rng) for _ in range(5000))
    inbound = statistics.median(dialer.patience(floor.rng, inbound=True) for _ in range(5000))
    assert outbound == pytest.approx(dialer.PATIENCE_MEDIAN_SECONDS, rel=0.1)
    assert inbound == pytest.approx(dialer.INBOUND_PATIENCE_MEDIAN_SECONDS, rel=0.1)


def test_a_task_s_answer_share_is_how_often_its_customers_answer() -> None:
    floor = make_floor(20, wrapuptime=5)
    taskid = run_task(floor, 2000, (1, 1))
    floor.set_answer_share(taskid, 0.6)
    floor.advance(6 * HOUR)
    bills = [b for b in floor.bills if b.callmethod == 5]
    assert len(bills) > 1500
    assert 0.55 < sum(b.answer_after is not None for b in bills) / len(bills) < 0.65
    with pytest.raises(ValueError):
        floor.set_answer_share(taskid, 1.5)


# -- scenarios ---------------------------------------------------------------------------------
def test_every_scenario_is_named_and_described_in_one_line() -> None:
    assert next(iter(SCENARIOS)) == "default"
    assert {"default", "calm", "lunch", "surge"} <= set(SCENARIOS)
    lines = describe_scenarios().splitlines()
    assert len(lines) == len(SCENARIOS)
    assert all(line.split(": ", 1)[1] and "\n" not in line for line in lines)
    with pytest.raises(ValueError, match="choose one of: default, calm, lunch, surge"):
        build_floor(scenario="rush")


def test_the_lunch_wave_pauses_half_the_floor_and_brings_it_back() -> None:
    def paused(floor: Floor) -> int:
        return sum(r["state"] == 1217 for r in floor.queue_agents())

    lunch, default = build_floor(seed=4, scenario="lunch"), build_floor(seed=4)
    lunch.advance(30 * 60)
    default.advance(30 * 60)
    assert paused(lunch) >= paused(default) + 10
    lunch.advance(60 * 60)
    default.advance(60 * 60)
    assert paused(lunch) <= paused(default) + 5  # back from lunch: only the usual breaks


@pytest.mark.parametrize("offset", [0, 200 * 86_400 + 54_321, -3 * 86_400 + 14 * 3600 + 59 * 60])
def test_the_floor_runs_the_same_from_any_start(offset: int) -> None:
    """Nothing on the floor depends on the reference Monday: a run started at another day
    and hour (crossing midnight, too) makes the same calls at the same offsets."""

    def shape(start: float) -> list[tuple[int, int, int, str, int | None]]:
        floor = build_floor(seed=5, agents=20, start=start)
        floor.advance(HOUR)
        return [
            (b.start - int(start), b.duration, b.callmethod, b.extnumber, b.answer_after)
            for b in floor.bills
        ]

    assert shape(DEFAULT_START + offset) == shape(DEFAULT_START)
