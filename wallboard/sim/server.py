"""The simulator: the vendor's API over HTTP on top of a simulated floor.

`Simulator` ties the floor to a clock (real time times `speed` from a start, by default
now, or a manual clock that only moves on `advance()` for tests), the server's time zone,
the accounts and tokens, the faults, the drift and the callbacks. `create_app` serves it as
a Starlette app: `POST /` with a `service` field, as the documents say, wrapped in the fault
middleware; `GET /_sim/stats` with the requests counted per service. `serve_in_thread` runs
that app on uvicorn on loopback for tests and the demo (`wallboard.serving` does the
serving).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
import math
import secrets
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from wallboard import serving
from wallboard.serving import AppServer, bind, url_of
from wallboard.sim import handlers
from wallboard.sim.auth import Gate
from wallboard.sim.callbacks import CallbackDispatcher, CallbackTargets
from wallboard.sim.drift import Drift
from wallboard.sim.faults import FaultInjection, Faults, send_json
from wallboard.sim.floor import EVENT_KINDS, Floor, FloorEvent
from wallboard.sim.recordings import PATH_PREFIX, RecordingLinks, recording_wav
from wallboard.sim.scenario import DEFAULT_START, build_floor
from wallboard.sim.wire import BadRequest, encode, format_time, refusal, server_zone

log = logging.getLogger(__name__)

DEMO_APPID = "wallboard-demo"
#: A request body larger than this is refused (10,000 numbers with every field fit easily).
MAX_BODY = 16 * 1024 * 1024
#: How often (real seconds) the background task moves the floor to "now" while serving.
TICK = 0.2
#: The share of answer fields that drift when a Simulator is given no `drift` (a seam: the
#: test suite's `--drift` switch sets it for the client's and the dashboard's tests).
DEFAULT_DRIFT = 0.0
#: Where the request counts are served.
STATS_PATH = "/_sim/stats"
#: What the counts call a request whose `service` names no documented call.
UNKNOWN_SERVICE = "(unknown)"

__all__ = [
    "AppServer",
    "SimTask",
    "Simulator",
    "bind",
    "create_app",
    "serve_app_in_thread",
    "serve_in_thread",
    "url_of",
    "uvicorn_server",
]


@dataclass(frozen=True, slots=True)
class SimTask:
    """A predictive task as the simulated CRM made it: what a demo needs to track it.

    `numbers` are the numbers not yet done; `status` is 1025-1028."""

    taskid: str
    name: str
    assignagent: str
    numbers: tuple[str, ...]
    status: int


class Simulator:
    """A floor, its clock, its accounts, faults and callbacks: everything but the HTTP.

    The clock: real time times `speed` from the floor's start, or a manual clock that only
    moves on `advance()` (for tests). Times on the wire are written in `tz`, the server's
    zone (None: this machine's). Thread-safe: the server's thread and a test's thread may
    both use it; every touch of the floor happens under `lock`.
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
        tz: dt.tzinfo | None = dt.UTC,
        drift: Drift | float | None = None,
    ) -> None:
        if not speed > 0 or speed == math.inf:
            raise ValueError("speed must be a number above 0")
        if not appid.strip():
            raise ValueError("the appid must not be empty")
        if accesskey is not None and not accesskey.strip():
            raise ValueError("the accesskey must not be empty")
        self.floor = floor
        self.speed = speed
        self.manual_clock = manual_clock
        self.tz = tz
        self.lock = threading.RLock()
        self.faults = faults if isinstance(faults, Faults) else Faults.parse(faults)
        if not isinstance(drift, Drift):
            drift = Drift(DEFAULT_DRIFT if drift is None else drift, seed=self.faults.seed)
        self.drift = drift
        self.gate = Gate()
        self.appid = appid
        self.accesskey = accesskey or secrets.token_hex(16)
        self.gate.add_account(self.appid, self.accesskey)
        self.recordings = RecordingLinks()
        self._real_clock = real_clock
        self._origin_real = real_clock()
        self._origin_sim = floor.now
        self._requests: collections.Counter[str] = collections.Counter()
        self._faults_fired: collections.Counter[str] = collections.Counter()
        self.callbacks: CallbackDispatcher | None = None
        if isinstance(callbacks, CallbackTargets) and callbacks.any:
            callbacks = CallbackDispatcher(
                callbacks,
                transport=callback_transport,
                # Its own dice: callbacks are encoded on the floor's thread, answers on the
                # server's.
                drift=Drift(drift.rate, seed=drift.seed + 1),
            )
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
        start: float | None = None,
        manual_clock: bool = False,
        scenario: str = "default",
        **options: Any,
    ) -> Simulator:
        """The default floor of `wallboard.sim.scenario`, served with these settings.

        `start` (unix seconds) is where the floor's clock begins: by default now, so that
        "today" is today; a manual clock without a start begins at the scenario's reference
        Monday (`DEFAULT_START`), so that a test replays exactly. `scenario` names one of
        `wallboard.sim.scenario.SCENARIOS` (ValueError for another). `options` are the
        constructor's: appid, accesskey, callbacks, callback_transport, real_clock, tz,
        drift. Faults given as text get dice seeded from `seed`."""
        if start is None:
            start = DEFAULT_START if manual_clock else float(int(time.time()))
        floor = build_floor(
            seed=seed,
            agents=agents,
            queues=queues,
            campaigns=campaigns,
            start=start,
            scenario=scenario,
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
        with self.lock, server_zone(self.tz):
            if self.manual_clock:
                self.floor.advance_to(self.floor.now + seconds)
            else:
                self._origin_sim += seconds
                self.floor.advance_to(self.now())

    def catch_up(self) -> None:
        """Run the floor up to the clock's "now" (a no-op on a manual clock)."""
        if self.manual_clock:
            return
        with self.lock, server_zone(self.tz):
            self.floor.advance_to(self.now())

    def format_time(self, moment: float | None) -> str | None:
        """A moment as the server writes it (`yyyy-mm-dd hh:mm:ss` in its zone)."""
        with server_zone(self.tz):
            return format_time(moment)

    # -- requests -------------------------------------------------------------------------
    def handle(self, fields: Mapping[str, str], base_url: str = "") -> dict[str, Any]:
        """Answer one request's form fields with the envelope (no HTTP, no faults, no
        drift); counted in `stats()`."""
        route = handlers.find_route(str(fields.get("service", "")))
        with self.lock, server_zone(self.tz):
            self._requests[route.wire if route else UNKNOWN_SERVICE] += 1
            if not self.manual_clock:
                self.floor.advance_to(self.now())
            return handlers.dispatch(self, fields, base_url)

    # -- what the simulated CRM made, and what the server was asked ------------------------
    def tasks(self) -> list[SimTask]:
        """The floor's predictive tasks, oldest first, as immutable records."""
        with self.lock:
            return [
                SimTask(
                    taskid=task.taskid,
                    name=task.name,
                    assignagent=task.assignagent,
                    numbers=tuple(task.numbers),
                    status=task.status,
                )
                for task in self.floor.tasks.values()
            ]

    def fault_fired(self, name: str) -> None:
        """Count one fault (the fault middleware calls this)."""
        with self.lock:
            self._faults_fired[name] += 1

    def stats(self) -> dict[str, Any]:
        """Requests per service since start (those a fault answered in the floor's place
        are under `faults`), for `GET /_sim/stats`."""
        with self.lock:
            services = dict(sorted(self._requests.items()))
            fired = dict(sorted(self._faults_fired.items()))
        return {
            "requests": sum(services.values()),
            "services": services,
            "faults": fired,
            "uptime": round(self._real_clock() - self._origin_real, 3),
            "now": self.format_time(self.now()),
        }

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
class _Api:
    """`POST /`: one service call. A raw ASGI endpoint: the hot path stays small. Faults
    are not its business (`FaultInjection` wraps the app); drift is, as part of encoding."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        try:
            fields = await _read_form(scope, receive)
        except BadRequest as exc:
            await send_json(send, encode(refusal(400, exc.message)))
            return
        try:
            envelope: Mapping[str, Any] = sim.handle(fields, _base_url(scope))
        except Exception:
            log.exception("the simulated floor failed")
            envelope = refusal(500, "server error")
        if sim.drift.active:
            envelope = sim.drift.envelope(envelope)
        await send_json(send, encode(envelope))


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

    async def stats(request: Request) -> Response:
        return JSONResponse(sim.stats())

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
        Route(STATS_PATH, stats, methods=["GET"]),
        Route(PATH_PREFIX + "{key}", recording, methods=["GET"]),
    ]
    faults = Middleware(FaultInjection, faults=lambda: sim.faults, fired=sim.fault_fired)
    return Starlette(routes=routes, middleware=[faults], lifespan=lifespan)


async def _tick(sim: Simulator) -> None:
    """Keep the floor moving while nobody asks, so that callbacks flow in real time."""
    while True:
        await asyncio.sleep(TICK)
        try:
            sim.catch_up()
        except Exception:
            log.exception("the simulated floor failed to advance")


# -- running it ---------------------------------------------------------------------------
def uvicorn_server(sim: Simulator) -> AppServer:
    """A uvicorn server for `sim` (serve it with `server.serve(sockets=[bind(...)])`)."""
    return serving.app_server(create_app(sim))


@contextlib.contextmanager
def serve_app_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, lifespan: serving.Lifespan = "on"
) -> Iterator[str]:
    """Serve any ASGI app (a callback receiver in a test, say) in a background thread;
    yields the base URL, stops on exit."""
    with serving.serve_in_thread(app, host, port, lifespan=lifespan) as url:
        yield url


@contextlib.contextmanager
def serve_in_thread(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `sim` with uvicorn in a background thread; yields the base URL, stops on exit."""
    try:
        running = serving.start_in_thread(create_app(sim), host, port, name="wallboard-sim")
    except RuntimeError as exc:
        raise RuntimeError(f"the simulator did not start: {exc}") from None
    try:
        yield running.url
    finally:
        running.stop()
