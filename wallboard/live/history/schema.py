"""The store's tables, versioned: each migration runs once, in order, inside one write.

`schema_version` holds the number of the last migration applied. A store written by a newer
wallboard (a higher number than this one knows) is refused rather than misread.

Tables (every time is unix seconds; a bucket is the first second of its quarter of an hour):
- `bills`: one key per bill folded, for the bill window only (default 7 days).
  Its primary key is what makes a fold idempotent: a bill is folded when, and only when, its
  row is inserted.
- `aggregates`: per 15 minutes and per campaign, queue, agent or the floor ("kind", a
  small number, see `fold.KINDS`; "key": the taskid, queue name or extension), ordered by
  kind, then time (a period's rows of one kind are one range of the primary key, and a fold
  adds to the last pages): the calls' counts and seconds. Kept 400 days.
- `seen`: the paused and idle seconds that polling saw, per 15 minutes (per agent, per
  queue, the floor), by the writer that saw them: two collectors watching one floor each
  see all of it, so a report takes the largest writer's figure, never their sum.
- `campaign_bills`: which campaigns each bill of the bill window was counted for (its key
  and the taskid). A bill read before its campaign was tracked is counted for the campaign
  when it is read again after: the campaign's part is added when, and only when, its pair is
  inserted, as the floor's is with the bill's key. Pruned with `bills`.
- `meta`: the store's own facts (when it started holding data; `campaign_bills_from`, the
  first bill key whose campaigns are all in `campaign_bills`: a bill folded before that
  table existed may already count for a campaign without its pair, and is not counted for
  a campaign again).
"""

from __future__ import annotations

from wallboard.live.history.dialect import Dialect, StoreError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # The key is the bill's day, then its account and id (`fold.bill_key`), kept as
        # SQLite's row id itself ({row_key}: INTEGER there, BIGINT in Postgres): no second
        # index, keys added in order fill whole pages, and the keys of a day past the
        # window are one range. A week of a 500-agent floor's bills: 1.5 million rows.
        """CREATE TABLE IF NOT EXISTS bills (
            bill_key {row_key} PRIMARY KEY
        )""",
        """CREATE TABLE IF NOT EXISTS aggregates (
            kind SMALLINT NOT NULL,
            key TEXT NOT NULL,
            bucket BIGINT NOT NULL,
            dialled BIGINT NOT NULL DEFAULT 0,
            answered BIGINT NOT NULL DEFAULT 0,
            agent_answered BIGINT NOT NULL DEFAULT 0,
            abandoned BIGINT NOT NULL DEFAULT 0,
            timed BIGINT NOT NULL DEFAULT 0,
            late BIGINT NOT NULL DEFAULT 0,
            talk_seconds BIGINT NOT NULL DEFAULT 0,
            wait_seconds BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (kind, bucket, key)
        ){without_rowid}""",
        """CREATE TABLE IF NOT EXISTS seen (
            kind SMALLINT NOT NULL,
            key TEXT NOT NULL,
            bucket BIGINT NOT NULL,
            writer TEXT NOT NULL,
            paused_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
            idle_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
            PRIMARY KEY (kind, bucket, key, writer)
        ){without_rowid}""",
        """CREATE TABLE IF NOT EXISTS meta (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
    ),
    (
        """CREATE TABLE IF NOT EXISTS campaign_bills (
            bill_key BIGINT NOT NULL,
            taskid TEXT NOT NULL,
            PRIMARY KEY (bill_key, taskid)
        ){without_rowid}""",
        # The bills folded before this table: their campaigns are not known (see above).
        """INSERT INTO meta (name, value)
            SELECT 'campaign_bills_from', CAST(COALESCE(MAX(bill_key), -1) + 1 AS TEXT)
            FROM bills WHERE true
            ON CONFLICT (name) DO NOTHING""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: Dialect) -> int:
    """Bring the store's schema up to this version; the version it is at."""
    with db.write():
        db.hold_schema()
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        rows = db.execute("SELECT version FROM schema_version")
        version = int(rows[0][0] or 0) if rows else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the history store {db.where} is of a newer wallboard (schema {version}, "
                f"this one knows {SCHEMA_VERSION}): upgrade wallboard"
            )
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                db.execute(statement.format(without_rowid=db.without_rowid, row_key=db.row_key))
        if not rows:
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        elif version < SCHEMA_VERSION:
            db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
    return SCHEMA_VERSION
