"""`wallboard campaign create` at 23:00 UTC on the server's clock: every number of a list
spanning the US, the UK and Australia gets a `time` inside its own local window, and the
simulator (which honours `time`) holds it until then. The simulator's clock is months away
from this machine's, so a plan made on the host's clock would fail."""

from __future__ import annotations

import argparse
import datetime as dt
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wallboard.commands import campaign
from wallboard.live.audit import AuditLog
from wallboard.sim.server import Simulator, create_app, serve_app_in_thread

QUEUE = "autocall-sales"
ACCESSKEY = "calling-hours-accesskey-0123456789"
#: The server's "now": 23:00 UTC, a summer evening in Sydney is 09:00 the next morning.
SERVER_NOW = dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)
AUSTRALIA = (
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Eucla",
    "Australia/Lord_Howe",
    "Australia/Perth",
    "Australia/Sydney",
    "Indian/Christmas",
    "Indian/Cocos",
)


def command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="wallboard")
    campaign.add_parser(parser.add_subparsers(dest="command"))
    return campaign.run(parser.parse_args(list(argv)))


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WALLBOARD_PROFILE", raising=False)
    monkeypatch.delenv("WALLBOARD_REGION", raising=False)
    monkeypatch.delenv("WALLBOARD_READ_ONLY", raising=False)
    simulator = Simulator.from_scenario(
        manual_clock=True,
        agents=4,
        queues=1,
        accesskey=ACCESSKEY,
        start=SERVER_NOW.timestamp(),
    )
    with serve_app_in_thread(create_app(simulator)) as url:
        monkeypatch.setenv("WALLBOARD_URL", url)
        monkeypatch.setenv("WALLBOARD_APPID", simulator.appid)
        monkeypatch.setenv("WALLBOARD_ACCESSKEY", ACCESSKEY)
        monkeypatch.setenv("WALLBOARD_TZ", "UTC")
        try:
            yield simulator
        finally:
            simulator.close()


def held_times(simulator: Simulator, taskid: str) -> dict[str, float]:
    with simulator.lock:
        task = simulator.floor.tasks[taskid]
        return {phone: number.time for phone, number in task.numbers.items()}


def inside(moment: float, zone: str) -> bool:
    local = dt.datetime.fromtimestamp(moment, zoneinfo.ZoneInfo(zone)).time()
    return dt.time(8, 0) <= local < dt.time(21, 0)


def test_each_number_rings_first_inside_its_own_window(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "national.csv"
    path.write_text(
        "telphone\n+1 212 555 0100\n+1 415 555 0100\n+44 7400 123456\n+44 20 7946 0000\n"
        "+61 2 9876 5432\n+61 412 345 678\n+800 1234 5678\n",
        encoding="utf-8",
    )
    before = {task.taskid for task in sim.tasks()}
    rc = command("campaign", "create", "national", "--numbers", str(path), "--queue", QUEUE,
                 "--yes", "--paused")  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    out = captured.out
    (taskid,) = [task.taskid for task in sim.tasks() if task.taskid not in before]
    times = held_times(sim, taskid)
    now = SERVER_NOW.timestamp()
    # New York (18:00) and San Francisco (15:00) are open: dialled at once.
    assert times["+12125550100"] <= now and times["+14155550100"] <= now
    for phone in ("+447400123456", "+442079460000"):  # 23:00 in London: tomorrow at 08:00
        assert times[phone] > now and inside(times[phone], "Europe/London")
        assert not inside(times[phone] - 1, "Europe/London")
    assert times["+61298765432"] <= now  # 10:00 in Sydney
    mobile = times["+61412345678"]
    assert all(inside(mobile, zone) for zone in AUSTRALIA)
    assert "+80012345678" not in times  # its zone cannot be told: held back, listed
    assert "outside now         3   outside their local calling hours at 2026-11-30 23:00:00" in out
    assert "(the server's clock); each number is held" in out
    assert "Europe/London" in out and "opens 2026-12-01 08:00:00" in out
    assert "'+800 1234 5678': its time zone cannot be told" in out
    assert "spans 8 time zones" in out
    invalid = (tmp_path / "national.csv.invalid.csv").read_text(encoding="utf-8")
    assert "+800 1234 5678" in invalid and "not sent: its time zone cannot be told" in invalid


def test_unknown_zones_can_be_sent_by_choice(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "freephone.csv"
    path.write_text("telphone\n+800 1234 5678\n", encoding="utf-8")
    before = {task.taskid for task in sim.tasks()}
    rc = command("campaign", "create", "freephone", "--numbers", str(path), "--queue", QUEUE,
                 "--yes", "--paused", "--unknown-zones", "send")  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    (taskid,) = [task.taskid for task in sim.tasks() if task.taskid not in before]
    assert list(held_times(sim, taskid)) == ["+80012345678"]


def test_read_only_refuses_and_the_refusal_is_audited(
    sim: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WALLBOARD_READ_ONLY", "1")
    path = tmp_path / "few.csv"
    path.write_text("telphone\n+1 212 555 0100\n", encoding="utf-8")
    before = len(sim.tasks())
    rc = command("campaign", "create", "few", "--numbers", str(path), "--queue", QUEUE, "--yes")
    assert rc == 2 and "read-only" in capsys.readouterr().err
    assert len(sim.tasks()) == before
    (entry,) = AuditLog().entries()
    assert (entry["action"], entry["outcome"], entry["campaign"]) == (
        "create campaign",
        "refused",
        "few",
    )


class RefuseAfterCreate:
    """Around the simulator's app: once a TaskCreat has been answered, every request is
    refused by the account (603, before it is carried out) until `refusing` is cleared."""

    def __init__(self, app: ASGIApp, sim: Simulator) -> None:
        self.app = app
        self.sim = sim
        self.refusing = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def watch(message: Message) -> None:
            await send(message)
            created = self.sim.stats()["services"].get("App.Sip_Yccall.TaskCreat", 0)
            if message["type"] == "http.response.body" and created and self.refusing:
                self.sim.faults.unlicensed = 1.0

        await self.app(scope, receive, watch if scope["type"] == "http" else send)


def test_an_upload_finished_after_the_windows_opened_sends_the_same_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The journal keeps the server's moment the times were planned at: finished the next
    morning, the list is planned from that moment again, so the chunks are the same ones and
    nothing is sent twice (planned afresh, London would now be open and every `time`
    different, and the upload would be refused as made from other numbers)."""
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))
    for name in ("WALLBOARD_PROFILE", "WALLBOARD_REGION", "WALLBOARD_READ_ONLY"):
        monkeypatch.delenv(name, raising=False)
    simulator = Simulator.from_scenario(
        manual_clock=True, agents=4, queues=1, accesskey=ACCESSKEY, start=SERVER_NOW.timestamp()
    )
    wrapper = RefuseAfterCreate(create_app(simulator), simulator)
    path = tmp_path / "london.csv"
    path.write_text(
        "telphone\n" + "\n".join(f"+44 7400 {n:06d}" for n in range(10_020)) + "\n",
        encoding="utf-8",
    )
    argv = ("campaign", "create", "london", "--numbers", str(path), "--queue", QUEUE, "--yes")
    try:
        with serve_app_in_thread(wrapper) as url:
            monkeypatch.setenv("WALLBOARD_URL", url)
            monkeypatch.setenv("WALLBOARD_APPID", simulator.appid)
            monkeypatch.setenv("WALLBOARD_ACCESSKEY", ACCESSKEY)
            monkeypatch.setenv("WALLBOARD_TZ", "UTC")
            assert command(*argv) == 1  # TaskCreat went through, TaskAdd was refused
            assert "run the same command again" in capsys.readouterr().err
            wrapper.refusing = False
            simulator.faults.unlicensed = 0.0
            simulator.advance(10 * 3600)  # 09:00 in London: the window is open now
            assert command(*argv) == 0, capsys.readouterr().err
            out = capsys.readouterr().out
            assert "at 2026-11-30 23:00:00" in out  # planned from the journal's moment
            assert "finished an interrupted upload" in out
            services = simulator.stats()["services"]
            assert services.get("App.Sip_Yccall.TaskCreat") == 1
            (task,) = [t for t in simulator.tasks() if t.name == "london"]
            assert len(task.numbers) == 10_020
    finally:
        simulator.close()
