"""HTTP/1.1 for the client straight over asyncio, for a poll that asks every second.

httpx's own transport passes every answer through httpcore's connection pool and anyio's
streams: a dozen Python layers per read, each body read in 64 KiB pieces, each piece a trip
round the event loop. On a dashboard that asks for a 2,000-agent floor every second that
machinery cost several times the work of the exchange itself (some 2 ms of CPU a second
out of a budget of 20). `FloorTransport` is an httpx transport (httpx's documented way to
replace how requests travel) that sends a request in one write and hands what the socket
reads straight to h11 (the HTTP/1.1 parser httpcore itself uses), which frames and checks
the answer as it arrives; the caller wakes once, when the answer is whole. h11 reads the
head; a body of a stated length (what the server sends) is then counted here, its pieces
joined once: h11 copies every body it hands out two or three times over (for a 2,000-agent
floor's 750 KB answer, the transport's CPU fell from 0.9-1.0 ms to 0.7-0.8 ms an answer).
Everything above it stays httpx's: the request, the headers, cookies, content decoding, and the
errors, which are httpx's own classes, so that the client maps them as before.

It does only what the client needs: HTTP/1.1 over TCP or TLS to the server, connections
kept alive for `KEEPALIVE_EXPIRY` seconds (as httpx keeps them), no proxy. The client uses
it only when no proxy is configured (see `WallboardClient`); otherwise httpx's transport.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from typing import Any, cast

import h11
import httpx

#: Idle connections are closed after this many seconds, as httpx's default pool does.
KEEPALIVE_EXPIRY = 5.0
#: At most this many idle connections are kept per server, as httpx's default pool does.
MAX_IDLE = 20
_PORTS = {"http": 80, "https": 443}


class _Connection(asyncio.Protocol):
    """One kept-alive connection to the server, with its HTTP/1.1 state.

    The connection is the socket's protocol: what arrives goes straight into h11, and the
    answer is read out of it there, as it arrives, so a whole answer costs the event loop
    one wake-up of the caller (not one per read, through a stream's buffer and a copy of
    every piece). `answer` is what the caller waits on, while an exchange is under way.
    """

    __slots__ = (
        "_chunks",
        "_drained",
        "_extra",
        "_head_only",
        "_last_read",
        "_left",
        "_lost",
        "_read_timeout",
        "_response",
        "_timer",
        "answer",
        "idle_since",
        "state",
        "transport",
    )

    def __init__(self) -> None:
        self.state = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0
        self.transport: asyncio.Transport | None = None
        self.answer: asyncio.Future[tuple[h11.Response, bytes]] | None = None
        self._response: h11.Response | None = None
        # h11's pieces of the body as it hands them out, joined once at the end (no copy
        # of each piece first: a 2,000-agent floor's answer is 750 KB).
        self._chunks: list[bytes | bytearray] = []
        # The body's bytes still to come, once h11 has read a head that states its length
        # (None: h11 frames the body); whether more than that came; whether the request was
        # a HEAD (whose answer states a length it has no body for).
        self._left: int | None = None
        self._extra = False
        self._head_only = False
        self._drained: asyncio.Future[None] | None = None  # while the socket's buffer is full
        self._lost = False  # the server's end is closed, or the socket is
        self._read_timeout: float | None = None
        self._last_read = 0.0
        self._timer: asyncio.TimerHandle | None = None

    # -- the socket's side (asyncio calls these) --

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        answer = self.answer
        if answer is None or answer.done():
            # Nothing was asked: a server that speaks unasked is not to be trusted with
            # the next request.
            self._lost = True
            return
        self._last_read = answer.get_loop().time()
        self._read(data)

    def eof_received(self) -> bool:
        self._ended(None)
        return False  # close the socket

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended(exc)
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)  # the writer sees the loss

    def pause_writing(self) -> None:
        if self._drained is None or self._drained.done():
            self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)

    # -- the caller's side --

    def usable(self, now: float) -> bool:
        """Whether the connection may carry a request: not closed by the server while it
        waited (the event loop has read its end), nor idle too long."""
        return (
            now - self.idle_since < KEEPALIVE_EXPIRY
            and not self._lost
            and self.transport is not None
            and not self.transport.is_closing()
            and self.state.our_state is h11.IDLE
        )

    async def send(self, message: bytes, timeout: float | None) -> None:
        """Write a request; httpx's errors if it cannot be, or not within `timeout`."""
        transport = self.transport
        if transport is None or self._lost or transport.is_closing():
            raise httpx.WriteError("Connection lost")
        transport.write(message)
        if transport.is_closing():  # the write failed: let the loss be told
            await asyncio.sleep(0)
            raise httpx.WriteError("Connection lost")
        drained = self._drained
        if drained is not None and not drained.done():
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.shield(drained)
            except TimeoutError:
                raise httpx.WriteTimeout("timed out while sending") from None
            # Lost while writing: the answer is done with the error that ended it (or is
            # whole, if the server answered before reading the rest).

    def expect(self, method: bytes = b"POST") -> None:
        """Start an exchange: from now on what arrives is its answer (so the future exists
        before the request is sent)."""
        self.answer = asyncio.get_running_loop().create_future()
        self._response = None
        self._chunks = []
        self._left = None
        self._extra = False
        self._head_only = method == b"HEAD"

    def reusable(self) -> bool:
        """Whether both sides may go on with the connection after the answer: h11's rules
        (keep-alive, the whole message on both sides, nothing after the answer), or, for a
        body counted here, the same rules read off the request's state and the answer's
        head."""
        state = self.state
        if self._left is None:
            return (
                state.our_state is h11.DONE
                and state.their_state is h11.DONE
                and not state.trailing_data[0]  # more than the answer came: not to be trusted
            )
        # Our side is DONE only if the answer's head let the connection go on: h11 applied
        # keep-alive's rules (HTTP/1.1, no `Connection: close`) when it read the head.
        return state.our_state is h11.DONE and self._left == 0 and not self._extra

    def next_cycle(self) -> None:
        """Ready for the next request: h11 starts its next cycle, or a fresh h11 takes over
        when the last body was counted here (h11 never saw it end)."""
        if self._left is None:
            self.state.start_next_cycle()
        else:
            self.state = h11.Connection(h11.CLIENT)
        self.idle_since = time.monotonic()

    async def answered(self, timeout: float | None) -> tuple[h11.Response, bytes]:
        """The answer, once whole, or httpx's error; no read for `timeout` seconds is a read
        timeout, as httpx times each read."""
        answer = self.answer
        assert answer is not None, "expect() starts an exchange"
        try:
            if not answer.done() and timeout is not None:
                loop = answer.get_loop()
                self._read_timeout = timeout
                self._last_read = loop.time()
                self._timer = loop.call_at(self._last_read + timeout, self._check_timeout)
            return await answer
        finally:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self.answer = None
            self._chunks = []

    def close(self) -> None:
        self._lost = True
        if self.transport is not None:
            self.transport.close()

    # -- reading --

    def _check_timeout(self) -> None:
        """One timer for the whole answer, moved on by the reads in between (cheaper than
        a new timer for every read)."""
        self._timer = None
        answer, timeout = self.answer, self._read_timeout
        if answer is None or answer.done() or timeout is None:
            return
        loop = answer.get_loop()
        due = self._last_read + timeout
        if loop.time() < due:
            self._timer = loop.call_at(due, self._check_timeout)
            return
        answer.set_exception(httpx.ReadTimeout("timed out while reading"))

    def _ended(self, exc: Exception | None) -> None:
        self._lost = True
        answer = self.answer
        if answer is None or answer.done():
            return
        if exc is not None:
            answer.set_exception(httpx.ReadError(str(exc) or type(exc).__name__))
        else:
            self._read(b"")  # the end of the answer, for h11 to judge

    def _read(self, data: bytes) -> None:
        """Hand `data` (b"": the server's end closed, when lost) to h11 and take out every
        event it makes; the answer is done at the end of the message or at an error."""
        answer = self.answer
        if answer is None or answer.done():
            return
        if self._left is not None:
            self._count_body(answer, data)
            return
        state = self.state
        try:
            if data or self._lost:
                state.receive_data(data)
            while True:
                event = state.next_event()
                if event is h11.NEED_DATA:
                    return
                if isinstance(event, h11.Data):
                    self._chunks.append(event.data)
                elif isinstance(event, h11.Response):
                    self._response = event
                    length = None if self._head_only else _stated_length(event)
                    if length is not None:  # the body is counted here from now on
                        self._left = length
                        rest, closed = state.trailing_data  # what came after the head
                        if rest or closed or not length:
                            self._count_body(answer, rest)
                        return
                elif isinstance(event, h11.EndOfMessage):
                    response = self._response
                    if response is None:  # pragma: no cover - h11 ends only after a head
                        raise h11.RemoteProtocolError("an answer without a status line")
                    answer.set_result((response, b"".join(self._chunks)))
                    return
                elif isinstance(event, h11.ConnectionClosed):
                    answer.set_exception(
                        httpx.RemoteProtocolError("Server disconnected without sending a response.")
                    )
                    return
                elif event is h11.PAUSED:  # pragma: no cover - only after a whole message
                    return
                # h11.InformationalResponse (1xx): the answer is still to come
        except h11.RemoteProtocolError as exc:
            answer.set_exception(httpx.RemoteProtocolError(str(exc)))

    def _count_body(self, answer: asyncio.Future[tuple[h11.Response, bytes]], data: bytes) -> None:
        """A piece of a body of stated length (b"": the server's end closed). The answer is
        whole when all of it came; an end before that is h11's error for it."""
        left = self._left
        response = self._response
        assert left is not None and response is not None  # only after a head with a length
        if not data and left:
            if self._lost:  # as h11 says it
                expected = _stated_length(response) or 0
                answer.set_exception(
                    httpx.RemoteProtocolError(
                        "peer closed connection without sending complete message body: "
                        f"received {expected - left} bytes, expected {expected}"
                    )
                )
            return
        if len(data) > left:
            data = data[:left]
            self._extra = True  # more than the answer came: the connection is not reused
        if data:
            self._chunks.append(data)
        self._left = left = left - len(data)
        if not left:
            answer.set_result((response, b"".join(self._chunks)))


def _stated_length(response: h11.Response) -> int | None:
    """The body's length as the head states it (h11 has checked it is one whole number),
    when that is how the body is framed: not for chunked answers, nor for those that have no
    body whatever they state (1xx, 204, 304)."""
    if response.status_code < 200 or response.status_code in (204, 304):
        return None
    length: int | None = None
    for name, value in response.headers:
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            length = int(value)
    return length


def _timeouts(request: httpx.Request) -> Mapping[str, float | None]:
    timeouts: Any = request.extensions.get("timeout", {})
    return timeouts if isinstance(timeouts, Mapping) else {}


class FloorTransport(httpx.AsyncBaseTransport):
    """An httpx transport: HTTP/1.1 over asyncio streams, connections kept alive.

    `ssl_context` is used for https (the client passes httpx's own, so certificates are
    checked as httpx checks them).
    """

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in _PORTS:
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'."
            )
        if self._closed:
            raise RuntimeError("the transport was closed")
        origin = (scheme, url.host, url.port or _PORTS[scheme])
        timeouts = _timeouts(request)
        body = await request.aread()
        connection = self._idle_connection(origin) or await self._connect(
            origin, timeouts.get("connect")
        )
        try:
            response, content = await self._exchange(connection, request, body, timeouts)
        except BaseException:  # an error or a cancel mid-exchange: the connection is spent
            connection.close()
            raise
        self._release(origin, connection)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(content),
            extensions={
                "http_version": b"HTTP/" + response.http_version,
                "reason_phrase": response.reason,
            },
        )

    def _idle_connection(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()  # the most recently used: the least likely to be stale
            if connection.usable(now):
                return connection
            connection.close()
        return None

    async def _connect(self, origin: tuple[str, str, int], timeout: float | None) -> _Connection:
        scheme, host, port = origin
        context: ssl.SSLContext | None = None
        if scheme == "https":
            context = self._ssl_context or httpx.create_ssl_context()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _, connection = await loop.create_connection(
                    _Connection,
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context is not None else None,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out while connecting") from None
        except (OSError, ValueError) as exc:  # ValueError: a host name IDNA cannot encode
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
        return connection

    async def _exchange(
        self,
        connection: _Connection,
        request: httpx.Request,
        body: bytes,
        timeouts: Mapping[str, float | None],
    ) -> tuple[h11.Response, bytes]:
        state = connection.state
        try:
            head = h11.Request(
                method=request.method,
                target=request.url.raw_path,
                headers=request.headers.raw,
            )
            message = state.send(head) or b""
            if body:
                message += state.send(h11.Data(data=body)) or b""
            message += state.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from None
        connection.expect(request.method.encode("ascii"))
        await connection.send(message, timeouts.get("write"))
        return await connection.answered(timeouts.get("read"))

    def _release(self, origin: tuple[str, str, int], connection: _Connection) -> None:
        """Keep the connection for the next request if both sides may go on with it."""
        if self._closed or not connection.reusable():
            connection.close()
            return
        connection.next_cycle()
        idle = self._idle.setdefault(origin, [])
        idle.append(connection)
        while len(idle) > MAX_IDLE:
            idle.pop(0).close()

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()


__all__ = ["KEEPALIVE_EXPIRY", "FloorTransport"]
