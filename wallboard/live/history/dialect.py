"""One small layer over SQLite and Postgres, so that the store's SQL is written once.

The store's statements are written in the shape both engines accept (`INSERT ... ON
CONFLICT ... DO UPDATE`, `RETURNING`, `BIGINT`), with `?` placeholders. What differs is
only how a connection is opened, the placeholder (`%s` for psycopg) and how a write
transaction takes its lock: SQLite's `BEGIN IMMEDIATE` takes the database's one write lock
at once (two writers queue instead of one failing half-way), Postgres' row locks on the
primary keys do the same job per bill.

No ORM: the store has five tables and a dozen statements; a mapping layer would hide the
one thing that matters here, the conflict clauses that make folding a bill idempotent.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

#: A value bound to a statement or read from a row.
Value = int | float | str | None
Row = tuple[Value, ...]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")

#: How long a store waits for another writer's lock, or for a server, before it gives up:
#: a busy store costs the windows' figures for a cycle, never the floor.
BUSY_SECONDS = 5.0
_MS = int(BUSY_SECONDS * 1000)


class StoreError(Exception):
    """The store cannot be opened or used; the message is one line for a supervisor."""


class Cursor(Protocol):
    def fetchall(self) -> list[Row]: ...


class Dialect(Protocol):
    """What the store needs of a database: statements in, rows out, one writer at a time."""

    name: str
    where: str  # the file or the server, without any password, for messages
    without_rowid: str  # what ends a CREATE TABLE whose primary key holds the row
    row_key: str  # the type of a 64-bit integer key that is the row itself

    def execute(self, sql: str, params: Sequence[Value] = ()) -> list[Row]: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Value]]) -> None: ...

    def write(self) -> AbstractContextManager[None]: ...

    def hold_schema(self) -> None:
        """Within `write`: until it ends, no other process changes the schema (two
        collectors first started at once on a new store make it once)."""

    def close(self) -> None: ...


class SQLiteDialect:
    """One SQLite file in WAL mode: readers never wait for the writer, and a crash leaves
    the last committed fold whole."""

    name = "sqlite"
    without_rowid = " WITHOUT ROWID"  # the row lives in the primary key's tree, once
    row_key = "INTEGER"  # exactly this word makes the column the row id (64 bits)

    def __init__(self, path: Path) -> None:
        self.where = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_SECONDS
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # The day's bill keys and the agents' latest rows stay in memory while folding
            # (16 MB at most; SQLite's default 2 MB makes each page of bills read pages back).
            self._db.execute("PRAGMA cache_size=-16384")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the history store {path}: {exc}") from exc
        self._lock = threading.RLock()

    def execute(self, sql: str, params: Sequence[Value] = ()) -> list[Row]:
        with self._lock:
            return [tuple(row) for row in self._db.execute(sql, tuple(params)).fetchall()]

    def executemany(self, sql: str, rows: Sequence[Sequence[Value]]) -> None:
        if rows:
            with self._lock:
                self._db.executemany(sql, [tuple(row) for row in rows])

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction, holding the file's write lock from its first statement."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def hold_schema(self) -> None:
        """`write` holds the file's write lock already (BEGIN IMMEDIATE)."""

    def close(self) -> None:
        with self._lock:
            self._db.close()


_PLACEHOLDER = re.compile(r"\?")
#: The advisory lock that makes changes of the schema one at a time (a bigint: "wallboar").
_SCHEMA_LOCK = int.from_bytes(b"wallboar", "big")


class PostgresDialect:
    """A Postgres server (psycopg 3): the same statements, `%s` for `?`."""

    name = "postgres"
    without_rowid = ""
    row_key = "BIGINT"

    def __init__(self, url: str) -> None:
        import psycopg

        self.where = redact(url)
        try:
            self._db = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=int(BUSY_SECONDS),
                # A statement or a lock that waits longer fails (the feed keeps the last
                # figures) rather than holding the store's worker thread; keepalives find a
                # server gone without a word (a cable pulled) in seconds, not hours.
                options=f"-c statement_timeout={_MS} -c lock_timeout={_MS}",
                keepalives=1,
                keepalives_idle=10,
            )
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"cannot open the history store {self.where}: {first}") from exc
        self._lock = threading.RLock()
        self._sql: dict[str, str] = {}

    def _text(self, sql: str) -> str:
        text = self._sql.get(sql)
        if text is None:
            text = self._sql[sql] = _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))
        return text

    def execute(self, sql: str, params: Sequence[Value] = ()) -> list[Row]:
        with self._lock:
            cursor = self._db.execute(self._text(sql), tuple(params))
            if cursor.description is None:
                return []
            return [tuple(row) for row in cursor.fetchall()]

    def executemany(self, sql: str, rows: Sequence[Sequence[Value]]) -> None:
        if rows:
            with self._lock, self._db.cursor() as cursor:
                cursor.executemany(self._text(sql), [tuple(row) for row in rows])

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._lock, self._db.transaction():
            yield

    def hold_schema(self) -> None:
        """A lock of the transaction's own (Postgres's DDL would otherwise race: two
        `CREATE TABLE IF NOT EXISTS` at once fail on the catalogue's unique index)."""
        self.execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def redact(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    url = re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)
    return re.sub(r"(password=)[^&\s]*", r"\1***", url, flags=re.IGNORECASE)


def open_dialect(where: str | Path) -> SQLiteDialect | PostgresDialect:
    """A Postgres URL, or the path of the SQLite file."""
    text = str(where)
    if text.startswith(POSTGRES_SCHEMES):
        return PostgresDialect(text)
    if "://" in text:
        raise StoreError(
            f"the history store must be a file or a postgresql:// URL, not {redact(text)}"
        )
    return SQLiteDialect(Path(text))
