"""What went wrong, in a supervisor's words.

The header of the floor screen and every action's notification say why something failed in
one short line that tells the reader what to do: "server unreachable", "login refused: check
appid/accesskey in profile floor (601 appid is not authorized)". The error classes of the
client carry the code and the server's message; this module only chooses the words.
"""

from __future__ import annotations

from wallboard.api import errors


def _short(service: str) -> str:
    """`App.Sip_Queue.GetQueueSipStatus` -> `GetQueueSipStatus`."""
    return service.rsplit(".", 1)[-1] if service else "the server"


def _code_text(exc: errors.ApiError) -> str:
    parts = [str(exc.code)] if exc.code is not None else []
    if exc.message:
        parts.append(exc.message)
    return " ".join(parts)


def describe_failure(exc: BaseException, *, profile: str | None = None) -> str:
    """One line for a supervisor about a failed call (never a secret: no request is shown)."""
    where = f"profile {profile}" if profile else "the profile"
    if isinstance(exc, errors.ConnectError):
        return "server unreachable"
    if isinstance(exc, errors.NoAnswer):
        return f"no answer from the server ({_short(exc.service)})"
    if isinstance(exc, errors.OutcomeUnknown):
        return "no answer: it may or may not have happened; check the floor before trying again"
    if isinstance(exc, errors.AppidNotAuthorised | errors.AppidExpired):
        return f"login refused: check appid/accesskey in {where} ({_code_text(exc)})"
    if isinstance(exc, errors.TokenInvalid):
        return f"login refused: the server keeps refusing the token ({_code_text(exc)})"
    if isinstance(exc, errors.IpNotAuthorised):
        return f"login refused: this machine's IP address is not authorised ({_code_text(exc)})"
    if isinstance(exc, errors.ModuleNotLicensed):
        return f"the account is not licensed for {_short(exc.service)} ({_code_text(exc)})"
    if isinstance(exc, errors.BusinessError) and exc.service.endswith(".Login"):
        return f"login refused: check appid/accesskey in {where} ({_code_text(exc)})"
    if isinstance(exc, errors.ProtocolError):
        return f"malformed answer from {_short(exc.service)}"
    if isinstance(exc, errors.ServerError):
        return f"server error in {_short(exc.service)} ({_code_text(exc)})"
    if isinstance(exc, errors.BadRequest):
        return f"{_short(exc.service)} refused as an illegal request ({_code_text(exc)})"
    if isinstance(exc, errors.BusinessError):
        return f"{_short(exc.service)} refused: {_code_text(exc)}"
    if isinstance(exc, errors.ApiError):
        return f"{_short(exc.service)} failed: {_code_text(exc) or type(exc).__name__}"
    return f"internal error ({type(exc).__name__}); see the log"


__all__ = ["describe_failure"]
