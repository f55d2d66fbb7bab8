"""Call records: read incrementally, and turned into the day's and each campaign's figures.

The header's "answered / dropped today" and every campaign's dialled / answered / dropped come
from the bills (GetBill). They are read:
- always with `syncflag 3` (all records). `syncflag 1` would mark them as read for every
  client of the account and steal them from the customer's CRM sync (API-NOTES decision 6);
- only the predictive dialer's outgoing calls (direction 2, callmethod 5): an agent's manual
  or extension-to-extension call is always answered by an agent, so counting it would lower
  the abandon rate that the 3% rule is about (API-NOTES decision 9);
- for one window of server time, local midnight (or the oldest tracked campaign's start, at
  most a week back) to the end of today, so the figures are "today" plus whole campaigns.
  A campaign that ended keeps the window, so its figures do not change when it ends; one
  whose start is not known (tracked, not created here) is read the whole week back;
- page by page (1,000 bills a page), remembering which bills were counted (by id) and the
  first page not yet read in full, so that each read asks only for the new pages. The
  documents do not say in which order pages come: when the ids read do not add up to the
  server's total (pages shifted because new bills came first), the reader starts again from
  page 1, a bounded number of pages per read, until they do.

A call is "answered" when the customer answered it (it has an answertime), and "dropped"
(abandoned) when the customer answered and no agent took it: no extension on the bill
(API-NOTES decision 9). Abandon rate = dropped / answered, the figure outbound rules cap at 3%.

"Today" is the server's day, in the profile's zone: the reader is given the server's time
(`now`, from the live model's server clock; API-NOTES decision 10), never this machine's.
Drops of the last 15 and 60 minutes are kept per minute of their bill's end (`DropMinutes`:
at most an hour of minutes, however many drops), for the header's "dropped 15 min / 60 min".

Trends: the day's answered and dropped calls per 15 minutes of the server's day
(`DayBuckets`: 96 slots, two counts each, for the floor and for each tracked campaign, however
many calls), by the minute each call was dialled as the server writes it (its `starttime`, in
the server's zone whatever this machine's is). They are added on the same path as the day's
totals, so the slots of the floor always add up to `today`, and a campaign's to its calls of
the day. A campaign tracked, or whose numbers changed, once bills were counted has its slots
counted back with the numbers newly followed (`follow`).

The reader keeps running totals, never the bills: a window of up to a week on a big floor
holds hundreds of thousands of bills (a bill model costs some 3.6 KB, even a small record of
one some 300 bytes), where the figures need the day's three counts and, for each number of
the tracked campaigns, its calls, answered and dropped (`NumberTally`, kept packed in one
int: some 40 bytes a number, fixed when the campaign is tracked, not growing with the day).
Each bill is added once: `CountedBills` remembers, in a few bytes for the whole window, which
were. A number that starts being followed later (a campaign tracked or topped up) is counted
back by reading the window again, a few pages at a time.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Hashable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Protocol

from wallboard.api.codes import BillDirection, CallMethod
from wallboard.api.models import Bill, BillPage
from wallboard.live.campaigns import phone_key
from wallboard.live.counted import CountedBills

PAGE_SIZE = 1000  # the documented maximum itemsperpage
MAX_PAGES_PER_READ = 10  # a read never costs more than this; the rest comes next time
LOOKBACK_DAYS = 7  # a campaign's bills are read back at most this far
ABANDON_CAP = 3  # percent: the drop budget keeps a campaign under it
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class BillSource(Protocol):
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
    ) -> BillPage: ...


# ---------------------------------------------------------------------- one bill


def agent_of(bill: Bill) -> str:
    """The extension that took the call; "" when none did ("000000" is the dialer's own)."""
    ext = bill.extnumber.strip()
    return "" if not ext or set(ext) == {"0"} else ext


def was_answered(bill: Bill) -> bool:
    """The customer answered (the bill has an answertime)."""
    answer = bill.answertime.strip()
    return bool(answer) and not answer.startswith("0000")


def was_dropped(bill: Bill) -> bool:
    """Abandoned: the customer answered and no agent took the call before `discardtime`."""
    return was_answered(bill) and not agent_of(bill)


def is_predictive(bill: Bill) -> bool:
    """A call of the predictive dialer (callmethod 5). A bill without a callmethod is taken
    to be one: GetBill was asked for predictive calls only."""
    return bill.callmethod is None or bill.callmethod == CallMethod.PREDICTIVE


def counts(bill: Bill) -> bool:
    """A bill that counts in the figures: an outgoing predictive call."""
    return is_outbound(bill) and is_predictive(bill)


def is_outbound(bill: Bill) -> bool:
    """An outgoing call (bills without a direction are taken to be: GetBill asked for them)."""
    direction = bill.direction.strip().lower()
    return direction in ("", "callout", "out", "2")


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What the figures need of one bill, while it is added to them (then both are dropped)."""

    number: str  # the customer's number, as `phone_key`
    counts: bool  # an outgoing predictive call (`counts`)
    answered: bool  # `was_answered`
    dropped: bool  # `was_dropped`
    today: bool  # dialled at or after the start of the reader's day (counts in `today`)
    ended: str = ""  # the bill's endtime, server text (its minute dates a drop)
    started: str = ""  # the bill's starttime, server text (its minute dates a trend slot)


def number_key(number: str) -> str:
    """`phone_key` of a bill's number: the number itself when it is all ASCII digits already,
    as the server writes nearly every one, without going over it character by character."""
    if number.isascii() and number.isdigit():
        return number
    return phone_key(number)


def call_record(bill: Bill | CallRecord, day_from: str = "") -> CallRecord:
    """The record of a bill; `day_from` is the server text of the day's first second."""
    if isinstance(bill, CallRecord):
        return bill
    return CallRecord(
        number=number_key(bill.destnumber),
        counts=counts(bill),
        answered=was_answered(bill),
        dropped=was_dropped(bill),
        today=bill.starttime >= day_from,
        ended=bill.endtime.strip(),
        started=bill.starttime.strip(),
    )


#: What identifies a bill across reads (see `bill_key`).
BillKey = int | tuple[str, str, str, str]


def bill_key(bill: Bill) -> BillKey:
    """What identifies a bill across reads: its id, else its times and numbers."""
    if bill.id is not None:
        return bill.id
    return (bill.starttime, bill.endtime, bill.destnumber, bill.extnumber)


# ---------------------------------------------------------------------- time


def server_text(moment: float, tz: dt.tzinfo | None) -> str:
    """Unix seconds as the server's `yyyy-mm-dd hh:mm:ss` in its zone (None: this machine's)."""
    return dt.datetime.fromtimestamp(moment, tz).strftime(TIME_FORMAT)


def day_start(moment: float, tz: dt.tzinfo | None) -> float:
    """The midnight that starts `moment`'s day in the zone, as unix seconds."""
    local = dt.datetime.fromtimestamp(moment, tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.timestamp()


def day_end_text(moment: float, tz: dt.tzinfo | None) -> str:
    """The last second of `moment`'s day, as server text."""
    local = dt.datetime.fromtimestamp(moment, tz)
    return local.replace(hour=23, minute=59, second=59, microsecond=0).strftime(TIME_FORMAT)


# ---------------------------------------------------------------------- recent drops

MINUTE = slice(0, 16)  # "yyyy-mm-dd hh:mm" of a server time text
RECENT_MINUTES = 60  # the longest span asked of `DropMinutes`


class DropMinutes:
    """Drops by the minute their bill ended (server text "yyyy-mm-dd hh:mm"), for the last
    hour only: bounded at RECENT_MINUTES + 1 entries whatever the day's drops."""

    __slots__ = ("_by_minute",)

    def __init__(self) -> None:
        self._by_minute: dict[str, int] = {}

    def add(self, ended: str, oldest: str) -> bool:
        """Count a drop whose bill ended at `ended`, unless its minute is before `oldest`."""
        minute = ended[MINUTE]
        if len(minute) < 16 or minute < oldest:
            return False
        self._by_minute[minute] = self._by_minute.get(minute, 0) + 1
        return True

    def forget_before(self, oldest: str) -> None:
        """Drop the minutes before `oldest` (kept bounded between reads)."""
        for minute in [m for m in self._by_minute if m < oldest]:
            del self._by_minute[minute]

    def since(self, oldest: str) -> int:
        """Drops from the minute `oldest` on."""
        return sum(count for minute, count in self._by_minute.items() if minute >= oldest)

    def __len__(self) -> int:
        return len(self._by_minute)


def minute_text(moment: float, tz: dt.tzinfo | None) -> str:
    """The minute of `moment` as server text ("yyyy-mm-dd hh:mm") in the zone."""
    return server_text(moment, tz)[MINUTE]


# ---------------------------------------------------------------------- trends

SLOT_MINUTES = 15  # a trend's slot: a quarter of an hour of the server's day
SLOTS = 24 * 60 // SLOT_MINUTES  # 96 slots a day


def day_slot(started: str, day_from: str) -> int:
    """The 15-minute slot (0 to 95) of the server's day in which a call dialled at `started`
    (server text, the server's zone) falls; `day_from` is the day's first second.

    Read from the text, as the server wrote it: a call at 00:07 server time is in slot 0
    whatever this machine's zone. A call of the day whose time cannot be read (or on a later
    date: the window ends with the day, so only a server that ignores it sends one) is put
    in the last slot, so that the slots still add up to the day's totals.
    """
    if started[:10] == day_from[:10]:
        hours, minutes = started[11:13], started[14:16]
        if hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60:
            return int(hours) * (60 // SLOT_MINUTES) + int(minutes) // SLOT_MINUTES
    return SLOTS - 1


def slot_starts(day_from: str, tz: dt.tzinfo | None) -> tuple[float, ...]:
    """When each slot of the day starts, as server unix seconds (its wall-clock time in the
    zone: on a day the clocks change, the slots keep their names, "02:15" and all)."""
    try:
        day = dt.date.fromisoformat(day_from[:10])
    except ValueError:
        return ()
    return tuple(
        dt.datetime(
            day.year,
            day.month,
            day.day,
            slot * SLOT_MINUTES // 60,
            slot * SLOT_MINUTES % 60,
            tzinfo=tz,
        ).timestamp()
        for slot in range(SLOTS)
    )


class DayBuckets:
    """Answered and dropped calls in each 15-minute slot of one day: 96 pairs of counts,
    the same size however many calls (a few hundred bytes for the floor or a campaign)."""

    __slots__ = ("_counts", "changes")

    def __init__(self) -> None:
        self._counts = array("q", bytes(8 * 2 * SLOTS))  # answered, dropped of each slot
        # Calls added so far: the same count, the same slots (a reader of the slots need not
        # read them again to know they did not move).
        self.changes = 0

    def add(self, slot: int, answered: bool, dropped: bool) -> None:
        """Add one call dialled in `slot` (0 to 95)."""
        counts = self._counts
        counts[2 * slot] += answered
        counts[2 * slot + 1] += dropped
        self.changes += 1

    def slot(self, slot: int) -> tuple[int, int]:
        """(answered, dropped) of one slot."""
        return self._counts[2 * slot], self._counts[2 * slot + 1]

    def slots(self, upto: int = SLOTS - 1) -> tuple[tuple[int, int], ...]:
        """(answered, dropped) of the slots from 0 through `upto`."""
        counts = self._counts
        last = max(-1, min(SLOTS - 1, upto))
        return tuple((counts[2 * i], counts[2 * i + 1]) for i in range(last + 1))

    def totals(self) -> tuple[int, int]:
        """(answered, dropped) of the whole day."""
        counts = self._counts
        return sum(counts[0::2]), sum(counts[1::2])


class _CampaignDay:
    """A tracked campaign's numbers (as `phone_key`s) and its day in slots."""

    __slots__ = ("buckets", "keys")

    def __init__(self, keys: frozenset[str]) -> None:
        self.keys = keys
        self.buckets = DayBuckets()


# ---------------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class CallFigures:
    """Calls of a day or of a campaign."""

    dialled: int = 0  # distinct numbers called (a campaign) or calls made (a day)
    answered: int = 0  # calls the customer answered
    dropped: int = 0  # of those, calls no agent took (abandoned)

    @property
    def abandon_rate(self) -> float:
        return 0.0 if self.answered <= 0 else self.dropped / self.answered


@dataclass(frozen=True, slots=True)
class NumberTally:
    """The calls to one number that count (outgoing, predictive): what its campaign needs."""

    calls: int = 0
    answered: int = 0
    dropped: int = 0


#: Each number of the tracked campaigns (`phone_key`) with the campaigns' days that hold it
#: (taskid, day): a bill is added to its campaigns' slots by one look-up, not one a campaign.
_Holders = tuple[tuple[str, _CampaignDay], ...]

#: Minutes of a day whose slot the reader remembers (a day has 1,440; more: it starts again).
_SLOTS_KEPT = 2048

#: Campaigns whose figures the reader keeps between cycles (more: it starts again).
_FIGURES_KEPT = 1024

# A number's tally packed in one int, 21 bits a field (calls, answered, dropped): a dict of
# ints is the smallest map of a campaign's numbers, and the common tallies (up to four calls)
# share one int object each.
_SHIFT = 21
_FIELD = (1 << _SHIFT) - 1
_COMMON = {
    value: value
    for calls in range(1, 5)
    for answered in range(calls + 1)
    for dropped in range(answered + 1)
    for value in [calls | answered << _SHIFT | dropped << 2 * _SHIFT]
}


def _unpacked(value: int) -> NumberTally:
    return NumberTally(value & _FIELD, value >> _SHIFT & _FIELD, value >> 2 * _SHIFT)


def drop_budget(answered: int, dropped: int) -> int:
    """More drops that still fit under 3% of the calls answered so far (never below 0).

    Integer arithmetic: floor(0.03 * answered) computed in floats is off by one at some counts.
    """
    return max(0, answered * ABANDON_CAP // 100 - dropped)


def number_keys(numbers: Iterable[str]) -> frozenset[str]:
    """A campaign's numbers as the bills know them (`phone_key`), each once.

    Worth keeping between cycles: a campaign of 10,000 numbers costs some 40 ms to reduce,
    and its numbers change far less often than its bills.
    """
    return frozenset(phone_key(n) for n in numbers)


def campaign_figures(
    numbers: Iterable[str] | AbstractSet[str],
    by_number: Mapping[str, Sequence[CallRecord | Bill]],
) -> CallFigures:
    """A campaign's figures from the bills of its numbers: dialled counts numbers, answered
    and dropped count calls (a number dialled twice and answered twice counts twice). The
    recount that the reader's running tallies (`BillReader.figures`) must always agree with.

    `numbers` may be the campaign's numbers as given, or a frozenset from `number_keys`
    (taken as already reduced, so a caller can reduce them once and reuse them).
    """
    keys = numbers if isinstance(numbers, frozenset) else number_keys(numbers)
    dialled = answered = dropped = 0
    # Only the numbers with bills: a campaign's undialled numbers cost nothing.
    for key in keys & by_number.keys():
        calls = [call_record(bill) for bill in by_number[key] or ()]
        calls = [call for call in calls if call.counts]
        if not calls:
            continue
        dialled += 1
        answered += sum(1 for call in calls if call.answered)
        dropped += sum(1 for call in calls if call.dropped)
    return CallFigures(dialled, answered, dropped)


# ---------------------------------------------------------------------- the reader


class BillReader:
    """The figures of one window of bills: read a few new pages at a time, each bill added
    once to running totals, then dropped.

    Kept: the day's totals, a tally for each number of the tracked campaigns (`follow` says
    which numbers those are), and which bills were counted (`CountedBills`: a few bytes for
    the whole window). So memory follows the campaigns' numbers, not the day's calls.

    A bill is taken to be final once read (it records a call that ended): if the server sent
    the same id again with other fields, the first reading counts.
    """

    def __init__(
        self,
        *,
        tz: dt.tzinfo | None = None,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES_PER_READ,
    ) -> None:
        self.tz = tz
        self.page_size = page_size
        self.max_pages = max_pages
        self.window: tuple[str, str] | None = None
        self.total = 0  # the server's totalitems for the window
        self.version = 0  # bumps whenever the figures change
        self._counted = CountedBills()
        self._following: frozenset[str] = frozenset()
        self._tallies: dict[str, int] = {}  # every followed number: its packed tally
        # Campaigns' figures by their numbers' set (the entry holds the set, so its id stays
        # unique), and the numbers tallied since they were made, with their tallies then: a
        # campaign none of whose numbers took a call keeps its figures when the bills move
        # on, and one whose numbers did is moved on by those numbers' calls alone.
        self._figures: dict[int, tuple[AbstractSet[str], CallFigures]] = {}
        self._touched: dict[str, int] = {}
        self._recount: _Recount | None = None
        self._next_page = 1
        self._day_from = ""
        self._day = CallFigures()
        self._drops = DropMinutes()
        self._recent_from = ""  # the oldest minute `_drops` keeps (an hour before `now`)
        self._day_slots = DayBuckets()  # the floor's day per 15 minutes
        self._campaign_days: dict[str, _CampaignDay] = {}  # each tracked campaign's, by taskid
        self._holders: dict[str, _Holders] = {}  # kept in step with `_campaign_days`
        self._slot_starts: tuple[float, ...] = ()
        # The slot of each minute ("yyyy-mm-dd hh:mm" of a starttime) met this day: the bills
        # of a read come from a few minutes.
        self._minute_slots: dict[str, int] = {}

    @property
    def read_count(self) -> int:
        """Distinct bills of the window counted so far."""
        return len(self._counted)

    def tally(self, number: str) -> NumberTally | None:
        """A followed number's calls (`phone_key`); None when it is not followed."""
        value = self._tallies.get(number)
        return None if value is None else _unpacked(value)

    @property
    def today(self) -> CallFigures:
        """Predictive calls since local midnight: made, customer-answered, dropped."""
        return self._day

    @property
    def day(self) -> str:
        """The server's day the figures are of ("yyyy-mm-dd"); "" before the first read."""
        return self._day_from[:10]

    @property
    def slot_starts(self) -> tuple[float, ...]:
        """When each 15-minute slot of the day starts (server unix seconds); () before a read."""
        if not self._slot_starts and self._day_from:
            self._slot_starts = slot_starts(self._day_from, self.tz)
        return self._slot_starts

    def day_slots(self, taskid: str | None = None) -> DayBuckets | None:
        """The day per 15 minutes: the floor's (`taskid` None), or a tracked campaign's (None
        when the campaign is not followed). Live objects: read them, do not keep them."""
        if taskid is None:
            return self._day_slots
        campaign = self._campaign_days.get(taskid)
        return None if campaign is None else campaign.buckets

    def slot_of(self, now: float) -> int:
        """The slot of server time `now` in the reader's day: the last slot once the day is
        over (until a read starts the new one), -1 before it."""
        text = server_text(now, self.tz)
        if not self._day_from or text < self._day_from:
            return -1
        return day_slot(text, self._day_from)

    def dropped_within(self, minutes: int, now: float) -> int:
        """Drops whose bill ended in the last `minutes` (at most RECENT_MINUTES) of server
        time `now`, to the minute: the current minute and the `minutes` - 1 before it."""
        minutes = max(1, min(RECENT_MINUTES, minutes))
        return self._drops.since(minute_text(now - (minutes - 1) * 60.0, self.tz))

    @property
    def recounting(self) -> bool:
        """Numbers newly followed are being counted back over the window already read."""
        return self._recount is not None

    @property
    def complete(self) -> bool:
        """Every bill of the window has been counted (as far as the last answer said)."""
        return self.window is not None and len(self._counted) >= self.total and not self.recounting

    def figures(self, numbers: AbstractSet[str]) -> CallFigures:
        """A campaign's figures from its numbers (`number_keys`; followed ones only).

        Summed once (and again when the numbers followed, or the day, changed); after that
        moved on by the calls of its numbers tallied since, so that a read of new bills
        costs their numbers, not the campaigns' numbers."""
        cache = self._figures
        if self._touched:
            self._move_figures_on()
        known = cache.get(id(numbers))
        if known is not None and known[0] is numbers:
            return known[1]
        values = [value for value in map(self._tallies.get, numbers) if value]
        figures = CallFigures(
            dialled=len(values),
            answered=sum(value >> _SHIFT & _FIELD for value in values),
            dropped=sum(value >> 2 * _SHIFT for value in values),
        )
        if len(cache) >= _FIGURES_KEPT:
            cache.clear()
        cache[id(numbers)] = (numbers, figures)
        return figures

    def _move_figures_on(self) -> None:
        """Add the calls tallied since the figures were made to each campaign's figures
        that holds their numbers: each number's tally now less its tally then."""
        touched, tallies = self._touched, self._tallies
        # A tracked campaign's numbers among those tallied, by the set of its numbers: found
        # from the numbers tallied (a few hundred a read), not from every campaign's numbers.
        campaigns = {id(day.keys): day.keys for day in self._campaign_days.values()}
        by_keys: dict[int, list[str]] = {}
        holders = self._holders
        for number in touched:
            held_by = holders.get(number, ())
            if len(held_by) == 1:
                by_keys.setdefault(id(held_by[0][1].keys), []).append(number)
                continue
            for ident in {id(day.keys) for _taskid, day in held_by}:  # a set given twice: once
                by_keys.setdefault(ident, []).append(number)
        for key, (keys, figures) in list(self._figures.items()):
            held: Iterable[str]
            if campaigns.get(id(keys)) is keys:
                held = by_keys.get(id(keys), ())
            elif isinstance(keys, (set, frozenset)):
                held = keys.intersection(touched)  # in C, over the smaller of the two
            else:
                held = [number for number in touched if number in keys]
            if not held:
                continue
            dialled, answered, dropped = figures.dialled, figures.answered, figures.dropped
            for number in held:
                before, now = touched[number], tallies.get(number, 0)
                dialled += bool(now & _FIELD) - bool(before & _FIELD)
                answered += (now >> _SHIFT & _FIELD) - (before >> _SHIFT & _FIELD)
                dropped += (now >> 2 * _SHIFT) - (before >> 2 * _SHIFT)
            self._figures[key] = (keys, CallFigures(dialled, answered, dropped))
        touched.clear()

    def dialled(self, number: str) -> bool:
        """A followed number (`phone_key`) has a finished call in the window."""
        return bool(self._tallies.get(number, 0) & _FIELD)

    def answered(self, number: str) -> int:
        """A followed number's (`phone_key`) finished calls in the window that were answered."""
        return self._tallies.get(number, 0) >> _SHIFT & _FIELD

    def _forget_figures(self) -> None:
        """The tallies changed beyond single numbers' calls: every campaign's figures are
        summed again."""
        self._figures.clear()
        self._touched.clear()

    def follow(
        self,
        numbers: AbstractSet[str],
        campaigns: Mapping[str, frozenset[str]] | None = None,
    ) -> bool:
        """The numbers (`phone_key`s) whose calls are tallied: the tracked campaigns'; and,
        when given, the campaigns themselves (taskid: its numbers' keys), whose day is kept
        per 15 minutes (`day_slots`). None leaves the campaigns as they were.

        A number no longer followed loses its tally, a campaign no longer given its slots.
        A number newly followed, or a campaign new or with other numbers, once bills were
        counted is counted back: the window is read again from its first page, with the
        pages a read has left after the new bills, until every bill has been seen again;
        meanwhile its tally and slots grow (`recounting`). True when anything changed.
        """
        wanted = frozenset(numbers)  # the same object when given a frozenset
        rebuilt = self._follow_campaigns(campaigns) if campaigns is not None else None
        if (wanted is self._following or wanted == self._following) and rebuilt is None:
            return False
        rebuilt = rebuilt or set()
        before = self._following
        self._following = wanted
        tallies = self._tallies
        self._forget_figures()
        for gone in before - wanted:
            del tallies[gone]
        added = wanted - before
        tallies.update(dict.fromkeys(added, 0))
        recount = self._recount
        if recount is not None:
            recount.numbers &= wanted
            recount.campaigns &= self._campaign_days.keys()
        if (added or rebuilt) and len(self._counted):
            # One pass for every number and campaign still to count back, from page 1: a
            # number's bills can only be told apart by reading them, so its tally (and a
            # campaign's slots) start again too.
            waiting = set(added)
            again = set(rebuilt)
            if recount is not None:
                waiting |= recount.numbers
                tallies.update(dict.fromkeys(recount.numbers, 0))
                for taskid in recount.campaigns - again:
                    self._campaign_days[taskid].buckets = DayBuckets()
                again |= recount.campaigns
            recount = self._recount = _Recount(waiting, again)
        if recount is not None and not recount.numbers and not recount.campaigns:
            self._recount = None
        self.version += 1
        return True

    def _follow_campaigns(self, campaigns: Mapping[str, frozenset[str]]) -> set[str] | None:
        """Take the tracked campaigns; the taskids whose slots start again (new, or with
        other numbers), or None when nothing changed."""
        days = self._campaign_days
        kept: dict[str, _CampaignDay] = {}
        fresh: set[str] = set()
        for taskid, keys in campaigns.items():
            day = days.get(taskid)
            if day is None or (day.keys is not keys and day.keys != keys):
                day = _CampaignDay(keys)
                fresh.add(taskid)
            else:
                day.keys = keys  # the same numbers: the set the figures are asked with
            kept[taskid] = day
        if not fresh and kept.keys() == days.keys():
            return None
        self._campaign_days = kept
        self._hold(
            [(taskid, day) for taskid, day in days.items() if kept.get(taskid) is not day],
            [(taskid, kept[taskid]) for taskid in fresh],
        )
        return fresh

    def _hold(
        self, gone: Sequence[tuple[str, _CampaignDay]], came: Sequence[tuple[str, _CampaignDay]]
    ) -> None:
        """Keep `_holders` in step with the campaigns' days: the numbers of the days dropped
        or replaced lose them, those of the new days gain them (only the campaigns that
        changed are gone over)."""
        holders = self._holders
        for _taskid, day in gone:
            for number in day.keys:
                held = tuple(entry for entry in holders.get(number, ()) if entry[1] is not day)
                if held:
                    holders[number] = held
                else:
                    holders.pop(number, None)
        for taskid, day in came:
            entry = (taskid, day)
            for number in day.keys:
                holding = holders.get(number)
                holders[number] = (entry,) if holding is None else (*holding, entry)

    def window_for(self, now: float, since: Iterable[float] = ()) -> tuple[str, str, str]:
        """(start, end, day start) as server text: today, stretched back to cover `since`."""
        midnight = day_start(now, self.tz)
        oldest = max(midnight - LOOKBACK_DAYS * 86400.0, min([midnight, *since]))
        return (
            server_text(oldest, self.tz),
            day_end_text(now, self.tz),
            server_text(midnight, self.tz),
        )

    async def read(self, source: BillSource, now: float, since: Iterable[float] = ()) -> bool:
        """Read what is new (at most `max_pages` pages), then count back for newly followed
        numbers with the pages left; True when the figures changed.

        Raises the client's errors; what was counted before the error is kept.
        """
        start, end, day_from = self.window_for(now, since)
        changed = False
        if (start, end) != self.window or day_from != self._day_from:
            self._reset(start, end, day_from)
            changed = True
        self._recent_from = minute_text(now - (RECENT_MINUTES - 1) * 60.0, self.tz)
        self._drops.forget_before(self._recent_from)
        page = self._next_page
        started_over = False
        pages = 0
        # A recount always has a page of each read, so that it ends even while bills pour in.
        budget = self.max_pages - 1 if self._recount is not None else self.max_pages
        while pages < budget:
            answer = await self._page(source, page)
            pages += 1
            changed |= self._fold(answer.bills)
            full = len(answer.bills) >= self.page_size
            if len(self._counted) >= self.total:
                self._next_page = page + 1 if full else page
                break
            if full and page * self.page_size < self.total:
                page += 1
                self._next_page = page
                continue
            # The end of the list, yet bills are missing: pages shifted. Start over, once.
            if started_over:
                self._next_page = page
                break
            started_over = True
            self._next_page = page = 1
        if self._recount is not None:
            changed |= await self._count_back(source, self.max_pages - pages)
        if changed:
            self.version += 1
        return changed

    async def _page(self, source: BillSource, page: int) -> BillPage:
        assert self.window is not None
        answer = await source.bills(
            *self.window,
            syncflag=3,
            direction=BillDirection.OUT,
            callmethod=CallMethod.PREDICTIVE,
            currentpage=page,
            itemsperpage=self.page_size,
        )
        self.total = answer.totalitems
        return answer

    async def _count_back(self, source: BillSource, pages: int) -> bool:
        """Read the window again from the recount's page on, for the newly followed numbers."""
        recount = self._recount
        assert recount is not None
        changed = False
        started_over = False
        for _ in range(pages):
            answer = await self._page(source, recount.page)
            changed |= self._fold(answer.bills, recount)
            if len(recount.seen) >= self.total:
                self._recount = None  # every bill seen again: the new numbers' tallies are whole
                return True
            if len(answer.bills) >= self.page_size and recount.page * self.page_size < self.total:
                recount.page += 1
                continue
            if started_over:
                break
            started_over = True
            recount.page = 1
        return changed

    def _reset(self, start: str, end: str, day_from: str) -> None:
        self.window = (start, end)
        self._day_from = day_from
        self._counted = CountedBills()
        self._tallies = dict.fromkeys(self._following, 0)
        self._forget_figures()
        self._recount = None  # the whole window is read afresh: every number from the start
        self._next_page = 1
        self.total = 0
        self._day = CallFigures()
        self._drops = DropMinutes()
        self._day_slots = DayBuckets()
        self._slot_starts = ()
        self._minute_slots = {}
        for campaign in self._campaign_days.values():
            campaign.buckets = DayBuckets()

    def _fold(self, bills: Iterable[Bill], recount: _Recount | None = None) -> bool:
        """Add each bill not counted before to the day and to its number's tally.

        During a recount, a bill already counted is added to the tally of a newly followed
        number once more, the first time it is seen again (`_Recount.tallied` says which).

        A read's bills cost what they are, not what is tracked: a bill's campaigns are found
        by its number (`_holders`), its fields are read once, and the day's figures are
        made once a read.
        """
        changed = False
        pending = self._recount
        counted, tallies, holders = self._counted, self._tallies, self._holders
        day_from, day_slots = self._day_from, self._day_slots
        calls = answered_today = dropped_today = 0
        try:
            for bill in bills:
                key = bill_key(bill)
                if recount is not None:
                    recount.seen.add(key)
                if counted.add(key):
                    changed = True
                    if not counts(bill):
                        continue
                    number = number_key(bill.destnumber)
                    answered = was_answered(bill)
                    dropped = answered and not agent_of(bill)
                    if bill.starttime >= day_from:
                        calls += 1
                        answered_today += answered
                        dropped_today += dropped
                        if dropped:
                            self._drops.add(bill.endtime.strip(), self._recent_from)
                        slot = self._slot(bill.starttime.strip())
                        day_slots.add(slot, answered, dropped)
                        held = holders.get(number)
                        if held is not None:
                            in_pending = False
                            for taskid, campaign in held:
                                campaign.buckets.add(slot, answered, dropped)
                                in_pending |= pending is not None and taskid in pending.campaigns
                            if in_pending and pending is not None:
                                pending.slotted.add(key)
                    if number in tallies:
                        self._tally(number, answered, dropped)
                        if pending is not None and number in pending.numbers:
                            pending.tallied.add(key)
                elif pending is not None:
                    call = call_record(bill, day_from)
                    if not call.counts:
                        continue
                    if call.number in pending.numbers and pending.tallied.add(key):
                        self._tally(call.number, call.answered, call.dropped)
                        changed = True
                    if call.today and pending.campaigns:
                        changed |= self._slot_again(key, call, pending)
        finally:
            if calls:
                day = self._day
                self._day = CallFigures(
                    day.dialled + calls, day.answered + answered_today, day.dropped + dropped_today
                )
        return changed

    def _slot(self, started: str) -> int:
        """`day_slot` of a starttime of the reader's day, remembered by its minute."""
        minute = started[MINUTE]
        slot = self._minute_slots.get(minute)
        if slot is None:
            if len(self._minute_slots) >= _SLOTS_KEPT:
                self._minute_slots.clear()
            slot = self._minute_slots[minute] = day_slot(started, self._day_from)
        return slot

    def _slot_again(self, key: Hashable, call: CallRecord, pending: _Recount) -> bool:
        """Add a call of the day counted before to the slots of the campaigns being counted
        back that have its number, the first time this pass sees it again."""
        days = [
            self._campaign_days[taskid].buckets
            for taskid in pending.campaigns
            if call.number in self._campaign_days[taskid].keys
        ]
        if not days or not pending.slotted.add(key):
            return False
        slot = self._slot(call.started)
        for buckets in days:
            buckets.add(slot, call.answered, call.dropped)
        return True

    def _tally(self, number: str, answered: bool, dropped: bool) -> None:
        before = self._tallies[number]
        value = before + (1 | answered << _SHIFT | dropped << 2 * _SHIFT)
        self._tallies[number] = _COMMON.get(value, value)
        self._touched.setdefault(number, before)


class _Recount:
    """Numbers newly followed (and campaigns whose slots start again), counted back over the
    window: which bills this pass has seen (it is over when that is all of them), which were
    added to those numbers' tallies, and which to those campaigns' slots."""

    __slots__ = ("campaigns", "numbers", "page", "seen", "slotted", "tallied")

    def __init__(self, numbers: set[str], campaigns: set[str] | None = None) -> None:
        self.numbers = numbers
        self.campaigns = campaigns or set()
        self.page = 1
        self.seen = CountedBills()
        self.tallied = CountedBills()
        self.slotted = CountedBills()


__all__ = [
    "ABANDON_CAP",
    "SLOTS",
    "SLOT_MINUTES",
    "BillReader",
    "CallFigures",
    "CallRecord",
    "DayBuckets",
    "DropMinutes",
    "NumberTally",
    "agent_of",
    "call_record",
    "campaign_figures",
    "counts",
    "day_end_text",
    "day_slot",
    "day_start",
    "drop_budget",
    "is_outbound",
    "is_predictive",
    "minute_text",
    "number_key",
    "number_keys",
    "server_text",
    "slot_starts",
    "was_answered",
    "was_dropped",
]
