"""The history store on a real Postgres server (started here on a free loopback port):
the same schema and code as SQLite, each bill counted once across restarts and across two
collectors writing at the same time."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from test_history_helpers import UTC, bill, postgres_server

from wallboard.live.history.dialect import StoreError, redact
from wallboard.live.history.fold import CAMPAIGN, FLOOR, Attribution
from wallboard.live.history.schema import SCHEMA_VERSION
from wallboard.live.history.store import HistoryStore
from wallboard.live.history.windows import RuleWindows

T0 = dt.datetime(2026, 1, 10, 9, 0, tzinfo=UTC).timestamp()
DAY = 86400.0


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def store_at(url: str, writer: str = "") -> HistoryStore:
    return HistoryStore(url, tz=UTC, source="acct", writer=writer)


def test_the_schema_and_a_restart_on_postgres(postgres_url: str) -> None:
    store = store_at(postgres_url)
    assert store.db.name == "postgres"
    assert store.db.execute("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    attribution = Attribution({"T1": ["15550001"]})
    bills = [
        bill(i, T0 + i, number="15550001", answer_after=1, ext="" if i % 4 else "8001")
        for i in range(1, 41)
    ]
    assert store.fold(bills[:20], attribution, now=T0 + DAY) == 20
    assert store.fold(bills[20:30], Attribution(), now=T0 + DAY) == 10  # T1 not yet tracked
    store.close()
    again = store_at(postgres_url)  # migrations run again: nothing changes
    assert again.fold(bills, attribution, now=T0 + DAY) == 10
    assert again.fold(bills, attribution, now=T0 + DAY) == 0
    campaign = again.totals(CAMPAIGN, T0, T0 + DAY)["T1"]
    assert (campaign.answered, campaign.abandoned, campaign.agent_answered) == (40, 30, 10)
    assert again.totals(FLOOR, T0, T0 + DAY)[""].answered == 40
    windows = RuleWindows(again).campaigns(["T1"], T0 + 3600)
    assert windows["T1"].day.totals.abandoned == 30
    again.db.execute("DELETE FROM bills")
    again.db.execute("DELETE FROM campaign_bills")
    again.db.execute("DELETE FROM aggregates")
    again.db.execute("DELETE FROM meta")
    again.close()


def test_a_busy_server_is_given_up_on_in_seconds(postgres_url: str) -> None:
    store = store_at(postgres_url)
    settings = [
        store.db.execute(f"SHOW {name}")[0][0] for name in ("statement_timeout", "lock_timeout")
    ]
    assert settings == ["5s", "5s"]
    asked = store.db._db.info.get_parameters()  # type: ignore[attr-defined]  # what libpq was given
    assert (asked["keepalives"], asked["keepalives_idle"], asked["connect_timeout"]) == (
        "1",
        "10",
        "5",
    )
    store.close()


def test_a_password_in_the_url_never_reaches_a_message() -> None:
    assert redact("postgresql://wb:s3cret@db/h") == "postgresql://wb:***@db/h"
    assert redact("postgresql://wb@db/h?password=s3cret") == "postgresql://wb@db/h?password=***"
    assert (
        redact("postgres://db/h?sslmode=require&PASSWORD=s3cret&user=wb")
        == "postgres://db/h?sslmode=require&PASSWORD=***&user=wb"
    )
    with pytest.raises(StoreError) as caught:
        HistoryStore("postgresql://wb@127.0.0.1:1/none?password=s3cret")
    assert "s3cret" not in str(caught.value) and "password=***" in str(caught.value)


def test_two_collectors_folding_the_same_bills_count_each_once(postgres_url: str) -> None:
    bills = [
        bill(i, T0 + i, number=f"1555{i:04d}", ext="8001" if i % 3 else "", answer_after=2)
        for i in range(1, 1201)
    ]
    collectors = [store_at(postgres_url, "a"), store_at(postgres_url, "b")]
    # T1 holds every number; collector "b" tracks it, "a" not yet: each bill counts once
    # for the floor and once for T1, whoever reads it first.
    tracked = Attribution({"T1": [f"1555{i:04d}" for i in range(1, 1201)]})
    folded: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(2)

    def collect(store: HistoryStore, batches: list[list], attribution: Attribution) -> None:
        start.wait(timeout=30)
        try:
            for batch in batches:
                n = store.fold(batch, attribution, now=T0 + DAY)
                with lock:
                    folded.append(n)
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)

    first = [bills[i : i + 100] for i in range(0, 1200, 100)]
    second = [bills[i : i + 150] for i in reversed(range(0, 1200, 150))]
    threads = [
        threading.Thread(target=collect, args=(collectors[0], first, Attribution())),
        threading.Thread(target=collect, args=(collectors[1], second, tracked)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sum(folded) == 1200
    floor = collectors[1].totals(FLOOR, T0, T0 + DAY)[""]
    assert (floor.dialled, floor.answered, floor.abandoned) == (1200, 1200, 400)
    assert collectors[0].fold(bills, tracked, now=T0 + DAY) == 0  # "a" tracks T1 now
    campaign = collectors[0].totals(CAMPAIGN, T0, T0 + DAY)["T1"]
    assert (campaign.dialled, campaign.answered, campaign.abandoned) == (1200, 1200, 400)
    for store in collectors:
        store.close()


def test_a_postgres_that_is_not_there_is_one_clear_error(postgres_url: str) -> None:
    with pytest.raises(StoreError, match=r"cannot open the history store postgresql://wb:\*\*\*@"):
        HistoryStore("postgresql://wb:secret@127.0.0.1:1/none")


def test_missing_server_binaries_name_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import test_history_helpers as helpers

    monkeypatch.setattr(helpers.shutil, "which", lambda name: None)
    monkeypatch.setattr(helpers.glob, "glob", lambda pattern: [])
    with pytest.raises(pytest.fail.Exception, match="install the Debian package postgresql-15"):
        helpers.find_pg_bin()


def test_collectors_starting_together_on_a_new_database_make_its_schema_once(
    postgres_url: str,
) -> None:
    """Two or more collectors first started at once on an empty database: each opens the
    store, and the schema is made once (one version row), not raced."""
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("CREATE DATABASE started_together")
    url = postgres_url.rsplit("/", 1)[0] + "/started_together"
    start = threading.Barrier(6)
    opened: list[HistoryStore] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        start.wait(timeout=30)
        try:
            opened.append(store_at(url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert not errors, errors
        assert len(opened) == 6
        assert opened[0].db.execute("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    finally:
        for store in opened:
            store.close()
