"""The campaigns pane: each tracked predictive task with its progress and its drop budget.

Its calls in progress stand beside its finished ones, labelled so that nobody reads them as
one figure: "dialled 27 (19 live) · answered 5 (2 talking) · dropped 1 · abandon 4.0% of
finished". Where a line does not fit, its words get shorter, never cut off.

The pane lays each campaign out as a few lines of (text, component class) pieces, compares
them with what is on screen, and refreshes only the cells that differ. A campaign is laid
out when one of its lines is first drawn or compared: of fifty campaigns a few show, and
the others cost only the count of their lines (all split their figures when one must).
The pane lies under the agents, the width of the screen: two lines per campaign (three when
its figures need two), up to five below `WIDE` cells. Each campaign's abandon rate per 15
minutes today (`wallboard.ui.trends`, on the fixed scale where half a bar is the 3% cap)
ends its figures' line: is the rate rising?

Calls in progress move every second on a floor of many campaigns; they are shown every
`LIVE_EVERY` seconds, while anything else (a finished call, a status) shows at once.

Textual writes a changed line of a widget from the widget's left edge up to the last cell
that changed. A campaign's progress ("3% 2291 left") moves with every call dialled and
stands at the right end of its first line: drawn by one widget, each move would send the
whole line again, name and padding too. So the pane draws its lines in two columns
(`CampaignColumn`), cut where the progress figures begin, and a move of the progress
rewrites a few cells; the figures at the left of the next line cost what they did.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from operator import attrgetter
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.geometry import Region, Size
from textual.strip import Strip

from wallboard.live.history.words import window_level, windows_text
from wallboard.live.snapshot import CampaignStatus, CampaignView, FloorSnapshot, Trend
from wallboard.ui.faces import clean, fit, progress_bar, rate_text
from wallboard.ui.floor_header import abandon_level
from wallboard.ui.messages import Direction, Edge
from wallboard.ui.plain_lines import PlainLines
from wallboard.ui.styles import BASE, ComponentStyles
from wallboard.ui.trends import abandon_pieces as trend_pieces

Piece = tuple[str, str]  # (text, component class)
WIDE = 70  # from this width a campaign takes two lines
#: Seconds (the server's) between two updates of the calls in progress alone: with fifty
#: campaigns dialling, some figure of calls in progress changes every second; a pane that
#: followed each would rewrite its lines every second. Anything else shows at once.
LIVE_EVERY = 5.0

_STATUS_CLASS = {
    CampaignStatus.RUNNING: "campaigns--running",
    CampaignStatus.PAUSED: "campaigns--paused",
    CampaignStatus.OVER: "campaigns--over",
    CampaignStatus.NOT_STARTED: "campaigns--waiting",
    CampaignStatus.MISSING: "campaigns--missing",
    CampaignStatus.UNKNOWN: "campaigns--waiting",
}


def _row(left: list[Piece], right: list[Piece], width: int, fill: str) -> list[Piece]:
    """Pieces of one line of exactly `width` cells: `left` cut to fit, `right` kept whole."""
    right_cells = sum(cell_len(text) for text, _ in right)
    room = max(0, width - right_cells)
    line: list[Piece] = []
    used = 0
    for text, style in left:
        if used >= room:
            break
        piece = fit(text, room - used) if used + cell_len(text) > room else text
        line.append((piece, style))
        used += cell_len(piece)
    if used < room:
        line.append((" " * (room - used), fill))
    line.extend(right)
    return line if right_cells <= width else _cut(line, width)  # else exactly `width` cells


def _cut(line: list[Piece], width: int) -> list[Piece]:
    out: list[Piece] = []
    used = 0
    for text, style in line:
        cells = cell_len(text)
        if used + cells > width:
            out.append((fit(text, width - used), style))
            return out
        out.append((text, style))
        used += cells
    return out


#: Levels of shortness of the figures, 0 (full words) to LAST; a line takes the first level
#: that fits its width, and only past the last are words cut.
LAST = 3


def calls_text(view: CampaignView, level: int) -> str:
    """Its calls, live beside finished, labelled so that nobody reads them as one figure:
    "dialled 27 (19 live) · answered 5 (2 talking)". dialled counts its numbers called,
    finished or in progress; answered, finished calls answered plus those talking now."""
    live = f"{view.live} live"
    talking = "talking" if level == 0 else "talk"
    answered = "ans" if level >= 2 else "answered"
    dialled = "dial" if level >= LAST else "dialled"
    answered_now = f"{answered} {view.answered} ({view.talking} {talking})"
    return f"{dialled} {view.dialled} ({live}) · {answered_now}"


def dropped_text(view: CampaignView, level: int) -> str:
    """Drops are finished calls only: a drop is known once its call ended."""
    return f"{'drop' if level >= 2 else 'dropped'} {view.dropped}"


def abandon_pieces(view: CampaignView, level: int) -> list[Piece]:
    """The abandon rate, over finished calls and saying so, and the drop budget."""
    finished = view.finished_answered
    rate_level = abandon_level(view.abandon_rate) if finished > 0 else ""
    rate_class = {"": "campaigns--text", "-amber": "campaigns--amber", "-red": "campaigns--red"}[
        rate_level
    ]
    # Nothing answered is no rate at all, not 0.0%.
    rate = rate_text(view.abandon_rate, finished)
    of = "of fin." if level >= LAST else "of finished"
    budget = "drop budget" if level == 0 else "budget"
    pieces: list[Piece] = [
        (f"abandon {rate} {of}", rate_class),
        # No finished call answered: no budget yet either (no data, not 0).
        (f" · {budget} {view.drop_budget if finished > 0 else '–'}", "campaigns--text"),
    ]
    # The rules' windows from the history store (none without one: nothing, not 0%).
    windows = windows_text(view, short=level >= 2)
    if windows is not None:
        pieces.append((f" · {windows}", _WINDOW_CLASS[window_level(view)]))
    return pieces


#: The 30-day figure's colour: amber from 2.5%, red from 2.8% (before the 3% cap).
_WINDOW_CLASS = {"": "campaigns--text", "-amber": "campaigns--amber", "-red": "campaigns--red"}


def _cells_of(pieces: list[Piece]) -> int:
    return sum(cell_len(text) for text, _ in pieces)


#: The trend strip's label and most bars: the last eight hours of quarters at most.
TODAY = " today "
TODAY_PIECE: Piece = (TODAY, "campaigns--dim")
MOST_BARS = 32
#: Bars the strip gives up to keep a campaign's figures on one line: the last four hours.
SHORT_BARS = 16
#: Fewest bars worth showing beside the figures; with less room the strip is left out.
FEWEST_BARS = 8


def trend_strip(view: CampaignView, bars: int) -> list[Piece]:
    """Its abandon rate per 15 minutes (`wallboard.ui.trends`), `bars` quarters up to now,
    after the label "today": is the rate rising? [] when `bars` is too few to read."""
    if bars < FEWEST_BARS:
        return []
    # The model keeps a campaign's Trend object while its day does not change, and the
    # calls in progress lay every campaign out again: the strip of the same trend is kept.
    known = _STRIPS.get((id(view.trend), bars))
    if known is not None and known[0] is view.trend:
        return known[1]
    strip = trend_pieces(view.trend, bars)
    pieces = [TODAY_PIECE, *((text, f"campaigns--trend-{cls}") for text, cls in strip)]
    if len(_STRIPS) >= _STRIPS_KEPT:
        _STRIPS.clear()
    _STRIPS[(id(view.trend), bars)] = (view.trend, pieces)
    return pieces


#: Strips drawn lately, by (trend object, bars); the trend is kept to tell a new object
#: that took a gone one's id. A few per campaign between two quarters of an hour.
_STRIPS: dict[tuple[int, int], tuple[Trend, list[Piece]]] = {}
_STRIPS_KEPT = 512


def strip_bars(width: int) -> int:
    """Bars of the strip on a wide campaign line: a third of the line, 32 at most."""
    return min(MOST_BARS, width // 3)


def one_line_pieces(view: CampaignView, level: int) -> tuple[Piece, list[Piece]]:
    """Its calls and drops, and its abandon rate, for one line at a level of shortness."""
    figures = (f"  {calls_text(view, level)} · {dropped_text(view, level)} ", "campaigns--text")
    return figures, abandon_pieces(view, level)


def figure_lines(view: CampaignView, width: int) -> list[list[Piece]]:
    """Its calls on one line, its drops and abandon rate on the next, each in the first
    words short enough to fit whole (cut only below the narrowest pane)."""
    for level in range(LAST + 1):
        calls = "  " + calls_text(view, level)
        if cell_len(calls) <= width:
            break
    for level in range(LAST + 1):
        drops = [
            ("  " + dropped_text(view, level) + " · ", "campaigns--text"),
            *abandon_pieces(view, level),
        ]
        if _cells_of(drops) <= width:
            break
    return [
        _row([(calls, "campaigns--text")], [], width, "campaigns--text"),
        _row(drops, [], width, "campaigns--text"),
    ]


def campaign_lines(
    view: CampaignView, width: int, selected: bool, *, split: bool = False
) -> list[list[Piece]]:
    """The lines of one campaign, each exactly `width` cells (`width` at least 20).

    Wide (from WIDE cells): its name, status and progress, then its figures on one line
    when they fit (two lines), else on two (`split`, or when they do not fit: three); the
    abandon trend ("today ▂▃▅", a third of the width, 32 quarters at most) ends line two.
    A narrow column: name and status, progress, the figures on two lines, then the trend
    on a line of its own (five).
    Figures that change with every bills read stand at the left of their line and each
    line has few colour changes: Textual rewrites a changed line from the pane's left edge.
    """
    name_class = "campaigns--cursor" if selected else "campaigns--name"
    marker = "▸ " if selected else "  "
    status = (f" {view.status.value.upper()} ", _STATUS_CLASS[view.status])
    name = _name(view)
    progress = _progress_text(view)
    if width >= WIDE:
        first = _row(
            [(marker + name, name_class)], [status, *_wide_progress(view, width)], width, name_class
        )
        if view.total <= 0:
            return [first, unknown_numbers_row(view, width)]
        one_line = None if split else _one_line(view, width)
        if one_line is not None:
            figures, abandon, bars = one_line
            strip = trend_strip(view, bars)
            return [first, _row([figures], [*abandon, *strip], width, "campaigns--text")]
        # The strip gives way to the calls' words: full ones while it keeps four hours,
        # never the shortest ("ans", "dial": for narrow columns).
        for level in (0, 1):
            calls_cells = cell_len("  " + calls_text(view, level)) + 1
            bars = min(strip_bars(width), width - calls_cells - cell_len(TODAY))
            if bars >= SHORT_BARS:
                break
        strip = trend_strip(view, bars)
        room = width - _cells_of(strip)
        calls = figure_lines(view, room)[0]
        drops = figure_lines(view, width)[1]
        return [first, _row(calls, strip, width, "campaigns--text"), drops]
    bar_cells = max(4, width - cell_len(progress) - 2)
    heading = [
        _row([(marker + name, name_class)], [status], width, name_class),
        _row(
            [("  " + progress, "campaigns--text")],
            [(progress_bar(view.progress, bar_cells), "campaigns--bar")],
            width,
            "campaigns--text",
        ),
    ]
    if view.total <= 0:
        return [*heading, unknown_numbers_row(view, width)]
    return [
        *heading,
        *figure_lines(view, width),
        *(
            [_row(strip, [], width, "campaigns--text")]
            if (strip := trend_strip(view, width - cell_len(TODAY)))
            else []
        ),
    ]


def _one_line(view: CampaignView, width: int) -> tuple[Piece, list[Piece], int] | None:
    """A wide campaign's figures on one line, in the longest words that leave the strip two
    hours (a line saved is a row of tiles), and the bars the strip takes of what they leave;
    None when no words leave it that."""
    for level in range(LAST):
        figures, abandon = one_line_pieces(view, level)
        bars = min(strip_bars(width), width - _cells_of([figures, *abandon, TODAY_PIECE]))
        if bars >= FEWEST_BARS:
            return figures, abandon, bars
    return None


def line_count(view: CampaignView, width: int, *, split: bool = False) -> int:
    """How many lines `campaign_lines` gives a campaign at `width`, without laying them out
    (on a wide pane: below WIDE, lay them out and count)."""
    if width < WIDE:
        return len(campaign_lines(view, width, False, split=split))
    if view.total <= 0:
        return 2
    return 3 if split or _one_line(view, width) is None else 2


@dataclass(slots=True)
class _Laid:
    """One campaign as the pane lays it out: its lines, made when first asked for."""

    view: CampaignView
    selected: bool
    split: bool
    count: int  # how many lines
    lines: list[list[Piece]] | None = None


class _Lines:
    """The pane's lines, campaign after campaign, each campaign's laid out when one of its
    lines is first asked for: a floor of fifty campaigns shows a few at a time, and the
    calls in progress change every campaign's figures every LIVE_EVERY seconds."""

    __slots__ = ("_starts", "laid", "width")

    def __init__(self, laid: list[_Laid], width: int) -> None:
        self.laid = laid
        self.width = width
        self._starts = list(accumulate((entry.count for entry in laid), initial=0))

    def __len__(self) -> int:
        return self._starts[-1]

    def place(self, y: int) -> tuple[_Laid, int]:
        """The campaign line `y` belongs to, and where its lines begin."""
        index = bisect_right(self._starts, y) - 1
        return self.laid[index], self._starts[index]

    def __getitem__(self, y: int) -> list[Piece]:
        entry, start = self.place(y)
        lines = entry.lines
        if lines is None:
            lines = entry.lines = campaign_lines(
                entry.view, self.width, entry.selected, split=entry.split
            )
        return lines[y - start]


_NO_LINES = _Lines([], 0)


def _name(view: CampaignView) -> str:
    return clean(view.name) or clean(view.taskid)


def _progress_text(view: CampaignView) -> str:
    # A task tracked without its numbers has no progress to show: say so, never "0% 0 left".
    if view.total > 0:
        return f"{view.progress * 100:3.0f}% {view.remaining} left "
    return "numbers not known "


def _wide_progress(view: CampaignView, width: int) -> list[Piece]:
    """The progress figure and bar that end a wide campaign's first line."""
    progress = _progress_text(view)
    bar_cells = max(4, min(24, width - cell_len(_name(view)) - cell_len(progress) - 16))
    return [
        (" " + progress, "campaigns--text"),
        (progress_bar(view.progress, bar_cells), "campaigns--bar"),
    ]


def progress_column(views: tuple[CampaignView, ...], width: int) -> int:
    """The cell where the first of the campaigns' progress figures begins on their first
    lines (`width` when none moves: no numbers, or a narrow pane whose progress leads its
    line). The pane draws the cells from there on in a widget of their own."""
    if width < WIDE:
        return width
    moving = [view for view in views if view.total > 0]
    return min((width - _cells_of(_wide_progress(view, width)) for view in moving), default=width)


def unknown_numbers_row(view: CampaignView, width: int) -> list[Piece]:
    """In place of the figures of a task tracked without its numbers: its calls are told
    apart by their numbers, so every figure would read 0 where it is not known at all."""
    text = f"  no figures: its numbers are not known (wallboard track {view.taskid} --numbers FILE)"
    return _row([(text, "campaigns--dim")], [], width, "campaigns--text")


#: A campaign's figures but for its calls in progress (`finished_*` instead of the figures
#: that count them): what must show at once when it changes. Read in C, fifty a second.
_settled_figures = attrgetter(
    *(
        name
        for name in CampaignView.__dataclass_fields__
        if name
        not in (
            "dialled",
            "answered",
            "remaining",
            "live",
            "talking",
            "live_first",
            "unbilled_first",
            "unbilled_answered",
        )
    ),
    "finished_dialled",
    "finished_answered",
)


def _same_line(was: _Lines | list[list[Piece]], now: _Lines | list[list[Piece]], y: int) -> bool:
    """Line `y` is the same campaign's same line in both, its lines not laid out again."""
    if not isinstance(was, _Lines) or not isinstance(now, _Lines):
        return was[y] == now[y]
    (entry, start), (other, other_start) = was.place(y), now.place(y)
    return entry is other and start == other_start


def changed_cells(old: list[Piece], new: list[Piece]) -> tuple[int, int]:
    """(first, end): from the first cell that differs (in text or style) between two lines
    to just after the last; (0, 0) when none does."""
    count = len(new)
    if len(old) != count:
        return 0, max(_cells_of(old), _cells_of(new))
    first = 0
    while first < count and old[first] == new[first]:
        first += 1
    if first == count:
        return 0, 0
    end = count
    while end > first + 1 and old[end - 1] == new[end - 1]:
        end -= 1
    start, stop = _cells_of(new[:first]), _cells_of(new[:end])
    if stop != _cells_of(old[:end]):  # what follows moved: all of it is rewritten
        stop = max(_cells_of(old), _cells_of(new))
        moved = True
    else:
        moved = False
    (was, was_style), (now, now_style) = old[first], new[first]
    same = 0
    if was_style == now_style:  # the same words up to where they differ
        same = _same_start(was, now)
        start += cell_len(now[:same])
    if moved:
        return start, stop
    if end - 1 > first:
        same = 0
        (was, was_style), (now, now_style) = old[end - 1], new[end - 1]
    if was_style == now_style and len(was) == len(now):  # and the same words after
        stop -= cell_len(now[len(now) - _same_start(was[same:][::-1], now[same:][::-1]) :])
    return start, stop


def _same_start(one: str, other: str) -> int:
    """How many characters two texts share from their start."""
    same = 0
    for a, b in zip(one, other, strict=False):
        if a != b:
            break
        same += 1
    return same


def _segments(line: list[Piece], styles: dict[str, Style]) -> list[Segment]:
    """A line's pieces as segments, each run of one style a single segment: every segment
    costs its colours again on the wire (a trend strip of 32 bars would send them 32 times)."""
    segments: list[Segment] = []
    run: list[str] = []
    current: Style | None = None
    for text, name in line:
        style = styles[name]
        if run and style != current:
            segments.append(Segment("".join(run), current))
            run = []
        current = style
        run.append(text)
    if run:
        segments.append(Segment("".join(run), current))
    return segments


COMPONENTS: frozenset[str] = frozenset(
    {
        "campaigns--name",
        "campaigns--cursor",
        "campaigns--text",
        "campaigns--dim",
        "campaigns--bar",
        "campaigns--amber",
        "campaigns--red",
        "campaigns--trend-none",
        "campaigns--trend-ok",
        "campaigns--trend-amber",
        "campaigns--trend-red",
        *_STATUS_CLASS.values(),
    }
)
EMPTY = "no campaigns tracked: `wallboard track TASKID` adds one"
#: Before the first good poll: the campaigns are not known to be none.
NO_DATA = "no data yet"


class CampaignColumn(PlainLines):
    """Some columns of the campaigns pane's lines, drawn with the Line API: the cells from
    `start` on, as many as the column is wide. Two of them, side by side, draw the pane (see
    the module's notes: a change rewrites cells from its own column's left edge only). It
    is as tall as the pane's lines, which scroll with the pane."""

    DEFAULT_CSS = """
    CampaignColumn {
        width: 1fr;
        height: auto;
    }
    """

    def __init__(self, pane: CampaignsPane, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.pane = pane
        self.start = 0

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.pane.line_count

    def render_line(self, y: int) -> Strip:
        return self.pane.cells(y, self.start, self.size.width)

    def on_resize(self, _event: events.Resize) -> None:
        # A scrollbar that comes or goes resizes the columns, not the pane.
        self.pane.fit()

    def on_click(self, event: events.Click) -> None:
        # The column scrolls whole with the pane: its own line `y` is the pane's line.
        event.stop()
        self.pane.click_line(event.y)


class CampaignsPane(ScrollableContainer, can_focus=True):
    """Tracked campaigns; up/down (or j/k) choose the one that p, r and e act on."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(COMPONENTS)

    # Its columns side by side (the right one is as wide as the cells it draws).
    DEFAULT_CSS = """
    CampaignsPane {
        layout: horizontal;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "up", show=False),
        Binding("down,j", "move(1)", "down", show=False),
        Binding("left,h", "edge('left')", "left", show=False),
        Binding("right,l", "edge('right')", "right", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.campaigns: tuple[CampaignView, ...] = ()
        self.has_data = False
        self._settled: tuple[tuple[object, ...], ...] = ()  # without the calls in progress
        self._seen: tuple[CampaignView, ...] = ()  # the views of the last snapshot
        self._seen_settled: tuple[tuple[object, ...], ...] = ()
        self._live_at = float("-inf")  # when (taken_at) the calls in progress were shown
        self._cursor: str | None = None  # taskid
        # The lines for the width laid out, or one line that says there is nothing to show.
        self._lines: _Lines | list[list[Piece]] = _NO_LINES
        self._strips: list[Strip | None] = []  # each line drawn whole, made when first asked
        self._width = 0  # the width `_lines` were laid out for
        self._cut = 0  # where the right column begins (`_width`: there is none)
        self.columns = (CampaignColumn(self), CampaignColumn(self, classes="-progress"))
        self.style_cache = ComponentStyles(self, COMPONENTS)
        self.border_title = "Campaigns"

    def compose(self) -> ComposeResult:
        yield from self.columns

    @property
    def selected(self) -> CampaignView | None:
        for view in self.campaigns:
            if view.taskid == self._cursor:
                return view
        return None

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def line_width(self) -> int:
        """The cells of each of its lines (the width they were laid out for)."""
        return self._width

    def show(self, snapshot: FloorSnapshot, *, has_data: bool = True) -> None:
        """Take a snapshot; `has_data` False: no good poll yet, the pane says so.

        A snapshot in which only calls in progress changed is shown when LIVE_EVERY seconds
        have passed since they were last shown (the pane keeps the last views till then)."""
        campaigns = snapshot.campaigns if has_data else ()
        if campaigns is self.campaigns and has_data == self.has_data:
            return
        settled = self._settled_of(campaigns)
        if (
            has_data == self.has_data
            and settled == self._settled
            and snapshot.taken_at - self._live_at < LIVE_EVERY
        ):
            return
        self._settled = settled
        self._live_at = snapshot.taken_at
        self.has_data = has_data
        self.campaigns = campaigns
        if self.selected is None:
            self._cursor = self.campaigns[0].taskid if self.campaigns else None
        self._relayout()

    def _settled_of(self, campaigns: tuple[CampaignView, ...]) -> tuple[tuple[object, ...], ...]:
        """Each campaign's settled figures; those of a view seen last time are kept."""
        seen, known = self._seen, self._seen_settled
        if len(seen) == len(campaigns):
            settled = tuple(
                known[index] if view is seen[index] else _settled_figures(view)
                for index, view in enumerate(campaigns)
            )
        else:
            settled = tuple(map(_settled_figures, campaigns))
        self._seen, self._seen_settled = campaigns, settled
        return settled

    def select(self, taskid: str) -> bool:
        if not any(view.taskid == taskid for view in self.campaigns):
            return False
        self._cursor = taskid
        self._relayout()
        self._scroll_to_cursor()
        return True

    def _layout(self, width: int) -> _Lines | list[list[Piece]]:
        """The lines for `width`: every campaign takes as many (a click and the cursor count
        on it), so all of them split their figures when one must. A campaign the model kept
        (the same view object) keeps its lines unless the cursor, the split or the width
        moved."""
        width = max(20, width)
        if not self.campaigns:
            empty = EMPTY if self.has_data else NO_DATA
            return [_row([(" " + empty, "campaigns--dim")], [], width, "campaigns--dim")]
        was = self._lines
        kept = (
            was.laid
            if isinstance(was, _Lines)
            and was.width == width
            and len(was.laid) == len(self.campaigns)
            else []
        )
        counts = [
            kept[index].count
            if kept and kept[index].view is view and not kept[index].split
            else line_count(view, width)
            for index, view in enumerate(self.campaigns)
        ]
        split = len(set(counts)) > 1
        if split:
            counts = [line_count(view, width, split=True) for view in self.campaigns]
        laid = []
        for index, view in enumerate(self.campaigns):
            selected = view.taskid == self._cursor
            entry = kept[index] if kept else None
            if (
                entry is None
                or entry.view is not view
                or entry.selected != selected
                or entry.split != split
            ):
                entry = _Laid(view, selected, split, counts[index])
            laid.append(entry)
        return _Lines(laid, width)

    def _relayout(self) -> None:
        width = self.scrollable_content_region.width
        lines = self._layout(width)
        width = max(20, width)
        cut = progress_column(self.campaigns, width) if self.campaigns else width
        previous, self._lines = self._lines, lines
        self._strips = [None] * len(lines)
        left, right = self.columns
        if len(lines) != len(previous) or width != self._width or cut != self._cut:
            self._width, self._cut = width, cut
            right.start = cut
            right.display = cut < width
            if cut < width:
                right.styles.width = width - cut
            for column in self.columns:
                column.refresh(layout=True)
            return
        top = round(self.scroll_offset.y)
        bottom = top + self.scrollable_content_region.height
        hidden: list[int] = []  # changed lines out of the window
        for y in range(len(lines)):
            if _same_line(previous, lines, y):
                continue
            if not top <= y < bottom:
                hidden.append(y)  # (not laid out: nothing is drawn there)
                continue
            old, new = previous[y], lines[y]
            if old is new or old == new:
                continue
            first, end = changed_cells(old, new)
            # Textual rewrites from a column's left edge up to the region's end.
            if first < cut:
                left.refresh(Region(first, y, min(end, cut) - first, 1))
            if end > cut:
                right.refresh(Region(max(first, cut) - cut, y, end - max(first, cut), 1))
        # Nothing to write out of the window, but each column keeps its lines drawn: a
        # scroll must find these drawn anew. One region above the window, one below.
        for part in ([y for y in hidden if y < top], [y for y in hidden if y >= bottom]):
            if part:
                around = Region(0, part[0], width, part[-1] - part[0] + 1)
                for column in self.columns:
                    column.refresh(around)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._restyle()

    def _restyle(self) -> None:
        self.style_cache.clear()
        self._strips = [None] * len(self._lines)
        for column in self.columns:
            column.refresh()

    def line(self, y: int) -> Strip:
        """Line `y` of the pane's lines (not of the screen: scrolled or not), drawn whole."""
        strip = self._strips[y]
        if strip is None:
            styles = self.style_cache.table()
            strip = Strip(_segments(self._lines[y], styles)).adjust_cell_length(
                self._width, styles[BASE]
            )
            self._strips[y] = strip
        return strip

    def cells(self, y: int, start: int, width: int) -> Strip:
        """`width` cells of line `y` from cell `start` on (blank past the lines)."""
        if not 0 <= y < len(self._lines):
            return Strip.blank(width, self.style_cache[BASE])
        return (
            self.line(y)
            .crop(start, start + width)
            .adjust_cell_length(width, self.style_cache[BASE])
        )

    def render_line(self, y: int) -> Strip:
        """Line `y` of the pane's window (scrolled), whole: the pane's own content, which
        its columns cover cell for cell (what Textual draws of the pane is theirs)."""
        line = round(self.scroll_offset.y) + y
        return self.cells(line, 0, self.scrollable_content_region.width)

    def line_text(self, y: int) -> str:
        """What line `y` of the pane's window reads now (counted from its top, scrolled)."""
        line = round(self.scroll_offset.y) + y
        return self.line(line).text if 0 <= line < len(self._lines) else ""

    def _cursor_index(self) -> int:
        for index, view in enumerate(self.campaigns):
            if view.taskid == self._cursor:
                return index
        return -1

    def _scroll_to_cursor(self) -> None:
        index = self._cursor_index()
        if index < 0 or not self.campaigns:
            return
        per = len(self._lines) // len(self.campaigns)
        self.scroll_to_region(Region(0, index * per, 1, per), animate=False, immediate=True)

    def action_move(self, step: int) -> None:
        index = self._cursor_index()
        target = index + step
        if not 0 <= target < len(self.campaigns):
            self.post_message(Edge(self, "up" if step < 0 else "down"))
            return
        self._cursor = self.campaigns[target].taskid
        self._relayout()
        self._scroll_to_cursor()

    def action_edge(self, direction: Direction) -> None:
        self.post_message(Edge(self, direction))

    def click_line(self, line: int) -> None:
        """A click on line `line` of the pane's lines selects its campaign."""
        if not self.campaigns or not self._lines:
            return
        per = len(self._lines) // len(self.campaigns)
        index = line // max(1, per)
        if 0 <= index < len(self.campaigns):
            self.select(self.campaigns[index].taskid)

    def on_resize(self, _event: events.Resize) -> None:
        self.fit()

    def fit(self) -> None:
        """The lines anew for the width there is (a scrollbar that came or went moves it)."""
        if max(20, self.scrollable_content_region.width) != self._width or not self._lines:
            self._lines = _NO_LINES
            self._relayout()


__all__ = [
    "LAST",
    "CampaignColumn",
    "CampaignsPane",
    "abandon_pieces",
    "calls_text",
    "campaign_lines",
    "changed_cells",
    "dropped_text",
    "figure_lines",
    "progress_column",
]
