"""Reads are retried with exponential backoff and jitter; a call that changes the floor is
never repeated once it may have reached the server (the fake server counts the hits)."""

from __future__ import annotations

from typing import Any

import pytest
from fixtures.fake_api import ACCESSKEY, APPID, FakeApi, FaultTransport, Hang, Raw, refused

from wallboard.api import services
from wallboard.api.client import WallboardClient
from wallboard.api.errors import (
    BadRequest,
    ConnectError,
    NoAnswer,
    OutcomeUnknown,
    ProtocolError,
    ServerError,
)

QUEUES = "App.Sip_Queue.GetQueueList"
TASKSET = "App.Sip_Yccall.TaskSet"


class Sleeps:
    """Records the backoff delays instead of waiting them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def _client(
    fake: FakeApi, sleeps: Sleeps, transport: Any = None, **options: Any
) -> WallboardClient:
    return WallboardClient(
        "http://pbx.test",
        APPID,
        ACCESSKEY,
        transport=transport or fake.transport(),
        sleep=sleeps,
        jitter=lambda: 0.5,
        **options,
    )


async def test_a_read_is_retried_with_exponential_backoff_and_jitter() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    fake.queue(QUEUES, refused(500, "busy"), refused(500, "busy"))
    async with _client(fake, sleeps, backoff=0.2) as client:
        queues = await client.queues()
    assert [q.queuename for q in queues] == ["autocall_test-1101"]
    assert fake.hits[QUEUES] == 3
    assert sleeps.delays == pytest.approx([0.2, 0.4])  # 0.2 * 2**n * (0.5 + jitter 0.5)


async def test_jitter_spreads_the_delays() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    fake.queue(QUEUES, refused(500), refused(500))
    jitters = iter([0.0, 0.99])
    client = WallboardClient(
        "http://pbx.test",
        APPID,
        ACCESSKEY,
        transport=fake.transport(),
        sleep=sleeps,
        jitter=lambda: next(jitters),
        backoff=1.0,
    )
    async with client:
        await client.queues()
    assert sleeps.delays == pytest.approx([0.5, 2 * 1.49])


async def test_a_read_gives_up_after_its_retries() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    fake.queue(QUEUES, *[refused(500)] * 5)
    async with _client(fake, sleeps, read_retries=2) as client:
        with pytest.raises(ServerError):
            await client.queues()
    assert fake.hits[QUEUES] == 3
    assert len(sleeps.delays) == 2


async def test_a_refused_connection_is_retried_for_reads() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    faults = FaultTransport(fake.transport())
    async with _client(fake, sleeps, transport=faults) as client:
        await client.login()
        faults.refuse = 2
        await client.queues()
        faults.refuse = 3
        with pytest.raises(ConnectError, match=r"cannot reach the server at http://pbx\.test"):
            await client.queues()
    assert fake.hits[QUEUES] == 1
    assert len(sleeps.delays) == 4


async def test_a_read_without_an_answer_is_retried_then_reported() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    fake.queue(QUEUES, Hang(), Hang())
    async with _client(fake, sleeps, timeout=0.05, read_retries=1) as client:
        await client.login()
        with pytest.raises(NoAnswer, match="no answer within the time limit"):
            await client.queues()
    assert fake.hits[QUEUES] == 2


async def test_a_lost_connection_on_a_read_is_retried() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    faults = FaultTransport(fake.transport())
    async with _client(fake, sleeps, transport=faults) as client:
        await client.login()
        faults.drop = 1
        await client.queues()
    assert fake.hits[QUEUES] == 2


async def test_a_bad_request_is_not_retried() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    fake.queue(QUEUES, refused(400))
    async with _client(fake, sleeps) as client:
        with pytest.raises(BadRequest, match="400"):
            await client.queues()
    assert fake.hits[QUEUES] == 1
    assert sleeps.delays == []


async def test_a_mutation_that_times_out_is_outcome_unknown_and_sent_once() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    fake.queue(TASKSET, Hang())
    async with _client(fake, sleeps, timeout=0.05) as client:
        await client.login()
        with pytest.raises(OutcomeUnknown) as caught:
            await client.set_task("T1", 3)
    assert fake.hits[TASKSET] == 1
    assert sleeps.delays == []
    text = str(caught.value)
    assert text.startswith(TASKSET)
    assert "may have reached the server" in text
    assert "not repeated" in text


async def test_a_mutation_whose_connection_drops_after_sending_is_outcome_unknown() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    faults = FaultTransport(fake.transport())
    async with _client(fake, sleeps, transport=faults) as client:
        await client.login()
        faults.drop = 1
        with pytest.raises(OutcomeUnknown, match="connection lost"):
            await client.sign_in("queue-1", "1001", 7)
    assert fake.hits["App.Sip_Queue.SipSignIn"] == 1  # it did reach the server
    assert faults.attempts == 2  # the login and the one sign-in


async def test_a_mutation_that_cannot_connect_is_a_connect_error_and_not_retried() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    faults = FaultTransport(fake.transport())
    async with _client(fake, sleeps, transport=faults) as client:
        await client.login()
        faults.refuse = 1
        with pytest.raises(ConnectError):
            await client.set_task("T1", 2)
    assert fake.hits[TASKSET] == 0
    assert faults.attempts == 2
    assert sleeps.delays == []


async def test_a_gateway_error_on_a_mutation_is_outcome_unknown() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    fake.queue(TASKSET, Raw(b"<h1>504 Gateway Time-out</h1>", status=504))
    async with _client(fake, sleeps) as client:
        with pytest.raises(OutcomeUnknown, match="HTTP 504"):
            await client.set_task("T1", 2)
    assert fake.hits[TASKSET] == 1


MUTATIONS = [s for s in services.SERVICES if s.mutation]
ARGS: dict[str, tuple[Any, ...]] = {
    "create_task": (2, "q", ["13800000001"]),
    "add_numbers": ("T1", ["13800000001"]),
    "remove_numbers": ("T1", ["13800000001"]),
    "set_task": ("T1", 2),
    "add_queue": ("q", "yes", "r"),
    "edit_queue": ("q", "r"),
    "delete_queue": ("q",),
    "set_agent_status": (1, "1001", 1, "q"),
    "sign_in": ("q", "1001", 1),
    "sign_out": ("q", "1001", 1),
    "add_group": ("g",),
    "add_group_extension": ("g", "1001"),
    "remove_group_extension": ("g", "1001"),
    "edit_group_extension": ("g", "1001", "idle"),
}


def test_every_mutation_has_arguments_here() -> None:
    assert {s.method for s in MUTATIONS} == set(ARGS)


@pytest.mark.parametrize("service", MUTATIONS, ids=[s.short for s in MUTATIONS])
async def test_no_mutation_is_ever_retried_after_a_server_error(
    service: services.Service,
) -> None:
    fake, sleeps = FakeApi(), Sleeps()
    fake.queue(service.wire, refused(500, "server error"), refused(500))
    async with _client(fake, sleeps) as client:
        with pytest.raises(ServerError):
            await getattr(client, service.method)(*ARGS[service.method])
    assert fake.hits[service.wire] == 1
    assert sleeps.delays == []


UNREADABLE: list[tuple[str, Any, str]] = [
    ("not JSON", Raw(b'{"ret":200,"data":{"status":0'), "HTTP 200 from the server without"),
    ("HTTP 500 page", Raw(b"<h1>Internal Server Error</h1>", status=500), "HTTP 500 from"),
    ("HTTP 502 page", Raw(b"Bad Gateway", status=502), "HTTP 502 from a gateway"),
    ("no envelope", {"data": {"status": 0}}, "no ret/data/msg envelope"),
    ("ret not a number", {"ret": "ok", "data": {"status": 0}}, "ret is not a number"),
    ("data not an object", {"ret": 200, "data": "done", "msg": ""}, "data is not an object"),
    ("no status", {"ret": 200, "data": {"desc": "ok"}, "msg": ""}, "has no status"),
]


@pytest.mark.parametrize("service", MUTATIONS, ids=[s.short for s in MUTATIONS])
@pytest.mark.parametrize(
    ("answer", "expected"), [u[1:] for u in UNREADABLE], ids=[u[0] for u in UNREADABLE]
)
async def test_a_mutation_whose_answer_cannot_be_read_is_outcome_unknown_and_sent_once(
    service: services.Service, answer: Any, expected: str
) -> None:
    fake, sleeps = FakeApi(), Sleeps()
    fake.queue(service.wire, answer, answer)
    async with _client(fake, sleeps) as client:
        with pytest.raises(OutcomeUnknown) as caught:
            await getattr(client, service.method)(*ARGS[service.method])
    text = str(caught.value)
    assert text.startswith(service.wire)
    assert expected in text
    assert "may have reached the server" in text
    assert fake.hits[service.wire] == 1
    assert sleeps.delays == []


async def test_a_read_whose_answer_cannot_be_read_stays_a_protocol_or_server_error() -> None:
    fake, sleeps = FakeApi(), Sleeps()
    fake.queue(
        QUEUES, Raw(b"{"), Raw(b"{"), *[Raw(b"oops", status=500)] * 3, {"data": {}}, {"data": {}}
    )
    async with _client(fake, sleeps) as client:
        with pytest.raises(ProtocolError, match="not JSON"):
            await client.queues()  # asked once more, and cut short again
        with pytest.raises(ServerError, match="HTTP 500 without an API answer"):
            await client.queues()  # retried: a read may be asked again
        with pytest.raises(ProtocolError, match="no ret/data/msg envelope"):
            await client.queues()
    assert fake.hits[QUEUES] == 2 + 3 + 2
