"""The callback receiver: where the server posts its callbacks, for the dashboard's process.

The API has no call that reads a task's state (API-NOTES decision 5); the task callback, sent
once when a task is over, is how a campaign that ended by itself (every number dialled) shows
as over. The receiver hands it to the campaigns registry, which the live model reads on its
next cycle. Bill and extension callbacks are acknowledged and not used: the live model polls
those figures, and a receiver that refused them would only make the server retry.

Every callback is a POST to `/`: a form (multipart or urlencoded) whose field `detail` holds
the JSON text, or the JSON itself as the body; receivers accept both. What is not one of the
three callbacks gets 400 with a message and changes nothing. The sender is on the far side of
a network: no body, however broken, raises out of here.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Mapping
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message

from wallboard.live.campaigns import CampaignRegistry, callback_detail, read_task_callback

log = logging.getLogger("wallboard.live.receiver")

#: A callback is a few hundred bytes; anything much larger is not one.
MAX_BODY = 64 * 1024
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
#: An extension callback's `status`.
CALL_EVENTS = frozenset({"ring", "answer", "hangup"})


class BodyTooLarge(Exception):
    pass


def create_receiver(registry: CampaignRegistry) -> Starlette:
    """The receiver as an ASGI app: POST / takes one callback."""

    async def receive_callback(request: Request) -> Response:
        try:
            data = await _callback_of(request)
        except BodyTooLarge:
            return _answer(413, f"a callback is at most {MAX_BODY:,} bytes")
        if data is None:
            return _answer(
                400,
                "not a callback: send a JSON object, or a form whose field 'detail' holds one",
            )
        if "taskid" in data:
            finished = read_task_callback(data)
            if finished is None:
                return _answer(400, "a task callback needs a 'taskid' and a 'status'")
            try:
                task = await run_in_threadpool(registry.apply_task_callback, finished)
            except (OSError, ValueError) as exc:  # the registry's disk: let the server retry
                log.warning("task callback for %s not recorded: %s", finished.taskid, exc)
                return _answer(503, "the task callback could not be recorded; try again")
            if task is None:
                return _answer(200, f"task {finished.taskid.strip()}: not tracked here, ignored")
            log.info("task callback: %s is %s", task.taskid, task.status.value)
            return _answer(200, f"task {task.taskid}: {task.status.value}")
        kind = _kind(data)
        if kind is None:
            return _answer(400, "not a task, bill or extension call callback")
        return _answer(200, f"{kind} callback received (not used)")

    return Starlette(routes=[Route("/", receive_callback, methods=["POST"])])


def _answer(status: int, text: str) -> Response:
    return PlainTextResponse(text + "\n", status_code=status)


def _kind(data: Mapping[str, Any]) -> str | None:
    """Which of the callbacks the documents describe this is, by its fields."""
    if "billsec" in data or "callmethod" in data:
        return "bill"
    status = data.get("status")
    if "isbleg" in data or (isinstance(status, str) and status.strip().lower() in CALL_EVENTS):
        return "extension call"
    return None


async def _callback_of(request: Request) -> Mapping[str, Any] | None:
    """The JSON object the request carries, or None; raises BodyTooLarge."""
    body = await _read_body(request)
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in FORM_TYPES:
        return callback_detail(body)
    detail = await _form_detail(request, body)
    return callback_detail(detail) if detail is not None else None


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _form_detail(request: Request, body: bytes) -> str | bytes | None:
    """The form field `detail`, parsed by Starlette from the body already read."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    form_request = Request(request.scope, replay)
    try:
        async with form_request.form(max_files=1, max_fields=20) as form:
            detail = form.get("detail")
            if detail is None or isinstance(detail, str):
                return detail
            return await detail.read(MAX_BODY)  # posted as a file part
    except (HTTPException, ValueError, UnicodeDecodeError, KeyError, AssertionError) as exc:
        log.debug("callback form not understood: %s", type(exc).__name__)
        return None


# ---------------------------------------------------------------------- running it


class RunningReceiver:
    """A receiver served by uvicorn in a thread of its own; `stop()` ends it."""

    def __init__(
        self, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket
    ) -> None:
        self._server = server
        self._thread = thread
        self._socket = sock
        host, port = sock.getsockname()[:2]
        self.host: str = host
        self.port: int = port
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}/"

    def __repr__(self) -> str:
        return f"RunningReceiver(url={self.url!r}, running={self.running})"

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening and wait for the thread (a request under way may finish)."""
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> RunningReceiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _Server(uvicorn.Server):
    """uvicorn, telling the thread that started it when it is serving (or has failed)."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


def serve_receiver(
    registry: CampaignRegistry, host: str = "127.0.0.1", port: int = 0
) -> RunningReceiver:
    """Listen for callbacks on host:port (0: any free port) in a background thread.

    Returns once it is listening. Raises OSError when the address cannot be used (a port
    taken, a host not on this machine), RuntimeError when the server does not start.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    config = uvicorn.Config(
        create_receiver(registry),
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    ready = threading.Event()
    server = _Server(config, ready)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # SystemExit from a failed startup too
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=run, name="wallboard-callback-receiver", daemon=True)
    thread.start()
    if not ready.wait(10.0) or not server.started:
        server.should_exit = True
        thread.join(5.0)
        sock.close()
        reason = f"{type(failure[0]).__name__}" if failure else "timed out"
        raise RuntimeError(f"the callback receiver did not start ({reason})")
    return RunningReceiver(server, thread, sock)


__all__ = ["MAX_BODY", "RunningReceiver", "create_receiver", "serve_receiver"]
