"""The header of live figures, and the "updated N s ago" that is always in view.

Each figure is its own small widget that repaints only when its text changes, so a header
that says the same thing as a second ago costs no bytes on the wire. Colour classes come
from the TCSS: the abandon rate turns amber near the 3% cap and red over it; the age turns
into a STALE warning when the last poll failed, and a banner below says why.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Static

from wallboard.live.snapshot import AgentState, FloorSnapshot, FloorTotals
from wallboard.ui.faces import LOOKS, clean, percent

#: The abandon rate is amber from here (near the 3% cap) and red over the cap.
ABANDON_AMBER = 0.025
ABANDON_RED = 0.03

#: (FloorTotals field, state) of the first line; the glyph is the tiles' glyph for the state.
_STATE_FIGURES = (
    ("idle", AgentState.IDLE),
    ("ringing", AgentState.RINGING),
    ("talking", AgentState.TALKING),
    ("wrapup", AgentState.WRAPUP),
    ("paused", AgentState.PAUSED),
    ("offline", AgentState.OFFLINE),
)


class Figure(Static):
    """One figure of the header; repaints only when its text changes."""

    def __init__(self, text: str = "", *, id: str | None = None, classes: str = "") -> None:
        super().__init__(text, id=id, classes=f"figure {classes}".strip(), markup=False)
        self._text = text

    def show(self, text: str) -> bool:
        if text == self._text:
            return False
        same_width = cell_len(text) == cell_len(self._text)
        self._text = text
        self.update(text, layout=not same_width)  # a layout pass repaints the whole screen
        return True

    @property
    def text(self) -> str:
        return self._text


def abandon_level(rate: float) -> str:
    """The colour class of an abandon rate: "" under amber, "-amber" near 3%, "-red" over."""
    if rate > ABANDON_RED:
        return "-red"
    if rate >= ABANDON_AMBER:
        return "-amber"
    return ""


def age_text(seconds: float) -> str:
    whole = int(seconds)
    if whole < 120:
        return f"{whole} s"
    if whole < 7200:
        return f"{whole // 60} min"
    return f"{whole // 3600} h"


class FloorHeader(Widget):
    """Two lines: agents by state; calls, today's answered/dropped, abandon rate and age."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="states"):
            for key, _state in _STATE_FIGURES:
                yield Figure(id=f"fig-{key}", classes=f"-{key}")
            yield Figure("READ-ONLY", id="fig-mode")
        with Horizontal(id="today"):
            yield Figure(id="fig-calls")
            yield Figure(id="fig-answered")
            yield Figure(id="fig-dropped")
            yield Figure(id="fig-abandon")
            yield Static(id="fig-spacer")
            yield Figure("waiting for the first poll", id="fig-updated")

    def show(self, totals: FloorTotals) -> None:
        for key, state in _STATE_FIGURES:
            glyph = LOOKS[state][0]
            text = f"{glyph} {getattr(totals, key)} {state.value}"
            self.query_one(f"#fig-{key}", Figure).show(text)
        self.query_one("#fig-calls", Figure).show(f"calls {totals.calls_in_progress}")
        self.query_one("#fig-answered", Figure).show(f"answered {totals.answered_today}")
        self.query_one("#fig-dropped", Figure).show(f"dropped {totals.dropped_today}")
        abandon = self.query_one("#fig-abandon", Figure)
        abandon.show(f"abandon {percent(totals.abandon_rate)}")
        level = abandon_level(totals.abandon_rate)
        abandon.set_class(level == "-amber", "-amber")
        abandon.set_class(level == "-red", "-red")

    def show_age(self, snapshot: FloorSnapshot | None, now: float) -> None:
        """The "updated N s ago" figure; STALE with the age when the last poll failed."""
        updated = self.query_one("#fig-updated", Figure)
        if snapshot is None:
            return
        if snapshot.taken_at <= 0:
            updated.show("STALE: no data yet" if snapshot.stale else "waiting for the first poll")
        else:
            age = age_text(snapshot.age(now))
            updated.show(f"STALE {age} ago" if snapshot.stale else f"updated {age} ago")
        updated.set_class(snapshot.stale, "-stale")


class StaleBanner(Static):
    """Why the data is stale, in a supervisor's words; hidden while polls succeed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._text = ""

    def show(self, snapshot: FloorSnapshot | None) -> None:
        stale = snapshot is not None and snapshot.stale
        text = ""
        if stale and snapshot is not None:
            why = clean(snapshot.error) or "the last poll failed"
            text = f"⚠ showing the last good data: {why}"
        self.set_class(stale, "-shown")
        if text != self._text:
            self._text = text
            self.update(text)

    @property
    def text(self) -> str:
        return self._text


__all__ = ["ABANDON_AMBER", "ABANDON_RED", "FloorHeader", "StaleBanner", "abandon_level"]
