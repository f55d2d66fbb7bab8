"""The failures a real server and network produce, injected on purpose for clients' tests.

A client has to survive a slow server, a `ret 500`, a token that dies early, a body that is
not JSON, a connection closed without an answer, and the account refusals the vendor
documents (602 authorisation expired, 603 module not licensed, 604 IP not authorised). A
refusal is answered before the request is carried out; a dropped connection or a malformed
body comes after it, so that a client sees the worst case: its call may have taken effect,
and it cannot know. `--faults` turns each of these on with a rate, and tests change them
while the simulator runs (`Simulator.faults`). The dice are a `random.Random` of their own,
so that switching faults on never changes what the floor does.

Faults cut across every service, so they live in one ASGI middleware (`FaultInjection`)
around the API endpoint, not in the handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wallboard.serving import connection_of
from wallboard.sim.wire import encode, refusal

#: Spec keys and what each one means (those in `_SHARES` are shares of requests, 0..1).
_KEYS: dict[str, str] = {
    "latency": "seconds added before every answer",
    "error500": "share of requests answered ret 500",
    "expire": "tokens expire after this many real seconds",
    "malformed": "share of answers whose body is not valid JSON",
    "drop": "share of requests whose connection is closed without an answer",
    "appid_expired": "share of requests answered ret 602 (authorisation expired)",
    "unlicensed": "share of requests answered ret 603 (module not licensed)",
    "ip_denied": "share of requests answered ret 604 (IP not authorised)",
    "seed": "seed of the faults' own dice",
}
_SHARES = ("error500", "malformed", "drop", "appid_expired", "unlicensed", "ip_denied")
#: The account refusals, in the order they are checked, with the `ret` and `msg` each sends
#: (the messages of the documents' table of global codes).
REFUSALS: tuple[tuple[str, int, str], ...] = (
    ("ip_denied", 604, "IP is not authorized"),
    ("appid_expired", 602, "appid authorization has expired"),
    ("unlicensed", 603, "Module not licensed"),
)


class FaultSpecError(ValueError):
    """A `--faults` spec that cannot be read; the message says which part and why."""


@dataclass
class Faults:
    """The faults in force. Attributes may be changed at any time, also while serving."""

    latency: float = 0.0
    error500: float = 0.0
    expire: float | None = None
    malformed: float = 0.0
    drop: float = 0.0
    appid_expired: float = 0.0
    unlicensed: float = 0.0
    ip_denied: float = 0.0
    seed: int = 0
    _dice: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._dice = random.Random(self.seed)

    @classmethod
    def parse(cls, spec: str | None, *, seed: int = 0) -> Faults:
        """Read `latency=0.2,error500=0.05,expire=60,malformed=0.01,drop=0.01` (any subset;
        also `appid_expired`, `unlicensed`, `ip_denied`: 1 switches the refusal on)."""
        values: dict[str, float] = {}
        for part in (spec or "").split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, raw = part.partition("=")
            key = key.strip().lower()
            if not sep:
                raise FaultSpecError(f"fault {part!r} has no value: write {key}=NUMBER")
            if key not in _KEYS:
                known = ", ".join(_KEYS)
                raise FaultSpecError(f"unknown fault {key!r} (known: {known})")
            try:
                number = float(raw.strip())
            except ValueError:
                raise FaultSpecError(f"fault {key}: {raw.strip()!r} is not a number") from None
            if number != number or number in (float("inf"), float("-inf")) or number < 0:
                raise FaultSpecError(f"fault {key}: {raw.strip()!r} must be a number >= 0")
            if key in _SHARES and number > 1:
                raise FaultSpecError(f"fault {key}: {number:g} is a share of requests, 0..1")
            values[key] = number
        return cls(
            latency=values.get("latency", 0.0),
            error500=values.get("error500", 0.0),
            expire=values.get("expire"),
            malformed=values.get("malformed", 0.0),
            drop=values.get("drop", 0.0),
            appid_expired=values.get("appid_expired", 0.0),
            unlicensed=values.get("unlicensed", 0.0),
            ip_denied=values.get("ip_denied", 0.0),
            seed=int(values.get("seed", seed)),
        )

    @property
    def active(self) -> bool:
        """Any fault in force (the hot path skips the dice when none is)."""
        return any(getattr(self, name) for name in ("latency", *_SHARES)) or (
            self.expire is not None
        )

    def roll(self, share: float) -> bool:
        """One throw of the faults' own dice: True with probability `share`."""
        if share <= 0:
            return False
        if share >= 1:
            return True
        return self._dice.random() < share

    def describe(self) -> str:
        """The spec back, for the start-up banner (empty when no fault is on)."""
        parts = []
        for name in ("latency", "error500", "expire", "malformed", "drop"):
            value = getattr(self, name)
            if value or (name == "expire" and value is not None):
                parts.append(f"{name}={value:g}")
        for name, _, _ in sorted(REFUSALS, key=lambda refusal: refusal[1]):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}={value:g}")
        return ",".join(parts)


#: How the `latency` fault waits (a seam, so that tests need not wait in real time).
_pause: Callable[[float], Awaitable[None]] = asyncio.sleep


class FaultInjection:
    """ASGI middleware: the faults in force, applied to the API's requests (`POST /`).

    `faults` is read at every request, so that a test may swap the whole set while the
    server runs; `fired` is told the name of each fault that fired (for `/_sim/stats`).
    Other paths (the recordings, the stats) pass untouched.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        faults: Callable[[], Faults],
        fired: Callable[[str], None] | None = None,
        path: str = "/",
    ) -> None:
        self.app = app
        self.faults = faults
        self.fired = fired
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.faults()
        if (
            not faults.active
            or scope["type"] != "http"
            or scope.get("method") != "POST"
            or scope.get("path") != self.path
        ):
            await self.app(scope, receive, send)
            return
        if faults.latency > 0:
            await _pause(faults.latency)
        for name, ret, msg in REFUSALS:
            if faults.roll(getattr(faults, name)):
                self._count(name)
                await send_json(send, encode(refusal(ret, msg)))
                return
        if faults.roll(faults.error500):
            self._count("error500")
            await send_json(send, encode(refusal(500, "server error")))
            return
        answer: list[Message] = []

        async def keep(message: Message) -> None:
            answer.append(message)

        await self.app(scope, receive, keep)
        # After the work is done: the client cannot know whether its call took effect.
        if faults.roll(faults.drop):
            self._count("drop")
            await cut(scope, receive)
            return
        if faults.roll(faults.malformed):
            self._count("malformed")
            answer = _truncated(answer)
        for message in answer:
            await send(message)

    def _count(self, name: str) -> None:
        if self.fired is not None:
            self.fired(name)


def _truncated(answer: list[Message]) -> list[Message]:
    """The same answer with the last 7 bytes of its body gone (and a length that says so):
    JSON that stops in the middle, as a proxy that gave up would deliver it."""
    body = b"".join(m.get("body", b"") for m in answer if m["type"] == "http.response.body")
    body = body[:-7]
    out: list[Message] = []
    for message in answer:
        if message["type"] == "http.response.start":
            headers = [
                (name, str(len(body)).encode() if name == b"content-length" else value)
                for name, value in message.get("headers", [])
            ]
            out.append({**message, "headers": headers})
    out.append({"type": "http.response.body", "body": body})
    return out


async def send_json(send: Send, body: bytes) -> None:
    """An HTTP 200 answer with a JSON body (the envelope carries the outcome, not HTTP)."""
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


async def cut(scope: Scope, receive: Receive) -> None:
    """Close the connection without an answer, as a dying server or a cut line does."""
    transport = connection_of(scope)
    if transport is None:
        # In process (httpx's ASGITransport) there is no connection to cut, and an app that
        # returns without an answer trips an assertion in httpx rather than a transport
        # error. Raise what httpx raises when a real server hangs up before answering, so a
        # client meets the same error as over a socket.
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    transport.close()
    # Wait for the server to see the connection go, so that it does not answer in our place
    # (uvicorn answers 500 for an app that returns without answering a live connection).
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2.0):
            while (await receive())["type"] != "http.disconnect":
                pass
