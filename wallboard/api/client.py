"""The typed async client of the vendor's predictive-outbound API.

One method per documented service (named as in `services.py`), each a form-data POST to the
base URL that returns pydantic models (`models.py`) or raises one of `errors.py`.

What it takes care of so that callers do not have to:
- the token: logged in lazily, renewed before its 12 hours run out, and on `ret 600` one new
  Login and one repeat of the call. Concurrent calls share one Login (a lock plus a token
  generation: only the first caller to see a refused generation logs in again), and its
  failure too: calls that waited on a Login that was refused get its error, not a Login each;
- time limits on every call, and retries with exponential backoff and jitter for reads only
  (a lost connection, a `ret 500`, and once an answer that cannot be read, such as JSON cut
  short), so that one bad answer does not fail a dashboard's poll. A call that changes the
  floor is never repeated once it may have reached the server: a timeout there, or an
  answer that cannot be read, is `OutcomeUnknown`;
- the server's clock (`server_offset`), read off every answer's stamps: "today" is the
  server's day, not the host's;
- splitting long comma lists of extensions into concurrent batches, answers kept in order;
- secrets: the accesskey and the token never appear in a repr, a log line or an error, not
  even when the server echoes them in its own message.
"""

from __future__ import annotations

import asyncio
import copy
import importlib.metadata
import json
import logging
import random
import time
import urllib.request
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import httpx
import orjson
from pydantic import TypeAdapter, ValidationError

from wallboard.api import services
from wallboard.api.call_states import CallStateCache, CallStates
from wallboard.api.errors import (
    ApiError,
    ConnectError,
    NoAnswer,
    OutcomeUnknown,
    ProtocolError,
    ServerError,
    TokenInvalid,
    business_error,
    transport_error,
)
from wallboard.api.form import multipart_form
from wallboard.api.models import (
    Ack,
    ApiModel,
    Bill,
    BillPage,
    Extension,
    ExtensionCallStatus,
    ExtensionRegistration,
    ExtensionValidity,
    Group,
    GroupExtension,
    LoginResult,
    NumbersAdded,
    PhoneNumber,
    Queue,
    QueueAgent,
    RecordingLink,
    TaskCreated,
)
from wallboard.api.rows import (
    RowBytesCache,
    RowCache,
    SplitAnswer,
    envelope_holds_rows,
    split_rows,
)
from wallboard.api.server_clock import ServerClock
from wallboard.api.services import MAX_NUMBERS_PER_CALL, TOKEN_LIFETIME
from wallboard.api.transport import FloorTransport

log = logging.getLogger("wallboard.api")
# A library logs only where the application set up logging: without this, Python's last-resort
# handler would print retry warnings around `wallboard call`'s one-line error.
log.addHandler(logging.NullHandler())

try:
    _VERSION = importlib.metadata.version("wallboard")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
    _VERSION = "dev"

#: A token (`services.TOKEN_LIFETIME`) is renewed this long before it runs out, so no call
#: meets it expiring.
RENEW_MARGIN = 15 * 60.0

M = TypeVar("M", bound=ApiModel)
T = TypeVar("T")

PhoneLike = PhoneNumber | Mapping[str, Any] | str | int
"""A number to dial: a `PhoneNumber`, a mapping with its fields, or just the number."""


# The shape of each service's answer: ("ack", None) for a status-only answer, ("object", M)
# for a single `result` object, ("list", M) for a `result` array. GetGroupExt's `data` is the
# array itself; `_result_of` handles that.
_RESULTS: dict[str, tuple[str, type[ApiModel] | None]] = {
    "App.Sip_Auth.Login": ("object", LoginResult),
    "App.Sip_Auth.Logout": ("ack", None),
    "App.Sip_Cdr.GetBill": ("object", BillPage),
    "App.Sip_Cdr.GetRecodeFile": ("object", RecordingLink),
    "App.Sip_Yccall.TaskCreat": ("object", TaskCreated),
    "App.Sip_Yccall.TaskAdd": ("object", NumbersAdded),
    "App.Sip_Yccall.taskDelPhone": ("ack", None),
    "App.Sip_Yccall.TaskSet": ("ack", None),
    "App.Sip_Queue.AddQueue": ("ack", None),
    "App.Sip_Queue.EditQueue": ("ack", None),
    "App.Sip_Queue.DelQueue": ("ack", None),
    "App.Sip_Queue.GetQueueList": ("list", Queue),
    "App.Sip_Queue.GetQueueSipStatus": ("list", QueueAgent),
    "App.Sip_Queue.SetSeatsStatus": ("ack", None),
    "App.Sip_Queue.SipSignIn": ("ack", None),
    "App.Sip_Queue.SipSignOut": ("ack", None),
    "App.Sip_Extgroup.AddExtgroup": ("ack", None),
    "App.Sip_Extgroup.AddExtnumber": ("ack", None),
    "App.Sip_Extgroup.DelExtnumber": ("ack", None),
    "App.Sip_Extgroup.EditExtnumber": ("ack", None),
    "App.Sip_Extgroup.GetGroupExt": ("list", GroupExtension),
    "App.Sip_Extgroup.GetExtgroupInfo": ("list", Group),
    "App.Sip_Sipnum.GetSipnumberInfo": ("list", Extension),
    "App.Sip_Status.GetSipCallStatus": ("list", ExtensionCallStatus),
    "App.Sip_Status.GetSipValidStatus": ("list", ExtensionValidity),
    "App.Sip_Status.GetSipRegisterStatus": ("list", ExtensionRegistration),
}
_BARE_LIST_SERVICES = frozenset({"App.Sip_Extgroup.GetGroupExt"})
#: The calls asked once more when their answer cannot be read (cut short, not JSON, no
#: envelope): every read, and Login (a second Login only hands out a token). Not Logout:
#: the first may have ended the session, and a repeat would be refused for its token.
#: Mutations never: their outcome is unknown (`OutcomeUnknown`).
_REREAD_WHEN_UNREADABLE = frozenset(
    service.wire
    for service in services.SERVICES
    if not service.mutation and service.wire != "App.Sip_Auth.Logout"
)
#: How many times an unreadable answer is asked again (within `read_retries`): once is
#: enough for a body cut short in transit; a server that always answers garbage (a proxy's
#: login page, say) is not asked a third time.
UNREADABLE_RETRIES = 1
_ADAPTERS: dict[type[ApiModel], TypeAdapter[list[Any]]] = {}
#: The reads a dashboard repeats every cycle, with the fields that name one row: a row the
#: same as in the previous answer is handed back as the same model, without decoding or
#: validating it again (see `rows`). GetSipCallStatus is not among them: its durations tick
#: every second, so its rows are never the same twice.
_ROW_KEYS: dict[str, tuple[str, ...]] = {
    "App.Sip_Queue.GetQueueSipStatus": ("queuename", "extnumber"),
}
#: The reads whose answers are cut into rows and read row by row (`rows.split_rows`): the
#: keys down to the rows' array in `data`, and a row's model. The queue rows every second;
#: the extensions and their registrations every slow read, mostly as they were; GetBill:
#: the bill reader asks for the last page again every few seconds, and all but its new
#: bills are the same bytes.
_ROWS_AT: dict[str, tuple[tuple[str, ...], type[ApiModel]]] = {
    "App.Sip_Queue.GetQueueSipStatus": (("result",), QueueAgent),
    "App.Sip_Sipnum.GetSipnumberInfo": (("result",), Extension),
    "App.Sip_Status.GetSipRegisterStatus": (("result",), ExtensionRegistration),
    "App.Sip_Cdr.GetBill": (("result", "bills"), Bill),
}


def _list_adapter(model: type[M]) -> TypeAdapter[list[M]]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
    return cast(TypeAdapter[list[M]], adapter)


class _Unreadable(ProtocolError):
    """A read's answer that cannot be read at all (not JSON, no envelope): asked again once
    by `_exchange`, which raises a plain `ProtocolError` if the repeat fails too."""


@dataclass(frozen=True, slots=True)
class _Answer:
    """An answer's `data`, and its body.

    `rows`: the models of the rows when the body was cut into them and read row by row
    (`rows.split_rows`); `data`'s `result` is then the mark that stands for them.
    """

    data: Any
    body: bytes = b""
    rows: list[Any] | None = None

    @property
    def plain(self) -> bool:
        """Whether the body holds no JSON true/false: only then may rows be matched with the
        previous answer's by equality, since Python holds `True == 1` while the models read
        them differently."""
        return b"true" not in self.body and b"false" not in self.body


def _decode(content: bytes) -> Any:
    """The answer's JSON: orjson (several times faster on a big floor's answers), and the
    standard library for what orjson refuses but JSON readers accept (NaN, huge ints)."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def _service(wire: str) -> services.Service:
    service = services.find(wire)
    if service is None:  # pragma: no cover - the table and this module are kept in step
        raise KeyError(wire)
    return service


def _wire_value(value: object) -> str:
    """Form fields are text: ints as digits, bools as the documents' yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _form(**fields: object) -> dict[str, str]:
    """The form of one call; a field given as None is left out (an optional one not set)."""
    return {name: _wire_value(value) for name, value in fields.items() if value is not None}


def _csv(values: str | Sequence[str | int]) -> str:
    if isinstance(values, str):
        return values
    return ",".join(str(value).strip() for value in values)


def extension_list(extnumbers: str | Sequence[str | int]) -> list[str]:
    """Extensions from a comma text or a sequence, stripped, empties dropped, order kept."""
    items = extnumbers.split(",") if isinstance(extnumbers, str) else extnumbers
    return list(filter(None, map(str.strip, map(str, items))))  # in C: no Python frame


def phone_entries(telphone: Sequence[PhoneLike]) -> str:
    """TaskCreat/TaskAdd's `telphone`: a JSON array of number entries."""
    if isinstance(telphone, str | bytes):
        raise TypeError("telphone must be a sequence of numbers, not one text")
    if len(telphone) > MAX_NUMBERS_PER_CALL:
        raise ValueError(
            f"{len(telphone)} numbers in one call: the server takes at most "
            f"{MAX_NUMBERS_PER_CALL:,}; add the rest with add_numbers()"
        )
    entries: list[dict[str, Any]] = []
    for item in telphone:
        if isinstance(item, PhoneNumber):
            number = item
        elif isinstance(item, Mapping):
            number = PhoneNumber.model_validate(item)
        else:
            number = PhoneNumber(phone=str(item))
        if not number.phone.strip():
            raise ValueError("an empty phone number in telphone")
        entries.append(number.wire())
    return json.dumps(entries, ensure_ascii=False, separators=(",", ":"))


def _shape_problem(exc: ValidationError) -> str:
    """Where a result differs from the documents, without echoing any value (secrets)."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False)[:3]:
        where = ".".join(str(part) for part in error["loc"]) or "result"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


def _proxy_configured() -> bool:
    """Whether httpx would send through a proxy from the environment (HTTP_PROXY and the
    like, or the system's settings): then httpx's own transport carries the calls, as it
    alone speaks to proxies; otherwise the leaner `FloorTransport`."""
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


def _display_url(base_url: str) -> str:
    """The base URL without any user:password part, for messages."""
    url = httpx.URL(base_url)
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path if url.path != '/' else ''}"


class _AnswerCookies(httpx.Cookies):
    """The client's cookies, read off an answer only when the answer sets one.

    httpx reads every answer's cookies with the standard library's cookie jar, after
    wrapping the answer and its request in urllib's classes: some 0.1 ms a call, for a
    dashboard that calls twice a second, on answers that set no cookie. An answer without a
    Set-Cookie or Set-Cookie2 header adds nothing to the jar, so it is not looked at."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class _HttpClient(httpx.AsyncClient):
    """httpx's client, its cookies kept in `_AnswerCookies` (httpx reaches them through
    the `cookies` property, as users do)."""

    def __init__(self, **settings: Any) -> None:
        self._answer_cookies = _AnswerCookies()
        super().__init__(**settings)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._answer_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._answer_cookies = _AnswerCookies(cookies)


class WallboardClient:
    """An async client for the vendor's API: one method per documented service.

    Use it as `async with WallboardClient(...) as client:` or close it with `aclose()`.
    `sleep`, `jitter` and `clock` are there so tests control time instead of waiting.
    """

    def __init__(
        self,
        base_url: str,
        appid: str,
        accesskey: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
        read_retries: int = 2,
        batch_size: int = 200,
        concurrency: int = 8,
        backoff: float = 0.25,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        token_lifetime: float = TOKEN_LIFETIME,
        renew_margin: float = RENEW_MARGIN,
    ) -> None:
        try:
            url = httpx.URL(base_url.strip())
        except (httpx.InvalidURL, TypeError) as exc:
            raise ValueError(f"not a server address: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("the server address must be an http:// or https:// URL")
        if timeout <= 0 or read_retries < 0 or batch_size < 1 or concurrency < 1:
            raise ValueError("timeout, batch_size and concurrency must be positive")
        self._base_url = str(url)
        self._shown_url = _display_url(self._base_url)
        self._appid = appid
        self._accesskey = accesskey
        self._timeout = timeout
        self._read_retries = read_retries
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._backoff = backoff
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self._wall = wall
        # The server's clock, from every answer's reqtime/rsptime (see `server_offset`).
        self._server_clock = ServerClock()
        self._renew_after = max(0.0, token_lifetime - renew_margin)
        self._token: str | None = None
        self._token_born = 0.0
        self._generation = 0
        self._login_lock = asyncio.Lock()
        # Logins tried so far and how the last one failed (None: it did not), so that calls
        # that waited for the lock while a Login failed share its error instead of retrying.
        self._login_attempts = 0
        self._login_failure: ApiError | None = None
        self._company_code: str | None = None
        # The last answer's rows of each repeated read (`_ROW_KEYS`), to skip decoding and
        # validating the rows that did not change: by their bytes, or by their fields when
        # the body could not be cut into rows.
        self._rows: dict[str, RowCache[Any]] = {}
        self._row_bytes: dict[str, RowBytesCache[Any]] = {}
        self._call_states = CallStateCache()
        if transport is None and not _proxy_configured():
            transport = FloorTransport(httpx.create_ssl_context())
        self._http = _HttpClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": f"wallboard/{_VERSION}"},
        )
        # What every call's request has in common (see `_request`), taken from httpx's own
        # first request: its URL, its headers but the body's two, and its time limits.
        self._request_head: tuple[httpx.URL, list[tuple[bytes, bytes]], dict[str, Any]] | None
        self._request_head = None

    def __repr__(self) -> str:
        return (
            f"WallboardClient(base_url={self._shown_url!r}, appid={self._appid!r}, "
            f"accesskey='***', logged_in={self._token is not None})"
        )

    @property
    def company_code(self) -> str | None:
        """The company code of the last Login that succeeded; None before the first."""
        return self._company_code

    @property
    def server_offset(self) -> float | None:
        """Seconds to add to the host's `time.time()` to get the server's clock; None before
        the first answer that carried the server's time.

        The server's clock is the truth for "today", bill windows and times in state. Its
        stamps have whole seconds, so each answer only bounds the offset; the estimate is
        the middle of what all answers agree on, which settles instead of wobbling by a
        second from one answer to the next, and starts again when either clock is set.
        """
        return self._server_clock.offset

    @property
    def base_url(self) -> str:
        """The server address (without any user:password part)."""
        return self._shown_url

    async def __aenter__(self) -> WallboardClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections. The server's token is left to expire (no Logout)."""
        await self._http.aclose()

    # ------------------------------------------------------------------ the token

    def _token_fresh(self) -> bool:
        return self._token is not None and self._clock() - self._token_born < self._renew_after

    async def _current_token(self) -> tuple[str, int]:
        token = self._token
        if token is not None and self._token_fresh():
            return token, self._generation
        attempts_seen = self._login_attempts
        async with self._login_lock:
            if self._token is not None and self._token_fresh():
                return self._token, self._generation
            self._raise_login_failed_since(attempts_seen)
            return (await self._login_locked()).token, self._generation

    async def _token_after_refusal(
        self, refused_generation: int, attempts_seen: int
    ) -> tuple[str, int]:
        """A new token after `ret 600`, unless another call already fetched one."""
        async with self._login_lock:
            if self._generation != refused_generation and self._token is not None:
                return self._token, self._generation
            self._raise_login_failed_since(attempts_seen)
            return (await self._login_locked()).token, self._generation

    def _raise_login_failed_since(self, attempts_seen: int) -> None:
        """Share a Login that failed while this call waited for the lock: its error, no retry.

        Without this, every call queued behind a refused Login would send its own Login, and
        fifty calls would knock on the server fifty times with a key it has just refused.
        """
        failure = self._login_failure
        if failure is not None and self._login_attempts != attempts_seen:
            raise copy.copy(failure) from None  # a copy: each caller gets its own traceback

    async def _login_locked(self) -> LoginResult:
        """Log in; the caller holds the login lock, so concurrent calls share this Login."""
        service = _service("App.Sip_Auth.Login")
        self._token = None
        try:
            answer = await self._exchange(
                service, {"appid": self._appid, "accesskey": self._accesskey}
            )
            result = self._object_of(service, LoginResult, answer)
            if not result.token:
                raise ProtocolError("the login answer holds no token", service=service.wire)
        except ApiError as exc:
            self._login_failure = exc
            self._login_attempts += 1
            raise
        self._login_failure = None
        self._login_attempts += 1
        self._token = result.token
        self._company_code = result.companycode.strip() or None
        self._token_born = self._clock()
        self._generation += 1
        log.info("logged in to %s (company %s)", self._shown_url, result.companycode or "?")
        return result

    # ------------------------------------------------------------------ one call

    async def _call(self, wire: str, form: Mapping[str, str]) -> _Answer:
        """One service call with the token: log in as needed, once more after `ret 600`."""
        service = _service(wire)
        token, generation = await self._current_token()
        try:
            return await self._exchange(service, {**form, "token": token})
        except TokenInvalid:
            log.info("%s: token refused; logging in again", service.short)
            token, _ = await self._token_after_refusal(generation, self._login_attempts)
            return await self._exchange(service, {**form, "token": token})

    async def _exchange(self, service: services.Service, form: Mapping[str, str]) -> _Answer:
        """Send with retries for reads; a call that changes the floor is sent at most once."""
        attempts = 1 if service.mutation else 1 + self._read_retries
        rereads = UNREADABLE_RETRIES if service.wire in _REREAD_WHEN_UNREADABLE else 0
        for attempt in range(attempts):
            try:
                return await self._send_once(service, form)
            except _Unreadable as exc:
                if attempt + 1 >= attempts or rereads <= 0:
                    raise ProtocolError(exc.message, service=exc.service) from None
                rereads -= 1
                failure: ApiError = exc
            except (ConnectError, NoAnswer, ServerError) as exc:
                if attempt + 1 >= attempts:
                    raise
                failure = exc
            delay = self._backoff * (2**attempt) * (0.5 + self._jitter())
            log.warning("%s; trying again in %.2f s", failure, delay)
            await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_once(self, service: services.Service, form: Mapping[str, str]) -> _Answer:
        # multipart/form-data with plain fields, as PHP curl sends an array: parts without a
        # filename or a content type, so servers read them as form fields; one body, one write.
        body, content_type = multipart_form({"service": service.wire, **form})
        started = time.perf_counter()
        sent = self._wall()
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.send(self._request(body, content_type))
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            reason = str(exc) or type(exc).__name__
            raise ConnectError(
                f"cannot reach the server at {self._shown_url} ({reason})",
                service=service.wire,
            ) from None
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
            raise ConnectError(
                f"cannot send to {self._shown_url} ({type(exc).__name__})", service=service.wire
            ) from None
        except (httpx.RequestError, TimeoutError) as exc:
            what = "no answer within the time limit" if _is_timeout(exc) else "connection lost"
            if service.mutation:
                raise OutcomeUnknown(
                    f"{what}; the call may have reached the server and was not repeated: "
                    "check the floor before trying again",
                    service=service.wire,
                ) from None
            raise NoAnswer(f"{what} from {self._shown_url}", service=service.wire) from None
        received = self._wall()
        # httpx binds a response's stream to the response, a reference cycle that kept each
        # answer's body (750 KB on a big floor) until the garbage collector's next scan; read,
        # the body stands on its own, as in a response made from its content.
        response.stream = httpx.ByteStream(response.content)
        elapsed = (time.perf_counter() - started) * 1000
        log.debug("%s: HTTP %d in %.0f ms", service.short, response.status_code, elapsed)
        secrets = self._secrets(form)
        if service.wire in _ROWS_AT:
            return self._rows_answer(service, response, secrets, (sent, received))
        data = self._unwrap(service, response, secrets, timing=(sent, received))
        return _Answer(data, response.content)

    def _request(self, body: bytes, content_type: str) -> httpx.Request:
        """The POST of one call, as `httpx.AsyncClient.post` would build it.

        httpx builds every request from the client's settings again: the base URL parsed
        from its text, the headers merged, the time limits turned into a dict. They are the
        same for every call, so they are taken once from httpx's own request and only the
        body and its Content-Type are new; httpx adds Host and Content-Length as it always
        does. The request is then sent with the client's `send`, which handles it as it
        would `post`'s. Cookies (none from the vendor's server) are merged by httpx itself.
        """
        http = self._http
        if http.cookies:  # cookies to send back: httpx's own way, which adds them
            return http.build_request(
                "POST", self._base_url, content=body, headers={"Content-Type": content_type}
            )
        head = self._request_head
        if head is None:
            template = http.build_request("POST", self._base_url, content=b"")
            common = [
                (name, value)
                for name, value in template.headers.raw
                if name.lower() not in (b"content-length", b"content-type")
            ]
            head = self._request_head = (template.url, common, template.extensions)
        url, common, extensions = head
        # The headers in httpx's order (Host first, the body's two last), given whole, so
        # that httpx need not look for the ones it would add.
        request = httpx.Request(
            "POST",
            url,
            headers=[
                *common,
                (b"Content-Type", content_type.encode("ascii")),
                (b"Content-Length", b"%d" % len(body)),
            ],
            stream=httpx.ByteStream(body),
            extensions=dict(extensions),  # each request its own: a hook may change it
        )
        request.read()  # the body at hand, as httpx holds a request's content
        return request

    def _rows_answer(
        self,
        service: services.Service,
        response: httpx.Response,
        secrets: Sequence[str],
        timing: tuple[float, float],
    ) -> _Answer:
        """A repeated read's answer, its rows cut out of the body where the body allows
        (`rows.split_rows`): the envelope is decoded, and of the rows only those that changed
        since the last answer. Anything the cut cannot account for (an error, a row that is
        not JSON, a row that does not validate) is read from the whole body, which says
        what is wrong and where."""
        body = response.content
        path, model = _ROWS_AT[service.wire]
        split: SplitAnswer | None = split_rows(body, path[-1])
        if split is not None:
            try:
                data = self._unwrap(
                    service, response, secrets, timing=timing, content=split.envelope
                )
            except ApiError:
                data = None
            if envelope_holds_rows(data, path):
                models = self._rows_by_bytes(service, model, split.rows)
                if models is not None:
                    return _Answer(data, body, models)
        return _Answer(self._unwrap(service, response, secrets, timing=timing), body)

    def _secrets(self, form: Mapping[str, str]) -> list[str]:
        """What a server's message must not carry on: our accesskey and any token of ours."""
        sent = (form.get("token", ""), form.get("accesskey", ""))
        return [secret for secret in (self._accesskey, self._token, *sent) if secret]

    def _unwrap(
        self,
        service: services.Service,
        response: httpx.Response,
        secrets: Sequence[str] = (),
        *,
        timing: tuple[float, float] | None = None,
        content: bytes | None = None,
    ) -> Any:
        """The envelope checked: `data` on success, the matching exception otherwise.

        An answer that cannot be read says nothing about what the server did. For a read that
        is a `ProtocolError` (or a retried `ServerError` for an HTTP 5xx page); for a mutation
        it is `OutcomeUnknown`, because the change may well have been made before the answer
        broke. Only an envelope that says `ret 500` is a mutation's `ServerError`: then the
        server itself said it failed.

        `timing` (host time sent, received) reads the server's clock off the envelope's
        stamps, from failures as well as successes: both carry them. `content` stands for
        the response's body (an envelope whose rows were cut out).
        """
        wire = service.wire
        try:
            body = _decode(response.content if content is None else content)
        except (ValueError, UnicodeDecodeError, RecursionError):  # nested past the parser
            status = response.status_code
            if service.mutation:
                what = "a gateway" if status in (502, 503, 504) else "the server"
                raise self._unreadable(
                    service, f"HTTP {status} from {what} without an API answer"
                ) from None
            if status >= 500:
                raise ServerError(
                    f"HTTP {status} without an API answer",
                    code=500,
                    meaning="the server failed while handling the call",
                    service=wire,
                ) from None
            raise _Unreadable(f"the answer is not JSON (HTTP {status})", service=wire) from None
        if not isinstance(body, dict) or "ret" not in body:
            if not service.mutation:
                raise _Unreadable("the answer has no ret/data/msg envelope", service=wire)
            raise self._unreadable(service, "the answer has no ret/data/msg envelope")
        ret = _as_int(body.get("ret"))
        if ret is None:
            raise self._unreadable(service, "the envelope's ret is not a number")
        msg = body.get("msg")
        msg_text = msg if isinstance(msg, str) else ("" if msg is None else str(msg))
        if ret != 200:
            raise transport_error(ret, msg_text, wire, secrets=secrets)
        data = body.get("data")
        if wire in _BARE_LIST_SERVICES and isinstance(data, list):
            return data
        if not isinstance(data, dict):
            raise self._unreadable(service, "the envelope's data is not an object")
        if timing is not None:
            self._server_clock.observe_envelope(data, *timing)
        business = _as_int(data.get("status"))
        if business is None:
            raise self._unreadable(service, "the answer's data has no status")
        if business != 0:
            errors = data.get("errors")
            errors = errors if isinstance(errors, dict) else {}
            raise business_error(
                _as_int(errors.get("code")),
                _text(errors.get("codemsg")),
                _text(data.get("desc")),
                wire,
                secrets=secrets,
            )
        return data

    @staticmethod
    def _unreadable(service: services.Service, problem: str, *, accepted: bool = False) -> ApiError:
        """The error for an answer that cannot be read: for a mutation, the outcome is unknown.

        `accepted`: the server said status 0, only its result is broken; the change was made
        but what it made (a task id, say) is not known.
        """
        if not service.mutation:
            return ProtocolError(problem, service=service.wire)
        if accepted:
            return OutcomeUnknown(
                f"{problem}; the server accepted the call but what it did cannot be read: "
                "check the floor before trying again",
                service=service.wire,
            )
        return OutcomeUnknown(
            f"{problem}; the call may have reached the server and was not repeated: "
            "check the floor before trying again",
            service=service.wire,
        )

    def _result_of(self, service: services.Service, answer: _Answer) -> ApiModel | list[ApiModel]:
        """The service's documented result as its model (or list of models, or Ack)."""
        kind, model = _RESULTS[service.wire]
        if kind == "ack":
            return self._validate(service, Ack, answer.data)
        assert model is not None
        if kind == "object":
            return self._object_of(service, model, answer)
        return self._list_of(service, model, answer)

    def _object_of(self, service: services.Service, model: type[M], answer: _Answer) -> M:
        """A service's single `result` object as its model; rows read row by row already
        (`_rows_answer`: a page's bills) are put in their place as they are."""
        data = answer.data
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, dict):
            raise self._unreadable(service, "the answer's result is not an object", accepted=True)
        if answer.rows is None:
            return self._validate(service, model, result)
        key = _ROWS_AT[service.wire][0][-1]
        whole = self._validate(service, model, {**result, key: []})
        return whole.model_copy(update={key: answer.rows})

    def _list_of(self, service: services.Service, model: type[M], answer: _Answer) -> list[M]:
        """A service's `result` array as models (GetGroupExt: `data` is the array itself).

        For the reads a dashboard repeats (`_ROW_KEYS`), rows equal to the previous answer's
        are not validated again: the previous answer's model is handed back, the same object.
        """
        if answer.rows is not None:  # read row by row already (`_rows_answer`)
            return cast(list[M], answer.rows)
        result = self._result_rows(service, answer.data)
        if not result:
            return []
        adapter = _list_adapter(model)
        try:
            key = _ROW_KEYS.get(service.wire)
            if key is None:
                return adapter.validate_python(result)
            cache = self._rows.get(service.wire)
            if cache is None:
                cache = self._rows[service.wire] = RowCache(key)
            rows = cache.validate(result, adapter.validate_python, reuse=answer.plain)
            return cast(list[M], rows)  # one cache per service, and one model per service
        except ValidationError as exc:
            raise self._unreadable(
                service,
                f"the result does not have the documented shape ({_shape_problem(exc)})",
                accepted=True,
            ) from None

    def _result_rows(self, service: services.Service, data: Any) -> list[Any]:
        """A list service's rows as the answer holds them: `result` (GetGroupExt: `data`
        itself), none for null or {}, PHP's keyed array as a list."""
        result: Any = data if isinstance(data, list) else data.get("result")
        if result is None or result == {}:
            return []
        if isinstance(result, dict) and all(isinstance(item, dict) for item in result.values()):
            result = list(result.values())  # PHP's keyed array
        if not isinstance(result, list):
            raise self._unreadable(service, "the answer's result is not a list", accepted=True)
        return result

    def _rows_by_bytes(
        self, service: services.Service, model: type[ApiModel], rows: list[bytes]
    ) -> list[Any] | None:
        """The models of rows cut out of the body (`rows.RowBytesCache`); None when one of
        them cannot be read on its own. The row cache by fields is then the one in use."""
        cache = self._row_bytes.get(service.wire)
        if cache is None:
            cache = self._row_bytes[service.wire] = RowBytesCache()
        models = cache.validate(rows, _list_adapter(model).validate_python)
        if models is not None:
            self._rows.pop(service.wire, None)  # only one cache holds the last answer
        return models

    @classmethod
    def _validate(cls, service: services.Service, model: type[M], value: Any) -> M:
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            raise cls._unreadable(
                service,
                f"the result does not have the documented shape ({_shape_problem(exc)})",
                accepted=True,
            ) from None

    async def _ack_call(self, wire: str, **fields: object) -> Ack:
        service = _service(wire)
        answer = await self._call(wire, _form(**fields))
        return self._validate(service, Ack, answer.data)

    async def _object_call(self, wire: str, model: type[M], **fields: object) -> M:
        service = _service(wire)
        answer = await self._call(wire, _form(**fields))
        return self._object_of(service, model, answer)

    async def _list_call(self, wire: str, model: type[M], **fields: object) -> list[M]:
        service = _service(wire)
        answer = await self._call(wire, _form(**fields))
        return self._list_of(service, model, answer)

    async def _batched(
        self,
        wire: str,
        model: type[M],
        extnumbers: str | Sequence[str | int],
        batch_size: int | None = None,
    ) -> list[M]:
        """A comma-list call split into batches, run concurrently, answers joined in order.

        `batch_size` overrides the client's for one call: a poller that wants a fixed number
        of requests per cycle whatever the floor's size asks for large batches."""

        async def one(chunk: str) -> list[M]:
            return await self._list_call(wire, model, extnumber=chunk)

        answers = await self._in_batches(extnumbers, batch_size, one)
        return [item for answer in answers for item in answer]

    async def _in_batches(
        self,
        extnumbers: str | Sequence[str | int],
        batch_size: int | None,
        fetch: Callable[[str], Awaitable[T]],
    ) -> list[T]:
        """`fetch` for each batch of the extensions (a comma text), concurrently, answers in
        order; none when there are no extensions. Once a batch fails no more are sent, the
        others are cancelled and its error is raised."""
        numbers = extension_list(extnumbers)
        if not numbers:
            return []
        size = batch_size if batch_size and batch_size > 0 else self._batch_size
        chunks = [numbers[start : start + size] for start in range(0, len(numbers), size)]
        if len(chunks) == 1:
            return [await fetch(",".join(chunks[0]))]
        gate = asyncio.Semaphore(self._concurrency)
        failed = asyncio.Event()

        async def one(chunk: list[str]) -> T | None:
            async with gate:
                if failed.is_set():  # the whole call has failed: send no more batches
                    return None
                try:
                    return await fetch(",".join(chunk))
                except BaseException:
                    failed.set()
                    raise

        tasks = [asyncio.ensure_future(one(chunk)) for chunk in chunks]
        try:
            answers = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return [answer for answer in answers if answer is not None]

    # ------------------------------------------------------------------ generic

    async def call(self, service: str, fields: Mapping[str, str] | None = None) -> Any:
        """Any service by name with raw text fields, answered with its models.

        For `wallboard call`: the fields go on the wire as given (`token` and `service` are
        the client's own and are ignored), and the answer is parsed like the typed method's,
        so an extension's password is dropped here too. Logout logs in first when needed.
        """
        found = services.find(service)
        if found is None:
            raise ValueError(f"no such service: {service!r}")
        form = {
            name: value
            for name, value in (fields or {}).items()
            if name.lower() not in ("token", "service")
        }
        if found.wire == "App.Sip_Auth.Login":
            return await self.login()
        if found.wire == "App.Sip_Auth.Logout":
            # Asked for by name, Logout is sent: a fresh client logs in first, so that the
            # server clears a session (as it must after extensions changed) instead of the
            # client answering "not logged in" without a word to the server.
            await self._current_token()
            return await self.logout()
        return self._result_of(found, await self._call(found.wire, form))

    # ------------------------------------------------------------------ Sip_Auth

    async def login(self) -> LoginResult:
        """Log in now (calls log in by themselves when needed). The result hides the token."""
        async with self._login_lock:
            return await self._login_locked()

    async def logout(self) -> Ack:
        """Clear the token on the server (needed after extensions were added or changed)."""
        async with self._login_lock:
            token = self._token
            if token is None:
                return Ack(status=0, desc="not logged in")
            self._token = None
            self._generation += 1
            service = _service("App.Sip_Auth.Logout")
            answer = await self._exchange(service, {"token": token})
            return self._validate(service, Ack, answer.data)

    # ------------------------------------------------------------------ Sip_Cdr

    async def bills(
        self,
        starttime: str,
        endtime: str,
        *,
        syncflag: int = 3,
        direction: int = 3,
        callmethod: int = 0,
        currentpage: int = 1,
        itemsperpage: int = 1000,
        extnumber: str | Sequence[str] = "",
        destnumber: str = "",
        userid: str = "",
        memberid: str = "",
        chengshudu: str | None = None,
        customuuid: str | None = None,
    ) -> BillPage:
        """One page of call records. syncflag 3 by default: never mark the CRM's records."""
        return await self._object_call(
            "App.Sip_Cdr.GetBill",
            BillPage,
            starttime=starttime,
            endtime=endtime,
            syncflag=syncflag,
            direction=direction,
            callmethod=callmethod,
            currentpage=currentpage,
            itemsperpage=itemsperpage,
            extnumber=_csv(extnumber),
            destnumber=destnumber,
            userid=userid,
            memberid=memberid,
            chengshudu=chengshudu,
            customuuid=customuuid,
        )

    async def recording_link(self, filename: str) -> RecordingLink:
        """Where to download a call recording (kept three months on the server)."""
        return await self._object_call(
            "App.Sip_Cdr.GetRecodeFile", RecordingLink, filename=filename
        )

    # ------------------------------------------------------------------ Sip_Yccall

    async def create_task(
        self,
        assigntype: int,
        assignagent: str,
        telphone: Sequence[PhoneLike],
        taskscale: str = "1:1",
        disnumber: str | Sequence[str] = "",
        taskname: str | None = None,
    ) -> TaskCreated:
        """Create a predictive task (assigntype 1 extension, 2 queue, 3 group)."""
        return await self._object_call(
            "App.Sip_Yccall.TaskCreat",
            TaskCreated,
            assigntype=assigntype,
            assignagent=assignagent,
            telphone=phone_entries(telphone),
            taskscale=taskscale,
            disnumber=_csv(disnumber),
            taskname=taskname,
        )

    async def add_numbers(self, taskid: str, telphone: Sequence[PhoneLike]) -> NumbersAdded:
        """Add numbers (at most 10,000 a call) to a predictive task."""
        return await self._object_call(
            "App.Sip_Yccall.TaskAdd", NumbersAdded, taskid=taskid, telphone=phone_entries(telphone)
        )

    async def remove_numbers(self, taskid: str, telphone: str | Sequence[str]) -> Ack:
        """Remove numbers from a predictive task."""
        return await self._ack_call(
            "App.Sip_Yccall.taskDelPhone", taskid=taskid, telphone=_csv(telphone)
        )

    async def set_task(self, taskid: str, taskstatus: int) -> Ack:
        """Open (1), pause (2) or end (3) a predictive task."""
        return await self._ack_call("App.Sip_Yccall.TaskSet", taskid=taskid, taskstatus=taskstatus)

    # ------------------------------------------------------------------ Sip_Queue

    async def add_queue(
        self, queuename: str, autocall: str | bool, remark: str, strategy: int | None = None
    ) -> Ack:
        """Create a queue; autocall yes/no says whether it takes predictive calls."""
        return await self._ack_call(
            "App.Sip_Queue.AddQueue",
            queuename=queuename,
            autocall=autocall,
            remark=remark,
            strategy=strategy,
        )

    async def edit_queue(
        self,
        queuename: str,
        remark: str,
        *,
        strategy: int | None = None,
        announcefreq: int | None = None,
        ringdelay: int | None = None,
        maxwaittime: int | None = None,
        withnoagenttime: int | None = None,
        noagentrejoiningtime: int | None = None,
        discardtime: int | None = None,
    ) -> Ack:
        """Change a queue's settings; settings left as None are not sent."""
        return await self._ack_call(
            "App.Sip_Queue.EditQueue",
            queuename=queuename,
            remark=remark,
            strategy=strategy,
            announcefreq=announcefreq,
            ringdelay=ringdelay,
            maxwaittime=maxwaittime,
            withnoagenttime=withnoagenttime,
            noagentrejoiningtime=noagentrejoiningtime,
            discardtime=discardtime,
        )

    async def delete_queue(self, queuename: str) -> Ack:
        """Delete a queue."""
        return await self._ack_call("App.Sip_Queue.DelQueue", queuename=queuename)

    async def queues(self, queuename: str = "") -> list[Queue]:
        """The queues, or one queue by name ("" for all: the field is then not sent)."""
        return await self._list_call(
            "App.Sip_Queue.GetQueueList", Queue, queuename=queuename or None
        )

    async def queue_agents(
        self, queuename: str = "", extnumber: str = "", state: int = 0
    ) -> list[QueueAgent]:
        """Agents in queues (state 0 any, 1 idle, 2 waiting, 3 receiving, 4 talking)."""
        return await self._list_call(
            "App.Sip_Queue.GetQueueSipStatus",
            QueueAgent,
            queuename=queuename or None,
            extnumber=extnumber or None,
            state=state,
        )

    async def set_agent_status(
        self, settype: int, extnumber: str, crmid: str | int, queuename: str
    ) -> Ack:
        """Show an agent busy (settype 1) or idle (2) in a queue."""
        return await self._ack_call(
            "App.Sip_Queue.SetSeatsStatus",
            settype=settype,
            extnumber=extnumber,
            crmid=crmid,
            queuename=queuename,
        )

    async def sign_in(self, queuename: str, extnumber: str, crmid: str | int) -> Ack:
        """Check an extension into a queue."""
        return await self._ack_call(
            "App.Sip_Queue.SipSignIn", queuename=queuename, extnumber=extnumber, crmid=crmid
        )

    async def sign_out(self, queuename: str, extnumber: str, crmid: str | int) -> Ack:
        """Check an extension out of a queue."""
        return await self._ack_call(
            "App.Sip_Queue.SipSignOut", queuename=queuename, extnumber=extnumber, crmid=crmid
        )

    # ------------------------------------------------------------------ Sip_Extgroup

    async def add_group(self, name: str, status: int | None = None) -> Ack:
        """Create an extension group."""
        return await self._ack_call("App.Sip_Extgroup.AddExtgroup", name=name, status=status)

    async def add_group_extension(self, name: str, extnumber: str) -> Ack:
        """Put an extension into a group."""
        return await self._ack_call("App.Sip_Extgroup.AddExtnumber", name=name, extnumber=extnumber)

    async def remove_group_extension(self, name: str, extnumber: str) -> Ack:
        """Take an extension out of a group."""
        return await self._ack_call("App.Sip_Extgroup.DelExtnumber", name=name, extnumber=extnumber)

    async def edit_group_extension(self, name: str, extnumber: str, state: str) -> Ack:
        """Set a group extension idle or busy."""
        return await self._ack_call(
            "App.Sip_Extgroup.EditExtnumber", name=name, extnumber=extnumber, state=state
        )

    async def group_extensions(self, name: str, extnumber: str = "") -> list[GroupExtension]:
        """The extensions of a group (the one call whose `data` is a bare list)."""
        return await self._list_call(
            "App.Sip_Extgroup.GetGroupExt", GroupExtension, name=name, extnumber=extnumber or None
        )

    async def groups(self, name: str, status: int | None = None) -> list[Group]:
        """Extension groups by name (status 1 enabled, 0 disabled, 2 all)."""
        return await self._list_call(
            "App.Sip_Extgroup.GetExtgroupInfo", Group, name=name, status=status
        )

    # ------------------------------------------------------------------ Sip_Sipnum / Status

    async def extensions(self, status: int = 3, extnumber: str = "") -> list[Extension]:
        """The account's extensions (status 1 enabled, 2 disabled, 3 all); no passwords."""
        return await self._list_call(
            "App.Sip_Sipnum.GetSipnumberInfo", Extension, status=status, extnumber=extnumber or None
        )

    async def call_status(
        self, extnumbers: str | Sequence[str | int], batch_size: int | None = None
    ) -> list[ExtensionCallStatus]:
        """Call state of many extensions, asked in concurrent batches."""
        return await self._batched(
            "App.Sip_Status.GetSipCallStatus", ExtensionCallStatus, extnumbers, batch_size
        )

    async def call_states(
        self, extnumbers: str | Sequence[str | int], batch_size: int | None = None
    ) -> CallStates:
        """GetSipCallStatus for a poller: each extension's state without its durations, and
        the durations beside it (`call_states.CallStates`). A state that did not change since
        the last `call_states` but for its durations is the same object as then, so that it
        is neither validated again nor, by a screen that compares by identity, looked at."""
        service = _service("App.Sip_Status.GetSipCallStatus")
        self._call_states.begin()

        async def one(chunk: str) -> CallStates:
            answer = await self._call(service.wire, {"extnumber": chunk})
            rows = self._result_rows(service, answer.data)
            try:
                return self._call_states.read(rows, reuse=answer.plain)
            except ValidationError as exc:
                raise self._unreadable(
                    service,
                    f"the result does not have the documented shape ({_shape_problem(exc)})",
                    accepted=True,
                ) from None

        return CallStates.joined(await self._in_batches(extnumbers, batch_size, one))

    async def valid_status(
        self, extnumbers: str | Sequence[str | int], batch_size: int | None = None
    ) -> list[ExtensionValidity]:
        """Enabled (1016) / disabled (1013) / missing (1012) for many extensions."""
        return await self._batched(
            "App.Sip_Status.GetSipValidStatus", ExtensionValidity, extnumbers, batch_size
        )

    async def register_status(
        self, extnumbers: str | Sequence[str | int], batch_size: int | None = None
    ) -> list[ExtensionRegistration]:
        """Registered (1017) or not (1014) for many extensions."""
        return await self._batched(
            "App.Sip_Status.GetSipRegisterStatus", ExtensionRegistration, extnumbers, batch_size
        )


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError | httpx.TimeoutException)


__all__ = [
    "MAX_NUMBERS_PER_CALL",
    "ApiError",
    "PhoneLike",
    "WallboardClient",
    "extension_list",
    "phone_entries",
]
