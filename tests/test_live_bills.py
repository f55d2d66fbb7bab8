"""Reading bills incrementally: syncflag 3 always, only the new pages, whatever order the
server gives its pages in, and a fresh window at midnight."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import tracemalloc
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wallboard.api.models import Bill, BillPage
from wallboard.live.bills import (
    BillReader,
    CallFigures,
    DropMinutes,
    NumberTally,
    campaign_figures,
    counts,
    is_outbound,
    minute_text,
    number_keys,
    server_text,
    was_answered,
    was_dropped,
)
from wallboard.live.campaigns import phone_key
from wallboard.live.counted import CountedBills

UTC = dt.UTC
NINE = dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC).timestamp()


class Bills:
    """An in-memory GetBill: filters by dial time, pages `per_page` at a time, in id order
    (or newest first with `newest_first`), and records every request."""

    def __init__(self, *, newest_first: bool = False) -> None:
        self.rows: list[Bill] = []
        self.requests: list[dict[str, object]] = []
        self.newest_first = newest_first

    def add(
        self,
        count: int,
        *,
        at: str = "2026-01-05 08:00:00",
        answered: bool = True,
        ext: str = "1001",
        number: str = "13800000001",
        method: int | None = 5,
    ) -> None:
        for _ in range(count):
            self.rows.append(
                Bill(
                    id=len(self.rows) + 1,
                    starttime=at,
                    answertime=at if answered else "",
                    extnumber=ext,
                    destnumber=number,
                    direction="callout",
                    callmethod=method,
                )
            )

    async def bills(self, starttime: str, endtime: str, **form: int) -> BillPage:
        self.requests.append({"starttime": starttime, "endtime": endtime, **form})
        rows = [b for b in self.rows if starttime <= b.starttime <= endtime]
        if self.newest_first:
            rows.reverse()
        page, per = form["currentpage"], form["itemsperpage"]
        chosen = rows[(page - 1) * per : page * per]
        return BillPage(totalitems=len(rows), currentpage=page, itemsperpage=per, bills=chosen)


def test_answered_and_dropped() -> None:
    assert was_dropped(Bill(answertime="2026-01-05 09:00:01", extnumber=""))
    assert was_dropped(Bill(answertime="2026-01-05 09:00:01", extnumber="000000"))
    assert not was_dropped(Bill(answertime="2026-01-05 09:00:01", extnumber="1001"))
    assert not was_dropped(Bill(answertime=None, extnumber=""))  # type: ignore[arg-type]
    assert not was_answered(Bill(answertime="0000-00-00 00:00:00"))
    assert is_outbound(Bill(direction="callout")) and not is_outbound(Bill(direction="callin"))


async def test_only_new_pages_are_read_with_syncflag_3() -> None:
    source = Bills()
    source.add(2500)
    reader = BillReader(tz=UTC, page_size=1000)
    assert await reader.read(source, NINE)
    assert len(source.requests) == 3 and reader.complete
    assert {r["syncflag"] for r in source.requests} == {3}
    assert source.requests[0]["starttime"] == "2026-01-05 00:00:00"
    assert source.requests[0]["endtime"] == "2026-01-05 23:59:59"

    source.requests.clear()
    assert not await reader.read(source, NINE + 10)  # nothing new: one request, the last page
    assert [r["currentpage"] for r in source.requests] == [3]

    source.requests.clear()
    source.add(700, answered=False)  # fills page 3, spills onto page 4
    assert await reader.read(source, NINE + 20)
    assert [r["currentpage"] for r in source.requests] == [3, 4]
    assert reader.read_count == 3200
    assert reader.today.answered == 2500 and reader.today.dialled == 3200


async def test_a_read_is_bounded_and_continues_next_time() -> None:
    source = Bills()
    source.add(35)
    reader = BillReader(tz=UTC, page_size=10, max_pages=2)
    await reader.read(source, NINE)
    assert len(source.requests) == 2 and reader.read_count == 20 and not reader.complete
    await reader.read(source, NINE + 1)
    assert reader.read_count == 35 and reader.complete
    assert [r["currentpage"] for r in source.requests] == [1, 2, 3, 4]


async def test_pages_that_shift_are_read_again_from_the_start() -> None:
    source = Bills(newest_first=True)
    source.add(25)
    reader = BillReader(tz=UTC, page_size=10)
    await reader.read(source, NINE)
    assert reader.read_count == 25
    source.add(3, ext="", number="13800000009")  # new bills arrive on page 1
    await reader.read(source, NINE + 1)
    assert reader.read_count == 28 and reader.complete
    assert reader.today.dropped == 3


async def test_a_new_day_starts_a_new_window() -> None:
    source = Bills()
    source.add(5, at="2026-01-05 10:00:00")
    reader = BillReader(tz=UTC)
    await reader.read(source, NINE + 3600)
    assert reader.today.answered == 5
    source.add(2, at="2026-01-06 00:00:05")
    tomorrow = NINE + 15 * 3600 + 60  # 2026-01-06 00:01
    assert await reader.read(source, tomorrow)
    assert source.requests[-1]["starttime"] == "2026-01-06 00:00:00"
    assert reader.today.answered == 2 and reader.read_count == 2


async def test_a_running_campaign_stretches_the_window_back_but_not_the_day() -> None:
    source = Bills()
    source.add(4, at="2026-01-04 15:00:00", number="13800000001")
    source.add(1, at="2026-01-05 08:00:00", number="13800000001")
    reader = BillReader(tz=UTC)
    reader.follow({"13800000001"})
    yesterday = NINE - 86400
    await reader.read(source, NINE, since=[yesterday])
    assert source.requests[-1]["starttime"] == server_text(yesterday, UTC)
    assert reader.tally("13800000001") == NumberTally(5, 5, 0)  # the campaign sees all its calls
    assert reader.today.answered == 1  # the day only its own


async def test_the_lookback_is_capped_at_a_week() -> None:
    source = Bills()
    reader = BillReader(tz=UTC)
    await reader.read(source, NINE, since=[NINE - 30 * 86400])
    assert source.requests[-1]["starttime"] == "2025-12-29 00:00:00"


@pytest.mark.parametrize("tz", [UTC, dt.timezone(dt.timedelta(hours=8))])
def test_server_time_in_its_zone(tz: dt.tzinfo) -> None:
    text = server_text(NINE, tz)
    assert text == ("2026-01-05 09:00:00" if tz is UTC else "2026-01-05 17:00:00")


async def test_only_predictive_calls_count() -> None:
    """An agent's manual call (2) or a call to another extension (1) has an agent on it by
    definition: it is neither the dialer's nor ever dropped, so it stays out of the figures.
    A bill without a callmethod counts: GetBill was asked for predictive calls only."""
    source = Bills()
    source.add(3, ext="", number="13800000001")  # predictive, dropped
    source.add(1, ext="1001", number="13800000001", method=None)  # predictive, no method
    source.add(6, ext="1001", number="13800000002", method=2)  # manual
    source.add(2, ext="1002", number="1003", method=1)  # agent to agent
    reader = BillReader(tz=UTC)
    numbers = number_keys(["13800000001", "13800000002"])
    reader.follow(numbers)
    await reader.read(source, NINE)
    assert {r["callmethod"] for r in source.requests} == {5}
    today = reader.today
    assert (today.dialled, today.answered, today.dropped) == (4, 4, 3)
    figures = reader.figures(numbers)
    assert (figures.dialled, figures.answered, figures.dropped) == (1, 4, 3)
    assert figures == campaign_figures(numbers, _by_number(source.rows))


class WireBills:
    """A GetBill whose every answer is parsed afresh from rows, as the client's are: a reader
    that kept the models would keep the ones it was given."""

    def __init__(self, count: int) -> None:
        self.rows = [
            {
                "id": str(i),
                "starttime": "2026-01-05 08:00:00",
                "answertime": "2026-01-05 08:00:09" if i % 3 else "",
                "endtime": "2026-01-05 08:01:30",
                "extnumber": "" if i % 7 == 0 else "1001",
                "destnumber": f"86138{i:08d}",
                "direction": "callout",
                "callmethod": "5",
                "userid": "crm-user-0042",
                "customuuid": f"uuid-{i:032d}",
                "recordfilename": f"/records/2026-01-05/{i:08d}.wav",
            }
            for i in range(1, count + 1)
        ]

    async def bills(self, starttime: str, endtime: str, **form: int) -> BillPage:
        page, per = form["currentpage"], form["itemsperpage"]
        return BillPage.model_validate(
            {
                "totalitems": len(self.rows),
                "currentpage": page,
                "itemsperpage": per,
                "bills": self.rows[(page - 1) * per : page * per],
            }
        )


async def test_the_reader_keeps_totals_not_bills() -> None:
    """A week's window on a big floor holds hundreds of thousands of bills: the reader keeps
    the day's totals and which bills it counted (runs of ids: a few bytes for them all),
    never a record per bill (some 300 bytes each, which made 86 MB a simulated day)."""
    count = 10_000
    source = WireBills(count)
    reader = BillReader(tz=UTC, page_size=1000, max_pages=count // 1000)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        await reader.read(source, NINE)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert reader.complete and reader.read_count == count
    assert kept < 16_000, f"{kept} bytes kept for {count:,} bills"
    dropped = sum(1 for i in range(1, count + 1) if i % 7 == 0 and i % 3)
    expected = (count, count - count // 3, dropped)
    today = reader.today
    assert (today.dialled, today.answered, today.dropped) == expected


async def test_numbers_followed_later_are_counted_back() -> None:
    """A campaign tracked (or topped up) once the day's bills were counted: its numbers' bills
    already read are counted again from page 1, with the pages each read has left after the
    new ones, while the day's figures go on as before and count nothing twice."""
    source = Bills()
    source.add(25, number="13800000001")
    source.add(5, ext="", number="13800000002")  # dropped
    reader = BillReader(tz=UTC, page_size=10, max_pages=2)
    reader.follow({"13800000001"})
    await reader.read(source, NINE)
    await reader.read(source, NINE + 1)
    assert reader.complete and reader.figures({"13800000002"}) == CallFigures()
    assert reader.follow({"13800000001", "13800000002"})
    assert reader.recounting and not reader.complete
    assert not reader.follow({"13800000002", "13800000001"})  # the same numbers: nothing to do

    source.add(1, ext="", number="13800000002")  # a new bill while the recount runs
    source.requests.clear()
    reads = 0
    while not reader.complete and reads < 10:
        await reader.read(source, NINE + 2 + reads)
        reads += 1
    pages = [r["currentpage"] for r in source.requests]
    assert pages == [4, 1, 4, 2, 4, 3, 4, 4]  # the new page first, then the window again
    assert reader.figures({"13800000002"}) == CallFigures(dialled=1, answered=6, dropped=6)
    assert reader.figures({"13800000001"}) == CallFigures(dialled=1, answered=25, dropped=0)
    assert reader.today == CallFigures(dialled=31, answered=31, dropped=6)
    assert reader.read_count == 31

    assert reader.follow({"13800000001"})  # the campaign no longer has that number
    assert reader.tally("13800000002") is None
    assert reader.figures({"13800000002"}) == CallFigures()


def _by_number(rows: Iterable[Bill]) -> dict[str, list[Bill]]:
    """The recount's input: every bill by its number, as the reader once kept them."""
    by_number: dict[str, list[Bill]] = {}
    for bill in rows:
        by_number.setdefault(phone_key(bill.destnumber), []).append(bill)
    return by_number


NUMBERS = ("13800000001", "+86 138-0000-0002", "8613800000002", "13800000003", "1004")
TIMES = ("2026-01-04 23:59:59", "2026-01-05 00:00:00", "2026-01-05 08:00:00")


@st.composite
def arrivals(draw: st.DrawFn) -> list[list[Bill]]:
    """Bills with ids in any order (some without one), arriving in batches."""
    ids = draw(st.lists(st.integers(1, 300), unique=True, max_size=60))
    rows = []
    for n, bill_id in enumerate(ids):
        rows.append(
            Bill(
                id=None if draw(st.integers(0, 9)) == 0 else bill_id,
                starttime=draw(st.sampled_from(TIMES)),
                answertime="2026-01-05 08:00:05" if draw(st.booleans()) else "",
                endtime=f"2026-01-05 09:{n // 60:02d}:{n % 60:02d}",  # tells id-less bills apart
                extnumber=draw(st.sampled_from(["", "1001", "000000"])),
                destnumber=draw(st.sampled_from(NUMBERS)),
                direction=draw(st.sampled_from(["callout", "callin", ""])),
                callmethod=draw(st.sampled_from([5, 5, 2, None])),
            )
        )
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), max_size=4)))
    return [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)]


@settings(max_examples=150, deadline=None)
@given(
    batches=arrivals(),
    follows=st.lists(st.sets(st.sampled_from(NUMBERS)), min_size=1, max_size=5),
    newest_first=st.booleans(),
    page_size=st.integers(1, 6),
    max_pages=st.integers(1, 3),
)
def test_running_totals_equal_a_recount(
    batches: list[list[Bill]],
    follows: list[set[str]],
    newest_first: bool,
    page_size: int,
    max_pages: int,
) -> None:
    """Whatever the order of pages, however often a bill is read again, and whichever numbers
    start or stop being followed on the way, the running totals are what counting every bill
    of the window once gives."""
    source = Bills(newest_first=newest_first)
    reader = BillReader(tz=UTC, page_size=page_size, max_pages=max_pages)
    since = [NINE - 86400]

    followed = frozenset[str]()

    async def run() -> None:
        nonlocal followed
        for step, batch in enumerate(batches):
            source.rows.extend(batch)
            followed = number_keys(follows[step % len(follows)])
            reader.follow(followed)
            reader.figures(followed)  # kept by the reader until its numbers take calls
            await reader.read(source, NINE + step, since)
            reader.figures(followed)
        for extra in range(500):
            if reader.complete:
                break
            await reader.read(source, NINE + 100 + extra, since)

    asyncio.run(run())
    rows = source.rows
    assert reader.complete and reader.read_count == len(rows)
    today = [bill for bill in rows if counts(bill) and bill.starttime >= "2026-01-05 00:00:00"]
    assert reader.today == CallFigures(
        len(today), sum(map(was_answered, today)), sum(map(was_dropped, today))
    )
    by_number = _by_number(rows)
    for numbers in [followed, *({key} for key in followed)]:
        assert reader.figures(numbers) == campaign_figures(numbers, by_number)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(-5, 60),
            st.integers(2**62, 2**64),
            st.tuples(st.sampled_from(TIMES), st.sampled_from(NUMBERS)),
        )
    )
)
def test_counted_bills_is_a_set(keys: list[int | tuple[str, str]]) -> None:
    counted, plain = CountedBills(), set()
    for key in keys:
        assert counted.add(key) == (key not in plain)
        plain.add(key)
        assert key in counted and len(counted) == len(plain)
    ints = sorted(k for k in plain if isinstance(k, int) and -(2**63) < k < 2**63 - 1)
    runs = sum(1 for i, k in enumerate(ints) if i == 0 or ints[i - 1] != k - 1)
    assert counted.runs == runs  # consecutive ids share one run
    assert all((k in counted) == (k in plain) for k in range(-8, 64))


async def test_drops_of_the_last_15_and_60_minutes_by_their_end() -> None:
    """Drops are dated by their bill's end (server time, to the minute); an hour of minutes
    is all that is kept, however many drops the day had."""
    source = Bills()

    def drop(ended: str, *, by_agent: bool = False) -> None:
        source.rows.append(
            Bill(
                id=len(source.rows) + 1,
                starttime="2026-01-05 07:00:00",
                answertime="2026-01-05 07:00:05",
                endtime=ended,
                extnumber="1001" if by_agent else "",
                destnumber="13800000001",
                direction="callout",
                callmethod=5,
            )
        )

    drop("2026-01-05 08:59:59")  # 1 s ago: the current minute is 09:00, this is 08:59
    drop("2026-01-05 08:46:00")  # the 15th minute back (08:46 .. 09:00 are 15 minutes)
    drop("2026-01-05 08:45:59")  # the 16th: not in 15 min
    drop("2026-01-05 08:01:00")  # the 60th minute back
    drop("2026-01-05 08:00:59")  # the 61st: not in the hour
    drop("2026-01-05 08:50:00", by_agent=True)  # an agent took it: no drop
    reader = BillReader(tz=UTC)
    await reader.read(source, NINE)
    assert reader.today.dropped == 5
    assert (reader.dropped_within(15, NINE), reader.dropped_within(60, NINE)) == (2, 4)
    assert reader.dropped_within(60, NINE + 3600) == 0  # an hour later: nothing recent
    await reader.read(source, NINE + 3600)
    assert reader.today.dropped == 5 and reader.dropped_within(60, NINE + 3600) == 0
    assert len(reader._drops) == 0


def test_drop_minutes_stay_bounded() -> None:
    minutes = DropMinutes()
    for minute in range(600):
        stamp = dt.datetime.fromtimestamp(NINE + minute * 60, UTC).strftime("%Y-%m-%d %H:%M:%S")
        oldest = minute_text(NINE + (minute - 59) * 60, UTC)
        minutes.add(stamp, oldest)
        minutes.forget_before(oldest)
        assert len(minutes) <= 60
    assert minutes.since(minute_text(NINE + 599 * 60 - 14 * 60, UTC)) == 15
