"""Trends: is the abandon rate rising? The server's day per 15 minutes, drawn in text.

Two widgets read a snapshot's `Trend`s (the floor's in `FloorTotals.trend`, each campaign's
in `CampaignView.trend`; built from the bills already read, no request of their own):
- `TrendStrip`: one line of bars, the abandon rate of each quarter of an hour, for the
  campaigns pane. The bars share one fixed scale, 0 to twice the 3% cap, so a bar's height
  means the same in every campaign and at every hour: half height is the cap, and a bar over
  it is red (amber from 2.5%, as the header). A quarter with nothing answered has no rate
  and shows a dim dot, never a 0% bar.
- `TrendsScreen` (a dialog: esc or q closes it): one plot for the floor and one for each
  campaign, three rows each (abandon %, answered, dropped) over a time axis, with the day's
  figures in the plot's title.

Drawn on the Line API with block glyphs rather than Textual's `Sparkline`: `Sparkline` scales
each series between its own minimum and maximum and colours by that, so 3% would be a
different height in every campaign and could never be red by itself; here every cell has
its own colour. No plotting library: `textual-plotext` is not among the project's
dependencies, and text bars over labelled axes read on 80x24 as on a wall.

When the day has more quarters than the width has columns, each column shows two (or four)
quarters added up, and the plot's title says "30 min a column".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from wallboard.live.snapshot import CampaignView, FloorSnapshot, Trend, TrendBucket
from wallboard.ui.dialogs import Dialog
from wallboard.ui.faces import NO_RATE, clean, fit, percent
from wallboard.ui.styles import BASE, ComponentStyles

#: The abandon rate the outbound rules cap (3%) and where it turns amber, as the header's.
CAP = 0.03
AMBER = 0.025
#: The abandon scale's top: twice the cap, so the cap is half a bar's height.
SCALE_TOP = 2 * CAP
BARS = "▁▂▃▄▅▆▇█"
NO_DATA = "·"  # a quarter with nothing answered: no rate
SLOT_MINUTES = 15
#: Quarters a column may stand for, finest first.
MERGES = (1, 2, 4, 8)

Piece = tuple[str, str]  # (text, component class without the prefix)

COMPONENTS = frozenset(
    {
        "trend--none",
        "trend--ok",
        "trend--amber",
        "trend--red",
        "trend--count",
        "trend--label",
        "trend--title",
        "trend--axis",
        "trend--over",
        "trend--none-over",
        "trend--ok-over",
        "trend--amber-over",
        "trend--red-over",
    }
)


# ---------------------------------------------------------------------- what is drawn


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a plot: one quarter of an hour, or a few added up."""

    slot: int  # the first quarter's slot of the day (0 = 00:00)
    answered: int
    dropped: int

    @property
    def abandon_rate(self) -> float | None:
        return None if self.answered <= 0 else self.dropped / self.answered


def slot_time(slot: int) -> str:
    """A slot of the server's day as its wall-clock start, "hh:mm"."""
    minutes = slot * SLOT_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def columns(buckets: Sequence[TrendBucket], width: int) -> tuple[tuple[Column, ...], int]:
    """The buckets as at most `width` columns, and how many quarters each column holds: the
    fewest that fit (1, 2, 4 or 8), so the whole day so far is always on screen."""
    if width <= 0:
        return (), 1
    merge = next((m for m in MERGES if -(-len(buckets) // m) <= width), MERGES[-1])
    out = []
    for first in range(0, len(buckets), merge):
        group = buckets[first : first + merge]
        out.append(Column(first, sum(b.answered for b in group), sum(b.dropped for b in group)))
    return tuple(out[-width:]), merge


def rate_level(rate: float | None) -> str:
    """The colour of an abandon rate: none (no data), ok, amber (from 2.5%), red (over 3%)."""
    if rate is None:
        return "none"
    if rate > CAP:
        return "red"
    if rate >= AMBER:
        return "amber"
    return "ok"


def rate_eighths(rate: float, rows: int = 1) -> int:
    """An abandon rate's height in eighths of a cell on the fixed scale 0 to 6% over `rows`
    rows: at least one (0% is a bar too, unlike no rate), the 3% cap exactly half, over 6%
    all of it."""
    exact = rate / SCALE_TOP * len(BARS) * rows
    return max(1, min(len(BARS) * rows, math.ceil(exact - 1e-9)))


def rate_bar(rate: float | None) -> str:
    """An abandon rate's bar on one row: ▁ is 0%, ▄ the 3% cap (half), higher is over it,
    █ 6% or more; a dot when there is no rate."""
    if rate is None:
        return NO_DATA
    return BARS[rate_eighths(rate) - 1]


def count_eighths(value: int, top: int, rows: int = 1) -> int:
    """A count's height in eighths of a cell over `rows` rows on 0 to `top`: none for 0,
    at least one eighth for any, all of it for `top`."""
    if value <= 0 or top <= 0:
        return 0
    return min(len(BARS) * rows, -(-value * len(BARS) * rows // top))


def bar_cells(eighths: int, rows: int = 1) -> list[str]:
    """A bar `eighths` high over `rows` cells, the top cell first."""
    cells = []
    for row in reversed(range(rows)):
        fill = max(0, min(len(BARS), eighths - len(BARS) * row))
        cells.append(" " if fill == 0 else BARS[fill - 1])
    return cells


def abandon_pieces(trend: Trend, width: int) -> list[Piece]:
    """The abandon strip of a trend in `width` cells: the latest quarters, right-aligned to
    now, each bar in its level's colour; padded on the left when the day is shorter.

    For a line-drawn pane: map each piece's class ("none", "ok", "amber", "red") to a style.
    One piece a bar, never a run of them: a screenshot places each piece on the cell grid,
    and the block glyphs are not as wide as a space in every font.
    """
    if width <= 0:
        return []
    cols, _ = columns(trend.buckets, width)
    pieces: list[Piece] = []
    if len(cols) < width:
        pieces.append((" " * (width - len(cols)), "none"))
    for column in cols:
        rate = column.abandon_rate
        pieces.append((rate_bar(rate), rate_level(rate)))
    return pieces


def day_words(trend: Trend) -> str:
    """The day's figures of a trend: "answered 962 · dropped 28 · abandon 2.9%"."""
    rate = trend.abandon_rate
    shown = NO_RATE if rate is None else percent(rate)
    return f"answered {trend.answered:,} · dropped {trend.dropped:,} · abandon {shown}"


LABEL = 11  # the label column: "abandon %  "
NOTE = 12  # the note after the bars: " peak 4.1%" / " max 1,234"


def plot_height(rows: int) -> int:
    """The lines of a plot with `rows` rows a series: title, three series, axis."""
    return 2 + 3 * rows


def plot_lines(title: str, trend: Trend, width: int, rows: int = 1) -> list[list[Piece]]:
    """A plot of one trend in `width` cells: the title with the day's figures, abandon %
    (coloured, on the fixed scale 0 to 6%), answered and dropped (each scaled to its own
    largest column, said after the bars), `rows` lines each, and the time axis.

    With two rows or more, the abandon rows above the cap (the upper half) are tinted: a
    bar that reaches into them is over 3%."""
    rows = max(1, rows)
    room = max(1, width - LABEL - NOTE)
    cols, merge = columns(trend.buckets, room)
    pad = " " * (room - len(cols))
    each = "15 min" if merge == 1 else f"{merge * SLOT_MINUTES} min"
    head = f"{title} · {day_words(trend)} · {each} a column"
    lines: list[list[Piece]] = [[(fit(head, width), "title")]]

    rates = [c.abandon_rate for c in cols]
    known = [rate for rate in rates if rate is not None]
    peak_note = f" peak {percent(max(known))}" if known else " no rate yet"
    stacks = [
        [NO_DATA if row == rows - 1 else " " for row in range(rows)]
        if rate is None
        else bar_cells(rate_eighths(rate, rows), rows)
        for rate in rates
    ]
    for row in range(rows):
        label = "abandon %" if row == 0 else ""
        if rows > 1 and row in (0, rows // 2):  # the scale: its top, and the cap
            scale = f"{round((SCALE_TOP if row == 0 else CAP) * 100)}%"
            label = f"{'abandon' if row == 0 else '':<7}{scale:>3}"
        over = rows > 1 and row < rows // 2  # the rows above the cap
        line: list[Piece] = [(label.ljust(LABEL), "label"), (pad, "over" if over else "none")]
        for rate, stack in zip(rates, stacks, strict=True):
            line.append((stack[row], rate_level(rate) + ("-over" if over else "")))
        note = peak_note if row == rows - 1 else ""
        line.append((fit(note, NOTE), "label"))
        lines.append(line)

    for name, values in (
        ("answered", [c.answered for c in cols]),
        ("dropped", [c.dropped for c in cols]),
    ):
        top = max(values, default=0)
        bars = [bar_cells(count_eighths(v, top, rows), rows) for v in values]
        for row in range(rows):
            label = name if row == 0 else ""
            line = [(label.ljust(LABEL), "label"), (pad, "none")]
            line.extend((stack[row], "count") for stack in bars)
            line.append((fit(f" max {top:,}" if row == rows - 1 else "", NOTE), "label"))
            lines.append(line)

    lines.append([(" " * LABEL, "axis"), (fit(pad + _axis(cols, merge), room), "axis")])
    return [_cut(line, width) for line in lines]


def _axis(cols: Sequence[Column], merge: int) -> str:
    """Times under the columns: "hh:mm" at whole hours, as often as they fit apart."""
    per_hour = 60 // SLOT_MINUTES // merge or 1  # columns an hour takes
    every = next((h for h in (1, 2, 3, 4, 6, 12) if h * per_hour >= 7), 12)
    text = [" "] * len(cols)
    for at, column in enumerate(cols):
        minutes = column.slot * SLOT_MINUTES
        if minutes % 60 or (minutes // 60) % every or at + 5 > len(cols):
            continue
        if any(ch != " " for ch in text[max(0, at - 1) : at + 5]):
            continue
        text[at : at + 5] = slot_time(column.slot)
    return "".join(text)


def _cut(line: list[Piece], width: int) -> list[Piece]:
    """A line of exactly `width` cells (the glyphs here are one cell each)."""
    out: list[Piece] = []
    used = 0
    for text, style in line:
        if used >= width:
            break
        text = text[: width - used]
        out.append((text, style))
        used += len(text)
    if used < width:
        out.append((" " * (width - used), "none"))
    return out


# ---------------------------------------------------------------------- widgets


class _TrendLines(Widget):
    """A line-drawn widget of (text, class) pieces, with its styles cached."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(COMPONENTS)

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.style_cache = ComponentStyles(self, COMPONENTS, prefix="trend--")

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.style_cache.clear()

    def lines(self, width: int) -> list[list[Piece]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        lines = self.lines(width)
        if y >= len(lines) or width <= 0:
            return Strip.blank(width, self.style_cache[BASE])
        styles = self.style_cache.table()
        base = styles[BASE]
        return Strip(
            [Segment(text, base + styles[style]) for text, style in lines[y] if text], width
        )


class TrendStrip(_TrendLines):
    """The abandon rate per 15 minutes in one line (see the module): for the campaigns pane,
    or anywhere a trend fits in a row. `show(trend)` redraws it when the trend changed."""

    DEFAULT_CSS = """
    TrendStrip { height: 1; width: 1fr; }
    TrendStrip > .trend--none { color: $text-muted; }
    TrendStrip > .trend--ok { color: $success; }
    TrendStrip > .trend--amber { color: $warning; text-style: bold; }
    TrendStrip > .trend--red { color: $error; text-style: bold; }
    """

    def __init__(
        self, trend: Trend | None = None, *, name: str | None = None, id: str | None = None
    ) -> None:
        super().__init__(name=name, id=id)
        self.trend = trend or Trend()

    def show(self, trend: Trend) -> None:
        if trend is not self.trend and trend != self.trend:
            self.trend = trend
            self.refresh()

    def lines(self, width: int) -> list[list[Piece]]:
        return [abandon_pieces(self.trend, width)]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 1


class TrendPlot(_TrendLines):
    """One trend as a plot of five lines (see `plot_lines`): the floor's or a campaign's."""

    DEFAULT_CSS = """
    TrendPlot { height: 5; width: 1fr; margin-bottom: 1; }
    TrendPlot > .trend--over { background: $error 12%; }
    TrendPlot > .trend--none-over { color: $text-muted; background: $error 12%; }
    TrendPlot > .trend--ok-over { color: $success; background: $error 12%; }
    TrendPlot > .trend--amber-over { color: $warning; background: $error 12%; }
    TrendPlot > .trend--red-over { color: $error; text-style: bold; background: $error 12%; }
    TrendPlot > .trend--none { color: $text-muted; }
    TrendPlot > .trend--ok { color: $success; }
    TrendPlot > .trend--amber { color: $warning; text-style: bold; }
    TrendPlot > .trend--red { color: $error; text-style: bold; }
    TrendPlot > .trend--count { color: $primary; }
    TrendPlot > .trend--label { color: $text-muted; }
    TrendPlot > .trend--title { color: $foreground; text-style: bold; }
    TrendPlot > .trend--axis { color: $text-muted; }
    """

    def __init__(self, title: str, trend: Trend, *, rows: int = 1, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.trend = trend
        self.rows = rows
        self.styles.height = plot_height(rows)
        self._drawn: tuple[int, list[list[Piece]]] | None = None

    def set_rows(self, rows: int) -> None:
        """Draw each series `rows` lines high (a taller screen has room for finer bars)."""
        if rows != self.rows:
            self.rows = rows
            self.styles.height = plot_height(rows)
            self._drawn = None
            self.refresh()

    def show(self, title: str, trend: Trend) -> None:
        if title != self.title or (trend is not self.trend and trend != self.trend):
            self.title, self.trend = title, trend
            self._drawn = None
            self.refresh()

    def lines(self, width: int) -> list[list[Piece]]:
        drawn = self._drawn
        if drawn is None or drawn[0] != width:
            drawn = self._drawn = (width, plot_lines(self.title, self.trend, width, self.rows))
        return drawn[1]


def campaign_title(view: CampaignView) -> str:
    """A campaign's plot title: its name (else its task id) and its state word."""
    return f"{clean(view.name) or clean(view.taskid)} ({view.status.value})"


FLOOR_TITLE = "Floor"
TALL = 40  # from this many lines, each series is drawn two lines high
CLOSING = "esc or q closes"


class TrendsScreen(Dialog[None]):
    """The day per 15 minutes: the floor's plot, then each tracked campaign's, scrolling when
    they do not fit. `show(snapshot)` brings it up to date with each new snapshot."""

    DEFAULT_CSS = """
    TrendsScreen { background: $background; align: center top; }
    TrendsScreen > #trends { width: 1fr; height: 1fr; padding: 0 1; background: $surface; }
    TrendsScreen #trends-title { text-style: bold; color: $foreground; height: auto; }
    TrendsScreen #trends-note { color: $text-muted; height: auto; margin-bottom: 1; }
    """

    def __init__(self, snapshot: FloorSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def rows(self) -> int:
        """Lines a series takes: two from TALL lines up (the cap is then a row's edge)."""
        return 2 if self.size.height >= TALL else 1

    def on_resize(self) -> None:
        for plot in self.query(TrendPlot):
            plot.set_rows(self.rows())

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="trends"):
            yield Static(self._title(), id="trends-title", markup=False)
            yield Static(self._note(), id="trends-note", markup=False)
            yield TrendPlot(FLOOR_TITLE, self.snapshot.totals.trend, id="trend-floor")
            for index, view in enumerate(self.snapshot.campaigns):
                yield TrendPlot(campaign_title(view), view.trend, id=f"trend-{index}")

    def _title(self) -> str:
        return f"Trends · today per 15 minutes (server time) · {CLOSING}"

    def _note(self) -> str:
        counting = "" if self.snapshot.bills_read else " Counting the day's calls…"
        return (
            "Finished predictive calls by the quarter they were dialled. Abandon % bars: "
            f"half height is the {percent(CAP)} cap, red over it, · nothing answered.{counting}"
        )

    def show(self, snapshot: FloorSnapshot) -> None:
        """Take a new snapshot: the plots redraw where their trend changed, and plots come
        and go with the campaigns."""
        before = self.snapshot
        self.snapshot = snapshot
        if not self.is_mounted:
            return
        self.query_one("#trends-note", Static).update(self._note())
        self.query_one("#trend-floor", TrendPlot).show(FLOOR_TITLE, snapshot.totals.trend)
        if len(before.campaigns) != len(snapshot.campaigns):
            self.call_later(self._replot)
            return
        for index, view in enumerate(snapshot.campaigns):
            self.query_one(f"#trend-{index}", TrendPlot).show(campaign_title(view), view.trend)

    async def _replot(self) -> None:
        box = self.query_one("#trends", VerticalScroll)
        for plot in box.query(TrendPlot):
            if plot.id != "trend-floor":
                await plot.remove()
        await box.mount_all(
            TrendPlot(campaign_title(view), view.trend, rows=self.rows(), id=f"trend-{index}")
            for index, view in enumerate(self.snapshot.campaigns)
        )


__all__ = [
    "CAP",
    "Column",
    "TrendPlot",
    "TrendStrip",
    "TrendsScreen",
    "abandon_pieces",
    "columns",
    "day_words",
    "plot_lines",
    "rate_bar",
    "rate_level",
    "slot_time",
]
