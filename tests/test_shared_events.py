"""Live callbacks applied to a snapshot: a ring, an answer and a hangup move the agent's tile
at once, on every queue it is in, with the header's counts recounted; a bill ends a call the
tile still shows; an event about nobody on the floor changes nothing (the same object)."""

from __future__ import annotations

from wallboard.live.shared.events import (
    BillEvent,
    CallEvent,
    apply_event,
    bill_event,
    call_event,
)
from wallboard.live.snapshot import AgentState, AgentView, FloorSnapshot, FloorTotals, QueueView

NOW = 1_767_603_700.0


def floor() -> FloorSnapshot:
    def agent(ext: str, queue: str, state: AgentState = AgentState.IDLE) -> AgentView:
        return AgentView(ext, queue, f"agent {ext}", state, NOW - 60)

    sales = QueueView(
        "sales", wrapuptime=10, agents=(agent("8001", "sales"), agent("8002", "sales"))
    )
    support = QueueView("support", agents=(agent("8001", "support"), agent("8003", "support")))
    return FloorSnapshot(
        taken_at=NOW - 1, queues=(sales, support), totals=FloorTotals(idle=3, answered_today=7)
    )


def states(snapshot: FloorSnapshot, ext: str) -> list[AgentState]:
    return [a.state for q in snapshot.queues for a in q.agents if a.extnumber == ext]


def test_a_call_moves_the_tile_through_ring_answer_and_wrap_up() -> None:
    rung = apply_event(floor(), CallEvent("8001", "ring", number="13800000001"), NOW)
    assert states(rung, "8001") == [AgentState.RINGING, AgentState.RINGING]
    agent = rung.queues[0].agents[0]
    assert (agent.since, agent.at_least, agent.number) == (NOW, True, "13800000001")
    assert (rung.totals.ringing, rung.totals.idle, rung.totals.calls_in_progress) == (1, 2, 1)
    assert rung.totals.answered_today == 7  # the bills' figures are the bill reader's

    talking = apply_event(rung, CallEvent("8001", "answer"), NOW + 5)
    assert states(talking, "8001") == [AgentState.TALKING, AgentState.TALKING]
    assert talking.queues[0].agents[0].number == "13800000001"
    assert talking.totals.talking == 1

    ended = apply_event(talking, CallEvent("8001", "hangup"), NOW + 65)
    # Wrap-up where the queue has one, idle where it has none.
    assert states(ended, "8001") == [AgentState.WRAPUP, AgentState.IDLE]
    assert ended.queues[0].agents[0].number is None
    assert ended.totals.calls_in_progress == 0


def test_a_bill_ends_the_call_a_tile_still_shows() -> None:
    talking = apply_event(floor(), CallEvent("8002", "answer", number="13800000002"), NOW)
    other = apply_event(talking, BillEvent("8002", number="13900000000"), NOW + 1)
    assert other is talking  # another call's bill
    ended = apply_event(talking, BillEvent("8002", number="13800000002"), NOW + 1)
    assert states(ended, "8002") == [AgentState.WRAPUP]


def test_an_event_about_nobody_on_the_floor_changes_nothing() -> None:
    snapshot = floor()
    assert apply_event(snapshot, CallEvent("9999", "ring"), NOW) is snapshot
    assert apply_event(snapshot, CallEvent("8001", "hangup"), NOW) is snapshot  # idle already
    assert apply_event(snapshot, BillEvent("", number="1"), NOW) is snapshot


def test_callbacks_read_as_the_documents_and_the_simulator_write_them() -> None:
    assert call_event({"extnumber": 8001, "status": " Ring ", "callee": "1380"}) == CallEvent(
        "8001", "ring", number="1380"
    )
    assert call_event({"caller": "8001", "status": "answer"}) == CallEvent("8001", "answer")
    assert call_event({"extnumber": "8001", "status": "transfer"}) is None
    assert call_event({"status": "ring"}) is None
    assert bill_event({"extnumber": "8001", "destnumber": "1380", "billsec": 30}) == BillEvent(
        "8001", number="1380", billsec=30
    )
    assert bill_event({"extnumber": "8001"}) is None


def test_the_customers_leg_ringing_leaves_a_talking_agent_talking() -> None:
    """An API call rings the agent first, then the customer: the customer's leg's ring
    (`isbleg` true) is not the agent's phone ringing again."""
    talking = apply_event(floor(), CallEvent("8002", "answer", number="13800000002"), NOW)
    assert apply_event(talking, CallEvent("8002", "ring", bleg=True), NOW + 1) is talking
    rung = apply_event(talking, CallEvent("8002", "ring"), NOW + 1)  # the agent's own leg
    assert states(rung, "8002") == [AgentState.RINGING]
    assert call_event({"extnumber": "8002", "status": "ring", "isbleg": "true"}) == CallEvent(
        "8002", "ring", bleg=True
    )
