"""The simulated floor (no HTTP): reads, every mutation's documented codes, the life of a
call, pacing, ringing strategies, bills and the callback payloads.

Floors here are small and built from `Floor` directly so that each test sees exactly the
agents and numbers it set up; simulated time only moves in `advance`.
"""

from __future__ import annotations

import calendar
import hashlib
import math
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import pytest

from wallboard.api import codes, services
from wallboard.sim import bills as bills_module
from wallboard.sim import core as core_module
from wallboard.sim import entities
from wallboard.sim import floor as floor_module
from wallboard.sim.bills import call_uuid
from wallboard.sim.entities import STAGE_WAITING
from wallboard.sim.floor import Floor, FloorError, FloorEvent, Member
from wallboard.sim.scenario import DEFAULT_START, build_floor
from wallboard.sim.wire import format_time, parse_time

START = DEFAULT_START
EXT_EVENT_KEYS = {
    "buuid",
    "callee",
    "caller",
    "companycode",
    "customuuid",
    "direction",
    "disnumber",
    "extnumber",
    "isbleg",
    "method",
    "starttime",
    "status",
    "type",
    "uuid",
}
BILL_CALLBACK_KEYS = {
    "type",
    "callmethod",
    "starttime",
    "answertime",
    "endtime",
    "duration",
    "billsec",
    "crmid",
    "memberid",
    "chengshudu",
    "disnumber",
    "destnumber",
    "extnumber",
    "recordfilename",
    "downloadip",
    "hangupdirection",
    "hangupcause",
    "companycode",
    "id",
    "uuid",
    "userkey",
    "customuuid",
}
BILL_ROW_KEYS = {
    "id",
    "extnumber",
    "destnumber",
    "displaynumber",
    "starttime",
    "answertime",
    "endtime",
    "duration",
    "billsec",
    "direction",
    "callmethod",
    "userid",
    "memberid",
    "chengshudu",
    "customuuid",
    "recordfilename",
    "downloadip",
    "hangupdirection",
    "hangupcause",
    "userkey",
}


def ext_no(i: int) -> str:
    return f"9017{i:04d}"


def make_floor(
    agents: int = 4,
    *,
    strategy: int = 1,
    seed: int = 1,
    ringdelay: int = 10,
    discardtime: int = 30,
    wrapuptime: int = 5,
) -> Floor:
    """One autocall queue "q1" with `agents` registered agents checked in (crmid 101...)."""
    floor = Floor(seed=seed, start=START)
    floor.add_caller_id("2190170001")
    floor.add_caller_id("2190170002", enabled=False)
    floor.add_queue("q1", True, "first team", strategy)
    floor.edit_queue(
        "q1", "first team", ringdelay=ringdelay, discardtime=discardtime, wrapuptime=wrapuptime
    )
    for i in range(1, agents + 1):
        floor.add_extension(ext_no(i), f"pw-{i}", clientip=f"10.1.0.{i}")
        floor.sign_in("q1", ext_no(i), str(100 + i))
    return floor


def numbers(count: int, first: int = 0, **extra: Any) -> list[dict[str, Any]]:
    return [{"phone": f"1380000{first + i:04d}", **extra} for i in range(count)]


def running_task(floor: Floor, count: int, scale: tuple[int, int] = (1, 1), **kw: Any) -> str:
    taskid, invalid = floor.create_task(2, "q1", numbers(count, **kw), scale, [], "test")
    assert invalid == []
    floor.set_task(taskid, 1)
    return taskid


class Recorder:
    def __init__(self, floor: Floor) -> None:
        self.events: list[FloorEvent] = []
        floor.subscribe(self.events.append)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e.payload for e in self.events if e.kind == kind]


def code_of(call: Any, *args: Any, **kwargs: Any) -> int:
    with pytest.raises(FloorError) as caught:
        call(*args, **kwargs)
    return caught.value.code


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
    )


# -- reads ----------------------------------------------------------------------------------
def test_extension_reads_for_missing_disabled_unregistered_and_idle() -> None:
    floor = make_floor(3)
    floor.set_enabled(ext_no(2), False)
    floor.set_registered(ext_no(3), False)
    floor.advance(42)
    assert floor.call_state("90179999")["status"] == 1012
    assert floor.call_state(ext_no(2))["status"] == 1013
    assert floor.call_state(ext_no(3))["status"] == 1014
    idle = floor.call_state(ext_no(1))
    assert idle["status"] == 1201 and idle["idleduration"] == 42 and idle["callee"] is None
    assert floor.valid_state(ext_no(1)) == {"extnumber": ext_no(1), "code": 1016}
    assert floor.valid_state(ext_no(2))["code"] == 1013
    assert floor.valid_state("90179999")["code"] == 1012
    registered = floor.register_state(ext_no(1))
    assert registered["code"] == 1017 and registered["clientip"] == "10.1.0.1"
    assert registered["serverip"]
    assert floor.register_state(ext_no(3)) == {
        "extnumber": ext_no(3),
        "code": 1014,
        "clientip": None,
        "serverip": None,
    }
    assert floor.register_state("90179999")["code"] == 1012


def test_extension_rows_filter_and_the_password_stays_out_of_reprs() -> None:
    floor = make_floor(3)
    floor.set_enabled(ext_no(2), False)
    assert [r["extnumber"] for r in floor.extension_rows(1)] == [ext_no(1), ext_no(3)]
    assert [r["extnumber"] for r in floor.extension_rows(2)] == [ext_no(2)]
    assert len(floor.extension_rows(3)) == 3
    (row,) = floor.extension_rows(3, ext_no(1))
    assert row == {"extnumber": ext_no(1), "password": "pw-1", "status": 1016, "register": "reg"}
    assert floor.extension_rows(3, "90179999") == []
    assert "pw-1" not in repr(floor.extensions[ext_no(1)])
    assert "pw-1" not in repr(floor.queues["q1"].members[ext_no(1)])


def test_queue_rows_carry_the_documented_settings() -> None:
    floor = make_floor(2, strategy=7)
    (row,) = floor.queue_rows("q1")
    assert row["queuename"] == "q1" and row["remark"] == "first team"
    assert row["strategy"] == 7 and row["ringdelay"] == 10 and row["discardtime"] == 30
    assert row["announcefreq"] == 30 and row["noagentrejoiningtime"] == 5
    assert row["autocall"] == "idle"
    running_task(floor, 5)
    assert floor.queue_rows()[0]["autocall"] == "busy"
    floor.add_queue("manual", False, "no dialler")
    assert floor.queue_rows("manual")[0]["autocall"] == "unavailable"
    assert code_of(floor.queue_rows, "nope") == 1211
    assert code_of(floor.queue_agents, "nope") == 1211


def test_queue_agents_rows_and_pause() -> None:
    floor = make_floor(2)
    rows = floor.queue_agents()
    assert [r["extnumber"] for r in rows] == [ext_no(1), ext_no(2)]
    first = rows[0]
    assert first["seatsname"] == f"101_{ext_no(1)}_q1"
    assert first["state"] == first["status"] == 1213
    assert first["seatschangetime"] == "2026-01-05 09:00:00"
    assert first["callsanswered"] == 0 and first["noanswercount"] == 0
    assert first["wrapuptime"] == 5 and first["lastanswertime"] is None
    floor.advance(10)
    floor.set_seat_status("q1", ext_no(1), "101", True)
    assert floor.queue_agents("q1", ext_no(1))[0]["state"] == 1217
    assert floor.queue_agents("q1", ext_no(1))[0]["seatschangetime"] == "2026-01-05 09:00:10"
    assert [r["extnumber"] for r in floor.queue_agents(state=1)] == [ext_no(2)]
    floor.set_seat_status("q1", ext_no(1), "101", False)
    assert floor.queue_agents("q1", ext_no(1))[0]["state"] == 1213
    assert floor.queue_agents("q1", "90179999") == []


# -- mutations and their documented codes ---------------------------------------------------
def test_sign_in_codes() -> None:
    floor = make_floor(1)
    floor.add_extension(ext_no(2), "x", enabled=False)
    floor.add_extension(ext_no(3), "x", registered=False)
    floor.add_extension(ext_no(4), "x")
    assert code_of(floor.sign_in, "q1", "12345678", "1") == 1011
    assert code_of(floor.sign_in, "q1", "90179999", "1") == 1012
    assert code_of(floor.sign_in, "q1", ext_no(2), "1") == 1013
    assert code_of(floor.sign_in, "q1", ext_no(3), "1") == 1014
    assert code_of(floor.sign_in, "nope", ext_no(4), "1") == 1211
    assert code_of(floor.sign_in, "q1", ext_no(1), "101") == 1218
    assert code_of(floor.sign_in, "q1", ext_no(4), " ") == 1002
    floor.sign_in("q1", ext_no(4), "104")
    assert ext_no(4) in floor.queues["q1"].members


def test_sign_out_and_seat_status_codes() -> None:
    floor = make_floor(1)
    floor.add_extension(ext_no(2), "x")
    assert code_of(floor.sign_out, "q1", ext_no(2), "1") == 1002
    assert code_of(floor.sign_out, "nope", ext_no(1), "1") == 1211
    assert code_of(floor.sign_out, "q1", "1234", "1") == 1011
    assert code_of(floor.set_seat_status, "q1", ext_no(2), "1", True) == 1002
    assert code_of(floor.set_seat_status, "q1", "90179999", "1", True) == 1012
    floor.set_enabled(ext_no(1), False)
    assert code_of(floor.set_seat_status, "q1", ext_no(1), "101", True) == 1013
    floor.sign_out("q1", ext_no(1), "101")
    assert floor.queue_agents() == []
    assert floor.extensions[ext_no(1)].members == []


def test_queue_administration_codes() -> None:
    floor = make_floor(2)
    assert code_of(floor.add_queue, "q1", True, "again") == 1210
    assert code_of(floor.add_queue, "q2", True, "bad", 9) == 1002
    assert code_of(floor.add_queue, " ", True, "empty") == 1002
    assert code_of(floor.edit_queue, "nope", "x") == 1211
    assert code_of(floor.edit_queue, "q1", "x", ringdelay=0) == 1002
    assert code_of(floor.edit_queue, "q1", "x", colour=3) == 1002
    assert code_of(floor.edit_queue, "q1", "x", strategy=0) == 1002
    floor.edit_queue("q1", "renamed", strategy=4, maxwaittime=60, ringdelay=None)
    row = floor.queue_rows("q1")[0]
    assert (row["remark"], row["strategy"], row["maxwaittime"], row["ringdelay"]) == (
        "renamed",
        4,
        60,
        10,
    )
    taskid = running_task(floor, 3)
    assert code_of(floor.del_queue, "q1") == 1210
    floor.set_task(taskid, 3)
    floor.advance(4 * 3600)  # the calls in progress finish
    floor.del_queue("q1")
    assert "q1" not in floor.queues
    assert all(not ext.members for ext in floor.extensions.values())
    assert code_of(floor.del_queue, "q1") == 1211


def test_group_codes_and_rows() -> None:
    floor = make_floor(3)
    floor.add_group("leads")
    floor.add_group("old", 0)
    assert code_of(floor.add_group, "leads") == 1002
    assert code_of(floor.add_group, "x", 7) == 1002
    assert code_of(floor.add_group_ext, "nope", ext_no(1)) == 1002
    assert code_of(floor.add_group_ext, "leads", "1234") == 1011
    assert code_of(floor.add_group_ext, "leads", "90179999") == 1012
    floor.add_group_ext("leads", ext_no(1))
    floor.add_group_ext("leads", ext_no(2))
    assert code_of(floor.add_group_ext, "leads", ext_no(1)) == 1002
    assert code_of(floor.edit_group_ext, "leads", ext_no(1), "away") == 1002
    assert code_of(floor.edit_group_ext, "leads", ext_no(3), "busy") == 1002
    floor.edit_group_ext("leads", ext_no(2), "busy")
    assert floor.group_ext_rows("leads") == [
        {"name": "leads", "extnumber": ext_no(1), "status": "hangup", "state": "idle"},
        {"name": "leads", "extnumber": ext_no(2), "status": "hangup", "state": "busy"},
    ]
    assert floor.group_ext_rows("leads", ext_no(2))[0]["state"] == "busy"
    assert code_of(floor.group_ext_rows, "nope") == 1002
    assert code_of(floor.del_group_ext, "leads", ext_no(3)) == 1002
    floor.del_group_ext("leads", ext_no(1))
    assert [r["extnumber"] for r in floor.group_ext_rows("leads")] == [ext_no(2)]
    assert floor.group_rows("leads") == [{"id": 1, "name": "leads", "status": 1}]
    assert [g["name"] for g in floor.group_rows("", 0)] == ["old"]
    assert len(floor.group_rows("", 2)) == 2
    assert floor.group_rows("nope") == []


def test_create_task_codes() -> None:
    floor = make_floor(2)
    floor.add_extension(ext_no(9), "x", enabled=False)
    floor.add_queue("manual", False, "no dialler")
    floor.add_group("off", 0)
    few = numbers(2)

    def create(assigntype: int, agent: str, **kw: Any) -> int:
        args: dict[str, Any] = {"scale": (1, 1), "disnumbers": [], **kw}
        return code_of(floor.create_task, assigntype, agent, few, args["scale"], args["disnumbers"])

    assert create(4, "q1") == 1002
    assert create(1, "1234") == 1011
    assert create(1, "90179999") == 1012
    assert create(1, ext_no(9)) == 1013
    assert create(2, "nope") == 1211
    assert create(2, "manual") == 1210
    assert create(3, "nope") == 1002
    assert create(3, "off") == 1002
    assert create(2, "q1", disnumbers=["2190179999"]) == 1021
    assert create(2, "q1", disnumbers=["2190170002"]) == 1019
    assert create(2, "q1", scale=(0, 1)) == 1002
    too_many = numbers(10_001)
    assert code_of(floor.create_task, 2, "q1", too_many, (1, 1), []) == 1002
    assert floor.tasks == {}


def test_a_refused_task_leaves_the_floor_alone() -> None:
    floor = make_floor(1)
    seq = floor.rng.getstate()
    code = code_of(floor.create_task, 1, ext_no(1), numbers(1), (1, 1), ["2190179999"])
    assert code == 1021
    assert len(floor.extensions[ext_no(1)].members) == 1 and floor.rng.getstate() == seq
    assert floor.tasks == {}


def test_tasks_for_an_extension_and_for_a_group_ring_only_those() -> None:
    floor = make_floor(4, seed=8)
    floor.add_group("pair")
    for i in (2, 3):
        floor.add_group_ext("pair", ext_no(i))
    floor.edit_group_ext("pair", ext_no(3), "busy")
    for i in range(1, 5):  # out of the queue's reach, so only the tasks below ring them
        floor.set_seat_status("q1", ext_no(i), str(100 + i), True)
    solo, _ = floor.create_task(1, ext_no(1), numbers(15), (1, 1), [], "solo")
    pair, _ = floor.create_task(3, "pair", numbers(15, 100), (1, 2), [], "pair")
    floor.set_task(solo, 1)
    floor.set_task(pair, 1)
    floor.advance(6 * 3600)
    assert floor.task_status(solo) == floor.task_status(pair) == 1028
    talked = {b.taskid: set() for b in floor.bills}
    for b in floor.bills:
        if b.extnumber:
            talked[b.taskid].add(b.extnumber)
    assert talked[solo] == {ext_no(1)} and talked[pair] == {ext_no(2)}
    assert floor.group_ext_rows("pair", ext_no(2))[0]["status"] == "hangup"


def test_create_task_returns_invalid_numbers_as_given_and_waits_to_be_started() -> None:
    floor = make_floor(2)
    bad = [
        {"phone": "abc"},
        "13800000000",
        {"phone": 12},
        {"phone": True},
        {"phone": "13800000001", "time": "soon"},
        {"phone": "13800000002", "userid": {"nested": 1}},
        {"time": 1},
    ]
    good = [{"phone": 13800000003}, {"phone": "+8613800000004", "time": "", "userid": 7}]
    taskid, invalid = floor.create_task(
        2, "q1", [*good, *bad, {"phone": "13800000003"}], (1, 1), ["2190170001"], "  Spring  "
    )
    assert invalid == [*bad, {"phone": "13800000003"}]
    task = floor.tasks[taskid]
    assert len(taskid) == 20 and taskid.startswith("20260105090000")
    assert task.name == "Spring" and task.pending == 2
    assert floor.task_status(taskid) == 1025 and floor.task_status("nope") == 1024
    floor.advance(600)
    assert floor.stats.dialled == 0 and len(floor.bills) == 0


def test_task_status_machine_and_task_event() -> None:
    floor = make_floor(3)
    events = Recorder(floor)
    taskid, _ = floor.create_task(2, "q1", numbers(6), (1, 1), [], "")
    assert code_of(floor.set_task, taskid, 2) == 1025
    assert code_of(floor.set_task, taskid, 4) == 1002
    assert code_of(floor.set_task, "nope", 1) == 1024
    floor.set_task(taskid, 1)
    assert floor.task_status(taskid) == 1026
    floor.set_task(taskid, 1)  # opening a running task changes nothing
    floor.set_task(taskid, 2)
    assert floor.task_status(taskid) == 1027
    floor.set_task(taskid, 2)
    floor.set_task(taskid, 1)
    floor.advance(6 * 3600)
    assert floor.task_status(taskid) == 1028
    assert events.of("task") == [{"taskid": taskid, "companycode": "9017", "status": 3}]
    assert len([b for b in floor.bills if b.taskid == taskid]) == 6
    assert code_of(floor.set_task, taskid, 1) == 1028
    assert code_of(floor.add_numbers, taskid, numbers(1, 100)) == 1028
    assert code_of(floor.del_numbers, taskid, ["13800000000"]) == 1028
    assert code_of(floor.add_numbers, "nope", numbers(1)) == 1024
    assert code_of(floor.del_numbers, "nope", ["1"]) == 1024


def test_ending_a_task_stops_dialling_and_lets_calls_finish() -> None:
    floor = make_floor(4)
    events = Recorder(floor)
    taskid = running_task(floor, 50)
    floor.advance(20)
    in_progress = [c for c in floor.calls.values() if c.task is floor.tasks[taskid]]
    assert in_progress
    dialled = floor.tasks[taskid].dialled
    floor.set_task(taskid, 3)
    assert floor.task_status(taskid) == 1028
    assert len(events.of("task")) == 1
    floor.advance(4 * 3600)
    bills = [b for b in floor.bills if b.taskid == taskid]
    assert len(bills) == dialled == floor.tasks[taskid].dialled
    assert not floor.calls
    assert len(events.of("task")) == 1


def test_a_scheduled_number_is_not_dialled_before_its_time() -> None:
    floor = make_floor(2)
    later = int(START) + 1800
    taskid, _ = floor.create_task(
        2, "q1", [{"phone": "13900000001", "time": later}, *numbers(3)], (1, 1), [], ""
    )
    floor.set_task(taskid, 1)
    floor.advance(1700)
    assert "13900000001" not in {b.destnumber for b in floor.bills}
    assert floor.task_status(taskid) == 1026
    floor.advance(3 * 3600)
    (bill,) = [b for b in floor.bills if b.destnumber == "13900000001"]
    assert bill.start >= later
    assert floor.task_status(taskid) == 1028


def test_removed_numbers_are_never_dialled_and_may_come_back() -> None:
    floor = make_floor(1)
    taskid, _ = floor.create_task(2, "q1", numbers(20), (1, 1), [], "")
    floor.del_numbers(taskid, ["13800000005", "13800000006", "19999999999"])
    added, invalid = floor.add_numbers(taskid, [{"phone": "13800000006"}, {"phone": "1380000"}])
    assert (added, invalid) == (2, [])
    added, invalid = floor.add_numbers(taskid, [{"phone": "13800000007"}])
    assert (added, invalid) == (0, [{"phone": "13800000007"}])  # still to be dialled
    floor.set_task(taskid, 1)
    floor.advance(10 * 3600)
    dialled = Counter(b.destnumber for b in floor.bills)
    assert "13800000005" not in dialled
    assert dialled["13800000006"] == 1 and dialled["1380000"] == 1
    assert sum(dialled.values()) == 20


def test_a_paused_task_dials_nothing_new() -> None:
    floor = make_floor(4)
    taskid = running_task(floor, 400)
    floor.advance(300)
    floor.set_task(taskid, 2)
    paused_at = floor.now
    dialled = floor.tasks[taskid].dialled
    floor.advance(1800)
    assert floor.tasks[taskid].dialled == dialled
    assert max(b.start for b in floor.bills) <= paused_at
    assert not floor.calls  # the calls in progress finished
    floor.set_task(taskid, 1)
    floor.advance(60)
    assert floor.tasks[taskid].dialled > dialled


@pytest.mark.parametrize(("scale", "expected"), [((1, 1), 4), ((1, 3), 12), ((2, 1), 2)])
def test_pacing_keeps_b_calls_dialling_for_every_a_idle_agents(
    scale: tuple[int, int], expected: int
) -> None:
    floor = make_floor(4)
    running_task(floor, 100, scale)
    assert len(floor.calls) == expected
    assert all(c.stage == 0 for c in floor.calls.values())


def test_no_free_agent_no_dialling() -> None:
    floor = make_floor(3)
    for i in (1, 2, 3):
        floor.set_seat_status("q1", ext_no(i), str(100 + i), True)
    taskid = running_task(floor, 10, (1, 3))
    floor.advance(600)
    assert floor.tasks[taskid].dialled == 0
    floor.set_seat_status("q1", ext_no(2), "102", False)
    assert len(floor.calls) == 3


def test_shares_of_customer_outcomes_are_realistic() -> None:
    floor = make_floor(20, seed=5)
    running_task(floor, 3000, (1, 2))
    floor.advance(12 * 3600)
    bills = [b for b in floor.bills if b.callmethod == 5]
    assert len(bills) == 3000
    answered = sum(b.answer_after is not None for b in bills) / len(bills)
    causes = Counter(b.hangupcause for b in bills if b.answer_after is None)
    assert 0.33 < answered < 0.43
    assert set(causes) == {10003, 10004, 10005, 10006}
    assert causes[10005] > causes[10006] > 0
    talks = sorted(b.billsec for b in bills if b.extnumber)
    median = talks[len(talks) // 2]
    assert 70 <= median <= 120 and talks[-1] > 3 * median  # log-normal: a long right tail
    directions = Counter(b.hangupdirection for b in bills if b.extnumber)
    assert directions[10040] > 0 and directions[10041] > directions[10040]


# -- the life of a call -----------------------------------------------------------------------
def test_a_call_rings_an_agent_who_answers_talks_and_wraps_up() -> None:
    floor = make_floor(1, wrapuptime=20)
    events = Recorder(floor)
    running_task(floor, 20)
    ext = ext_no(1)
    seen: set[tuple[int, int]] = set()
    while not any(b.extnumber for b in floor.bills):
        floor.advance(1)
        seen.add((floor.queue_agents("q1", ext)[0]["state"], floor.call_state(ext)["status"]))
    assert {(1214, 1202), (1215, 1204)} <= seen
    bill = next(b for b in floor.bills if b.extnumber)
    legs = [p["status"] for p in events.of("ext") if p["uuid"] == bill.uuid]
    assert legs == ["ring", "answer", "hangup"]
    assert floor.queue_agents()[0]["callsanswered"] == 1
    answered_at = floor.queue_agents()[0]["lastanswertime"]
    assert format_time(bill.answertime) <= answered_at <= format_time(bill.endtime)
    state = floor.call_state(ext)
    ended = floor.extensions[ext].last_call_end
    assert ended is not None
    # 1015 "not in a call" while the call is torn down (a second), then idle
    assert state["status"] == (1015 if floor.now - ended < 1 else 1201)
    assert state["idleduration"] < 20
    if state["status"] == 1015:
        floor.advance(1)
        state = floor.call_state(ext)
        assert state["status"] == 1201 and state["idleduration"] < 20
    assert floor.queue_agents(state=1) == []  # in wrap-up: waiting, but not free
    assert floor.queue_agents(state=2)[0]["extnumber"] == ext
    assert not any(c.agent for c in floor.calls.values())  # nobody is offered in wrap-up
    floor.advance(20 - state["idleduration"])
    free = [row["extnumber"] for row in floor.queue_agents(state=1)]
    # wrap-up over: free, or already rung by a customer the dialler called ahead for
    assert free == [ext] or floor.call_state(ext)["status"] in (1202, 1204)


def test_talking_agent_shows_in_state_filters_and_call_status() -> None:
    floor = make_floor(3, seed=3)
    running_task(floor, 30)
    for _ in range(600):
        floor.advance(1)
        talking = floor.queue_agents(state=4)
        if talking:
            break
    assert talking, "nobody talked in ten minutes"
    ext = talking[0]["extnumber"]
    state = floor.call_state(ext)
    assert state["status"] == 1204 and state["caller"] == ext
    assert state["callee"].startswith("1380000") and state["direction"] == "callout"
    assert state["disnumber"] == "2190170001" and state["channel"]
    before = state["callduration"]
    floor.advance(3)
    after = floor.call_state(ext)
    if after["status"] == 1204:
        assert after["callduration"] == before + 3


def test_an_unanswered_offer_counts_as_missed_and_goes_to_another_agent() -> None:
    floor = make_floor(3, ringdelay=1, discardtime=60)  # nobody picks up within 1 s
    events = Recorder(floor)
    running_task(floor, 3)
    floor.advance(3600)
    rings: dict[str, list[str]] = defaultdict(list)
    for p in events.of("ext"):
        if p["status"] == "ring":
            rings[p["uuid"]].append(p["extnumber"])
    assert any(len(set(exts)) > 1 for exts in rings.values())
    total_missed = sum(r["noanswercount"] for r in floor.queue_agents())
    stats = floor.stats
    assert total_missed == stats.missed_offers > 0
    # every other offer ended because its customer hung up while it rang
    assert stats.missed_offers <= stats.offers <= stats.missed_offers + stats.gave_up
    assert all(b.extnumber == "" for b in floor.bills)
    abandoned = [b for b in floor.bills if b.abandoned]
    assert abandoned and len(abandoned) == floor.stats.abandoned


def test_missed_state_shows_for_a_few_seconds() -> None:
    floor = make_floor(1, ringdelay=1, discardtime=300)
    running_task(floor, 10)
    states = []
    while not floor.stats.missed_offers:
        floor.advance(1)
        states.append(floor.queue_agents()[0]["state"])
    assert states[-2:] == [1214, 1212]
    floor.advance(1)
    assert floor.queue_agents()[0]["state"] == 1212
    assert floor.queue_agents(state=1) == []
    floor.advance(10)
    assert floor.queue_agents()[0]["state"] != 1212 or floor.stats.missed_offers > 1
    assert floor.queue_agents()[0]["noanswercount"] == floor.stats.missed_offers


def test_abandoned_bill_follows_the_notes() -> None:
    """Both kinds of abandoned call (API-NOTES decision 9): the queue dropped the customer
    at discardtime (our side hangs up), or the customer hung up first (their side)."""
    floor = make_floor(1, ringdelay=1, discardtime=12)
    running_task(floor, 40, (1, 3))
    floor.advance(3 * 3600)
    abandoned = [b for b in floor.bills if b.abandoned]
    assert len(abandoned) == floor.stats.abandoned
    kinds = Counter(b.hangupdirection for b in abandoned)
    assert kinds[10040] > 0 and kinds[10041] == floor.stats.gave_up > 0
    for bill in abandoned:
        row = floor.bill_row(bill)
        assert row["extnumber"] == "" and row["answertime"] is not None
        assert row["billsec"] == bill.duration - bill.answer_after
        assert row["hangupcause"] == 10002
        if row["hangupdirection"] == 10040:
            assert row["billsec"] >= 12  # dropped: waited the whole discardtime
        else:
            assert row["billsec"] <= 12  # hung up before the queue would have dropped them
        assert row["recordfilename"] == "" and row["downloadip"] == ""


@pytest.mark.parametrize(
    ("settings", "waited"),
    [({}, 60), ({"maxwaittime": 5}, 5), ({"withnoagenttime": 3}, 3)],
)
def test_how_long_an_answered_customer_waits_for_an_agent(
    settings: dict[str, int], waited: int
) -> None:
    floor = make_floor(4, discardtime=60)
    floor.patient_customers = True  # only the queue's limits end the wait
    floor.edit_queue("q1", "first team", **settings)
    running_task(floor, 100, (1, 3))
    for i in range(1, 5):  # everybody goes on a break while 12 calls are dialling
        floor.set_seat_status("q1", ext_no(i), str(100 + i), True)
    floor.advance(600)
    dropped = [b for b in floor.bills if b.abandoned]
    assert len(dropped) >= 2
    assert all(waited - 1 <= b.billsec <= waited + 1 for b in dropped)


def test_bills_carry_every_documented_field_with_consistent_times() -> None:
    floor = make_floor(4, seed=9)
    taskid, _ = floor.create_task(
        2,
        "q1",
        numbers(60, userid="u7", memberid="m1", chengshudu="A", customuuid="c-9"),
        (1, 2),
        ["2190170001"],
        "",
    )
    floor.set_task(taskid, 1)
    floor.advance(4 * 3600)
    assert len(floor.bills) == 60
    for bill in floor.bills:
        row = floor.bill_row(bill)
        assert set(row) == BILL_ROW_KEYS
        start, end = parse_time(row["starttime"]), parse_time(row["endtime"])
        assert row["duration"] == end - start >= 0
        if row["answertime"] is None:
            assert row["billsec"] == 0 and row["extnumber"] == ""
        else:
            assert row["billsec"] == end - parse_time(row["answertime"])
        assert (row["direction"], row["callmethod"]) == ("callout", 5)
        assert (row["userid"], row["memberid"], row["chengshudu"], row["customuuid"]) == (
            "u7",
            "m1",
            "A",
            "c-9",
        )
        assert row["displaynumber"] == "2190170001" and row["userkey"] == ""
        assert 10001 <= row["hangupcause"] <= 10006
        assert row["hangupdirection"] in (10040, 10041)
    talked = [b for b in floor.bills if b.extnumber]
    assert talked and all(b.hangupcause == 10001 for b in talked)
    bill = talked[0]
    name = bill.recordfilename
    assert name.endswith(".wav") and floor.bill_row(bill)["downloadip"] == "127.0.0.1"
    assert floor.recording(name).id == bill.id
    assert floor.recording("nope.wav") is None
    assert floor.recording(name.replace(f"_{bill.id}.", f"_{bill.id + 1}.")) is None
    assert bill.crmid == str(100 + int(bill.extnumber[-4:]))
    assert [b.id for b in floor.bills] == list(range(1, 61))


def test_get_bill_query_filters_pages_and_syncflag() -> None:
    floor = make_floor(4, seed=4)
    taskid, _ = floor.create_task(
        2, "q1", [*numbers(30), *numbers(10, 500, userid="vip")], (1, 2), [], ""
    )
    floor.set_task(taskid, 1)
    floor.place_manual_call(ext_no(1), "0201234567")
    floor.advance(5 * 3600)
    day = (START, START + 86_400)
    total, page = floor.query_bills(start=day[0], end=day[1], per_page=1000)
    assert total == len(floor.bills) == 41 and len(page) == 41
    total, page2 = floor.query_bills(start=day[0], end=day[1], page=2, per_page=15)
    assert total == 41 and [b.id for b in page2] == list(range(16, 31))
    assert floor.query_bills(start=day[0], end=day[1], page=9, per_page=15) == (41, [])
    assert floor.query_bills(start=day[0], end=day[1], direction=1) == (0, [])
    assert floor.query_bills(start=day[0], end=day[1], callmethod=2)[0] == 1
    assert floor.query_bills(start=day[0], end=day[1], callmethod=5)[0] == 40
    assert floor.query_bills(start=day[0], end=day[1], userid="vip")[0] == 10
    (bill,) = floor.query_bills(start=day[0], end=day[1], destnumber="13800000503")[1]
    assert bill.destnumber == "13800000503"
    by_ext = floor.query_bills(start=day[0], end=day[1], extnumbers={ext_no(1), ext_no(2)})[1]
    assert by_ext and {b.extnumber for b in by_ext} <= {ext_no(1), ext_no(2)}
    first = floor.bills[0]
    assert floor.query_bills(start=first.start, end=first.start)[1][0].id == first.id
    assert floor.query_bills(start=START + 86_400, end=START + 2 * 86_400) == (0, [])
    # syncflag: 1 hands out unqueried bills once; 2 lists the queried ones.
    total, taken = floor.query_bills(start=day[0], end=day[1], syncflag=1, per_page=25)
    assert (total, len(taken)) == (41, 25)
    total, rest = floor.query_bills(start=day[0], end=day[1], syncflag=1, per_page=25)
    assert (total, len(rest)) == (16, 16)
    assert {b.id for b in taken}.isdisjoint(b.id for b in rest)
    assert floor.query_bills(start=day[0], end=day[1], syncflag=1) == (0, [])
    assert floor.query_bills(start=day[0], end=day[1], syncflag=2)[0] == 41
    assert floor.query_bills(start=day[0], end=day[1], syncflag=3)[0] == 41


def test_callback_payloads_are_in_the_documented_formats() -> None:
    floor = make_floor(2, seed=2)
    events = Recorder(floor)
    taskid = running_task(floor, 10, customuuid="cu-1")
    floor.advance(4 * 3600)
    ext_events = events.of("ext")
    assert ext_events and all(set(p) == EXT_EVENT_KEYS for p in ext_events)
    assert {p["status"] for p in ext_events} == {"ring", "answer", "hangup"}
    ring = next(p for p in ext_events if p["status"] == "ring")
    assert ring["method"] == "5" and ring["type"] == "call" and ring["direction"] == "callout"
    assert ring["caller"] == ring["extnumber"] and ring["customuuid"] == "cu-1"
    assert ring["starttime"].isdigit() and len(ring["uuid"]) == 36 and ring["uuid"] != ring["buuid"]
    bills = [e for e in events.events if e.kind == "bill"]
    assert len(bills) == 10
    for event in bills:
        assert set(event.payload) == BILL_CALLBACK_KEYS
        assert event.bill is not None and event.payload["id"] == event.bill.id
        assert event.payload["uuid"] == event.bill.uuid
        assert event.payload["companycode"] == "9017" and event.payload["type"] == "callout"
    talked = [e for e in bills if e.bill and e.bill.extnumber]
    assert talked
    uuid = talked[0].payload["uuid"]
    assert [p["status"] for p in ext_events if p["uuid"] == uuid][-1] == "hangup"
    assert events.of("task") == [{"taskid": taskid, "companycode": "9017", "status": 3}]
    assert events.events[-1].kind == "task"


def test_a_broken_listener_does_not_stop_the_floor() -> None:
    floor = make_floor(2)

    def broken(event: FloorEvent) -> None:
        raise RuntimeError("receiver down")

    floor.subscribe(broken)
    events = Recorder(floor)
    running_task(floor, 5)
    floor.advance(3600)
    assert len(floor.bills) == 5 and len(events.of("bill")) == 5


# -- manual calls and the phone itself --------------------------------------------------------
def test_manual_call_goes_off_hook_and_makes_a_manual_bill() -> None:
    floor = make_floor(2)
    events = Recorder(floor)
    floor.set_seat_status("q1", ext_no(1), "101", True)
    call = floor.place_manual_call(ext_no(1), "0201234567")
    assert floor.call_state(ext_no(1))["status"] == 1203
    assert floor.call_state(ext_no(1))["callee"] == "0201234567"
    assert code_of(floor.place_manual_call, ext_no(1), "0201234568") == 1204
    assert floor.queue_agents("q1", ext_no(1))[0]["externalcallscount"] == 1
    while floor.calls:
        floor.advance(1)
    (bill,) = floor.bills
    assert (bill.callmethod, bill.extnumber, bill.destnumber) == (2, ext_no(1), "0201234567")
    assert bill.taskid == "" and bill.seq == call.seq
    assert events.of("ext")[0]["isbleg"] == "true" and events.of("ext")[0]["method"] == "2"
    floor.set_registered(ext_no(2), False)
    assert code_of(floor.place_manual_call, ext_no(2), "1") == 1014
    floor.set_enabled(ext_no(2), False)
    assert code_of(floor.place_manual_call, ext_no(2), "1") == 1013
    assert code_of(floor.place_manual_call, "90179999", "1") == 1012


def test_a_phone_dropping_off_ends_its_call_and_gets_no_more_offers() -> None:
    floor = make_floor(2, seed=6)
    running_task(floor, 200)
    victim = None
    for _ in range(900):
        floor.advance(1)
        talking = floor.queue_agents(state=4)
        if talking:
            victim = talking[0]["extnumber"]
            break
    assert victim is not None
    bills_before = len(floor.bills)
    floor.set_registered(victim, False)
    assert floor.call_state(victim)["status"] == 1014
    dropped = floor.bills[bills_before]
    assert (dropped.extnumber, dropped.hangupcause, dropped.hangupdirection) == (
        victim,
        10004,
        10040,
    )
    floor.advance(1800)
    assert all(b.extnumber != victim for b in floor.bills[bills_before + 1 :])
    floor.set_registered(victim, True, "10.9.9.9")
    assert floor.register_state(victim)["clientip"] == "10.9.9.9"


def test_signing_out_while_ringing_hands_the_call_on() -> None:
    floor = make_floor(2, ringdelay=30, discardtime=120)
    events = Recorder(floor)
    floor.set_seat_status("q1", ext_no(2), "102", True)
    running_task(floor, 30)
    while not events.of("ext"):
        floor.advance(0.25)
    ring = events.of("ext")[0]
    assert ring["extnumber"] == ext_no(1)
    floor.sign_out("q1", ext_no(1), "101")
    assert floor.call_state(ext_no(1))["status"] == 1201
    floor.set_seat_status("q1", ext_no(2), "102", False)
    again = [p for p in events.of("ext") if p["uuid"] == ring["uuid"] and p["status"] == "ring"]
    assert [p["extnumber"] for p in again] == [ext_no(1), ext_no(2)]
    assert floor.queue_agents()[0]["noanswercount"] == 0


# -- ringing strategies -----------------------------------------------------------------------
@dataclass(frozen=True)
class Seen:
    """What a strategy looks at, for one member, at the moment of a ring."""

    extnumber: str
    joined: int
    idle_since: float
    talk_seconds: float
    callsanswered: int
    priority: int

    @classmethod
    def of(cls, m: Member) -> Seen:
        ext = m.ext
        return cls(
            m.extnumber, m.joined, ext.idle_since, ext.talk_seconds, m.callsanswered, m.priority
        )


Ring = tuple[Seen, list[Seen], dict[str, Any]]


def _rings(floor: Floor) -> list[Ring]:
    """Each ring: the member rung, the other members free at that moment, the payload."""
    seen: list[Ring] = []

    def on_event(event: FloorEvent) -> None:
        p = event.payload
        if event.kind != "ext" or p["status"] != "ring" or p["isbleg"] != "false":
            return
        call = floor.extensions[p["extnumber"]].call
        assert call is not None and call.pool is not None
        pool = call.pool
        chosen = pool.members[p["extnumber"]]
        others = [m for m in pool.members.values() if m is not chosen and is_free(floor, m)]
        seen.append((Seen.of(chosen), [Seen.of(m) for m in others], p | {"at": floor.now}))

    floor.subscribe(on_event)
    return seen


def _strategy_run(strategy: int) -> list[Ring]:
    floor = make_floor(6, strategy=strategy, seed=strategy, wrapuptime=3)
    for i, m in enumerate(floor.queues["q1"].members.values()):
        m.priority = (i * 7) % 6  # a shuffled priority order for strategy 8
        m.ext.idle_since = START - 100 * ((i * 5) % 6)
    rings = _rings(floor)
    running_task(floor, 300, (1, 1))
    floor.advance(2 * 3600)
    assert len(rings) > 50
    return rings


@pytest.mark.parametrize(
    ("strategy", "key"),
    [
        (1, lambda m: m.idle_since),
        (2, lambda m: m.talk_seconds),
        (5, lambda m: m.joined),
        (7, lambda m: m.callsanswered),
        (8, lambda m: m.priority),
    ],
)
def test_strategy_rings_the_best_free_agent(strategy: int, key: Any) -> None:
    rings = _strategy_run(strategy)
    for chosen, others, _ in rings:
        assert all(key(chosen) <= key(other) for other in others)
    contested = [r for r in rings if r[1] and any(key(o) != key(r[0]) for o in r[1])]
    assert len(contested) > 10, "hardly ever a choice: the test proves nothing"


def test_strategy_round_robin_takes_turns() -> None:
    rings = _strategy_run(4)
    last = -1
    for chosen, others, _ in rings:
        free = [chosen, *others]
        after = [m.joined for m in free if m.joined > last]
        expected = min(after) if after else min(m.joined for m in free)
        assert chosen.joined == expected
        last = chosen.joined
    assert len({chosen.extnumber for chosen, _, _ in rings}) == 6


def test_strategy_ring_all_rings_every_free_agent_at_once() -> None:
    rings = _strategy_run(3)
    rounds: dict[tuple[str, str], list[Ring]] = defaultdict(list)
    for ring in rings:
        rounds[(ring[2]["uuid"], ring[2]["at"])].append(ring)
    several = 0
    for offers in rounds.values():
        # One round rings the first agent and then every other one free at that moment.
        _, free_then, _ = offers[0]
        rung = {chosen.extnumber for chosen, _, _ in offers}
        assert {m.extnumber for m in free_then} <= rung
        several += len(rung) > 1
    assert several > 10


def test_strategy_random_spreads_calls() -> None:
    rings = _strategy_run(6)
    counts = Counter(chosen.extnumber for chosen, _, _ in rings)
    assert len(counts) == 6 and max(counts.values()) < 0.5 * len(rings)


# -- time, determinism, the default scenario ----------------------------------------------------
def test_wire_time_is_naive_local_time_kept_as_utc() -> None:
    assert format_time(START) == "2026-01-05 09:00:00"
    assert format_time(None) is None
    assert parse_time("2026-01-05 09:00:00") == START
    assert calendar.timegm(time.strptime("2026-01-05 09:00:00", "%Y-%m-%d %H:%M:%S")) == START
    for bad in ("05/01/2026", "2026-02-30 09:00:00", "2026-01-05 24:00:00", ""):
        assert parse_time(bad) is None, bad


def test_time_only_moves_forward() -> None:
    floor = make_floor(1)
    floor.advance(100)
    floor.advance_to(START)
    assert floor.now == START + 100
    ran: list[float] = []
    floor.schedule(START + 50, lambda: ran.append(floor.now))  # in the past: runs next
    floor.schedule(START + 160, lambda: ran.append(floor.now))
    floor.advance(30)
    assert ran == [START + 100]
    floor.advance(30)
    assert ran == [START + 100, START + 160]


def test_the_clock_refuses_moments_that_are_not_finite() -> None:
    floor = make_floor(1)
    for moment in (math.nan, math.inf):
        with pytest.raises(ValueError):
            floor.schedule(moment, lambda: None)
        with pytest.raises(ValueError):
            floor.advance_to(moment)
        with pytest.raises(ValueError):
            floor.advance(moment)
    floor.advance(60)
    assert floor.now == START + 60


#: Dial times that are no moment the floor's clock can reach.
NOT_MOMENTS: list[Any] = [math.nan, math.inf, -math.inf, 1e300, 10**400, "9" * 400, "1e9"]


def _task_for_half_an_hour(extra: list[Any]) -> tuple[Floor, str, list[Any]]:
    floor = make_floor(4, seed=3)
    taskid, invalid = floor.create_task(2, "q1", [*numbers(30), *extra], (1, 2), [], "")
    floor.set_task(taskid, 1)
    floor.advance(1800)
    return floor, taskid, invalid


def test_a_dial_time_that_is_no_moment_is_invalid_and_leaves_the_floor_alone() -> None:
    """A NaN time once broke the order of the floor's timed events (most bills were never
    written) and an infinite one kept its task open for ever."""
    clean, _, _ = _task_for_half_an_hour([])
    bad = [{"phone": f"1390000{i:04d}", "time": moment} for i, moment in enumerate(NOT_MOMENTS)]
    floor, taskid, invalid = _task_for_half_an_hour(bad)
    assert invalid == bad
    assert [floor.bill_row(b) for b in floor.bills] == [clean.bill_row(b) for b in clean.bills]
    assert len(floor.bills) == 30
    assert floor.task_status(taskid) == 1028


def test_get_bill_finds_a_call_longer_than_any_fixed_bound() -> None:
    """EditQueue allows discardtime up to a day: a customer left waiting that long makes a
    bill that a scan bounded by a fixed 4 hours missed."""
    floor = make_floor(1, ringdelay=600, discardtime=86_400)
    floor.patient_customers = True
    taskid = running_task(floor, 20)
    waiting = []
    for _ in range(1800):  # until a customer has answered and the agent's phone rings
        floor.advance(1)
        waiting = [c for c in floor.calls.values() if c.stage == STAGE_WAITING]
        if waiting:
            break
    assert waiting
    floor.set_task(taskid, 3)
    floor.set_registered(ext_no(1), False)  # the only agent drops off: the customer waits
    floor.advance(86_400 + 60)
    (long,) = [b for b in floor.bills if b.duration > 4 * 3600]
    assert long.abandoned and long.billsec >= 86_400
    total, found = floor.query_bills(start=long.starttime, end=long.starttime)
    assert total == 1 and [b.id for b in found] == [long.id]
    total, _ = floor.query_bills(start=START, end=START + 86_400 * 2)
    assert total == len(floor.bills)


def _listened_run(
    read_at_once: bool,
) -> tuple[Floor, list[FloorEvent], list[FloorEvent], list[Any]]:
    floor = make_floor(2, seed=2)
    everything: list[FloorEvent] = []
    floor.subscribe(everything.append)
    bills_only: list[FloorEvent] = []
    floor.subscribe(bills_only.append, ["bill"])
    at_once: list[dict[str, Any]] = []
    if read_at_once:
        floor.subscribe(lambda event: at_once.append(event.payload), ["ext"])
    running_task(floor, 10)
    floor.advance(4 * 3600)
    return floor, everything, bills_only, at_once


def test_listeners_hear_only_their_kinds_and_payloads_are_built_when_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Building every payload (two uuid hashes per extension event) made a run with any
    listener several times slower, though most listeners read few of them."""
    hashed: list[int] = []
    real_uuid = floor_module.call_uuid

    def counted_uuid(seed: int, seq: int, leg: str = "a") -> str:
        hashed.append(seq)
        return real_uuid(seed, seq, leg)

    monkeypatch.setattr(core_module, "call_uuid", counted_uuid)  # extension events
    monkeypatch.setattr(bills_module, "call_uuid", counted_uuid)  # bills
    floor, everything, bills_only, _ = _listened_run(read_at_once=False)
    assert len(floor.bills) == 10
    assert [e.bill.id for e in bills_only if e.bill] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert {e.kind for e in bills_only} == {"bill"}
    assert {e.kind for e in everything} == {"ext", "bill", "task"}
    assert hashed == []  # nobody read a payload: nothing was built
    ext = [e for e in everything if e.kind == "ext"]
    late = [e.payload for e in ext]  # read after the run: as it was when it happened
    assert len(hashed) == 2 * len(ext)
    assert [e.payload for e in ext] == late and len(hashed) == 2 * len(ext)  # built once
    assert late == _listened_run(read_at_once=True)[3]
    assert bills_only[0].payload["id"] == 1
    with pytest.raises(ValueError, match="unknown event kinds: bills"):
        floor.subscribe(print, ["bills"])


def test_call_uuids_are_version_4_uuids_that_never_change() -> None:
    for seq in range(1, 200):
        for leg in ("a", "b"):
            made = call_uuid(7, seq, leg)
            digest = hashlib.blake2b(f"7:{seq}:{leg}".encode(), digest_size=16).digest()
            assert made == str(uuid.UUID(bytes=digest, version=4))
    assert call_uuid(7, 1) == "02508f57-6b80-4db4-9e2b-e8ff465f6a36"


def test_the_floor_names_only_documented_codes() -> None:
    assert (entities.WAITING, entities.TASK_OVER, entities.CAUSE_BUSY) == (1213, 1028, 10006)
    with pytest.raises(RuntimeError, match=r"1999 is not in wallboard\.api\.codes"):
        entities._documented(codes.BUSINESS, 1999)
    assert floor_module.MAX_NUMBERS_PER_CALL is services.MAX_NUMBERS_PER_CALL
    floor = make_floor(1)
    too_many = numbers(services.MAX_NUMBERS_PER_CALL + 1)
    assert code_of(floor.create_task, 2, "q1", too_many, (1, 1), [], "") == 1002


def _run(seed: int) -> list[dict[str, Any]]:
    floor = make_floor(5, seed=seed)
    running_task(floor, 200, (1, 2))
    floor.advance(1800)
    floor.set_seat_status("q1", ext_no(2), "102", True)
    while floor.extensions[ext_no(2)].call is not None:
        floor.advance(5)
    floor.place_manual_call(ext_no(2), "0201234567")
    floor.advance(3600)
    return [floor.bill_row(b) | {"uuid": b.uuid} for b in floor.bills]


def test_same_seed_same_operations_same_bills() -> None:
    first, second, other = _run(21), _run(21), _run(22)
    assert first == second and len(first) > 100
    assert first != other


def test_default_scenario_looks_like_a_small_floor() -> None:
    floor = build_floor()
    assert len(floor.queues) == 3 and len(floor.extensions) == 40
    running = [t for t in floor.tasks.values() if t.status == 1026]
    assert len(running) == 2 and all(t.name for t in running)
    exts = floor.extensions.values()
    assert sum(not e.enabled for e in exts) == 2
    assert any(not e.registered for e in exts)
    assert any(r["state"] == 1217 for r in floor.queue_agents())
    assert floor.groups["team-leads"].members
    assert {r["strategy"] for r in floor.queue_rows()} == {1, 7, 4}
    assert len({ext for q in floor.queues.values() for ext in q.members}) == 40
    floor.advance(1800)
    assert floor.stats.dialled > 100 and floor.stats.connected > 20
    states = Counter(r["state"] for r in floor.queue_agents())
    assert states[1215] > 5 and states[1217] >= 1
    assert build_floor(seed=7).bills.seed == 7
    with pytest.raises(ValueError):
        build_floor(agents=0)


def test_default_scenario_has_manual_calls_breaks_and_phone_changes() -> None:
    floor = build_floor(seed=3, agents=60)
    floor.advance(8 * 3600)
    assert floor.stats.manual_calls > 0
    assert any(b.callmethod == 2 for b in floor.bills)
    assert floor.tasks and all(t.status == 1026 for t in floor.tasks.values())  # topped up
    registered = sum(e.registered for e in floor.extensions.values())
    assert 0 < registered < 60
