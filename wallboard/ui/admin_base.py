"""What the three administration screens share: esc goes back to the floor, a status line
says what the last change or read came to, and every change is asked about first.

A change goes: the screen's form (what to send) -> `ConfirmDialog` (the change in words) ->
the administrator (in `live.admin`: refuses in read-only, checks, sends, audits) -> the
status line and a notification. A cancelled dialog sends nothing. The screens never call
the API: they call their administrator, a Protocol each screen module defines.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Label

from wallboard.live.actions import Outcome
from wallboard.live.admin import AdminResult
from wallboard.ui.dialogs import ConfirmDialog

#: A notification's title per outcome, as the floor's actions have them.
TITLES = {
    Outcome.DONE: "Done",
    Outcome.FAILED: "Failed",
    Outcome.REFUSED: "Refused",
    Outcome.UNKNOWN: "Unknown",
}

ADMIN_CSS = """
AdminScreen {
    layout: vertical;
}
AdminScreen .admin-title {
    text-style: bold;
    color: $primary;
    padding: 0 1;
    width: 100%;
}
AdminScreen .admin-note {
    color: $text-muted;
    padding: 0 1;
    width: 100%;
}
AdminScreen .admin-status {
    padding: 0 1;
    width: 100%;
    height: auto;
}
AdminScreen .admin-status.-failed, AdminScreen .admin-status.-refused,
AdminScreen .admin-status.-unknown {
    color: $error;
}
AdminScreen DataTable {
    height: 1fr;
}
"""


def counted(number: int, noun: str) -> str:
    """ "1 queue", "3 queues": the status line's counts."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


class AdminScreen(Screen[None]):
    """Base of the administration screens: esc (or q) returns to the floor."""

    DEFAULT_CSS = ADMIN_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "back"),
        Binding("q", "back", "back", show=False),
        Binding("f5", "reload", "reload"),
    ]

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the screen's data again (each screen says what)."""

    # ------------------------------------------------------------------ status

    def say(self, text: str, *, outcome: Outcome | None = None) -> None:
        """Put one line in the status line (server text is shown as it is, no markup)."""
        status = self.query_one("#admin-status", Label)
        status.update(text)
        for name in ("-failed", "-refused", "-unknown"):
            status.remove_class(name)
        if outcome is not None and outcome is not Outcome.DONE:
            status.add_class(f"-{outcome.value}")

    def show(self, result: AdminResult) -> None:
        """A change's outcome: in the status line and as a notification."""
        self.say(result.message, outcome=result.outcome)
        severity: SeverityLevel = "information" if result.ok else "error"
        if result.outcome is Outcome.REFUSED:
            severity = "warning"
        self.notify(result.message, title=TITLES[result.outcome], severity=severity, markup=False)

    # ------------------------------------------------------------------ changes

    def confirm_then(
        self,
        question: str,
        yes: str,
        change: Callable[[], Awaitable[AdminResult]],
        *,
        after: Callable[[AdminResult], None] | None = None,
    ) -> None:
        """Ask `question`; on yes send `change` in a worker, show its outcome, then reload
        (or call `after`). No and esc send nothing."""

        def answered(answer: bool | None) -> None:
            if answer:
                self.run_worker(self._send(change, after), group="admin-change")
            else:
                self.say("Nothing was sent.")

        self.app.push_screen(ConfirmDialog(question, yes=yes), answered)

    async def _send(
        self,
        change: Callable[[], Awaitable[AdminResult]],
        after: Callable[[AdminResult], None] | None,
    ) -> None:
        self.say("Sending…")
        result = await change()
        self.show(result)
        if after is not None:
            after(result)
        else:
            self.reload()


__all__ = ["ADMIN_CSS", "TITLES", "AdminScreen", "counted"]
