"""Reading bills incrementally: syncflag 3 always, only the new pages, whatever order the
server gives its pages in, and a fresh window at midnight."""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc

import pytest

from wallboard.api.models import Bill, BillPage
from wallboard.live.bills import (
    BillReader,
    CallRecord,
    campaign_figures,
    is_outbound,
    server_text,
    was_answered,
    was_dropped,
)

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
    assert len(reader.bills) == 3200
    assert reader.today.answered == 2500 and reader.today.dialled == 3200


async def test_a_read_is_bounded_and_continues_next_time() -> None:
    source = Bills()
    source.add(35)
    reader = BillReader(tz=UTC, page_size=10, max_pages=2)
    await reader.read(source, NINE)
    assert len(source.requests) == 2 and len(reader.bills) == 20 and not reader.complete
    await reader.read(source, NINE + 1)
    assert len(reader.bills) == 35 and reader.complete
    assert [r["currentpage"] for r in source.requests] == [1, 2, 3, 4]


async def test_pages_that_shift_are_read_again_from_the_start() -> None:
    source = Bills(newest_first=True)
    source.add(25)
    reader = BillReader(tz=UTC, page_size=10)
    await reader.read(source, NINE)
    assert len(reader.bills) == 25
    source.add(3, ext="", number="13800000009")  # new bills arrive on page 1
    await reader.read(source, NINE + 1)
    assert len(reader.bills) == 28 and reader.complete
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
    assert reader.today.answered == 2 and len(reader.bills) == 2


async def test_a_running_campaign_stretches_the_window_back_but_not_the_day() -> None:
    source = Bills()
    source.add(4, at="2026-01-04 15:00:00", number="13800000001")
    source.add(1, at="2026-01-05 08:00:00", number="13800000001")
    reader = BillReader(tz=UTC)
    yesterday = NINE - 86400
    await reader.read(source, NINE, since=[yesterday])
    assert source.requests[-1]["starttime"] == server_text(yesterday, UTC)
    assert len(reader.by_number["13800000001"]) == 5  # the campaign sees all its calls
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
    await reader.read(source, NINE)
    assert {r["callmethod"] for r in source.requests} == {5}
    today = reader.today
    assert (today.dialled, today.answered, today.dropped) == (4, 4, 3)
    figures = campaign_figures(["13800000001", "13800000002"], reader.by_number)
    assert (figures.dialled, figures.answered, figures.dropped) == (1, 4, 3)


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


async def test_the_reader_keeps_records_not_bills() -> None:
    """A week's window on a big floor holds hundreds of thousands of bills: each is kept as a
    small record (some 300 bytes), not as its model (some 1.5 KB traced, more resident)."""
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
    assert reader.complete and len(reader.bills) == count
    assert all(type(record) is CallRecord for record in reader.bills)
    assert kept / count < 600, f"{kept / count:.0f} bytes kept a bill"
    dropped = sum(1 for i in range(1, count + 1) if i % 7 == 0 and i % 3)
    expected = (count, count - count // 3, dropped)
    today = reader.today
    assert (today.dialled, today.answered, today.dropped) == expected
