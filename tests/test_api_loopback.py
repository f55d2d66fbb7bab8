"""The client over a real TCP connection on 127.0.0.1: uvicorn serving the fake API, a port
nobody listens on, and a raw server that takes a request and hangs up without answering."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from fixtures.fake_api import ACCESSKEY, APPID, FakeApi, serve_on_loopback
from test_http_support import read_request

from wallboard.api.client import WallboardClient
from wallboard.api.errors import ConnectError, NoAnswer, OutcomeUnknown

LOGIN_ANSWER = json.dumps(
    {"ret": 200, "data": {"status": 0, "result": {"token": "loopback-token"}}, "msg": ""}
).encode()


async def _no_wait(_: float) -> None:
    return None


async def test_the_client_over_real_http_to_uvicorn() -> None:
    fake = FakeApi()
    with serve_on_loopback(fake.app) as url:
        async with WallboardClient(url, APPID, ACCESSKEY, batch_size=200, timeout=5) as client:
            agents = await client.queue_agents("queue-1")
            states = await client.call_status([str(7000 + n) for n in range(450)])
            done = await client.set_task("T1", 2)
    assert [a.extnumber for a in agents] == ["100001"]
    assert [s.extnumber for s in states] == [str(7000 + n) for n in range(450)]
    assert done.desc == "successfully set"
    assert fake.hits["App.Sip_Auth.Login"] == 1
    assert len(fake.sent("App.Sip_Status.GetSipCallStatus")) == 3
    assert all(r.content_type.startswith("multipart/form-data") for r in fake.requests)


async def test_nobody_listening_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = WallboardClient(
        f"http://127.0.0.1:{port}", APPID, ACCESSKEY, read_retries=1, sleep=_no_wait
    )
    async with client:
        with pytest.raises(
            ConnectError, match=f"cannot reach the server at http://127.0.0.1:{port}"
        ):
            await asyncio.wait_for(client.queues(), timeout=10)
        with pytest.raises(ConnectError):  # a mutation: nothing was sent, so it is safe
            await asyncio.wait_for(client.set_task("T1", 2), timeout=10)


Behaviour = Callable[[asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """Answers Login properly; does `behaviour` to every other request and counts them."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.others = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                _head, body = await read_request(reader)
                if b"App.Sip_Auth.Login" in body:
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(LOGIN_ANSWER)}\r\n\r\n".encode()
                        + LOGIN_ANSWER
                    )
                    await writer.drain()
                    continue
                self.others += 1
                await self.behaviour(writer)
                return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


async def _hang_up(writer: asyncio.StreamWriter) -> None:
    return None  # the connection is closed without a byte of answer


Start = Callable[[Behaviour], Awaitable[tuple[str, RawServer]]]


@pytest.fixture
async def raw_server() -> AsyncIterator[Start]:
    servers: list[asyncio.Server] = []

    async def start(behaviour: Behaviour) -> tuple[str, RawServer]:
        raw = RawServer(behaviour)
        server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}", raw

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_a_mutation_cut_off_after_sending_is_outcome_unknown(raw_server: Start) -> None:
    url, raw = await raw_server(_hang_up)
    async with WallboardClient(url, APPID, ACCESSKEY, sleep=_no_wait) as client:
        with pytest.raises(OutcomeUnknown, match="may have reached the server"):
            await asyncio.wait_for(client.set_task("T1", 3), timeout=10)
    assert raw.others == 1


async def test_a_read_cut_off_is_retried_then_reported(raw_server: Start) -> None:
    url, raw = await raw_server(_hang_up)
    async with WallboardClient(url, APPID, ACCESSKEY, read_retries=2, sleep=_no_wait) as client:
        with pytest.raises(NoAnswer, match="connection lost"):
            await asyncio.wait_for(client.queues(), timeout=10)
    assert raw.others == 3


async def test_a_silent_server_hits_the_time_limit(raw_server: Start) -> None:
    release = asyncio.Event()

    async def stay_silent(writer: asyncio.StreamWriter) -> None:
        await release.wait()

    url, raw = await raw_server(stay_silent)
    client = WallboardClient(url, APPID, ACCESSKEY, timeout=0.2, read_retries=0)
    async with client:
        with pytest.raises(OutcomeUnknown, match="no answer within the time limit"):
            await asyncio.wait_for(client.sign_out("q", "1001", 1), timeout=10)
    release.set()
    assert raw.others == 1
