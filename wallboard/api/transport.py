"""HTTP/1.1 for the client straight over asyncio, for a poll that asks every second.

httpx's own transport passes every answer through httpcore's connection pool and anyio's
streams: a dozen Python layers per read, each body read in 64 KiB pieces, each piece a trip
round the event loop. On a dashboard that asks for a 2,000-agent floor every second that
machinery cost several times the work of the exchange itself (some 2 ms of CPU a second
out of a budget of 20). `FloorTransport` is an httpx transport (httpx's documented way to
replace how requests travel) that sends a request in one write and reads its answer in as
few reads as the socket allows, with h11 (the HTTP/1.1 parser httpcore itself uses) to
frame and check the messages. Everything above it stays httpx's: the request, the headers,
cookies, content decoding, and the errors, which are httpx's own classes, so that the
client maps them as before.

It does only what the client needs: HTTP/1.1 over TCP or TLS to the server, connections
kept alive for `KEEPALIVE_EXPIRY` seconds (as httpx keeps them), no proxy. The client uses
it only when no proxy is configured (see `WallboardClient`); otherwise httpx's transport.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from typing import Any

import h11
import httpx

#: Idle connections are closed after this many seconds, as httpx's default pool does.
KEEPALIVE_EXPIRY = 5.0
#: At most this many idle connections are kept per server, as httpx's default pool does.
MAX_IDLE = 20
#: The most one read takes from the socket's buffer: a big floor's answer in a few reads.
READ_SIZE = 1 << 20
_PORTS = {"http": 80, "https": 443}


class _Connection:
    """One kept-alive connection to the server, with its HTTP/1.1 state."""

    __slots__ = ("idle_since", "reader", "state", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.state = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def usable(self, now: float) -> bool:
        """Whether the connection may carry a request: not closed by the server while it
        waited (the event loop has read its end), nor idle too long."""
        return (
            now - self.idle_since < KEEPALIVE_EXPIRY
            and not self.reader.at_eof()
            and not self.writer.is_closing()
            and self.state.our_state is h11.IDLE
        )

    def close(self) -> None:
        self.writer.close()


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
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context is not None else None,
                    limit=READ_SIZE,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out while connecting") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
        return _Connection(reader, writer)

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
        try:
            async with asyncio.timeout(timeouts.get("write")):
                connection.writer.write(message)
                await connection.writer.drain()
        except TimeoutError:
            raise httpx.WriteTimeout("timed out while sending") from None
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__) from None
        return await self._answer(connection, timeouts.get("read"))

    async def _answer(
        self, connection: _Connection, timeout: float | None
    ) -> tuple[h11.Response, bytes]:
        state, reader = connection.state, connection.reader
        response: h11.Response | None = None
        # h11's pieces of the body as it hands them out, joined once at the end (no copy of
        # each piece first: a 2,000-agent floor's answer is 750 KB).
        chunks: list[bytes | bytearray] = []
        try:
            while True:
                event = state.next_event()
                if event is h11.NEED_DATA:
                    try:
                        async with asyncio.timeout(timeout):
                            data = await reader.read(READ_SIZE)
                    except TimeoutError:
                        raise httpx.ReadTimeout("timed out while reading") from None
                    except OSError as exc:
                        raise httpx.ReadError(str(exc) or type(exc).__name__) from None
                    state.receive_data(data)
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    chunks.append(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response."
                    )
                # h11.InformationalResponse (1xx): the answer is still to come
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from None
        if response is None:  # pragma: no cover - h11 ends a message only after its head
            raise httpx.RemoteProtocolError("an answer without a status line")
        return response, b"".join(chunks)

    def _release(self, origin: tuple[str, str, int], connection: _Connection) -> None:
        """Keep the connection for the next request if both sides may go on with it."""
        state = connection.state
        if self._closed or state.our_state is not h11.DONE or state.their_state is not h11.DONE:
            connection.close()
            return
        state.start_next_cycle()
        connection.idle_since = time.monotonic()
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
