"""The history store: bills folded once into 15-minute aggregates, kept past the exit.

Exactly once: a bill's aggregates are added in the same transaction that inserts its key
into `bills`, and only when that insert did insert (`ON CONFLICT DO NOTHING RETURNING`).
So the same bill read again after a restart, or read by a second collector writing to the
same Postgres store at the same moment, adds nothing: the second insert waits for the first
transaction's row lock, then finds the key. A bill's part of a campaign goes the same way
with the pair (its key, the taskid) in `campaign_bills`, inserted for every bill read, new
or not: a campaign tracked after its bills were first read (`track T1 --numbers f` once
the dashboard has read the day) counts them when the reader reads them back. The keys are
kept for `bill_days` (default 7, the bill reader's longest look back); a bill older than
that is not folded at all, since its key may already be gone: that is what keeps "exactly
once" true past the pruning.

Aggregates are kept `keep_days` (default 400): a year and a month, for "this month last
year". Pruning runs at most once an hour, inside a fold.

Time: every moment is unix seconds on the server's clock; bill texts are read in the
profile's zone (`tz`), as the bill reader reads them.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wallboard.api.models import Bill
from wallboard.live.history.dialect import Dialect, StoreError, Value, open_dialect
from wallboard.live.history.fold import (
    BUCKET_SECONDS,
    COLUMNS,
    DAY_SHIFT,
    KINDS,
    Attribution,
    FoldedCall,
    Increments,
    add_call,
    add_to_campaign,
    bill_key,
    key_day,
    parse_server_time,
    read_call,
)
from wallboard.live.history.observed import KEEP_SECONDS, ConnectTimes, SeenSeconds
from wallboard.live.history.schema import migrate
from wallboard.live.snapshot import FloorSnapshot

DAY = 86400.0
BILL_DAYS = 7.0
KEEP_DAYS = 400.0
STORE_FILE = "history.sqlite3"
PRUNE_EVERY = 3600.0
FLUSH_EVERY = 60.0  # seconds between two writes of the paused and idle seconds
_TOUCHES_KEPT = 512
_CHUNK = 500  # bills per INSERT statement (SQLite allows 32,766 values in one)

_UPSERT = (
    f"INSERT INTO aggregates (kind, key, bucket, {', '.join(COLUMNS)}) "
    f"VALUES (?, ?, ?, {', '.join('?' for _ in COLUMNS)}) "
    "ON CONFLICT (kind, key, bucket) DO UPDATE SET "
    + ", ".join(f"{c} = aggregates.{c} + excluded.{c}" for c in COLUMNS)
)
_UPSERT_SEEN = (
    "INSERT INTO seen (kind, key, bucket, writer, paused_seconds, idle_seconds) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, key, bucket, writer) DO UPDATE SET "
    "paused_seconds = seen.paused_seconds + excluded.paused_seconds, "
    "idle_seconds = seen.idle_seconds + excluded.idle_seconds"
)


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums of the aggregates over some buckets (one campaign, queue, agent or the floor)."""

    dialled: int = 0
    answered: int = 0
    agent_answered: int = 0
    abandoned: int = 0
    timed: int = 0  # agent-answered calls whose agent's joining moment is known
    late: int = 0  # of those, the agent joined more than 2 s after the customer answered
    talk_seconds: int = 0
    wait_seconds: int = 0
    paused_seconds: float = 0.0
    idle_seconds: float = 0.0

    @property
    def abandon_rate(self) -> float | None:
        """abandoned / answered; None when nothing was answered (no data is not 0%)."""
        return None if self.answered <= 0 else self.abandoned / self.answered

    @property
    def strict_known(self) -> bool:
        """Every agent-answered call was timed: the strict rate is whole."""
        return self.timed >= self.agent_answered

    @property
    def strict_rate(self) -> float | None:
        """(abandoned + agent joined after 2 s) / answered, when every call was timed."""
        if self.answered <= 0 or not self.strict_known:
            return None
        return (self.abandoned + self.late) / self.answered

    @property
    def handle_seconds(self) -> float | None:
        """Average talk per agent-answered call; None without one."""
        return None if self.agent_answered <= 0 else self.talk_seconds / self.agent_answered


def totals_of(row: Sequence[Value]) -> Totals:
    """A row of the SUMs in `COLUMNS` order, then paused and idle."""
    ints = [int(v or 0) for v in row[: len(COLUMNS)]]
    rest = [float(v or 0.0) for v in row[len(COLUMNS) : len(COLUMNS) + 2]]
    rest += [0.0] * (2 - len(rest))
    d, a, took, dropped, timed, late, talk, wait = ints
    return Totals(d, a, took, dropped, timed, late, talk, wait, rest[0], rest[1])


def default_path(folder: Path) -> Path:
    """Where the embedded store lives in a data folder."""
    return folder / STORE_FILE


class HistoryStore:
    """One history store (a SQLite file or a Postgres database) for one account.

    `source` names the account (its server and company code) so that one shared store can
    hold several; `writer` names this process among several collectors (paused and idle
    seconds are kept per writer: see `schema`; by default the host and the process id).
    Thread-safe: the live model may call it from a worker thread so that a slow Postgres
    never holds the screen up.
    """

    def __init__(
        self,
        where: str | Path,
        *,
        tz: dt.tzinfo | None = None,
        source: str = "",
        writer: str = "",
        bill_days: float = BILL_DAYS,
        keep_days: float = KEEP_DAYS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if bill_days <= 0 or keep_days <= 0:
            raise StoreError("the history windows must be more than 0 days")
        self.db: Dialect = open_dialect(where)
        try:
            migrate(self.db)
            rows = self.db.execute("SELECT value FROM meta WHERE name = 'campaign_bills_from'")
            self._campaign_bills_from = int(str(rows[0][0])) if rows else 0
        except StoreError:
            self.db.close()
            raise
        except Exception as exc:  # sqlite3's or psycopg's: a foreign or broken store
            self.db.close()
            said = str(exc).strip()
            first = said.splitlines()[0] if said else type(exc).__name__
            raise StoreError(f"the history store {self.db.where} cannot be used: {first}") from exc
        except BaseException:
            self.db.close()
            raise
        self.tz = tz
        self.source = source
        # Per process, not per host: two collectors on one machine each see the whole floor,
        # and a report takes the larger one's paused and idle seconds, never their sum.
        self.writer = writer or f"{socket.gethostname()}:{os.getpid()}"
        self.bill_days = bill_days
        self.keep_days = keep_days
        self._clock = clock
        self.connects = ConnectTimes()
        self.seen = SeenSeconds()
        self.version = 0  # bumps whenever a fold changes the calls' aggregates
        # The oldest bucket each recent change touched, by the version it made (a few
        # hundred kept): what a reader's cache needs to know whether it is still good.
        self._touched: dict[int, int] = {}
        self._pruned = float("-inf")
        self._flushed = float("-inf")
        self._since: float | None = None

    @property
    def where(self) -> str:
        return self.db.where

    def close(self) -> None:
        self.flush()
        self.db.close()

    # ------------------------------------------------------------------ writing

    def fold(
        self,
        bills: Iterable[Bill],
        attribution: Attribution | None = None,
        now: float | None = None,
    ) -> int:
        """Fold the bills not folded before (by anyone) into the aggregates; how many were.

        Bills that do not count (not outgoing predictive calls) are keyed all the same, so
        that they are read once too; bills older than the bill window are left out."""
        now = self._clock() if now is None else now
        attribution = attribution or Attribution()
        oldest = now - self.bill_days * DAY
        keyed: dict[int, tuple[float, FoldedCall | None]] = {}
        for bill in bills:
            started = parse_server_time(bill.starttime, self.tz)
            if started is None or started < oldest:
                continue
            keyed.setdefault(bill_key(bill, started, self.source), (started, self._read(bill)))
        folded = 0
        if keyed:
            folded = self._write(keyed, attribution)
        if now - self._pruned >= PRUNE_EVERY:
            self.prune(now)
        if now - self._flushed >= FLUSH_EVERY:
            self.flush(now)
        return folded

    def _read(self, bill: Bill) -> FoldedCall | None:
        connected = None
        answered = parse_server_time(bill.answertime, self.tz)
        ended = parse_server_time(bill.endtime, self.tz)
        if answered is not None and ended is not None:
            connected = self.connects.connected(
                "".join(ch for ch in bill.destnumber if ch.isdigit()), answered, ended
            )
        return read_call(bill, self.tz, connected)

    def _write(
        self, keyed: dict[int, tuple[float, FoldedCall | None]], attribution: Attribution
    ) -> int:
        db = self.db
        # Keys and rows in one order: two writers lock them in the same order, never a cycle.
        items = sorted(keyed.items())
        pairs = sorted(
            (key, taskid)
            for key, (_, call) in items
            if call is not None
            for taskid in attribution.campaigns_of(call.number)
        )
        with db.write():
            inserted: list[int] = []
            for at in range(0, len(items), _CHUNK):
                chunk = items[at : at + _CHUNK]
                values = ", ".join("(?)" for _ in chunk)
                params: list[Value] = [key for key, _ in chunk]
                rows = db.execute(
                    f"INSERT INTO bills (bill_key) VALUES {values} "
                    "ON CONFLICT (bill_key) DO NOTHING RETURNING bill_key",
                    params,
                )
                inserted += [int(row[0] or 0) for row in rows]
            # Every bill's campaigns, whether the bill is new or not: a campaign tracked
            # after its bills were first read is counted when they are read again.
            counted: list[tuple[int, str]] = []
            for at in range(0, len(pairs), _CHUNK):
                pair_chunk = pairs[at : at + _CHUNK]
                values = ", ".join("(?, ?)" for _ in pair_chunk)
                params = [value for pair in pair_chunk for value in pair]
                rows = db.execute(
                    f"INSERT INTO campaign_bills (bill_key, taskid) VALUES {values} "
                    "ON CONFLICT (bill_key, taskid) DO NOTHING RETURNING bill_key, taskid",
                    params,
                )
                counted += [(int(row[0] or 0), str(row[1])) for row in rows]
            increments = Increments()
            earliest: float | None = None
            new = set(inserted)
            for key in inserted:
                started, call = keyed[key]
                if call is not None:
                    add_call(increments, call, attribution, campaigns=False)
                    earliest = started if earliest is None else min(earliest, started)
            for key, taskid in counted:
                call = keyed[key][1]
                # A bill folded before campaign pairs were kept may count for it already.
                if call is not None and (key in new or key >= self._campaign_bills_from):
                    add_to_campaign(increments, call, taskid)
            db.executemany(
                _UPSERT, [(*key, *values) for key, values in sorted(increments.rows.items())]
            )
            if earliest is not None:
                self._note_since(earliest)
        if increments.rows:
            self.version += 1
            self._touched[self.version] = min(bucket for _, _, bucket in increments.rows)
            if len(self._touched) > _TOUCHES_KEPT:
                del self._touched[next(iter(self._touched))]
        return len(inserted)

    def oldest_touched_since(self, version: int) -> float | None:
        """The oldest bucket this store's folds changed after `version` (None: none did;
        -inf: too long ago to say, take everything as changed). Other writers' folds into a
        shared store are not seen here: a reader's cache of finished quarters is read again
        each quarter of an hour anyway."""
        if version >= self.version:
            return None
        if version + 1 not in self._touched:
            return float("-inf")
        return min(bucket for v, bucket in self._touched.items() if v > version)

    def observe(self, snapshot: FloorSnapshot) -> None:
        """Take a snapshot: who is paused or idle (seconds), and when agents joined calls.

        Cheap: counted in memory, written once a minute (`flush`) or with the next fold."""
        self.connects.observe(snapshot)
        self.seen.observe(snapshot)
        if not snapshot.stale and snapshot.taken_at - self._flushed >= FLUSH_EVERY:
            self.flush(snapshot.taken_at)

    def flush(self, now: float | None = None) -> None:
        """Write the paused and idle seconds counted so far."""
        self._flushed = self._clock() if now is None else now
        self.connects.forget_before(self._flushed - KEEP_SECONDS)
        rows = [
            (kind, key, bucket, self.writer, paused, idle)
            for (kind, key, bucket), (paused, idle) in self.seen.take()
        ]
        if rows:
            with self.db.write():
                self.db.executemany(_UPSERT_SEEN, rows)

    def prune(self, now: float | None = None) -> None:
        """Forget bill keys past the bill window and aggregates past the keeping window."""
        now = self._clock() if now is None else now
        self._pruned = now
        with self.db.write():
            # Whole days of keys: those of the day the window starts in stay a little longer.
            oldest = key_day(now - self.bill_days * DAY)
            for table in ("bills", "campaign_bills"):
                self.db.execute(f"DELETE FROM {table} WHERE bill_key < ?", (oldest << DAY_SHIFT,))
            cut = int(now - self.keep_days * DAY)
            for table in ("aggregates", "seen"):
                for kind in KINDS.values():  # a range of the primary key each
                    self.db.execute(
                        f"DELETE FROM {table} WHERE kind = ? AND bucket < ?",
                        (kind, cut - cut % BUCKET_SECONDS),
                    )

    def _note_since(self, started: float) -> None:
        since = self.since()
        if since is None or started < since:
            self.db.execute(
                "INSERT INTO meta (name, value) VALUES ('since', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (str(int(started)),),
            )
            self._since = float(int(started))

    # ------------------------------------------------------------------ reading

    def since(self) -> float | None:
        """The start of the oldest call the store holds (unix seconds); None when empty."""
        if self._since is None:
            rows = self.db.execute("SELECT value FROM meta WHERE name = 'since'")
            if rows:
                self._since = float(str(rows[0][0]))
        return self._since

    def bill_count(self) -> int:
        """Bill keys held (those of the bill window)."""
        rows = self.db.execute("SELECT COUNT(*) FROM bills")
        return int(rows[0][0] or 0)

    def totals(
        self, kind: int, start: float, end: float, keys: Sequence[str] | None = None
    ) -> dict[str, Totals]:
        """Sums per key of one kind over the buckets from `start` to `end` (unix seconds;
        `end` excluded), the paused and idle seconds the largest writer's."""
        first, last = _bucket_bounds(start, end)
        sums = ", ".join(f"SUM({c})" for c in COLUMNS)
        where, params = _keys_clause(keys)
        calls = {
            str(row[0]): row[1:]
            for row in self.db.execute(
                f"SELECT key, {sums} FROM aggregates WHERE kind = ? AND bucket >= ? "
                f"AND bucket < ?{where} GROUP BY key",
                (kind, first, last, *params),
            )
        }
        seen = {
            str(row[0]): row[1:]
            for row in self.db.execute(
                "SELECT key, SUM(paused), SUM(idle) FROM (SELECT key, bucket, "
                "MAX(paused_seconds) AS paused, MAX(idle_seconds) AS idle FROM seen "
                f"WHERE kind = ? AND bucket >= ? AND bucket < ?{where} GROUP BY key, bucket) "
                "AS per_bucket GROUP BY key",
                (kind, first, last, *params),
            )
        }
        none: tuple[Value, ...] = (0,) * len(COLUMNS)
        return {
            key: totals_of((*calls.get(key, none), *seen.get(key, (0.0, 0.0))))
            for key in sorted(calls.keys() | seen.keys())
        }

    def series(
        self, kind: int, key: str, start: float, end: float, step: float = BUCKET_SECONDS
    ) -> list[tuple[float, Totals]]:
        """One key's sums per `step` seconds (a multiple of 15 minutes) from `start` to
        `end`: every step, empty ones included, for plots."""
        first, last = _bucket_bounds(start, end)
        width = max(BUCKET_SECONDS, int(step) - int(step) % BUCKET_SECONDS)
        sums = ", ".join(f"SUM({c})" for c in COLUMNS)
        rows = self.db.execute(
            f"SELECT (bucket - ?) / ? AS step, {sums} FROM aggregates "
            "WHERE kind = ? AND key = ? AND bucket >= ? AND bucket < ? GROUP BY step",
            (first, width, kind, key, first, last),
        )
        by_step = {int(row[0] or 0): totals_of(row[1:]) for row in rows}
        count = max(0, -(-(last - first) // width))
        return [(first + i * width, by_step.get(i, Totals())) for i in range(count)]


def _bucket_bounds(start: float, end: float) -> tuple[int, int]:
    first = int(start // 1)
    first -= first % BUCKET_SECONDS
    last = int(-(-end // 1))
    return first, last


def _keys_clause(keys: Sequence[str] | None) -> tuple[str, tuple[str, ...]]:
    if keys is None:
        return "", ()
    if not keys:
        return " AND 1 = 0", ()
    return f" AND key IN ({', '.join('?' for _ in keys)})", tuple(keys)


__all__ = ["BILL_DAYS", "KEEP_DAYS", "HistoryStore", "StoreError", "Totals", "default_path"]
