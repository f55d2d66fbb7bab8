"""The history store: 30 simulated days of a 500-agent floor folded in.

    python -m benchmarks.bench_history [--days 30] [--agents 500] [--db URL] [--keep DIR]

Bills are made directly (no simulator, no HTTP: what is measured is the store), a day's
calls in pages of 1,000 as the bill reader hands them over: each agent takes calls from
09:00 to 19:00, the dialler places 45 calls an agent-hour, 40% answered, 4% of those
dropped; 20 campaigns of 20,000 numbers each, 10 queues. Measured:
- the store's size on disk after the days (SQLite: the file after a WAL checkpoint);
- the time to fold a day's bills, and what that costs over the day (% of one core);
- observing a 500-agent snapshot (paused and idle seconds, agents joining calls), per poll
  and per day at one poll a second;
- the 30-day window query for every campaign: cold (a new quarter of an hour) and warm;
- a month's report by agent, campaign, queue and day, and its HTML page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from wallboard.api.models import Bill
from wallboard.live.history.fold import Attribution
from wallboard.live.history.html_report import as_html
from wallboard.live.history.report import build_report
from wallboard.live.history.store import HistoryStore
from wallboard.live.history.windows import RuleWindows
from wallboard.live.snapshot import AgentState, AgentView, FloorSnapshot, QueueView

UTC = dt.UTC
START = dt.datetime(2026, 1, 1, tzinfo=UTC).timestamp()
DAY = 86400
CAMPAIGNS = 20
NUMBERS = 20_000  # per campaign
QUEUES = 10
DIALS_PER_AGENT_HOUR = 45
ANSWERED = 0.40
DROPPED = 0.04
PAGE = 1000
FORMAT = "%Y-%m-%d %H:%M:%S"


def text(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, UTC).strftime(FORMAT)


def numbers_of(campaign: int) -> list[str]:
    return [f"1{campaign:03d}{n:07d}" for n in range(NUMBERS)]


def day_of_bills(day: int, agents: int, rng: random.Random, next_id: int) -> list[Bill]:
    """One day's predictive calls, in the order they started."""
    opening = START + day * DAY + 9 * 3600
    count = agents * 10 * DIALS_PER_AGENT_HOUR
    starts = sorted(opening + rng.random() * 10 * 3600 for _ in range(count))
    bills = []
    for i, start in enumerate(starts):
        number = f"1{rng.randrange(CAMPAIGNS):03d}{rng.randrange(NUMBERS):07d}"
        ring = rng.randint(5, 25)
        if rng.random() >= ANSWERED:
            fields = {
                "answertime": "",
                "endtime": text(start + ring),
                "extnumber": "",
                "billsec": 0,
            }
        else:
            dropped = rng.random() < DROPPED
            talk = rng.randint(3, 8) if dropped else rng.randint(30, 400)
            fields = {
                "answertime": text(start + ring),
                "endtime": text(start + ring + talk),
                "extnumber": "" if dropped else str(10000 + rng.randrange(agents)),
                "billsec": talk,
            }
        bills.append(
            Bill.model_construct(
                id=next_id + i,
                destnumber=number,
                starttime=text(start),
                duration=ring + int(fields["billsec"]),  # type: ignore[call-overload]
                direction="callout",
                callmethod=5,
                **fields,
            )
        )
    return bills


def snapshot(at: float, agents: int, rng: random.Random) -> FloorSnapshot:
    states = (AgentState.IDLE, AgentState.TALKING, AgentState.PAUSED, AgentState.WRAPUP)
    queues: list[list[AgentView]] = [[] for _ in range(QUEUES)]
    for n in range(agents):
        state = rng.choice(states)
        queues[n % QUEUES].append(
            AgentView(
                str(10000 + n),
                f"q{n % QUEUES}",
                f"Agent {n}",
                state,
                at - rng.randint(1, 300),
                number=f"1000{n:07d}" if state is AgentState.TALKING else None,
            )
        )
    return FloorSnapshot(
        taken_at=at,
        queues=tuple(QueueView(f"q{i}", agents=tuple(a)) for i, a in enumerate(queues)),
    )


def size_of(store: HistoryStore, where: Path) -> int:
    if store.db.name == "sqlite":
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return sum(p.stat().st_size for p in where.parent.glob(where.name + "*"))
    rows = store.db.execute("SELECT pg_database_size(current_database())")
    return int(rows[0][0] or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--db", help="a postgresql:// URL (default: SQLite in a temp dir)")
    parser.add_argument("--keep", type=Path, help="keep the SQLite file in this dir")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    rng = random.Random(7)
    folder = Path(tempfile.mkdtemp(prefix="bench-history-"))
    where = (args.keep or folder) / "history.sqlite3"
    store = HistoryStore(args.db or where, tz=UTC, source="bench")
    campaigns = {f"T{c}": numbers_of(c) for c in range(CAMPAIGNS)}
    attribution = Attribution(campaigns, {f"T{c}": f"q{c % QUEUES}" for c in range(CAMPAIGNS)}, {})
    fold_seconds: list[float] = []
    bills_per_day = 0
    next_id = 1
    for day in range(args.days):
        bills = day_of_bills(day, args.agents, rng, next_id)
        next_id += len(bills)
        bills_per_day = len(bills)
        now = START + day * DAY + 20 * 3600
        began = time.perf_counter()
        for at in range(0, len(bills), PAGE):
            store.fold(bills[at : at + PAGE], attribution, now=now)
        fold_seconds.append(time.perf_counter() - began)
        print(f"day {day + 1}: {len(bills):,} bills folded in {fold_seconds[-1]:.2f} s", flush=True)

    # Polling: a snapshot a second; its cost per poll, and per day at that rate.
    polls = 300
    shots = [snapshot(START + 5 * DAY + i, args.agents, rng) for i in range(polls)]
    began = time.perf_counter()
    for shot in shots:
        store.observe(shot)
    observe = (time.perf_counter() - began) / polls

    now = START + (args.days - 1) * DAY + 20 * 3600
    windows = RuleWindows(store)
    ids = list(campaigns)
    began = time.perf_counter()
    windows.campaigns(ids, now)
    cold = time.perf_counter() - began
    warm_times = []
    for i in range(20):
        began = time.perf_counter()
        windows.campaigns(ids, now + i)
        warm_times.append(time.perf_counter() - began)
    warm = statistics.median(warm_times)

    month = (now - 30 * DAY, now)
    reports = {}
    for by in ("agent", "campaign", "queue", "day"):
        began = time.perf_counter()
        build_report(store, *month, by, tz=UTC)
        reports[by] = time.perf_counter() - began
    began = time.perf_counter()
    page = as_html(build_report(store, *month, "day", tz=UTC))
    html_seconds = time.perf_counter() - began
    size = size_of(store, where)
    held = store.bill_count()
    store.close()

    day_fold = statistics.mean(fold_seconds)
    figures = {
        "days": args.days,
        "agents": args.agents,
        "engine": store.db.name,
        "bills_per_day": bills_per_day,
        "bill_keys_held": held,
        "store_mb": round(size / 1e6, 1),
        "fold_seconds_per_day": round(day_fold, 2),
        "fold_core_share_percent": round(100 * day_fold / DAY, 4),
        "fold_microseconds_per_bill": round(1e6 * day_fold / bills_per_day, 1),
        "observe_ms_per_snapshot": round(1000 * observe, 2),
        "observe_core_share_percent_at_1s": round(100 * observe, 3),
        "window_30d_cold_ms": round(1000 * cold, 1),
        "window_30d_warm_ms": round(1000 * warm, 2),
        "report_month_seconds": {k: round(v, 3) for k, v in reports.items()},
        "report_month_html_seconds": round(html_seconds, 3),
        "html_bytes": len(page),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
