"""`?`: the keys, what each state's glyph and colour mean, and the time-in-state limits."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll

from wallboard.live.snapshot import AgentState
from wallboard.ui.dialogs import Dialog, plain
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


#: The header's and the filter's figures, each defined once (what the header line says).
FIGURES = (
    (
        "agents: ○ 3 idle …",
        "people: an agent in two queues counts once, in its more pressing state",
    ),
    ("tiles", "one per agent per queue: the queue headings and the s filter count these"),
    ("in progress", "calls ringing or talking now (one per customer, not per phone)"),
    ("finished today", "calls that ended today: answered, dropped, and the abandon rate of those"),
    ("dropped 15 min", "finished calls dropped in the last 15 (and 60) minutes of the server"),
    ("all queues", "under --queues: the finished figures still count every queue's calls"),
    ("counting…", "the day's calls are still being read: no figure rather than a low one"),
    ("abandon –", "no finished call answered yet: there is no rate, which is not 0%"),
    ("dialled 9 (2 live)", "a campaign's numbers called, finished or in progress; live now"),
    ("answered 5 (2 talk)", "its finished calls answered plus those talking now"),
    ("% of finished", "a campaign's abandon rate: drops over its finished calls answered"),
    (
        "24 h 2.1% (14 left)",
        "over the last 24 hours (30 d: 30 days), from the history store: drops that still fit "
        "under 3%; 'over 6 h' when the store holds less. The simple test (answered, no agent)",
    ),
    ("≥0:54", "time in state where the server gives no start: at least this long"),
    ("STALE 42 s ago", "a whole poll failed, or no new data for two refresh periods: dimmed"),
    ("no data yet", "no poll has succeeded yet: no figure is shown rather than zeros"),
)


#: How to close help, and every dialog: said first, where it is read before scrolling.
CLOSING = "esc, q or ? closes this help; esc or q cancels every dialog."


class HelpScreen(Dialog[None]):
    """`?`: closed by esc or q like every dialog, and by ? again."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "close", "close", show=False),
    ]

    def __init__(self, thresholds: Thresholds, *, read_only: bool) -> None:
        super().__init__()
        self.thresholds = thresholds
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield plain(CLOSING, id="closing", classes="help-note")
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
            yield plain("What the figures count", classes="dialog-title")
            for shown, text in FIGURES:
                with Horizontal(classes="help-row"):
                    yield plain(shown, classes="help-key")
                    yield plain(text)


__all__ = ["CLOSING", "HelpScreen"]
