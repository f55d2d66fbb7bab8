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

import logging
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message

from wallboard.live.campaigns import CampaignRegistry, callback_detail, read_task_callback
from wallboard.serving import ServerThread, start_in_thread

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

    def __init__(self, running: ServerThread) -> None:
        self._running = running
        host, port = running.socket.getsockname()[:2]
        self.host: str = host
        self.port: int = port
        self.url = running.url + "/"

    def __repr__(self) -> str:
        return f"RunningReceiver(url={self.url!r}, running={self.running})"

    @property
    def running(self) -> bool:
        return self._running.running

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening and wait for the thread (a request under way may finish)."""
        self._running.stop(timeout)

    def __enter__(self) -> RunningReceiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_receiver(
    registry: CampaignRegistry, host: str = "127.0.0.1", port: int = 0
) -> RunningReceiver:
    """Listen for callbacks on host:port (0: any free port) in a background thread.

    Returns once it is listening. Raises OSError when the address cannot be used (a port
    taken, a host not on this machine), RuntimeError when the server does not start.
    """
    try:
        running = start_in_thread(
            create_receiver(registry),
            host,
            port,
            lifespan="off",
            name="wallboard-callback-receiver",
        )
    except RuntimeError as exc:
        raise RuntimeError(f"the callback receiver did not start: {exc}") from None
    return RunningReceiver(running)


__all__ = ["MAX_BODY", "RunningReceiver", "create_receiver", "serve_receiver"]
