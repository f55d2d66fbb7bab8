"""The app writes through the terminal mirror, and forgets what the terminal shows when it
may have changed behind the mirror's back: a resize, or the user asking for a redraw."""

from __future__ import annotations

from pathlib import Path

from test_ui_app import the_floor
from test_ui_support import scripted_app
from textual.drivers.linux_driver import LinuxDriver

from wallboard.ui.terminal_mirror import TerminalMirror

FRAME = "\x1b[1;1H\x1b[1;38;5;172;48;5;16mREAD-ONLY \x1b[0m\x1b[38;5;247;48;5;16magents\x1b[0m"


def settled(mirror: TerminalMirror) -> None:
    """Write the frame until the mirror knows it all (its first style is known only from
    the first reset on): then the same frame writes nothing."""
    for _ in range(2):
        mirror.filter(FRAME)
    assert mirror.filter(FRAME) == ""


def test_the_terminal_driver_writes_through_the_mirror(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [the_floor()])
    driver = app.get_driver_class()
    assert issubclass(driver, LinuxDriver) and driver is not LinuxDriver
    assert "READ-ONLY" in app.terminal_mirror.filter(FRAME)  # the first frame goes out whole
    settled(app.terminal_mirror)


async def test_ctrl_l_and_a_resize_write_the_next_frame_whole(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [the_floor()])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        mirror = app.terminal_mirror
        settled(mirror)
        await pilot.press("ctrl+l")
        assert "READ-ONLY" in mirror.filter(FRAME)
        settled(mirror)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert "READ-ONLY" in mirror.filter(FRAME)
