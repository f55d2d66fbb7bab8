"""Actions from viewers, sent once by the collector: the request stream and its replies.

A viewer's supervisor acts through `SharedFloorClient`, a `FloorClient` whose calls go to
the collector instead of the server: each is an entry on the floor's request stream with an
id the viewer made, who asks (user@host) and the call with its arguments; the viewer then
waits on a reply key of its own for that id. The collector's `RequestDesk` reads the stream,
sends each request to the server, writes one audit line (who, what, the outcome) and pushes
the outcome back. What "sent once" means here:

- one request id is executed once, whichever collector reads it: the desk claims the id in
  Redis (`SET NX`) before it sends, so a standby that took over and reads the stream again
  never repeats it;
- two viewers asking for the same call on the same target (the same extension in the same
  queue, the same campaign) while the first is in flight, or within `JOIN_WINDOW` seconds
  after it ended, are one action: the second is not sent and gets the first's outcome,
  audited as joined. Any other call on that target in between makes the next one new;
- a request older than `MAX_AGE` when the desk reads it (its collector died and the standby
  took over later) is not sent: an action is never carried out long after the key press.

Errors cross as their class name, code and texts, and are raised again on the viewer, so its
supervisor words the outcome exactly as it would have with the server itself. A viewer that
hears nothing back in `REPLY_WAIT` seconds raises `OutcomeUnknown`: it may have been sent.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import orjson

from wallboard.api import errors
from wallboard.live.actions import (
    CreatedTask,
    FloorClient,
    SupervisorAction,
    agent_words,
    campaign_words,
)
from wallboard.live.audit import AuditLog, current_user
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.shared.keys import FloorKeys

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("wallboard.live.shared")

#: Seconds a viewer waits for its outcome before calling it unknown.
REPLY_WAIT = 20.0
#: Seconds a request may wait on the stream and still be sent.
MAX_AGE = 10.0
#: Seconds after an action ended during which the same call on the same target joins it.
JOIN_WINDOW = 5.0
#: Requests kept on the stream (older ones are trimmed; they are past MAX_AGE long before).
REQUESTS_KEPT = 1000
#: Seconds a reply and an executed id are kept in Redis.
KEEP_REPLY = 120
#: The calls a viewer may ask for: the `FloorClient` methods.
CALLS = ("sign_in", "sign_out", "set_agent_status", "set_task", "create_task")

Args = dict[str, object]
_ERRORS: dict[str, type[errors.ApiError]] = {
    cls.__name__: cls
    for cls in (
        errors.ApiError,
        errors.TransportError,
        errors.BadRequest,
        errors.ServerError,
        errors.TokenInvalid,
        errors.AppidNotAuthorised,
        errors.AppidExpired,
        errors.ModuleNotLicensed,
        errors.IpNotAuthorised,
        errors.BusinessError,
        errors.ProtocolError,
        errors.ConnectError,
        errors.NoAnswer,
        errors.OutcomeUnknown,
    )
}


def viewer_name() -> str:
    """Who is asking, for the collector's audit log: the viewer's user and host."""
    return f"{current_user()}@{socket.gethostname()}"


@dataclass(frozen=True, slots=True)
class Created:
    """TaskCreat's answer as it comes back from the collector."""

    taskid: str
    invaliddata: Sequence[object] = ()


# ---------------------------------------------------------------------- the viewer's side


class SharedFloorClient:
    """A `FloorClient` for a viewer: every call is a request to the floor's collector."""

    def __init__(
        self,
        redis: Redis,
        keys: FloorKeys,
        *,
        read_only: bool = False,
        who: str | None = None,
        reply_wait: float = REPLY_WAIT,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self.read_only = read_only
        self.who = who or viewer_name()
        self.viewer = secrets.token_hex(6)
        self._reply_wait = reply_wait

    def __repr__(self) -> str:
        return f"SharedFloorClient(floor={self._keys.base!r}, who={self.who!r})"

    async def sign_in(self, queuename: str, extnumber: str, crmid: str | int) -> object:
        args: Args = {"queuename": queuename, "extnumber": extnumber, "crmid": str(crmid)}
        return await self.ask("sign_in", args)

    async def sign_out(self, queuename: str, extnumber: str, crmid: str | int) -> object:
        args: Args = {"queuename": queuename, "extnumber": extnumber, "crmid": str(crmid)}
        return await self.ask("sign_out", args)

    async def set_agent_status(
        self, settype: int, extnumber: str, crmid: str | int, queuename: str
    ) -> object:
        args: Args = {
            "settype": int(settype),
            "extnumber": extnumber,
            "crmid": str(crmid),
            "queuename": queuename,
        }
        return await self.ask("set_agent_status", args)

    async def set_task(self, taskid: str, taskstatus: int) -> object:
        return await self.ask("set_task", {"taskid": taskid, "taskstatus": int(taskstatus)})

    async def create_task(
        self,
        assigntype: int,
        assignagent: str,
        telphone: Sequence[str],
        taskscale: str = "1:1",
        disnumber: str | Sequence[str] = "",
        taskname: str | None = None,
    ) -> CreatedTask:
        args: Args = {
            "assigntype": int(assigntype),
            "assignagent": assignagent,
            "telphone": [str(n) for n in telphone],
            "taskscale": taskscale,
            "disnumber": disnumber if isinstance(disnumber, str) else list(disnumber),
            "taskname": taskname,
        }
        answer = await self.ask("create_task", args)
        data = answer if isinstance(answer, dict) else {}
        invalid = data.get("invaliddata")
        return Created(
            taskid=str(data.get("taskid") or ""),
            invaliddata=tuple(invalid) if isinstance(invalid, list) else (),
        )

    async def ask(self, call: str, args: Args, *, request_id: str | None = None) -> object:
        """Send one request and wait for its outcome: the answer, or the error raised."""
        from redis.exceptions import RedisError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        if self.read_only:
            raise errors.ConnectError("this viewer is read-only", service=call)
        request_id = request_id or secrets.token_hex(12)
        reply_key = self._keys.reply(self.viewer, request_id)
        entry = {
            "id": request_id,
            "viewer": self.viewer,
            "who": self.who,
            "call": call,
            "args": orjson.dumps(args),
        }
        try:
            await self._redis.xadd(
                self._keys.requests,
                entry,  # type: ignore[arg-type]
                maxlen=REQUESTS_KEPT,
                approximate=True,
            )
        except RedisTimeoutError as exc:
            # The request may sit in the socket and reach Redis when it answers again: it
            # may yet be sent, so it is not "nothing was sent".
            raise errors.OutcomeUnknown(
                f"the shared floor's Redis did not answer: {exc}", service=call
            ) from None
        except RedisError as exc:
            raise errors.ConnectError(f"the shared floor's Redis: {exc}", service=call) from None
        try:
            popped = await cast(
                "Awaitable[list[bytes] | None]",
                self._redis.blpop([reply_key], timeout=self._reply_wait),
            )
        except RedisError as exc:
            raise errors.OutcomeUnknown(
                f"the shared floor's Redis failed while waiting: {exc}", service=call
            ) from None
        if popped is None:
            raise errors.OutcomeUnknown(
                f"no answer from the floor's collector in {self._reply_wait:g} s", service=call
            )
        return answer_of(popped[1], call)


def answer_of(reply: bytes | str, call: str) -> object:
    """The answer a reply carries, or its error raised again."""
    try:
        data = orjson.loads(reply)
    except orjson.JSONDecodeError:
        raise errors.OutcomeUnknown("the collector's reply is unreadable", service=call) from None
    if not isinstance(data, dict):
        raise errors.OutcomeUnknown("the collector's reply is unreadable", service=call)
    failure = data.get("error")
    if isinstance(failure, dict):
        cls = _ERRORS.get(str(failure.get("kind")), errors.ApiError)
        code = failure.get("code")
        raise cls(
            str(failure.get("message") or ""),
            code=code if isinstance(code, int) else None,
            meaning=str(failure.get("meaning") or ""),
            service=str(failure.get("service") or call),
        )
    return cast(object, data.get("answer"))


# ---------------------------------------------------------------------- the collector's side


@dataclass(frozen=True, slots=True)
class Request:
    """One request as read from the stream."""

    id: str
    viewer: str
    who: str
    call: str
    args: Args
    sent_ms: int  # the stream entry's time (Redis's clock), milliseconds

    @property
    def target(self) -> str:
        """What the call acts on: two calls on one target are one action only if equal."""
        if self.call == "set_task":
            return f"campaign:{self.args.get('taskid')}"
        if self.call == "create_task":
            return f"new:{self.args.get('assignagent')}:{orjson.dumps(self.args).decode()}"
        return f"agent:{self.args.get('queuename')}:{self.args.get('extnumber')}"

    @property
    def same(self) -> bytes:
        """The call and its arguments: equal for the same action on the same target."""
        return orjson.dumps([self.call, self.args], option=orjson.OPT_SORT_KEYS)


def request_of(entry_id: bytes | str, fields: Mapping[bytes | str, bytes | str]) -> Request | None:
    """The request of a stream entry, None when it is not one (logged)."""

    def text(name: str) -> str:
        value = fields.get(name.encode(), fields.get(name, b""))
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    entry = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    try:
        args = orjson.loads(text("args") or "{}")
        sent_ms = int(entry.split("-", 1)[0])
    except (orjson.JSONDecodeError, ValueError):
        args, sent_ms = None, 0
    call, request_id = text("call"), text("id")
    if call not in CALLS or not isinstance(args, dict) or not request_id or not text("viewer"):
        log.warning("request %s on the shared floor is not one; ignored", entry)
        return None
    return Request(request_id, text("viewer"), text("who") or "unknown", call, args, sent_ms)


@dataclass(slots=True)
class _Action:
    same: bytes
    outcome: asyncio.Future[bytes]
    ended: float | None = None
    requests: list[str] = field(default_factory=list)


class RequestDesk:
    """The collector's side: reads requests, sends each action once, audits, replies."""

    def __init__(
        self,
        redis: Redis,
        keys: FloorKeys,
        client: FloorClient,
        audit: AuditLog,
        *,
        registry: CampaignRegistry | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = MAX_AGE,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._client = client
        self._audit = audit
        self._registry = registry
        self._clock = clock
        self._max_age = max_age
        self._actions: dict[str, _Action] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent = 0  # actions sent to the server, for tests and the log

    async def serve(self, holding: Callable[[], bool]) -> None:
        """Read and handle requests while `holding()` (this collector holds the lock); the
        stream is read from `max_age` ago, so that requests a dead collector left are seen."""
        from redis.exceptions import RedisError

        seconds, micros = await self._redis.time()
        last = f"{int(seconds * 1000 + micros // 1000 - self._max_age * 1000)}-0"
        while holding():
            try:
                found = cast(
                    list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]],
                    await self._redis.xread({self._keys.requests: last}, count=100, block=500),
                )
            except RedisError as exc:  # the lock's renewal decides whether we still lead
                log.warning("shared floor %s: requests not read: %s", self._keys.base, exc)
                await asyncio.sleep(1.0)
                continue
            for _stream, entries in found or []:
                for entry_id, fields in entries:
                    last = entry_id.decode()
                    request = request_of(entry_id, cast(Mapping[bytes | str, bytes | str], fields))
                    if request is not None and holding():
                        self._start(request)

    async def close(self) -> None:
        """Let the requests in hand finish (their outcomes are owed)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start(self, request: Request) -> None:
        task = asyncio.ensure_future(self.handle(request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle(self, request: Request) -> None:
        """One request: claimed once, sent or joined, audited, answered."""
        claimed = await self._redis.set(
            self._keys.done(request.id), b"pending", nx=True, ex=KEEP_REPLY
        )
        if not claimed:  # executed already (a retry), or in hand elsewhere: never again
            done = await self._redis.get(self._keys.done(request.id))
            if isinstance(done, bytes) and done != b"pending":
                await self._reply(request, done)
            return
        seconds, micros = await self._redis.time()
        age = seconds + micros / 1e6 - request.sent_ms / 1000
        if age > self._max_age:
            reply = _error_reply(
                errors.ConnectError(
                    f"the request waited {age:.0f} s for a collector", service=request.call
                )
            )
            self._audit_line(request, reply, note="too old: not sent")
        else:
            reply = await self._once(request)
        await self._reply(request, reply)

    async def _once(self, request: Request) -> bytes:
        now = self._clock()
        action = self._actions.get(request.target)
        if (
            action is not None
            and action.same == request.same
            and (action.ended is None or now - action.ended <= JOIN_WINDOW)
        ):
            reply = await asyncio.shield(action.outcome)
            self._audit_line(request, reply, note="the same action was already sent: joined it")
            return reply
        action = _Action(request.same, asyncio.get_running_loop().create_future())
        self._actions[request.target] = action
        try:
            reply = await self._send(request)
        except BaseException:
            action.outcome.cancel()
            raise
        action.outcome.set_result(reply)
        action.ended = self._clock()
        self._forget_old()
        self._audit_line(request, reply)
        return reply

    def _forget_old(self) -> None:
        now = self._clock()
        for target, action in list(self._actions.items()):
            if action.ended is not None and now - action.ended > JOIN_WINDOW:
                del self._actions[target]

    async def _send(self, request: Request) -> bytes:
        args = request.args
        self.sent += 1
        try:
            answer = await self._call(request.call, args)
        except errors.ApiError as exc:
            code = exc.code
            if request.call == "set_task" and code is not None:
                self._record(lambda reg: reg.apply_code(_s(args, "taskid"), code))
            return _error_reply(exc)
        except Exception as exc:  # the server's client failed in a way it should not
            log.exception("request %s failed unexpectedly", request.call)
            return _error_reply(errors.ApiError(f"the collector failed ({type(exc).__name__})"))
        if request.call == "set_task":
            taskid, status = _s(args, "taskid"), _i(args, "taskstatus")
            self._record(lambda reg: reg.apply_taskset(taskid, status))
        if request.call == "create_task":
            taskid = str(getattr(answer, "taskid", "") or "")
            invalid = list(getattr(answer, "invaliddata", None) or [])
            refused = {
                str(item.get("phone", item)) if isinstance(item, dict) else str(item)
                for item in invalid
            }
            numbers = [n for n in _strs(args, "telphone") if n not in refused]
            if taskid:
                self._record(
                    lambda reg: reg.record_created(
                        taskid,
                        numbers=numbers,
                        name=str(args.get("taskname") or ""),
                        assigned_to=_s(args, "assignagent"),
                    )
                )
            return orjson.dumps({"answer": {"taskid": taskid, "invaliddata": invalid}})
        return orjson.dumps({"answer": None})

    def _call(self, call: str, args: Args) -> Awaitable[object]:
        client = self._client
        if call == "sign_in":
            return client.sign_in(_s(args, "queuename"), _s(args, "extnumber"), _s(args, "crmid"))
        if call == "sign_out":
            return client.sign_out(_s(args, "queuename"), _s(args, "extnumber"), _s(args, "crmid"))
        if call == "set_agent_status":
            return client.set_agent_status(
                _i(args, "settype"),
                _s(args, "extnumber"),
                _s(args, "crmid"),
                _s(args, "queuename"),
            )
        if call == "set_task":
            return client.set_task(_s(args, "taskid"), _i(args, "taskstatus"))
        disnumber = args.get("disnumber")
        return client.create_task(
            _i(args, "assigntype"),
            _s(args, "assignagent"),
            _strs(args, "telphone"),
            taskscale=_s(args, "taskscale") or "1:1",
            disnumber=[str(n) for n in disnumber]
            if isinstance(disnumber, list)
            else str(disnumber or ""),
            taskname=str(args["taskname"]) if args.get("taskname") else None,
        )

    async def _reply(self, request: Request, reply: bytes) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._keys.done(request.id), reply, ex=KEEP_REPLY)
        key = self._keys.reply(request.viewer, request.id)
        pipe.rpush(key, reply)
        pipe.expire(key, KEEP_REPLY)
        await pipe.execute()

    def _record(self, change: Callable[[CampaignRegistry], object]) -> None:
        if self._registry is None:
            return
        try:
            change(self._registry)
        except (OSError, ValueError) as exc:
            log.warning("campaign registry not updated: %s", exc)

    def _audit_line(self, request: Request, reply: bytes, note: str = "") -> None:
        action, target = describe(request)
        data = orjson.loads(reply)
        failure = data.get("error") if isinstance(data, dict) else None
        if isinstance(failure, dict):
            kind = str(failure.get("kind"))
            outcome = "unknown" if kind == "OutcomeUnknown" else "failed"
            code = failure.get("code") if isinstance(failure.get("code"), int) else None
            message = str(failure.get("message") or "")
        else:
            outcome, code, message = "done", None, ""
        message = f"{message}; {note}" if message and note else message or note
        details: dict[str, object] = {"request": request.id, "via": "shared floor"}
        details.update({k: v for k, v in request.args.items() if k in ("taskid", "extnumber")})
        self._audit.write(  # a disk that fails is logged there; the action is done
            action=action,
            target=target,
            outcome=outcome,
            code=code if isinstance(code, int) else None,
            message=message,
            user=request.who,
            details=details,
        )


def describe(request: Request) -> tuple[str, str]:
    """The request as the audit log names actions and targets."""
    args = request.args
    if request.call in ("set_task", "create_task"):
        if request.call == "create_task":
            return (
                SupervisorAction.CREATE_CAMPAIGN.label,
                f"new campaign for {_s(args, 'assignagent')}",
            )
        status = _i(args, "taskstatus")
        action = next(
            (
                a
                for a in SupervisorAction
                if a.taskstatus is not None and int(a.taskstatus) == status
            ),
            None,
        )
        label = action.label if action is not None else f"TaskSet {status}"
        return label, campaign_words(_s(args, "taskid"))
    target = f"{agent_words(_s(args, 'extnumber'))} in {_s(args, 'queuename')}"
    if request.call == "set_agent_status":
        settype = _i(args, "settype")
        row = next(
            (a for a in SupervisorAction if a.settype is not None and int(a.settype) == settype),
            None,
        )
        return (row.label if row is not None else f"SetSeatsStatus {settype}"), target
    action = SupervisorAction.CHECK_IN if request.call == "sign_in" else SupervisorAction.CHECK_OUT
    return action.label, target


def _error_reply(exc: errors.ApiError) -> bytes:
    return orjson.dumps(
        {
            "error": {
                "kind": type(exc).__name__ if type(exc).__name__ in _ERRORS else "ApiError",
                "code": exc.code,
                "message": exc.message,
                "meaning": exc.meaning,
                "service": exc.service,
            }
        }
    )


def _s(args: Args, name: str) -> str:
    value = args.get(name)
    return "" if value is None else str(value)


def _i(args: Args, name: str) -> int:
    value = args.get(name)
    try:
        return int(value) if isinstance(value, int | str) else 0
    except ValueError:
        return 0


def _strs(args: Args, name: str) -> list[str]:
    value = args.get(name)
    return [str(n) for n in value] if isinstance(value, list) else []


__all__ = [
    "CALLS",
    "JOIN_WINDOW",
    "MAX_AGE",
    "REPLY_WAIT",
    "Created",
    "Request",
    "RequestDesk",
    "SharedFloorClient",
    "answer_of",
    "describe",
    "request_of",
    "viewer_name",
]
