"""`wallboard campaign remove TASKID --numbers FILE` against the simulator: taskDelPhone
with the numbers as they were sent, audited; refused (and audited) in read-only; a task the
server does not know is said in one line."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from wallboard.commands import campaign
from wallboard.live.audit import AuditLog
from wallboard.live.campaigns import CampaignRegistry
from wallboard.sim.server import Simulator, create_app, serve_app_in_thread

QUEUE = "autocall-sales"
ACCESSKEY = "campaign-remove-accesskey-01234567"
TASKDEL = "App.Sip_Yccall.taskDelPhone"


def command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="wallboard")
    campaign.add_parser(parser.add_subparsers(dest="command"))
    return campaign.run(parser.parse_args(list(argv)))


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))
    for name in ("WALLBOARD_PROFILE", "WALLBOARD_REGION", "WALLBOARD_READ_ONLY"):
        monkeypatch.delenv(name, raising=False)
    simulator = Simulator.from_scenario(manual_clock=True, agents=4, queues=1, accesskey=ACCESSKEY)
    with serve_app_in_thread(create_app(simulator)) as url:
        monkeypatch.setenv("WALLBOARD_URL", url)
        monkeypatch.setenv("WALLBOARD_APPID", simulator.appid)
        monkeypatch.setenv("WALLBOARD_ACCESSKEY", ACCESSKEY)
        monkeypatch.setenv("WALLBOARD_TZ", "UTC")
        try:
            yield simulator
        finally:
            simulator.close()


def created(sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "list.csv"
    path.write_text("telphone\n07400 100001\n07400 100002\n07400 100003\n", encoding="utf-8")
    before = {task.taskid for task in sim.tasks()}
    rc = command("campaign", "create", "list", "--numbers", str(path), "--queue", QUEUE,
                 "--region", "GB", "--paused", "--yes")  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    capsys.readouterr()
    (taskid,) = [task.taskid for task in sim.tasks() if task.taskid not in before]
    return taskid


def numbers_of(sim: Simulator, taskid: str) -> set[str]:
    (task,) = [task for task in sim.tasks() if task.taskid == taskid]
    return set(task.numbers)


def test_numbers_of_a_file_are_taken_out_as_they_were_sent(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taskid = created(sim, tmp_path, capsys)
    out = tmp_path / "out.csv"
    out.write_text("+44 7400 100002\n07400 100003\n", encoding="utf-8")
    rc = command("campaign", "remove", taskid, "--numbers", str(out), "--region", "GB", "--yes")
    assert rc == 0, capsys.readouterr().err
    assert f"task {taskid}: 2 numbers taken out" in capsys.readouterr().out
    assert numbers_of(sim, taskid) == {"07400100001"}
    assert sim.stats()["services"].get(TASKDEL) == 1
    tracked = CampaignRegistry.default().get(taskid)
    assert tracked is not None and tracked.numbers == ("07400100001",)
    entry = AuditLog().entries()[-1]
    assert (entry["action"], entry["target"], entry["outcome"], entry["numbers"]) == (
        "remove numbers",
        f"task {taskid}",
        "ok",
        2,
    )


def test_read_only_refuses_and_audits(
    sim: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    taskid = created(sim, tmp_path, capsys)
    monkeypatch.setenv("WALLBOARD_READ_ONLY", "1")
    out = tmp_path / "out.csv"
    out.write_text("07400 100002\n", encoding="utf-8")
    rc = command("campaign", "remove", taskid, "--numbers", str(out), "--region", "GB")
    assert rc == 2 and "read-only" in capsys.readouterr().err
    assert len(numbers_of(sim, taskid)) == 3 and not sim.stats()["services"].get(TASKDEL)
    entry = AuditLog().entries()[-1]
    assert (entry["action"], entry["outcome"]) == ("remove numbers", "refused")


def test_an_unknown_task_is_said_in_one_line(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.csv"
    out.write_text("+44 7400 100002\n", encoding="utf-8")
    rc = command("campaign", "remove", "99999", "--numbers", str(out), "--yes")
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("wallboard campaign remove: task 99999:")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert AuditLog().entries()[-1]["outcome"] == "failed"


def test_a_campaigns_file_that_cannot_be_written_is_a_warning_not_a_failure(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server took the numbers out: a disk that fails afterwards is said, in one line,
    and the command still says what the server did."""
    taskid = created(sim, tmp_path, capsys)
    lock = CampaignRegistry.default().path.with_name("campaigns.json.lock")
    lock.unlink(missing_ok=True)
    lock.mkdir()  # the campaigns file's lock cannot be opened: no change can be saved
    out = tmp_path / "out.csv"
    out.write_text("07400 100002\n", encoding="utf-8")
    rc = command("campaign", "remove", taskid, "--numbers", str(out), "--region", "GB", "--yes")
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert f"task {taskid}: 1 numbers taken out" in captured.out
    assert captured.err.startswith("warning: the campaigns file was not updated: ")
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err
    assert numbers_of(sim, taskid) == {"07400100001", "07400100003"}
    assert AuditLog().entries()[-1]["outcome"] == "ok"
