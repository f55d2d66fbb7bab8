"""`wallboard` and `wallboard demo` from the command line: one clear line for every mistake,
and the real demo in a real pseudo-terminal, populated in seconds and quit with `q`."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import pty
import select
import stat
import struct
import sys
import termios
import time
import zoneinfo
from pathlib import Path
from typing import Any, ClassVar

import pytest
from test_ui_support import kill_child

from wallboard.api.client import WallboardClient
from wallboard.commands import main
from wallboard.commands.dashboard import build_app
from wallboard.commands.demo import demo_server
from wallboard.commands.screen_state import ScreenMemory
from wallboard.live.actions import Supervisor
from wallboard.live.alerts import AlertRules
from wallboard.live.audit import AuditLog
from wallboard.live.model import LiveFloor
from wallboard.settings import Settings


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))
    for name in (
        "WALLBOARD_URL",
        "WALLBOARD_APPID",
        "WALLBOARD_ACCESSKEY",
        "WALLBOARD_PROFILE",
        "WALLBOARD_THEME",
        "WALLBOARD_REFRESH",
        "WALLBOARD_QUEUES",
        "WALLBOARD_READ_ONLY",
        "WALLBOARD_TZ",
        "WALLBOARD_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def test_no_profile_says_what_to_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run([], capsys)
    assert code == 2
    assert "WALLBOARD_URL" in text and "Traceback" not in text


def test_an_unknown_profile_names_the_file(
    capsys: pytest.CaptureFixture[str], private_dirs: Path
) -> None:
    config = private_dirs / "config.toml"
    config.write_text('[profiles.floor]\nurl = "http://127.0.0.1:1"\nappid = "a"\n')
    code, text = run(["--config", str(config), "--profile", "nope"], capsys)
    assert code == 2
    assert str(config) in text and "nope" in text


def test_an_unknown_theme_lists_the_themes(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(["demo", "--theme", "neon"], capsys)
    assert code == 2
    assert "'neon'" in text and "high-contrast" in text and "default" in text


def test_bad_thresholds_name_the_file_and_key(
    capsys: pytest.CaptureFixture[str], private_dirs: Path
) -> None:
    config = private_dirs / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[thresholds]\ntalking = [900, 60]\n")
    code, text = run(["demo"], capsys)
    assert code == 2
    assert str(config) in text and "'talking'" in text


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["demo", "--agents", "0"], "--agents must be from 1"),
        (["demo", "--queue-count", "0"], "--queue-count must be from 1"),
        (["demo", "--speed", "0"], "--speed must be above 0"),
        (["demo", "--refresh", "0"], "--refresh must be from 0.2"),
    ],
)
def test_bad_demo_options_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], complaint: str
) -> None:
    code, text = run(argv, capsys)
    assert code == 2
    assert complaint in text and len(text.strip().splitlines()) == 1


def test_a_user_theme_file_is_offered(
    capsys: pytest.CaptureFixture[str], private_dirs: Path
) -> None:
    themes = private_dirs / "config" / "themes"
    themes.mkdir(parents=True)
    (themes / "night.toml").write_text('primary = "#ff00ff"\nbackground = "#000000"\n')
    code, text = run(["demo", "--theme", "neon"], capsys)
    assert code == 2 and "night" in text


def test_a_theme_from_the_file_or_the_environment_is_named_when_unknown(
    capsys: pytest.CaptureFixture[str], private_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = private_dirs / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('theme = "neon"\n')
    code, text = run(["demo"], capsys)
    assert code == 2 and f"{config}: 'theme': no theme 'neon'" in text
    monkeypatch.setenv("WALLBOARD_THEME", "sepia")
    code, text = run(["demo"], capsys)
    assert code == 2 and "environment variable WALLBOARD_THEME: no theme 'sepia'" in text
    code, text = run(["demo", "--theme", "mauve"], capsys)  # the command line wins
    assert code == 2 and "--theme: no theme 'mauve'" in text


def test_a_bad_setting_in_the_environment_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WALLBOARD_REFRESH", "0")
    code, text = run(["demo"], capsys)
    assert code == 2 and len(text.strip().splitlines()) == 1
    assert "environment variable WALLBOARD_REFRESH: 'refresh' must be from 0.2" in text


@pytest.mark.parametrize("argv", [[], ["demo"], ["status"]])
def test_a_key_others_can_read_is_refused_before_anything_starts(
    capsys: pytest.CaptureFixture[str], private_dirs: Path, argv: list[str]
) -> None:
    config = private_dirs / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[profiles.floor]\nurl = "http://127.0.0.1:1"\nappid = "a"\naccesskey = "k"\n'
    )
    config.chmod(0o644)
    code, text = run(argv, capsys)
    assert code == 2 and len(text.strip().splitlines()) == 1
    assert f"{config}: holds an accesskey and others can read it (mode 0644)" in text
    assert f"chmod 600 {config}" in text
    assert not (private_dirs / "data").exists()  # refused before anything was written


def test_alert_limits_that_do_not_fit_are_one_line(
    capsys: pytest.CaptureFixture[str], private_dirs: Path
) -> None:
    config = private_dirs / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[alerts]\nabandon_amber = 0.05\nabandon_rate = 0.03\n")
    code, text = run(["demo", "--wall"], capsys)
    assert code == 2 and len(text.strip().splitlines()) == 1
    assert f"{config} [alerts]: 'abandon_amber' must be from 0 to abandon_rate" in text


# ------------------------------------------------------------- what the root hands the screen


class RecordedScreen:
    """Stands in for the screen at the composition root's seam: records what `wallboard`
    and `wallboard demo` build it with, and quits at once (the screen has its own tests)."""

    made: ClassVar[list[RecordedScreen]] = []

    def __init__(self, floor: LiveFloor, supervisor: Supervisor, **options: Any) -> None:
        self.floor = floor
        self.supervisor = supervisor
        self.options = options
        self.return_code = 0
        RecordedScreen.made.append(self)

    async def run_async(self) -> None:
        return None


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[RecordedScreen]:
    RecordedScreen.made = []
    monkeypatch.setattr("wallboard.ui.app.WallboardApp", RecordedScreen)
    return RecordedScreen.made


def test_demo_wall_is_read_only_throughout_and_quiet_with_no_bell(
    recorded: list[RecordedScreen], private_dirs: Path
) -> None:
    assert main(["demo", "--wall", "--no-bell", "--agents", "5", "--queue-count", "1"]) == 0
    (screen,) = recorded
    options = screen.options
    assert options["wall"] is True and options["read_only"] is True
    assert screen.floor.read_only and screen.supervisor.read_only  # nothing can be sent
    assert options["bell"] is False
    assert options["tz"] == dt.UTC  # the simulator's zone: its clock on the wall
    assert options["page_seconds"] == 15.0
    assert options["alert_rules"] == AlertRules()
    assert options["view"] == "grid"


def test_the_dashboard_hands_the_screen_its_settings_and_remembers_the_view(
    recorded: list[RecordedScreen], private_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = private_dirs / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[profiles.floor]\nurl = "http://127.0.0.1:9"\nappid = "a"\naccesskey_env = "K"\n'
        'tz = "Asia/Shanghai"\n[alerts]\nbell = false\nabandon_rate = 0.04\n'
        "[thresholds]\npaused = [60, 120]\n[wall]\npage_seconds = 20\n"
    )
    monkeypatch.setenv("K", "secret")
    assert main([]) == 0
    first = recorded[-1].options
    assert (first["wall"], first["read_only"], first["bell"]) == (False, False, False)
    assert recorded[-1].supervisor.read_only is False
    assert first["tz"] == zoneinfo.ZoneInfo("Asia/Shanghai")
    assert first["page_seconds"] == 20.0
    rules = first["alert_rules"]
    assert (rules.abandon_rate, rules.paused_after) == (0.04, 120.0)
    assert first["view"] == "grid"

    first["on_view_change"]("list")  # the supervisor switched to the list ...
    state = private_dirs / "data" / "screen.json"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert "secret" not in state.read_text(encoding="utf-8")
    assert main(["--wall"]) == 0  # ... and the next run starts on it
    second = recorded[-1].options
    assert second["view"] == "list" and second["wall"] and second["read_only"]
    assert recorded[-1].floor.read_only and recorded[-1].supervisor.read_only


async def test_v_switches_to_the_list_and_the_next_run_starts_on_it(private_dirs: Path) -> None:
    """The real screen and the state file: `v` is remembered, and a new dashboard (a new
    run) starts on the list; the wall starts on it too, read-only."""
    memory = ScreenMemory.default()
    settings = Settings(theme="default", refresh=3600.0)
    with demo_server(manual_clock=True, seed=7, agents=6, queues=1) as (sim, url):
        async with WallboardClient(url, sim.appid, sim.accesskey) as client:
            audit = AuditLog(private_dirs / "audit.jsonl")
            first = build_app(client, settings, audit=audit, clock=sim.now, memory=memory)
            assert first.view == "grid"
            async with first.run_test(size=(80, 24)) as pilot:
                await first.wait_for_snapshot()
                await pilot.press("v")
                await pilot.pause()
                assert first.view == "list"
            assert memory.view() == "list"

            wall = Settings(theme="default", refresh=3600.0, wall_mode=True, read_only=True)
            second = build_app(client, wall, audit=audit, clock=sim.now, memory=memory)
            assert second.view == "list" and second.wall_mode and second.read_only
            assert second.supervisor.read_only


def read_until(fd: int, needle: bytes, deadline: float) -> bytes:
    seen = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if needle in seen:
            return seen
    return seen


def test_wallboard_demo_in_a_real_terminal(private_dirs: Path) -> None:
    """The whole command: simulator, client, live model and screen; `q` quits it."""
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": "100",
        "LINES": "30",
        "WALLBOARD_CONFIG_DIR": str(private_dirs / "config"),
        "WALLBOARD_DATA_DIR": str(private_dirs / "data"),
    }
    env.pop("TEXTUAL", None)
    began = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the dashboard itself
        os.execvpe(sys.executable, [sys.executable, "-m", "wallboard.cli", "demo"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    try:
        shown = read_until(fd, b"autocall-", began + 15)
        populated = time.monotonic() - began
        print(f"demo populated after {populated:.2f} s")
        assert b"autocall-" in shown, shown[-2000:]
        assert b"Traceback" not in shown
        os.write(fd, b"q")
        rest = read_until(fd, b"\x00never", time.monotonic() + 10)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, rest[-2000:]
        assert b"Traceback" not in rest
        assert populated < 6.0  # start-up of Python and Textual included (< 3 s once running)
    finally:
        kill_child(pid)
        os.close(fd)
    audit = private_dirs / "data"
    assert not any(audit.glob("campaigns.json"))  # the demo's tasks stay out of the registry
    assert stat.S_IMODE(audit.stat().st_mode) == 0o700  # made by the demo, its owner's alone
    assert stat.S_IMODE((audit / "wallboard.log").stat().st_mode) == 0o600
