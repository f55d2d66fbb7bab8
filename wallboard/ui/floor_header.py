"""The header of live figures, and the "updated N s ago" that is always in view.

Two lines drawn with the Line API from a dict of figures: a line is repainted only when one
of its figures reads differently, so a header that says what it said a second ago costs no
bytes on the wire (and one widget costs the screen far less than a dozen). Colours come
from the TCSS component classes: the abandon rate turns amber near the 3% cap and red over
it; the age turns into a STALE warning when the last poll failed, and a banner says why.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from wallboard.live.snapshot import AgentState, FloorSnapshot, FloorTotals
from wallboard.ui.faces import LOOKS, clean, percent
from wallboard.ui.styles import BASE, ComponentStyles

#: Data younger than this (seconds) is "updated just now".
FRESH = 2.0
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
_TODAY = ("calls", "answered", "dropped", "abandon")
_LINES = ((*(key for key, _ in _STATE_FIGURES), "mode"), (*_TODAY, "updated"))


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


_COMPONENTS = frozenset(
    {
        *(f"header--{key}" for key, _ in _STATE_FIGURES),
        "header--text",
        "header--amber",
        "header--red",
        "header--updated",
        "header--stale",
        "header--mode",
    }
)


class HeaderLines(Widget):
    """Some of the header's figures, one line each, drawn with the Line API. The figures on
    the left and the age on the right are two of these, so that the age, which changes every
    second, is rewritten alone and not with the whole line to its left."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(_COMPONENTS)

    def __init__(
        self,
        header: FloorHeader,
        lines: tuple[tuple[str, ...], ...],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.header = header
        self.lines = lines
        self.style_cache = ComponentStyles(self, _COMPONENTS, prefix="header--")

    def get_content_width(self, container: Size, viewport: Size) -> int:
        lines = range(len(self.lines))
        return max(sum(cell_len(text) for text, _ in self.pieces(y)) for y in lines)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.style_cache.clear()

    def pieces(self, y: int) -> list[tuple[str, str]]:
        """Line `y` as (text, style name) pieces, each figure with its trailing space."""
        out: list[tuple[str, str]] = []
        for key in self.lines[y]:
            text = self.header.figures[key]
            if not text:
                continue
            style = self.header.style_of(key)
            if style in ("red", "stale"):  # a coloured block: pad it inside, space outside
                out += [(f" {text} ", style), (" ", "text")]
            else:
                out.append((f"{text} ", style))
        return out

    def end_of(self, y: int, keys: set[str], figures: dict[str, str] | None = None) -> int:
        """The cell where the last of `keys` ends on line `y` (what a change must rewrite)."""
        figures = self.header.figures if figures is None else figures
        x = end = 0
        for key in self.lines[y]:
            text = figures[key]
            if text:
                x += cell_len(text) + (3 if self.header.style_of(key) in ("red", "stale") else 1)
            if key in keys:
                end = x
        return end

    def render_line(self, y: int) -> Strip:
        styles = self.style_cache.table()
        width = self.size.width
        if y >= len(self.lines):
            return Strip.blank(width, styles[BASE])
        segments = [Segment(text, styles[style]) for text, style in self.pieces(y)]
        strip = Strip(segments)
        if self.has_class("-right"):
            pad = max(0, width - strip.cell_length)
            strip = Strip([Segment(" " * pad, styles[BASE]), *segments])
        return strip.crop(0, width).adjust_cell_length(width, styles[BASE])


class FloorHeader(Vertical):
    """Line one: agents by state (and READ-ONLY). Line two: calls, today's answered and
    dropped, the abandon rate, and, at the right in a widget of its own, how old the data
    is (it changes every second, and is then rewritten alone)."""

    def __init__(self, *, read_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.read_only = read_only
        self.figures: dict[str, str] = dict.fromkeys((*_LINES[0], *_LINES[1]), "")
        self.figures["updated"] = "waiting for the first poll"
        self.figures["mode"] = "READ-ONLY" if read_only else ""
        self.abandon = ""  # "", "-amber" or "-red"
        self.stale = False
        self.parts = (
            HeaderLines(self, (_LINES[0],), id="states"),
            HeaderLines(self, (_LINES[1][:-1],), id="today"),
            HeaderLines(self, (_LINES[1][-1:],), id="age", classes="-right"),
        )

    def compose(self) -> ComposeResult:
        yield self.parts[0]
        with Horizontal():
            yield self.parts[1]
            yield self.parts[2]

    def figure(self, key: str) -> str:
        """What a figure reads now ("idle", "calls", "abandon", "updated", ...)."""
        return self.figures[key]

    def show(self, totals: FloorTotals) -> None:
        values = {
            key: f"{LOOKS[state][0]} {getattr(totals, key)} {state.value}"
            for key, state in _STATE_FIGURES
        }
        values["calls"] = f"calls {totals.calls_in_progress}"
        values["answered"] = f"answered {totals.answered_today}"
        values["dropped"] = f"dropped {totals.dropped_today}"
        values["abandon"] = f"abandon {percent(totals.abandon_rate)}"
        level = abandon_level(totals.abandon_rate)
        restyled = {"abandon"} if level != self.abandon else set()
        self.abandon = level
        self._change(values, restyled)

    def show_age(self, snapshot: FloorSnapshot | None, now: float) -> None:
        """The "updated N s ago" figure; STALE with the age when the last poll failed."""
        if snapshot is None:
            return
        if snapshot.taken_at <= 0:
            text = "STALE: no data yet" if snapshot.stale else "waiting for the first poll"
        elif snapshot.stale:
            text = f"STALE {age_text(snapshot.age(now))} ago"
        elif snapshot.age(now) < FRESH:
            # Not "0 s", "1 s", "0 s": with polls every second or so, a counter that never
            # gets past 1 only repaints the corner between two polls.
            text = "updated just now"
        else:
            text = f"updated {age_text(snapshot.age(now))} ago"
        restyled = {"updated"} if snapshot.stale != self.stale else set()
        self.stale = snapshot.stale
        self._change({"updated": text}, restyled)

    def _change(self, values: dict[str, str], restyled: set[str]) -> None:
        changed = {key for key, text in values.items() if self.figures.get(key) != text}
        changed |= restyled
        if not changed:
            return
        old = dict(self.figures)
        self.figures.update(values)
        for part in self.parts:
            for y, keys in enumerate(part.lines):
                touched = changed.intersection(keys)
                if not touched:
                    continue
                if part.has_class("-right"):
                    part.refresh(layout=True)  # its width follows its text
                    continue
                # Textual rewrites from the widget's left edge up to the region's end: end
                # the region where the changed figures end (now or before, if longer).
                end = max(part.end_of(y, touched), part.end_of(y, touched, old))
                moved = any(cell_len(old[key]) != cell_len(self.figures[key]) for key in touched)
                if moved or touched & restyled:  # what follows on the line moved too
                    everything = set(keys)
                    end = max(part.end_of(y, everything), part.end_of(y, everything, old))
                part.refresh(Region(0, y, end, 1))

    def style_of(self, key: str) -> str:
        if key == "abandon":
            return {"-amber": "amber", "-red": "red"}.get(self.abandon, "text")
        if key == "updated":
            return "stale" if self.stale else "updated"
        if key in ("calls", "answered", "dropped"):
            return "text"
        return key


class StaleBanner(Static):
    """Why the data is stale, in a supervisor's words; hidden while polls succeed.

    A failed slow read (the queue list, the bills) leaves the agents fresh but today's
    figures and the campaigns behind: that shows too, in amber, without "stale"."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._text = ""

    def show(self, snapshot: FloorSnapshot | None) -> None:
        stale = snapshot is not None and snapshot.stale
        behind = snapshot is not None and not stale and bool(snapshot.error)
        text = ""
        if snapshot is not None and stale:
            why = clean(snapshot.error) or "the last poll failed"
            text = f"⚠ showing the last good data: {why}"
        elif snapshot is not None and behind:
            text = f"⚠ figures may be behind: {clean(snapshot.error)}"
        self.set_class(stale or behind, "-shown")
        self.set_class(behind, "-behind")
        if text != self._text:
            self._text = text
            self.update(text)

    @property
    def text(self) -> str:
        return self._text


__all__ = [
    "ABANDON_AMBER",
    "ABANDON_RED",
    "FloorHeader",
    "StaleBanner",
    "abandon_level",
    "age_text",
]
