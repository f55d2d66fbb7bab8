"""The floors the simulator serves: a small outbound floor as it looks on a Monday morning,
its people, and named variations of it (`SCENARIOS`).

The floor model knows the rules; this module knows the floor: how many agents in which
queues, who is paused or offline, the campaigns the company runs and the habits of the
people (breaks, a lunch wave, callbacks dialled by hand, calls the CRM places, calls that
ring in, a phone that drops off now and then, a CRM that tops up its campaigns). Everything
goes through the floor's public methods, on the floor's one random generator, so a seed
gives the same floor every time, from whatever moment the clock starts.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wallboard.api.services import MAX_NUMBERS_PER_CALL
from wallboard.sim.entities import TASK_OVER, TASK_RUNNING, Extension, Member
from wallboard.sim.floor import Floor

#: 2026-01-05 09:00:00, a Monday morning (naive local time kept as UTC): the reference start
#: of replayable runs. Nothing on the floor depends on it; any start works.
DEFAULT_START = 1767603600.0

_QUEUE_NAMES = ("sales", "renewals", "retention", "survey", "collections", "upgrades")
_CAMPAIGN_NAMES = (
    "Winter renewals",
    "Broadband upgrade",
    "Customer survey",
    "Win-back",
    "Late payments",
    "Fibre launch",
)
_STRATEGIES = (1, 7, 4, 8, 2, 5, 6, 3)
_USERIDS = tuple(str(100 + i) for i in range(50))  # the CRM's users who own the leads


@dataclass(frozen=True, slots=True)
class Habits:
    """How often the simulated people do things (mean seconds between occurrences)."""

    break_every: float = 75 * 60  # per agent
    break_length: tuple[float, float] = (5 * 60, 15 * 60)
    manual_call_every: float = 2 * 3600  # per agent (most attempts find the agent busy)
    phone_change_every: float = 40 * 60  # for the whole floor
    crm_check_every: float = 60.0  # the CRM tops up running campaigns
    numbers_per_agent: int = 25  # a campaign is topped up below this many numbers per agent
    inbound_every: float = 4 * 60  # per queue: customers who ring in (callmethod 6, "callin")
    api_call_every: float = 5 * 60  # for the whole floor: the CRM places a call (3, or 4)
    api_double_share: float = 1 / 3  # of those, double calls (callmethod 4)
    extension_call_every: float = 10 * 60  # for the whole floor: a colleague's extension (1)
    ivr_call_every: float = 10 * 60  # for the whole floor: an IVR notification call (6)


@dataclass(frozen=True, slots=True)
class LunchWave:
    """A wave of pauses: from `after` seconds into the run, over `spread` seconds, a `share`
    of the agents pause for lunch for `length` seconds (a range)."""

    after: float = 15 * 60
    spread: float = 10 * 60
    share: float = 0.5
    length: tuple[float, float] = (30 * 60, 45 * 60)


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """A named floor: the default floor with other habits, pacing or customers.

    `scales` replace the campaigns' taskscales (campaign i takes scales[i % len]);
    `answer_shares` the share of their customers who answer (a fresh list answers more)."""

    description: str
    habits: Habits = Habits()
    scales: tuple[tuple[int, int], ...] = ((1, 2), (2, 3), (1, 1), (1, 3))
    answer_shares: tuple[float, ...] = (0.38,)
    lunch: LunchWave | None = None


#: The named scenarios, `wallboard sim --scenario NAME`; "default" is the demo's floor.
SCENARIOS: dict[str, ScenarioSpec] = {
    "default": ScenarioSpec(
        "a Monday morning: two campaigns at their usual pace (1:2 and 2:3), a few calls "
        "ringing in; 1-5% of answered customers abandoned"
    ),
    "calm": ScenarioSpec(
        "a quiet floor: every campaign paced 1:1, few breaks, hardly a call dropped",
        habits=Habits(break_every=3 * 3600, inbound_every=10 * 60),
        scales=((1, 1),),
    ),
    "lunch": ScenarioSpec(
        "the default floor with a lunch wave: from 15 minutes in, half the agents pause "
        "for 30-45 minutes",
        lunch=LunchWave(),
    ),
    "surge": ScenarioSpec(
        "a fresh list: the first campaign's customers answer half again as often at the "
        "same pace, and it drops over 3% of its answered calls",
        answer_shares=(0.55, 0.38),
    ),
}


def scenario_names() -> list[str]:
    """The scenario names, default first (for `--help` and error messages)."""
    return list(SCENARIOS)


def describe_scenarios() -> str:
    """One line per scenario, "name: description", for `--help`."""
    return "\n".join(f"{name}: {spec.description}" for name, spec in SCENARIOS.items())


def scenario_spec(name: str) -> ScenarioSpec:
    """The named scenario; ValueError naming the choices for an unknown name."""
    spec = SCENARIOS.get(name.strip().lower())
    if spec is None:
        raise ValueError(f"unknown scenario {name!r}; choose one of: {', '.join(SCENARIOS)}")
    return spec


def build_floor(
    *,
    seed: int = 7,
    agents: int = 40,
    queues: int = 3,
    campaigns: int = 2,
    start: float = DEFAULT_START,
    habits: Habits | None = None,
    scenario: str | ScenarioSpec = "default",
) -> Floor:
    """A floor of `agents` agents over `queues` queues with `campaigns` running tasks, some
    agents paused or unregistered, a disabled extension or two, a group, breaks and calls
    of every method now and then, as the named `scenario` (see `SCENARIOS`) has it.
    Deterministic in `seed`; `start` is any moment. `habits=Habits(...)` overrides the
    scenario's; tests that want a floor without people build one from `Floor` directly.
    ValueError for an unknown scenario or a floor without agents or queues."""
    spec = scenario if isinstance(scenario, ScenarioSpec) else scenario_spec(scenario)
    if habits is not None:
        spec = dataclasses.replace(spec, habits=habits)
    if agents < 1 or queues < 1 or campaigns < 0:
        raise ValueError("a floor needs at least one agent and one queue")
    floor = Floor(seed=seed, start=start)
    rng = floor.rng
    code = floor.companycode
    for i in range(1, 9):
        floor.add_caller_id(f"21{code}{i:04d}", enabled=i != 8)

    names = [_queue_name(i) for i in range(queues)]
    for i, name in enumerate(names):
        queue = floor.add_queue(
            name, True, f"{name.split('-', 1)[-1].title()} team", _STRATEGIES[i % 8]
        )
        floor.edit_queue(
            name,
            queue.remark,
            ringdelay=8 + int(rng.random() * 5),
            discardtime=20 + int(rng.random() * 11),
            wrapuptime=5 + int(rng.random() * 11),
        )

    exts: list[Extension] = []
    for i in range(1, agents + 1):
        extnumber = f"{code}{i:04d}"
        password = f"{int(rng.random() * 10**12):012d}"
        idle_since = start - rng.random() * 600
        ext = floor.add_extension(
            extnumber, password, clientip=_client_ip(i), idle_since=idle_since
        )
        exts.append(ext)
        crmid = str(1000 + i)
        floor.sign_in(names[(i - 1) % queues], extnumber, crmid)
        if queues > 1 and rng.random() < 0.15:  # a skilled agent works two queues
            floor.sign_in(names[i % queues], extnumber, crmid)

    for ext in exts:  # supervisors have paused a few (doing callbacks, coaching)
        if rng.random() < 0.1:
            for member in list(ext.members):
                floor.set_seat_status(member.pool.queue, ext.extnumber, member.crmid, True)
    for ext in exts:  # a few phones have dropped off
        if rng.random() < 0.06:
            floor.set_registered(ext.extnumber, False)
    disabled = 0 if agents < 5 else min(2, max(1, agents // 20))
    for ext in exts[agents - disabled :]:
        floor.set_enabled(ext.extnumber, False)  # left the company this week

    floor.add_group("team-leads")
    for ext in exts[: min(4, agents)]:
        floor.add_group_ext("team-leads", ext.extnumber)

    people = _People(floor, spec, exts)
    for i in range(campaigns):
        people.start_campaign(i, names[i % queues])
    people.start()
    return floor


def _queue_name(i: int) -> str:
    base = _QUEUE_NAMES[i % len(_QUEUE_NAMES)]
    return f"autocall-{base}" if i < len(_QUEUE_NAMES) else f"autocall-{base}-{i}"


def _client_ip(i: int) -> str:
    return f"192.168.{10 + i // 250}.{10 + i % 250}"


class _People:
    """The habits of the people on the floor, as timed events on the floor's clock."""

    def __init__(self, floor: Floor, spec: ScenarioSpec, exts: list[Extension]) -> None:
        self.floor = floor
        self.spec = spec
        self.habits = spec.habits
        self.exts = exts
        self.campaigns: list[str] = []
        self._phones = 0

    def start(self) -> None:
        floor, rng, habits = self.floor, self.floor.rng, self.habits
        for ext in self.exts:
            floor.schedule(
                floor.now + rng.expovariate(1 / habits.break_every),
                functools.partial(self._take_break, ext),
            )
        self._later(habits.manual_call_every / max(1, len(self.exts)), self._manual_call)
        self._later(habits.phone_change_every, self._phone_change)
        floor.schedule(floor.now + habits.crm_check_every, self._top_up)
        for name in floor.queues:
            self._later(habits.inbound_every, functools.partial(self._ring_in, name))
        self._later(habits.api_call_every, self._api_call)
        self._later(habits.extension_call_every, self._extension_call)
        self._later(habits.ivr_call_every, self._ivr_call)
        if self.spec.lunch is not None:
            self._lunch_wave(self.spec.lunch)

    def _later(self, mean: float, action: Callable[[], None]) -> None:
        floor = self.floor
        floor.schedule(floor.now + floor.rng.expovariate(1 / mean), action)

    # -- campaigns ---------------------------------------------------------------------
    def start_campaign(self, i: int, queuename: str) -> None:
        floor, spec = self.floor, self.spec
        agents = len(floor.queues[queuename].members)
        callers = list(floor.disnumbers)[i % 3 : i % 3 + 2] if i % 2 == 0 else []
        taskid, _ = floor.create_task(
            2,
            queuename,
            self._numbers(self._batch(agents) * 2, scheduled=True),
            spec.scales[i % len(spec.scales)],
            [c for c in callers if floor.disnumbers[c]],
            _CAMPAIGN_NAMES[i % len(_CAMPAIGN_NAMES)],
        )
        floor.set_answer_share(taskid, spec.answer_shares[i % len(spec.answer_shares)])
        floor.set_task(taskid, 1)
        self.campaigns.append(taskid)

    def _batch(self, agents: int) -> int:
        """Numbers per upload: enough for a while, within the documented 10,000 per call."""
        return max(50, min(MAX_NUMBERS_PER_CALL // 2, agents * self.habits.numbers_per_agent))

    def _numbers(self, count: int, *, scheduled: bool = False) -> list[dict[str, object]]:
        floor, rng = self.floor, self.floor.rng
        numbers: list[dict[str, object]] = []
        for _ in range(count):
            self._phones += 1
            # A permutation of the sequence keeps numbers unique and looking random.
            digits = (self._phones * 7_919_007 + floor.seed * 104_729) % 10**9
            later = scheduled and rng.random() < 0.1
            numbers.append(
                {
                    "phone": f"1{3 + self._phones % 7}{digits:09d}",
                    "time": int(floor.now + rng.random() * 7200) if later else "",
                    "userid": _USERIDS[self._phones % len(_USERIDS)],
                }
            )
        return numbers

    def _phone_number(self) -> str:
        self._phones += 1
        return f"0{20 + self._phones % 70}{self._phones:08d}"

    def _top_up(self) -> None:
        floor = self.floor
        for taskid in self.campaigns:
            task = floor.tasks[taskid]
            if task.status != TASK_RUNNING or task.pool is None:
                continue
            agents = max(1, len(task.pool.members))
            if task.pending < agents * self.habits.numbers_per_agent:
                floor.add_numbers(taskid, self._numbers(self._batch(agents)))
        if any(floor.tasks[t].status != TASK_OVER for t in self.campaigns):
            floor.schedule(floor.now + self.habits.crm_check_every, self._top_up)

    # -- agents ------------------------------------------------------------------------
    def _take_break(self, ext: Extension) -> None:
        floor, rng, habits = self.floor, self.floor.rng, self.habits
        paused = self._pause_all(ext, "break")
        low, high = habits.break_length
        floor.schedule(
            floor.now + low + (high - low) * rng.random(),
            functools.partial(self._end_break, ext, paused),
        )

    def _end_break(self, ext: Extension, paused: Sequence[Member]) -> None:
        floor, rng = self.floor, self.floor.rng
        self._resume(ext, paused, "break")
        floor.schedule(
            floor.now + rng.expovariate(1 / self.habits.break_every),
            functools.partial(self._take_break, ext),
        )

    def _pause_all(self, ext: Extension, why: str) -> list[Member]:
        """Pause `ext` in every queue it works and is not paused in; the members paused."""
        floor = self.floor
        paused = []
        for member in list(ext.members):
            if member.pool.queue and not member.paused and ext.enabled:
                floor.set_seat_status(member.pool.queue, ext.extnumber, member.crmid, True, by=why)
                paused.append(member)
        return paused

    def _resume(self, ext: Extension, paused: Sequence[Member], why: str) -> None:
        floor = self.floor
        for member in ext.members:
            back = member in paused and member.paused and member.paused_by == why
            if back and ext.enabled and member.pool.queue in floor.queues:
                floor.set_seat_status(member.pool.queue, ext.extnumber, member.crmid, False)

    def _lunch_wave(self, wave: LunchWave) -> None:
        floor, rng = self.floor, self.floor.rng
        for ext in self.exts:
            goes = rng.random() < wave.share
            at = floor.now + wave.after + wave.spread * rng.random()
            low, high = wave.length
            length = low + (high - low) * rng.random()
            if goes:
                floor.schedule(at, functools.partial(self._lunch, ext, length))

    def _lunch(self, ext: Extension, length: float) -> None:
        paused = self._pause_all(ext, "lunch")
        floor = self.floor
        floor.schedule(floor.now + length, functools.partial(self._resume, ext, paused, "lunch"))

    def _manual_call(self) -> None:
        floor, rng = self.floor, self.floor.rng
        ext = self.exts[int(rng.random() * len(self.exts))]
        on_duty = any(not m.paused for m in ext.members if m.pool.queue)
        if not on_duty and ext.call is None and ext.enabled and ext.registered:
            floor.place_manual_call(ext.extnumber, self._phone_number())
        self._later(self.habits.manual_call_every / max(1, len(self.exts)), self._manual_call)

    def _free_extension(self) -> Extension | None:
        """A random extension that can place a call now, or None."""
        rng = self.floor.rng
        free = [e for e in self.exts if e.call is None and e.enabled and e.registered]
        pick = int(rng.random() * max(1, len(free)))
        return free[pick] if free else None

    def _api_call(self) -> None:
        habits, rng = self.habits, self.floor.rng
        double = rng.random() < habits.api_double_share
        ext = self._free_extension()
        if ext is not None:
            self.floor.place_api_call(ext.extnumber, self._phone_number(), double=double)
        self._later(habits.api_call_every, self._api_call)

    def _extension_call(self) -> None:
        caller = self._free_extension()
        if caller is not None:
            others = [e for e in self.exts if e is not caller and e.enabled and e.registered]
            if others:
                called = others[int(self.floor.rng.random() * len(others))]
                self.floor.place_extension_call(caller.extnumber, called.extnumber)
        self._later(self.habits.extension_call_every, self._extension_call)

    def _ivr_call(self) -> None:
        self.floor.place_ivr_call(self._phone_number())
        self._later(self.habits.ivr_call_every, self._ivr_call)

    def _ring_in(self, queuename: str) -> None:
        floor = self.floor
        if queuename not in floor.queues:
            return  # the queue was deleted: nobody rings it any more
        floor.ring_in(queuename, self._phone_number())
        self._later(self.habits.inbound_every, functools.partial(self._ring_in, queuename))

    def _phone_change(self) -> None:
        floor, rng = self.floor, self.floor.rng
        ext = self.exts[int(rng.random() * len(self.exts))]
        if ext.enabled and not ext.registered:
            floor.set_registered(ext.extnumber, True, _client_ip(int(ext.extnumber[-4:])))
        elif ext.enabled and ext.call is None and rng.random() < 0.5:
            floor.set_registered(ext.extnumber, False)
        self._later(self.habits.phone_change_every, self._phone_change)
