"""Every code the vendor's documents define, in one table.

Client errors, the simulator's answers and the dashboard's labels all read from here so
that a code means the same thing everywhere. Unknown codes are never an error: they are
shown as their number (`describe`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    """One documented code: its number, the vendor's short message and what it means."""

    code: int
    message: str
    meaning: str


def _table(*rows: tuple[int, str, str]) -> dict[int, Code]:
    return {number: Code(number, message, meaning) for number, message, meaning in rows}


#: Transport codes: the envelope's `ret` when it is not 200.
TRANSPORT: dict[int, Code] = _table(
    (400, "illegal request", "a parameter is missing or invalid"),
    (500, "server error", "the server failed while handling the call"),
    (600, "token invalid", "the token is invalid or expired: log in again"),
    (601, "appid is not authorized", "check the appid or ask the vendor for authorisation"),
    (602, "appid authorization expired", "the appid's authorisation has expired"),
    (603, "module not licensed", "the account is not licensed for this module"),
    (604, "IP is not authorized", "this client's IP address is not authorised"),
)

#: Business and status codes: `data.errors.code`, and the status fields of results.
BUSINESS: dict[int, Code] = _table(
    (1001, "server connection failed", "usually a network problem"),
    (1002, "abnormal operation", "generally a failed check"),
    (1003, "operation failed", "authorisation, logout or command failure, or a lost server"),
    (1010, "extension exception", "maybe a new extension: log in again for a new token"),
    (1011, "illegal extension", "the extension is not owned by the company"),
    (1012, "extension does not exist", "extension number status"),
    (1013, "extension disabled", "extension number status"),
    (1014, "extension not registered", "extension number status"),
    (1015, "extension is not in a call", "extension number status"),
    (1016, "extension enabled", "extension number status"),
    (1017, "extension is registered", "extension number status"),
    (1018, "number is enabled", "caller ID status"),
    (1019, "number disabled", "caller ID status"),
    (1020, "number does not exist", "caller ID status"),
    (1021, "illegal number", "the caller ID is not owned by the company"),
    (1024, "task does not exist", "predictive task status"),
    (1025, "task has not started", "predictive task status"),
    (1026, "task in progress", "predictive task status"),
    (1027, "task paused", "predictive task status"),
    (1028, "task over", "predictive task status"),
    (1201, "idle", "extension is legal, enabled and registered"),
    (1202, "ringing", "extension call state"),
    (1203, "off-hook", "extension call state"),
    (1204, "in a call", "extension call state"),
    (1205, "user rejects", "the called party rejected the call"),
    (1210, "queue exception", "returned in predictive outbound"),
    (1211, "illegal queue", "the queue does not exist or is not owned by the company"),
    (1212, "did not answer", "agent was assigned a call and did not answer"),
    (1213, "waiting", "agent is waiting for a call (idle)"),
    (1214, "receiving", "agent's phone is ringing with a queue call"),
    (1215, "answered", "agent answered a queue call (talking)"),
    (1216, "rejected", "agent rejected a queue call"),
    (1217, "paused", "agent shows busy"),
    (1218, "checked in", "the extension is already checked into the queue"),
)

#: Call end codes: a bill's `hangupcause` and `hangupdirection`.
CALL_END: dict[int, Code] = _table(
    (10001, "hang up normally", "call state"),
    (10002, "call cancelled", "call state"),
    (10003, "refused to answer", "call state"),
    (10004, "outbound line failure", "usually due to wiring"),
    (10005, "user timed out", "call state: no answer"),
    (10006, "user is busy", "call state"),
    (10040, "caller hung up", "call state"),
    (10041, "callee hung up", "call state"),
)

ALL: dict[int, Code] = {**TRANSPORT, **BUSINESS, **CALL_END}


# The values a request sends: named once, so that no `1` or `3` in a call means two things.
# They are ints (IntEnum): the form field is the digit, as the documents show.


class SetType(enum.IntEnum):
    """SetSeatsStatus's `settype`: how the agent shows in the queue."""

    BUSY = 1  # show busy (paused): takes no queue calls
    IDLE = 2  # show idle: takes queue calls again


class TaskStatus(enum.IntEnum):
    """TaskSet's `taskstatus`: what to do with a predictive task."""

    OPEN = 1  # start, or resume, dialling
    PAUSE = 2  # stop dialling new numbers for now
    END = 3  # end the task for good


class SyncFlag(enum.IntEnum):
    """GetBill's `syncflag`: which records to read. A dashboard reads ALL only: UNQUERIED marks
    the records as read for every client of the account, stealing them from the customer's
    CRM sync (API-NOTES decision 6)."""

    UNQUERIED = 1
    QUERIED = 2
    ALL = 3


class BillDirection(enum.IntEnum):
    """GetBill's `direction` filter (a bill's own `direction` is the word callin/callout)."""

    IN = 1
    OUT = 2
    ALL = 3


class CallMethod(enum.IntEnum):
    """GetBill's `callmethod` filter and a bill's `callmethod` (API-NOTES decision 14)."""

    ANY = 0
    EXTENSION = 1  # extension to extension
    MANUAL = 2  # an agent dialled the number by hand
    API = 3  # an API call
    API_DOUBLE = 4  # an API double call (both legs dialled)
    PREDICTIVE = 5  # the predictive dialer
    IVR = 6  # IVR or group call


#: A call method in words (the documents' list), for records and their exports.
CALL_METHOD_WORDS: dict[int, str] = {
    CallMethod.ANY: "any",
    CallMethod.EXTENSION: "extension to extension",
    CallMethod.MANUAL: "manual dial",
    CallMethod.API: "API call",
    CallMethod.API_DOUBLE: "API double call",
    CallMethod.PREDICTIVE: "predictive",
    CallMethod.IVR: "IVR / group call",
}


def call_method_words(method: int | str | None) -> str:
    """A bill's call method in words; an unknown one as its number, none as "-"."""
    if method is None or method == "":
        return "-"
    try:
        number = int(method)
    except (TypeError, ValueError):
        return str(method)
    return CALL_METHOD_WORDS.get(number, str(number))


def call_end_words(code: int | str | None) -> str:
    """A bill's `hangupcause` or `hangupdirection` in words: the documented call end codes
    (10001-10041); any other code as its number (the examples show 10015 and 10020, which no
    table lists), none as "-"."""
    if code is None or code == "":
        return "-"
    try:
        number = int(code)
    except (TypeError, ValueError):
        return str(code)
    known = CALL_END.get(number)
    return known.message if known else str(number)


class AssignType(enum.IntEnum):
    """TaskCreat's `assigntype`: who takes the task's answered calls."""

    EXTENSION = 1
    QUEUE = 2
    GROUP = 3


def describe(code: int | str | None) -> str:
    """A short label for any code; an unknown one is shown as its number, never an error."""
    if code is None or code == "":
        return "-"
    try:
        number = int(code)
    except (TypeError, ValueError):
        return str(code)
    known = ALL.get(number)
    return known.message if known else str(number)


def lookup(code: int | str | None) -> Code | None:
    """The documented entry for a code, or None when the documents do not list it."""
    if code is None:
        return None
    try:
        return ALL.get(int(code))
    except ValueError:
        return None


__all__ = [
    "ALL",
    "BUSINESS",
    "CALL_END",
    "CALL_METHOD_WORDS",
    "TRANSPORT",
    "AssignType",
    "BillDirection",
    "CallMethod",
    "Code",
    "SetType",
    "SyncFlag",
    "TaskStatus",
    "call_end_words",
    "call_method_words",
    "describe",
    "lookup",
]
