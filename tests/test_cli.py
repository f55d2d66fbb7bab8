"""The command line: options given before or after the subcommand mean the same."""

from __future__ import annotations

import pytest

from wallboard.commands import build_parser, main
from wallboard.commands.options import command_line


@pytest.mark.parametrize(
    "argv",
    [
        ["--profile", "floor2", "call", "GetQueueList"],
        ["call", "--profile", "floor2", "GetQueueList"],
        ["--profile", "floor2", "track", "T1"],
    ],
)
def test_profile_is_kept_wherever_it_is_given(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).profile == "floor2"


def test_dashboard_options_before_or_after_demo() -> None:
    parser = build_parser()
    before = parser.parse_args(["--read-only", "--queues", "a, b", "demo"])
    after = parser.parse_args(["demo", "--read-only", "--queues", "a,b"])
    assert before.read_only and after.read_only
    assert before.queues == after.queues == ["a", "b"]
    assert parser.parse_args(["demo"]).read_only is False


@pytest.mark.parametrize(
    "argv",
    [
        ["--wall", "--no-bell"],
        ["dashboard", "--wall", "--no-bell"],
        ["--wall", "dashboard", "--no-bell"],
        ["demo", "--wall", "--no-bell"],
        ["--no-bell", "--wall", "demo"],
    ],
)
def test_the_wall_and_no_bell_wherever_they_are_given(argv: list[str]) -> None:
    line = command_line(build_parser().parse_args(argv))
    assert line.wall and line.bell is False
    assert line.read_only  # the wall implies read-only, so the floor and supervisor are too


@pytest.mark.parametrize("argv", [[], ["demo"], ["dashboard"], ["--read-only", "demo"]])
def test_without_wall_or_no_bell_nothing_is_said(argv: list[str]) -> None:
    line = command_line(build_parser().parse_args(argv))
    assert not line.wall and line.bell is None  # not set: the config file decides
    assert line.read_only is ("--read-only" in argv)


def test_help_exits_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    assert "demo" in capsys.readouterr().out


def test_dashboard_is_also_a_subcommand() -> None:
    parser = build_parser()
    bare = parser.parse_args(["--profile", "floor2", "--theme", "high-contrast"])
    named = parser.parse_args(["dashboard", "--profile", "floor2", "--theme", "high-contrast"])
    before = parser.parse_args(["--profile", "floor2", "--theme", "high-contrast", "dashboard"])
    assert bare.command is None and named.command == before.command == "dashboard"
    for args in (bare, named, before):
        assert (args.profile, args.theme) == ("floor2", "high-contrast")


def test_every_command_has_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("dashboard", "demo", "sim", "call", "track", "status", "names"):
        with pytest.raises(SystemExit) as stop:
            main([command, "--help"])
        assert stop.value.code == 0
        assert f"usage: wallboard {command}" in capsys.readouterr().out


def test_status_takes_the_profile_and_the_queues_before_or_after() -> None:
    parser = build_parser()
    before = parser.parse_args(["--profile", "floor2", "--queues", "a,b", "status", "--json"])
    after = parser.parse_args(["status", "--profile", "floor2", "--queues", "a, b"])
    assert before.command == after.command == "status"
    assert before.profile == after.profile == "floor2"
    assert before.queues == after.queues == ["a", "b"]
    assert before.json and not after.json


def test_status_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["status", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "exit codes: 0 fresh data; 1 the server could not be read" in text
    assert "2 a configuration mistake" in text


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    """`wallboard records --csv - | head -1`: the pipe closes under the command, which ends
    with exit 0 and no traceback (the simulator serves the records)."""
    import subprocess
    import sys

    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wallboard.cli",
            "sim",
            "--port",
            "0",
            "--agents",
            "400",
            "--speed",
            "300",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert sim.stdout is not None
        url, appid, accesskey = (sim.stdout.readline().split(": ", 1)[1].strip() for _ in range(3))
        env = {
            "WALLBOARD_URL": url,
            "WALLBOARD_APPID": appid,
            "WALLBOARD_ACCESSKEY": accesskey,
            "WALLBOARD_CONFIG_DIR": "/nonexistent-wallboard-config",
        }
        import os

        records = subprocess.Popen(
            [sys.executable, "-m", "wallboard.cli", "records", "--csv", "-", "--from=-1d"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
        )
        assert records.stdout is not None
        header = records.stdout.readline()
        records.stdout.close()  # the reader goes away after one line
        _, err = records.communicate(timeout=60)
        assert header.startswith(b"id,"), err
        assert records.returncode == 0, err
        assert b"Traceback" not in err
    finally:
        sim.terminate()
        sim.wait(timeout=10)
