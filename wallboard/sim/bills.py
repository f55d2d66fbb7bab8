"""Call records (bills): compact storage, the documented row and callback formats, and GetBill.

A long run keeps every bill, so the book stores them by column in whole seconds and shares
the strings of the number and extension each came from; the uuid and the recording name are
derived when asked for.
"""

from __future__ import annotations

import bisect
import hashlib
from array import array
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from wallboard.sim.entities import (
    DIRECTION_IN,
    DIRECTION_OUT,
    DIRECTION_WORDS,
    METHOD_PREDICTIVE,
    NUMBER_DONE,
    TaskNumber,
)
from wallboard.sim.wire import format_time


def call_uuid(seed: int, seq: int, leg: str = "a") -> str:
    """A stable uuid for one leg of a call: the same seed and call give the same uuid."""
    # uuid.UUID(bytes=digest, version=4), spelt out: callbacks ask for thousands a second.
    digest = bytearray(hashlib.blake2b(f"{seed}:{seq}:{leg}".encode(), digest_size=16).digest())
    digest[6] = (digest[6] & 0x0F) | 0x40
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


#: The custom fields of a call that no task number stands behind (a manual call).
NO_NUMBER = TaskNumber(phone="", time=0.0)


@dataclass(slots=True, eq=False)
class Bill:
    """One finished call, as read from the `BillBook` (a snapshot, not the stored record).

    Times are whole unix seconds (what the wire shows), so that duration = endtime -
    starttime and billsec = endtime - answertime hold exactly. The custom fields and the
    destination come from the task number the call dialled."""

    id: int
    seq: int  # the call's sequence number: its uuid derives from it
    start: int
    duration: int
    answer_after: int | None  # seconds from start to the customer's answer; None: unanswered
    extnumber: str
    displaynumber: str
    callmethod: int
    hangupdirection: int
    hangupcause: int
    crmid: str
    taskid: str
    number: TaskNumber = field(repr=False)
    queried: bool = False
    seed: int = field(default=0, repr=False)
    direction_code: int = DIRECTION_OUT  # 1 in, 2 out (GetBill's filter values)

    # -- derived fields ---------------------------------------------------------------
    @property
    def destnumber(self) -> str:
        return self.number.phone

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
        """ "callin" or "callout", as rows show it (a bill callback's `type`)."""
        return DIRECTION_WORDS[self.direction_code]

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
        """The customer answered and no agent took the call (API-NOTES decision 9): a
        predictive call or one that rang into a queue. An IVR call nobody was meant to
        take is not abandoned."""
        if self.answer_after is None or self.extnumber:
            return False
        return self.callmethod == METHOD_PREDICTIVE or self.direction_code == DIRECTION_IN

    @property
    def recordfilename(self) -> str:
        return record_name(self.id, self.start, self.answer_after, self.extnumber)

    # -- wire formats -----------------------------------------------------------------
    def row(self, downloadip: str) -> dict[str, Any]:
        """The GetBill row, every documented field, in the documents' order."""
        record = self.recordfilename
        number = self.number
        return {
            "id": self.id,
            "extnumber": self.extnumber,
            "destnumber": number.phone,
            "displaynumber": self.displaynumber,
            "starttime": format_time(self.start),
            "answertime": format_time(self.answertime),
            "endtime": format_time(self.endtime),
            "duration": self.duration,
            "billsec": self.billsec,
            "direction": self.direction,
            "callmethod": self.callmethod,
            "userid": number.userid,
            "memberid": number.memberid,
            "chengshudu": number.chengshudu,
            "customuuid": number.customuuid,
            "recordfilename": record,
            "downloadip": downloadip if record else "",
            "hangupdirection": self.hangupdirection,
            "hangupcause": self.hangupcause,
            "userkey": "",
        }

    def callback(self, companycode: str, downloadip: str) -> dict[str, Any]:
        """The bill callback payload, in the documented callback format."""
        record = self.recordfilename
        number = self.number
        return {
            "type": self.direction,
            "callmethod": self.callmethod,
            "starttime": format_time(self.start),
            "answertime": format_time(self.answertime) or "",
            "endtime": format_time(self.endtime),
            "duration": self.duration,
            "billsec": self.billsec,
            "crmid": self.crmid or "0",
            "memberid": number.memberid,
            "chengshudu": number.chengshudu,
            "disnumber": self.displaynumber,
            "destnumber": number.phone,
            "extnumber": self.extnumber,
            "recordfilename": record,
            "downloadip": downloadip if record else "",
            "hangupdirection": self.hangupdirection,
            "hangupcause": self.hangupcause,
            "companycode": companycode,
            "id": self.id,
            "uuid": self.uuid,
            "userkey": "",
            "customuuid": number.customuuid,
        }


def record_name(bill_id: int, start: int, answer_after: int | None, extnumber: str) -> str:
    """Only calls an agent talked on are recorded; the name carries the bill id so that a
    recording is found without an index."""
    if answer_after is None or not extnumber:
        return ""
    day = format_time(start) or ""
    return f"{day[:4]}{day[5:7]}{day[8:10]}_{extnumber}_{bill_id}.wav"


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

    def custom_fields(self) -> list[tuple[int, str]]:
        """The custom fields asked for, as (index in the stored tuple, wanted value)."""
        wanted = (self.userid, self.memberid, self.chengshudu, self.customuuid)
        return [(index, value) for index, value in enumerate(wanted) if value]


class BillBook(Sequence[Bill]):
    """Every bill, in the order the calls ended (ids ascend, end times never decrease).

    Stored by column (arrays of numbers, lists of shared strings and tuples) because a long
    run keeps hundreds of thousands of them; indexing gives a `Bill` snapshot. Only the
    number's fields are kept, not the task's number itself, which is freed once done."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._seq = array("q")
        self._start = array("q")
        self._duration = array("q")
        self._answer = array("q")  # seconds to the customer's answer, -1 when unanswered
        self._method = array("B")
        self._way = array("B")  # direction: 1 in, 2 out
        self._direction = array("H")
        self._cause = array("H")
        self._queried = bytearray()
        self._ext: list[str] = []
        self._display: list[str] = []
        self._crmid: list[str] = []
        self._taskid: list[str] = []
        self._phone: list[str] = []
        # (userid, memberid, chengshudu, customuuid), one shared tuple per distinct value
        self._custom: list[tuple[str, str, str, str]] = []
        self._customs: dict[tuple[str, str, str, str], tuple[str, str, str, str]] = {}
        self._longest = 0  # the longest duration so far: bounds GetBill's scan by end time
        # The last query's matching rows, by its filter, the book's length and the marks of
        # syncflag 1: an export pages through the same filter a thousand rows at a time, and
        # each page would otherwise scan the whole range again.
        self._marks = 0
        self._last_match: tuple[tuple[BillFilter, int, int], array[int]] | None = None

    def __len__(self) -> int:
        return len(self._seq)

    @overload
    def __getitem__(self, index: int) -> Bill: ...

    @overload
    def __getitem__(self, index: slice) -> list[Bill]: ...

    def __getitem__(self, index: int | slice) -> Bill | list[Bill]:
        if isinstance(index, slice):
            return [self._view(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("bill index out of range")
        return self._view(index)

    def __iter__(self) -> Iterator[Bill]:
        for i in range(len(self)):
            yield self._view(i)

    def _view(self, i: int) -> Bill:
        answer = self._answer[i]
        return Bill(
            id=i + 1,
            seq=self._seq[i],
            start=self._start[i],
            duration=self._duration[i],
            answer_after=None if answer < 0 else answer,
            extnumber=self._ext[i],
            displaynumber=self._display[i],
            callmethod=self._method[i],
            hangupdirection=self._direction[i],
            hangupcause=self._cause[i],
            crmid=self._crmid[i],
            taskid=self._taskid[i],
            number=TaskNumber(self._phone[i], 0.0, *self._custom[i], state=NUMBER_DONE),
            queried=bool(self._queried[i]),
            seed=self.seed,
            direction_code=self._way[i],
        )

    def append(
        self,
        *,
        seq: int,
        start: int,
        duration: int,
        answer_after: int | None,
        extnumber: str,
        displaynumber: str,
        callmethod: int,
        hangupdirection: int,
        hangupcause: int,
        crmid: str,
        taskid: str,
        number: TaskNumber,
        direction: int = DIRECTION_OUT,
    ) -> int:
        """Store a finished call; returns its bill id (the next one)."""
        self._seq.append(seq)
        self._start.append(start)
        self._duration.append(duration)
        if duration > self._longest:
            self._longest = duration
        self._answer.append(-1 if answer_after is None else answer_after)
        self._method.append(callmethod)
        self._way.append(direction)
        self._direction.append(hangupdirection)
        self._cause.append(hangupcause)
        self._queried.append(0)
        self._ext.append(extnumber)
        self._display.append(displaynumber)
        self._crmid.append(crmid)
        self._taskid.append(taskid)
        self._phone.append(number.phone)
        custom = (number.userid, number.memberid, number.chengshudu, number.customuuid)
        self._custom.append(self._customs.setdefault(custom, custom))
        return len(self._seq)

    def by_id(self, bill_id: int) -> Bill | None:
        if 1 <= bill_id <= len(self):
            return self._view(bill_id - 1)
        return None

    def query(self, wanted: BillFilter, *, page: int, per_page: int) -> tuple[int, list[Bill]]:
        """(total matching, the page asked for). Bills whose dial time is in [start, end]; no
        bill lasts longer than the longest one stored so far, so only that window of the
        end-ordered columns is scanned (a fixed bound would miss a customer left waiting for
        a whole day). syncflag 1 marks the returned page as queried."""
        key: tuple[BillFilter, int, int] | None = (wanted, len(self), self._marks)
        try:
            hash(key)
        except TypeError:  # a filter of unhashable parts: not kept
            key = None
        kept = self._last_match
        if key is not None and kept is not None and kept[0] == key:
            matching = kept[1]
        else:
            matching = self._matching(wanted)
            if key is not None:
                self._last_match = (key, matching)
        first = (max(1, page) - 1) * per_page
        chosen = matching[first : first + per_page]
        if wanted.syncflag == 1 and chosen:
            for i in chosen:
                self._queried[i] = 1
            self._marks += 1
        return len(matching), [self._view(i) for i in chosen]

    def _matching(self, wanted: BillFilter) -> array[int]:
        """The indexes of the bills that match, in id order."""
        starts, durations = self._start, self._duration
        ends = range(len(self))

        def end_of(i: int) -> int:
            return starts[i] + durations[i]

        lo = bisect.bisect_left(ends, wanted.start, key=end_of)
        hi = bisect.bisect_right(ends, wanted.end + self._longest, key=end_of)
        first_ok, last_ok = wanted.start, wanted.end
        syncflag, callmethod = wanted.syncflag, wanted.callmethod
        way = wanted.direction if wanted.direction in (DIRECTION_IN, DIRECTION_OUT) else 0
        ways = self._way
        exts = wanted.extnumbers
        queried, methods, ext_col = self._queried, self._method, self._ext
        phones, customs = self._phone, self._custom
        destnumber = wanted.destnumber
        fields = wanted.custom_fields()
        matching = array("q")
        for i in range(lo, hi):
            if not first_ok <= starts[i] <= last_ok:
                continue
            if (syncflag == 1 and queried[i]) or (syncflag == 2 and not queried[i]):
                continue
            if callmethod and methods[i] != callmethod:
                continue
            if way and ways[i] != way:
                continue
            if exts and ext_col[i] not in exts:
                continue
            if destnumber and phones[i] != destnumber:
                continue
            if fields:
                custom = customs[i]
                if any(custom[index] != value for index, value in fields):
                    continue
            matching.append(i)
        return matching


__all__ = [
    "NO_NUMBER",
    "Bill",
    "BillBook",
    "BillFilter",
    "call_uuid",
    "record_name",
]
