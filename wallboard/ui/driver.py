"""The terminal driver: Textual's Linux driver, writing through the terminal mirror, with an
input thread that sleeps until a key comes.

Textual's input thread wakes ten times a second whether or not anything was typed: it waits
for the terminal with a 0.1 s timeout, so that it can see the app ending and time out a lone
Escape (ESCDELAY). On a wall screen that nobody types at, those wake-ups took 0.15% of a core,
a fourteenth of the whole dashboard's CPU at 2,000 agents (measured per thread on a real
pty). Here the thread waits on the terminal and on a pipe of its own with no timeout:

* the app ending sets the driver's `exit_event`, which also writes a byte to the pipe, so the
  thread wakes at once to leave;
* while a key may still be pending in the parser (an Escape that might begin a sequence),
  that is for ESCDELAY after the last input, it waits with Textual's 0.1 s tick as before, so
  the parser's timeout fires as it always did; after that it blocks until the next input.
"""

from __future__ import annotations

import contextlib
import os
import selectors
from codecs import getincrementaldecoder
from threading import Event
from typing import TYPE_CHECKING

from textual import constants
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

from wallboard.ui.terminal_mirror import TerminalMirror

if TYPE_CHECKING:
    from textual.app import App

#: Textual's own wait while a key may be pending: the parser's timeouts are checked this often.
TICK = 0.1
#: How long after the last input the parser may still hold a key: its Escape delay, and two
#: ticks, so that a tick comes after the timeout whatever the timing of the reads.
PENDING_FOR = constants.ESCAPE_DELAY + 2 * TICK


class _WakingEvent(Event):
    """The driver's exit event: setting it also wakes the input thread from its wait."""

    def __init__(self) -> None:
        super().__init__()
        self.wake_fd: int | None = None  # the write end of the waiting thread's pipe

    def set(self) -> None:
        super().set()
        fd = self.wake_fd
        if fd is not None:
            with contextlib.suppress(OSError):  # closed: the thread has left already
                os.write(fd, b"x")


class QuietInputDriver(LinuxDriver):
    """`LinuxDriver` whose input thread waits for input (or the end) without a timeout."""

    exit_event: _WakingEvent

    def __init__(
        self,
        app: App[object],
        *,
        debug: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self.exit_event = _WakingEvent()

    def run_input_thread(self) -> None:
        """Textual's input loop (read, decode, parse, post), waiting without a timeout
        unless a key may be pending."""
        wake_read, wake_write = os.pipe()
        self.exit_event.wake_fd = wake_write  # before the first look at the event
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(wake_read, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        last_input = float("-inf")

        def process(ready: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> bool:
            """Read what the terminal sent and post its events; whether anything came."""
            came = False
            for key, _mask in ready:
                if key.fd != fileno:
                    continue
                data = os.read(fileno, 1024 * 4)
                if not data:  # the terminal's end is closed (stdin piped and at its end):
                    selector.unregister(fileno)  # wait for the app's end alone, not spin
                    break
                text = decode(data, final=final)
                if not text:
                    break  # the first bytes of a character: the rest comes in the next read
                came = True
                for event in parser.feed(text):
                    self.process_message(event)
            for event in parser.tick():
                self.process_message(event)
            return came

        try:
            while not self.exit_event.is_set():
                pending = get_time() - last_input < PENDING_FOR
                if process(selector.select(TICK if pending else None)):
                    last_input = get_time()
            selector.unregister(wake_read)
            process(selector.select(TICK), final=True)
        finally:
            self.exit_event.wake_fd = None
            selector.close()
            os.close(wake_read)
            os.close(wake_write)


def terminal_driver(mirror: TerminalMirror) -> type[LinuxDriver]:
    """The dashboard's Linux driver: writes go through `mirror` first (and are skipped if
    empty); input waits quietly (`QuietInputDriver`)."""

    class WallboardDriver(QuietInputDriver):
        def write(self, data: str) -> None:
            filtered = mirror.filter(data)
            if filtered:
                super().write(filtered)

    return WallboardDriver


__all__ = ["PENDING_FOR", "QuietInputDriver", "terminal_driver"]
