"""`wallboard records`: the whole command against a simulated day, through its own parser.

Done when: `--csv` for a simulated day writes as many rows as GetBill's `totalitems` for the
same filter, plus a header row."""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from wallboard.api.client import WallboardClient
from wallboard.commands import records
from wallboard.live.campaigns import CampaignRegistry, phone_key
from wallboard.live.records_export import HEADER
from wallboard.sim.server import Simulator, serve_in_thread

MIDNIGHT = dt.datetime(2026, 1, 5, 0, 0, tzinfo=dt.UTC).timestamp()
DAY = "2026-01-05"
ENVIRONMENT = (
    "WALLBOARD_URL",
    "WALLBOARD_APPID",
    "WALLBOARD_ACCESSKEY",
    "WALLBOARD_PROFILE",
    "WALLBOARD_TZ",
    "WALLBOARD_QUEUES",
)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="wallboard")
    records.add_parser(parser.add_subparsers(dest="command"))
    code = records.run(parser.parse_args(["records", *argv]))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def simulated_day() -> Iterator[tuple[Simulator, str]]:
    """A whole simulated day of the default floor (some 27,000 calls), the clock stopped at
    its last second, served on loopback."""
    sim = Simulator.from_scenario(manual_clock=True, start=MIDNIGHT)
    sim.advance(86399)
    with serve_in_thread(sim) as url:
        yield sim, url


@pytest.fixture
def day_server(
    simulated_day: tuple[Simulator, str], private_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Simulator, str]:
    sim, url = simulated_day
    monkeypatch.setenv("WALLBOARD_URL", url)
    monkeypatch.setenv("WALLBOARD_APPID", sim.appid)
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", sim.accesskey)
    monkeypatch.setenv("WALLBOARD_TZ", "UTC")  # the simulator writes its times in UTC
    return sim, url


def _total(sim: Simulator, url: str, *, callmethod: int = 0, direction: int = 3) -> int:
    """GetBill's own count of the day's records for the filter."""

    async def ask() -> int:
        async with WallboardClient(url, sim.appid, sim.accesskey) as client:
            page = await client.bills(
                f"{DAY} 00:00:00",
                f"{DAY} 23:59:59",
                callmethod=callmethod,
                direction=direction,
                itemsperpage=1,
            )
        return page.totalitems

    return asyncio.run(ask())


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_csv_of_a_simulated_day_has_every_record_and_a_header(
    day_server: tuple[Simulator, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim, url = day_server
    out = tmp_path / "day.csv"
    code, _, err = run(["--from", DAY, "--to", DAY, "--csv", str(out)], capsys)
    assert code == 0, err
    rows = _csv_rows(out)
    total = _total(sim, url)
    assert total > 20_000
    assert tuple(rows[0]) == HEADER
    assert len(rows) == total + 1
    assert len({row[0] for row in rows[1:]}) == total  # each record once
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert f"{total} records written" in err

    # A filter GetBill has: the same count as the server's for that filter.
    predictive = tmp_path / "predictive-out.csv"
    argv = ["--from", DAY, "--to", DAY, "--method", "predictive", "--direction", "out"]
    code, _, err = run([*argv, "--csv", str(predictive)], capsys)
    assert code == 0, err
    assert len(_csv_rows(predictive)) == _total(sim, url, callmethod=5, direction=2) + 1


def test_dropped_json_and_the_table(
    day_server: tuple[Simulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["--from", f"{DAY} 10:00", "--to", f"{DAY} 11:00", "--json"], capsys)
    assert code == 0, err
    every = json.loads(out)
    assert every["from"] == f"{DAY} 10:00:00" and every["tz"] == "UTC"
    assert every["count"] == len(every["records"]) == every["totalitems"] > 0
    dropped = [r for r in every["records"] if r["outcome"] == "dropped"]

    code, out, _ = run(
        ["--from", f"{DAY} 10:00", "--to", f"{DAY} 11:00", "--dropped", "--json"], capsys
    )
    assert code == 0
    assert [r["id"] for r in json.loads(out)["records"]] == [r["id"] for r in dropped]
    assert all(r["agent"] == "" and r["answered_at"] for r in dropped)

    code, out, _ = run(["--from", f"{DAY} 10:00", "--to", f"{DAY} 10:10"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{DAY} 10:00:00 to {DAY} 10:10:00")
    assert lines[1].split()[:3] == ["id", "started", "agent"]
    assert lines[-1].endswith("records")


def test_to_alone_is_from_the_servers_today_not_this_machines(
    day_server: tuple[Simulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The simulated day is not this machine's: `--to` alone runs from the server's midnight
    (an early check on this machine's clock used to say the range ended before it began)."""
    code, out, err = run(["--to", f"{DAY} 00:10", "--json"], capsys)
    assert code == 0, err
    answer = json.loads(out)
    assert (answer["from"], answer["to"]) == (f"{DAY} 00:00:00", f"{DAY} 00:10:00")
    assert answer["count"] > 0


def test_summaries_add_up(
    day_server: tuple[Simulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["--from", "08:00", "--to", "12:00", "--summary", "agent", "--json"], capsys
    )
    assert code == 0, err
    document = json.loads(out)
    rows, total = document["rows"], document["total"]
    assert document["from"] == f"{DAY} 08:00:00"  # a time is of the server's today
    for key in ("calls", "answered", "handled", "talk_seconds", "dropped"):
        assert sum(row[key] for row in rows) == total[key]
    assert rows[-1]["label"] == "(no agent)" and rows[-1]["dropped"] == total["dropped"] > 0
    assert all(row["dropped"] == 0 for row in rows[:-1])

    code, out, _ = run(["--from", "08:00", "--to", "12:00", "--summary", "agent"], capsys)
    assert code == 0 and "all calls" in out.splitlines()[-1]


def test_a_campaign_and_its_summary(
    day_server: tuple[Simulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    morning = ["--from", f"{DAY} 10:00", "--to", f"{DAY} 10:30", "--method", "predictive"]
    code, out, _ = run([*morning, "--json"], capsys)
    numbers = sorted({r["destination"] for r in json.loads(out)["records"]})[:20]
    assert code == 0 and len(numbers) == 20
    CampaignRegistry.default().track("9001", name="Renewals", numbers=numbers)
    keys = {phone_key(n) for n in numbers}

    code, out, err = run(["--from", DAY, "--to", DAY, "--campaign", "9001", "--json"], capsys)
    assert code == 0, err
    found = json.loads(out)["records"]
    assert {phone_key(r["destination"]) for r in found} == keys
    assert all(r["method"] == "predictive" and r["direction"] == "out" for r in found)

    code, out, err = run(["--from", DAY, "--to", DAY, "--summary", "campaign", "--json"], capsys)
    assert code == 0, err
    rows = {row["label"]: row for row in json.loads(out)["rows"]}
    assert rows["Renewals (9001)"]["calls"] == len(found)
    assert rows["Renewals (9001)"]["dropped"] == sum(r["outcome"] == "dropped" for r in found)

    code, _, err = run(["--campaign", "424242"], capsys)
    assert code == 2 and "not tracked" in err


def test_abandoned_numbers_once_each_newest_first(
    day_server: tuple[Simulator, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(["--from", DAY, "--to", DAY, "--abandoned", "--json"], capsys)
    assert code == 0, err
    calls = json.loads(out)["calls"]
    assert calls, "a simulated day drops some calls"
    numbers = [c["number"] for c in calls]
    assert len(numbers) == len(set(numbers))
    times = [c["dropped_at"] for c in calls]
    assert times == sorted(times, reverse=True)

    out_file = tmp_path / "call-back.csv"
    code, _, _ = run(["--from", DAY, "--to", DAY, "--abandoned", "--csv", str(out_file)], capsys)
    assert code == 0 and len(_csv_rows(out_file)) == len(calls) + 1


def test_a_recording_by_bill_id_and_its_download(
    day_server: tuple[Simulator, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(
        ["--from", f"{DAY} 10:00", "--to", f"{DAY} 10:05", "--answered", "--json"], capsys
    )
    record = next(r for r in json.loads(out)["records"] if r["recording"])
    target = tmp_path / "call.wav"
    argv = ["--from", DAY, "--to", DAY, "--recording", record["id"], "--download", str(target)]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert f"recording: {record['recording']}" in out and "expires:" in out
    assert target.read_bytes()[:4] == b"RIFF"

    code, _, err = run(["--from", DAY, "--to", DAY, "--recording", "999999999"], capsys)
    assert code == 1 and "no call record 999999999" in err


def test_mistakes_are_one_line_and_exit_2(
    private_dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WALLBOARD_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("WALLBOARD_APPID", "a")
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", "k")
    for argv, words in (
        (["--from", "soon"], "is not a time"),
        (["--from", "12:00", "--to", "11:00"], "ends"),
        (["--method", "fax"], "--method"),
        (["--download", "x.wav"], "--download goes with --recording"),
    ):
        code, _, err = run(argv, capsys)
        assert code == 2 and words in err and len(err.strip().splitlines()) == 1, (argv, err)


def test_a_dead_server_is_exit_1(
    private_dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("WALLBOARD_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("WALLBOARD_APPID", "a")
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", "k")
    code, _, err = run(["--csv", str(private_dirs / "x.csv")], capsys)
    assert code == 1 and "unreachable" in err and "Traceback" not in err
    assert not (private_dirs / "x.csv").exists()
