"""The simulator as a server: its clock, the faults clients' tests ask for, the real uvicorn
runner, determinism, secrets, and `wallboard sim` on the command line."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from wallboard.api.client import WallboardClient
from wallboard.api.errors import (
    AppidExpired,
    IpNotAuthorised,
    ModuleNotLicensed,
    NoAnswer,
    OutcomeUnknown,
)
from wallboard.commands import sim as commands_sim
from wallboard.sim import faults as faults_module
from wallboard.sim import server as sim_server
from wallboard.sim.faults import Faults, FaultSpecError
from wallboard.sim.floor import Floor
from wallboard.sim.scenario import DEFAULT_START, SCENARIOS, scenario_names
from wallboard.sim.server import Simulator, create_app, serve_in_thread


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def login_form(sim: Simulator) -> dict[str, str]:
    return {"service": "App.Sip_Auth.Login", "appid": sim.appid, "accesskey": sim.accesskey}


def token_of(answer: dict[str, Any]) -> str:
    assert answer["ret"] == 200 and answer["data"]["status"] == 0, answer
    return str(answer["data"]["result"]["token"])


def queue_list(token: str) -> dict[str, str]:
    return {"service": "App.Sip_Queue.GetQueueList", "token": token}


@pytest.fixture
async def asgi() -> AsyncIterator[tuple[Simulator, httpx.AsyncClient, FakeClock]]:
    clock = FakeClock()
    sim = Simulator.from_scenario(seed=5, agents=12, manual_clock=True, real_clock=clock)
    transport = httpx.ASGITransport(app=create_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as http:
        yield sim, http, clock


@pytest.fixture
def served() -> Iterator[tuple[Simulator, httpx.Client]]:
    sim = Simulator.from_scenario(seed=5, agents=12, manual_clock=True)
    with serve_in_thread(sim) as url, httpx.Client(base_url=url, timeout=5.0) as http:
        yield sim, http


# -- the clock -----------------------------------------------------------------------------
def test_real_clock_runs_speed_times_faster_and_the_floor_catches_up_on_a_request() -> None:
    clock = FakeClock()
    sim = Simulator.from_scenario(
        seed=5, agents=12, speed=60, real_clock=clock, start=DEFAULT_START
    )
    assert sim.now() == DEFAULT_START and sim.floor.now == DEFAULT_START
    clock.now += 10
    assert sim.now() == DEFAULT_START + 600
    assert sim.floor.now == DEFAULT_START  # lazily: nothing asked yet
    token = token_of(sim.handle(login_form(sim)))
    assert sim.floor.now == DEFAULT_START + 600
    assert sim.handle(queue_list(token))["data"]["reqtime"] == int(DEFAULT_START + 600)
    sim.advance(30)  # a real clock can be pushed on too
    assert sim.floor.now == sim.now() == DEFAULT_START + 630


def test_manual_clock_only_moves_on_advance() -> None:
    clock = FakeClock()
    sim = Simulator.from_scenario(seed=5, agents=12, manual_clock=True, real_clock=clock)
    clock.now += 3600
    token = token_of(sim.handle(login_form(sim)))
    assert sim.now() == sim.floor.now == DEFAULT_START
    sim.advance(90)
    assert sim.handle(queue_list(token))["data"]["rsptime"] == int(DEFAULT_START + 90)
    for bad in (-1, math.nan, math.inf):
        with pytest.raises(ValueError):
            sim.advance(bad)
    assert sim.now() == DEFAULT_START + 90


def test_the_floor_moves_while_serving_without_requests() -> None:
    sim = Simulator.from_scenario(seed=5, agents=12, speed=600, start=DEFAULT_START)
    reached = threading.Event()
    sim.floor.schedule(DEFAULT_START + 120, reached.set)  # runs once the floor gets there
    with serve_in_thread(sim):
        assert reached.wait(timeout=5), "the floor did not move on its own"
    assert sim.floor.now >= DEFAULT_START + 120


# -- the real server -------------------------------------------------------------------------
def test_serve_in_thread_answers_both_encodings_and_stops(
    served: tuple[Simulator, httpx.Client],
) -> None:
    sim, http = served
    token = token_of(
        http.post("/", files={k: (None, v) for k, v in login_form(sim).items()}).json()
    )
    answer = http.post("/", data=queue_list(token)).json()
    assert answer["ret"] == 200 and len(answer["data"]["result"]) == 3
    assert http.get("/").status_code == 200
    assert http.put("/").status_code == 405


def test_serve_in_thread_releases_its_port() -> None:
    sim = Simulator.from_scenario(seed=5, agents=12, manual_clock=True)
    with serve_in_thread(sim) as url:
        port = int(url.rsplit(":", 1)[1])
    with socket.socket() as sock, pytest.raises(OSError):
        sock.settimeout(1)
        sock.connect(("127.0.0.1", port))


async def test_fields_may_come_in_the_query_string_and_as_file_parts(
    asgi: tuple[Simulator, httpx.AsyncClient, FakeClock],
) -> None:
    sim, http, _ = asgi
    answer = (await http.post("/?service=App.Sip_Auth.Login", data=login_form(sim))).json()
    token = token_of(answer)
    numbers = json.dumps([{"phone": "13800000001"}, {"phone": "13800000002"}]).encode()
    files = {
        "service": (None, "App.Sip_Yccall.TaskCreat"),
        "token": (None, token),
        "assigntype": (None, "2"),
        "assignagent": (None, next(iter(sim.floor.queues))),
        "taskscale": (None, "1:1"),
        "disnumber": (None, ""),
        "telphone": ("numbers.json", numbers, "application/json"),  # PHP's CURLFile
    }
    answer = (await http.post("/", files=files)).json()
    assert answer["data"]["status"] == 0 and answer["data"]["result"]["invaliddata"] == []


async def test_an_oversized_body_is_refused(
    asgi: tuple[Simulator, httpx.AsyncClient, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, http, _ = asgi
    monkeypatch.setattr(sim_server, "MAX_BODY", 1000)
    answer = (await http.post("/", data={**login_form(sim), "padding": "x" * 2000})).json()
    assert answer["ret"] == 400 and "larger" in answer["msg"]
    assert token_of((await http.post("/", data=login_form(sim))).json())


# -- faults ----------------------------------------------------------------------------------
def test_fault_specs_are_read_and_bad_ones_explained() -> None:
    faults = Faults.parse("latency=0.2, error500=0.05,expire=60,malformed=0.01,drop=0.01")
    assert (faults.latency, faults.error500, faults.expire) == (0.2, 0.05, 60)
    assert (faults.malformed, faults.drop) == (0.01, 0.01)
    assert faults.describe() == "latency=0.2,error500=0.05,expire=60,malformed=0.01,drop=0.01"
    assert not Faults.parse("").active and Faults.parse("drop=1").active
    for spec, says in (
        ("latency", "no value"),
        ("bogus=1", "unknown fault 'bogus'"),
        ("error500=2", "share"),
        ("latency=-1", ">= 0"),
        ("drop=abc", "not a number"),
        ("expire=nan", ">= 0"),
    ):
        with pytest.raises(FaultSpecError, match=says):
            Faults.parse(spec)


def test_latency_fault_delays_every_answer(served: tuple[Simulator, httpx.Client]) -> None:
    sim, http = served
    sim.faults.latency = 0.15
    began = time.monotonic()
    token_of(http.post("/", data=login_form(sim)).json())
    assert time.monotonic() - began >= 0.15  # a lower bound only: a busy machine is slower


async def test_latency_fault_waits_exactly_its_latency_and_only_when_set(
    asgi: tuple[Simulator, httpx.AsyncClient, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, http, _ = asgi
    waits: list[float] = []

    async def pause(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(faults_module, "_pause", pause)
    sim.faults.latency = 0.15
    token_of((await http.post("/", data=login_form(sim))).json())
    assert waits == [0.15]
    sim.faults.latency = 0.0
    token_of((await http.post("/", data=login_form(sim))).json())
    sim.faults.error500 = 0.5  # other faults active, still no latency
    await http.post("/", data=login_form(sim))
    assert waits == [0.15]


def test_error500_fault_answers_ret_500(served: tuple[Simulator, httpx.Client]) -> None:
    sim, http = served
    sim.faults.error500 = 1.0
    answer = http.post("/", data=login_form(sim)).json()
    assert answer == {"ret": 500, "data": [], "msg": "server error"}
    sim.faults.error500 = 0.5
    answers = [http.post("/", data=login_form(sim)).json()["ret"] for _ in range(60)]
    assert 10 < answers.count(500) < 50 and answers.count(200) == 60 - answers.count(500)


def test_malformed_fault_sends_a_body_that_is_not_json(
    served: tuple[Simulator, httpx.Client],
) -> None:
    sim, http = served
    sim.faults.malformed = 1.0
    response = http.post("/", data=login_form(sim))
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    sim.faults.malformed = 0.0
    assert token_of(http.post("/", data=login_form(sim)).json())


def test_drop_fault_closes_the_connection_without_an_answer(
    served: tuple[Simulator, httpx.Client],
) -> None:
    sim, http = served
    token = token_of(http.post("/", data=login_form(sim)).json())
    queue = next(iter(sim.floor.queues))
    extnumber = next(
        ext.extnumber
        for ext in sim.floor.extensions.values()
        if ext.enabled and ext.registered and ext.extnumber not in sim.floor.queues[queue].members
    )
    sim.faults.drop = 1.0
    sign_in = {"service": "App.Sip_Queue.SipSignIn", "token": token, "crmid": "9"}
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/", data={**sign_in, "queuename": queue, "extnumber": extnumber})
    # The call was carried out before the line went dead: the client cannot know.
    assert extnumber in sim.floor.queues[queue].members
    sim.faults.drop = 0.0
    assert http.post("/", data=queue_list(token)).json()["ret"] == 200


@pytest.mark.parametrize("base_url", ["http://sim.test", "http://sim.test:8080"])
async def test_drop_fault_in_process_is_a_transport_error(base_url: str) -> None:
    """Through ASGITransport there is no connection to cut: the client must still see what
    httpx shows for a server that hung up, not an exception of the simulator's own."""
    sim = Simulator.from_scenario(seed=5, agents=12, manual_clock=True)
    transport = httpx.ASGITransport(app=create_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
        token = token_of((await http.post("/", data=login_form(sim))).json())
        queue = next(iter(sim.floor.queues))
        extnumber = next(
            e.extnumber
            for e in sim.floor.extensions.values()
            if e.enabled and e.registered and e.extnumber not in sim.floor.queues[queue].members
        )
        sim.faults.drop = 1.0
        form = {"service": "App.Sip_Queue.SipSignIn", "token": token, "crmid": "9"}
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            await http.post("/", data={**form, "queuename": queue, "extnumber": extnumber})
        assert extnumber in sim.floor.queues[queue].members  # done, but nobody was told
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    client = WallboardClient(base_url, sim.appid, sim.accesskey, transport=transport, sleep=no_wait)
    sim.faults.drop = 0.0
    async with client:
        await client.login()
        sim.faults.drop = 1.0
        with pytest.raises(OutcomeUnknown, match="connection lost"):
            await client.sign_out(queue, extnumber, "9")
        with pytest.raises(NoAnswer, match="connection lost"):
            await client.queues()
    assert len(waits) == 2  # the read was retried twice before giving up


async def test_expire_fault_kills_tokens_after_real_seconds(
    asgi: tuple[Simulator, httpx.AsyncClient, FakeClock],
) -> None:
    sim, http, clock = asgi
    sim.faults.expire = 60
    token = token_of((await http.post("/", data=login_form(sim))).json())
    clock.now += 59
    assert (await http.post("/", data=queue_list(token))).json()["ret"] == 200
    clock.now += 1
    assert (await http.post("/", data=queue_list(token))).json()["ret"] == 600
    sim.faults.expire = None
    token = token_of((await http.post("/", data=login_form(sim))).json())
    clock.now += 10_000
    assert (await http.post("/", data=queue_list(token))).json()["ret"] == 200


def _bill_rows(sim: Simulator) -> list[dict[str, Any]]:
    return [sim.floor.bill_row(bill) for bill in sim.floor.bills]


async def test_faults_do_not_touch_the_floor_dice() -> None:
    plain = Simulator.from_scenario(seed=9, agents=20, manual_clock=True)
    faulty = Simulator.from_scenario(
        seed=9, agents=20, manual_clock=True, faults="error500=0.5,malformed=0.5"
    )
    for sim in (plain, faulty):
        transport = httpx.ASGITransport(app=create_app(sim))
        async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as http:
            for _ in range(20):
                await http.post("/", data=login_form(sim))
                sim.advance(30)
    assert _bill_rows(plain) == _bill_rows(faulty) != []


# -- determinism ---------------------------------------------------------------------------
def _session(seed: int) -> tuple[list[dict[str, Any]], Any]:
    sim = Simulator.from_scenario(seed=seed, agents=20, manual_clock=True)
    token = token_of(sim.handle(login_form(sim)))
    queue = next(iter(sim.floor.queues))
    numbers = json.dumps([{"phone": f"1390000{i:04d}"} for i in range(40)])
    created = sim.handle(
        {
            "service": "App.Sip_Yccall.TaskCreat",
            "token": token,
            "assigntype": "2",
            "assignagent": queue,
            "telphone": numbers,
            "taskscale": "1:2",
            "disnumber": "",
        }
    )
    taskid = created["data"]["result"]["taskid"]
    sim.advance(600)
    sim.handle(
        {"service": "App.Sip_Yccall.TaskSet", "token": token, "taskid": taskid, "taskstatus": "1"}
    )
    sim.advance(1800)
    agents = sim.handle({"service": "App.Sip_Queue.GetQueueSipStatus", "token": token})
    return _bill_rows(sim), agents["data"]["result"]


def test_the_same_seed_and_requests_give_the_same_floor_and_bills() -> None:
    bills, agents = _session(21)
    assert len(bills) > 50
    assert _session(21) == (bills, agents)
    assert _session(22)[0] != bills


# -- secrets -------------------------------------------------------------------------------
def test_secrets_stay_out_of_reprs_and_messages() -> None:
    sim = Simulator.from_scenario(seed=5, agents=12, manual_clock=True, accesskey="s3cret-key")
    token = token_of(sim.handle(login_form(sim)))
    shown = " ".join([repr(sim), repr(sim.gate), str(sim.gate.login("x", "s3cret-key"))])
    assert "s3cret-key" not in shown and token not in shown
    refused = sim.handle(
        {"service": "App.Sip_Auth.Login", "appid": "nope", "accesskey": "s3cret-key"}
    )
    assert "s3cret-key" not in json.dumps(refused)
    long_token = sim.handle({"service": "App.Sip_Queue.GetQueueList", "token": token + "x" * 300})
    assert long_token["ret"] == 400 and token not in long_token["msg"]


# -- `wallboard sim` -------------------------------------------------------------------------
def sim_command(argv: list[str]) -> int:
    """`wallboard sim ...` through the subcommand's own parser and runner."""
    parser = argparse.ArgumentParser(prog="wallboard")
    commands_sim.add_parser(parser.add_subparsers(dest="command"))
    return commands_sim.run(parser.parse_args(argv))


class Lines:
    """A process's output, line by line, read by a thread so that waits can time out."""

    def __init__(self, stream: Any) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: Any) -> None:
        for line in stream:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def take(self, count: int, timeout: float) -> list[str]:
        found: list[str] = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            found.append(line)
        return found

    def rest(self, timeout: float) -> list[str]:
        self._thread.join(timeout)
        return self.take(10_000, 0.0)


def test_wallboard_sim_prints_how_to_connect_starts_fast_and_stops_on_ctrl_c() -> None:
    began = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wallboard.cli", "sim", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        output = Lines(proc.stdout)
        lines = output.take(4, timeout=10)
        started = time.monotonic() - began
        assert [line.split(": ", 1)[0] for line in lines[:3]] == ["url", "appid", "accesskey"]
        url, appid, accesskey = (line.split(": ", 1)[1] for line in lines[:3])
        assert started < 2.0, f"started in {started:.2f} s"
        with httpx.Client(base_url=url, timeout=5.0) as http:
            form = {"service": "App.Sip_Auth.Login", "appid": appid, "accesskey": accesskey}
            token = token_of(http.post("/", data=form).json())
            assert http.post("/", data=queue_list(token)).json()["ret"] == 200
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        rest = output.rest(timeout=5)
        err = proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert rest[-1:] == ["# simulator stopped"]


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--faults", "bogus=1"], "unknown fault 'bogus'"),
        (["--faults", "drop=3"], "share"),
        (["--agents", "0"], "--agents"),
        (["--speed", "0"], "--speed"),
        (["--port", "70000"], "--port"),
        (["--callback-url", "ftp://x"], "--callback-url"),
    ],
)
def test_wallboard_sim_explains_bad_arguments(
    arguments: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sim_command(["sim", *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wallboard sim: ") and says in err and "Traceback" not in err


def test_the_command_line_names_the_simulators_scenarios() -> None:
    """`wallboard sim` lists the scenarios without loading the simulator: its own list must
    be the simulator's, and its help still describes each one."""
    assert tuple(scenario_names()) == commands_sim.SCENARIO_NAMES
    parser = argparse.ArgumentParser(prog="wallboard")
    subparsers = parser.add_subparsers(dest="command")
    commands_sim.add_parser(subparsers)
    help_text = subparsers.choices["sim"].format_help()
    for name, spec in SCENARIOS.items():
        assert f"  {name}: {spec.description.split()[0]}" in help_text
    assert parser.parse_args(["sim", "--scenario", "surge"]).scenario == "surge"


def test_building_the_command_line_loads_no_simulator_nor_web_stack() -> None:
    """Every `wallboard` command builds the whole command line: it must not pay for the
    simulator, Starlette, uvicorn, httpx or Textual (each command imports what it runs)."""
    probe = (
        "import sys\n"
        "from wallboard.commands import build_parser\n"
        "build_parser()\n"
        "heavy = ('wallboard.sim', 'starlette', 'uvicorn', 'httpx', 'textual')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy[1:]"
        " or m.startswith(heavy[0])))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_wallboard_sim_explains_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert sim_command(["sim", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err


def test_simulator_refuses_a_clock_that_does_not_run() -> None:
    with pytest.raises(ValueError, match="speed"):
        Simulator(Floor(seed=1, start=DEFAULT_START), speed=0)


# -- account refusals by fault switch ------------------------------------------------------
@pytest.mark.parametrize(
    ("switch", "ret", "error"),
    [
        ("appid_expired", 602, AppidExpired),
        ("unlicensed", 603, ModuleNotLicensed),
        ("ip_denied", 604, IpNotAuthorised),
    ],
)
async def test_account_refusals_are_switched_on_and_off_by_a_fault(
    asgi: tuple[Simulator, httpx.AsyncClient, FakeClock],
    switch: str,
    ret: int,
    error: type[Exception],
) -> None:
    """The documents' global codes: "602 | appid authorization has expired", "603 | Module
    not licensed", "604 | IP is not authorized"."""
    sim, http, _ = asgi
    token = token_of((await http.post("/", data=login_form(sim))).json())
    setattr(sim.faults, switch, 1.0)
    for form in (login_form(sim), queue_list(token)):
        answer = (await http.post("/", data=form)).json()
        assert answer["ret"] == ret and answer["data"] == [] and answer["msg"]
    transport = httpx.ASGITransport(app=create_app(sim))
    client = WallboardClient("http://sim.test", sim.appid, sim.accesskey, transport=transport)
    async with client:
        with pytest.raises(error):
            await client.queues()
    setattr(sim.faults, switch, 0.0)
    assert (await http.post("/", data=queue_list(token))).json()["ret"] == 200
    assert sim.stats()["faults"] == {switch: 3}


def test_fault_specs_read_the_account_refusals() -> None:
    faults = Faults.parse("appid_expired=1,unlicensed=0.5,ip_denied=0.25")
    assert (faults.appid_expired, faults.unlicensed, faults.ip_denied) == (1, 0.5, 0.25)
    assert faults.active
    assert faults.describe() == "appid_expired=1,unlicensed=0.5,ip_denied=0.25"
    with pytest.raises(FaultSpecError, match="share"):
        Faults.parse("unlicensed=2")


# -- what the simulated CRM made, and what the server was asked -------------------------------
def test_tasks_are_immutable_records_of_the_floors_campaigns() -> None:
    sim = Simulator.from_scenario(seed=7, agents=20, campaigns=3, manual_clock=True)
    tasks = sim.tasks()
    assert [task.taskid for task in tasks] == list(sim.floor.tasks)
    for task in tasks:
        held = sim.floor.tasks[task.taskid]
        assert (task.name, task.assignagent, task.status) == (
            held.name,
            held.assignagent,
            held.status,
        )
        assert task.numbers == tuple(held.numbers) and task.numbers
    with pytest.raises(dataclasses.FrozenInstanceError):
        tasks[0].status = 1028  # type: ignore[misc]
    sim.advance(600)
    assert sim.tasks()[0].numbers != tasks[0].numbers  # a new list: the old one stays as it was


async def test_stats_count_requests_per_service_since_start(
    asgi: tuple[Simulator, httpx.AsyncClient, FakeClock],
) -> None:
    sim, http, clock = asgi
    token = token_of((await http.post("/", data=login_form(sim))).json())
    for _ in range(3):
        await http.post("/", data=queue_list(token))
    await http.post("/", data={"service": "App.Nope.Nothing", "token": token})
    sim.faults.error500 = 1.0
    await http.post("/", data=queue_list(token))
    clock.now += 12.5
    response = await http.get("/_sim/stats")  # never faulted itself
    assert response.status_code == 200
    assert response.json() == {
        "requests": 5,
        "services": {
            "(unknown)": 1,
            "App.Sip_Auth.Login": 1,
            "App.Sip_Queue.GetQueueList": 3,
        },
        "faults": {"error500": 1},
        "uptime": 12.5,
        "now": "2026-01-05 09:00:00",
    }


# -- `wallboard sim` under every fault -------------------------------------------------------
def test_wallboard_sim_keeps_its_credentials_names_its_tasks_and_logs_no_traceback() -> None:
    """`--accesskey` and `--appid` survive a restart; `task:` lines name the campaigns; with
    every fault on, the simulator's own log (its stderr) shows no traceback."""
    faults = (
        "latency=0.001,error500=0.15,malformed=0.15,drop=0.3,"
        "appid_expired=0.05,unlicensed=0.05,ip_denied=0.05,expire=0.5"
    )
    argv = ["sim", "--port", "0", "--campaigns", "3", "--appid", "crm-7", "--faults", faults]
    code = (
        "import argparse, sys\n"
        "from wallboard.commands import sim\n"
        "parser = argparse.ArgumentParser(prog='wallboard')\n"
        "sim.add_parser(parser.add_subparsers(dest='command'))\n"
        "sys.exit(sim.run(parser.parse_args(sys.argv[1:])))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "WALLBOARD_SIM_ACCESSKEY": "kept-key-1"},
    )
    try:
        output = Lines(proc.stdout)
        lines = output.take(7, timeout=15)
        keys = [line.split(": ", 1)[0] for line in lines[:6]]
        assert keys[:6] == ["url", "appid", "accesskey", "task", "task", "task"]
        assert lines[6].startswith("# ")
        url, appid, accesskey = (line.split(": ", 1)[1] for line in lines[:3])
        assert (appid, accesskey) == ("crm-7", "kept-key-1")
        tasks = {line.split(": ", 1)[1] for line in lines[3:6]}
        outcomes: set[str] = set()
        with httpx.Client(base_url=url, timeout=5.0) as http:
            form = {"service": "App.Sip_Auth.Login", "appid": appid, "accesskey": accesskey}
            for i in range(120):
                try:
                    response = http.post("/", data=form if i % 3 else queue_list("stale"))
                    outcomes.add(str(json.loads(response.content)["ret"]))
                except json.JSONDecodeError:
                    outcomes.add("malformed")
                except httpx.TransportError:
                    outcomes.add("dropped")
            for _ in range(5):  # bodies no client should send, under the same faults
                with contextlib.suppress(httpx.TransportError):
                    http.post("/", content=b"\x00junk", headers={"content-type": "text/plain"})
                with contextlib.suppress(httpx.TransportError):
                    http.post("/", data={"padding": "x"}, files={"f": ("a", b"\xff\xfe")})
            stats = http.get("/_sim/stats").json()
        assert {"dropped", "malformed", "200", "500", "600", "602", "603", "604"} <= outcomes
        assert stats["services"]["App.Sip_Auth.Login"] > 0 and stats["faults"]["drop"] > 0
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        output.rest(timeout=5)
        err = proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Exception" not in err and "ERROR" not in err, err
    assert len(tasks) == 3


def test_wallboard_sim_lists_and_takes_the_named_scenarios(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser(prog="wallboard")
    commands_sim.add_parser(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit):
        parser.parse_args(["sim", "--help"])
    shown = capsys.readouterr().out
    for name in scenario_names():
        assert f"  {name}: " in shown
    options = commands_sim.options_from(parser.parse_args(["sim", "--scenario", "calm"]))
    assert options.scenario == "calm"
    with pytest.raises(SystemExit):
        parser.parse_args(["sim", "--scenario", "nope"])
    assert "invalid choice: 'nope'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown scenario"):
        Simulator.from_scenario(agents=4, manual_clock=True, scenario="nope")
