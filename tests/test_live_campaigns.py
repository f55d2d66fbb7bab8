"""The campaign registry: persistence across restarts, what each answer teaches it, the task
callback, and `wallboard track`."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from wallboard.cli import main
from wallboard.live.campaigns import (
    CampaignFileError,
    CampaignRegistry,
    read_numbers,
)
from wallboard.live.snapshot import CampaignStatus


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(folder))
    return folder


def test_tasks_survive_a_restart(data_dir: Path) -> None:
    registry = CampaignRegistry.default(clock=lambda: 1000.0)
    registry.record_created(
        "T1", numbers=["13800000001", "13800000002"], name="spring", assigned_to="queue-1"
    )
    registry.track("T2", name="old list")
    registry.apply_taskset("T1", 2)

    again = CampaignRegistry.default()
    assert [t.taskid for t in again.tasks()] == ["T1", "T2"]
    first = again.get("T1")
    assert first is not None
    assert first.numbers == ("13800000001", "13800000002")
    assert first.status is CampaignStatus.PAUSED
    assert (first.name, first.assigned_to, first.created_here) == ("spring", "queue-1", True)
    assert first.tracked_at == 1000.0
    assert again.get("T2").status is CampaignStatus.UNKNOWN  # type: ignore[union-attr]
    # Written atomically: one JSON document, no temporary files left beside it.
    assert json.loads((data_dir / "campaigns.json").read_text())["version"] == 1
    assert sorted(p.name for p in data_dir.iterdir()) == ["campaigns.json", "campaigns.json.lock"]


@pytest.mark.parametrize(
    ("taskstatus", "expected"),
    [(1, CampaignStatus.RUNNING), (2, CampaignStatus.PAUSED), (3, CampaignStatus.OVER)],
)
def test_taskset_answers(data_dir: Path, taskstatus: int, expected: CampaignStatus) -> None:
    registry = CampaignRegistry.default()
    registry.track("T1")
    assert registry.apply_taskset("T1", taskstatus).status is expected  # type: ignore[union-attr]
    assert registry.apply_taskset("T1", 9) is None
    assert registry.apply_taskset("nope", 1) is None  # not tracked: nothing learnt


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (1024, CampaignStatus.MISSING),
        (1025, CampaignStatus.NOT_STARTED),
        (1026, CampaignStatus.RUNNING),
        (1027, CampaignStatus.PAUSED),
        (1028, CampaignStatus.OVER),
    ],
)
def test_task_codes(data_dir: Path, code: int, expected: CampaignStatus) -> None:
    registry = CampaignRegistry.default()
    registry.track("T1")
    assert registry.apply_code("T1", code).status is expected  # type: ignore[union-attr]


def test_other_codes_teach_nothing(data_dir: Path) -> None:
    registry = CampaignRegistry.default()
    registry.track("T1", status=CampaignStatus.RUNNING)
    assert registry.apply_code("T1", 1003) is None
    assert registry.apply_code("T1", None) is None
    assert registry.get("T1").status is CampaignStatus.RUNNING  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "payload",
    [
        {"taskid": "T1", "companycode": "9027", "status": 3},
        '{"taskid":"T1","companycode":"9027","status":"3"}',
        b'{"taskid":"T1","companycode":"9027","status":3}',
        {"detail": '{"taskid":"T1","companycode":"9027","status":3}'},
        "detail=%7B%22taskid%22%3A%22T1%22%2C%22status%22%3A3%7D",
    ],
)
def test_task_callback_marks_the_task_over(data_dir: Path, payload: object) -> None:
    registry = CampaignRegistry.default()
    registry.track("T1", status=CampaignStatus.RUNNING)
    task = registry.apply_task_callback(payload)  # type: ignore[arg-type]
    assert task is not None and task.status is CampaignStatus.OVER
    assert CampaignRegistry.default().get("T1").status is CampaignStatus.OVER  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "payload",
    ["not json", b"\xff\xfe", "[1,2]", {"taskid": "OTHER", "status": 3}, {"taskid": "T1"}],
)
def test_task_callback_ignores_what_it_does_not_understand(data_dir: Path, payload: object) -> None:
    registry = CampaignRegistry.default()
    registry.track("T1", status=CampaignStatus.RUNNING)
    assert registry.apply_task_callback(payload) is None  # type: ignore[arg-type]
    assert registry.get("T1").status is CampaignStatus.RUNNING  # type: ignore[union-attr]
    assert registry.get("OTHER") is None


def test_numbers_added_and_removed(data_dir: Path) -> None:
    registry = CampaignRegistry.default()
    registry.track("T1", numbers=["+86 138 0000 0001"])
    registry.add_numbers("T1", ["8613800000001", "13900000002"])  # the first is a duplicate
    assert registry.get("T1").numbers == ("+86 138 0000 0001", "13900000002")  # type: ignore[union-attr]
    registry.remove_numbers("T1", ["86-138-0000-0001"])
    assert registry.get("T1").numbers == ("13900000002",)  # type: ignore[union-attr]
    assert registry.add_numbers("untracked", ["1"]) is None


def test_dialling_starts_an_unstarted_task_only(data_dir: Path) -> None:
    registry = CampaignRegistry.default()
    registry.record_created("T1", numbers=["1001"])
    registry.track("T2", status=CampaignStatus.PAUSED)
    assert registry.note_dialling("T1").status is CampaignStatus.RUNNING  # type: ignore[union-attr]
    assert registry.note_dialling("T2").status is CampaignStatus.PAUSED  # type: ignore[union-attr]


def test_the_live_models_report_is_one_write(data_dir: Path) -> None:
    """After a poll cycle, the live model reports every task the bills show dialling at once:
    one write for all, the unstarted ones only, untracked ids ignored."""
    registry = CampaignRegistry.default(clock=lambda: 2000.0)
    registry.record_created("T1", numbers=["1001"])
    registry.track("T2")
    registry.track("T3", status=CampaignStatus.PAUSED)
    changed = registry.note_dialling_all(["T1", "T2", "T3", "gone"])
    assert [t.taskid for t in changed] == ["T1", "T2"]
    again = CampaignRegistry.default()
    assert [t.status for t in again.tasks()] == [
        CampaignStatus.RUNNING,
        CampaignStatus.RUNNING,
        CampaignStatus.PAUSED,
    ]
    assert again.get("T1").updated_at == 2000.0  # type: ignore[union-attr]
    stamp = registry.stamp
    assert registry.note_dialling_all(["T1", "T2"]) == () and registry.stamp == stamp


def test_two_processes_do_not_lose_each_others_changes(data_dir: Path) -> None:
    dashboard = CampaignRegistry.default()
    dashboard.track("T1")
    beside = CampaignRegistry.default()  # e.g. `wallboard track` while the dashboard runs
    beside.track("T2", name="added beside")
    assert [t.taskid for t in dashboard.tasks()] == ["T1", "T2"]
    dashboard.apply_taskset("T1", 1)
    assert {t.taskid: t.status for t in CampaignRegistry.default().tasks()} == {
        "T1": CampaignStatus.RUNNING,
        "T2": CampaignStatus.UNKNOWN,
    }


def test_a_damaged_file_is_set_aside(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "campaigns.json").write_text("{ not json")
    registry = CampaignRegistry.default()
    assert registry.tasks() == ()
    assert registry.problem is not None and "campaigns.json.damaged" in registry.problem
    assert (data_dir / "campaigns.json.damaged").read_text() == "{ not json"
    registry.track("T1")
    assert [t.taskid for t in CampaignRegistry.default().tasks()] == ["T1"]


def test_a_task_id_is_needed(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="task id"):
        CampaignRegistry.default().track("  ")


# ---------------------------------------------------------------------- numbers files


def test_numbers_file(tmp_path: Path) -> None:
    path = tmp_path / "numbers.txt"
    path.write_text(
        "\ufeff# spring list\n13800000001\n\n+86 139-0000-0002, Alice\n13800000001\n"
        '"13700000003",x  # quoted CSV\n'
    )
    assert read_numbers(path) == ["13800000001", "+86 139-0000-0002", "13700000003"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("13800000001\nhello\n", "line 2: 'hello' is not a phone number"), ("12\n", "line 1")],
)
def test_numbers_file_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "numbers.txt"
    path.write_text(text)
    with pytest.raises(CampaignFileError, match=message):
        read_numbers(path)


def test_numbers_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(CampaignFileError, match="no such file"):
        read_numbers(tmp_path / "missing.txt")
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CampaignFileError, match="not UTF-8"):
        read_numbers(tmp_path / "binary")
    with pytest.raises(CampaignFileError, match="directory"):
        read_numbers(tmp_path)


# ---------------------------------------------------------------------- wallboard track


def test_track_command(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("13800000001\n13800000002\n")
    code = main(
        [
            "track",
            "20260105090000123",
            "--numbers",
            str(numbers),
            "--name",
            "spring",
            "--assigned-to",
            "queue-1",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "tracking task 20260105090000123 (spring, for queue-1; 2 numbers)" in out
    task = CampaignRegistry.default().get("20260105090000123")
    assert task is not None and task.numbers == ("13800000001", "13800000002")

    assert main(["track", "20260105090000123", "--name", "renamed"]) == 0
    task = CampaignRegistry.default().get("20260105090000123")
    assert task is not None and (task.name, len(task.numbers)) == ("renamed", 2)

    assert main(["track", "20260105090000123", "--forget"]) == 0
    assert "no longer tracked" in capsys.readouterr().out
    assert CampaignRegistry.default().tasks() == ()
    assert main(["track", "20260105090000123", "--forget"]) == 1
    assert "was not tracked" in capsys.readouterr().err


def test_track_command_bad_input(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Errors go to stderr, so that a script reading stdout never takes one for a result."""
    bad = tmp_path / "bad.txt"
    bad.write_text("13800000001\nnot-a-number\n")
    assert main(["track", "T1", "--numbers", str(bad)]) == 2
    said = capsys.readouterr()
    assert "line 2" in said.err and "Traceback" not in said.err and said.out == ""
    assert main(["track", "T1", "--numbers", str(tmp_path / "missing.txt")]) == 2
    said = capsys.readouterr()
    assert "no such file" in said.err and said.out == ""
    assert main(["track", "   "]) == 2
    said = capsys.readouterr()
    assert "task id is needed" in said.err and said.out == ""
    assert CampaignRegistry.default().tasks() == ()


def test_an_unreadable_file_is_reported_and_left_alone(data_dir: Path) -> None:
    (data_dir / "campaigns.json").mkdir(parents=True)  # not a file at all
    registry = CampaignRegistry.default()
    assert registry.tasks() == ()
    assert registry.problem is not None and "cannot be read" in registry.problem
    assert (data_dir / "campaigns.json").is_dir()
    with pytest.raises(OSError):
        registry.track("T1")


@pytest.mark.parametrize(
    "payload",
    ["[" * 100_000, b"[" * 100_000, {"detail": "[" * 100_000}, "detail=" + "%5B" * 100_000],
    ids=["text", "bytes", "detail", "form"],
)
def test_a_callback_nested_too_deep_is_ignored(data_dir: Path, payload: object) -> None:
    registry = CampaignRegistry.default()
    registry.track("T1", status=CampaignStatus.RUNNING)
    before = (data_dir / "campaigns.json").read_bytes()
    assert registry.apply_task_callback(payload) is None  # type: ignore[arg-type]
    assert (data_dir / "campaigns.json").read_bytes() == before


def test_bills_are_read_from_creation_or_as_far_back_as_unknown(data_dir: Path) -> None:
    """A task created here cannot have dialled before; one only tracked may have for days."""
    registry = CampaignRegistry.default(clock=lambda: 1000.0)
    created = registry.record_created("T1", numbers=["13800000001"])
    tracked = registry.track("T2", numbers=["13800000002"])
    assert created.bills_since == 1000.0
    assert tracked.bills_since == float("-inf")


def test_the_registry_file_is_private(data_dir: Path) -> None:
    """It holds customers' phone numbers: its owner alone reads it, written atomically."""
    registry = CampaignRegistry.default()
    registry.track("T1", numbers=["13800000001"])
    path = data_dir / "campaigns.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    registry.track("T1", name="renamed")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in data_dir.iterdir()) == ["campaigns.json", "campaigns.json.lock"]
