"""The dashboard's terminal driver on a real pseudo-terminal: keys arrive, a lone Escape is
told apart by its delay, the app leaves at once, and the input thread sleeps while nobody
types (Textual's own wakes ten times a second)."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ui_support import kill_child
from textual.drivers.linux_driver import LinuxDriver

from wallboard.ui.driver import PENDING_FOR, QuietInputDriver, terminal_driver
from wallboard.ui.terminal_mirror import TerminalMirror

ROOT = Path(__file__).resolve().parent.parent

# The child: a Textual app on the dashboard's driver that reports, on a pipe, its input
# thread's id and every key it gets; `q` quits.
CHILD = """
import os, sys, threading
from textual.app import App
from textual.widgets import Static
from wallboard.ui.driver import terminal_driver
from wallboard.ui.terminal_mirror import TerminalMirror

report = os.fdopen(int(os.environ["REPORT_FD"]), "w", buffering=1)

class KeyApp(App):
    def get_driver_class(self):
        return terminal_driver(TerminalMirror())

    def compose(self):
        yield Static("keys")

    def on_mount(self):
        thread = next(t for t in threading.enumerate() if t.name == "textual-input")
        report.write(f"input {thread.native_id}\\n")

    def on_key(self, event):
        report.write(f"key {event.key}\\n")
        if event.key == "q":
            self.exit()

KeyApp().run()
"""

#: Long enough that Textual's own input thread would wake five times; ours not once.
QUIET_SPELL = 0.5


class Child:
    """The app in a child process on a new pty, and the pipe it reports on."""

    def __init__(self, pid: int, terminal: int, report: int) -> None:
        self.pid, self.terminal, self.report = pid, terminal, report
        self._buffer = b""

    def line(self, timeout: float = 10.0) -> str:
        """The next line the child reports (the pty is read meanwhile, so it never blocks)."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            assert left > 0, f"no report from the app ({self._buffer!r})"
            ready, _, _ = select.select([self.report, self.terminal], [], [], left)
            if self.terminal in ready:
                self._drain()
            if self.report in ready:
                chunk = os.read(self.report, 4096)
                assert chunk, "the app closed its report"
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def exited(self, timeout: float) -> int | None:
        """The child's exit status once it has left within `timeout`, else None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            ready, _, _ = select.select([self.terminal], [], [], 0.05)
            if ready:
                self._drain()
        return None

    def _drain(self) -> None:
        """Read what the app wrote to its screen (drained, not looked at)."""
        with contextlib.suppress(OSError):
            os.read(self.terminal, 65536)


@pytest.fixture
def child(request: pytest.FixtureRequest) -> Iterator[Child]:
    """The app on a new pty; with `indirect` parameter True, its stdin at its end instead."""
    stdin_closed = bool(getattr(request, "param", False))
    report_read, report_write = os.pipe()
    os.set_inheritable(report_write, True)
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "REPORT_FD": str(report_write),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("TEXTUAL", None)
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the app
        try:
            if stdin_closed:
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.execvpe(sys.executable, [sys.executable, "-c", CHILD], env)
        finally:
            os._exit(127)
    os.close(report_write)
    running = Child(pid, terminal, report_read)
    try:
        yield running
    finally:
        kill_child(pid)
        os.close(terminal)
        os.close(report_read)


def wakeups(pid: int, thread: int) -> int:
    """How often the thread has gone to sleep and been woken (voluntary context switches)."""
    status = Path(f"/proc/{pid}/task/{thread}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if "voluntary_ctxt" in line)


def test_the_driver_writes_through_the_mirror_and_waits_quietly() -> None:
    driver_class = terminal_driver(TerminalMirror())
    assert issubclass(driver_class, QuietInputDriver)
    assert issubclass(driver_class, LinuxDriver)
    assert "write" in vars(driver_class)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_keys_arrive_escape_times_out_and_the_input_thread_sleeps(child: Child) -> None:
    kind, thread = child.line().split()
    assert kind == "input"
    # Nobody types: the thread does not wake. (A real wait: what is measured is that no
    # wake-up happens while time passes.)
    before = wakeups(child.pid, int(thread))
    time.sleep(QUIET_SPELL)
    assert wakeups(child.pid, int(thread)) - before <= 1

    os.write(child.terminal, b"x")
    assert child.line() == "key x"
    # A lone Escape is a key of its own once ESCDELAY has passed with nothing after it.
    os.write(child.terminal, b"\x1b")
    assert child.line() == "key escape"
    # ... and once nothing can be pending any more, the thread sleeps again.
    time.sleep(PENDING_FOR)
    before = wakeups(child.pid, int(thread))
    time.sleep(QUIET_SPELL)
    assert wakeups(child.pid, int(thread)) - before <= 1

    os.write(child.terminal, b"q")
    assert child.line() == "key q"
    # The app's end wakes the input thread at once: the process leaves, and cleanly.
    assert child.exited(timeout=10) == 0


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("child", [True], indirect=True)
def test_an_input_at_its_end_leaves_the_input_thread_asleep(child: Child) -> None:
    """Stdin at its end (piped, or closed) reads as ready for ever: the thread stops
    watching it and waits for the app's end alone (Textual's would spin on it)."""
    kind, thread = child.line().split()
    assert kind == "input"
    before = wakeups(child.pid, int(thread))
    time.sleep(QUIET_SPELL)
    assert wakeups(child.pid, int(thread)) - before <= 1
