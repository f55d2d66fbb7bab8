"""The simulator: the vendor's API over HTTP on top of a simulated floor.

`Simulator` ties the floor to a clock (real time times `speed`, or a manual clock that only
moves on `advance()` for tests), the accounts and tokens, the faults and the callbacks.
`create_app` serves it as a Starlette app (`POST /` with a `service` field, as the documents
say), and `serve_in_thread` runs that app on uvicorn on loopback for tests and the demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import socket
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from wallboard.sim import handlers
from wallboard.sim.auth import Gate
from wallboard.sim.callbacks import CallbackDispatcher, CallbackTargets
from wallboard.sim.faults import Faults
from wallboard.sim.floor import EVENT_KINDS, Floor, FloorEvent
from wallboard.sim.recordings import PATH_PREFIX, RecordingLinks, recording_wav
from wallboard.sim.scenario import DEFAULT_START, build_floor
from wallboard.sim.wire import BadRequest, encode, refusal

log = logging.getLogger(__name__)

DEMO_APPID = "wallboard-demo"
#: A request body larger than this is refused (10,000 numbers with every field fit easily).
MAX_BODY = 16 * 1024 * 1024
#: How often (real seconds) the background task moves the floor to "now" while serving.
TICK = 0.2
#: How the `latency` fault waits (a seam, so that tests need not wait in real time).
_pause: Callable[[float], Awaitable[None]] = asyncio.sleep


class Simulator:
    """A floor, its clock, its accounts, faults and callbacks: everything but the HTTP.

    Thread-safe: the server's thread and a test's thread may both use it; every touch of the
    floor happens under `lock`.
    """

    def __init__(
        self,
        floor: Floor,
        *,
        speed: float = 1.0,
        faults: Faults | str = "",
        manual_clock: bool = False,
        appid: str = DEMO_APPID,
        accesskey: str | None = None,
        callbacks: CallbackTargets | CallbackDispatcher | None = None,
        callback_transport: httpx.AsyncBaseTransport | None = None,
        real_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed > 0:
            raise ValueError("speed must be a number above 0")
        self.floor = floor
        self.speed = speed
        self.manual_clock = manual_clock
        self.lock = threading.RLock()
        self.faults = faults if isinstance(faults, Faults) else Faults.parse(faults)
        self.gate = Gate()
        self.appid = appid
        self.accesskey = accesskey or secrets.token_hex(16)
        self.gate.add_account(self.appid, self.accesskey)
        self.recordings = RecordingLinks()
        self._real_clock = real_clock
        self._origin_real = real_clock()
        self._origin_sim = floor.now
        self.callbacks: CallbackDispatcher | None = None
        if isinstance(callbacks, CallbackTargets) and callbacks.any:
            callbacks = CallbackDispatcher(callbacks, transport=callback_transport)
        if isinstance(callbacks, CallbackDispatcher):
            self.callbacks = callbacks
            callbacks.start()
            # Only the kinds that go somewhere: building the others' payloads is wasted work.
            kinds = [kind for kind in EVENT_KINDS if callbacks.targets.url_for(kind)]
            if kinds:
                floor.subscribe(self._on_floor_event, kinds)

    def __repr__(self) -> str:
        clock = "manual" if self.manual_clock else f"speed {self.speed:g}"
        return f"Simulator(appid={self.appid!r}, {clock}, now={self.now():.0f})"

    @classmethod
    def from_scenario(
        cls,
        seed: int = 7,
        agents: int = 40,
        queues: int = 3,
        campaigns: int = 2,
        speed: float = 1.0,
        faults: Faults | str = "",
        start: float = DEFAULT_START,
        manual_clock: bool = False,
        **options: Any,
    ) -> Simulator:
        """The default floor of `wallboard.sim.scenario`, served with these settings.

        `options` are the constructor's: appid, accesskey, callbacks, callback_transport,
        real_clock. Faults given as text get dice seeded from `seed`.
        """
        floor = build_floor(
            seed=seed, agents=agents, queues=queues, campaigns=campaigns, start=start
        )
        if isinstance(faults, str):
            faults = Faults.parse(faults, seed=seed)
        return cls(floor, speed=speed, faults=faults, manual_clock=manual_clock, **options)

    # -- the clock ------------------------------------------------------------------------
    def real_now(self) -> float:
        return self._real_clock()

    def now(self) -> float:
        """Simulated unix seconds: the floor's own time on a manual clock, else start +
        speed * real seconds elapsed."""
        if self.manual_clock:
            return self.floor.now
        return self._origin_sim + self.speed * (self._real_clock() - self._origin_real)

    def advance(self, seconds: float) -> None:
        """Move simulated time forward by `seconds` and run the floor up to it."""
        if not 0 <= seconds < math.inf:
            raise ValueError("time only moves forward, by a finite number of seconds")
        with self.lock:
            if self.manual_clock:
                self.floor.advance_to(self.floor.now + seconds)
            else:
                self._origin_sim += seconds
                self.floor.advance_to(self.now())

    def catch_up(self) -> None:
        """Run the floor up to the clock's "now" (a no-op on a manual clock)."""
        if self.manual_clock:
            return
        with self.lock:
            self.floor.advance_to(self.now())

    # -- requests -------------------------------------------------------------------------
    def handle(self, fields: Mapping[str, str], base_url: str = "") -> dict[str, Any]:
        """Answer one request's form fields with the envelope (no HTTP, no faults)."""
        with self.lock:
            if not self.manual_clock:
                self.floor.advance_to(self.now())
            return handlers.dispatch(self, fields, base_url)

    # -- callbacks ------------------------------------------------------------------------
    def _on_floor_event(self, event: FloorEvent) -> None:
        if self.callbacks is not None:
            self.callbacks.offer(event.kind, event.payload)

    def close(self) -> None:
        """Stop delivering callbacks (the floor itself needs no closing)."""
        if self.callbacks is not None:
            self.callbacks.stop()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# -- HTTP ---------------------------------------------------------------------------------
#: Open connections of the servers this module runs, so that the `drop` fault can close
#: one without an answer: (client address, server address) -> transport.
_CONNECTIONS: dict[tuple[Any, Any], asyncio.Transport] = {}


class _TrackedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, remembering each connection's transport (for `drop`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wallboard_key = _address_key(transport)
        if self._wallboard_key is not None:
            _CONNECTIONS[self._wallboard_key] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        key = getattr(self, "_wallboard_key", None)
        if key is not None:
            _CONNECTIONS.pop(key, None)
        super().connection_lost(exc)


def _address_key(transport: asyncio.BaseTransport) -> tuple[Any, Any] | None:
    peer = transport.get_extra_info("peername")
    local = transport.get_extra_info("sockname")
    if not isinstance(peer, tuple) or not isinstance(local, tuple):
        return None
    return (str(peer[0]), int(peer[1])), (str(local[0]), int(local[1]))


class _Api:
    """`POST /`: one service call. A raw ASGI endpoint: the hot path stays small."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        faults = sim.faults
        try:
            fields = await _read_form(scope, receive)
        except BadRequest as exc:
            await _send_json(send, encode(refusal(400, exc.message)))
            return
        if faults.active:
            if faults.latency > 0:
                await _pause(faults.latency)
            if faults.roll(faults.error500):
                await _send_json(send, encode(refusal(500, "server error")))
                return
        try:
            envelope = sim.handle(fields, _base_url(scope))
        except Exception:
            log.exception("the simulated floor failed")
            envelope = refusal(500, "server error")
        if faults.active:
            # After the work is done: the client cannot know whether its call took effect.
            if faults.roll(faults.drop):
                await _drop(scope, receive)
                return
            if faults.roll(faults.malformed):
                await _send_json(send, encode(envelope)[:-7])
                return
        await _send_json(send, encode(envelope))


async def _read_form(scope: Scope, receive: Receive) -> dict[str, str]:
    """The request's fields: query string, then the body (urlencoded or multipart) on top."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("Illegal request: the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise BadRequest(f"Illegal request: the body is larger than {MAX_BODY // 1048576} MB")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    fields: dict[str, str] = {}
    query = scope.get("query_string", b"")
    if query:
        fields.update(urllib.parse.parse_qsl(query.decode("latin-1"), keep_blank_values=True))
    content_type = ""
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value.decode("latin-1").lower()
            break
    if content_type.startswith("application/x-www-form-urlencoded"):
        text = body.decode("utf-8", errors="replace")
        fields.update(urllib.parse.parse_qsl(text, keep_blank_values=True))
    elif content_type.startswith("multipart/form-data"):
        fields.update(await _multipart(scope, body))
    elif body.strip():
        raise BadRequest(
            "Illegal request: send the fields as a form "
            "(multipart/form-data or application/x-www-form-urlencoded)"
        )
    return fields


async def _multipart(scope: Scope, body: bytes) -> dict[str, str]:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request(scope, replay)
    try:
        form = await request.form(max_files=100, max_fields=1000, max_part_size=MAX_BODY)
    except HTTPException as exc:
        raise BadRequest(
            f"Illegal request: the multipart body is malformed ({exc.detail})"
        ) from None
    except Exception:
        raise BadRequest("Illegal request: the multipart body is malformed") from None
    fields: dict[str, str] = {}
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                fields[name] = (await value.read()).decode("utf-8", errors="replace")
            else:
                fields[name] = value
    finally:
        await form.close()
    return fields


def _base_url(scope: Scope) -> str:
    """The address the client used, for links back to this server."""
    host = ""
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host:
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if server else "127.0.0.1"
    return f"{scope.get('scheme', 'http')}://{host}"


async def _send_json(send: Send, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _drop(scope: Scope, receive: Receive) -> None:
    """Close the connection without an answer, as a dying server or a cut line does."""
    client, server = scope.get("client"), scope.get("server")
    transport = None
    if client and server and None not in (client[1], server[1]):  # in process: no port
        transport = _CONNECTIONS.get(
            ((str(client[0]), int(client[1])), (str(server[0]), int(server[1])))
        )
    if transport is None:
        # In process (httpx's ASGITransport) there is no connection to cut, and an app that
        # returns without an answer trips an assertion in httpx rather than a transport
        # error. Raise what httpx raises when a real server hangs up before answering, so a
        # client meets the same error as over a socket. (A server other than ours answers
        # 500 instead.)
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    transport.close()
    # Wait for uvicorn to see the connection go, so that it does not answer in our place.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2.0):
            while (await receive())["type"] != "http.disconnect":
                pass


def create_app(sim: Simulator) -> Starlette:
    """The simulator as an ASGI app; its lifespan runs the clock and the callbacks."""

    async def info(request: Request) -> Response:
        return PlainTextResponse(
            "wallboard simulator: POST / with the field service=App.<Class>.<Method> "
            "(multipart/form-data or application/x-www-form-urlencoded)\n"
        )

    async def recording(request: Request) -> Response:
        key = request.path_params["key"].removesuffix(".wav")
        with sim.lock:
            link = sim.recordings.find(key, now=sim.now())
        if link is None:
            return PlainTextResponse("this recording link is unknown or has expired\n", 404)
        return Response(
            recording_wav(),
            media_type="audio/wav",
            headers={"content-disposition": f'attachment; filename="{link.filename}"'},
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ticker = None if sim.manual_clock else asyncio.create_task(_tick(sim))
        try:
            yield
        finally:
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker

    routes = [
        Route("/", _Api(sim), methods=["POST"]),
        Route("/", info, methods=["GET"]),
        Route(PATH_PREFIX + "{key}", recording, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _tick(sim: Simulator) -> None:
    """Keep the floor moving while nobody asks, so that callbacks flow in real time."""
    while True:
        await asyncio.sleep(TICK)
        try:
            sim.catch_up()
        except Exception:
            log.exception("the simulated floor failed to advance")


# -- running it ---------------------------------------------------------------------------
def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one); OSError when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP, and without it every answer waits for a delayed ACK (40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(512)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class AppServer(uvicorn.Server):
    """uvicorn's server, with `ready`: set once it has started (or given up starting), so
    that a thread waiting for it needs no polling."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


def app_server(app: Any, *, lifespan: str = "on") -> AppServer:
    """An `AppServer` for any ASGI app, quiet, tracking connections for the `drop` fault."""
    config = uvicorn.Config(
        app,
        http=_TrackedH11Protocol,
        lifespan=lifespan,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    return AppServer(config)


def uvicorn_server(sim: Simulator) -> AppServer:
    return app_server(create_app(sim))


@contextlib.contextmanager
def serve_app_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, lifespan: str = "on"
) -> Iterator[str]:
    """Serve any ASGI app with uvicorn in a background thread (a callback receiver in a
    test, say); yields the base URL, stops on exit."""
    sock = bind(host, port)
    server = app_server(app, lifespan=lifespan)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
        finally:
            server.ready.set()  # it never got as far as starting

    thread = threading.Thread(target=run, name="wallboard-sim-server", daemon=True)
    thread.start()
    server.ready.wait(10.0)
    if not server.started:
        server.should_exit = True
        thread.join(5.0)
        sock.close()
        raise RuntimeError(f"the simulator did not start: {failure[0] if failure else 'timeout'}")
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(5.0)
        if thread.is_alive():
            server.force_exit = True
            thread.join(5.0)
        sock.close()


@contextlib.contextmanager
def serve_in_thread(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `sim` with uvicorn in a background thread; yields the base URL, stops on exit."""
    with serve_app_in_thread(create_app(sim), host, port) as url:
        yield url
