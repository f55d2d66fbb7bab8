"""`wallboard campaign create` against the simulator: one task holding exactly the valid
unique numbers of a 25,000-row list, and uploads that are cut off and then finished with no
number sent twice and none lost.

The simulator is served on loopback; the requests each service received are counted by the
simulator itself (`Simulator.stats()`, also served at `GET /_sim/stats`), and the task's
numbers are read from it (`Simulator.tasks()`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wallboard.api.client import WallboardClient
from wallboard.api.errors import OutcomeUnknown
from wallboard.api.models import PhoneNumber
from wallboard.commands import campaign
from wallboard.live.audit import AuditLog
from wallboard.live.campaign_source import (
    CampaignProblem,
    CampaignRequest,
    CampaignStopped,
    LiveCampaignSource,
)
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.snapshot import CampaignStatus
from wallboard.live.upload import (
    ASSIGN_QUEUE,
    CampaignTarget,
    CampaignUpload,
    UploadConflict,
    UploadJournal,
    UploadPlan,
    UploadProgress,
    UploadResult,
)
from wallboard.sim.server import Simulator, create_app, serve_app_in_thread

QUEUE = "autocall-sales"
ACCESSKEY = "resume-test-accesskey-0123456789"
TASKCREAT = "App.Sip_Yccall.TaskCreat"
TASKADD = "App.Sip_Yccall.TaskAdd"
TASKDEL = "App.Sip_Yccall.taskDelPhone"
TASKSET = "App.Sip_Yccall.TaskSet"
#: Bounds on every wait for another process or thread (never reached when all is well).
WAIT = 60.0

#: The child that runs the command (whether or not the composition root lists it yet).
CHILD = """
import argparse, sys
from wallboard.commands import campaign
parser = argparse.ArgumentParser(prog="wallboard")
campaign.add_parser(parser.add_subparsers(dest="command"))
sys.exit(campaign.run(parser.parse_args(sys.argv[1:])))
"""


def command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="wallboard")
    campaign.add_parser(parser.add_subparsers(dest="command"))
    return campaign.run(parser.parse_args(list(argv)))


@dataclass(frozen=True)
class NumbersList:
    path: Path
    expected: frozenset[str]  # the valid unique numbers, as the server should hold them
    invalid: int
    duplicates: int


def write_list(path: Path, *, valid: int, invalid: int, duplicates: int) -> NumbersList:
    """A CSV of UK mobiles (07400 range, all valid), some not numbers, some repeated in
    another spelling; shuffled with a fixed seed."""
    rng = random.Random(12)
    subscribers = rng.sample(range(1_000_000), valid)
    rows = [f"07400 {n:06d},u{i}" for i, n in enumerate(subscribers)]
    bad = ["abc", "12", "07400 12345", "+44 7400 1234567", "n/a", "999"]
    rows += [f"{bad[i % len(bad)]},bad{i}" for i in range(invalid)]
    rows += [f"+44 7400 {subscribers[i]:06d},dup{i}" for i in range(duplicates)]
    head, tail = rows[:duplicates], rows[duplicates:]
    rng.shuffle(tail)  # the first spelling of each repeated number stays first
    path.write_text("telphone,userid\n" + "\n".join(head + tail) + "\n", encoding="utf-8")
    expected = frozenset(f"07400{n:06d}" for n in subscribers)
    return NumbersList(path, expected, invalid, duplicates)


@pytest.fixture
def data_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WALLBOARD_PROFILE", raising=False)
    monkeypatch.delenv("WALLBOARD_REGION", raising=False)
    return tmp_path / "data"


class HoldAnswer:
    """Around the simulator's app: holds back the answer to the `nth` call of `service`
    after the simulator carried it out, until released (the worst moment to be cut off)."""

    def __init__(self, app: ASGIApp, sim: Simulator, service: str, nth: int) -> None:
        self.app = app
        self.sim = sim
        self.service = service
        self.nth = nth
        self.armed = False
        self.held = threading.Event()
        self.release = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_or_hold(message: Message) -> None:
            if (
                message["type"] == "http.response.start"
                and self.armed
                and not self.held.is_set()
                and self.sim.stats()["services"].get(self.service, 0) >= self.nth
            ):
                self.held.set()
                await asyncio.to_thread(self.release.wait, WAIT)
            await send(message)

        await self.app(scope, receive, send_or_hold if scope["type"] == "http" else send)


@pytest.fixture
def floor(
    data_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Simulator, HoldAnswer]]:
    """A simulator on loopback with a fixed accesskey, reached through the environment; its
    answer to the second TaskAdd can be held back (`HoldAnswer.armed`)."""
    sim = Simulator.from_scenario(manual_clock=True, agents=6, queues=1, accesskey=ACCESSKEY)
    holder = HoldAnswer(create_app(sim), sim, TASKADD, 2)
    with serve_app_in_thread(holder) as url:
        monkeypatch.setenv("WALLBOARD_URL", url)
        monkeypatch.setenv("WALLBOARD_APPID", sim.appid)
        monkeypatch.setenv("WALLBOARD_ACCESSKEY", ACCESSKEY)
        monkeypatch.setenv("WALLBOARD_TZ", "UTC")
        try:
            yield sim, holder
        finally:
            holder.release.set()
            sim.close()


def new_tasks(sim: Simulator, before: set[str]) -> list[tuple[str, frozenset[str], int]]:
    return [
        (task.taskid, frozenset(task.numbers), task.status)
        for task in sim.tasks()
        if task.taskid not in before
    ]


def calls(sim: Simulator) -> dict[str, int]:
    services: dict[str, int] = sim.stats()["services"]
    return {name: services.get(name, 0) for name in (TASKCREAT, TASKADD, TASKDEL, TASKSET)}


def journal_events(data_dir: Path) -> list[dict[str, object]]:
    (path,) = (data_dir / "uploads").glob("*.journal")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


# ---------------------------------------------------------------------- the whole command


def test_a_25000_row_list_makes_one_task_of_the_valid_unique_numbers(
    floor: tuple[Simulator, HoldAnswer],
    data_dirs: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim, _ = floor
    numbers = write_list(tmp_path / "spring.csv", valid=24_550, invalid=150, duplicates=300)
    before = {task.taskid for task in sim.tasks()}
    argv = ["campaign", "create", "spring", "--numbers", str(numbers.path), "--queue", QUEUE]
    assert command(*argv, "--region", "GB", "--yes") == 0

    out = capsys.readouterr().out
    assert "rows read      25,000" in out
    assert "valid          24,550   to send in 1 TaskCreat + 2 TaskAdd" in out
    assert "invalid           150" in out and "duplicate         300" in out
    assert calls(sim) == {TASKCREAT: 1, TASKADD: 2, TASKDEL: 0, TASKSET: 1}
    ((taskid, held, status),) = new_tasks(sim, before)
    assert held == numbers.expected
    assert status == 1026  # opened

    tracked = CampaignRegistry.default().get(taskid)
    assert tracked is not None
    assert (tracked.name, tracked.assigned_to, tracked.status) == (
        "spring",
        QUEUE,
        CampaignStatus.RUNNING,
    )
    assert frozenset(tracked.numbers) == numbers.expected and tracked.created_here
    (journal,) = (data_dirs / "uploads").glob("*.journal")
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600  # it holds customers' numbers
    invalid = (tmp_path / "spring.csv.invalid.csv").read_text(encoding="utf-8").splitlines()
    assert len(invalid) == 1 + numbers.invalid
    assert not any("refused by the server" in line for line in invalid)

    (entry,) = AuditLog().entries()
    assert (entry["action"], entry["target"], entry["outcome"]) == (
        "create campaign",
        f"task {taskid}",
        "ok",
    )
    assert entry["numbers"] == 24_550 and entry["campaign"] == "spring"

    # The same command again sends nothing: the journal says it is done.
    assert command(*argv, "--region", "GB", "--yes") == 0
    assert "already created from these numbers as task " + taskid in capsys.readouterr().out
    assert calls(sim) == {TASKCREAT: 1, TASKADD: 2, TASKDEL: 0, TASKSET: 1}


def test_an_upload_killed_mid_way_is_finished_with_nothing_sent_twice(
    floor: tuple[Simulator, HoldAnswer],
    data_dirs: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim, holder = floor
    numbers = write_list(tmp_path / "renewals.csv", valid=24_000, invalid=40, duplicates=60)
    before = {task.taskid for task in sim.tasks()}
    argv = ["campaign", "create", "renewals", "--numbers", str(numbers.path), "--queue", QUEUE]
    argv += ["--region", "GB", "--yes"]
    holder.armed = True
    log = (tmp_path / "child.log").open("w")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *argv],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ),
    )
    try:
        # The second TaskAdd reached the simulator and was carried out; its answer is held
        # back, so the child has journaled that it is sending chunk 3 but not its outcome.
        while not holder.held.wait(0.05):
            assert child.poll() is None, (tmp_path / "child.log").read_text()
            assert not holder.release.is_set()
        events = [(e["event"], e.get("chunk")) for e in journal_events(data_dirs)]
        assert ("sent", 1) in events and events[-1] == ("sending", 2)
        # Tracked at once: the registry already holds the task with the chunks taken.
        (tracked,) = CampaignRegistry.default().tasks()
        assert len(tracked.numbers) == 20_000
    finally:
        child.kill()
        child.wait(WAIT)
        holder.release.set()
        log.close()
    assert calls(sim) == {TASKCREAT: 1, TASKADD: 2, TASKDEL: 0, TASKSET: 0}
    ((taskid, held, _),) = new_tasks(sim, before)
    assert held == numbers.expected  # the server has it all, but the child never knew

    assert command("campaign", "create", "renewals", "--numbers", str(numbers.path),
                   "--queue", QUEUE, "--region", "GB", "--yes") == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "chunk 3 of 3 may have reached the server" in captured.err
    assert "finished an interrupted upload" in captured.out
    # The chunk of unknown outcome was taken out and sent once more; nothing else was sent.
    assert calls(sim) == {TASKCREAT: 1, TASKADD: 3, TASKDEL: 1, TASKSET: 1}
    ((same_taskid, held, status),) = new_tasks(sim, before)
    assert same_taskid == taskid and status == 1026
    assert held == numbers.expected
    invalid = (tmp_path / "renewals.csv.invalid.csv").read_text(encoding="utf-8")
    assert "refused by the server" not in invalid  # no number reached the task twice
    tracked_after = CampaignRegistry.default().get(taskid)
    assert tracked_after is not None and frozenset(tracked_after.numbers) == numbers.expected


def test_a_dry_run_shows_the_counts_and_sends_nothing(
    data_dirs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "small.csv"
    path.write_text("phone\n07400 111111\n07400111111\nabc\n+1 212 555 0100\n", encoding="utf-8")
    # No server profile is needed to look at a list.
    rc = command("campaign", "create", "x", "--numbers", str(path), "--group", "g", "--region",
                 "GB", "--dry-run")  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0
    assert re.search(r"valid +2   to send in 1 TaskCreat \+ 0 TaskAdd", out)
    assert re.search(r"invalid +1\n", out) and re.search(r"duplicate +1 ", out)
    assert "line 4: 'abc': not a phone number" in out
    assert "dry run: nothing sent" in out
    assert not (tmp_path / "small.csv.invalid.csv").exists()


def test_without_yes_and_without_a_terminal_nothing_is_sent(
    floor: tuple[Simulator, HoldAnswer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim, _ = floor
    monkeypatch.setattr("sys.stdin", _Text("+44 7400 111111\n+44 7400 222222\n"))
    assert command("campaign", "create", "pasted", "--numbers", "-", "--queue", QUEUE) == 2
    assert "add --yes" in capsys.readouterr().err
    assert calls(sim)[TASKCREAT] == 0


def test_pasted_numbers_left_paused(
    floor: tuple[Simulator, HoldAnswer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim, _ = floor
    before = {task.taskid for task in sim.tasks()}
    monkeypatch.setattr("sys.stdin", _Text("+44 7400 111111\nnope\n+44 7400 222222\n"))
    rc = command("campaign", "create", "pasted", "--numbers", "-", "--queue", QUEUE,
                 "--paused", "--yes", "--start", "2026-01-06 08:00:00")  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    ((taskid, held, status),) = new_tasks(sim, before)
    assert held == {"+447400111111", "+447400222222"}  # no region: E.164
    assert status == 1025 and calls(sim)[TASKSET] == 0  # never opened
    tracked = CampaignRegistry.default().get(taskid)
    assert tracked is not None and tracked.status == CampaignStatus.NOT_STARTED


def test_the_profiles_region_is_the_default_of_region(
    floor: tuple[Simulator, HoldAnswer],
    data_dirs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Numbers without a country code are dialled from the profile's region (here from
    WALLBOARD_REGION, which overrides the profile's key); `--region` still wins."""
    sim, _ = floor
    path = tmp_path / "national.csv"
    path.write_text("07400 111111\n07400 222222\n", encoding="utf-8")
    argv = ["campaign", "create", "national", "--numbers", str(path), "--queue", QUEUE]
    monkeypatch.setenv("WALLBOARD_REGION", "gb")
    assert command(*argv, "--dry-run") == 0
    assert "numbers sent as dialled from GB" in capsys.readouterr().out

    before = {task.taskid for task in sim.tasks()}
    assert command(*argv, "--yes") == 0, capsys.readouterr().err
    ((_, held, _),) = new_tasks(sim, before)
    assert held == {"07400111111", "07400222222"}  # as dialled from GB

    assert command(*argv, "--region", "", "--dry-run") == 2  # no region: none is E.164
    assert "in E.164 (no --region)" in capsys.readouterr().out

    monkeypatch.setenv("WALLBOARD_REGION", "Mars")
    assert command(*argv, "--dry-run") == 2
    assert "WALLBOARD_REGION: 'region' 'Mars' is not a region code" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scale", "3"], "--scale '3': write A:B"),
        (["--scale", "0:1"], "--scale '0:1'"),
        (["--region", "Mars"], "--region: 'Mars' is not a region code"),
        (["--start", "next week"], "--start 'next week'"),
    ],
)
def test_mistakes_on_the_command_line_are_one_line_and_exit_2(
    data_dirs: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    path = tmp_path / "one.csv"
    path.write_text("+44 7400 111111\n", encoding="utf-8")
    argv = ["campaign", "create", "x", "--numbers", str(path), "--queue", QUEUE, "--dry-run"]
    assert command(*argv, *extra) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_read_only_refuses_to_create_but_may_look(
    floor: tuple[Simulator, HoldAnswer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "one.csv"
    path.write_text("+44 7400 111111\n", encoding="utf-8")
    monkeypatch.setenv("WALLBOARD_READ_ONLY", "1")
    argv = ["campaign", "create", "x", "--numbers", str(path), "--queue", QUEUE]
    assert command(*argv, "--yes") == 2
    assert "read-only (environment variable WALLBOARD_READ_ONLY)" in capsys.readouterr().err
    assert command(*argv, "--dry-run") == 0
    assert calls(floor[0])[TASKCREAT] == 0


def test_a_list_with_no_valid_number_is_refused(
    floor: tuple[Simulator, HoldAnswer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "none.csv"
    path.write_text("abc\n12\n", encoding="utf-8")
    rc = command("campaign", "create", "x", "--numbers", str(path), "--queue", QUEUE,
                 "--region", "GB", "--yes")  # fmt: skip
    assert rc == 2
    assert "no valid number to send" in capsys.readouterr().err
    assert calls(floor[0])[TASKCREAT] == 0


class _Text:
    """stdin as pasted text: not a terminal."""

    def __init__(self, text: str) -> None:
        self.text = text

    def read(self) -> str:
        return self.text

    def isatty(self) -> bool:
        return False


# ---------------------------------------------------------------------- the upload itself


def small_plan(name: str = "small", count: int = 50) -> UploadPlan:
    entries = tuple(PhoneNumber(phone=f"07400{n:06d}") for n in range(100, 100 + count))
    return UploadPlan(
        name=name, target=CampaignTarget(ASSIGN_QUEUE, QUEUE), entries=entries, chunk_size=20
    )


def upload(
    sim_url: str,
    journal: UploadJournal,
    plan: UploadPlan,
    *,
    fresh: bool = False,
    on_progress: Callable[[UploadProgress], None] | None = None,
    after_login: Callable[[], None] | None = None,
) -> UploadResult:
    async def go() -> UploadResult:
        async with WallboardClient(sim_url, "wallboard-demo", ACCESSKEY, timeout=5) as client:
            await client.login()
            if after_login is not None:
                after_login()
            job = CampaignUpload(
                client,
                CampaignRegistry.default(),
                journal,
                plan,
                open_task=True,
                fresh=fresh,
                on_progress=on_progress,
            )
            return await job.run()

    return asyncio.run(go())


def test_a_taskadd_without_an_answer_is_taken_out_and_sent_again(
    floor: tuple[Simulator, HoldAnswer], data_dirs: Path
) -> None:
    sim, _ = floor
    url = os.environ["WALLBOARD_URL"]
    plan = small_plan()
    journal = UploadJournal.for_campaign(plan.name, data_dirs / "uploads")
    before = {task.taskid for task in sim.tasks()}

    def cut_off_after_create(progress: UploadProgress) -> None:
        if progress.chunks_sent == 1:
            sim.faults.drop = 1.0  # the next call is carried out, its answer never comes

    with pytest.raises(OutcomeUnknown):
        upload(url, journal, plan, on_progress=cut_off_after_create)
    sim.faults.drop = 0.0
    assert journal.load().unknown == {1}
    result = upload(url, journal, plan)
    assert result.cleared_chunks == 1 and result.accepted == 50
    assert calls(sim) == {TASKCREAT: 1, TASKADD: 3, TASKDEL: 1, TASKSET: 1}
    ((_, held, _),) = new_tasks(sim, before)
    assert held == {entry.phone for entry in plan.entries}


def test_a_taskcreat_without_an_answer_is_made_again_and_said(
    floor: tuple[Simulator, HoldAnswer], data_dirs: Path
) -> None:
    sim, _ = floor
    url = os.environ["WALLBOARD_URL"]
    plan = small_plan()
    journal = UploadJournal.for_campaign(plan.name, data_dirs / "uploads")
    before = {task.taskid for task in sim.tasks()}

    def cut_off() -> None:
        sim.faults.drop = 1.0  # TaskCreat is carried out, its answer never comes

    with pytest.raises(OutcomeUnknown):
        upload(url, journal, plan, after_login=cut_off)
    sim.faults.drop = 0.0
    result = upload(url, journal, plan)
    assert result.lost_creates == 1
    (lost, made) = new_tasks(sim, before)
    assert lost[2] == 1025  # never opened: it will not dial
    assert made[0] == result.taskid and made[2] == 1026
    assert made[1] == {entry.phone for entry in plan.entries}


def test_an_unfinished_upload_of_other_numbers_is_not_mixed_in(
    floor: tuple[Simulator, HoldAnswer], data_dirs: Path
) -> None:
    sim, _ = floor
    url = os.environ["WALLBOARD_URL"]
    journal = UploadJournal.for_campaign("small", data_dirs / "uploads")

    def stop_after_create(progress: UploadProgress) -> None:
        if progress.chunks_sent == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        upload(url, journal, small_plan(), on_progress=stop_after_create)
    other = small_plan(count=45)
    with pytest.raises(UploadConflict, match="add --fresh"):
        upload(url, journal, other)
    result = upload(url, journal, other, fresh=True)
    assert result.accepted == 45
    assert calls(sim)[TASKCREAT] == 2


def test_numbers_the_server_refuses_are_reported_and_not_tracked(
    floor: tuple[Simulator, HoldAnswer], data_dirs: Path
) -> None:
    sim, _ = floor
    url = os.environ["WALLBOARD_URL"]
    # The simulator refuses a number the task already holds: the second "07400000100".
    entries = [PhoneNumber(phone=f"07400{n:06d}") for n in range(100, 130)]
    entries.append(PhoneNumber(phone="07400000100", userid="again"))
    plan = UploadPlan(
        name="refusals",
        target=CampaignTarget(ASSIGN_QUEUE, QUEUE),
        entries=tuple(entries),
        chunk_size=20,
    )
    result = upload(url, UploadJournal.for_campaign(plan.name, data_dirs / "uploads"), plan)
    assert result.accepted == 30
    assert [entry["userid"] for entry in result.refused if isinstance(entry, dict)] == ["again"]
    assert calls(sim) == {TASKCREAT: 1, TASKADD: 1, TASKDEL: 0, TASKSET: 1}
    tracked = CampaignRegistry.default().get(result.taskid)
    assert tracked is not None and len(tracked.numbers) == 30


# ---------------------------------------------------------------------- a disk that fails


def test_a_disk_that_fails_is_one_line_and_the_upload_is_finished_by_running_it_again(
    floor: tuple[Simulator, HoldAnswer], data_dirs: Path, tmp_path: Path
) -> None:
    """A journal that cannot be read stops the preview, and one that cannot be written (or a
    campaigns file) stops the upload, each said in one line and audited: no traceback."""
    sim, _ = floor
    url = os.environ["WALLBOARD_URL"]
    listed = write_list(tmp_path / "disk.csv", valid=30, invalid=0, duplicates=0)
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("", encoding="utf-8")
    audit = AuditLog(tmp_path / "audit.jsonl")
    request = CampaignRequest(
        name="disk",
        target=CampaignTarget(ASSIGN_QUEUE, QUEUE),
        numbers_file=listed.path,
        region="GB",
    )
    before = {task.taskid for task in sim.tasks()}

    async def go() -> str:
        async with WallboardClient(url, sim.appid, ACCESSKEY, timeout=5) as client:
            broken = CampaignRegistry(not_a_folder / "campaigns.json")
            source = LiveCampaignSource(client, broken, audit, tz=dt.UTC, folder=not_a_folder)
            with pytest.raises(CampaignProblem, match="journal cannot be read"):
                await source.preview(request)
            source.folder = data_dirs / "uploads"
            preview = await source.preview(request)
            source.folder = not_a_folder  # the journal's lock cannot be made: nothing sent
            with pytest.raises(CampaignStopped, match=r"cannot be written \(.*run it again"):
                await source.send(preview)
            assert new_tasks(sim, before) == []
            source.folder = data_dirs / "uploads"  # the campaigns file cannot be written
            with pytest.raises(CampaignStopped, match=r"not-a-folder cannot be written \("):
                await source.send(preview)
            source.registry = CampaignRegistry.default()  # run it again: it finishes
            outcome = await source.send(preview)
            return outcome.result.taskid

    taskid = asyncio.run(go())
    ((made, numbers, _),) = new_tasks(sim, before)
    assert made == taskid and numbers == listed.expected  # one task, nothing sent twice
    outcomes = [entry["outcome"] for entry in audit.entries()]
    assert outcomes == ["failed", "failed", "ok"]


def test_the_command_says_a_journal_it_cannot_read_in_one_line(
    floor: tuple[Simulator, HoldAnswer],
    data_dirs: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    listed = write_list(tmp_path / "cli.csv", valid=5, invalid=0, duplicates=0)
    data_dirs.mkdir(parents=True, exist_ok=True)
    (data_dirs / "uploads").write_text("", encoding="utf-8")  # where the journals go
    code = command("campaign", "create", "cli", "--numbers", str(listed.path), "--queue", QUEUE)
    err = capsys.readouterr().err
    assert code == campaign.EXIT_USAGE
    assert "journal cannot be read" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
