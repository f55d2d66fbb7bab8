"""`wallboard track TASKID --check STATE` against the simulator: a task the server does not
have is not tracked, one it has is tracked with its state, and the check leaves every task
in the state it found it (TaskSet is the only call that answers a task's state, and it sets
it too: see `wallboard.commands.track`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from wallboard.api.client import WallboardClient
from wallboard.commands import main
from wallboard.commands.demo import demo_server
from wallboard.commands.track import TaskCheck, check_task
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.snapshot import CampaignStatus
from wallboard.live.states import T_MISSING, T_NOT_STARTED, T_OVER, T_PAUSED, T_RUNNING
from wallboard.sim.server import Simulator, create_app

#: 2026-01-05 09:00 UTC, the scenario's reference Monday (as in conftest).
SIM_START = 1767603600.0
TASKSET = "App.Sip_Yccall.TaskSet"
ENV = (
    "WALLBOARD_URL",
    "WALLBOARD_APPID",
    "WALLBOARD_ACCESSKEY",
    "WALLBOARD_PROFILE",
    "WALLBOARD_TZ",
    "WALLBOARD_READ_ONLY",
)


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def server(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Simulator, str]]:
    """The scenario on a manual clock, with no campaigns of its own: nothing dials unless a
    test moves the clock, so a task's state changes only by what is sent."""
    with demo_server(manual_clock=True, start=SIM_START, campaigns=0) as (sim, url):
        monkeypatch.setenv("WALLBOARD_URL", url)
        monkeypatch.setenv("WALLBOARD_APPID", sim.appid)
        monkeypatch.setenv("WALLBOARD_ACCESSKEY", sim.accesskey)
        yield sim, url


def make_task(sim: Simulator, url: str, state: int) -> str:
    """A task of the simulator in `state` (1025-1028), made through the API as a CRM would."""

    async def made() -> str:
        with sim.lock:
            queue = sorted(sim.floor.queues)[0]
        async with WallboardClient(url, sim.appid, sim.accesskey) as client:
            created = await client.create_task(2, queue, ["13800000001", "13800000002"])
            steps = {T_NOT_STARTED: [], T_RUNNING: [1], T_PAUSED: [1, 2], T_OVER: [3]}[state]
            for step in steps:
                await client.set_task(created.taskid, step)
            return created.taskid

    taskid = asyncio.run(made())
    assert _status(sim, taskid) == state
    return taskid


def _status(sim: Simulator, taskid: str) -> int:
    return next((task.status for task in sim.tasks() if task.taskid == taskid), T_MISSING)


def _tasksets(sim: Simulator) -> int:
    return int(sim.stats()["services"].get(TASKSET, 0))


def _audit(dirs: Path) -> list[dict[str, object]]:
    path = dirs / "audit.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize(
    ("state", "expect", "tracked"),
    [
        (T_RUNNING, "running", CampaignStatus.RUNNING),
        (T_PAUSED, "paused", CampaignStatus.PAUSED),
        (T_NOT_STARTED, "paused", CampaignStatus.NOT_STARTED),
        (T_OVER, "running", CampaignStatus.OVER),
        (T_OVER, "paused", CampaignStatus.OVER),
    ],
)
def test_a_task_as_expected_is_tracked_with_its_state_and_left_alone(
    server: tuple[Simulator, str],
    dirs: Path,
    capsys: pytest.CaptureFixture[str],
    state: int,
    expect: str,
    tracked: CampaignStatus,
) -> None:
    sim, url = server
    taskid = make_task(sim, url, state)
    before = _tasksets(sim)
    assert main(["track", taskid, "--check", expect, "--name", "spring"]) == 0
    said = capsys.readouterr()
    assert f"tracking task {taskid} (spring; numbers not known; {tracked.value} on the server)" in (
        said.out
    )
    assert said.err == ""
    assert _tasksets(sim) == before + 1  # one TaskSet, answered with the state's code
    assert _status(sim, taskid) == state  # and nothing changed
    task = CampaignRegistry.default().get(taskid)
    assert task is not None and task.status is tracked
    (entry,) = _audit(dirs)
    assert entry["action"] == "check task" and entry["target"] == f"task {taskid}"
    assert entry["code"] == state and entry["outcome"] == "done"


@pytest.mark.parametrize(
    ("state", "expect", "after", "words"),
    [
        (T_RUNNING, "paused", T_RUNNING, "was running, not paused: the check paused it"),
        (T_PAUSED, "running", T_PAUSED, "was paused or not started, not running"),
        (T_NOT_STARTED, "running", T_PAUSED, "was paused or not started, not running"),
    ],
)
def test_a_task_not_as_expected_is_put_back_at_once_and_the_supervisor_told(
    server: tuple[Simulator, str],
    dirs: Path,
    capsys: pytest.CaptureFixture[str],
    state: int,
    expect: str,
    after: int,
    words: str,
) -> None:
    sim, url = server
    taskid = make_task(sim, url, state)
    before = _tasksets(sim)
    assert main(["track", taskid, "--check", expect]) == 0
    said = capsys.readouterr()
    assert words in said.err and "Traceback" not in said.err
    assert _tasksets(sim) == before + 3  # the probe, again ("already"), and the undoing
    assert _status(sim, taskid) == after
    task = CampaignRegistry.default().get(taskid)
    expected = {T_RUNNING: CampaignStatus.RUNNING, T_PAUSED: CampaignStatus.PAUSED}[after]
    assert task is not None and task.status is expected
    (entry,) = _audit(dirs)
    assert words in str(entry["message"]) and entry["expected"] == expect


@pytest.mark.parametrize("expect", ["running", "paused"])
def test_a_task_the_server_does_not_have_is_not_tracked(
    server: tuple[Simulator, str], dirs: Path, capsys: pytest.CaptureFixture[str], expect: str
) -> None:
    sim, _ = server
    assert main(["track", "99999", "--check", expect]) == 1
    said = capsys.readouterr()
    assert said.err.startswith("wallboard track: task 99999 is not tracked: the server has no ")
    assert "1024" in said.err and said.out == ""
    assert CampaignRegistry.default().tasks() == ()
    assert _tasksets(sim) == 1
    (entry,) = _audit(dirs)
    assert entry["outcome"] == "failed" and entry["code"] == T_MISSING


def test_read_only_sends_no_check(
    server: tuple[Simulator, str], dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim, url = server
    taskid = make_task(sim, url, T_RUNNING)
    before = _tasksets(sim)
    assert main(["--read-only", "track", taskid, "--check", "paused"]) == 2
    assert "read-only" in capsys.readouterr().err
    assert _tasksets(sim) == before and CampaignRegistry.default().tasks() == ()


def test_without_check_the_task_is_tracked_unchecked_and_says_so(
    dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["track", "T1"]) == 0  # no server configured at all
    said = capsys.readouterr()
    assert "tracking task T1" in said.out
    assert said.err.strip() == (
        "wallboard track: task T1 was not checked against the server (--check STATE does)"
    )
    assert main(["track", "T1", "--name", "renamed"]) == 0  # already tracked: no warning
    assert capsys.readouterr().err == ""


def test_a_dead_server_is_not_tracked(
    dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("WALLBOARD_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("WALLBOARD_APPID", "a")
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", "k")
    assert main(["track", "T1", "--check", "paused"]) == 1
    said = capsys.readouterr()
    assert said.err.startswith("wallboard track: task T1 is not tracked: the server could not")
    assert CampaignRegistry.default().tasks() == ()


def test_check_and_forget_do_not_go_together(
    dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["track", "T1", "--check", "paused", "--forget"])
    assert stopped.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_help_says_what_each_check_sends(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["track", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--check running sends TaskSet open: a running task answers 1026" in text
    assert "--check paused sends TaskSet pause: a paused task answers 1027" in text
    assert "when unsure, say paused" in text


class _Wrapped(httpx.AsyncBaseTransport):
    """The simulator in process, with a twist on its TaskSet answers."""

    def __init__(self, sim: Simulator) -> None:
        self._inner = httpx.ASGITransport(app=create_app(sim))
        self.tasksets = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if TASKSET.encode() not in body:
            return await self._inner.handle_async_request(request)
        self.tasksets += 1
        return await self.taskset(request)

    async def taskset(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)


class _DropsTheThirdTaskSet(_Wrapped):
    """The connection drops before the third TaskSet (the one that puts the task back)."""

    async def taskset(self, request: httpx.Request) -> httpx.Response:
        if self.tasksets == 3:
            raise httpx.ConnectError("connection refused", request=request)
        return await self._inner.handle_async_request(request)


class _NeverSaysAlready(_Wrapped):
    """A server that carries out a TaskSet that changes nothing (answers success where the
    simulator answers 1026 or 1027): the documents do not rule it out."""

    async def taskset(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        document = json.loads(await response.aread())
        data = document.get("data") or {}
        code = str((data.get("errors") or {}).get("code", ""))
        if code in (str(T_RUNNING), str(T_PAUSED)):
            answer = {"status": 0, "desc": "successfully set"}
            return httpx.Response(200, json={"ret": 200, "data": answer, "msg": ""})
        return httpx.Response(200, json=document)


def _task_in(sim: Simulator, state: int) -> str:
    with sim.lock:
        queue = sorted(sim.floor.queues)[0]
        taskid, _ = sim.floor.create_task(2, queue, [{"phone": "13800000001"}], (1, 1), [])
        for step in {T_RUNNING: [1], T_PAUSED: [1, 2]}[state]:
            sim.floor.set_task(taskid, step)
    return taskid


def _check(transport: _Wrapped, sim: Simulator, taskid: str, expect: str) -> TaskCheck:
    client = WallboardClient(
        "http://sim.test", sim.appid, sim.accesskey, transport=transport, read_retries=0
    )
    return asyncio.run(check_task(client, taskid, expect=expect))


def test_a_task_that_cannot_be_put_back_is_reported_as_it_is_left(
    make_simulator: Callable[..., Simulator],
) -> None:
    sim = make_simulator(campaigns=0)
    taskid = _task_in(sim, T_RUNNING)
    transport = _DropsTheThirdTaskSet(sim)
    checked = _check(transport, sim, taskid, "paused")
    assert transport.tasksets == 3
    assert checked.left_changed and checked.status is CampaignStatus.PAUSED
    assert "could not open it again" in checked.message
    assert f"resume it with wallboard call TaskSet taskid={taskid} taskstatus=1" in checked.message
    assert _status(sim, taskid) == T_PAUSED  # as reported: the probe paused it


@pytest.mark.parametrize(
    ("state", "expect"),
    [(T_RUNNING, "running"), (T_PAUSED, "running"), (T_RUNNING, "paused"), (T_PAUSED, "paused")],
)
def test_a_server_that_never_says_already_leaves_the_task_paused_never_dialling(
    make_simulator: Callable[..., Simulator], state: int, expect: str
) -> None:
    sim = make_simulator(campaigns=0)
    taskid = _task_in(sim, state)
    checked = _check(_NeverSaysAlready(sim), sim, taskid, expect)
    assert checked.left_changed and checked.status is CampaignStatus.PAUSED
    assert (
        "cannot say whether" in checked.message and "resume it if it should run" in checked.message
    )
    assert _status(sim, taskid) == T_PAUSED


def test_the_exit_code_says_the_check_left_the_task_changed(
    server: tuple[Simulator, str],
    dirs: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim, url = server
    taskid = make_task(sim, url, T_RUNNING)
    from wallboard.commands import track

    real = track.check_task

    async def through_the_twist(client: WallboardClient, task: str, *, expect: str) -> TaskCheck:
        await client.aclose()
        inner = WallboardClient(
            "http://sim.test", sim.appid, sim.accesskey, transport=_NeverSaysAlready(sim)
        )
        return await real(inner, task, expect=expect)

    monkeypatch.setattr(track, "check_task", through_the_twist)
    assert main(["track", taskid, "--check", "paused"]) == 3
    said = capsys.readouterr()
    assert "it is paused now" in said.err and "paused on the server" in said.out
    task = CampaignRegistry.default().get(taskid)
    assert task is not None and task.status is CampaignStatus.PAUSED
