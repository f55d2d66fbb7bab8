"""The wall screen: a floor read from across the room, with nobody at the keyboard.

A wall shows what a supervisor checks at a glance from five metres: how many agents are
idle, talking and paused, and the abandon rate of the floor and of every running campaign,
in Textual's big `Digits`; a campaign past the 3% cap flashes. Under the figures the agent
grid takes every row that is left. When the queues do not fit, they turn over a page at a
time on a timer (a queue too big for the screen alone turns over in parts). The clock, the
data's age and STALE are figures too: a wall that stopped updating must say so as loudly as
a campaign over the cap.

The screen has no keys of its own and no key bar: a wall is read-only whatever the settings
say, and the app lets only quit and acknowledge through.
It is handed snapshots (`show`); it never polls. It is handed the alerts line too
(`show_alert`): an alert takes the top line, amber or red, a red one flashing with the
abandon rates, until someone acknowledges it; only a stale floor says more loudly.

The figures are blocks of four rows (a label line, then three rows of `Digits`) laid out in
rows of "units" about 37 cells wide: the floor takes two units, the clock one, each campaign
two (all four figures) or one (its abandon rate alone). When the blocks would take more than
two fifths of the height, campaigns shrink to one unit, then to a line each (`plan_figures`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar, Literal

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Digits, Static

from wallboard.live.history.words import windows_text
from wallboard.live.snapshot import (
    AgentState,
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
    QueueView,
)
from wallboard.ui.agent_grid import GAP, TILE_LINES, AgentGrid
from wallboard.ui.faces import LOOKS, MIN_TILE, clean, people_counts, people_in, state_counts
from wallboard.ui.fading import fade
from wallboard.ui.floor_header import COUNTING, FRESH, NO_DATA, abandon_level, age_text
from wallboard.ui.narrow_compositor import NarrowScreen
from wallboard.ui.thresholds import Thresholds

#: Seconds a page of queues stays up (the `[wall] page_seconds` setting).
PAGE_SECONDS = 15.0
#: What fades while the data is stale (`WallScreen._fade`).
FADED = ".figure-block.-floor, .figure-block.-campaign, CampaignLine, TileColumn"
#: Half a flash: a red abandon rate swaps its colours this often.
FLASH_SECONDS = 0.5
#: Rows of a block of big figures: a label line and the three rows of `Digits`.
BLOCK_ROWS = 4
#: The line at the top: mode, the page of queues, and why the data is stale.
TOP_ROWS = 1
#: Cells of one unit of the figure rows (a campaign's abandon rate; the clock). Two units
#: hold a block of all four figures at their narrowest (wall.tcss: 5 x 14 cells, padding and
#: border), so that no block is ever squeezed past its figures.
UNIT = 37
#: Cells of one campaign when campaigns are a line each.
LINE_CELLS = 40
#: The figures take at most this share of the rows; the grid has the rest.
FIGURE_SHARE = 0.4
#: What a figure with nothing to count reads (a rate over no answered call), not 0.
NO_FIGURE = "no data"

CampaignMode = Literal["full", "rate", "line"]
BlockKind = Literal["floor", "clock", "campaign"]
Block = tuple[BlockKind, int, int]  # (kind, campaign number or -1, units wide)


# ---------------------------------------------------------------------- layout, pure


@dataclass(frozen=True, slots=True)
class FigurePlan:
    """Where the figures go at one screen size (see the module's docstring)."""

    units: int  # units across the screen
    clock: bool  # the clock has a block of its own (else it is on the top line)
    mode: CampaignMode  # how each campaign shows
    rows: tuple[tuple[Block, ...], ...]  # rows of (kind, campaign number, span)
    line_columns: int  # campaigns per line in "line" mode
    line_rows: int

    @property
    def height(self) -> int:
        """Rows the figures take: blocks, then campaign lines."""
        return BLOCK_ROWS * len(self.rows) + self.line_rows


def _pack(blocks: Sequence[Block], units: int) -> list[list[Block]]:
    """Blocks in rows of `units`, in order; a block that does not fit starts a new row."""
    rows: list[list[Block]] = []
    used = units
    for block in blocks:
        span = min(block[2], units)
        if used + span > units:
            rows.append([])
            used = 0
        rows[-1].append((block[0], block[1], span))
        used += span
    return rows


def plan_figures(width: int, height: int, campaigns: int) -> FigurePlan:
    """The figures' layout for a screen of `width` x `height` with `campaigns` running."""
    units = max(2, width // UNIT)
    clock = units >= 3
    budget = max(BLOCK_ROWS, int((height - TOP_ROWS) * FIGURE_SHARE))
    head: list[Block] = [("floor", -1, 2)]
    if clock:
        head.append(("clock", -1, 1))
    modes: tuple[tuple[CampaignMode, int], ...] = (("full", 2), ("rate", 1))
    for mode, span in modes:
        rows = _pack([*head, *(("campaign", n, span) for n in range(campaigns))], units)
        if BLOCK_ROWS * len(rows) <= budget:
            return FigurePlan(units, clock, mode, tuple(tuple(row) for row in rows), 0, 0)
    columns = max(1, width // LINE_CELLS)
    head_rows = tuple(tuple(row) for row in _pack(head, units))
    return FigurePlan(units, clock, "line", head_rows, columns, -(-campaigns // columns))


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of the grid: the queues it shows, whole or a part of one (a queue split
    over pages shows as "sales (1/2)", with that part's agents and counts)."""

    queues: tuple[QueueView, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(queue.name for queue in self.queues)


def grid_columns(width: int) -> int:
    """Tiles per row on a grid `width` cells wide, as `AgentGrid` lays them out (the wall's
    grid has no scrollbar: its width is the screen's). The tests hold the two together."""
    return max(1, (width + GAP) // (MIN_TILE + GAP))


def queue_lines(queue: QueueView, columns: int) -> int:
    """Lines a queue takes on the grid: its heading, then a note or its rows of tiles."""
    if not queue.agents:
        return 2
    return 1 + TILE_LINES * -(-len(queue.agents) // columns)


def grid_height(queues: Sequence[QueueView], columns: int) -> int:
    """Lines the grid takes for `queues`: each queue's, and a blank line between queues."""
    return sum(queue_lines(queue, columns) for queue in queues) + max(0, len(queues) - 1)


def queue_pages(queues: Sequence[QueueView], columns: int, height: int) -> list[QueuePage]:
    """Pages that show every queue on a grid of `height` lines, each page as full as it
    can be: queues in order, and the queue that does not fit the rest of a page split at a
    row of tiles, its first part on this page and the rest on the next ones."""
    height = max(1 + TILE_LINES, height)
    if grid_height(queues, columns) <= height:
        return [QueuePage(tuple(queues))]
    pages: list[list[tuple[QueueView, int, int]]] = [[]]  # (queue, first agent, end)
    used = 0
    for queue in queues:
        agents = len(queue.agents)
        gap = 1 if pages[-1] else 0
        if used + gap + queue_lines(queue, columns) <= height:
            pages[-1].append((queue, 0, agents))
            used += gap + queue_lines(queue, columns)
            continue
        start = 0
        while not agents or start < agents:
            gap = 1 if pages[-1] else 0
            rows = (height - used - gap - 1) // TILE_LINES  # the rows left under a heading
            if not agents:
                rows = 1 if height - used - gap >= 2 else 0
            if rows < 1:
                pages.append([])
                used = 0
                continue
            end = min(agents, start + rows * columns)
            pages[-1].append((queue, start, end))
            used += gap + (2 if not agents else 1 + TILE_LINES * -(-(end - start) // columns))
            if not agents:
                break
            start = end
            if start < agents:
                pages.append([])
                used = 0
    parts: dict[str, int] = {}
    for page in pages:
        for queue, _start, _end in page:
            parts[queue.name] = parts.get(queue.name, 0) + 1
    seen: dict[str, int] = {}
    out: list[QueuePage] = []
    for page in pages:
        views: list[QueueView] = []
        for queue, start, end in page:
            count = parts[queue.name]
            if count == 1:
                views.append(queue)
                continue
            seen[queue.name] = part = seen.get(queue.name, 0) + 1
            name = f"{queue.name} ({part}/{count})"
            views.append(replace(queue, name=name, agents=queue.agents[start:end]))
        if views:
            out.append(QueuePage(tuple(views)))
    return out or [QueuePage(())]


# ---------------------------------------------------------------------- figures, pure


def rate_figure(rate: float, answered: int) -> str | None:
    """An abandon rate for `Digits` ("4.1"), or None when nothing was answered."""
    return f"{rate * 100:.1f}" if answered > 0 else None


def clock_figure(at: float, tz: dt.tzinfo | None) -> str:
    """The wall clock, hours and minutes, in the server's time zone (None: this machine's)."""
    return dt.datetime.fromtimestamp(at, tz).strftime("%H:%M")


def age_figure(seconds: float) -> str:
    """How old stale data is, for `Digits`: "m:ss" under an hour, then "h:mm"."""
    whole = max(0, int(seconds))
    if whole < 3600:
        return f"{whole // 60}:{whole % 60:02d}"
    hours, minutes = divmod(whole // 60, 60)
    return f"{min(hours, 99)}:{minutes:02d}"


@dataclass(frozen=True, slots=True)
class BlockFigures:
    """What one block of big figures reads (the floor's or a campaign's); None: no data."""

    title: str
    detail: str
    idle: int | None
    talking: int | None
    paused: int | None
    rate: str | None
    level: str  # "", "-amber" or "-red" (`floor_header.abandon_level`)

    @property
    def people(self) -> str:
        """The three counts on one line, with the tiles' glyphs and words."""
        return self._people(" idle", " talk", " paused", sep="  ")

    @property
    def glyphs(self) -> str:
        """The three counts in the fewest cells, with the tiles' glyphs alone ("○ 3  ● 5  ‖ 1")."""
        return self._people("", "", "", sep="  ")

    def _people(self, *words: str, sep: str) -> str:
        counts = (self.idle, self.talking, self.paused)
        if any(count is None for count in counts):
            return f"agents: {NO_FIGURE}"
        glyphs = (LOOKS[state][0] for state in _PEOPLE_STATES)
        return sep.join(f"{g} {n}{w}" for g, n, w in zip(glyphs, counts, words, strict=True))


_PEOPLE_STATES = (AgentState.IDLE, AgentState.TALKING, AgentState.PAUSED)


def floor_figures(snapshot: FloorSnapshot, has_data: bool) -> BlockFigures:
    """The floor's block: people by state (each agent once) and today's abandon rate."""
    if not has_data:
        return BlockFigures("FLOOR", NO_DATA, None, None, None, None, "")
    totals = snapshot.totals
    agents = sum(people_counts(totals).values())  # people, each once, as the header counts
    answered = totals.answered_today if snapshot.bills_read else 0
    level = abandon_level(totals.abandon_rate) if answered > 0 else ""
    # Today's finished calls; under --queues they are every queue's (a bill names no queue).
    where = " (all queues)" if totals.scoped else ""
    detail = f"answered {answered}{where}\ndropped {totals.dropped_today}"
    if not snapshot.bills_read:
        detail = f"finished today{where}:\n{COUNTING}"
    return BlockFigures(
        f"FLOOR\n{agents} agent{'' if agents == 1 else 's'}",
        detail,
        people_in(totals, AgentState.IDLE),
        people_in(totals, AgentState.TALKING),
        people_in(totals, AgentState.PAUSED),
        rate_figure(totals.abandon_rate, answered),
        level,
    )


def campaign_figures(view: CampaignView, snapshot: FloorSnapshot) -> BlockFigures:
    """A running campaign's block: the agents of the queue it dials for (no data when it
    dials for an extension or a queue not on screen) and its abandon rate."""
    queue = next((q for q in snapshot.queues if q.name.strip() == view.assigned_to.strip()), None)
    counts = state_counts(queue.agents) if queue is not None and view.assigned_to else None
    # The abandon rate is over finished calls: a call in progress has not dropped yet.
    finished = view.finished_answered
    level = abandon_level(view.abandon_rate) if finished > 0 else ""
    budget = view.drop_budget if finished > 0 else "–"  # no data, not 0
    detail = f"{view.progress * 100:.0f}% dialled\ndrop budget {budget}"
    windows = windows_text(view, short=True)  # the rules' windows, with a history store
    if windows is not None:
        detail += f"\n{windows}"
    return BlockFigures(
        clean(view.name) or clean(view.taskid),
        detail,
        counts[AgentState.IDLE] if counts else None,
        counts[AgentState.TALKING] if counts else None,
        counts[AgentState.PAUSED] if counts else None,
        rate_figure(view.abandon_rate, finished),
        level,
    )


def running(snapshot: FloorSnapshot) -> list[CampaignView]:
    return [view for view in snapshot.campaigns if view.status is CampaignStatus.RUNNING]


# ---------------------------------------------------------------------- widgets

_LEVELS = ("-amber", "-red")


def _set_level(widget: Widget, level: str) -> None:
    for each in _LEVELS:
        widget.set_class(level == each, each)
    if level != "-red":
        widget.remove_class("-flash")


class Words(Static):
    """Plain text (never markup: names come from the server) that is redrawn only when it
    reads differently: a wall gets a snapshot a second, and most of it says the same."""

    def __init__(self, text: str = "", *, classes: str = "", id: str | None = None) -> None:
        super().__init__(text, classes=classes, id=id, markup=False)
        self.text = text

    def say(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.update(text)


class BigFigure(Vertical):
    """A label over a figure in `Digits`, or over "no data" when there is nothing to count."""

    def __init__(self, label: str, *, classes: str = "") -> None:
        super().__init__(classes=classes)
        self.label = Words(label, classes="figure-label")
        self.digits = Digits("", classes="figure-digits")
        self.missing = Words(NO_FIGURE, classes="figure-missing")
        self.value: str | None = None

    def compose(self) -> ComposeResult:
        yield self.label
        yield self.digits
        yield self.missing

    def show(self, value: str | None, level: str = "") -> None:
        self.value = value
        self.set_class(value is None, "-missing")
        if value is not None and value != self.digits.value:
            self.digits.update(value)
        _set_level(self, level)

    @property
    def text(self) -> str:
        """What the figure reads, in words (for tests)."""
        return NO_FIGURE if self.value is None else self.value


class NameCell(Vertical):
    """A block's name, wrapping, over a detail line or two that give way to a long name."""

    def __init__(self) -> None:
        super().__init__(classes="name-cell")
        self.title = Words(classes="block-title")
        self.detail = Words(classes="block-detail")

    def compose(self) -> ComposeResult:
        yield self.title
        yield self.detail

    def show(self, title: str, detail: str) -> None:
        self.title.say(title)
        self.detail.say(detail)
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """A long name keeps every word: the detail line gives way to it."""
        width = self.content_region.width
        if not width:
            return
        room = Size(width, BLOCK_ROWS)
        needed = self.title.get_content_height(room, room, width)
        details = self.detail.text.count("\n") + 1
        self.detail.display = needed + details <= BLOCK_ROWS


class FigureBlock(Horizontal):
    """The floor's or a campaign's big figures: idle, talking, paused, abandon %. In "rate"
    mode (class `-rate`) only the abandon rate is big, the counts a line under the name."""

    def __init__(self, kind: BlockKind, index: int, *, span: int, mode: CampaignMode) -> None:
        rate_only = kind == "campaign" and mode == "rate"
        classes = f"figure-block -{kind}" + (" -rate" if rate_only else "")
        super().__init__(classes=classes)
        self.kind = kind
        self.index = index
        self.styles.width = f"{span}fr"
        self.name_cell = NameCell()
        self.idle = BigFigure("idle", classes="-people -idle")
        self.talking = BigFigure("talking", classes="-people -talking")
        self.paused = BigFigure("paused", classes="-people -paused")
        self.abandon = BigFigure("abandon %", classes="-abandon")

    def compose(self) -> ComposeResult:
        yield self.name_cell
        yield self.idle
        yield self.talking
        yield self.paused
        yield self.abandon

    def show(self, figures: BlockFigures) -> None:
        rate_only = self.has_class("-rate")
        detail = figures.glyphs if rate_only else figures.detail
        self.name_cell.show(figures.title, detail)
        self.idle.show(None if figures.idle is None else str(figures.idle))
        self.talking.show(None if figures.talking is None else str(figures.talking))
        self.paused.show(None if figures.paused is None else str(figures.paused))
        self.abandon.show(figures.rate, figures.level)


class ClockBlock(BigFigure):
    """The clock (server time) and the data's age; when stale, the age itself, big and red."""

    def __init__(self, *, span: int = 1) -> None:
        super().__init__("", classes="figure-block -clock")
        self.styles.width = f"{span}fr"

    def show_time(self, clock: str, age: str, stale_for: float | None) -> None:
        """`stale_for`: seconds since the last good data, when the last poll failed."""
        stale = stale_for is not None
        self.set_class(stale, "-stale")
        if stale_for is not None:
            self.label.say(f"STALE · data {age} old")
            self.show(age_figure(stale_for))
        else:
            self.label.say(f"server time · {age}")
            self.show(clock)


class CampaignLine(Words):
    """A campaign in one line, when the screen has no rows for its big figures."""

    def __init__(self, index: int) -> None:
        super().__init__(classes="campaign-line")
        self.index = index
        self.styles.width = "1fr"
        self.figures: BlockFigures | None = None

    def show_figures(self, figures: BlockFigures) -> None:
        self.figures = figures
        self._say()
        _set_level(self, figures.level)

    def on_resize(self) -> None:
        self._say()

    def _say(self) -> None:
        """The longest of the line's wordings that fits: the counts go first, then words,
        never the name or the rate."""
        figures = self.figures
        if figures is None:
            return
        name = " ".join(figures.title.split())
        rate = NO_FIGURE if figures.rate is None else f"{figures.rate}%"
        room = self.content_region.width or 1_000
        said = f"{rate} {name}"  # the rate first: a name too long for the line is cut
        for wording in (f"{name} · abandon {rate} · {figures.people}", f"{name} · abandon {rate}"):
            if cell_len(wording) <= room:
                said = wording
                break
        self.say(said)


class TopLine(Horizontal):
    """Mode, the page of queues and any trouble on the left; time and age on the right
    when the clock has no block of its own."""

    def __init__(self) -> None:
        super().__init__(id="wall-top")
        self.left = Words(id="wall-status")
        self.right = Words(id="wall-time")

    def compose(self) -> ComposeResult:
        yield self.left
        yield self.right


# ---------------------------------------------------------------------- the screen


class WallScreen(NarrowScreen[None]):
    """The wall: big figures, the grid in every row left, queues turning over by page.

    `clock` gives "now" for the data's age (fixed in tests); `tz` is the server's time zone
    for the clock (None: this machine's). `page_seconds` <= 0 never turns pages by itself
    and `flash_seconds` <= 0 never flashes by itself (`next_page` and `flash` still do).
    """

    CSS_PATH = Path(__file__).with_name("wall.tcss")
    BINDINGS: ClassVar[list[BindingType]] = []  # a wall has no keys
    AUTO_FOCUS = None

    class PageTurned(Message):
        """The grid shows another page of queues."""

        def __init__(self, page: QueuePage) -> None:
            super().__init__()
            self.page = page

    def __init__(
        self,
        *,
        thresholds: Thresholds | None = None,
        queues: Sequence[str] | None = None,
        page_seconds: float = PAGE_SECONDS,
        flash_seconds: float = FLASH_SECONDS,
        clock: Callable[[], float] = time.time,
        tz: dt.tzinfo | None = None,
        id: str | None = "wall",
    ) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.tz = tz
        self.scope = tuple(queues) if queues else None
        self.page_seconds = page_seconds
        self.flash_seconds = flash_seconds
        self.snapshot: FloorSnapshot | None = None
        self.faded = False  # the stale data is faded (`_fade`)
        self.has_data = False
        self.top = TopLine()
        self.figures = Vertical(id="wall-figures")
        self.lines = Vertical(id="wall-lines")
        self.grid = AgentGrid(id="wall-grid", thresholds=thresholds)
        self.grid.can_focus = False  # no cursor to move: nobody is at the keyboard
        self.grid.waiting = f"{NO_DATA}: connecting…"
        self.plan: FigurePlan | None = None
        self.pages: list[QueuePage] = [QueuePage(())]
        self.page = 0
        self.flash_on = False
        self.page_timer: Timer | None = None
        self._blocks: list[FigureBlock] = []
        self._clock_block: ClockBlock | None = None
        self._lines: list[CampaignLine] = []
        self._campaigns: tuple[str, ...] = ()  # the running campaigns the blocks are for
        self.alert_text = ""  # the alerts not acknowledged, in one line ("": none)
        self.alert_red = False

    def compose(self) -> ComposeResult:
        yield self.top
        yield self.figures
        yield self.lines
        yield self.grid

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick, name="wall clock")
        if self.flash_seconds > 0:
            self.set_interval(self.flash_seconds, self.flash, name="wall flash")
        if self.page_seconds > 0:
            self.page_timer = self.set_interval(
                self.page_seconds, self.next_page, name="wall pages"
            )

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out(event.size.width, event.size.height)

    # ------------------------------------------------------------------ public surface

    def show(self, snapshot: FloorSnapshot, *, has_data: bool = True) -> None:
        """Take a new snapshot. `has_data`: a poll has succeeded at least once (else no
        figure is shown at all, only why there is no data)."""
        self.snapshot = snapshot
        self.has_data = has_data
        names = tuple(view.taskid for view in running(snapshot))
        if names != self._campaigns:
            self._campaigns = names
            if self.size.width:
                self._lay_out(self.size.width, self.size.height)
                return
        self._fill()

    def show_alert(self, text: str, *, red: bool = False) -> None:
        """The alerts not acknowledged, in one line ("" when there are none): the top line
        says it, amber, or red and flashing."""
        self.alert_text = text
        self.alert_red = red and bool(text)
        self._tick()

    @property
    def stale(self) -> bool:
        """The data looks stale at this machine's now (`FloorSnapshot.looks_stale`): a
        whole cycle failed, or nothing new came for two refresh periods."""
        return (
            self.snapshot is not None and self.has_data and self.snapshot.looks_stale(self.clock())
        )

    def _fade(self) -> None:
        """Stale data fades (`fading`): the figures, the campaign lines and the tiles; not
        the top line, not the clock's age. Nothing to look for while fresh data stays
        fresh (this runs every second)."""
        stale = self.stale
        if not stale and not self.faded:
            return
        self.faded = stale
        fade(self.query(FADED), stale, self.app)

    def next_page(self) -> None:
        """Turn to the next page of queues (the timer's job; a test may call it)."""
        if len(self.pages) <= 1:
            return
        self.page = (self.page + 1) % len(self.pages)
        self._show_grid()
        self._tick()  # the top line names the page's queues
        self.post_message(self.PageTurned(self.pages[self.page]))

    def flash(self) -> None:
        """Swap the colours of every abandon rate past the cap (the flash timer's job)."""
        self.flash_on = not self.flash_on
        for widget in self.query(".-red"):
            widget.set_class(self.flash_on, "-flash")

    def figure_blocks(self) -> list[FigureBlock]:
        """The blocks of big figures, the floor's first (for tests and scripts)."""
        return list(self._blocks)

    def campaign_lines(self) -> list[CampaignLine]:
        return list(self._lines)

    @property
    def clock_block(self) -> ClockBlock | None:
        return self._clock_block

    # ------------------------------------------------------------------ layout

    def _lay_out(self, width: int, height: int) -> None:
        """Build the figure rows for this size and this set of campaigns, and the pages."""
        plan = plan_figures(width, height, len(self._campaigns))
        self.plan = plan
        self.figures.remove_children()
        self.lines.remove_children()
        self._blocks, self._lines, self._clock_block = [], [], None
        rows: list[Horizontal] = []
        for row in plan.rows:
            widgets: list[Widget] = []
            for kind, index, span in row:
                if kind == "clock":
                    self._clock_block = ClockBlock(span=span)
                    widgets.append(self._clock_block)
                else:
                    block = FigureBlock(kind, index, span=span, mode=plan.mode)
                    self._blocks.append(block)
                    widgets.append(block)
            rows.append(Horizontal(*widgets, classes="figure-row"))
        line_rows: list[Horizontal] = []
        if plan.mode == "line":
            lines = [CampaignLine(n) for n in range(len(self._campaigns))]
            self._lines = lines
            for start in range(0, len(lines), plan.line_columns):
                line_rows.append(
                    Horizontal(*lines[start : start + plan.line_columns], classes="line-row")
                )
        self.figures.styles.height = BLOCK_ROWS * len(plan.rows)
        self.lines.styles.height = plan.line_rows
        self.figures.mount_all(rows)
        self.lines.mount_all(line_rows)
        self.top.set_class(not plan.clock, "-with-time")
        self._fill()

    def _grid_height(self) -> int:
        plan = self.plan
        if plan is None:
            return self.grid.size.height
        return max(0, self.size.height - TOP_ROWS - plan.height)

    def _scoped(self, snapshot: FloorSnapshot) -> list[QueueView]:
        if self.scope is None:
            return list(snapshot.queues)
        by_name = {queue.name: queue for queue in snapshot.queues}
        return [by_name.get(name) or QueueView(name=name) for name in self.scope]

    # ------------------------------------------------------------------ filling

    def _fill(self) -> None:
        snapshot = self.snapshot
        if snapshot is None or self.plan is None:
            return
        has_data = self.has_data
        self._fade()
        if self._blocks:
            self._blocks[0].show(floor_figures(snapshot, has_data))
        views = {view.taskid: view for view in running(snapshot)} if has_data else {}
        for block in self._blocks[1:]:
            view = (
                views.get(self._campaigns[block.index])
                if block.index < len(self._campaigns)
                else None
            )
            if view is not None:
                block.show(campaign_figures(view, snapshot))
        for line in self._lines:
            view = (
                views.get(self._campaigns[line.index])
                if line.index < len(self._campaigns)
                else None
            )
            if view is not None:
                line.show_figures(campaign_figures(view, snapshot))
        if self.flash_on:
            for widget in self.query(".-red"):
                widget.add_class("-flash")
        self._paginate()
        self._tick()

    def _paginate(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        queues = self._scoped(snapshot) if self.has_data else []
        columns = grid_columns(self.size.width)
        pages = queue_pages(queues, columns, self._grid_height())
        self.pages = pages
        self.page = min(self.page, len(pages) - 1)
        self._show_grid()

    def _show_grid(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        waiting = ""
        if not self.has_data:
            why = clean(snapshot.error) if snapshot.stale else ""
            waiting = f"{NO_DATA}: {why or 'connecting…'}"
        shown = self.pages[self.page].queues
        self.grid.now = snapshot.server_now(self.clock())  # time in state: now - start
        self.grid.show(replace(snapshot, queues=shown), waiting=waiting)

    def page_text(self) -> str:
        """Which queues are up, when they do not all fit: "page 2 of 3: sales (2/2), support"."""
        if len(self.pages) <= 1:
            return ""
        names = ", ".join(clean(name) for name in self.pages[self.page].names)
        return f"page {self.page + 1} of {len(self.pages)}: {names}"

    def _tick(self) -> None:
        """The clock, the age and the top line (every second, and with each snapshot)."""
        snapshot = self.snapshot
        now = self.clock()
        # The server's time now (its clock, learnt from its answers), not the data's.
        clock = clock_figure(snapshot.server_now(now) if snapshot else now, self.tz)
        self._fade()
        if snapshot is not None and self.has_data and self.grid.snapshot is not None:
            self.grid.tick(snapshot.server_now(now))  # times in state move on
        if snapshot is None or not self.has_data:
            age = "no data yet"
        elif snapshot.age(now) < FRESH:
            age = "updated just now"
        else:
            age = f"updated {age_text(snapshot.age(now))} ago"
        stale_for = snapshot.age(now) if snapshot is not None and self.stale else None
        if stale_for is not None:
            age = age_text(stale_for)
        if self._clock_block is not None:
            self._clock_block.show_time(clock, age, stale_for)
        left = "WALL · read-only"
        trouble = ""
        if snapshot is not None and not self.has_data:
            trouble = f"⚠ {NO_DATA}: {clean(snapshot.error) or 'connecting…'}"
        elif snapshot is not None and self.stale:
            why = clean(snapshot.error) or (
                "the last poll failed" if snapshot.stale else "no new data from the server"
            )
            trouble = f"⚠ STALE: the last good data, {age_text(snapshot.age(now))} old: {why}"
        elif snapshot is not None and snapshot.error:
            trouble = f"⚠ figures may be behind: {clean(snapshot.error)}"
        pages = self.page_text()
        alert = self.alert_text if not trouble or not self.stale else ""
        said = (left, alert or trouble or pages)
        self.top.left.say(" · ".join(part for part in said if part))
        stale = self.stale
        self.top.set_class(bool(trouble) and stale, "-stale")
        self.top.set_class(bool(trouble) and not alert and not stale and self.has_data, "-behind")
        self.top.set_class(bool(alert), "-alert")
        red = bool(alert) and self.alert_red
        self.top.set_class(red, "-red")
        if not red:
            self.top.remove_class("-flash")
        elif self.flash_on:
            self.top.add_class("-flash")
        if stale_for is not None:
            right = f"{clock} · STALE {age_text(stale_for)}"
        else:
            right = f"{clock} · {age}"
        self.top.right.say(right if self._clock_block is None else "")


__all__ = [
    "FLASH_SECONDS",
    "NO_FIGURE",
    "PAGE_SECONDS",
    "BigFigure",
    "BlockFigures",
    "ClockBlock",
    "FigureBlock",
    "FigurePlan",
    "QueuePage",
    "WallScreen",
    "age_figure",
    "campaign_figures",
    "clock_figure",
    "floor_figures",
    "grid_columns",
    "plan_figures",
    "queue_lines",
    "queue_pages",
    "rate_figure",
]
