"""Toasts that never make Textual repaint the whole screen.

Textual keeps a screen's toasts in a rack that it hides while there are none and shows with
the first. Showing or hiding a widget renumbers the painting order of every widget placed
after it, and the compositor repaints every widget whose order moved: on a 200x50 floor
screen one toast after a quiet spell rewrote the whole screen, some 44 KB (over SSH, more
than ten seconds of the screen's usual traffic), and so did the first toast after each
quiet spell. A rack that stays placed, empty and invisible while there is nothing to say,
changes nothing but the toast's own cells when a toast comes or goes.
"""

from __future__ import annotations

from textual.notifications import Notifications
from textual.widgets._toast import ToastRack

_HELD = "_wallboard_held"


def hold_toast_racks() -> None:
    """Keep every screen's toast rack placed from now on (once per process; idempotent).

    The rack is still invisible (Textual's own `visibility: hidden`, only its toasts show)
    and, empty, is no cells high: it neither covers nor catches anything. The style sheets
    place it from the start (`ToastRack { display: block; }`), so that not even the first
    toast moves the painting order."""
    if getattr(ToastRack.show, _HELD, False):
        return
    shown = ToastRack.show

    def show(self: ToastRack, notifications: Notifications) -> None:
        shown(self, notifications)
        self.display = True  # Textual hides an empty rack; placed, it moves nothing

    setattr(show, _HELD, True)
    ToastRack.show = show  # type: ignore[method-assign]


__all__ = ["hold_toast_racks"]
