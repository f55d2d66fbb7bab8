"""The vendor's wire format: the PhalApi envelope, its times, and reading request fields.

A client written from the documents alone must find here exactly what the documents print:
`{"ret", "data", "msg"}`, `status`/`desc`/`result` on success, `errors.code` as a string on a
business failure, times as `yyyy-mm-dd hh:mm:ss`. A missing or malformed field is `ret 400`
with a message that names the field; the values of secret fields are never echoed.
"""

from __future__ import annotations

import calendar
import contextlib
import contextvars
import datetime as dt
import json
import logging
import math
import re
import time
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from wallboard.api import codes

log = logging.getLogger(__name__)

SECRET_FIELDS = frozenset({"accesskey", "token", "password"})
_NO_RESULT: Any = object()
_INT = re.compile(r"[+-]?[0-9]+")
_RATIO = re.compile(r"\s*([0-9]{1,4})\s*:\s*([0-9]{1,4})\s*")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})")
WIRE_FORMAT = "%Y-%m-%d %H:%M:%S"
#: The last moment `yyyy-mm-dd hh:mm:ss` can show (9999-12-31 23:59:59): a later one (or a
#: non-finite one) is not a time the vendor's clock could ever reach.
LAST_MOMENT = 253_402_300_799.0


class BadRequest(Exception):
    """A request the server refuses outright: `ret 400` with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(Exception):
    """A transport-level refusal other than 400 (`ret` 600, 601, 602...)."""

    def __init__(self, ret: int, message: str | None = None) -> None:
        known = codes.TRANSPORT.get(ret)
        text = message or (known.message if known else "refused")
        super().__init__(text)
        self.ret = ret
        self.message = text


class BusinessFailure(Exception):
    """A business rule said no: `ret 200`, `status 1`, `errors.code`."""

    def __init__(self, code: int, desc: str, codemsg: str | None = None) -> None:
        known = codes.BUSINESS.get(code)
        text = codemsg or (known.message if known else "operation failed")
        super().__init__(f"{code} {text}")
        self.code = code
        self.desc = desc
        self.codemsg = text


# -- envelopes ---------------------------------------------------------------------------
def success(desc: str, result: Any = _NO_RESULT, *, now: float) -> dict[str, Any]:
    stamp = int(now)
    data: dict[str, Any] = {"status": 0, "desc": desc}
    if result is not _NO_RESULT:
        data["result"] = result
    data["reqtime"] = stamp
    data["rsptime"] = stamp
    return {"ret": 200, "data": data, "msg": ""}


def bare(data: Any) -> dict[str, Any]:
    """GetGroupExt's shape: `data` is the list itself."""
    return {"ret": 200, "data": data, "msg": ""}


def failure(error: BusinessFailure, *, now: float) -> dict[str, Any]:
    stamp = int(now)
    return {
        "ret": 200,
        "data": {
            "status": 1,
            "desc": error.desc,
            "errors": {"code": str(error.code), "codemsg": error.codemsg},
            "reqtime": stamp,
            "rsptime": stamp,
        },
        "msg": "",
    }


def refusal(ret: int, msg: str) -> dict[str, Any]:
    return {"ret": ret, "data": [], "msg": msg}


def encode(envelope: Any) -> bytes:
    """The envelope as strict JSON: a NaN or an infinity that slipped in becomes `ret 500`
    rather than text that no JSON parser but Python's would read."""
    try:
        text = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        log.error("an answer held a number JSON cannot carry; answered ret 500 instead")
        text = json.dumps(refusal(500, "server error"), separators=(",", ":"))
    return text.encode("utf-8")


# -- times -------------------------------------------------------------------------------
#: The zone the server writes its times in (`--tz`), for the request being answered. UTC
#: outside a simulator (the floor's own tests); `None` is this machine's zone.
_ZONE: contextvars.ContextVar[dt.tzinfo | None] = contextvars.ContextVar(
    "wallboard_sim_zone", default=dt.UTC
)


@contextlib.contextmanager
def server_zone(zone: dt.tzinfo | None) -> Iterator[None]:
    """Within this block, times are written and read in `zone` (None: this machine's).

    The simulator enters it around every touch of the floor, so that the rows, bills and
    callbacks the floor formats come out in the server's zone without the floor knowing."""
    token = _ZONE.set(zone)
    try:
        yield
    finally:
        _ZONE.reset(token)


def format_time(moment: float | None) -> str | None:
    """Unix seconds as `yyyy-mm-dd hh:mm:ss` in the server's zone (see `server_zone`)."""
    if moment is None:
        return None
    return _format_seconds(int(moment), _ZONE.get())


@lru_cache(maxsize=65_536)
def _format_seconds(seconds: int, zone: dt.tzinfo | None) -> str:
    # Cached: a full GetQueueSipStatus formats thousands of times, mostly the same seconds.
    if zone is dt.UTC:
        return time.strftime(WIRE_FORMAT, time.gmtime(seconds))
    if zone is None:
        return time.strftime(WIRE_FORMAT, time.localtime(seconds))
    return dt.datetime.fromtimestamp(seconds, zone).strftime(WIRE_FORMAT)


def parse_time(text: str) -> float | None:
    """`yyyy-mm-dd hh:mm:ss` in the server's zone as unix seconds (the inverse of
    `format_time`), or None when it is not a real moment."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        time.strptime(text, WIRE_FORMAT)
    except ValueError:
        return None
    return moment_in(dt.datetime(year, month, day, hour, minute, second), _ZONE.get())


def moment_in(wall: dt.datetime, zone: dt.tzinfo | None) -> float:
    """A wall-clock time (naive) in `zone` (None: this machine's) as unix seconds."""
    if zone is dt.UTC:
        return float(calendar.timegm(wall.timetuple()))
    try:
        return wall.replace(tzinfo=zone).timestamp() if zone else wall.timestamp()
    except (OverflowError, OSError, ValueError):  # beyond what the platform's clock holds
        return float(calendar.timegm(wall.timetuple()))


# -- request fields ----------------------------------------------------------------------
class _NotJson(ValueError):
    """JSON text that Python's parser takes but JSON does not allow (NaN, Infinity)."""


def _no_constants(name: str) -> Any:
    raise _NotJson(name)


def _finite_or_text(text: str) -> float | str:
    """A JSON number as a float, or its own text when a float cannot hold it (1e999): it is
    then echoed in invaliddata as sent, never as the Infinity that JSON cannot carry."""
    number = float(text)
    return number if math.isfinite(number) else text


def _shown(name: str, value: str) -> str:
    if name in SECRET_FIELDS:
        return "(hidden)"
    return repr(value if len(value) <= 40 else value[:40] + "...")


class Fields:
    """Typed access to one request's form fields; every refusal names the field."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw = raw

    def has(self, name: str) -> bool:
        value = self._raw.get(name)
        return value is not None and value.strip() != ""

    def sent(self, name: str) -> bool:
        """The field is in the request, even empty (a required field that may be blank)."""
        return name in self._raw

    def digits(self, name: str, *, limit: int = 20) -> str:
        """A required whole number kept as its text (an id such as `crmid`): digits only,
        at most `limit` of them."""
        value = self.text(name, limit=limit)
        if not value.isascii() or not value.isdigit():
            raise BadRequest(
                f"Illegal request: {name} must be a whole number, got {_shown(name, value)}"
            )
        return value

    def text(self, name: str, *, required: bool = True, default: str = "", limit: int = 255) -> str:
        value = self._raw.get(name)
        if value is None or value.strip() == "":
            if required:
                raise BadRequest(f"Illegal request: missing required parameter {name}")
            return default
        value = value.strip()
        if len(value) > limit:
            raise BadRequest(f"Illegal request: {name} is longer than {limit:,} characters")
        return value

    def integer(self, name: str, low: int, high: int, *, default: int | None = None) -> int:
        value = self._raw.get(name)
        if value is None or value.strip() == "":
            if default is None:
                raise BadRequest(f"Illegal request: missing required parameter {name}")
            return default
        text = value.strip()
        if not _INT.fullmatch(text) or not low <= int(text) <= high:
            raise BadRequest(
                f"Illegal request: {name} must be an integer from {low} to {high}, "
                f"got {_shown(name, value)}"
            )
        return int(text)

    def choice(self, name: str, options: tuple[str, ...], *, default: str | None = None) -> str:
        value = self._raw.get(name)
        if value is None or value.strip() == "":
            if default is None:
                raise BadRequest(f"Illegal request: missing required parameter {name}")
            return default
        text = value.strip().lower()
        if text not in options:
            raise BadRequest(
                f"Illegal request: {name} must be one of {', '.join(options)}, "
                f"got {_shown(name, value)}"
            )
        return text

    def moment(self, name: str) -> float:
        value = self.text(name)
        parsed = parse_time(value)
        if parsed is None:
            raise BadRequest(
                f"Illegal request: {name} must be a date as yyyy-mm-dd hh:mm:ss, "
                f"got {_shown(name, value)}"
            )
        return parsed

    def csv(self, name: str, *, required: bool = True, limit: int = 10_000) -> list[str]:
        """A comma-separated list, blanks dropped, duplicates kept once, order kept."""
        value = self._raw.get(name)
        if value is None or value.strip() == "":
            if required:
                raise BadRequest(f"Illegal request: missing required parameter {name}")
            return []
        parts = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        if not parts and required:
            raise BadRequest(f"Illegal request: {name} holds no value")
        if len(parts) > limit:
            raise BadRequest(f"Illegal request: {name} holds more than {limit:,} values")
        return parts

    def json_array(self, name: str, *, limit: int) -> list[Any]:
        value = self._raw.get(name)
        if value is None or value.strip() == "":
            raise BadRequest(f"Illegal request: missing required parameter {name}")
        try:
            # NaN and Infinity are not JSON; a NaN dial time once corrupted the floor's clock.
            parsed = json.loads(value, parse_constant=_no_constants, parse_float=_finite_or_text)
        except _NotJson as exc:
            raise BadRequest(
                f"Illegal request: {name} holds {exc}, which is not a JSON value"
            ) from None
        except (ValueError, RecursionError):
            raise BadRequest(f"Illegal request: {name} must be a JSON array") from None
        if not isinstance(parsed, list):
            raise BadRequest(f"Illegal request: {name} must be a JSON array")
        if not parsed:
            raise BadRequest(f"Illegal request: {name} holds no numbers")
        if len(parsed) > limit:
            raise BadRequest(
                f"Illegal request: {name} holds {len(parsed):,} numbers, at most {limit:,} "
                "are allowed per call"
            )
        return parsed

    def ratio(self, name: str) -> tuple[int, int]:
        value = self.text(name)
        match = _RATIO.fullmatch(value)
        if match is None or not all(1 <= int(part) <= 1000 for part in match.groups()):
            raise BadRequest(
                f"Illegal request: {name} must be two whole numbers as a:b (e.g. 1:1), "
                f"got {_shown(name, value)}"
            )
        return int(match.group(1)), int(match.group(2))
