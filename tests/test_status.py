"""`wallboard status [--json]`: the formatter on hand-made snapshots, and the whole command
against a simulator whose clock is days and hours away from this machine's."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import re
import socket
import time
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest

from wallboard.api.client import WallboardClient
from wallboard.commands import main
from wallboard.commands.demo import demo_server, track_demo_campaigns
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.snapshot import (
    AgentState,
    AgentView,
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
    FloorTotals,
    QueueView,
)
from wallboard.live.status import (
    STATE_NAMES,
    as_json,
    as_table,
    failure_status,
    floor_status,
)
from wallboard.sim.server import Simulator

TAKEN = 1767603600.0  # 2026-01-05 09:00:00 UTC
SERVER_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DOCUMENT_KEYS = {
    "server_time",
    "tz",
    "age_seconds",
    "stale",
    "error",
    "today",
    "calls_in_progress",
    "counts",
    "agents",
    "campaigns",
    "queues_shown",
}


def agent(
    ext: str, queue: str, state: AgentState, in_state: float, *, at_least: bool = False
) -> AgentView:
    return AgentView(
        extnumber=ext,
        queue=queue,
        name=f"agent {ext}",
        state=state,
        since=TAKEN - in_state,
        at_least=at_least,
    )


def campaign(taskid: str, status: CampaignStatus, answered: int, dropped: int) -> CampaignView:
    return CampaignView(
        taskid=taskid,
        name=f"task {taskid}",
        status=status,
        total=100,
        dialled=answered + 5,
        answered=answered,
        dropped=dropped,
        remaining=95 - answered,
        abandon_rate=dropped / answered if answered else 0.0,
        drop_budget=0,
    )


def snapshot(**changes: object) -> FloorSnapshot:
    """Two queues; agent 8003 is in both (talking in sales, also listed in support)."""
    sales = QueueView(
        "sales",
        agents=(
            # A pause whose row gave no seatschangetime: first seen 54.6 s ago.
            agent("8001", "sales", AgentState.PAUSED, 54.6, at_least=True),
            agent("8003", "sales", AgentState.TALKING, 125),
        ),
    )
    support = QueueView(
        "support",
        agents=(
            agent("8002", "support", AgentState.IDLE, 30),
            agent("8003", "support", AgentState.TALKING, 125),
            agent("8004", "support", AgentState.OFFLINE, 0, at_least=True),
        ),
    )
    fields: dict[str, object] = {
        "taken_at": TAKEN,
        "queues": (sales, support),
        "campaigns": (
            campaign("T1", CampaignStatus.RUNNING, 40, 1),
            campaign("T2", CampaignStatus.NOT_STARTED, 0, 0),
        ),
        "totals": FloorTotals(
            idle=1, talking=1, paused=1, offline=1, calls_in_progress=1, answered_today=80
        ),
    }
    fields.update(changes)
    return FloorSnapshot(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the formatter


def test_the_document_holds_every_figure_of_the_snapshot() -> None:
    doc = as_json(floor_status(snapshot(), now=TAKEN + 0.44, tz=dt.UTC))
    assert set(doc) == DOCUMENT_KEYS
    assert doc["server_time"] == "2026-01-05 09:00:00" and doc["tz"] == "UTC"
    assert doc["age_seconds"] == 0.4 and doc["stale"] is False and doc["error"] is None
    assert doc["today"] == {
        "answered": 80,
        "dropped": 0,
        "abandon_rate": 0.0,
        "dropped_15m": 0,
        "dropped_60m": 0,
        "all_queues": True,
    }
    assert doc["calls_in_progress"] == 1
    counts = doc["counts"]
    assert isinstance(counts, dict)
    # The floor counts people (8003 once); each queue counts its members (8003 in both).
    assert counts["floor"] == {
        "idle": 1,
        "ringing": 0,
        "talking": 1,
        "wrap-up": 0,
        "paused": 1,
        "missed": 0,
        "offline": 1,
        "disabled": 0,
    }
    assert counts["queues"]["sales"]["talking"] == 1 and counts["queues"]["sales"]["paused"] == 1
    assert counts["queues"]["support"]["talking"] == 1
    assert sum(counts["queues"]["support"].values()) == 3
    assert list(counts["queues"]["support"]) == list(STATE_NAMES)
    agents = doc["agents"]
    assert isinstance(agents, list)
    assert [(a["extnumber"], a["queue"]) for a in agents] == [
        ("8001", "sales"),
        ("8003", "sales"),
        ("8002", "support"),
        ("8003", "support"),
        ("8004", "support"),
    ]
    paused = agents[0]
    assert paused == {
        "extnumber": "8001",
        "name": "agent 8001",
        "queue": "sales",
        "state": "paused",
        "seconds_in_state": 54,
        "at_least": True,  # the live model marked it: no start from the server
    }
    assert agents[1]["state"] == "talking" and agents[1]["seconds_in_state"] == 125
    assert agents[1]["at_least"] is False  # callduration gives the call's start
    assert {a["state"] for a in agents} <= set(STATE_NAMES)


def test_campaigns_and_rates_are_null_where_nothing_was_answered() -> None:
    doc = as_json(floor_status(snapshot(), now=TAKEN, tz=dt.UTC))
    campaigns = doc["campaigns"]
    assert isinstance(campaigns, list)
    first, second = campaigns
    assert first == {
        "taskid": "T1",
        "name": "task T1",
        "status": "running",
        "dialled": 45,
        "answered": 40,
        "dropped": 1,
        "live": 0,
        "finished_dialled": 45,
        "finished_answered": 40,
        "abandon_rate": 0.025,
        "total": 100,
        "remaining": 55,
        # No history store: the rules' windows are null, never 0.
        "abandon_24h": None,
        "abandon_30d": None,
        "budget_24h": None,
        "budget_30d": None,
        "counted_hours_24h": None,
        "counted_hours_30d": None,
        "strict_24h": None,
        "strict_30d": None,
        "rate_test": "simple",
    }
    assert second["status"] == "not-started"
    assert second["answered"] == 0 and second["abandon_rate"] is None


def test_the_rules_windows_are_in_the_document_and_the_table() -> None:
    """24 h and 30 d figures from the history store, and over how long a short one is."""
    windowed = dataclasses.replace(
        campaign("T1", CampaignStatus.RUNNING, 40, 1),
        abandon_24h=0.02,
        abandon_30d=0.026666,
        budget_24h=2,
        budget_30d=0,
        counted_over_24h=86400,
        counted_over_30d=52 * 3600,
        strict_24h=0.03,
        strict_30d=None,
    )
    status = floor_status(snapshot(campaigns=(windowed,)), now=TAKEN, tz=dt.UTC)
    (line,) = as_json(status)["campaigns"]  # type: ignore[misc]
    assert line["abandon_24h"] == 0.02 and line["abandon_30d"] == 0.0267
    assert (line["budget_24h"], line["budget_30d"]) == (2, 0)
    assert (line["counted_hours_24h"], line["counted_hours_30d"]) == (24.0, 52.0)
    assert (line["strict_24h"], line["strict_30d"]) == (0.03, None)
    table = as_table(status)
    assert "2.0%" in table and "2.7%" in table
    assert "(30 d over 52 h)" in table and "24 h over" not in table


def test_an_ended_campaign_reads_ended_in_the_document_and_the_table() -> None:
    """The server's 1028 "task over" is "ended", the supervisor's word, on every surface."""
    ended = snapshot(campaigns=(campaign("T9", CampaignStatus.OVER, 40, 1),))
    status = floor_status(ended, now=TAKEN, tz=dt.UTC)
    (line,) = as_json(status)["campaigns"]  # type: ignore[misc]
    assert line["status"] == "ended"
    table = as_table(status)
    assert " ended " in table and "over" not in table


def test_no_bills_read_is_no_data_not_zero() -> None:
    no_figures = {
        "answered": None,
        "dropped": None,
        "abandon_rate": None,
        "dropped_15m": None,
        "dropped_60m": None,
        "all_queues": True,
    }
    partial = snapshot(error="GetBill failed: 500", totals=FloorTotals(idle=1))
    doc = as_json(floor_status(partial, now=TAKEN, tz=dt.UTC))
    assert doc["today"] == no_figures
    assert doc["error"] == "GetBill failed: 500"
    # Bills still being counted (a busy day, just started): no figures yet either.
    counting = snapshot(bills_read=False, totals=FloorTotals(answered_today=3))
    assert as_json(floor_status(counting, now=TAKEN, tz=dt.UTC))["today"] == no_figures
    nothing = as_json(floor_status(snapshot(totals=FloorTotals()), now=TAKEN, tz=dt.UTC))
    assert nothing["today"] == no_figures | {
        "answered": 0,
        "dropped": 0,
        "dropped_15m": 0,
        "dropped_60m": 0,
    }


def test_server_time_is_written_in_the_profile_zone() -> None:
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    doc = as_json(floor_status(snapshot(), now=TAKEN, tz=shanghai))
    assert doc["server_time"] == "2026-01-05 17:00:00" and doc["tz"] == "Asia/Shanghai"


def test_a_failure_has_the_same_keys_and_no_figures() -> None:
    doc = as_json(failure_status("server unreachable", tz=dt.UTC, queues_shown=["sales"]))
    assert set(doc) == DOCUMENT_KEYS
    assert doc["error"] == "server unreachable" and doc["stale"] is True
    assert doc["server_time"] is None and doc["age_seconds"] is None
    assert doc["today"] == {
        "answered": None,
        "dropped": None,
        "abandon_rate": None,
        "dropped_15m": None,
        "dropped_60m": None,
        "all_queues": True,
    }
    assert doc["agents"] == [] and doc["campaigns"] == []
    assert doc["queues_shown"] == ["sales"]
    assert as_table(failure_status("server unreachable")) == "no data: server unreachable\n"


def test_the_table_is_short_and_marks_lower_bounds() -> None:
    status = floor_status(snapshot(), now=TAKEN + 2, tz=dt.UTC)
    text = as_table(status)
    assert "server time 2026-01-05 09:00:00 UTC · data 2 s old" in text
    assert "answered 80 · dropped 0 · abandon 0.0% (finished calls)" in text
    assert "1 idle · 0 ringing · 1 talking" in text
    assert re.search(r"^sales\s+0\s+0\s+1\s+0\s+1\s+0\s+0\s+0$", text, re.MULTILINE)
    assert re.search(r"task T1\s+running\s+45\s+40\s+1\s+0\s+2\.5%", text)
    assert "8001" not in text  # agents only when asked for
    listed = as_table(status, agents=True)
    assert re.search(r"^8001 .*paused\s+≥0:54$", listed, re.MULTILINE)
    assert re.search(r"^8003 .*talking\s+2:05$", listed, re.MULTILINE)
    unknown = as_table(floor_status(snapshot(error="GetBill failed"), now=TAKEN))
    assert "no data (the bills could not be read)" in unknown
    assert "warning     GetBill failed" in unknown


# ---------------------------------------------------------------------- the command


@pytest.fixture
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))
    for name in (
        "WALLBOARD_URL",
        "WALLBOARD_APPID",
        "WALLBOARD_ACCESSKEY",
        "WALLBOARD_PROFILE",
        "WALLBOARD_TZ",
        "WALLBOARD_QUEUES",
        "WALLBOARD_CALLBACK_LISTEN",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def far_server(
    private_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Simulator, str]]:
    """A simulated floor whose clock began 2 days and 7 hours before this machine's, run
    for half an hour of its time (inside its day), with its campaigns tracked; the profile
    points at it through the environment."""
    start = float(int(time.time())) - 2 * 86400 - 7 * 3600
    with demo_server(start=start, manual_clock=True) as (sim, url):
        sim.advance(1800)
        if _midnight(sim.now()) > sim.now() - 1800:  # crossed its midnight: stay in its day
            sim.advance(1800)
        monkeypatch.setenv("WALLBOARD_URL", url)
        monkeypatch.setenv("WALLBOARD_APPID", sim.appid)
        monkeypatch.setenv("WALLBOARD_ACCESSKEY", sim.accesskey)
        monkeypatch.setenv("WALLBOARD_TZ", "UTC")  # the simulator writes its times in UTC
        track_demo_campaigns(sim, CampaignRegistry.default())
        yield sim, url


def _midnight(moment: float) -> float:
    day = dt.datetime.fromtimestamp(moment, dt.UTC).date()
    return dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def _bill_figures(url: str, sim: Simulator) -> tuple[int, int]:
    """Answered and dropped predictive calls of the simulator's day (it writes UTC)."""
    begin = sim.format_time(_midnight(sim.now()))
    end = sim.format_time(_midnight(sim.now()) + 86399)
    assert begin is not None and end is not None
    answered, dropped, _ = await _count_bills(url, sim, begin, end)
    return answered, dropped


async def _count_bills(url: str, sim: Simulator, begin: str, end: str) -> tuple[int, int, int]:
    """Counted straight from the server's own bills, page by page: answered has an
    answertime; dropped was answered and no agent took it (no extension, or the dialer's
    000000); and every predictive outgoing call."""
    answered = dropped = calls = 0
    async with WallboardClient(url, sim.appid, sim.accesskey) as client:
        page_number = 1
        while True:
            page = await client.bills(
                begin, end, direction=2, callmethod=5, currentpage=page_number
            )
            for bill in page.bills:
                calls += 1
                if bill.answertime.strip() and not bill.answertime.startswith("0000"):
                    answered += 1
                    if set(bill.extnumber.strip()) <= {"0"}:
                        dropped += 1
            if not page.bills or page_number * page.itemsperpage >= page.totalitems:
                break
            page_number += 1
    return answered, dropped, calls


async def _queue_rows(url: str, sim: Simulator) -> set[tuple[str, str]]:
    async with WallboardClient(url, sim.appid, sim.accesskey) as client:
        rows = await client.queue_agents()
    return {(row.queuename.strip(), row.extnumber.strip()) for row in rows}


def test_status_json_against_a_far_away_server(
    far_server: tuple[Simulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sim, url = far_server
    code, out, err = run(["status", "--json"], capsys)
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert set(doc) >= DOCUMENT_KEYS
    assert SERVER_TIME.match(doc["server_time"]) and doc["tz"] == "UTC"
    assert doc["stale"] is False and doc["error"] is None and doc["age_seconds"] < 5
    rows = asyncio.run(_queue_rows(url, sim))
    assert {(a["queue"], a["extnumber"]) for a in doc["agents"]} == rows
    assert {a["state"] for a in doc["agents"]} <= set(STATE_NAMES)
    assert all(a["seconds_in_state"] >= 0 for a in doc["agents"])
    people = {a["extnumber"] for a in doc["agents"]}
    assert sum(doc["counts"]["floor"].values()) == len(people)
    for queue, counts in doc["counts"]["queues"].items():
        assert sum(counts.values()) == sum(1 for q, _ in rows if q == queue)
    assert [c["taskid"] for c in doc["campaigns"]] == [task.taskid for task in sim.tasks()]
    answered, _ = asyncio.run(_bill_figures(url, sim))
    assert answered > 0  # the simulator's day has calls: the comparison below means something


def test_today_is_the_servers_day(
    far_server: tuple[Simulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sim, url = far_server
    code, out, _ = run(["status", "--json"], capsys)
    assert code == 0
    today = json.loads(out)["today"]
    answered, dropped = asyncio.run(_bill_figures(url, sim))
    assert answered > 0
    assert (today["answered"], today["dropped"]) == (answered, dropped)


def test_server_time_is_the_servers_clock(
    far_server: tuple[Simulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sim, _ = far_server
    code, out, _ = run(["status", "--json"], capsys)
    assert code == 0
    shown = dt.datetime.strptime(json.loads(out)["server_time"], "%Y-%m-%d %H:%M:%S")
    assert abs(shown.replace(tzinfo=dt.UTC).timestamp() - sim.now()) < 5


def test_the_table_and_the_queue_scope(
    far_server: tuple[Simulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["status"], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("server time ") and "autocall-sales" in out and "Traceback" not in out
    code, out, _ = run(["status", "--json", "--queues", "autocall-sales"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["queues_shown"] == ["autocall-sales"]
    assert set(doc["counts"]["queues"]) == {"autocall-sales"}
    assert {a["queue"] for a in doc["agents"]} == {"autocall-sales"}


def test_a_wrong_accesskey_is_exit_1_with_the_reason(
    far_server: tuple[Simulator, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", "not-the-key")
    code, out, err = run(["status", "--json"], capsys)
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "login refused" in err
    doc = json.loads(out)
    assert doc["stale"] is True and "login refused" in doc["error"]
    assert doc["today"]["answered"] is None and doc["agents"] == []
    assert "not-the-key" not in out + err
    code, out, err = run(["status"], capsys)
    assert code == 1 and out == "" and "login refused" in err


def test_a_dead_server_is_exit_1(
    private_dirs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("WALLBOARD_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("WALLBOARD_APPID", "a")
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", "k")
    began = time.monotonic()
    code, out, err = run(["status", "--json"], capsys)
    assert code == 1 and time.monotonic() - began < 10
    assert err.strip() == "wallboard status: server unreachable"
    assert json.loads(out)["error"] == "server unreachable"
    data = private_dirs / "data"  # made by this run: its owner's alone, and so is the log
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "wallboard.log").stat().st_mode & 0o777 == 0o600


def test_a_configuration_mistake_is_exit_2(
    private_dirs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["status"], capsys)
    assert code == 2 and out == "" and "WALLBOARD_URL" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    monkeypatch.setenv("WALLBOARD_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("WALLBOARD_APPID", "a")
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", "k")
    monkeypatch.setenv("WALLBOARD_TZ", "Mars/Olympus")
    code, out, err = run(["status", "--json"], capsys)
    assert code == 2 and "'tz' 'Mars/Olympus' is not a time zone name" in err
    doc = json.loads(out)
    assert doc["stale"] is True and "Mars/Olympus" in doc["error"]


def _zone_well_into_its_day() -> dt.tzinfo:
    """A fixed-offset zone where it is now between 02:00 and 22:00: the last hour is then
    all of one day there, whatever this machine's hour."""
    for hours in range(-12, 15):
        zone = zoneinfo.ZoneInfo(f"Etc/GMT{-hours:+d}" if hours else "UTC")
        if 2 <= dt.datetime.now(zone).hour < 22:
            return zone
    raise AssertionError("no zone is between 02:00 and 22:00")  # pragma: no cover


def test_a_busy_day_is_read_in_full(
    private_dirs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """More bills than one poll reads (3 pages of 1,000): status reads on until the day's
    figures are whole, and they equal the server's own bills."""
    from wallboard.sim.server import serve_in_thread

    zone = _zone_well_into_its_day()
    sim = Simulator.from_scenario(
        agents=200, start=float(int(time.time())) - 3600, manual_clock=True, tz=zone
    )
    try:
        sim.advance(3600)
        with serve_in_thread(sim) as url:
            monkeypatch.setenv("WALLBOARD_URL", url)
            monkeypatch.setenv("WALLBOARD_APPID", sim.appid)
            monkeypatch.setenv("WALLBOARD_ACCESSKEY", sim.accesskey)
            monkeypatch.setenv("WALLBOARD_TZ", str(zone))
            answered, dropped, bills = asyncio.run(_day_of(url, sim, zone))
            assert bills > 3000  # more than one poll reads
            code, out, err = run(["status", "--json"], capsys)
    finally:
        sim.close()
    assert (code, err) == (0, "")
    today = json.loads(out)["today"]
    assert (today["answered"], today["dropped"]) == (answered, dropped)


async def _day_of(url: str, sim: Simulator, zone: dt.tzinfo) -> tuple[int, int, int]:
    """Answered, dropped and all predictive calls of the server's day in `zone`."""
    day = dt.datetime.fromtimestamp(sim.now(), zone).date()
    begin = dt.datetime.combine(day, dt.time(), zone).strftime("%Y-%m-%d %H:%M:%S")
    end = dt.datetime.combine(day, dt.time(23, 59, 59), zone).strftime("%Y-%m-%d %H:%M:%S")
    return await _count_bills(url, sim, begin, end)


def test_a_data_dir_that_cannot_be_made_is_exit_2(
    private_dirs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = private_dirs / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(blocker / "data"))
    monkeypatch.setenv("WALLBOARD_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("WALLBOARD_APPID", "a")
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", "k")
    code, out, err = run(["status", "--json"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"data dir {blocker / 'data'}" in err and "Traceback" not in err
    assert json.loads(out)["error"] == "the data dir cannot be made"
