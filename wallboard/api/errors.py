"""One exception hierarchy for everything that can go wrong talking to the vendor's server.

Callers need to decide three things from an error: whether to log in again (the client does
that itself), whether it is safe to try again (nothing was sent, or it was only a read), and
what to tell the supervisor. So every error carries the code, the server's own message, the
documented meaning from `codes.py`, and the service it happened in. None of them ever holds
a secret: messages are built from codes and the server's `msg`, never from what was sent,
and the client's own accesskey and token are cut out of the server's texts (`redact`).
"""

from __future__ import annotations

from collections.abc import Iterable

from wallboard.api import codes

#: What a secret found in a server's message is replaced with.
REDACTED = "***"


class ApiError(Exception):
    """Base of every client error. `code` is None when the server gave none."""

    code: int | None
    message: str
    meaning: str
    service: str

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        meaning: str = "",
        service: str = "",
    ) -> None:
        self.code = code
        self.message = message
        self.meaning = meaning
        self.service = service
        super().__init__(self._text())

    def _text(self) -> str:
        parts: list[str] = []
        if self.service:
            parts.append(f"{self.service}:")
        if self.code is not None:
            parts.append(str(self.code))
        if self.message:
            parts.append(self.message)
        text = " ".join(parts)
        if self.meaning and self.meaning.lower() != self.message.lower():
            text = f"{text} ({self.meaning})"
        return text

    def __str__(self) -> str:
        return self._text()

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only fields: rebuild from them so that errors survive pickling and copying.
        return (_rebuild, (type(self), self.message, self.code, self.meaning, self.service))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"service={self.service!r})"
        )


def _rebuild(
    cls: type[ApiError], message: str, code: int | None, meaning: str, service: str
) -> ApiError:
    return cls(message, code=code, meaning=meaning, service=service)


class TransportError(ApiError):
    """The envelope's `ret` was not 200: the server refused the call as a whole."""


class BadRequest(TransportError):
    """400: a parameter is missing or invalid."""


class ServerError(TransportError):
    """500: the server failed while handling the call."""


class TokenInvalid(TransportError):
    """600: the token is invalid or expired (the client logs in again once by itself)."""


class AppidNotAuthorised(TransportError):
    """601: the appid is not authorised."""


class AppidExpired(TransportError):
    """602: the appid's authorisation has expired."""


class ModuleNotLicensed(TransportError):
    """603: the account is not licensed for this module."""


class IpNotAuthorised(TransportError):
    """604: this client's IP address is not authorised."""


class BusinessError(ApiError):
    """`ret` 200 but `data.status` 1: the call was understood and refused (`errors.code`)."""


class ProtocolError(ApiError):
    """A read's answer was not the documented envelope or result: not JSON, wrong shape.

    A mutation's unreadable answer is `OutcomeUnknown` instead: the change may have been made.
    """


class ConnectError(ApiError):
    """The server could not be reached. Nothing was sent, so any call may be tried again."""


class NoAnswer(ApiError):
    """A read was sent but no answer came in time (after the client's own retries)."""


class OutcomeUnknown(ApiError):
    """A call that changes the floor may have reached the server, but no answer came, or one
    that cannot be read (not JSON, a broken envelope, an HTTP 5xx page without one).

    The client never repeats it: check the floor before trying again.
    """


_TRANSPORT_CLASSES: dict[int, type[TransportError]] = {
    400: BadRequest,
    500: ServerError,
    600: TokenInvalid,
    601: AppidNotAuthorised,
    602: AppidExpired,
    603: ModuleNotLicensed,
    604: IpNotAuthorised,
}


def redact(text: str, secrets: Iterable[str]) -> str:
    """The text with every secret replaced: a server may echo what it was sent ("token
    abc... is invalid"), and its message ends up on the supervisor's screen and in logs."""
    # Longest first, so that a secret containing another is hidden whole.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def transport_error(
    ret: int, msg: str, service: str, *, secrets: Iterable[str] = ()
) -> TransportError:
    """The exception for an envelope whose `ret` is not 200, with the documented meaning.

    `secrets` (the client's accesskey and tokens) are cut out of the server's message.
    """
    known = codes.TRANSPORT.get(ret)
    cls = _TRANSPORT_CLASSES.get(ret, TransportError)
    message = redact(msg, secrets).strip() or (known.message if known else "unexpected answer")
    meaning = known.meaning if known else ""
    return cls(message, code=ret, meaning=meaning, service=service)


def business_error(
    code: int | None, codemsg: str, desc: str, service: str, *, secrets: Iterable[str] = ()
) -> BusinessError:
    """The exception for `status 1`; an undocumented code is kept as its number.

    `secrets` (the client's accesskey and tokens) are cut out of the server's texts.
    """
    known = codes.lookup(code)
    codemsg, desc = redact(codemsg, secrets), redact(desc, secrets)
    message = codemsg.strip() or desc.strip() or (known.message if known else "call failed")
    meaning = known.meaning if known else ""
    if known and known.message.lower() != message.lower():
        meaning = f"{known.message}: {meaning}" if meaning else known.message
    return BusinessError(message, code=code, meaning=meaning, service=service)


__all__ = [
    "REDACTED",
    "ApiError",
    "AppidExpired",
    "AppidNotAuthorised",
    "BadRequest",
    "BusinessError",
    "ConnectError",
    "IpNotAuthorised",
    "ModuleNotLicensed",
    "NoAnswer",
    "OutcomeUnknown",
    "ProtocolError",
    "ServerError",
    "TokenInvalid",
    "TransportError",
    "business_error",
    "redact",
    "transport_error",
]
