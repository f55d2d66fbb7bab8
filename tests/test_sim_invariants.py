"""Invariants of the simulated floor over long seeded runs and random operation sequences.

A `Watch` listens to every event the floor emits and checks it, at that moment, against the
floor's public state; after a run the bills are checked against the counters. Hours of
floor time run in a second or two because time is simulated.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallboard.api.codes import BUSINESS
from wallboard.sim.floor import Bill, Floor, FloorError, FloorEvent, Member
from wallboard.sim.scenario import DEFAULT_START, build_floor

HOUR = 3600.0


def is_free(floor: Floor, m: Member) -> bool:
    """An agent free to take a call, judged from the public facts (not the floor's sets)."""
    ext = m.ext
    return (
        ext.call is None
        and ext.enabled
        and ext.registered
        and not m.paused
        and floor.now >= ext.ready_at
        and floor.now >= m.missed_until
        and m.pool.members.get(m.extnumber) is m
    )


class Watch:
    """Checks each event as it happens; collects violations rather than raising, because
    the floor logs and swallows a listener's exceptions."""

    def __init__(self, floor: Floor) -> None:
        self.floor = floor
        self.violations: list[str] = []
        self.legs: dict[str, str] = {}  # extension -> uuid of the one call it is on
        self.released: dict[str, set[str]] = {}  # uuid -> extensions whose leg just ended
        self.offers = 0
        self.abandoned = 0
        floor.subscribe(self)

    def __call__(self, event: FloorEvent) -> None:
        if event.kind == "ext":
            self._extension(event.payload)
        elif event.kind == "bill" and event.bill is not None:
            self._bill(event.bill)

    def fail(self, what: str) -> None:
        self.violations.append(f"{self.floor.now:.1f}: {what}")

    def _extension(self, p: dict[str, Any]) -> None:
        ext, uuid, status = p["extnumber"], p["uuid"], p["status"]
        if status == "ring":
            if ext in self.legs:
                self.fail(f"{ext} rung for {uuid} while on {self.legs[ext]}")
            self.legs[ext] = uuid
            queue_call = p["method"] == "5" or p["direction"] == "callin"
            if p["isbleg"] == "false" and queue_call:
                self._offer(ext)
        elif status == "answer":
            if self.legs.get(ext) != uuid:
                self.fail(f"{ext} answered {uuid} without ringing")
        else:
            if self.legs.pop(ext, None) != uuid:
                self.fail(f"{ext} hung up {uuid} it was not on")
            self.released.setdefault(uuid, set()).add(ext)

    def _offer(self, extnumber: str) -> None:
        self.offers += 1
        ext = self.floor.extensions[extnumber]
        call = ext.call
        if call is None or call.pool is None:
            self.fail(f"{extnumber} rung with no queue call")
            return
        member = call.pool.members.get(extnumber)
        if member is None:
            self.fail(f"{extnumber} offered a call of {call.pool.key} without being in it")
        elif member.paused:
            self.fail(f"{extnumber} offered a call while paused")
        if not ext.registered or not ext.enabled:
            self.fail(f"{extnumber} offered a call while unregistered or disabled")

    def _bill(self, bill: Bill) -> None:
        ringing = self.released.pop(bill.uuid, set())
        self._every_bill(bill)
        if not bill.abandoned:
            return
        self.abandoned += 1
        if bill.answertime is None or bill.extnumber:
            self.fail(f"abandoned bill {bill.id} without an answertime or with an extension")
        if bill.direction != "callout" or not bill.taskid:
            return  # an incoming call: its queue is not on the bill
        pool = self.floor.tasks[bill.taskid].pool
        assert pool is not None
        if bill.hangupdirection == 10041:
            # The customer hung up on their own: maybe while one agent's phone rang for them
            # and another had just freed up. Never later than the queue would drop them.
            if bill.billsec > pool.discardtime + 1:
                self.fail(f"customer of {bill.id} gave up after discardtime")
            return
        # Agents the dropped call was still ringing were not free: the drop freed them.
        free = [
            m.extnumber
            for m in pool.members.values()
            if is_free(self.floor, m) and m.extnumber not in ringing
        ]
        if free:
            self.fail(f"call {bill.id} dropped while {free} were free")

    def _every_bill(self, bill: Bill) -> None:
        """Fields agree with the call method and direction (API-NOTES decisions 8, 9, 14)."""
        if bill.callmethod not in (1, 2, 3, 4, 5, 6):
            self.fail(f"bill {bill.id} has callmethod {bill.callmethod}")
        if bill.direction == "callin" and bill.callmethod != 6:
            self.fail(f"incoming bill {bill.id} not through the IVR (callmethod 6)")
        if bill.callmethod in (1, 2, 3, 4) and not bill.extnumber:
            self.fail(f"bill {bill.id} of an extension's call has no extension")
        if bill.callmethod == 6 and bill.direction == "callout" and bill.extnumber:
            self.fail(f"IVR call {bill.id} names an extension")
        if bill.recordfilename and not (bill.extnumber and bill.answertime is not None):
            self.fail(f"bill {bill.id} has a recording though nobody of ours talked")


def check_states(floor: Floor) -> list[str]:
    """What GetQueueSipStatus and GetSipCallStatus show agrees with the calls in progress."""
    problems = []
    holders: Counter[str] = Counter()  # an extension is on one call at most
    for call in floor.calls.values():
        held = {m.ext.extnumber for m in call.offers}
        held |= {e.extnumber for e in (call.ext, call.peer) if e is not None}
        for extnumber in held:
            holders[extnumber] += 1
            if floor.extensions[extnumber].call is not call:
                problems.append(f"{extnumber} is on call {call.seq} that it does not show")
    problems += [f"{e} is on {n} calls at once" for e, n in holders.items() if n > 1]
    predictive = [c for c in floor.calls.values() if c.task is not None]
    if sum(t.active for t in floor.tasks.values()) != len(predictive):
        problems.append("tasks' active calls differ from the calls in progress")
    for queue in floor.queues.values():
        for row in floor.queue_agents(queue.name):
            ext = floor.extensions[row["extnumber"]]
            member = queue.members[row["extnumber"]]
            call = ext.call
            ringing = call is not None and any(m is member for m in call.offers)
            talking = call is not None and call.agent is member and call.stage == 2
            if (row["state"] == 1214) != ringing:
                problems.append(f"{ext.extnumber} in {queue.name}: 1214 vs ringing={ringing}")
            if (row["state"] == 1215) != talking:
                problems.append(f"{ext.extnumber} in {queue.name}: 1215 vs talking={talking}")
            if talking and floor.call_state(ext.extnumber)["status"] != 1204:
                problems.append(f"{ext.extnumber} talks but its call status is not 1204")
            if ringing and floor.call_state(ext.extnumber)["status"] != 1202:
                problems.append(f"{ext.extnumber} rings but its call status is not 1202")
            if call is not None and call.seq not in floor.calls:
                problems.append(f"{ext.extnumber} is on a call that is over")
    return problems


def outcome(bill: Bill) -> str:
    if bill.answer_after is not None:
        return "answered"
    return {10006: "busy", 10005: "no_answer", 10003: "refused", 10004: "failed"}[bill.hangupcause]


def check_books(floor: Floor, *, agents_stayed: bool) -> None:
    """After every predictive call is over (the people may still be placing and taking
    calls of other kinds): the bills agree with the tasks, the counters and agents."""
    assert not [c for c in floor.calls.values() if c.method == 5]
    predictive = [b for b in floor.bills if b.callmethod == 5]
    for task in floor.tasks.values():
        mine = [b for b in predictive if b.taskid == task.taskid]
        assert len(mine) == task.dialled, task.taskid
        assert len({b.destnumber for b in mine}) == len(mine)  # one bill per dialled number
        assert task.active == 0 and task.in_dial == 0
        assert all(n.state != 1 for n in task.numbers.values())  # nothing left dialling
    stats = floor.stats
    shares = Counter(outcome(b) for b in predictive)
    assert stats.dialled == len(predictive) == sum(t.dialled for t in floor.tasks.values())
    assert stats.dialled == (
        stats.answered + stats.busy + stats.no_answer + stats.refused + stats.failed
    )
    assert shares == Counter(
        answered=stats.answered,
        busy=stats.busy,
        no_answer=stats.no_answer,
        refused=stats.refused,
        failed=stats.failed,
    )
    assert sum(b.abandoned for b in predictive) == stats.abandoned
    assert sum(bool(b.extnumber) for b in predictive) == stats.connected
    assert stats.answered == stats.connected + stats.abandoned
    for b in floor.bills:
        assert b.duration >= 0 and 0 <= b.billsec <= b.duration
        assert (b.answer_after is None) == (b.billsec == 0 and b.answertime is None)
    if agents_stayed:  # GetQueueSipStatus's counts agree with the bills
        queue_tasks = {t.taskid for t in floor.tasks.values() if t.pool and t.pool.queue}
        # an agent's queue calls: the queues' predictive calls and the calls that rang in
        # (an incoming bill does not name its queue: count per agent over all queues)
        taken = Counter(
            b.extnumber
            for b in floor.bills
            if b.extnumber and (b.taskid in queue_tasks or b.direction == "callin")
        )
        for call in floor.calls.values():  # taken, still talking
            if call.agent is not None:
                taken[call.agent.extnumber] += 1
        answered: Counter[str] = Counter()
        for row in floor.queue_agents():
            answered[row["extnumber"]] += row["callsanswered"]
        assert +answered == taken
        for b in floor.bills:
            if b.direction == "callin" and b.extnumber:  # taken by someone in a queue
                assert any(m.pool.queue for m in floor.extensions[b.extnumber].members), b


def test_a_working_day_keeps_every_invariant() -> None:
    floor = build_floor(seed=11, agents=60, queues=3, campaigns=3)
    watch = Watch(floor)
    paused_task = next(iter(floor.tasks))
    problems: list[str] = []
    paused_at = resumed_at = 0.0
    for step in range(int(6 * HOUR / 300)):
        floor.advance(300)
        problems += check_states(floor)
        if step == 24:
            floor.set_task(paused_task, 2)
            paused_at = floor.now
        if step == 36:
            floor.set_task(paused_task, 1)
            resumed_at = floor.now
    assert not problems, problems[:5]
    for taskid in floor.tasks:
        floor.set_task(taskid, 3)
    floor.advance(5 * HOUR)  # every call in progress ends (talk is capped at an hour)
    assert not watch.violations, watch.violations[:5]
    assert watch.offers > 5000 and watch.abandoned > 0
    assert not watch.legs or all(
        floor.extensions[e].call is not None for e in watch.legs
    )  # only manual calls may still be up
    check_books(floor, agents_stayed=True)
    paused_bills = [b for b in floor.bills if b.taskid == paused_task]
    assert not [b for b in paused_bills if paused_at < b.start < resumed_at]
    assert any(b.start >= resumed_at for b in paused_bills)
    assert floor.stats.manual_calls > 0 and floor.stats.missed_offers > 0


def _day(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    floor = build_floor(seed=seed, agents=30)
    floor.advance(2 * HOUR)
    taskid = next(iter(floor.tasks))
    floor.set_task(taskid, 2)
    floor.advance(HOUR)
    bills = [floor.bill_row(b) | {"uuid": b.uuid} for b in floor.bills]
    return bills, floor.queue_agents()


def test_same_seed_same_floor_and_bills() -> None:
    first, second, other = _day(5), _day(5), _day(6)
    assert first == second
    assert len(first[0]) > 500
    assert first[0] != other[0]


_FINGERPRINT = """
import hashlib, json
from wallboard.sim.scenario import build_floor
floor = build_floor(seed=9, agents=30)
floor.advance(3600)
rows = [floor.bill_row(b) | {"uuid": b.uuid} for b in floor.bills] + floor.queue_agents()
print(len(floor.bills), hashlib.sha256(json.dumps(rows).encode()).hexdigest())
"""


def test_runs_agree_across_processes_whatever_the_hash_seed() -> None:
    """Iterating a set of strings would differ between processes: this catches it."""
    prints = []
    for hash_seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", _FINGERPRINT],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        prints.append(done.stdout)
    assert prints[0] == prints[1] and int(prints[0].split()[0]) > 100


OPERATION = st.one_of(
    st.tuples(st.just("advance"), st.integers(1, 900)),
    st.tuples(st.just("pause"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("sign_out"), st.integers(0, 5)),
    st.tuples(st.just("sign_in"), st.integers(0, 5)),
    st.tuples(st.just("register"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("enable"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("task"), st.integers(1, 3)),
    st.tuples(st.just("manual"), st.integers(0, 5)),
    st.tuples(st.just("add"), st.integers(0, 30)),
    st.tuples(st.just("remove"), st.integers(0, 60)),
    st.tuples(st.just("strategy"), st.integers(1, 8)),
    st.tuples(st.just("group"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("api"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("colleague"), st.integers(0, 5), st.integers(0, 5)),
    st.tuples(st.just("ring_in"), st.integers(0, 3)),
    st.tuples(st.just("ivr"), st.integers(0, 3)),
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(OPERATION, min_size=5, max_size=40), st.integers(0, 1000))
def test_random_operations_keep_the_invariants(ops: list[tuple[Any, ...]], seed: int) -> None:
    floor = Floor(seed=seed, start=DEFAULT_START)
    floor.add_queue("q", True, "q")
    floor.edit_queue("q", "q", ringdelay=6, discardtime=15, wrapuptime=4)
    floor.add_group("g")
    exts = [f"9017{i:04d}" for i in range(1, 7)]
    for i, ext in enumerate(exts):
        floor.add_extension(ext, "x")
        floor.sign_in("q", ext, str(i))
        floor.add_group_ext("g", ext)
    watch = Watch(floor)
    queue_task, _ = floor.create_task(2, "q", _numbers(0, 60), (1, 2), [], "")
    group_task, _ = floor.create_task(3, "g", _numbers(100, 20), (1, 1), [], "")
    floor.set_task(queue_task, 1)
    floor.set_task(group_task, 1)
    added = 200
    for op in ops:
        try:
            added = _apply(floor, op, exts, queue_task, added)
        except FloorError as error:
            assert error.code in BUSINESS, error
        problems = check_states(floor)
        assert not problems, (op, problems)
    for taskid in (queue_task, group_task):
        if floor.task_status(taskid) != 1028:
            floor.set_task(taskid, 3)
    floor.advance(5 * HOUR)
    assert not watch.violations, watch.violations[:5]
    check_books(floor, agents_stayed=False)


def _numbers(first: int, count: int) -> list[dict[str, Any]]:
    return [{"phone": f"1390000{first + i:04d}"} for i in range(count)]


def _apply(floor: Floor, op: tuple[Any, ...], exts: list[str], taskid: str, added: int) -> int:
    kind, *args = op
    if kind == "advance":
        floor.advance(args[0])
    elif kind == "pause":
        floor.set_seat_status("q", exts[args[0]], "1", args[1])
    elif kind == "sign_out":
        floor.sign_out("q", exts[args[0]], "1")
    elif kind == "sign_in":
        floor.sign_in("q", exts[args[0]], "1")
    elif kind == "register":
        floor.set_registered(exts[args[0]], args[1])
    elif kind == "enable":
        floor.set_enabled(exts[args[0]], args[1])
    elif kind == "task":
        floor.set_task(taskid, args[0])
    elif kind == "manual":
        floor.place_manual_call(exts[args[0]], "0201234567")
    elif kind == "add":
        floor.add_numbers(taskid, _numbers(added, args[0]))
        added += args[0]
    elif kind == "remove":
        floor.del_numbers(taskid, [f"1390000{i:04d}" for i in range(args[0], args[0] + 10)])
    elif kind == "strategy":
        floor.edit_queue("q", "q", strategy=args[0])
    elif kind == "group":
        floor.edit_group_ext("g", exts[args[0]], "busy" if args[1] else "idle")
    elif kind == "api":
        floor.place_api_call(exts[args[0]], "0201234567", double=args[1])
    elif kind == "colleague":
        floor.place_extension_call(exts[args[0]], exts[args[1]])
    elif kind == "ring_in":
        for i in range(args[0] + 1):
            floor.ring_in("q", f"0301234{i:03d}")
    elif kind == "ivr":
        floor.place_ivr_call(f"040123{args[0]:04d}")
    return added
