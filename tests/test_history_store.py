"""The history store on SQLite: folding bills once, windows, retention, schema."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest
from test_history_helpers import UTC, agent, bill, snapshot

from wallboard.live.history.dialect import StoreError
from wallboard.live.history.fold import AGENT, CAMPAIGN, FLOOR, QUEUE, Attribution
from wallboard.live.history.schema import SCHEMA_VERSION
from wallboard.live.history.store import HistoryStore
from wallboard.live.history.windows import RuleWindows, counted_text
from wallboard.live.snapshot import AgentState

T0 = dt.datetime(2026, 1, 10, 9, 0, tzinfo=UTC).timestamp()  # a bucket's first second
HOUR = 3600.0
DAY = 86400.0
ATTRIBUTION = Attribution(
    {"T1": ["15550001", "15550002"], "T2": ["15550003"]}, {"T1": "sales"}, {"8002": "support"}
)


def open_store(path: Path, **kw: object) -> HistoryStore:
    return HistoryStore(path / "history.sqlite3", tz=UTC, source="acct", **kw)  # type: ignore[arg-type]


def day_of_bills(start: float) -> list:
    return [
        bill(1, start, number="15550001"),  # not answered
        bill(2, start + 60, number="15550001", answer_after=5),  # dropped
        bill(3, start + 120, number="15550002", ext="8001", answer_after=4, talk=100),
        bill(4, start + 180, number="15550003", ext="8002", answer_after=3, talk=50),
        bill(5, start + 240, number="+1 555-0009", ext="8002", answer_after=3, talk=20),
    ]


def test_bills_are_folded_per_floor_campaign_queue_and_agent(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    assert store.fold(day_of_bills(T0), ATTRIBUTION, now=T0 + HOUR) == 5
    end = T0 + HOUR
    floor = store.totals(FLOOR, T0, end)[""]
    assert (floor.dialled, floor.answered, floor.agent_answered, floor.abandoned) == (5, 4, 3, 1)
    assert floor.talk_seconds == 170 and floor.wait_seconds == 30  # the drop's billsec
    campaigns = store.totals(CAMPAIGN, T0, end)
    assert (campaigns["T1"].dialled, campaigns["T1"].answered, campaigns["T1"].abandoned) == (
        3,
        2,
        1,
    )
    assert campaigns["T2"].dialled == 1 and "" not in campaigns
    queues = store.totals(QUEUE, T0, end)
    # T1's calls go to the queue it dials for; T2 has none: its agent's queue.
    assert queues["sales"].dialled == 3 and queues["support"].dialled == 2
    agents = store.totals(AGENT, T0, end)
    assert agents["8002"].agent_answered == 2 and agents["8002"].handle_seconds == 35
    assert store.totals(FLOOR, T0 + HOUR, T0 + 2 * HOUR) == {}
    store.close()


def test_a_bill_is_folded_once_across_restarts(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.fold(day_of_bills(T0)[:3], ATTRIBUTION, now=T0 + HOUR)
    store.close()
    again = open_store(tmp_path)
    assert again.fold(day_of_bills(T0), ATTRIBUTION, now=T0 + HOUR) == 2  # only 4 and 5
    assert again.fold(day_of_bills(T0) * 2, ATTRIBUTION, now=T0 + HOUR) == 0
    floor = again.totals(FLOOR, T0, T0 + HOUR)[""]
    assert (floor.dialled, floor.answered, floor.abandoned) == (5, 4, 1)
    assert again.bill_count() == 5
    again.close()


def test_two_writers_on_one_file_count_each_bill_once(tmp_path: Path) -> None:
    bills = [
        bill(i, T0 + i, number=f"1555{i:04d}", ext="8001" if i % 3 else "", answer_after=2)
        for i in range(1, 601)
    ]
    writers = [open_store(tmp_path), open_store(tmp_path)]
    folded: list[int] = []
    lock = threading.Lock()

    def write(store: HistoryStore, batches: list[list]) -> None:
        for batch in batches:
            n = store.fold(batch, now=T0 + DAY)
            with lock:
                folded.append(n)

    # Overlapping batches in different orders, at the same time.
    first = [bills[i : i + 50] for i in range(0, 600, 50)]
    second = [bills[i : i + 70] for i in reversed(range(0, 600, 70))]
    threads = [
        threading.Thread(target=write, args=(writers[0], first)),
        threading.Thread(target=write, args=(writers[1], second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(folded) == 600
    floor = writers[0].totals(FLOOR, T0, T0 + DAY)[""]
    assert floor.dialled == 600 and floor.abandoned == 200
    for store in writers:
        store.close()


def test_bills_older_than_the_window_are_not_folded_and_keys_are_pruned(tmp_path: Path) -> None:
    store = open_store(tmp_path, bill_days=2, keep_days=4)
    now = T0 + 10 * DAY
    assert store.fold([bill(1, now - 3 * DAY, answer_after=1)], now=now) == 0
    assert store.fold([bill(2, now - DAY, answer_after=1)], now=now) == 1
    # Keys go by whole days: bill 2's day is still (partly) inside the window at +1.5 d ...
    store.prune(now + 1.5 * DAY)
    assert store.bill_count() == 1
    # ... and wholly out of it at +2.1 d: its key goes, its aggregate stays.
    store.prune(now + 2.1 * DAY)
    assert store.bill_count() == 0
    assert store.totals(FLOOR, now - 2 * DAY, now)[""].abandoned == 1
    # Once its key is gone, the bill is refused, never folded a second time.
    assert store.fold([bill(2, now - DAY, answer_after=1)], now=now + 2.1 * DAY) == 0
    store.prune(now + 3.5 * DAY)  # past the keeping window: the aggregate goes too
    assert store.totals(FLOOR, now - 2 * DAY, now) == {}
    store.close()


def test_the_schema_is_versioned_and_a_newer_store_is_refused(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    assert store.db.execute("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    mode = store.db.execute("PRAGMA journal_mode")
    assert mode == [("wal",)]
    # A writer waits 5 s at most for another's lock: then the feed keeps the last figures.
    assert store.db.execute("PRAGMA busy_timeout") == [(5000,)]
    store.close()
    with sqlite3.connect(tmp_path / "history.sqlite3") as db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="newer wallboard"):
        open_store(tmp_path)


def test_a_bill_read_before_its_campaign_is_tracked_counts_for_it_once(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    now = T0 + HOUR
    # The dashboard read the day before T1 was tracked: the floor counts, no campaign does.
    assert store.fold(day_of_bills(T0), Attribution(), now=now) == 5
    assert store.totals(CAMPAIGN, T0, now) == {}
    # `track T1 --numbers f`: the reader reads the day back; the bills are not new ...
    assert store.fold(day_of_bills(T0), ATTRIBUTION, now=now) == 0
    campaigns = store.totals(CAMPAIGN, T0, now)
    # ... yet each campaign counts its bills now, and the floor not again.
    assert (campaigns["T1"].dialled, campaigns["T1"].answered, campaigns["T1"].abandoned) == (
        3,
        2,
        1,
    )
    assert campaigns["T2"].dialled == 1
    assert store.totals(FLOOR, T0, now)[""].dialled == 5
    windows = RuleWindows(store).campaigns(["T1"], now)
    assert windows["T1"].day.rate == pytest.approx(0.5)
    store.close()
    # Read again, after a restart, by a store that knows one more campaign: once each.
    again = open_store(tmp_path)
    more = Attribution({"T1": ["15550001", "15550002"], "T2": ["15550003"], "T3": ["15550001"]})
    assert again.fold(day_of_bills(T0) * 2, more, now=now) == 0
    campaigns = again.totals(CAMPAIGN, T0, now)
    assert [campaigns[t].dialled for t in ("T1", "T2", "T3")] == [3, 1, 2]
    assert again.totals(FLOOR, T0, now)[""].dialled == 5
    # The pairs go with the bill keys, past the bill window.
    assert again.db.execute("SELECT COUNT(*) FROM campaign_bills") == [(6,)]
    again.prune(now + 9 * DAY)
    assert again.db.execute("SELECT COUNT(*) FROM campaign_bills") == [(0,)]
    again.close()


def test_bills_folded_before_the_campaign_table_are_not_counted_twice(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.fold(day_of_bills(T0), ATTRIBUTION, now=T0 + HOUR)
    store.close()
    # As a store of the first schema was: no campaign pairs kept.
    with sqlite3.connect(tmp_path / "history.sqlite3") as db:
        db.execute("DROP TABLE campaign_bills")
        db.execute("DELETE FROM meta WHERE name = 'campaign_bills_from'")
        db.execute("UPDATE schema_version SET version = 1")
    upgraded = open_store(tmp_path)
    assert upgraded.fold(day_of_bills(T0), ATTRIBUTION, now=T0 + HOUR) == 0
    assert upgraded.totals(CAMPAIGN, T0, T0 + HOUR)["T1"].dialled == 3  # not 6
    # A bill first read after the upgrade: counted for its campaign, then once more when
    # a new campaign holds its number.
    later = bill(9, T0 + 600, number="15550001", answer_after=1)
    assert upgraded.fold([later], Attribution(), now=T0 + HOUR) == 1
    assert upgraded.fold([later], ATTRIBUTION, now=T0 + HOUR) == 0
    assert upgraded.totals(CAMPAIGN, T0, T0 + HOUR)["T1"].dialled == 4
    upgraded.close()


def test_a_foreign_or_broken_store_is_one_clear_error(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE schema_version (name TEXT, applied TEXT)")
    with pytest.raises(StoreError, match=r"^the history store .*foreign.sqlite3 cannot be used: "):
        HistoryStore(foreign)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all\n" * 200)
    with pytest.raises(StoreError, match=r"garbage.sqlite3.*: file is not a database$"):
        HistoryStore(garbage)


def test_a_bad_location_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="must be a file or a postgresql:// URL"):
        HistoryStore("mysql://x@y/z")
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot open the history store"):
        HistoryStore(tmp_path / "file" / "history.sqlite3")


def test_windows_count_24_hours_and_30_days_and_say_over_how_long(tmp_path: Path) -> None:
    store = open_store(tmp_path, bill_days=40)
    now = T0 + 10 * DAY
    old = [bill(i, now - 5 * DAY + i, number="15550001", answer_after=2) for i in range(10)]
    recent = [
        bill(100 + i, now - HOUR + i, number="15550002", ext="8001" if i else "", answer_after=2)
        for i in range(50)
    ]
    store.fold(old + recent, ATTRIBUTION, now=now)
    windows = RuleWindows(store).campaigns(["T1", "T9"], now)
    day, month = windows["T1"].day, windows["T1"].month
    assert (day.totals.answered, day.totals.abandoned) == (50, 1)
    assert day.rate == pytest.approx(0.02) and day.budget == 0  # 3% of 50 is 1: used
    assert day.whole and day.counted_over == 86400
    assert (month.totals.answered, month.totals.abandoned) == (60, 11)
    assert month.budget == 0 and not month.whole
    assert month.counted_over == pytest.approx(5 * DAY, abs=900)
    assert counted_text(month.counted_over) == "5 d"
    assert windows["T9"].month.rate is None and windows["T9"].month.budget is None  # no data, not 0


def test_an_empty_store_holds_no_window(tmp_path: Path) -> None:
    windows = RuleWindows(open_store(tmp_path)).campaigns(["T1"], T0)
    assert windows["T1"].day.counted_over == 0 and not windows["T1"].day.whole


def test_windows_read_finished_buckets_once_a_quarter_unless_a_late_bill_comes(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    windows = RuleWindows(store)
    now = T0 + 2 * HOUR + 60
    store.fold([bill(1, T0, number="15550001", answer_after=1)], ATTRIBUTION, now=now)
    assert windows.campaigns(["T1"], now)["T1"].day.totals.abandoned == 1
    assert windows.queries == 1
    # A bill of the current quarter: no new read of the finished ones, yet counted.
    store.fold([bill(2, now, number="15550001", answer_after=1)], ATTRIBUTION, now=now + 5)
    assert windows.campaigns(["T1"], now + 10)["T1"].day.totals.abandoned == 2
    assert windows.queries == 1
    # A late bill of an earlier quarter: read again.
    store.fold([bill(3, T0 + 60, number="15550001", answer_after=1)], ATTRIBUTION, now=now + 20)
    assert windows.campaigns(["T1"], now + 30)["T1"].day.totals.abandoned == 3
    assert windows.queries == 2
    # The next quarter: read again.
    windows.campaigns(["T1"], now + 900)
    assert windows.queries == 3


def test_the_two_second_test_uses_when_polling_saw_the_agent_join(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    start = T0 + 60
    # Call 1: answered at +5, the agent joined at +6 (callduration at poll); call 2:
    # answered at +5, agent at +9: late.
    store.observe(
        snapshot(start + 20, agent("8001", AgentState.TALKING, since=start + 6, number="15550001"))
    )
    store.observe(
        snapshot(start + 22, agent("8002", AgentState.TALKING, since=start + 9, number="15550002"))
    )
    store.fold(
        [
            bill(1, start, number="15550001", ext="8001", answer_after=5, talk=60),
            bill(2, start, number="15550002", ext="8002", answer_after=5, talk=60),
        ],
        ATTRIBUTION,
        now=start + 300,
    )
    totals = store.totals(CAMPAIGN, T0, T0 + HOUR)["T1"]
    assert (totals.timed, totals.late, totals.abandoned) == (2, 1, 0)
    assert totals.abandon_rate == 0.0 and totals.strict_rate == 0.5
    assert totals.wait_seconds == 1 + 4 and totals.talk_seconds == 120 - 5
    # A call polling never saw talking: the strict rate is not whole.
    store.fold(
        [bill(3, start + 600, number="15550002", ext="8001", answer_after=1)],
        ATTRIBUTION,
        now=start + 900,
    )
    assert store.totals(CAMPAIGN, T0, T0 + HOUR)["T1"].strict_rate is None


def test_paused_and_idle_seconds_seen_by_polling(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    paused = agent("8001", AgentState.PAUSED)
    idle = agent("8002", AgentState.IDLE)
    for i in range(11):  # ten gaps of 2 s
        store.observe(snapshot(T0 + 2 * i, paused, idle))
    store.observe(snapshot(T0 + 500, paused, idle))  # a gap too long: not counted
    store.flush(T0 + 600)
    agents = store.totals(AGENT, T0, T0 + HOUR)
    assert agents["8001"].paused_seconds == 20 and agents["8001"].idle_seconds == 0
    assert agents["8002"].idle_seconds == 20
    assert store.totals(QUEUE, T0, T0 + HOUR)["sales"].paused_seconds == 20
    assert store.totals(FLOOR, T0, T0 + HOUR)[""].idle_seconds == 20
    # A second collector seeing the same floor: the largest writer's figure, not the sum.
    other = open_store(tmp_path, writer="collector-2")
    for i in range(6):
        other.observe(snapshot(T0 + 2 * i, paused, idle))
    other.flush(T0 + 600)
    assert store.totals(AGENT, T0, T0 + HOUR)["8001"].paused_seconds == 20
    store.close()
    other.close()


def test_two_processes_on_one_host_do_not_double_the_seen_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wallboard.live.history.store as store_module

    paused = agent("8001", AgentState.PAUSED)
    stores = []
    for pid in (101, 202):  # the dashboard and a collector: one host, two processes
        monkeypatch.setattr(store_module.os, "getpid", lambda pid=pid: pid)
        stores.append(open_store(tmp_path))
    assert stores[0].writer != stores[1].writer and stores[0].writer.endswith(":101")
    for store in stores:
        for i in range(11):
            store.observe(snapshot(T0 + 2 * i, paused))
        store.flush(T0 + 600)
    assert stores[0].totals(AGENT, T0, T0 + HOUR)["8001"].paused_seconds == 20
    for store in stores:
        store.close()


def test_series_fills_every_step(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.fold(
        [bill(1, T0 + 10, answer_after=1), bill(2, T0 + 2 * HOUR, answer_after=1)], now=T0 + DAY
    )
    steps = store.series(FLOOR, "", T0, T0 + 3 * HOUR, step=HOUR)
    assert [t.abandoned for _, t in steps] == [1, 0, 1]
    assert [at for at, _ in steps] == [T0, T0 + HOUR, T0 + 2 * HOUR]


def test_two_readers_of_one_store_each_see_a_late_bill(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    now = T0 + 2 * HOUR
    screen, report = RuleWindows(store), RuleWindows(store)
    store.fold([bill(1, T0, number="15550001", answer_after=1)], ATTRIBUTION, now=now)
    assert screen.campaigns(["T1"], now)["T1"].day.totals.abandoned == 1
    assert report.campaigns(["T1"], now)["T1"].day.totals.abandoned == 1
    store.fold([bill(2, T0 + 60, number="15550001", answer_after=1)], ATTRIBUTION, now=now)
    assert report.campaigns(["T1"], now)["T1"].day.totals.abandoned == 2
    assert screen.campaigns(["T1"], now)["T1"].day.totals.abandoned == 2


def test_bill_keys_are_exact_for_ids_ordered_and_dated() -> None:
    from wallboard.live.history.fold import DAY_SHIFT, bill_key, key_day

    keys = [bill_key(bill(i, T0), T0, "acct") for i in (1, 2, 1000)]
    assert keys == sorted(keys) and len(set(keys)) == 3  # ids kept whole: in their order
    assert all(k >> DAY_SHIFT == key_day(T0) for k in keys)
    assert bill_key(bill(1, T0), T0, "other") != keys[0]  # another account
    no_id = bill_key(bill(None, T0), T0, "acct")
    assert no_id >> 47 & 1 and no_id not in keys  # a digest, flagged apart from the ids
    assert bill_key(bill(None, T0), T0, "acct") == no_id  # the same bill, the same key
    assert bill_key(bill(1, T0 + DAY), T0 + DAY, "acct") > max(keys)  # a later day: a later range
    assert 0 < max(keys) < 1 << 63
