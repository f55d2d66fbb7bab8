"""The agent grid: every queue's agents as tiles, drawn line by line and redrawn by the cell.

A floor of 2,000 agents changes a few hundred cells a second; a widget per tile, or one big
text that is replaced whole, costs seconds to paint and tens of KB/s over SSH. So the grid
is a scrolling container of a few narrow column widgets, one per column of tiles, that draw
with Textual's Line API (`render_line`). The grid keeps what each visible tile shows,
compares the next snapshot with it, and refreshes only the changed pieces of the changed
tiles. The columns matter because Textual rewrites a changed line from the left edge of
its widget: a narrow column keeps a one-tile change to one tile's worth of bytes.

Layout, top to bottom: for each queue a heading line, then its tiles in rows of two lines,
then a blank line before the next queue. Off-screen tiles cost nothing until scrolled to.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import is_not
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.geometry import Region, Size
from textual.strip import Strip

from wallboard.live.actions import AgentKey, agent_key
from wallboard.live.snapshot import AgentView, FloorSnapshot, QueueView
from wallboard.ui.agent_pane import AgentPane, matches, ramp_styles, state_styles
from wallboard.ui.faces import (
    BADGE_X,
    MAX_TILE,
    MIN_TILE,
    NUMBER_X,
    TileClock,
    TileFace,
    badge,
    fit,
    queue_heading,
    tile_clock,
    tile_face,
)
from wallboard.ui.messages import Edge
from wallboard.ui.plain_lines import PlainLines
from wallboard.ui.styles import BASE, ComponentStyles
from wallboard.ui.thresholds import Thresholds

TILE_LINES = 2
GAP = 1
_HEADING = -1
_NOTE = -2
_BLANK = -3
_MESSAGE = -4  # the grid has nothing to show yet, and says why

_RAMP_STYLE = ramp_styles("agent-grid")
_STATE_STYLE = state_styles("agent-grid")
COMPONENTS: frozenset[str] = frozenset(
    {
        "agent-grid--tile",
        "agent-grid--ext",
        "agent-grid--counts",
        "agent-grid--cursor",
        "agent-grid--cursor-ext",
        "agent-grid--heading",
        "agent-grid--note",
        "agent-grid--number",
        *_RAMP_STYLE.values(),
        *_STATE_STYLE.values(),
    }
)


@dataclass(slots=True)
class _Section:
    queue: QueueView
    agents: Sequence[AgentView]  # the queue's agents that pass the filters, in order
    top: int  # line of the heading
    note: str = ""  # shown instead of tiles when there are none


class TileColumn(PlainLines):
    """One column of tiles (and its slice of each queue heading); the grid says what."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(COMPONENTS)

    def __init__(self, grid: AgentGrid, index: int) -> None:
        super().__init__()
        self.grid = grid
        self.index = index
        self.style_cache = ComponentStyles(self, COMPONENTS)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        start, end = self.grid._column_span(self.index)
        return end - start

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.grid._lines)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.style_cache.clear()

    def render_line(self, y: int) -> Strip:
        return self.grid.column_line(self, y)

    def on_click(self, event: events.Click) -> None:
        self.grid.click(self.index, event.y)


class AgentGrid(AgentPane, ScrollableContainer, can_focus=True):
    """Agent tiles of every queue in scope; arrows or hjkl move the cursor between tiles."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(0, -1)", "up", show=False),
        Binding("down,j", "move(0, 1)", "down", show=False),
        Binding("left,h", "move(-1, 0)", "left", show=False),
        Binding("right,l", "move(1, 0)", "right", show=False),
        Binding("home", "first", "first", show=False),
        Binding("end", "last", "last", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
    ]

    def __init__(
        self,
        *,
        thresholds: Thresholds | None = None,
        scope: Sequence[str] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._start_pane(thresholds)
        self.scope = tuple(scope) if scope else None
        self._message: list[str] = []  # `waiting` in lines of the grid's width
        self._sections: list[_Section] = []
        self._lines: list[tuple[int, int, int]] = []  # (section, row or kind, sub-line)
        self._where: dict[AgentKey, tuple[int, int]] = {}  # key -> (section, index)
        self._order: list[AgentKey] = []
        self._faces: dict[AgentKey, tuple[AgentView, TileFace]] = {}  # drawn tiles only
        self._drawn_clocks: dict[AgentKey, TileClock] = {}
        self._headings: list[Strip | None] = []  # None: to be made when next drawn
        self._columns: list[TileColumn] = []
        self._tile = MIN_TILE
        self._shape: tuple[object, ...] = ()
        self._cursor: AgentKey | None = None

    # ------------------------------------------------------------------ public surface

    def tick(self, server_now: float) -> None:
        """Time moved on (the server's clock): refresh the time cells that read
        differently now, and nothing else."""
        self.now = server_now
        if self.snapshot is None or not self._columns:
            return
        top = round(self.scroll_offset.y)
        self._refresh_clocks(top, top + self.scrollable_content_region.height, set())

    @property
    def selected(self) -> AgentView | None:
        """The agent under the cursor, as of the last snapshot."""
        if self._cursor is None or self._cursor not in self._where:
            return None
        section, index = self._where[self._cursor]
        return self._sections[section].agents[index]

    @property
    def shown(self) -> int:
        """How many tiles pass the filters."""
        return len(self._order)

    @property
    def columns(self) -> int:
        return max(1, len(self._columns))

    def show(self, snapshot: FloorSnapshot, *, waiting: str = "") -> None:
        """Take a new snapshot: redraw what changed, and only that. `waiting`: there has
        been no good poll yet; the grid shows that line instead of queues it cannot know."""
        self.snapshot = snapshot
        self.waiting = waiting
        self._arrange()

    def select(self, queue: str, extnumber: str) -> bool:
        """Put the cursor on an agent's tile, if it is shown."""
        key = agent_key(queue, extnumber)
        if key not in self._where:
            return False
        self._move_cursor(key)
        return True

    def tile_text(self, queue: str, extnumber: str) -> tuple[str, str] | None:
        """The two lines a tile shows now (for tests and scripts)."""
        key = agent_key(queue, extnumber)
        if key not in self._where or self.snapshot is None:
            return None
        section, index = self._where[key]
        agent = self._sections[section].agents[index]
        face = self._face(key, agent)
        return face.top, face.bottom(self._clock(agent))

    def line_text(self, y: int) -> str:
        """Line `y` of the whole grid as text, across its columns (for tests)."""
        return "".join(self.column_line(each, y).text for each in self._columns)

    # ------------------------------------------------------------------ layout

    def _scoped(self, snapshot: FloorSnapshot) -> list[tuple[QueueView, bool]]:
        """The queues to show, each with whether the server knows it (`--queues` typos)."""
        if self.scope is None:
            return [(queue, True) for queue in snapshot.queues]
        by_name = {queue.name: queue for queue in snapshot.queues}
        return [
            (by_name[name], True) if name in by_name else (QueueView(name=name), False)
            for name in self.scope
        ]

    def _arrange(self) -> None:
        """Take the snapshot in: only the changed pieces of visible tiles are refreshed,
        unless the layout itself moved (an agent came or went, a resize, a filter)."""
        snapshot = self.snapshot
        if (snapshot is None and not self.waiting) or not self.size.width:
            return  # not laid out yet (the first Resize arranges it), or nothing to show
        width = max(1, self.scrollable_content_region.width)
        columns = max(1, (width + GAP) // (MIN_TILE + GAP))
        tile = max(MIN_TILE, min(MAX_TILE, (width + GAP) // columns - GAP))
        if width < MIN_TILE:
            tile = width
        text, state = self.filter_text, self.filter_state
        filtered = bool(text) or state is not None
        fresh: list[_Section] = []
        for queue, known in () if self.waiting or snapshot is None else self._scoped(snapshot):
            agents: Sequence[AgentView] = queue.agents
            if filtered:
                agents = [a for a in agents if matches(a, text, state)]
            note = ""
            if not known:
                note = "no such queue on the server"
            elif not queue.agents:
                note = "no agents checked in"
            elif not agents:
                note = "no agent matches the filter"
            fresh.append(_Section(queue, agents, 0, note))
        sections = tuple((s.queue.name, s.note, len(s.agents)) for s in fresh)
        shape = (width, columns, tile, self.waiting, sections)
        changed = self._changed_agents(fresh) if shape == self._shape else None
        if changed is None:
            self._relayout(fresh, shape, width, columns, tile)
            return
        for section, old in zip(fresh, self._sections, strict=True):
            section.top = old.top
        self._sections = fresh
        self._refresh_changes(changed, width)

    def _changed_agents(self, fresh: list[_Section]) -> list[tuple[int, AgentView]] | None:
        """(section, agent) for each agent that changed since the last snapshot, or None if
        the layout moved.

        The live model hands over the same AgentView object for an agent that did not
        change, so this is an identity check per agent: cheap for thousands of them.
        """
        changed: list[tuple[int, AgentView]] = []
        for number, (section, old) in enumerate(zip(fresh, self._sections, strict=True)):
            agents, before = section.agents, old.agents
            if agents is before:
                continue
            # The places whose view is another object, found side by side in C (the same
            # number of agents: the shape says so).
            for at in compress(range(len(agents)), map(is_not, agents, before)):
                now, was = agents[at], before[at]
                if was.extnumber != now.extnumber or was.queue != now.queue:
                    return None
                changed.append((number, now))
        return changed

    def _relayout(
        self,
        sections: list[_Section],
        shape: tuple[object, ...],
        width: int,
        columns: int,
        tile: int,
    ) -> None:
        lines: list[tuple[int, int, int]] = []
        where: dict[AgentKey, tuple[int, int]] = {}
        if self.waiting:  # the whole of it: the grid has the room the banner has not
            said = textwrap.wrap(self.waiting, max(10, width - 2)) or [""]
            self._message = said
            lines.extend((-1, _MESSAGE, sub) for sub in range(len(said)))
        for number, section in enumerate(sections):
            if number:
                lines.append((number - 1, _BLANK, 0))
            section.top = len(lines)
            lines.append((number, _HEADING, 0))
            if section.note:
                lines.append((number, _NOTE, 0))
            for index, agent in enumerate(section.agents):
                where[agent_key(agent.queue, agent.extnumber)] = (number, index)
            rows = -(-len(section.agents) // columns)
            lines.extend((number, row, sub) for row in range(rows) for sub in range(TILE_LINES))
        self._sections, self._lines, self._where = sections, lines, where
        self._order = list(where)
        self._tile, self._shape = tile, shape
        self._headings = [None] * len(sections)
        self._drawn_clocks.clear()
        if len(self._faces) > len(where):  # agents who left: their faces are never drawn again
            self._faces = {key: face for key, face in self._faces.items() if key in where}
        self._fix_cursor()
        if len(self._columns) != columns:
            for tile_column in self._columns:
                tile_column.remove()
            self._columns = [TileColumn(self, index) for index in range(columns)]
            self.mount_all(self._columns)
        for tile_column in self._columns:
            tile_column.refresh(layout=True)

    def _heading_strip(self, section: _Section, width: int) -> Strip:
        text = queue_heading(section.queue, len(section.agents), width)
        return Strip([Segment(text)], cell_len(text))

    def _column_span(self, index: int) -> tuple[int, int]:
        """The cells of the grid's width that column `index` draws."""
        start = index * (self._tile + GAP)
        last = index == len(self._columns) - 1
        end = self.scrollable_content_region.width if last else start + self._tile + GAP
        return start, max(start, end)

    def _refresh_changes(self, changed: list[tuple[int, AgentView]], width: int) -> None:
        """Refresh the changed pieces of visible tiles: an agent who went from idle to
        talking redraws the second line of its tile, a time that moved five cells."""
        top = round(self.scroll_offset.y)
        bottom = top + self.scrollable_content_region.height
        columns = self._columns
        for index in sorted({number for number, _agent in changed}):
            section = self._sections[index]
            old = self._headings[index]
            if old is None or not top <= section.top < bottom:
                self._headings[index] = None  # off screen: made when it is drawn
                continue
            heading = self._heading_strip(section, width)
            text, was = heading.text, old.text
            if text != was:
                self._headings[index] = heading
                # One cell a character (most names): each column's cells are a slice.
                narrow = len(text) == heading.cell_length and len(was) == old.cell_length
                for tile_column in columns:
                    start, end = self._column_span(tile_column.index)
                    if (
                        text[start:end] != was[start:end]
                        if narrow
                        else heading.crop(start, end).text != old.crop(start, end).text
                    ):
                        tile_column.refresh(Region(0, section.top, end - start, 1))
        dirty: dict[int, list[Region]] = {}
        redrawn: set[AgentKey] = set()
        for _number, agent in changed:
            key = agent_key(agent.queue, agent.extnumber)
            column, y = self._tile_place(key)
            cached = self._faces.get(key)
            if y + TILE_LINES <= top or y >= bottom or cached is None:
                self._faces.pop(key, None)  # drawn afresh when it scrolls into view
                self._drawn_clocks.pop(key, None)
                continue
            old_face = cached[1] if cached[1].width == self._tile else None
            new = self._face(key, agent)
            spans = _changed_spans(old_face, new, self._drawn_clocks.get(key), self._clock(agent))
            for line, (start, end) in enumerate(spans):
                if end > start:
                    dirty.setdefault(column, []).append(Region(start, y + line, end - start, 1))
            redrawn.add(key)
        for index, regions in dirty.items():
            columns[index].refresh(*regions)
        self._refresh_clocks(top, bottom, redrawn)

    def _refresh_clocks(self, top: int, bottom: int, redrawn: set[AgentKey]) -> None:
        """Time in state moves on the wall's tick: refresh the time cells of the visible
        tiles not `redrawn` whose time may read differently now (and does)."""
        moment = self._moment()
        drawn_clocks = self._drawn_clocks
        dirty: dict[int, list[Region]] = {}
        for agent in self._visible_agents(top, bottom):
            key = agent_key(agent.queue, agent.extnumber)
            drawn = drawn_clocks.get(key)
            if key in redrawn or (drawn is not None and moment < drawn.until):
                continue
            if drawn != self._clock(agent):
                column, y = self._tile_place(key)
                # The clock's colour paints the space after the time too.
                dirty.setdefault(column, []).append(Region(0, y + 1, BADGE_X, 1))
        columns = self._columns
        for index, regions in dirty.items():
            columns[index].refresh(*regions)

    def _visible_agents(self, top: int, bottom: int) -> Iterable[AgentView]:
        seen: set[tuple[int, int]] = set()
        per_row = self.columns
        for y in range(max(0, top), min(bottom, len(self._lines))):
            section, row, _sub = self._lines[y]
            if row < 0 or (section, row) in seen:
                continue
            seen.add((section, row))
            agents = self._sections[section].agents
            yield from agents[row * per_row : (row + 1) * per_row]

    def _tile_place(self, key: AgentKey) -> tuple[int, int]:
        """(column, first line) of a tile."""
        section, index = self._where[key]
        row, column = divmod(index, self.columns)
        return column, self._sections[section].top + 1 + row * TILE_LINES

    def _face(self, key: AgentKey, agent: AgentView) -> TileFace:
        """The tile's face, made when the agent changed or is first drawn (lazily: a tile
        that is never scrolled into view never costs a face)."""
        cached = self._faces.get(key)
        if cached is not None and cached[0] is agent and cached[1].width == self._tile:
            return cached[1]
        face = tile_face(agent, self._tile)
        self._faces[key] = (agent, face)
        return face

    def _clock(self, agent: AgentView) -> TileClock:
        moment = self._moment() if self.snapshot is not None else agent.since
        return tile_clock(agent, moment, self.thresholds)

    # ------------------------------------------------------------------ drawing

    def column_line(self, tile_column: TileColumn, y: int) -> Strip:
        """Line `y` of one column: its slice of a heading, or its tile's line."""
        styles = tile_column.style_cache.table()
        start, end = self._column_span(tile_column.index)
        width = end - start
        if y >= len(self._lines):
            return Strip.blank(width, styles[BASE])
        section, row, sub = self._lines[y]
        if row == _BLANK:
            return Strip.blank(width, styles[BASE])
        if row == _HEADING:
            heading_strip = self._headings[section]
            if heading_strip is None:
                full = self.scrollable_content_region.width
                heading_strip = self._heading_strip(self._sections[section], full)
                self._headings[section] = heading_strip
            heading = heading_strip.crop(start, end)
            return Strip(
                [Segment(heading.text, styles["agent-grid--heading"])], heading.cell_length
            ).adjust_cell_length(width, styles["agent-grid--heading"])
        if row in (_NOTE, _MESSAGE):
            said = self._message[sub] if row == _MESSAGE else self._sections[section].note
            note = fit("  " + said, self.scrollable_content_region.width)
            text = Strip([Segment(note)], cell_len(note)).crop(start, end).text
            return Strip([Segment(text, styles["agent-grid--note"])]).adjust_cell_length(
                width, styles["agent-grid--note"]
            )
        index = row * self.columns + tile_column.index
        agents = self._sections[section].agents
        if index >= len(agents):
            return Strip.blank(width, styles[BASE])
        return self._tile_line(agents[index], sub, width, styles)

    def _tile_line(self, agent: AgentView, sub: int, width: int, styles: dict[str, Style]) -> Strip:
        key = agent_key(agent.queue, agent.extnumber)
        face = self._face(key, agent)
        if sub == 0:
            cursor = key == self._cursor
            tile = styles["agent-grid--cursor" if cursor else "agent-grid--tile"]
            ext = styles["agent-grid--cursor-ext" if cursor else "agent-grid--ext"]
            segments = [
                Segment(face.ext, ext),
                Segment(face.name, tile),
                Segment(face.counts, tile if cursor else styles["agent-grid--counts"]),
            ]
        else:
            clock = self._clock(agent)
            self._drawn_clocks[key] = clock
            segments = [  # few segments: each one costs a colour change on the wire
                Segment(clock.time + " ", styles[_RAMP_STYLE[clock.ramp]]),
                Segment(badge(face.state), styles[_STATE_STYLE[face.state]]),
                Segment(" " + face.number, styles["agent-grid--number"]),
            ]
        if width > face.width:
            segments.append(Segment(" " * (width - face.width), styles[BASE]))
        return Strip(segments, max(width, face.width)).crop(0, width)

    # ------------------------------------------------------------------ cursor

    def _fix_cursor(self) -> None:
        if self._cursor in self._where:
            return
        self._cursor = self._order[0] if self._order else None

    def _move_cursor(self, key: AgentKey) -> None:
        old = self._cursor
        self._cursor = key
        for each in (old, key):
            if each is not None and each in self._where:
                self._refresh_tile(each)
        column, y = self._tile_place(key)
        _section, index = self._where[key]
        above = 1 if index < self.columns else 0  # keep the queue's heading in view
        x = column * (self._tile + GAP)
        self.scroll_to_region(
            Region(x, y - above, self._tile, TILE_LINES + above), animate=False, immediate=True
        )

    def _refresh_tile(self, key: AgentKey) -> None:
        column, y = self._tile_place(key)
        if column < len(self._columns):
            self._columns[column].refresh(Region(0, y, self._tile, TILE_LINES))

    def action_move(self, dx: int, dy: int) -> None:
        if self._cursor is None or self._cursor not in self._where:
            self._fix_cursor()
            if self._cursor is not None:
                self._move_cursor(self._cursor)
            return
        per_row = self.columns
        section, index = self._where[self._cursor]
        agents = self._sections[section].agents
        column = index % per_row
        target: tuple[int, int] | None = None
        if dx:
            step = index + dx
            at_edge = (dx < 0 and column == 0) or (
                dx > 0 and (column == per_row - 1 or step >= len(agents))
            )
            if at_edge:
                self.post_message(Edge(self, "left" if dx < 0 else "right"))
                return
            target = (section, step)
        else:
            step = index + dy * per_row
            if 0 <= step < len(agents):
                target = (section, step)
            elif dy > 0 and index // per_row < (len(agents) - 1) // per_row:
                target = (section, len(agents) - 1)  # a shorter last row
            else:
                target = self._next_section(section, column, dy)
            if target is None:
                self.post_message(Edge(self, "up" if dy < 0 else "down"))
                return
        number, position = target
        chosen = self._sections[number].agents[position]
        self._move_cursor(agent_key(chosen.queue, chosen.extnumber))

    def _next_section(self, section: int, column: int, dy: int) -> tuple[int, int] | None:
        per_row = self.columns
        number = section + dy
        while 0 <= number < len(self._sections):
            agents = self._sections[number].agents
            if agents:
                if dy > 0:
                    return number, min(column, len(agents) - 1)
                last_row = (len(agents) - 1) // per_row
                return number, min(last_row * per_row + column, len(agents) - 1)
            number += dy
        return None

    def action_first(self) -> None:
        if self._order:
            self._move_cursor(self._order[0])

    def action_last(self) -> None:
        if self._order:
            self._move_cursor(self._order[-1])

    def action_page(self, direction: int) -> None:
        rows = max(1, self.scrollable_content_region.height // TILE_LINES - 1)
        for _ in range(rows):
            before = self._cursor
            self.action_move(0, direction)
            if self._cursor == before:
                break

    def click(self, column: int, y: int) -> None:
        """A click on line `y` of column `column` selects the tile there."""
        if not 0 <= y < len(self._lines):
            return
        section, row, _sub = self._lines[y]
        if row < 0:
            return
        agents = self._sections[section].agents
        index = row * self.columns + column
        if index < len(agents):
            self._move_cursor(agent_key(agents[index].queue, agents[index].extnumber))
            self.focus()

    def on_resize(self, _event: events.Resize) -> None:
        self._arrange()

    def on_mount(self) -> None:
        self._arrange()

    def _restyle_cursor(self) -> None:
        """The cursor is drawn brighter while the grid has focus (`:focus` in the TCSS)."""
        for tile_column in self._columns:
            tile_column.style_cache.clear()
        if self._cursor is not None and self._cursor in self._where:
            self._refresh_tile(self._cursor)


def _changed_spans(
    old: TileFace | None, new: TileFace, drawn: TileClock | None, clock: TileClock
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The cells of each tile line that differ between two faces, as (start, end) spans."""
    width = new.width
    if old is None or old.width != width:
        return (0, width), (0, width)
    top: list[tuple[int, int]] = []
    ext = cell_len(new.ext)
    name = ext + cell_len(new.name)
    if old.ext != new.ext:
        top.append((0, ext))
    if old.name != new.name or old.ext != new.ext:
        top.append((ext, name))
    if old.counts != new.counts:
        top.append((width - cell_len(new.counts), width))
    bottom: list[tuple[int, int]] = []
    if drawn != clock:
        bottom.append((0, BADGE_X))  # the time and the space its colour paints
    if old.state is not new.state:
        bottom.append((BADGE_X, NUMBER_X))
    if old.number != new.number:
        bottom.append((NUMBER_X, width))
    return _span(top), _span(bottom)


def _span(pieces: list[tuple[int, int]]) -> tuple[int, int]:
    if not pieces:
        return (0, 0)
    return min(a for a, _ in pieces), max(b for _, b in pieces)


__all__ = ["AgentGrid", "TileColumn"]
