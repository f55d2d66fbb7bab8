"""The live model's work kept proportional to what changed gives the figures a whole pass
gives: the bill reader's campaigns found by number, trends made again from the last ones,
campaigns' calls in progress checked again when the bills move, queues read again by the
agent views that changed, abandon alerts kept while a campaign's finished calls are."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st
from test_live_bills import NINE, UTC
from test_live_incremental import in_progress, no_answers

from wallboard.api.models import Bill, BillPage
from wallboard.live.alerts import Alerts, _FloorRead
from wallboard.live.bills import (
    BillReader,
    DayBuckets,
    campaign_figures,
    counts,
    day_slot,
    number_key,
    number_keys,
    was_answered,
    was_dropped,
)
from wallboard.live.build import campaigns_live, number_owners, trend_of
from wallboard.live.campaigns import phone_key
from wallboard.live.model import _LiveCount, _trend_again
from wallboard.live.snapshot import (
    AgentState,
    AgentView,
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
    QueueView,
)

NUMBERS = ("13800000001", "+86 138-0000-0002", "8613800000002", "13800000003", "1004", "٣٤")
TIMES = ("2026-01-04 23:59:59", "2026-01-05 00:00:00", "2026-01-05 08:07:00", "2026-01-05 08:20")


@given(st.text(alphabet="0123456789 +-()٣²x", max_size=12))
def test_a_bill_number_key_is_its_phone_key(number: str) -> None:
    assert number_key(number) == phone_key(number)


class Bills:
    """An in-memory GetBill, in id order."""

    def __init__(self) -> None:
        self.rows: list[Bill] = []

    async def bills(self, starttime: str, endtime: str, **form: int) -> BillPage:
        rows = [b for b in self.rows if starttime <= b.starttime <= endtime]
        page, per = form["currentpage"], form["itemsperpage"]
        chosen = rows[(page - 1) * per : page * per]
        return BillPage(totalitems=len(rows), currentpage=page, itemsperpage=per, bills=chosen)


@st.composite
def batches(draw: st.DrawFn) -> list[list[Bill]]:
    count = draw(st.integers(0, 40))
    rows = [
        Bill(
            id=n + 1,
            starttime=draw(st.sampled_from(TIMES)),
            answertime="2026-01-05 08:00:05" if draw(st.booleans()) else "",
            endtime="2026-01-05 08:59:00",
            extnumber=draw(st.sampled_from(["", "1001", "000000"])),
            destnumber=draw(st.sampled_from(NUMBERS)),
            direction="callout",
            callmethod=draw(st.sampled_from([5, 5, None, 2])),
        )
        for n in range(count)
    ]
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), max_size=3)))
    return [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)]


@settings(max_examples=120, deadline=None)
@given(
    arriving=batches(),
    plans=st.lists(
        st.dictionaries(
            st.sampled_from(["A", "B", "C"]),
            st.sets(st.sampled_from(NUMBERS), min_size=1),
        ),
        min_size=1,
        max_size=4,
    ),
    page_size=st.integers(1, 5),
)
def test_campaigns_added_replaced_and_dropped_keep_their_slots_and_figures(
    arriving: list[list[Bill]], plans: list[dict[str, set[str]]], page_size: int
) -> None:
    """Whichever campaigns come, change their numbers or go between reads, each one's day in
    slots and its figures are what its bills alone give."""
    source = Bills()
    reader = BillReader(tz=UTC, page_size=page_size, max_pages=2)
    campaigns: dict[str, frozenset[str]] = {}

    async def run() -> None:
        nonlocal campaigns
        for step, batch in enumerate(arriving or [[]]):
            source.rows.extend(batch)
            plan = plans[step % len(plans)]
            campaigns = {taskid: number_keys(numbers) for taskid, numbers in plan.items()}
            reader.follow(frozenset().union(*campaigns.values()), campaigns)
            for keys in campaigns.values():
                reader.figures(keys)
            await reader.read(source, NINE + step, [NINE - 86400])
        for extra in range(200):
            if reader.complete:
                break
            await reader.read(source, NINE + 100 + extra, [NINE - 86400])

    asyncio.run(run())
    assert reader.complete
    day_from = "2026-01-05 00:00:00"
    by_number: dict[str, list[Bill]] = {}
    for bill in source.rows:
        by_number.setdefault(phone_key(bill.destnumber), []).append(bill)
    for taskid, keys in campaigns.items():
        assert reader.figures(keys) == campaign_figures(keys, by_number)
        expected = DayBuckets()
        for bill in source.rows:
            if counts(bill) and bill.starttime >= day_from and phone_key(bill.destnumber) in keys:
                slot = day_slot(bill.starttime.strip(), day_from)
                expected.add(slot, was_answered(bill), was_dropped(bill))
        buckets = reader.day_slots(taskid)
        assert buckets is not None and buckets.slots() == expected.slots()


@given(
    calls=st.lists(
        st.lists(st.tuples(st.integers(0, 95), st.booleans(), st.booleans()), max_size=6),
        min_size=1,
        max_size=5,
    ),
    uptos=st.lists(st.integers(-1, 95), min_size=5, max_size=5),
)
def test_a_trend_made_again_is_the_trend_of_its_slots(
    calls: list[list[tuple[int, bool, bool]]], uptos: list[int]
) -> None:
    starts = tuple(float(900 * slot) for slot in range(96))
    buckets = DayBuckets()
    was = None
    for step, added in enumerate(calls):
        for slot, answered, dropped in added:
            buckets.add(slot, answered, answered and dropped)
        upto = uptos[step]
        trend = _trend_again(buckets, starts, upto, was)
        assert trend == trend_of(buckets, starts, upto)
        if was is not None and trend == was:
            assert trend is was  # nothing moved: the very object, as the views expect
        was = trend
    assert _trend_again(None, starts, 3, was) == trend_of(None, starts, 3)


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(["1", "2", "3", "4", "5"]), st.booleans()),
            st.sets(st.sampled_from(["1", "2", "3", "4", "5"])),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_calls_in_progress_checked_again_when_the_bills_move(
    steps: list[tuple[dict[str, bool], set[str], bool]],
) -> None:
    """Kept from cycle to cycle and checked again when the bills change: what counting the
    calls in progress afresh gives (a call that ended counts one cycle on, aside)."""
    owners = number_owners({"A": frozenset({"1", "2", "3"}), "B": frozenset({"3", "4"})})
    version = 0
    counted = _LiveCount(owners, version, hold=0.0)
    for cycle, (live, dialled_numbers, bills_moved) in enumerate(steps):

        def dialled(key: str, numbers: set[str] = dialled_numbers) -> bool:
            return key in numbers

        if bills_moved:
            version += 1
            counted.recheck(dialled, no_answers, version)
            # As counted afresh: every call in progress against the bills as they are now.
            got = counted.update(dict(live), dialled, no_answers, float(cycle))
            assert in_progress(got) == campaigns_live(owners, live, dialled)
        else:
            counted.update(dict(live), dialled, no_answers, float(cycle))


STATES = (AgentState.IDLE, AgentState.PAUSED, AgentState.TALKING, AgentState.WRAPUP)


def _view(ext: str, state: AgentState, since: float) -> AgentView:
    return AgentView(extnumber=ext, queue="Q", name="", state=state, since=since)


@settings(max_examples=150, deadline=None)
@given(
    cycles=st.lists(
        st.lists(st.tuples(st.integers(0, 5), st.sampled_from(STATES), st.integers(0, 3))),
        min_size=1,
        max_size=6,
    ),
    swap=st.booleans(),
)
def test_queues_read_again_by_their_changed_views(
    cycles: list[list[tuple[int, AgentState, int]]], swap: bool
) -> None:
    """A floor read again queue by queue from the views that changed says what reading it
    whole says: who is paused (and where), and which queues have someone idle."""
    exts = ["1001", "1002", "1003", "1004", "1005", "1006"]
    views = [_view(ext, AgentState.IDLE, 0.0) for ext in exts]
    kept = _FloorRead()
    for step, changes in enumerate(cycles):
        views = list(views)
        for place, state, since in changes:
            views[place] = _view(views[place].extnumber, state, float(since))
        if swap and step % 2:
            views[0], views[1] = (
                _view(views[1].extnumber, views[0].state, views[0].since),
                _view(views[0].extnumber, views[1].state, views[1].since),
            )
        queues = (
            QueueView(name="Q1", agents=tuple(views[:4])),
            QueueView(name="Q2", agents=tuple(views[2:])),
        )
        kept.take(queues)
        whole = _FloorRead()
        whole.take(queues)
        assert kept.paused_people(10.0, 5.0) == whole.paused_people(10.0, 5.0)
        assert [kept.has_idle(q) for q in queues] == [whole.has_idle(q) for q in queues]


@settings(max_examples=100, deadline=None)
@given(
    steps=st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(["T1", "T2", "T3"]),
                st.sampled_from([0, 1000]),
                st.integers(20, 32),  # 2.0% to 3.2%: about the limits and their margins
                st.integers(0, 30),
                st.sampled_from([CampaignStatus.RUNNING, CampaignStatus.OVER]),
            ),
            max_size=4,
            unique_by=lambda c: c[0],
        ),
        min_size=1,
        max_size=8,
    )
)
def test_abandon_alerts_kept_between_snapshots_are_those_made_afresh(
    steps: list[list[tuple[str, int, int, int, CampaignStatus]]],
) -> None:
    """The abandon conditions kept from snapshot to snapshot (while a campaign's finished
    calls, its level and the rules are the same) raise and clear what making them again at
    every snapshot does."""
    kept, afresh = Alerts(), Alerts()
    for step, campaigns in enumerate(steps):
        views = tuple(
            CampaignView(
                taskid=taskid,
                name=f"Campaign {taskid}",
                status=status,
                total=1000,
                dialled=answered + talking,
                answered=answered + talking,
                dropped=min(dropped, answered),
                remaining=0,
                abandon_rate=min(dropped, answered) / answered if answered else 0.0,
                drop_budget=0,
                talking=talking,
            )
            for taskid, answered, dropped, talking, status in campaigns
        )
        snapshot = FloorSnapshot(taken_at=NINE + step, campaigns=views)
        afresh._abandon_made.clear()
        assert kept.update(snapshot) == afresh.update(snapshot)
        assert kept.shown == afresh.shown


def test_two_campaigns_with_the_very_same_numbers_count_each_call_once() -> None:
    """Two tracked campaigns given one set of numbers (the same object): each one's figures
    move on by each call once."""
    source = Bills()
    keys = number_keys(["13800000001", "13800000002"])
    reader = BillReader(tz=UTC)
    reader.follow(keys, {"A": keys, "B": keys})

    def add(count: int) -> None:
        for _ in range(count):
            source.rows.append(
                Bill(
                    id=len(source.rows) + 1,
                    starttime="2026-01-05 08:00:00",
                    answertime="2026-01-05 08:00:05",
                    extnumber="",
                    destnumber="13800000001",
                    direction="callout",
                    callmethod=5,
                )
            )

    async def run() -> None:
        add(2)
        await reader.read(source, NINE, [NINE - 86400])
        assert reader.figures(keys).dropped == 2
        add(3)
        await reader.read(source, NINE + 1, [NINE - 86400])

    asyncio.run(run())
    by_number = {"13800000001": list(source.rows)}
    assert reader.figures(keys) == campaign_figures(keys, by_number)
    assert reader.figures(keys).dropped == 5
