"""Call records (bills): compact storage, the documented row and callback formats, and GetBill.

A long run keeps every bill, so a `Bill` stores whole seconds and shares the strings of the
number and extension it came from; durations are small ints (Python shares those), and the
uuid and recording name are derived from the call's sequence number when asked for.
"""

from __future__ import annotations

import bisect
import hashlib
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from wallboard.sim.entities import TaskNumber

#: No call lasts longer than this (seconds): bounds GetBill's scan by end time.
MAX_CALL_SECONDS = 4 * 3600

WIRE_FORMAT = "%Y-%m-%d %H:%M:%S"


@lru_cache(maxsize=65536)
def _wire_seconds(seconds: int) -> str:
    return time.strftime(WIRE_FORMAT, time.gmtime(seconds))


def wire_time(t: float | None) -> str | None:
    """`yyyy-mm-dd hh:mm:ss` for unix seconds; the floor's clock is naive local time kept as
    UTC, so formatting never depends on the machine's time zone."""
    if t is None:
        return None
    return _wire_seconds(int(t))


def parse_wire_time(text: str) -> float:
    """The inverse of `wire_time`; raises ValueError on anything but `yyyy-mm-dd hh:mm:ss`."""
    import calendar

    return float(calendar.timegm(time.strptime(text.strip(), WIRE_FORMAT)))


def call_uuid(seed: int, seq: int, leg: str = "a") -> str:
    """A stable uuid for one leg of a call: the same seed and call give the same uuid."""
    digest = hashlib.blake2b(f"{seed}:{seq}:{leg}".encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))


#: The custom fields of a call that no task number stands behind (a manual call).
NO_NUMBER = TaskNumber(phone="", time=0.0)


@dataclass(slots=True, eq=False)
class Bill:
    """One finished call. Times are whole unix seconds (what the wire shows), so that
    duration = endtime - starttime and billsec = endtime - answertime hold exactly."""

    id: int
    seq: int  # the call's sequence number: its uuid and recording name derive from it
    start: int
    duration: int
    answer_after: int | None  # seconds from start to the customer's answer; None: unanswered
    extnumber: str
    destnumber: str
    displaynumber: str
    callmethod: int
    hangupdirection: int
    hangupcause: int
    crmid: str
    taskid: str
    number: TaskNumber = field(default=NO_NUMBER, repr=False)
    queried: bool = False
    seed: int = field(default=0, repr=False)

    # -- derived fields ---------------------------------------------------------------
    @property
    def starttime(self) -> float:
        return float(self.start)

    @property
    def answertime(self) -> float | None:
        return None if self.answer_after is None else float(self.start + self.answer_after)

    @property
    def endtime(self) -> float:
        return float(self.start + self.duration)

    @property
    def billsec(self) -> int:
        return 0 if self.answer_after is None else self.duration - self.answer_after

    @property
    def direction(self) -> str:
        return "callout"

    @property
    def userid(self) -> str:
        return self.number.userid

    @property
    def memberid(self) -> str:
        return self.number.memberid

    @property
    def chengshudu(self) -> str:
        return self.number.chengshudu

    @property
    def customuuid(self) -> str:
        return self.number.customuuid

    @property
    def userkey(self) -> str:
        return ""

    @property
    def uuid(self) -> str:
        return call_uuid(self.seed, self.seq)

    @property
    def abandoned(self) -> bool:
        """The customer answered and no agent took the call (API-NOTES decision 9)."""
        return self.answer_after is not None and not self.extnumber

    @property
    def recordfilename(self) -> str:
        """Only calls an agent talked on are recorded; the name encodes the bill id."""
        if self.answer_after is None or not self.extnumber:
            return ""
        day = wire_time(self.start) or ""
        return f"{day[:10].replace('-', '')}_{self.extnumber}_{self.id}.wav"

    # -- wire formats -----------------------------------------------------------------
    def row(self, downloadip: str) -> dict[str, Any]:
        """The GetBill row, every documented field, in the documents' order."""
        record = self.recordfilename
        return {
            "id": self.id,
            "extnumber": self.extnumber,
            "destnumber": self.destnumber,
            "displaynumber": self.displaynumber,
            "starttime": wire_time(self.start),
            "answertime": wire_time(self.answertime),
            "endtime": wire_time(self.endtime),
            "duration": self.duration,
            "billsec": self.billsec,
            "direction": "callout",
            "callmethod": self.callmethod,
            "userid": self.number.userid,
            "memberid": self.number.memberid,
            "chengshudu": self.number.chengshudu,
            "customuuid": self.number.customuuid,
            "recordfilename": record,
            "downloadip": downloadip if record else "",
            "hangupdirection": self.hangupdirection,
            "hangupcause": self.hangupcause,
            "userkey": "",
        }

    def callback(self, companycode: str, downloadip: str) -> dict[str, Any]:
        """The bill callback payload, in the documented callback format."""
        record = self.recordfilename
        return {
            "type": "callout",
            "callmethod": self.callmethod,
            "starttime": wire_time(self.start),
            "answertime": wire_time(self.answertime) or "",
            "endtime": wire_time(self.endtime),
            "duration": self.duration,
            "billsec": self.billsec,
            "crmid": self.crmid or "0",
            "memberid": self.number.memberid,
            "chengshudu": self.number.chengshudu,
            "disnumber": self.displaynumber,
            "destnumber": self.destnumber,
            "extnumber": self.extnumber,
            "recordfilename": record,
            "downloadip": downloadip if record else "",
            "hangupdirection": self.hangupdirection,
            "hangupcause": self.hangupcause,
            "companycode": companycode,
            "id": self.id,
            "uuid": self.uuid,
            "userkey": "",
            "customuuid": self.number.customuuid,
        }


@dataclass(frozen=True, slots=True)
class BillFilter:
    """GetBill's filters; empty strings and empty sets mean "all", as documented."""

    start: float
    end: float
    syncflag: int = 3  # 1 unqueried (and mark them), 2 queried, 3 all
    direction: int = 3  # 1 in, 2 out, 3 all
    callmethod: int = 0  # 0 all
    extnumbers: Collection[str] = ()
    destnumber: str = ""
    userid: str = ""
    memberid: str = ""
    chengshudu: str = ""
    customuuid: str = ""

    def matches(self, bill: Bill) -> bool:
        if not self.start <= bill.start <= self.end:
            return False
        if self.syncflag == 1 and bill.queried:
            return False
        if self.syncflag == 2 and not bill.queried:
            return False
        if self.direction == 1:  # the simulated floor only calls out
            return False
        if self.callmethod and bill.callmethod != self.callmethod:
            return False
        if self.extnumbers and bill.extnumber not in self.extnumbers:
            return False
        if self.destnumber and bill.destnumber != self.destnumber:
            return False
        number = bill.number
        if self.userid and number.userid != self.userid:
            return False
        if self.memberid and number.memberid != self.memberid:
            return False
        if self.chengshudu and number.chengshudu != self.chengshudu:
            return False
        return not (self.customuuid and number.customuuid != self.customuuid)


def _end_of(bill: Bill) -> int:
    return bill.start + bill.duration


class BillBook:
    """Every bill in the order the calls ended (so ids ascend and end times never decrease)."""

    def __init__(self) -> None:
        self.bills: list[Bill] = []

    def __len__(self) -> int:
        return len(self.bills)

    def add(self, bill: Bill) -> None:
        self.bills.append(bill)

    def by_id(self, bill_id: int) -> Bill | None:
        if 1 <= bill_id <= len(self.bills):
            return self.bills[bill_id - 1]
        return None

    def query(self, wanted: BillFilter, *, page: int, per_page: int) -> tuple[int, list[Bill]]:
        """(total matching, the page asked for). Bills whose dial time is in [start, end]; a
        bill ends at most MAX_CALL_SECONDS after it starts, so only that window of the
        end-ordered list is scanned. syncflag 1 marks the returned page as queried."""
        bills = self.bills
        lo = bisect.bisect_left(bills, wanted.start, key=_end_of)
        hi = bisect.bisect_right(bills, wanted.end + MAX_CALL_SECONDS, key=_end_of)
        matching = [bill for bill in bills[lo:hi] if wanted.matches(bill)]
        page = max(1, page)
        first = (page - 1) * per_page
        chosen = matching[first : first + per_page]
        if wanted.syncflag == 1:
            for bill in chosen:
                bill.queried = True
        return len(matching), chosen


__all__ = [
    "NO_NUMBER",
    "Bill",
    "BillBook",
    "BillFilter",
    "call_uuid",
    "parse_wire_time",
    "wire_time",
]
