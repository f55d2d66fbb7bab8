"""Call records (GetBill) for a supervisor: filtered, paged, in words, never all held at once.

What is read, and how:
- always `syncflag 3` (all records). `syncflag 1` marks the records it returns as read for
  every client of the account: a dashboard reading that way would steal them from the
  customer's CRM sync (API-NOTES decision 6);
- a range of dial times in the server's day and zone (`records_window`);
- the filters GetBill knows are sent to the server: direction, call method, extensions,
  destination. The others are applied here, to each page as it arrives: a campaign (GetBill
  knows no task: a campaign's calls are the predictive calls of its numbers, API-NOTES
  decision 14), answered / dropped / not answered. A queue is its agents' extensions
  (GetQueueSipStatus), sent as the extension filter: GetBill knows no queue either, and a
  dropped call, which no agent took, has none;
- page by page (`pages`: an async iterator), so an export of a day of 100,000 calls holds
  one page (1,000 records) at a time. A bill read twice (pages that shift while a live
  server adds bills) is given once: `CountedBills` remembers the ids read in a few bytes.

Each bill becomes a `CallRow`: the call in a supervisor's words (the call method and the
hang-up cause from the documents' code tables, `wallboard.api.codes`; an unknown code is
shown as its number). Summaries by agent or by campaign (`records_summary`) and the
abandoned calls to call back are folded from the same pages, so they are as cheap in memory.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from wallboard.api.codes import (
    BillDirection,
    CallMethod,
    SyncFlag,
    call_end_words,
    call_method_words,
)
from wallboard.api.models import Bill, BillPage, QueueAgent, RecordingLink
from wallboard.live.bills import agent_of, bill_key, counts, was_answered
from wallboard.live.campaigns import TrackedTask, phone_key
from wallboard.live.counted import CountedBills
from wallboard.live.server_text import clean

#: The documented maximum itemsperpage: an export reads this many records a request.
EXPORT_PAGE = 1000
#: A screen's page: what one screenful loads.
SCREEN_PAGE = 100


class RecordsError(ValueError):
    """A filter that cannot be used (an untracked campaign, a bad call method): one line."""


class Outcome(enum.Enum):
    """What became of a call, as the filters and the rows say it."""

    ALL = "all"
    ANSWERED = "answered"  # an agent took it (or, for a call meant for nobody, it was answered)
    DROPPED = "dropped"  # the customer answered and no agent took it: abandoned
    UNANSWERED = "not answered"  # the customer never answered


#: `--direction` words and GetBill's direction values.
DIRECTIONS: dict[str, BillDirection] = {
    "all": BillDirection.ALL,
    "in": BillDirection.IN,
    "out": BillDirection.OUT,
}
#: `--method` words (besides the numbers 0-6).
METHODS: dict[str, CallMethod] = {
    "any": CallMethod.ANY,
    "extension": CallMethod.EXTENSION,
    "manual": CallMethod.MANUAL,
    "api": CallMethod.API,
    "api-double": CallMethod.API_DOUBLE,
    "predictive": CallMethod.PREDICTIVE,
    "ivr": CallMethod.IVR,
}


def call_method(text: str) -> CallMethod:
    """A call method from its word or number (`predictive`, `5`); RecordsError otherwise."""
    value = text.strip().lower()
    if value in METHODS:
        return METHODS[value]
    if value.isdigit() and int(value) in {int(m) for m in CallMethod}:
        return CallMethod(int(value))
    raise RecordsError(f"{text!r} is not a call method: use {', '.join(METHODS)} or 0-6")


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Which records: a range of dial times (server text, both ends included) and filters;
    empty means all."""

    start: str
    end: str
    direction: BillDirection = BillDirection.ALL
    method: CallMethod = CallMethod.ANY
    extensions: tuple[str, ...] = ()
    queue: str = ""
    destination: str = ""
    campaign: str = ""  # a tracked task's id
    outcome: Outcome = Outcome.ALL


# ---------------------------------------------------------------------- one call


def is_dropped(bill: Bill) -> bool:
    """Abandoned (API-NOTES decision 9): the customer answered and no agent took the call,
    on a predictive call or one that came in for a queue; an IVR call answered by nobody
    but the machine was meant for nobody, and is not dropped."""
    if not was_answered(bill) or agent_of(bill) or bill.callmethod == CallMethod.IVR:
        return False
    incoming = bill.direction.strip().lower() in ("callin", "in", "1")
    return incoming or bill.callmethod in (None, CallMethod.PREDICTIVE)


def outcome_of(bill: Bill) -> Outcome:
    if is_dropped(bill):
        return Outcome.DROPPED
    return Outcome.ANSWERED if was_answered(bill) else Outcome.UNANSWERED


@dataclass(frozen=True, slots=True)
class CallRow:
    """One call record in a supervisor's words (server text made safe to show). Times are
    the server's, in its zone, as it wrote them."""

    id: str
    started: str
    answered_at: str
    ended: str
    duration: int  # seconds from dialling to the end
    talk: int  # billsec: seconds from the answer to the end (0 when not answered)
    agent: str  # the extension that took the call; "" when none did
    destination: str
    caller_id: str  # the number shown to the called party
    direction: str  # "in" / "out" (the bill's word when it is neither)
    method: str  # the call method in words
    outcome: Outcome
    cause: str  # the hang-up cause in words
    cause_code: str
    hung_up_by: str  # hangupdirection in words
    recording: str  # the recording file name; "" when the call was not recorded
    userid: str
    memberid: str
    customuuid: str
    number_key: str = field(default="", repr=False)  # destination as digits (`phone_key`)
    #: An outgoing predictive call (`live.bills.counts`): only these are a campaign's calls
    #: (API-NOTES decision 14); a manual re-dial of a campaign's number is not one.
    campaign_call: bool = field(default=False, repr=False)

    @property
    def dropped(self) -> bool:
        return self.outcome is Outcome.DROPPED


def _direction_word(value: str) -> str:
    word = value.strip().lower()
    if word in ("callout", "out", "2"):
        return "out"
    if word in ("callin", "in", "1"):
        return "in"
    return clean(value)


def call_row(bill: Bill) -> CallRow:
    """The record of one bill, in words."""
    answered = bill.answertime.strip()
    return CallRow(
        id="" if bill.id is None else str(bill.id),
        started=clean(bill.starttime),
        answered_at="" if not answered or answered.startswith("0000") else clean(answered),
        ended=clean(bill.endtime),
        duration=bill.duration,
        talk=bill.billsec,
        agent=clean(agent_of(bill)),
        destination=clean(bill.destnumber),
        caller_id=clean(bill.displaynumber),
        direction=_direction_word(bill.direction),
        method=call_method_words(bill.callmethod),
        outcome=outcome_of(bill),
        cause=call_end_words(bill.hangupcause),
        cause_code="" if bill.hangupcause is None else str(bill.hangupcause),
        hung_up_by=call_end_words(bill.hangupdirection),
        recording=clean(bill.recordfilename),
        userid=clean(bill.userid),
        memberid=clean(bill.memberid),
        customuuid=clean(bill.customuuid),
        number_key=phone_key(bill.destnumber),
        campaign_call=counts(bill),
    )


# ---------------------------------------------------------------------- the source


class RecordsClient(Protocol):
    """What the records need of the API client (`WallboardClient` is one)."""

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
    ) -> BillPage: ...

    async def recording_link(self, filename: str) -> RecordingLink: ...

    async def login(self) -> object: ...

    async def queue_agents(
        self, queuename: str = "", extnumber: str = "", state: int = 0
    ) -> Sequence[QueueAgent]: ...

    @property
    def server_offset(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class RecordPage:
    """One page of records: the rows of the server's page that pass the filters here, and
    where the page stands (`total` and `pages` count the server's records for the filters
    it was sent)."""

    number: int
    size: int
    total: int
    rows: tuple[CallRow, ...]
    read: int  # records the server sent on this page (before the filters applied here)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size)) if self.size else 1


@dataclass(frozen=True, slots=True)
class RecordingView:
    """A recording's download link and until when it works (server time, its zone)."""

    filename: str
    url: str
    expires: str


@dataclass(frozen=True, slots=True)
class Query:
    """A filter made ready (`CallRecords.prepare`): the fields sent to GetBill, and the test
    applied here to each record."""

    start: str
    end: str
    direction: int
    callmethod: int
    extnumber: str = ""
    destnumber: str = ""
    numbers: frozenset[str] | None = None  # a campaign's numbers (`phone_key`); None: any
    outcome: Outcome = Outcome.ALL
    empty: bool = False  # the filters exclude everything (a queue without agents)

    def keeps(self, row: CallRow) -> bool:
        if self.numbers is not None and row.number_key not in self.numbers:
            return False
        return self.outcome is Outcome.ALL or row.outcome is self.outcome


class CallRecords:
    """Call records read through a client: pages, one page, a recording's link.

    `campaigns` gives the tracked tasks (the registry's `tasks`): a campaign filter and the
    per-campaign summaries need their numbers, which no API call lists (API-NOTES decision
    5). `tz` is the server's zone (the profile's)."""

    def __init__(
        self,
        client: RecordsClient,
        *,
        tz: dt.tzinfo | None = None,
        campaigns: Callable[[], Iterable[TrackedTask]] = tuple,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.tz = tz
        self._campaigns = campaigns
        self._clock = clock

    def server_now(self) -> float:
        """Now on the server's clock (this machine's until an answer told the server's)."""
        return self._clock() + (self.client.server_offset or 0.0)

    async def learn_clock(self) -> None:
        """Ask the server once when no answer has told its clock yet: "today" is its day."""
        if self.client.server_offset is None:
            await self.client.login()

    def campaigns(self) -> tuple[TrackedTask, ...]:
        return tuple(self._campaigns())

    async def prepare(self, wanted: RecordFilter) -> Query:
        """The query for a filter: a campaign's numbers looked up, a queue's agents read."""
        direction, method = wanted.direction, wanted.method
        numbers: frozenset[str] | None = None
        if wanted.campaign:
            task = next((t for t in self._campaigns() if t.taskid == wanted.campaign), None)
            if task is None:
                raise RecordsError(
                    f"campaign {wanted.campaign} is not tracked here, so its numbers are not "
                    f"known: track it first (wallboard track {wanted.campaign} --numbers FILE)"
                )
            numbers = frozenset(filter(None, map(phone_key, task.numbers)))
            if not numbers:
                raise RecordsError(
                    f"campaign {wanted.campaign} is tracked without its numbers: give them "
                    f"(wallboard track {wanted.campaign} --numbers FILE)"
                )
            if method is CallMethod.ANY:  # a campaign's calls are its predictive calls
                method = CallMethod.PREDICTIVE
            if direction is BillDirection.ALL:
                direction = BillDirection.OUT
        extensions = [e.strip() for e in wanted.extensions if e.strip()]
        empty = False
        if wanted.queue.strip():
            queue = wanted.queue.strip()
            agents = await self.client.queue_agents(queue)
            in_queue = sorted({a.extnumber.strip() for a in agents if a.queuename.strip() == queue})
            extensions = [e for e in extensions if e in in_queue] if extensions else in_queue
            empty = empty or not extensions
        return Query(
            start=wanted.start,
            end=wanted.end,
            direction=int(direction),
            callmethod=int(method),
            extnumber=",".join(extensions),
            destnumber=wanted.destination.strip(),
            numbers=numbers,
            outcome=wanted.outcome,
            empty=empty,
        )

    async def page(
        self, wanted: RecordFilter | Query, number: int, *, size: int = SCREEN_PAGE
    ) -> RecordPage:
        """One page of the server's records for the filter (1 is the first)."""
        query = wanted if isinstance(wanted, Query) else await self.prepare(wanted)
        if query.empty:
            return RecordPage(number, size, 0, (), 0)
        answer = await self._bills(query, number, size)
        rows = tuple(row for row in map(call_row, answer.bills) if query.keeps(row))
        return RecordPage(number, size, answer.totalitems, rows, len(answer.bills))

    async def pages(
        self, wanted: RecordFilter | Query, *, size: int = EXPORT_PAGE
    ) -> AsyncIterator[RecordPage]:
        """Every page of the range, first to last, each once; a bill the server sends twice
        (pages that shifted under new bills) is left out of the later page."""
        query = wanted if isinstance(wanted, Query) else await self.prepare(wanted)
        if query.empty:
            yield RecordPage(1, size, 0, (), 0)
            return
        seen = CountedBills()
        number, read = 1, 0
        while True:
            answer = await self._bills(query, number, size)
            rows = tuple(
                row
                for bill, row in zip(answer.bills, map(call_row, answer.bills), strict=True)
                if seen.add(bill_key(bill)) and query.keeps(row)
            )
            yield RecordPage(number, size, answer.totalitems, rows, len(answer.bills))
            read += len(answer.bills)
            # The end: an empty page, or as many records read as the server counts (a server
            # that sends shorter pages than asked is read on, not cut short).
            if not answer.bills or read >= answer.totalitems:
                return
            number += 1

    async def rows(
        self, wanted: RecordFilter | Query, *, size: int = EXPORT_PAGE
    ) -> AsyncIterator[CallRow]:
        """Every record of the range that passes the filters, page by page."""
        async for page in self.pages(wanted, size=size):
            for row in page.rows:
                yield row

    async def find(self, wanted: RecordFilter | Query, bill_id: str) -> CallRow | None:
        """The record with this bill id in the range (GetBill has no id filter: the range is
        read until it turns up), or None."""
        async for page in self.pages(wanted):
            for row in page.rows:
                if row.id == bill_id:
                    return row
        return None

    async def recording(self, filename: str) -> RecordingView:
        """A recording's download link and its expiry (GetRecodeFile). The link stops working
        soon (minutes): fetch the file at once, never keep the link."""
        link = await self.client.recording_link(filename.strip())
        return RecordingView(filename.strip(), clean(link.downurl), clean(link.expires))

    async def _bills(self, query: Query, number: int, size: int) -> BillPage:
        return await self.client.bills(
            query.start,
            query.end,
            syncflag=int(SyncFlag.ALL),
            direction=query.direction,
            callmethod=query.callmethod,
            currentpage=number,
            itemsperpage=size,
            extnumber=query.extnumber,
            destnumber=query.destnumber,
        )


__all__ = [
    "DIRECTIONS",
    "EXPORT_PAGE",
    "METHODS",
    "SCREEN_PAGE",
    "CallRecords",
    "CallRow",
    "Outcome",
    "Query",
    "RecordFilter",
    "RecordPage",
    "RecordingView",
    "RecordsClient",
    "RecordsError",
    "call_method",
    "call_row",
    "is_dropped",
    "outcome_of",
]
