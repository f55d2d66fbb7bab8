"""The agent list: one row per agent, sorted the way a supervisor scans, drawn line by line.

At 500 agents a screen of tiles shows a tenth of the floor; a list shows forty-odd agents a
screen, and sorted by state and time in state (longest paused first, then longest idle) the
ones that need a look are at the top. VICIdial's real-time report works this way.

One row per person: an agent checked into two queues is one row, with its queues joined
("sales, support"), in its most pressing state (the header's rule, so the list and the
header count the same people), answered and missed summed over its queues.

The list is one `ScrollView` drawn with the Line API: a screen of rows costs a screen of
`render_line` calls however long the list is. Each new snapshot is compared, row by row,
with the one on screen, and only the visible lines that differ are refreshed, each up to
its last changed cell (Textual rewrites a changed line from the widget's left edge, so the
figures that change most, the time and the state, stand at the left). The live model hands
over the same `AgentView` object for an agent that did not change, so most rows are
recognised as unchanged by identity alone.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter, is_
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from wallboard.live.build import extension_order
from wallboard.live.snapshot import AgentState, AgentView, FloorSnapshot, QueueView
from wallboard.live.state_order import most_pressing
from wallboard.ui.agent_pane import AgentPane, matches, ramp_styles, state_styles
from wallboard.ui.faces import (
    BADGE_CELLS,
    ON_A_CALL,
    TIME_CELLS,
    TileClock,
    badge,
    clean,
    display_name,
    fit,
    fit_left,
    tile_clock,
)
from wallboard.ui.messages import Direction, Edge
from wallboard.ui.styles import BASE, ComponentStyles
from wallboard.ui.thresholds import Thresholds


class SortOrder(enum.Enum):
    """How the rows are ordered; `t` cycles through them in this order."""

    STATE = "state"  # by state in SCAN_ORDER, then longest in it first
    NAME = "name"
    QUEUE = "queue"  # by queue(s), then as STATE within each


#: The states in the order a supervisor scans them: who is not taking calls and should be
#: (paused, then idle: the dialler is starved of them), who is slow to be ready again, who
#: let a call go, then the busy ones, then who is not there at all.
SCAN_ORDER: tuple[AgentState, ...] = (
    AgentState.PAUSED,
    AgentState.IDLE,
    AgentState.WRAPUP,
    AgentState.MISSED,
    AgentState.RINGING,
    AgentState.TALKING,
    AgentState.OFFLINE,
    AgentState.DISABLED,
)
_SCAN_RANK = {state: rank for rank, state in enumerate(SCAN_ORDER)}

GAP = 1
NUMBER_CELLS = 14
COUNT_CELLS = 5  # each of answered and missed, right-aligned
COUNTS_CELLS = 2 * (GAP + COUNT_CELLS)
MIN_NAME = 8
MIN_QUEUES = 6
EXT_RANGE = (3, 10)
#: Where the state badge starts: after the time in state and a space.
BADGE_X = TIME_CELLS + GAP
EXT_X = BADGE_X + BADGE_CELLS + GAP


@dataclass(frozen=True, slots=True)
class AgentRow:
    """One person on the floor: every queue they are in, seen as their most pressing state."""

    extnumber: str
    name: str  # as shown: cleaned, the seat-name pattern replaced (`display_name`)
    queues: tuple[str, ...]
    view: AgentView  # the queue entry whose state the row shows (and that actions act on)
    views: tuple[AgentView, ...]  # every queue entry, in the snapshot's order
    answered: int
    missed: int
    # Kept, not worked out on each sort: a row is made only when its agent changed, and
    # sorting 2,000 rows by ready-made keys is a C loop.
    state: AgentState
    since: float
    queue_text: str  # the queues joined, as shown
    by_state: tuple[int, float, tuple[int, int, str]]  # scan rank, since, extension
    by_name: tuple[str, tuple[int, int, str]]
    by_queue: tuple[str, int, float, tuple[int, int, str]]

    @property
    def number(self) -> str:
        """The customer's number while ringing or talking, else nothing."""
        return clean(self.view.number) if self.view.state in ON_A_CALL else ""


def agent_row(views: Sequence[AgentView]) -> AgentRow:
    """The row of one person from their queue entries (at least one)."""
    chosen = most_pressing(views)
    name = next((shown for shown in map(display_name, views) if shown), "")
    queue_text = ", ".join(clean(view.queue) for view in views)
    ext = extension_order(chosen.extnumber)
    rank = _SCAN_RANK[chosen.state]
    return AgentRow(
        extnumber=chosen.extnumber,
        name=name,
        queues=tuple(view.queue for view in views),
        view=chosen,
        views=tuple(views),
        answered=sum(view.answered for view in views),
        missed=sum(view.missed for view in views),
        state=chosen.state,
        since=chosen.since,
        queue_text=queue_text,
        by_state=(rank, chosen.since, ext),
        by_name=(name.casefold(), ext),
        by_queue=(queue_text.casefold(), rank, chosen.since, ext),
    )


def agent_rows(
    queues: Iterable[QueueView], previous: Mapping[str, AgentRow] | None = None
) -> list[AgentRow]:
    """One row per extension, in the order first met. A row whose queue entries are the very
    objects of the `previous` row is that row again (an unchanged row is known by `is`)."""
    first: dict[str, AgentView] = {}
    more: dict[str, list[AgentView]] = {}  # agents in several queues: all their entries
    for queue in queues:
        for view in queue.agents:
            extnumber = view.extnumber
            seen = first.get(extnumber)
            if seen is None:
                first[extnumber] = view
            else:
                more.setdefault(extnumber, [seen]).append(view)
    before = previous or {}
    rows: list[AgentRow] = []
    add = rows.append
    for extnumber, view in first.items():
        old = before.get(extnumber)
        views = more.get(extnumber)
        if views is None:
            if old is not None and old.view is view and len(old.views) == 1:
                add(old)
            else:
                add(agent_row((view,)))
        elif old is not None and len(old.views) == len(views) and all(map(is_, old.views, views)):
            add(old)
        else:
            add(agent_row(views))
    return rows


_SORT_KEYS: Mapping[SortOrder, Callable[[AgentRow], tuple[object, ...]]] = {
    SortOrder.STATE: attrgetter("by_state"),
    SortOrder.NAME: attrgetter("by_name"),
    SortOrder.QUEUE: attrgetter("by_queue"),
}


def sort_key(order: SortOrder) -> Callable[[AgentRow], tuple[object, ...]]:
    """The key that sorts rows in `order`; ties always fall to the extension."""
    return _SORT_KEYS[order]


# ---------------------------------------------------------------------- layout


@dataclass(frozen=True, slots=True)
class Columns:
    """How wide each column is at one width; `number` 0 and `counts` False: left out
    (a narrow list keeps who and what state first)."""

    width: int
    ext: int
    name: int
    queues: int
    number: int
    counts: bool

    def spans(self) -> tuple[tuple[int, int], ...]:
        """(start, end) cells of badge, extension, name, queues, number and counts."""
        spans = [(BADGE_X, BADGE_X + BADGE_CELLS)]
        x = EXT_X
        for cells in (self.ext, self.name, self.queues, self.number):
            spans.append((x, x + cells))
            x += cells + (GAP if cells else 0)
        spans.append((x - GAP, x - GAP + (COUNTS_CELLS if self.counts else 0)))
        return tuple(spans)


def columns_for(width: int, ext: int) -> Columns:
    """The columns at `width` cells for extensions of `ext` cells."""
    ext = max(EXT_RANGE[0], min(EXT_RANGE[1], ext))
    fixed = EXT_X + ext + GAP
    number, counts = NUMBER_CELLS, True
    room = width - fixed - (number + GAP) - COUNTS_CELLS
    if room < MIN_NAME + MIN_QUEUES + GAP:
        number = 0
        room = width - fixed - COUNTS_CELLS
    if room < MIN_NAME + MIN_QUEUES + GAP:
        counts = False
        room = width - fixed
    room = max(0, room)
    name = max(min(room, MIN_NAME), room * 11 // 20)
    queues = room - name - GAP
    if queues < MIN_QUEUES:
        name, queues = room, 0
    return Columns(width, ext, name, queues, number, counts)


@dataclass(frozen=True, slots=True)
class RowFace:
    """What a row shows apart from its time in state, each part cut to its column."""

    state: AgentState
    parts: tuple[str, ...]  # badge, extension, name, queues, number, counts


def row_face(row: AgentRow, columns: Columns) -> RowFace:
    counts = ""
    if columns.counts:
        both = str(row.answered).rjust(COUNT_CELLS) + " " + str(row.missed).rjust(COUNT_CELLS)
        counts = fit(both, COUNTS_CELLS - GAP)
    return RowFace(
        row.state,
        (
            badge(row.state),
            fit(clean(row.extnumber), columns.ext),
            fit(row.name, columns.name),
            fit(row.queue_text, columns.queues),
            fit_left(row.number, columns.number),
            counts,
        ),
    )


_TITLES = ("STATE", "EXT", "NAME", "QUEUES", "NUMBER")
_SORTED_BY = {SortOrder.STATE: "STATE", SortOrder.NAME: "NAME", SortOrder.QUEUE: "QUEUES"}


def header_text(columns: Columns, order: SortOrder) -> str:
    """The header row, the sorted column marked with ▼ (the time sorts with the state)."""
    cells = columns.spans()
    line = "TIME".rjust(TIME_CELLS)
    for title, (start, end) in zip(_TITLES, cells, strict=False):
        if end <= start:
            continue
        word = title + ("▼" if _SORTED_BY[order] == title else "")
        line = line.ljust(start) + fit(word, end - start)
    if columns.counts:
        start = cells[-1][0]
        line = line.ljust(start) + " " + "ANS".rjust(COUNT_CELLS) + " " + "MISS".rjust(COUNT_CELLS)
    return fit(line, columns.width)


# ---------------------------------------------------------------------- the widget

_RAMP_STYLE = ramp_styles("agent-list")
_STATE_STYLE = state_styles("agent-list")
COMPONENTS: frozenset[str] = frozenset(
    {
        "agent-list--header",
        "agent-list--text",
        "agent-list--ext",
        "agent-list--muted",
        "agent-list--note",
        "agent-list--cursor",
        "agent-list--cursor-ext",
        *_RAMP_STYLE.values(),
        *_STATE_STYLE.values(),
    }
)
NO_AGENTS = "no agents checked in"
NO_MATCH = "no agent matches the filter"
_ORDERS = tuple(SortOrder)
_HEADER_LINES = 1


class AgentList(AgentPane, ScrollView, can_focus=True):
    """Every agent in scope as a row; up/down (or j/k) move the cursor, `t` changes the sort.

    The same surface as the agent grid (`show`, `set_filter`, `select`, `selected`,
    `shown`), so the app can show either and act on the selected agent the same way.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = set(COMPONENTS)

    class Arranged(Message):
        """The rows were laid out anew (the first layout, a filter, a sort, someone came or
        left): `shown` may have changed, and an agent may be selected now that was not
        on the list before its first layout."""

        def __init__(self, agent_list: AgentList) -> None:
            super().__init__()
            self.agent_list = agent_list

    DEFAULT_CSS = """
    AgentList {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        background: $background;
    }
    AgentList > .agent-list--header { background: $surface; color: $primary; text-style: bold; }
    AgentList > .agent-list--text { color: $foreground; }
    AgentList > .agent-list--ext { color: $foreground; text-style: bold; }
    AgentList > .agent-list--muted { color: $text-muted; }
    AgentList > .agent-list--note { color: $text-muted; text-style: italic; }
    AgentList > .agent-list--cursor { background: $selection 45%; color: $foreground; }
    AgentList > .agent-list--cursor-ext {
        background: $selection 45%; color: $foreground; text-style: bold;
    }
    AgentList:focus > .agent-list--cursor { background: $selection; color: auto 95%; }
    AgentList:focus > .agent-list--cursor-ext {
        background: $selection; color: auto 95%; text-style: bold;
    }
    AgentList > .agent-list--time-ok { color: $foreground; }
    AgentList > .agent-list--time-amber {
        background: $ramp-amber; color: auto 95%; text-style: bold;
    }
    AgentList > .agent-list--time-red { background: $ramp-red; color: auto 95%; text-style: bold; }
    AgentList > .agent-list--state-idle {
        background: $state-idle; color: auto 95%; text-style: bold;
    }
    AgentList > .agent-list--state-ringing {
        background: $state-ringing; color: auto 95%; text-style: bold;
    }
    AgentList > .agent-list--state-talking {
        background: $state-talking; color: auto 95%; text-style: bold;
    }
    AgentList > .agent-list--state-wrapup {
        background: $state-wrapup; color: auto 95%; text-style: bold;
    }
    AgentList > .agent-list--state-paused {
        background: $state-paused; color: auto 95%; text-style: bold;
    }
    AgentList > .agent-list--state-missed {
        background: $state-missed; color: auto 95%; text-style: bold;
    }
    AgentList > .agent-list--state-offline { background: $state-offline; color: auto 95%; }
    AgentList > .agent-list--state-disabled { background: $state-disabled; color: auto 95%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "up", show=False),
        Binding("down,j", "move(1)", "down", show=False),
        Binding("home", "first", "first", show=False),
        Binding("end", "last", "last", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("left,h", "edge('left')", "left", show=False),
        Binding("right,l", "edge('right')", "right", show=False),
        Binding("t", "cycle_sort", "sort", tooltip="Sort by state and time, name or queue"),
    ]

    def __init__(
        self,
        *,
        thresholds: Thresholds | None = None,
        scope: Sequence[str] | None = None,
        order: SortOrder = SortOrder.STATE,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._start_pane(thresholds)
        self.scope = frozenset(scope) if scope else None
        self.style_cache = ComponentStyles(self, COMPONENTS)
        self._order = order
        self._queues: tuple[QueueView, ...] = ()  # the queues the rows were made from
        self._everyone: list[AgentRow] = []  # every row in scope, in the snapshot's order
        self._by_ext: dict[str, AgentRow] = {}
        self._rows: list[AgentRow] = []  # the rows shown, sorted
        self._index: dict[str, int] = {}
        self._note = ""
        self._columns = columns_for(80, 4)
        self._shape: tuple[object, ...] = ()
        self._faces: dict[str, tuple[AgentRow, RowFace]] = {}
        self._drawn_clocks: dict[str, TileClock] = {}
        self._header: Strip | None = None
        self._cursor: str | None = None

    # ------------------------------------------------------------------ public surface

    @property
    def order(self) -> SortOrder:
        return self._order

    @property
    def rows(self) -> Sequence[AgentRow]:
        """The rows shown, in order."""
        return self._rows

    @property
    def shown(self) -> int:
        """How many agents (people) pass the filters."""
        return len(self._rows)

    @property
    def selected_row(self) -> AgentRow | None:
        at = self._index.get(self._cursor) if self._cursor is not None else None
        return None if at is None else self._rows[at]

    @property
    def selected(self) -> AgentView | None:
        """The agent under the cursor, as the grid gives it: the queue entry whose state the
        row shows (an agent in two queues is acted on in that queue)."""
        row = self.selected_row
        return None if row is None else row.view

    def show(self, snapshot: FloorSnapshot, *, waiting: str = "") -> None:
        """Take a new snapshot: refresh the visible lines that changed, and only those.
        `waiting`: no good poll yet; the list says that instead of rows it cannot know."""
        self.snapshot = snapshot
        self.waiting = waiting
        self._arrange()

    def sort_by(self, order: SortOrder) -> None:
        if order is not self._order:
            self._order = order
            self._arrange()
            self._scroll_to_cursor()

    def select(self, queue: str, extnumber: str) -> bool:
        """Put the cursor on an agent's row, if it is shown (`queue` is accepted for the
        grid's sake: a row holds all of the agent's queues)."""
        if extnumber not in self._index:
            return False
        self._move_cursor(extnumber)
        return True

    def line_text(self, y: int) -> str:
        """Line `y` of the whole list as text: 0 is the header, 1 the first row."""
        if y < _HEADER_LINES:
            return self._header_strip().text
        return self._body_line(y - _HEADER_LINES, self.style_cache.table()).text

    def row_text(self, extnumber: str) -> str | None:
        """The text of an agent's row now, or None when it is not shown."""
        at = self._index.get(extnumber)
        return None if at is None else self.line_text(at + _HEADER_LINES)

    # ------------------------------------------------------------------ taking a snapshot

    def _arrange(self) -> None:
        snapshot = self.snapshot
        if snapshot is None or not self.size.width:
            return  # not laid out yet: the first Resize arranges it
        width = max(1, self.scrollable_content_region.width)
        queues: Iterable[QueueView] = () if self.waiting else snapshot.queues
        if self.scope is not None:
            scope = self.scope
            queues = [queue for queue in queues if queue.name in scope]
        queues = tuple(queues)
        if len(queues) == len(self._queues) and all(map(is_, queues, self._queues)):
            everyone, same_people = self._everyone, True  # the model kept every queue
        else:
            everyone = agent_rows(queues, self._by_ext)
            same_people = len(everyone) == len(self._everyone) and all(
                map(is_, everyone, self._everyone)
            )
            self._everyone = everyone
            self._by_ext = {row.extnumber: row for row in everyone}
        self._queues = queues
        text, state = self.filter_text, self.filter_state
        rows = everyone
        if text or state is not None:
            # on the person's state: a row counts people, so the filter does too
            rows = [row for row in everyone if matches(row, text, state)]
        note = self.waiting or (NO_AGENTS if not everyone else NO_MATCH if not rows else "")
        ext = max(map(len, self._by_ext), default=4)
        columns = columns_for(width, ext)
        shape = (columns, note, len(rows), self._order, text, state)
        if shape == self._shape and same_people:
            self._refresh_clocks()  # nobody changed: only times in state may have moved
            return
        rows = sorted(rows, key=sort_key(self._order))
        if shape != self._shape:
            self._relayout(rows, shape, columns, note)
            return
        previous, self._rows = self._rows, rows
        self._index = {row.extnumber: at for at, row in enumerate(rows)}
        if len(self._faces) > len(rows):  # agents who left: their faces are never drawn again
            self._faces = {k: v for k, v in self._faces.items() if k in self._index}
        self._refresh_changes(previous)
        if self._cursor not in self._index:  # the agent under it left: back to the top
            self._cursor = rows[0].extnumber if rows else None
            self._refresh_rows(self._cursor)

    def _relayout(
        self, rows: list[AgentRow], shape: tuple[object, ...], columns: Columns, note: str
    ) -> None:
        """Everything moved (a resize, an agent came or went, a filter, the sort)."""
        if columns != self._columns:
            self._faces.clear()
        self._rows, self._shape, self._columns, self._note = rows, shape, columns, note
        self._index = {row.extnumber: at for at, row in enumerate(rows)}
        self._header = None
        self._drawn_clocks.clear()
        if len(self._faces) > len(rows):
            self._faces = {k: v for k, v in self._faces.items() if k in self._index}
        if self._cursor not in self._index:
            self._cursor = rows[0].extnumber if rows else None
        body = len(rows) or 1
        self.virtual_size = Size(columns.width, _HEADER_LINES + body)
        self.refresh()
        self.post_message(self.Arranged(self))

    def _visible(self) -> range:
        """Indexes of the rows on screen now."""
        top = round(self.scroll_offset.y)
        height = max(0, self.scrollable_content_region.height - _HEADER_LINES)
        return range(top, min(len(self._rows), top + height))

    def _refresh_changes(self, previous: list[AgentRow]) -> None:
        """Refresh each visible line whose row changed, from the left edge to its last
        changed cell; then the time cells of unchanged rows whose time moved."""
        top = round(self.scroll_offset.y)
        columns = self._columns
        taken_at = self._moment()
        regions: list[Region] = []
        for at in self._visible():
            old, new = previous[at], self._rows[at]
            y = at - top + _HEADER_LINES
            if old is new:
                self._check_clock(new, y, taken_at, regions)
                continue
            clock = self._clock(new)
            cached = self._faces.get(old.extnumber)
            cursor = self._cursor in (old.extnumber, new.extnumber)
            if old.extnumber != new.extnumber or cursor or cached is None:
                end = columns.width
            else:
                end = _last_change(cached[1], self._face(new), columns)
                if self._drawn_clocks.get(new.extnumber) != clock:
                    end = max(end, TIME_CELLS)
            if end:
                regions.append(Region(0, y, end, 1))
        if regions:
            self.refresh(*regions)

    def tick(self, server_now: float) -> None:
        """Time moved on (the server's clock): refresh the time cells that read
        differently now, and nothing else."""
        self.now = server_now
        if self.snapshot is not None and self._rows:
            self._refresh_clocks()

    def _refresh_clocks(self) -> None:
        top = round(self.scroll_offset.y)
        taken_at = self._moment()
        regions: list[Region] = []
        for at in self._visible():
            self._check_clock(self._rows[at], at - top + _HEADER_LINES, taken_at, regions)
        if regions:
            self.refresh(*regions)

    def _check_clock(self, row: AgentRow, y: int, taken_at: float, regions: list[Region]) -> None:
        drawn = self._drawn_clocks.get(row.extnumber)
        if drawn is not None and taken_at < drawn.until:
            return
        if drawn != self._clock(row):
            regions.append(Region(0, y, TIME_CELLS, 1))

    def _face(self, row: AgentRow) -> RowFace:
        """The row's face, made when the row changed or is first drawn (lazily: a row never
        scrolled into view never costs one)."""
        cached = self._faces.get(row.extnumber)
        if cached is not None and cached[0] is row:
            return cached[1]
        face = row_face(row, self._columns)
        self._faces[row.extnumber] = (row, face)
        return face

    def _clock(self, row: AgentRow) -> TileClock:
        moment = self._moment() if self.snapshot is not None else row.since
        return tile_clock(row.view, moment, self.thresholds)

    # ------------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.style_cache.clear()
        self._header = None

    def render_line(self, y: int) -> Strip:
        if y < _HEADER_LINES:
            return self._header_strip()
        styles = self.style_cache.table()
        return self._body_line(round(self.scroll_offset.y) + y - _HEADER_LINES, styles)

    def _header_strip(self) -> Strip:
        header = self._header
        if header is None:
            style = self.style_cache["agent-list--header"]
            text = header_text(self._columns, self._order)
            header = Strip([Segment(text, style)], cell_len(text))
            header = header.adjust_cell_length(self.scrollable_content_region.width, style)
            self._header = header
        return header

    def _body_line(self, at: int, styles: dict[str, Style]) -> Strip:
        width = self.scrollable_content_region.width
        rows = self._rows
        if self.snapshot is None or not 0 <= at < max(1, len(rows)):
            return Strip.blank(width, styles[BASE])
        if not rows:
            note = fit("  " + self._note, width) if self._note else " " * width
            return Strip([Segment(note, styles["agent-list--note"])], cell_len(note))
        row = rows[at]
        face = self._face(row)
        clock = self._clock(row)
        self._drawn_clocks[row.extnumber] = clock
        cursor = row.extnumber == self._cursor
        text = styles["agent-list--cursor" if cursor else "agent-list--text"]
        ext = styles["agent-list--cursor-ext" if cursor else "agent-list--ext"]
        muted = text if cursor else styles["agent-list--muted"]
        badge_text, ext_text, *middle, counts = face.parts
        segments = [  # few segments: each one costs a colour change on the wire
            Segment(clock.time, styles[_RAMP_STYLE[clock.ramp]]),
            Segment(" ", text),
            Segment(badge_text, styles[_STATE_STYLE[face.state]]),
            Segment(" ", text),
            Segment(ext_text, ext),
            Segment("".join(" " + part for part in middle if part), text),
        ]
        if counts:
            segments.append(Segment(" " + counts, muted))
        return Strip(segments).adjust_cell_length(width, text if cursor else styles[BASE])

    # ------------------------------------------------------------------ cursor

    def _move_cursor(self, extnumber: str) -> None:
        old, self._cursor = self._cursor, extnumber
        self._refresh_rows(old, extnumber)
        self._scroll_to_cursor()

    def _refresh_rows(self, *extnumbers: str | None) -> None:
        top = round(self.scroll_offset.y)
        for extnumber in extnumbers:
            at = self._index.get(extnumber) if extnumber is not None else None
            if at is not None:
                self.refresh(Region(0, at - top + _HEADER_LINES, self.size.width, 1))

    def _scroll_to_cursor(self) -> None:
        at = self._index.get(self._cursor) if self._cursor is not None else None
        if at is None:
            return
        top = round(self.scroll_offset.y)
        height = max(1, self.scrollable_content_region.height - _HEADER_LINES)
        if at < top:
            self.scroll_to(y=at, animate=False, immediate=True)
        elif at >= top + height:
            self.scroll_to(y=at - height + 1, animate=False, immediate=True)

    def action_move(self, step: int) -> None:
        at = self._index.get(self._cursor) if self._cursor is not None else None
        if at is None:
            if self._rows:
                self._move_cursor(self._rows[0].extnumber)
            return
        target = at + step
        if not 0 <= target < len(self._rows):
            self.post_message(Edge(self, "up" if step < 0 else "down"))
            return
        self._move_cursor(self._rows[target].extnumber)

    def action_first(self) -> None:
        if self._rows:
            self._move_cursor(self._rows[0].extnumber)

    def action_last(self) -> None:
        if self._rows:
            self._move_cursor(self._rows[-1].extnumber)

    def action_page(self, direction: int) -> None:
        at = self._index.get(self._cursor) if self._cursor is not None else None
        if at is None or not self._rows:
            return
        page = max(1, self.scrollable_content_region.height - _HEADER_LINES - 1)
        target = max(0, min(len(self._rows) - 1, at + direction * page))
        self._move_cursor(self._rows[target].extnumber)

    def action_edge(self, direction: Direction) -> None:
        self.post_message(Edge(self, direction))

    def action_cycle_sort(self) -> None:
        self.sort_by(_ORDERS[(_ORDERS.index(self._order) + 1) % len(_ORDERS)])

    def on_click(self, event: events.Click) -> None:
        """A click on a row selects it; on the header, sorts by the column clicked."""
        if event.y < _HEADER_LINES:
            for title, (start, end) in zip(_TITLES, self._columns.spans(), strict=False):
                if start <= event.x < end or (title == "STATE" and event.x < end):
                    orders = [o for o, t in _SORTED_BY.items() if t == title]
                    if orders:
                        self.sort_by(orders[0])
                    return
            return
        at = round(self.scroll_offset.y) + event.y - _HEADER_LINES
        if 0 <= at < len(self._rows):
            self._move_cursor(self._rows[at].extnumber)
            self.focus()

    # ------------------------------------------------------------------ events

    def on_resize(self, _event: events.Resize) -> None:
        self._shape = ()
        self._arrange()

    def on_mount(self) -> None:
        self._arrange()

    def _restyle_cursor(self) -> None:
        """The cursor is drawn brighter while the list has focus (`:focus` in the CSS)."""
        self.style_cache.clear()
        self._header = None
        self._refresh_rows(self._cursor)


def _last_change(old: RowFace, new: RowFace, columns: Columns) -> int:
    """The cell just after the last part that differs between two faces (0: none)."""
    end = 0
    for (start, stop), before, after in zip(columns.spans(), old.parts, new.parts, strict=True):
        if before != after:
            end = max(end, stop if stop > start else start)
    return min(end, columns.width)


__all__ = [
    "SCAN_ORDER",
    "AgentList",
    "AgentRow",
    "Columns",
    "RowFace",
    "SortOrder",
    "agent_row",
    "agent_rows",
    "columns_for",
    "header_text",
    "row_face",
    "sort_key",
]
