"""`FloorTransport`, the client's own HTTP/1.1 over asyncio: answers framed every way a
server may frame them, connections kept alive and dropped when the server closed them,
and httpx's transport whenever a proxy is configured."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fixtures.fake_api import ACCESSKEY, APPID, FakeApi, serve_on_loopback
from fixtures.garbage import cyclic_garbage
from test_http_support import read_request

from wallboard.api.client import WallboardClient
from wallboard.api.errors import NoAnswer
from wallboard.api.transport import FloorTransport

ANSWER = json.dumps(
    {"ret": 200, "data": {"status": 0, "result": [{"queuename": "q1", "remark": "r"}]}, "msg": ""}
).encode()

LOGIN = json.dumps(
    {"ret": 200, "data": {"status": 0, "result": {"token": "t"}}, "msg": ""}
).encode()

Reply = Callable[[bytes], bytes]


class Server:
    """A loopback server that answers each request with `reply(body)` as raw bytes, and
    hangs up after each answer when `close_after` (without saying so, as a server that
    times out idle connections does)."""

    def __init__(self, reply: Reply, *, close_after: bool = False) -> None:
        self.reply = reply
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head, body = await read_request(reader)
                self.requests.append(head + body)
                answer = self.reply(body)
                writer.write(answer)
                await writer.drain()
                if self.close_after or b"Connection: close" in answer:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


def _login_or(answer: Callable[[], bytes]) -> Reply:
    login = json.dumps(
        {"ret": 200, "data": {"status": 0, "result": {"token": "t"}}, "msg": ""}
    ).encode()

    def reply(body: bytes) -> bytes:
        if b"App.Sip_Auth.Login" in body:
            return _plain(login)
        return answer()

    return reply


def _plain(content: bytes, *extra: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + b"".join(extra)
        + f"Content-Length: {len(content)}\r\n\r\n".encode()
        + content
    )


def _chunked(content: bytes) -> bytes:
    pieces = [content[i : i + 7] for i in range(0, len(content), 7)]
    body = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body


def _until_close(content: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + content


Start = Callable[[Server], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Start]:
    servers: list[asyncio.Server] = []

    async def start(handler: Server) -> str:
        server = await asyncio.start_server(handler.handle, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def _no_wait(_: float) -> None:
    return None


def test_the_client_uses_its_own_transport_unless_a_proxy_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    direct = WallboardClient("http://pbx.test", APPID, ACCESSKEY)
    assert isinstance(direct._http._transport, FloorTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    proxied = WallboardClient("https://pbx.test", APPID, ACCESSKEY)
    assert not isinstance(proxied._http._transport, FloorTransport)
    assert proxied._http._mounts  # httpx routes through the proxy


@pytest.mark.parametrize(
    "frame",
    [
        _plain,
        _chunked,
        _until_close,
        lambda content: _plain(gzip.compress(content), b"Content-Encoding: gzip\r\n"),
    ],
    ids=["length", "chunked", "until close", "gzip"],
)
async def test_answers_framed_every_way_read_the_same(
    serve: Start, frame: Callable[[bytes], bytes]
) -> None:
    server = Server(_login_or(lambda: frame(ANSWER)))
    url = await serve(server)
    async with WallboardClient(url, APPID, ACCESSKEY) as client:
        for _ in range(2):
            queues = await client.queues()
            assert [queue.queuename for queue in queues] == ["q1"]


async def test_one_connection_carries_the_calls_one_after_another(serve: Start) -> None:
    server = Server(_login_or(lambda: _plain(ANSWER)))
    url = await serve(server)
    async with WallboardClient(url, APPID, ACCESSKEY) as client:
        for _ in range(5):
            await client.queues()
    assert server.connections == 1
    assert len(server.requests) == 6  # Login and five reads
    assert all(b"\r\nhost: 127.0.0.1:" in request.lower() for request in server.requests)


async def test_an_answer_read_is_freed_without_the_garbage_collector(serve: Start) -> None:
    # httpx binds a response's stream to the response: a reference cycle that, left so,
    # kept every answer's body (750 KB on a big floor) until the collector's next scan.
    server = Server(_login_or(lambda: _plain(ANSWER)))
    url = await serve(server)
    async with WallboardClient(url, APPID, ACCESSKEY) as client:
        await client.queues()  # (the login, the connection)
        with cyclic_garbage() as garbage:
            for _ in range(3):
                await client.queues()
    assert [thing for thing in garbage if isinstance(thing, httpx.Response)] == []


async def test_a_connection_the_server_closed_while_idle_is_not_used_again(serve: Start) -> None:
    """A server that hangs up after each answer without a word: the next call must not be
    sent down the dead connection (a mutation there would be `OutcomeUnknown`)."""
    server = Server(_login_or(lambda: _plain(ANSWER)), close_after=True)
    url = await serve(server)
    async with WallboardClient(url, APPID, ACCESSKEY, read_retries=0) as client:
        await client.login()
        for _ in range(3):
            await asyncio.sleep(0.05)  # the hang-up reaches the client's event loop
            await client.set_task("T1", 2)  # a mutation: never sent twice
    assert server.connections == 4


async def test_an_answer_cut_short_is_a_lost_connection(serve: Start) -> None:
    server = Server(_login_or(lambda: _plain(ANSWER)[:-10]), close_after=True)
    url = await serve(server)
    async with WallboardClient(url, APPID, ACCESSKEY, read_retries=1, sleep=_no_wait) as client:
        with pytest.raises(NoAnswer, match="connection lost"):
            await client.queues()


async def test_a_garbled_status_line_is_a_lost_connection(serve: Start) -> None:
    server = Server(_login_or(lambda: b"HTTP/1.1 two hundred\r\n\r\n"), close_after=True)
    url = await serve(server)
    async with WallboardClient(url, APPID, ACCESSKEY, read_retries=0) as client:
        with pytest.raises(NoAnswer):
            await client.queues()


async def test_concurrent_batches_over_uvicorn_keep_their_order() -> None:
    fake = FakeApi()
    with serve_on_loopback(fake.app) as url:
        async with WallboardClient(url, APPID, ACCESSKEY, batch_size=50, concurrency=4) as client:
            asked = [str(7000 + n) for n in range(400)]
            for _ in range(2):
                states = await client.call_status(asked)
                assert [state.extnumber for state in states] == asked


async def test_a_closed_transport_refuses_and_an_unknown_scheme_is_refused() -> None:
    transport = FloorTransport()
    with pytest.raises(httpx.UnsupportedProtocol):
        await transport.handle_async_request(httpx.Request("GET", "ftp://pbx.test/"))
    await transport.aclose()
    with pytest.raises(RuntimeError):
        await transport.handle_async_request(httpx.Request("GET", "http://pbx.test/"))


class Recorder(httpx.AsyncBaseTransport):
    """Answers every call with `LOGIN` or `ANSWER` and keeps the requests, as httpx hands
    them over; `cookie` is set by the first answer."""

    def __init__(self, cookie: str | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.cookie = cookie

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = await request.aread()
        headers = [("Content-Type", "application/json")]
        if self.cookie is not None and len(self.requests) == 1:
            headers.append(("Set-Cookie", f"{self.cookie}; Path=/"))
        login = b"App.Sip_Auth.Login" in body
        return httpx.Response(200, headers=headers, content=LOGIN if login else ANSWER)


async def test_a_call_is_the_request_httpx_builds_for_a_post() -> None:
    """The client builds its requests from a template of httpx's own (see `_request`):
    they must be what `AsyncClient.post` would send, header for header."""
    recorder = Recorder()
    async with WallboardClient(
        "http://pbx.test:8080/api/", APPID, ACCESSKEY, transport=recorder, timeout=3.0
    ) as client:
        await client.queues()
        await client.queues("q1")
    reference = httpx.AsyncClient(
        timeout=httpx.Timeout(3.0),
        headers={"User-Agent": recorder.requests[0].headers["user-agent"]},
    )
    for sent in recorder.requests:
        built = reference.build_request(
            "POST",
            "http://pbx.test:8080/api/",
            content=sent.content,
            headers={"Content-Type": sent.headers["content-type"]},
        )
        assert sent.method == built.method and sent.url == built.url
        assert sent.headers.raw == built.headers.raw
        assert sent.content == built.content and sent.extensions == built.extensions
    await reference.aclose()


async def test_a_cookie_the_server_sets_is_sent_back() -> None:
    """Answers without a cookie are not read for one; an answer that sets one is, and the
    cookie goes with every later call, as httpx does."""
    recorder = Recorder(cookie="session=abc")
    async with WallboardClient("http://pbx.test/", APPID, ACCESSKEY, transport=recorder) as client:
        await client.queues()
        await client.queues()
    assert "cookie" not in recorder.requests[0].headers
    assert [request.headers.get("cookie") for request in recorder.requests[1:]] == [
        "session=abc",
        "session=abc",
    ]


def _timed(url: str, *, read: float = 5.0, write: float = 5.0, body: bytes = b"") -> httpx.Request:
    timeouts = {"connect": 5.0, "read": read, "write": write, "pool": 5.0}
    return httpx.Request("POST", url, content=body, extensions={"timeout": timeouts})


async def _raw_server(
    handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"


async def test_the_read_timeout_is_for_each_read_not_the_whole_answer() -> None:
    """An answer that comes in pieces, each within the read timeout, is read whole; one
    that stops coming is a read timeout (httpx times each read, and so does the transport)."""
    content = b"x" * 40

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(content) + 10))
        for start in range(0, len(content), 10):
            await asyncio.sleep(0.1)
            writer.write(content[start : start + 10])
        await asyncio.sleep(1.0)  # and the last ten bytes never come
        writer.close()

    server, url = await _raw_server(trickle)
    transport = FloorTransport()
    try:
        with pytest.raises(httpx.ReadTimeout):
            await transport.handle_async_request(_timed(url, read=0.3))
    finally:
        await transport.aclose()
        server.close()


async def test_a_cancelled_exchange_closes_its_connection(serve: Start) -> None:
    """A call cancelled while its answer is awaited leaves a connection whose answer may
    still come: it is closed, and the next call goes on a new one."""
    gate = asyncio.Event()

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                if not gate.is_set():
                    gate.set()
                    await asyncio.sleep(0.3)
                writer.write(_plain(ANSWER))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    connections = 0

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await slow(reader, writer)

    server, url = await _raw_server(counted)
    transport = FloorTransport()
    try:
        call = asyncio.create_task(transport.handle_async_request(_timed(url)))
        await gate.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        response = await transport.handle_async_request(_timed(url))
        assert await response.aread() == ANSWER
        assert connections == 2
    finally:
        await transport.aclose()
        server.close()


async def test_a_request_bigger_than_the_socket_buffer_waits_to_be_sent() -> None:
    """Writing waits while the socket's buffer is full (the server reads slowly), and a
    server that does not read at all within the write timeout is a write timeout."""
    body = b"y" * (8 << 20)
    stalled = asyncio.Event()

    async def slow_reader(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if b"stall" in head:
            stalled.set()
            await asyncio.sleep(2.0)
            writer.close()
            return
        left = len(body)
        while left:
            await asyncio.sleep(0.001)
            left -= len(await reader.read(min(left, 1 << 20)))
        writer.write(_plain(ANSWER))
        await writer.drain()
        writer.close()

    server, url = await _raw_server(slow_reader)
    transport = FloorTransport()
    try:
        response = await transport.handle_async_request(_timed(url, body=body))
        assert await response.aread() == ANSWER
        stalling = FloorTransport()  # a connection of its own (the first one was hung up)
        with pytest.raises(httpx.WriteTimeout):
            await stalling.handle_async_request(_timed(url + "stall", write=0.3, body=body))
        assert stalled.is_set()
        await stalling.aclose()
    finally:
        await transport.aclose()
        server.close()


async def _connections_for(serve: Start, answer: bytes, body: bytes, reads: int = 2) -> int:
    """How many connections the transport opened for `reads` reads of a server that answers
    `answer` each time, every read checked to be `body`."""
    server = Server(_login_or(lambda: answer))
    url = await serve(server)
    transport = FloorTransport()
    try:
        for _ in range(reads):
            response = await transport.handle_async_request(_timed(url))
            assert await response.aread() == body
    finally:
        await transport.aclose()
    return server.connections


async def test_an_answer_with_more_after_it_leaves_the_connection_unused(serve: Start) -> None:
    """Bytes after the end of an answer, or bytes that come unasked while the connection
    waits, are no answer to the next request: that request goes on a new connection."""
    assert await _connections_for(serve, _plain(ANSWER) + b"HTTP/1.1 200 OK\r\n", ANSWER) == 2


@pytest.mark.parametrize(
    "answer",
    [
        _plain(ANSWER, b"Connection: close\r\n"),
        _plain(ANSWER).replace(b"HTTP/1.1", b"HTTP/1.0", 1),
    ],
    ids=["connection-close", "http-1.0"],
)
async def test_an_answer_of_stated_length_that_ends_the_connection_is_read_whole(
    serve: Start, answer: bytes
) -> None:
    """A body of stated length is counted by the transport, not h11: the answer's head still
    says whether the connection goes on (HTTP/1.1 without `Connection: close`)."""
    assert await _connections_for(serve, answer, ANSWER) == 2


async def test_an_answer_of_stated_length_in_many_pieces_is_one_body(serve: Start) -> None:
    """The body counted across reads however it is cut, and the connection kept after it."""
    big = ANSWER * 2000  # some hundreds of KB: many reads of the socket
    assert await _connections_for(serve, _plain(big), big, reads=3) == 1


async def test_bytes_that_come_while_the_connection_waits_are_no_answer() -> None:
    """A server that writes on an idle connection (a "408 Request Timeout" before it
    closes) has not answered the next request: that one goes on a new connection and gets
    its own answer, as with httpx's own transport."""
    connections = 0

    async def then_408(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(_plain(ANSWER))
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.write(
            b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        )
        await writer.drain()
        await asyncio.sleep(0.5)
        writer.close()

    server, url = await _raw_server(then_408)
    transport = FloorTransport()
    try:
        first = await transport.handle_async_request(_timed(url))
        assert await first.aread() == ANSWER
        await asyncio.sleep(0.3)  # the 408 has come in meanwhile, the socket still open
        second = await transport.handle_async_request(_timed(url))
        assert second.status_code == 200 and await second.aread() == ANSWER
        assert connections == 2
    finally:
        await transport.aclose()
        server.close()


async def test_a_host_name_that_cannot_be_encoded_is_a_connect_error() -> None:
    transport = FloorTransport()
    try:
        with pytest.raises(httpx.ConnectError):
            await transport.handle_async_request(_timed("http://" + "a" * 64 + ".example/"))
    finally:
        await transport.aclose()
