"""`wallboard report`: by agent, campaign, queue and day from the history store only, as a
table, CSV or a self-contained HTML page with plots; never a request to the server."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from test_history_helpers import UTC, agent, bill, snapshot

from wallboard.commands import report as report_command
from wallboard.commands.options import add_profile_options
from wallboard.live.history.fold import Attribution
from wallboard.live.history.report import as_csv, as_text, build_report
from wallboard.live.history.store import HistoryStore
from wallboard.live.snapshot import AgentState

DAY1 = dt.datetime(2026, 1, 5, tzinfo=UTC).timestamp()
DAY = 86400.0
ATTRIBUTION = Attribution({"T1": [f"1555{i:04d}" for i in range(100)]}, {"T1": "sales"})


@pytest.fixture(autouse=True)
def _own_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    for name in ("WALLBOARD_PROFILE", "WALLBOARD_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    """Two days: day 1 has 40 answered (4 dropped) by 8001/8002, day 2 has 10 (1 dropped)."""
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path, tz=UTC)
    bills = []
    for i in range(40):
        ext = "" if i % 10 == 0 else ("8001" if i % 2 else "8002")
        bills.append(
            bill(
                i, DAY1 + 9 * 3600 + 60 * i, number=f"1555{i:04d}", ext=ext, answer_after=3, talk=60
            )
        )
    for i in range(10):
        bills.append(
            bill(
                100 + i,
                DAY1 + DAY + 10 * 3600 + 60 * i,
                number=f"1555{i:04d}",
                ext="" if i == 0 else "8001",
                answer_after=3,
                talk=30,
            )
        )
    store.fold(bills, ATTRIBUTION, now=DAY1 + 2 * DAY)
    for i in range(31):
        store.observe(snapshot(DAY1 + 9 * 3600 + 2 * i, agent("8001", AgentState.PAUSED)))
    store.close()
    return path


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_profile_options(parser)
    subparsers = parser.add_subparsers(dest="command")
    report_command.add_parser(subparsers)  # type: ignore[arg-type]
    return report_command.run(parser.parse_args(["report", *argv]))


def test_report_by_day_counts_each_day(store_file: Path) -> None:
    store = HistoryStore(store_file, tz=UTC)
    report = build_report(store, DAY1, DAY1 + 2 * DAY, "day", tz=UTC)
    assert report.column("day") == ["2026-01-05", "2026-01-06"]
    assert report.column("answered") == [40, 10]
    assert report.column("dropped") == [4, 1]
    assert report.column("abandon") == [0.1, 0.1]
    assert report.column("paused") == [60, 0]
    text = as_text(report)
    assert "10.00%" in text and "2026-01-06" in text


def test_report_by_agent_and_queue(store_file: Path) -> None:
    store = HistoryStore(store_file, tz=UTC)
    agents = build_report(
        store, DAY1, DAY1 + 2 * DAY, "agent", agent_names=lambda ext: {"8001": "Ann"}.get(ext, "")
    )
    assert agents.column("extension") == ["8001", "8002"]
    assert agents.column("agent") == ["Ann", ""]
    assert agents.column("answered") == [20 + 9, 16]  # odd calls, even ones but the drops
    assert agents.column("handle") == [round((20 * 60 + 9 * 30) / 29), 60]
    assert agents.column("paused") == [60, 0]
    queues = build_report(store, DAY1, DAY1 + DAY, "queue")
    assert queues.column("queue") == ["sales"] and queues.column("dropped") == [4]


def test_report_by_campaign_has_the_rules_windows(store_file: Path) -> None:
    store = HistoryStore(store_file, tz=UTC)
    report = build_report(store, DAY1, DAY1 + 2 * DAY, "campaign", campaign_names={"T1": "Spring"})
    assert len(report.rows) == 1
    assert report.column("campaign") == ["Spring"] and report.column("answered") == [50]
    assert report.column("abandon_30d") == [5 / 50]
    assert report.column("abandon_24h") == [1 / 10]  # the last 24 h of the period
    assert report.column("counted_30d") == ["38 h"]  # held since day 1, 09:00


def test_a_period_ending_later_than_now_counts_the_windows_up_to_now(store_file: Path) -> None:
    store = HistoryStore(store_file, tz=UTC)
    noon = DAY1 + DAY + 12 * 3600  # day 2 at noon; the period runs to day 3's midnight
    report = build_report(store, DAY1, DAY1 + 2 * DAY, "campaign", now=noon)
    assert report.column("counted_30d") == ["27 h"]  # day 1, 09:00 to now: not to midnight
    assert report.column("abandon_24h") == [1 / 10]
    # A period over before now: its own last second, as before (09:00 to 23:59:59).
    assert build_report(store, DAY1, DAY1 + DAY, "campaign", now=noon).column("counted_30d") == [
        "14 h"
    ]
    store.close()


def test_csv_and_html_files_from_the_command(store_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "days.csv"
    assert (
        run(
            "--db",
            str(store_file),
            "--tz",
            "UTC",
            "--from",
            "2026-01-05",
            "--to",
            "2026-01-06",
            "--by",
            "day",
            "--csv",
            str(out),
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["answered"] for r in rows] == ["40", "10"] and rows[0]["abandon"] == "0.1"
    page = tmp_path / "campaigns.html"
    assert (
        run(
            "--db",
            str(store_file),
            "--tz",
            "UTC",
            "--from",
            "2026-01-05",
            "--to",
            "2026-01-06",
            "--by",
            "campaign",
            "--html",
            str(page),
        )
        == 0
    )
    text = page.read_text()
    assert text.count("<svg") >= 1 and "@media print" in text
    # Nothing fetched when it opens: no script or style from elsewhere, only namespaces.
    assert "src=" not in text and "@import" not in text
    assert not re.findall(r'(?:href|url)\(?=?"?(?:https?:|//)', text)


def test_the_report_never_builds_a_client(
    store_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wallboard.api import client

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report built a vendor client")

    monkeypatch.setattr(client.WallboardClient, "__init__", refuse)
    assert (
        run(
            "--db",
            str(store_file),
            "--tz",
            "UTC",
            "--from",
            "2026-01-05",
            "--to",
            "2026-01-05",
            "--by",
            "agent",
        )
        == 0
    )
    assert "8001" in capsys.readouterr().out


def test_mistakes_are_one_line(
    store_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--db", str(store_file), "--tz", "UTC", "--from", "5 Jan") == 2
    assert capsys.readouterr().err == (
        "wallboard report: --from '5 Jan' is not a day: write YYYY-MM-DD\n"
    )
    assert (
        run("--db", str(store_file), "--tz", "UTC", "--from", "2026-01-07", "--to", "2026-01-06")
        == 2
    )
    assert "is after --to" in capsys.readouterr().err
    assert run("--tz", "Mars/Base") == 2
    assert "not a time zone name" in capsys.readouterr().err
    assert run("--tz", "UTC") == 2  # no store in the data dir yet
    assert "no history store at" in capsys.readouterr().err
    assert run("--db", str(store_file), "--tz", "UTC", "--csv", str(tmp_path / "no" / "x.csv")) == 1
    assert "cannot write" in capsys.readouterr().err


def test_an_empty_period_says_so(store_file: Path) -> None:
    store = HistoryStore(store_file, tz=UTC)
    report = build_report(store, DAY1 + 10 * DAY, DAY1 + 11 * DAY, "agent")
    assert report.rows == () and "nothing in the history store" in as_text(report)
    assert as_csv(report).splitlines() == [",".join(c.key for c in report.columns)]


def test_the_dashboards_feed_opens_or_says_why_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = report_command.history_feed(tmp_path / "h.sqlite3", tz=UTC, source="acct")
    assert feed is not None and feed.store.source == "acct"
    feed.close()
    (tmp_path / "file").write_text("")
    assert report_command.history_feed(tmp_path / "file" / "h.sqlite3", tz=UTC) is None
    err = capsys.readouterr().err
    assert err.startswith("wallboard: warning: cannot open the history store") and "30 d" in err
