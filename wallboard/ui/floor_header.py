"""The header of live figures, the "updated N s ago" that is always in view, and the banner.

Two lines drawn with the Line API from a dict of figures: a line is repainted only when one
of its figures reads differently, so a header that says what it said a second ago costs no
bytes on the wire (and one widget costs the screen far less than a dozen). Colours come
from the TCSS component classes: the abandon rate turns amber near the 3% cap and red over
it; the age turns into a STALE warning when the last poll failed, and a banner says why.

Each figure says what it counts, so that nobody reads two as one: line one counts people
(an agent in two queues once, in the more pressing state), every state of them; line two
puts the calls in progress beside today's finished calls, and the abandon rate is of
finished calls. A figure with no data says so instead of showing a zero: before the first
good poll the header reads "no data yet", and an abandon rate over no answered calls is
"–". Where a line does not fit the screen's width, its words get shorter, never cut off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import Static

from wallboard.live.snapshot import AgentState, FloorSnapshot, FloorTotals
from wallboard.ui.faces import LOOKS, clean, people_in, rate_text
from wallboard.ui.plain_lines import PlainLines
from wallboard.ui.styles import BASE, ComponentStyles

#: Data younger than this (seconds) is "updated just now".
FRESH = 2.0
#: The abandon rate is amber from here (near the 3% cap) and red over the cap.
ABANDON_AMBER = 0.025
ABANDON_RED = 0.03
#: What the header and the banner say before the first good poll.
NO_DATA = "no data yet"
CONNECTING = "connecting…"
WAITING = "connecting to the server…"

#: (figure key, state) of the first line, in the tiles' order; the glyph is the tiles'.
_STATE_FIGURES = (
    ("idle", AgentState.IDLE),
    ("ringing", AgentState.RINGING),
    ("talking", AgentState.TALKING),
    ("wrapup", AgentState.WRAPUP),
    ("paused", AgentState.PAUSED),
    ("missed", AgentState.MISSED),
    ("offline", AgentState.OFFLINE),
    ("disabled", AgentState.DISABLED),
)
_TODAY = ("calls", "finished", "answered", "dropped", "abandon", "recent")
_LINES = (("mode", "agents", *(key for key, _ in _STATE_FIGURES)), (*_TODAY, "updated"))
#: Cells kept free right of line two for the age, at least ("updated 12 s ago").
_AGE_ROOM = 16
#: The styles drawn as a coloured block, with a space inside at each end.
_BLOCKS = ("red", "stale")
#: Keys drawn in the muted label colour.
_LABELS = frozenset({"agents", "finished"})


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


def state_figures(totals: FloorTotals, level: int) -> dict[str, str]:
    """Line one at a level of shortness: 0 full words ("● 7 talking"), 1 the tiles' words
    ("● 7 talk"), 2 the same without "agents:", 3 glyphs and numbers only ("●7")."""
    values = {"agents": "agents:" if level < 2 else ""}
    for key, state in _STATE_FIGURES:
        glyph, word = LOOKS[state]
        count = people_in(totals, state)
        if level == 0:
            values[key] = f"{glyph} {count} {state.value}"
        elif level < 3:
            values[key] = f"{glyph} {count} {word.lower()}"
        else:
            values[key] = f"{glyph}{count}"
    return values


#: What line two's finished figures read while the live model is still reading the day's
#: bills (after a start, at a new day): no figure, rather than a low count that grows.
COUNTING = "counting…"


def call_figures(totals: FloorTotals, level: int, *, bills_read: bool = True) -> dict[str, str]:
    """Line two at a level of shortness (0 to 6): the calls in progress, then today's
    finished calls ("in progress 7 │ finished calls today: answered 400 ... │ dropped 15
    min 1 · 60 min 2"). With a queue scope the finished figures are the whole account's
    (a bill names no queue) and say "all queues"; while the bills are still being read
    they say "counting…" instead of a figure."""
    live = f"in progress {totals.calls_in_progress} │"
    if level >= 2:
        live = f"live {totals.calls_in_progress} │"
    if totals.scoped:
        labels = (
            "finished calls today, all queues:",
            "finished today, all queues:",
            "finished, all queues:",
            "all queues:",
            "all queues:",
            "all queues:",
            "all q.:",
        )
    else:
        labels = (
            "finished calls today:",
            "finished today:",
            "finished today:",
            "finished:",
            "finished:",
            "finished:",
            "fin.:",
        )
    values = {"calls": live, "finished": labels[min(level, 6)]}
    if not bills_read:
        return values | {"answered": COUNTING, "dropped": "", "abandon": "", "recent": ""}
    rate = rate_text(totals.abandon_rate, totals.answered_today)
    fifteen, sixty = totals.dropped_15m, totals.dropped_60m
    recent = (
        f"│ dropped 15 min {fifteen} · 60 min {sixty}",
        f"│ dropped 15 min {fifteen} · 60 min {sixty}",
        f"│ 15 min {fifteen} · 60 min {sixty}",
        f"│ 15 min {fifteen} · 60 min {sixty}",
        f"│ 15m {fifteen} 60m {sixty}",
        f"15m {fifteen} 60m {sixty}",
        f"15m {fifteen} 60m {sixty}",
    )
    short = level >= 4
    return values | {
        "answered": f"{'ans' if short else 'answered'} {totals.answered_today}",
        "dropped": f"{'drop' if short else 'dropped'} {totals.dropped_today}",
        "abandon": f"abandon {rate}",
        "recent": recent[min(level, 6)],
    }


def _cells(values: Mapping[str, str], keys: tuple[str, ...], blocks: frozenset[str]) -> int:
    """The cells a line of figures needs (a space between figures, none after; a figure
    drawn as a coloured block, in `blocks`, has a space inside at each end too)."""
    cells = sum(cell_len(values[k]) + (3 if k in blocks else 1) for k in keys if values.get(k))
    return max(0, cells - 1)


_COMPONENTS = frozenset(
    {
        *(f"header--{key}" for key, _ in _STATE_FIGURES),
        "header--text",
        "header--label",
        "header--amber",
        "header--red",
        "header--updated",
        "header--stale",
        "header--mode",
    }
)


class HeaderLines(PlainLines):
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
            if style in _BLOCKS:  # a coloured block: pad it inside, space outside
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
                x += cell_len(text) + (3 if self.header.style_of(key) in _BLOCKS else 1)
            if key in keys:
                end = x
        return end

    def render_line(self, y: int) -> Strip:
        styles = self.style_cache.table()
        width = self.size.width
        if y >= len(self.lines):
            return Strip.blank(width, styles[BASE])
        # Neighbouring figures in one colour are one segment: every segment is drawn with
        # its own colour codes, on the wire and in each frame's filters.
        segments: list[Segment] = []
        for text, style in self.pieces(y):
            if segments and segments[-1].style is styles[style]:
                segments[-1] = Segment(segments[-1].text + text, styles[style])
            else:
                segments.append(Segment(text, styles[style]))
        strip = Strip(segments)
        if self.has_class("-right"):
            pad = max(0, width - strip.cell_length)
            strip = Strip([Segment(" " * pad, styles[BASE]), *segments])
        return strip.crop(0, width).adjust_cell_length(width, styles[BASE])


class FloorHeader(Vertical):
    """Line one: agents (people) by state, and READ-ONLY. Line two: calls in progress,
    today's finished calls and their abandon rate, and, at the right in a widget of its own,
    how old the data is (it changes every second, and is then rewritten alone).

    Until `show` is first called the header has no data, and says so (`show_no_data`)."""

    def __init__(self, *, read_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.read_only = read_only
        self.figures: dict[str, str] = dict.fromkeys((*_LINES[0], *_LINES[1]), "")
        self.figures["agents"] = NO_DATA
        self.figures["updated"] = CONNECTING
        self.figures["mode"] = "READ-ONLY" if read_only else ""
        self.abandon = ""  # "", "-amber" or "-red"
        self.stale = False
        self.has_data = False
        self.totals: FloorTotals | None = None
        self.bills_read = True
        self.parts = (
            HeaderLines(self, (_LINES[0],), id="states"),
            HeaderLines(self, (_LINES[1][:-1],), id="today"),
            HeaderLines(self, (_LINES[1][-1:],), id="age", classes="-right"),
        )
        self._age_width = _AGE_ROOM + 1
        self.parts[2].styles.width = self._age_width

    def compose(self) -> ComposeResult:
        yield self.parts[0]
        with Horizontal():
            yield self.parts[1]
            yield self.parts[2]

    def figure(self, key: str) -> str:
        """What a figure reads now ("idle", "calls", "abandon", "updated", ...)."""
        return self.figures[key]

    def show(self, totals: FloorTotals, *, bills_read: bool = True) -> None:
        """The figures of data that arrived (fresh or, later, the last good data);
        `bills_read` False: the day's bills are still being counted ("counting…")."""
        self.totals = totals
        self.bills_read = bills_read
        self.has_data = True
        width = self.size.width
        mode = self.figures["mode"]
        level_class = abandon_level(totals.abandon_rate) if totals.answered_today > 0 else ""
        restyled = {"abandon"} if level_class != self.abandon else set()
        self.abandon = level_class
        blocks = frozenset(key for key in _TODAY if self.style_of(key) in _BLOCKS)
        values: dict[str, str] = {}
        for level in range(4):
            values = {"mode": mode, **state_figures(totals, level)}
            if not width or _cells(values, _LINES[0], frozenset()) <= width:
                break
        # Room beside the age as it reads now (or as long as it usually reads), and a space.
        age = cell_len(self.figures["updated"]) + (3 if self.stale else 1)
        room = max(0, width - max(age, _AGE_ROOM) - 1)
        for level in range(7):
            calls = call_figures(totals, level, bills_read=bills_read)
            if not width or _cells(calls, _TODAY, blocks) <= room:
                break
        values.update(calls)
        self._change(values, restyled)

    def show_no_data(self) -> None:
        """No good poll yet: no figure at all, rather than zeros that look like a quiet floor."""
        self.totals = None
        self.has_data = False
        values = dict.fromkeys((*_LINES[0][1:], *_TODAY), "")
        values["agents"] = NO_DATA
        self._change(values, set())

    def on_resize(self, _event: events.Resize) -> None:
        if self.totals is not None:  # the words that fit the new width
            self.show(self.totals, bills_read=self.bills_read)

    def show_age(self, snapshot: FloorSnapshot | None, now: float) -> None:
        """The "updated N s ago" figure; STALE with the age when the data looks stale (a
        whole cycle failed, or nothing new for two refresh periods: `looks_stale`), and
        "no data yet" while no poll has brought any. `now` is this machine's clock."""
        if snapshot is None:
            return
        stale = snapshot.looks_stale(now)
        if not self.has_data:
            text = "NO DATA" if stale else CONNECTING
        elif stale:
            text = f"STALE {age_text(snapshot.age(now))} ago"
        elif snapshot.age(now) < FRESH:
            # Not "0 s", "1 s", "0 s": with polls every second or so, a counter that never
            # gets past 1 only repaints the corner between two polls.
            text = "updated just now"
        else:
            text = f"updated {age_text(snapshot.age(now))} ago"
        restyled = {"updated"} if stale != self.stale else set()
        self.stale = stale
        before = self.figures["updated"]
        self._change({"updated": text}, restyled)
        if self.totals is not None and (restyled or cell_len(before) != cell_len(text)):
            # line two's words fit beside the age as it reads now
            self.show(self.totals, bills_read=self.bills_read)

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
                    self._fit_age()
                    continue
                # Textual rewrites from the widget's left edge up to the region's end: end
                # the region where the changed figures end (now or before, if longer).
                end = max(part.end_of(y, touched), part.end_of(y, touched, old))
                moved = any(cell_len(old[key]) != cell_len(self.figures[key]) for key in touched)
                if moved or touched & restyled:  # what follows on the line moved too
                    everything = set(keys)
                    end = max(part.end_of(y, everything), part.end_of(y, everything, old))
                if touched & restyled:  # a block's padding came or went: the old line's
                    end = max(end, part.size.width)  # end is not known, so all of it
                part.refresh(Region(0, y, end, 1))

    def _fit_age(self) -> None:
        """The age's widget as wide as its text, never narrower than `_AGE_ROOM` and a
        space: "updated just now", "updated 5 s ago" and "STALE 5 s ago" then fit one width,
        and a new age is a repaint of its cells, not a new layout of the header."""
        part = self.parts[2]
        width = max(_AGE_ROOM + 1, sum(cell_len(text) for text, _ in part.pieces(0)))
        if width != self._age_width:
            self._age_width = width
            part.styles.width = width  # a new layout: line two's room follows
        else:
            part.refresh()

    def style_of(self, key: str) -> str:
        if key == "abandon":
            return {"-amber": "amber", "-red": "red"}.get(self.abandon, "text")
        if key == "updated":
            return "stale" if self.stale else "updated"
        if key in _LABELS:
            return "label"
        if key in ("calls", "answered", "dropped", "recent"):
            return "text"
        return key


class StaleBanner(Static):
    """Why the data is stale or missing, in a supervisor's words.

    It has a line of its own that is always there, empty while polls succeed, so that the
    grid below never moves when it speaks. A failed slow read (the queue list, the bills)
    leaves the agents fresh but today's figures and the campaigns behind: that shows too,
    in amber, without "stale". Before the first good poll it says there is no data yet, and
    why (connecting, or the error)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(WAITING, id=id, markup=False, classes="-waiting")
        self._text = WAITING

    def show(
        self, snapshot: FloorSnapshot | None, *, has_data: bool = True, now: float | None = None
    ) -> None:
        """`now` (this machine's clock) judges staleness by age as well (`looks_stale`):
        one slow or retried read says nothing, a whole failed cycle or data older than two
        refresh periods does. None: only a failed cycle counts."""
        stale = snapshot is not None and (
            snapshot.stale if now is None else snapshot.looks_stale(now)
        )
        behind = snapshot is not None and not stale and bool(snapshot.error)
        waiting = snapshot is None or (not has_data and not stale)
        text = ""
        if snapshot is None or waiting:
            text = WAITING
        elif stale and not has_data:
            why = clean(snapshot.error) or "the first poll failed"
            text = f"⚠ {NO_DATA}: {why}"
        elif stale:
            why = clean(snapshot.error) or (
                "the last poll failed" if snapshot.stale else "no new data from the server"
            )
            text = f"⚠ showing the last good data: {why}"
        elif behind:
            text = f"⚠ figures may be behind: {clean(snapshot.error)}"
        self.set_class(stale or behind, "-shown")
        self.set_class(behind, "-behind")
        self.set_class(waiting, "-waiting")
        if text != self._text:
            self._text = text
            # One row, as wide as its row, whatever it says: a new text is a repaint of it,
            # not a new layout of the screen (which the first words of a slow read cost).
            self.update(text, layout=False)

    @property
    def text(self) -> str:
        return self._text


__all__ = [
    "ABANDON_AMBER",
    "ABANDON_RED",
    "CONNECTING",
    "COUNTING",
    "NO_DATA",
    "FloorHeader",
    "StaleBanner",
    "abandon_level",
    "age_text",
    "call_figures",
    "state_figures",
]
