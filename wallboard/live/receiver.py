"""The callback receiver: where the server posts its callbacks, for the dashboard's process.

The API has no call that reads a task's state (API-NOTES decision 5); the task callback, sent
once when a task is over, is how a campaign that ended by itself (every number dialled) shows
as over. The receiver hands it to the campaigns registry, which the live model reads on its
next cycle. Extension and bill callbacks go to `on_event` when one is given (the shared
collector applies them to its last snapshot at once: a tile changes before the next poll);
without one they are acknowledged and not used (the live model polls those figures, and a
receiver that refused them would only make the server retry). `on_event` is called on the
receiver's thread and must only hand the event over.

Callbacks carry no signature (API-NOTES decision 13), and a forged one could end a campaign
on every screen, so the receiver trusts none that does not pass, in this order:

1. the sender's address is allowed (`allow`: addresses or networks; loopback by default),
   judged on the connection's peer, never on a header: else 403, before the body is read;
2. the POST is to the secret path (`path`, at least 16 random letters): else 404, and a
   method other than POST there gets 405;
3. the body is a callback (a form whose field `detail` holds the JSON text, or the JSON
   itself as the body; receivers accept both): else 400, or 413 when too large;
4. its `companycode` is the one the server's Login returned (`company_code`): else 403; 503
   while there has been no Login yet, so that the server retries later;
5. a task callback names a task tracked here: else 403.

Each refusal is one line in the log (the sender's address and why, never the secret path),
and none changes anything. The sender is on the far side of a network: no body, however
broken, raises out of here.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send

from wallboard.api.models import TaskFinished
from wallboard.live.campaigns import CampaignRegistry, callback_detail, read_task_callback
from wallboard.live.shared.events import LiveEvent, bill_event, call_event
from wallboard.serving import ServerThread, start_in_thread

log = logging.getLogger("wallboard.live.receiver")

#: A callback is a few hundred bytes; anything much larger is not one.
MAX_BODY = 64 * 1024
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
#: An extension callback's `status`.
CALL_EVENTS = frozenset({"ring", "answer", "hangup"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Where callbacks may come from when nobody says: this machine only.
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
#: A secret path: long enough not to be guessed, plain enough to paste into a server's form.
SECRET_PATH = re.compile(r"/[A-Za-z0-9_\-]{16,200}")

CompanyCode = Callable[[], str | None]
"""The company code the server's Login returned, or None before the first Login. Called for
each callback, from the receiver's thread; the client's `company_code` property fits."""
OnEvent = Callable[[LiveEvent], None]
"""Told of each extension or bill callback that passed every check (on the receiver's
thread): it must hand the event over, not work on it."""


class BodyTooLarge(Exception):
    pass


class Refused(Exception):
    """A request the receiver will not act on: the answer to give and the line to log."""

    def __init__(self, status: int, answer: str, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.answer = answer
        self.why = why


def secret_path() -> str:
    """A fresh secret path (`/` and 32 random URL-safe letters), for a receiver whose
    address is handed over in process (the demo's simulator) rather than configured."""
    return "/" + secrets.token_urlsafe(24)


def allowed_networks(allow: Iterable[Network | str]) -> tuple[Network, ...]:
    """`allow` as networks: a network stays, text is read as an address or a network
    (`10.1.2.40`, `10.1.2.0/24`, `::1`). ValueError names an entry that is neither, or an
    empty list (which would refuse every callback: leave it out for loopback only)."""
    networks: list[Network] = []
    for item in allow:
        if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
            networks.append(item)
            continue
        try:
            networks.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an address or a network: {str(item)[:40]!r}") from None
    if not networks:
        raise ValueError("no address may send callbacks: leave `allow` out for loopback only")
    return tuple(networks)


class CallbackReceiver:
    """The receiver as an ASGI app: only a POST to the secret path, from an allowed address,
    carrying the company's code, is read (see the module's docstring for the order)."""

    def __init__(
        self,
        registry: CampaignRegistry,
        *,
        path: str,
        company_code: CompanyCode,
        allow: Iterable[Network | str] = LOOPBACK,
        on_event: OnEvent | None = None,
    ) -> None:
        if not SECRET_PATH.fullmatch(path):
            raise ValueError(
                "the callback path must be '/' and 16 or more letters, digits, '-' or '_'"
            )
        self.registry = registry
        self.allow = allowed_networks(allow)
        self._path = path.encode("ascii")
        self._company_code = company_code
        self._on_event = on_event

    def __repr__(self) -> str:
        allowed = ", ".join(str(network) for network in self.allow)
        return f"CallbackReceiver(path='***', allow=[{allowed}])"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":  # lifespan: nothing to start or stop
            return
        request = Request(scope, receive)
        sender = _peer(scope)
        try:
            response = await self._receive(request, sender)
        except Refused as refusal:
            log.warning("callback from %s refused: %s", sender or "an unknown address", refusal.why)
            response = _answer(refusal.status, refusal.answer)
        await response(scope, receive, send)

    async def _receive(self, request: Request, sender: str | None) -> Response:
        self._check_sender(sender)
        self._check_path(request)
        try:
            data = await _callback_of(request)
        except BodyTooLarge:
            raise Refused(413, f"a callback is at most {MAX_BODY:,} bytes", "too large") from None
        if data is None:
            raise Refused(
                400,
                "not a callback: send a JSON object, or a form whose field 'detail' holds one",
                "not a callback",
            )
        if "taskid" in data:
            finished = read_task_callback(data)
            if finished is None:
                raise Refused(
                    400, "a task callback needs a 'taskid' and a 'status'", "task callback unread"
                )
            self._check_company(data)
            return await self._task_callback(finished)
        kind = _kind(data)
        if kind is None:
            raise Refused(400, "not a task, bill or extension call callback", "unknown fields")
        self._check_company(data)
        if self._on_event is None:
            return _answer(200, f"{kind} callback received (not used)")
        event = bill_event(data) if kind == "bill" else call_event(data)
        if event is None:
            raise Refused(
                400,
                "an extension callback needs an 'extnumber' and a status ring, answer or hangup",
                f"{kind} callback unread",
            )
        try:
            self._on_event(event)
        except Exception:  # whoever listens must not turn a callback into a 500 and a retry
            log.exception("%s callback not applied", kind)
        return _answer(200, f"{kind} callback received")

    def _check_sender(self, sender: str | None) -> None:
        address = _address(sender)
        if address is None or not any(address in network for network in self.allow):
            raise Refused(403, "forbidden", "the address is not in callback_allow")

    def _check_path(self, request: Request) -> None:
        path = str(request.scope.get("path", "")).encode("utf-8", "replace")
        if not secrets.compare_digest(path, self._path):
            raise Refused(404, "not found", "not the callback path")
        if request.method != "POST":
            raise Refused(405, "callbacks are posted", f"method {request.method[:10]!r}")

    def _check_company(self, data: Mapping[str, Any]) -> None:
        expected = (self._company_code() or "").strip()
        if not expected:
            raise Refused(503, "not logged in to the server yet; try again", "no Login yet")
        if _text(data.get("companycode")) != expected:
            raise Refused(
                403, "the company code is not this server's", "the company code does not match"
            )

    async def _task_callback(self, finished: TaskFinished) -> Response:
        taskid = finished.taskid.strip()
        tracked = await run_in_threadpool(self.registry.__contains__, taskid)
        if not tracked:
            raise Refused(
                403, f"task {taskid[:40]}: not tracked here", f"task {taskid[:40]!r} untracked"
            )
        try:
            task = await run_in_threadpool(self.registry.apply_task_callback, finished)
        except (OSError, ValueError) as exc:  # the registry's disk: let the server retry
            log.warning("task callback for %s not recorded: %s", taskid, exc)
            return _answer(503, "the task callback could not be recorded; try again")
        if task is None:  # forgotten meanwhile, or a status that says nothing
            return _answer(200, f"task {taskid[:40]}: status {finished.status} changes nothing")
        log.info("task callback: %s is %s", task.taskid, task.status.value)
        return _answer(200, f"task {task.taskid}: {task.status.value}")


def create_receiver(
    registry: CampaignRegistry,
    *,
    path: str,
    company_code: CompanyCode,
    allow: Iterable[Network | str] = LOOPBACK,
    on_event: OnEvent | None = None,
) -> CallbackReceiver:
    """The receiver as an ASGI app (see `CallbackReceiver`)."""
    return CallbackReceiver(
        registry, path=path, company_code=company_code, allow=allow, on_event=on_event
    )


def _peer(scope: Scope) -> str | None:
    """The address of whoever connected (the server puts it in the scope; no header can)."""
    client = scope.get("client")
    if not client:
        return None
    return str(client[0])


def _address(host: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The peer as an address; an IPv4 peer of a dual-stack socket (::ffff:a.b.c.d) as v4."""
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _text(value: object) -> str:
    """A code as text whichever way the server sent it ("9027", 9027, 9027.0)."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str | int):
        return str(value).strip()
    return ""


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
    except (
        MultiPartException,
        HTTPException,
        ValueError,
        UnicodeDecodeError,
        KeyError,
        AssertionError,
    ) as exc:
        log.debug("callback form not understood: %s", type(exc).__name__)
        return None


# ---------------------------------------------------------------------- running it


class RunningReceiver:
    """A receiver served by uvicorn in a thread of its own; `stop()` ends it.

    `url` is where the server must post: it holds the secret path, so it is handed to the
    server (or the demo's simulator) and never shown; `address` is the same without it."""

    def __init__(self, running: ServerThread, path: str) -> None:
        self._running = running
        host, port = running.socket.getsockname()[:2]
        self.host: str = host
        self.port: int = port
        self.address = running.url
        self.url = running.url + path

    def __repr__(self) -> str:
        return f"RunningReceiver(address={self.address!r}, path='***', running={self.running})"

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
    registry: CampaignRegistry,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    company_code: CompanyCode,
    path: str | None = None,
    allow: Iterable[Network | str] = LOOPBACK,
    on_event: OnEvent | None = None,
) -> RunningReceiver:
    """Listen for callbacks on host:port (0: any free port) in a background thread.

    `path` is the secret path (the profile's `callback_path`); None makes a fresh one, for a
    receiver whose `url` is handed over in process. Returns once it is listening. Raises
    ValueError for a path or an `allow` entry that cannot be used, OSError when the address
    cannot be used (a port taken, a host not on this machine), RuntimeError when the server
    does not start.
    """
    path = secret_path() if path is None else path
    app = create_receiver(
        registry, path=path, company_code=company_code, allow=allow, on_event=on_event
    )
    try:
        running = start_in_thread(
            app, host, port, lifespan="off", name="wallboard-callback-receiver"
        )
    except RuntimeError as exc:
        raise RuntimeError(f"the callback receiver did not start: {exc}") from None
    return RunningReceiver(running, path)


__all__ = [
    "LOOPBACK",
    "MAX_BODY",
    "CallbackReceiver",
    "CompanyCode",
    "Network",
    "OnEvent",
    "RunningReceiver",
    "allowed_networks",
    "create_receiver",
    "secret_path",
    "serve_receiver",
]
