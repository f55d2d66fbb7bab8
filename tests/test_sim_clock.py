"""The simulator's clock: real time by default, a given start for deterministic runs, a
speed from either, and every time on the wire written in the server's zone."""

from __future__ import annotations

import argparse
import datetime as dt
import time
import zoneinfo
from typing import Any

import httpx
import pytest

from wallboard.commands import sim as commands_sim
from wallboard.sim.callbacks import CallbackDispatcher, CallbackTargets
from wallboard.sim.scenario import DEFAULT_START
from wallboard.sim.server import Simulator, create_app
from wallboard.sim.wire import format_time, parse_time, server_zone

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def login(sim: Simulator) -> dict[str, Any]:
    answer = sim.handle(
        {"service": "App.Sip_Auth.Login", "appid": sim.appid, "accesskey": sim.accesskey}
    )
    assert answer["ret"] == 200, answer
    return dict(answer["data"])


def bills(sim: Simulator, token: str, start: str, end: str) -> dict[str, Any]:
    answer = sim.handle(
        {
            "service": "App.Sip_Cdr.GetBill",
            "token": token,
            "starttime": start,
            "endtime": end,
            "syncflag": "3",
            "itemsperpage": "1000",
        }
    )
    assert answer["ret"] == 200 and answer["data"]["status"] == 0, answer
    return dict(answer["data"]["result"])


def test_a_simulator_started_now_has_logins_and_bills_dated_today() -> None:
    """Issue 9: "A standalone `wallboard sim` started now has bills dated today, and Login's
    `authtime` is within a minute of the host's clock"."""
    clock = FakeClock()
    sim = Simulator.from_scenario(seed=7, agents=20, real_clock=clock, tz=SHANGHAI)
    host_now = time.time()
    data = login(sim)
    authtime = dt.datetime.strptime(data["result"]["authtime"], "%Y-%m-%d %H:%M:%S")
    host = dt.datetime.fromtimestamp(host_now, SHANGHAI).replace(tzinfo=None)
    assert abs((authtime - host).total_seconds()) < 60
    assert abs(data["reqtime"] - host_now) < 60
    clock.now += 600  # ten minutes of the floor at 1x
    today = host.strftime("%Y-%m-%d")
    found = bills(sim, data["result"]["token"], f"{today} 00:00:00", f"{today} 23:59:59")
    assert found["totalitems"] > 0
    assert all(bill["starttime"].startswith(today) for bill in found["bills"]) or host.hour == 23


def test_a_manual_clock_starts_at_the_reference_monday_unless_told() -> None:
    assert Simulator.from_scenario(seed=7, agents=4, manual_clock=True).now() == DEFAULT_START
    later = DEFAULT_START + 86_400
    assert Simulator.from_scenario(seed=7, agents=4, manual_clock=True, start=later).now() == later


def test_speed_runs_from_a_given_start() -> None:
    clock = FakeClock()
    start = DEFAULT_START + 3 * 3600
    sim = Simulator.from_scenario(seed=7, agents=4, speed=30, start=start, real_clock=clock)
    clock.now += 10
    assert sim.now() == start + 300
    assert login(sim)["reqtime"] == int(start + 300)


def test_times_on_the_wire_are_in_the_servers_zone() -> None:
    sim = Simulator.from_scenario(
        seed=7, agents=12, manual_clock=True, start=DEFAULT_START, tz=SHANGHAI
    )
    data = login(sim)
    # 2026-01-05 09:00 UTC is 17:00 in Shanghai (UTC+8); reqtime stays unix seconds.
    assert data["result"]["authtime"] == "2026-01-05 17:00:00"
    assert data["reqtime"] == int(DEFAULT_START)
    sim.advance(1800)
    token = data["result"]["token"]
    in_zone = bills(sim, token, "2026-01-05 17:00:00", "2026-01-05 17:30:00")
    assert in_zone["totalitems"] > 0
    assert all("17:00:00" <= row["starttime"][11:] <= "17:30:00" for row in in_zone["bills"])
    # The same window read as UTC finds nothing: the server reads times in its own zone.
    assert bills(sim, token, "2026-01-05 09:00:00", "2026-01-05 09:30:00")["totalitems"] == 0
    agents = sim.handle({"service": "App.Sip_Queue.GetQueueSipStatus", "token": token})
    changes = [row["seatschangetime"] for row in agents["data"]["result"]]
    assert changes and all(change.startswith("2026-01-05 17:") for change in changes)


def test_callbacks_carry_times_in_the_servers_zone() -> None:
    posted: list[str] = []

    def receive(request: httpx.Request) -> httpx.Response:
        posted.append(request.content.decode())
        return httpx.Response(200)

    dispatcher = CallbackDispatcher(
        CallbackTargets(bill="http://crm.test/bill"), transport=httpx.MockTransport(receive)
    )
    with Simulator.from_scenario(
        seed=7, agents=12, manual_clock=True, start=DEFAULT_START, tz=SHANGHAI, callbacks=dispatcher
    ) as sim:
        sim.advance(900)
        assert dispatcher.wait_until(lambda stats: stats.delivered >= 3, timeout=10)
    assert posted and all("2026-01-05 17:" in body for body in posted[:3])


def test_the_wire_zone_is_utc_outside_a_simulator_and_round_trips_inside() -> None:
    assert format_time(DEFAULT_START) == "2026-01-05 09:00:00"
    with server_zone(SHANGHAI):
        assert format_time(DEFAULT_START) == "2026-01-05 17:00:00"
        assert parse_time("2026-01-05 17:00:00") == DEFAULT_START
    with server_zone(zoneinfo.ZoneInfo("America/New_York")):  # a zone behind UTC, in winter
        assert format_time(DEFAULT_START) == "2026-01-05 04:00:00"
    assert parse_time("2026-01-05 09:00:00") == DEFAULT_START


async def test_the_stats_say_the_servers_time() -> None:
    sim = Simulator.from_scenario(
        seed=7, agents=4, manual_clock=True, start=DEFAULT_START, tz=SHANGHAI
    )
    transport = httpx.ASGITransport(app=create_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as http:
        stats = (await http.get("/_sim/stats")).json()
    assert stats["now"] == "2026-01-05 17:00:00"


# -- the command line ---------------------------------------------------------------------
def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wallboard")
    commands_sim.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["sim", *argv])


def test_start_is_read_in_the_zone_given() -> None:
    options = commands_sim.options_from(
        parse("--start", "2026-01-05 17:00:00", "--tz", "Asia/Shanghai", "--speed", "60")
    )
    assert options.start == DEFAULT_START and options.tz == SHANGHAI and options.speed == 60
    assert commands_sim.options_from(parse()).start is None  # now
    assert commands_sim.options_from(parse()).tz is None  # this machine's zone


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--start", "2026-01-05"], '--start must be a time as "yyyy-mm-dd hh:mm:ss"'),
        (["--start", "2026-02-30 10:00:00"], "--start"),
        (["--tz", "Mars/Olympus"], "--tz 'Mars/Olympus' is not a time zone name"),
        (["--tz", "../etc"], "--tz"),
    ],
)
def test_bad_start_and_zone_are_explained(argv: list[str], says: str) -> None:
    with pytest.raises(commands_sim.OptionError, match=says.replace("(", r"\(")):
        commands_sim.options_from(parse(*argv))
