"""`?`: the keys, what each state's glyph and colour mean, and the time-in-state limits."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen

from wallboard.live.snapshot import AgentState
from wallboard.ui.dialogs import plain
from wallboard.ui.faces import STATE_ORDER, badge, duration
from wallboard.ui.keys import KEYS, PANE_KEYS
from wallboard.ui.thresholds import Thresholds

MEANING = {
    AgentState.IDLE: "waiting for a call",
    AgentState.RINGING: "a call is ringing the agent",
    AgentState.TALKING: "on a call (the customer's number is shown)",
    AgentState.WRAPUP: "after a call, inside the queue's wrap-up time",
    AgentState.PAUSED: "shows busy: takes no queue calls",
    AgentState.MISSED: "did not answer, or rejected, the last call offered",
    AgentState.OFFLINE: "phone not registered, or extension missing",
    AgentState.DISABLED: "extension disabled",
}


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "close"),
    ]

    def __init__(self, thresholds: Thresholds, *, read_only: bool) -> None:
        super().__init__()
        self.thresholds = thresholds
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield plain("Keys", classes="dialog-title")
            if self.read_only:
                yield plain(
                    "Read-only: the actions that change the floor are off.", classes="help-note"
                )
            for key in KEYS:
                if key.changes_floor and self.read_only:
                    continue
                with Horizontal(classes="help-row"):
                    yield plain(key.shown, classes="help-key")
                    yield plain(key.help)
            for shown, text in PANE_KEYS:
                with Horizontal(classes="help-row"):
                    yield plain(shown, classes="help-key")
                    yield plain(text)
            yield plain("Agent states", classes="dialog-title")
            for state in STATE_ORDER:
                with Horizontal(classes="help-row"):
                    yield plain(badge(state), classes=f"help-badge -{state.name.lower()}")
                    yield plain(MEANING[state])
            yield plain("Time in state turns amber, then red, after", classes="dialog-title")
            for state, (amber, red) in self.thresholds.limits.items():
                with Horizontal(classes="help-row"):
                    yield plain(state.value, classes="help-key")
                    yield plain(f"{duration(amber)} amber, {duration(red)} red")
            yield plain(
                "Limits: the [thresholds] table of the config file, in seconds.",
                classes="help-note",
            )

    def action_close(self) -> None:
        self.dismiss(None)


__all__ = ["HelpScreen"]
