"""The terminal mirror: its output must leave the terminal exactly as Textual's output would.

Two VT emulators (pyte) watch the same writes: one gets Textual's stream as written, the other
the mirror's filtered stream. After every write their screens must be equal, cell by cell
(character, colours, attributes), and so must the cursor whenever it is visible.
"""

from __future__ import annotations

import pyte
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip

from wallboard.ui.terminal_mirror import (
    DEFAULT,
    TerminalMirror,
    parse_sgr,
    sgr_change,
)

COLUMNS, LINES = 40, 12


class Pair:
    """A raw screen and a filtered screen, fed in step."""

    def __init__(self, mirror: TerminalMirror | None = None) -> None:
        self.mirror = mirror or TerminalMirror()
        self.raw = pyte.Screen(COLUMNS, LINES)
        self.filtered = pyte.Screen(COLUMNS, LINES)
        self.raw_stream = pyte.Stream(self.raw)
        self.filtered_stream = pyte.Stream(self.filtered)
        self.sent: list[str] = []
        self.write("\x1b[?7l")  # as Textual: no autowrap

    def write(self, data: str) -> str:
        out = self.mirror.filter(data)
        self.sent.append(data)
        self.raw_stream.feed(data)
        self.filtered_stream.feed(out)
        self.check()
        return out

    def check(self) -> None:
        assert screen_state(self.filtered) == screen_state(self.raw), (
            f"screens differ after {self.sent!a}"
        )
        assert self.filtered.cursor.hidden == self.raw.cursor.hidden
        if not self.raw.cursor.hidden:
            assert (self.filtered.cursor.x, self.filtered.cursor.y) == (
                self.raw.cursor.x,
                self.raw.cursor.y,
            ), f"cursor differs after {self.sent!a}"


def screen_state(screen: pyte.Screen) -> list[list[object]]:
    """Every cell: character, colours and attributes (pyte's Char)."""
    return [[screen.buffer[y][x] for x in range(screen.columns)] for y in range(screen.lines)]


def cup(row: int, column: int) -> str:
    return f"\x1b[{row + 1};{column + 1}H"


# -- random frames ---------------------------------------------------------------------------

ALPHABET = ["a", "b", "0", "1", ":", " ", "●", "‖", "─", "中", "😀", "é", "e\u0301", "\u0301"]
COLOURS = [None, "red", "bright_blue", "default", "color(100)", "color(7)", "#ff8800", "#102030"]

styles = st.builds(
    Style,
    color=st.sampled_from(COLOURS),
    bgcolor=st.sampled_from(COLOURS),
    bold=st.sampled_from([None, True, False]),
    dim=st.sampled_from([None, True]),
    italic=st.sampled_from([None, True]),
    underline=st.sampled_from([None, True]),
    reverse=st.sampled_from([None, True]),
    strike=st.sampled_from([None, True]),
    blink=st.sampled_from([None, True]),
    overline=st.sampled_from([None, True]),
)
texts = st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=8).map("".join)
segments = st.lists(st.tuples(texts, styles), min_size=1, max_size=5)
SPECIALS = [
    "\x1b[2J",
    "\x1b[K",
    "\x1b[?25h",
    "\x1b[?25l",
    "\x1b[?1049h",
    "\x1b[1m",  # a stacked style, after whatever came before
    "\x1b[22;38;5;3m",
    "\x1b[58;5;3m",  # a code the mirror does not model: passed through until a reset
    "\x1b[0m",
    "\x07",
    "\x1b]0;title\x07",
    "\x1b[?2026h",
    "\x1b[?2026l",
]


@st.composite
def writes(draw: st.DrawFn) -> tuple[str, bool]:
    """One write of a Textual-like stream, and whether to forget() before it."""
    system = draw(st.sampled_from([ColorSystem.EIGHT_BIT, ColorSystem.TRUECOLOR]))
    parts: list[str] = []
    row = None
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["line", "line", "line", "special", "link"]))
        if kind == "special":
            parts.append(draw(st.sampled_from(SPECIALS)))
            continue
        line = draw(segments)
        width = sum(cell_len(text) for text, _ in line)
        if width > COLUMNS:
            continue
        if row is not None and row < LINES - 1 and draw(st.booleans()):
            parts.append("\n")  # Textual's line break: always followed by a cursor move
            row += 1
        else:
            row = draw(st.integers(0, LINES - 1))
        column = draw(st.integers(0, COLUMNS - width))
        parts.append(cup(row, column))
        for index, (text, style) in enumerate(line):
            rendered = style.render(text, color_system=system)
            if kind == "link" and index == 0:
                rendered = f"\x1b]8;id=1;https://example.com\x1b\\{rendered}\x1b]8;;\x1b\\"
            parts.append(rendered)
    row = draw(st.integers(0, LINES - 1))
    parts.append(cup(row, draw(st.integers(0, COLUMNS - 1))))  # Textual's cursor
    return "".join(parts), draw(st.integers(0, 9)) == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(writes(), min_size=1, max_size=8))
def test_random_writes_leave_the_same_screen(stream: list[tuple[str, bool]]) -> None:
    pair = Pair()
    for data, forget in stream:
        if forget:
            pair.mirror.forget()
        pair.write(data)
        pair.write(data)  # the same frame again: most of it is skipped


@settings(max_examples=100, deadline=None)
@given(st.lists(writes(), min_size=1, max_size=4), st.integers(1, 40))
def test_writes_cut_anywhere_leave_the_same_screen(
    stream: list[tuple[str, bool]], step: int
) -> None:
    """Writes cut in the middle of a sequence or a line break still come out right."""
    pair = Pair()
    data = "".join(part for part, _ in stream)
    for start in range(0, len(data), step):
        pair.mirror.filter("")  # an empty write changes nothing
        out = pair.mirror.filter(data[start : start + step])
        pair.raw_stream.feed(data[start : start + step])
        pair.filtered_stream.feed(out)
    pair.mirror.filter("")
    pair.raw_stream.feed("")
    # Only the end is compared: a cut write may hold back its last sequence for the next.
    assert screen_state(pair.filtered) == screen_state(pair.raw), ascii(data)


# -- the bytes -------------------------------------------------------------------------------

TILE = Style(color="color(188)", bgcolor="color(16)")
TALK = Style(color="color(231)", bgcolor="color(33)", bold=True)


def tile_line(row: int, time: str) -> str:
    return (
        cup(row, 0)
        + TILE.render(f" {time} ", color_system=ColorSystem.EIGHT_BIT)
        + TALK.render("● TALK ", color_system=ColorSystem.EIGHT_BIT)
        + TILE.render(" 13927696258  ", color_system=ColorSystem.EIGHT_BIT)
    )


def frame(time: str) -> str:
    return "".join(tile_line(row, time if row == 3 else "1:00") for row in range(LINES)) + cup(0, 0)


def test_an_unchanged_frame_writes_nothing() -> None:
    pair = Pair()
    pair.write("\x1b[?25l\x1b[0m")  # the mirror knows the style only after a reset
    first = pair.write(frame("0:05"))
    assert len(first) < len(frame("0:05"))
    assert pair.write(frame("0:05")) == ""


def test_a_changed_time_writes_only_the_changed_cells() -> None:
    pair = Pair()
    pair.write("\x1b[?25l\x1b[0m")  # the mirror knows the style only after a reset
    pair.write(frame("0:05"))
    out = pair.write(frame("0:10"))
    # "0:05" -> "0:10": move to the "1", set the tile's style, write "10", reset.
    assert out == cup(3, 3) + "\x1b[38;5;188;48;5;16m10\x1b[m"


def test_a_visible_cursor_is_put_back() -> None:
    pair = Pair()
    pair.write("\x1b[?25h")
    pair.write(frame("0:05"))
    out = pair.write(frame("0:10") + cup(5, 7))
    assert out.endswith(cup(5, 7))


def test_nearby_changes_are_joined_by_the_cells_between() -> None:
    pair = Pair()
    pair.write("\x1b[?25l\x1b[0m")  # the mirror knows the style only after a reset
    style = Style(color="color(188)", bgcolor="color(16)")
    pair.write(cup(0, 0) + style.render("ab cd", color_system=ColorSystem.EIGHT_BIT))
    out = pair.write(cup(0, 0) + style.render("xb xd", color_system=ColorSystem.EIGHT_BIT))
    assert out == "\x1b[1H\x1b[38;5;188;48;5;16mxb x\x1b[m"


def test_a_style_change_is_sent_as_a_difference() -> None:
    state = parse_sgr(DEFAULT, "1;38;5;16;48;5;166")
    assert state is not None
    assert sgr_change(state, (0, "38;5;16", "48;5;166")) == "\x1b[22m"
    assert sgr_change(state, (state[0], "38;5;17", "48;5;166")) == "\x1b[38;5;17m"
    dim_bold = parse_sgr(DEFAULT, "1;2;38;5;16")
    assert dim_bold is not None
    assert sgr_change(dim_bold, (1 << 2, "38;5;16", "")) == "\x1b[22;2m"  # 22 clears both
    assert sgr_change(dim_bold, (1 << 2, "", "")) == "\x1b[0;2m"  # shorter than 22;2;39
    assert sgr_change(state, DEFAULT) == "\x1b[m"
    assert sgr_change(None, state) == "\x1b[0;1;38;5;16;48;5;166m"
    assert parse_sgr(state, "4:3") is None
    assert parse_sgr(state, "58;5;3") is None
    assert parse_sgr(None, "1") is None
    assert parse_sgr(None, "0;1") == (1 << 1, "", "")
    assert parse_sgr(state, "22;39") == (0, "", "48;5;166")


def test_wide_and_combining_characters_are_written_whole() -> None:
    pair = Pair()
    pair.write("\x1b[?25l\x1b[0m")  # the mirror knows the style only after a reset
    line = cup(2, 1) + TILE.render("a中b😀ce\u0301", color_system=ColorSystem.EIGHT_BIT)
    pair.write(line)
    out = pair.write(line)
    assert "中b😀ce\u0301" in out  # never diffed: from the first wide character on
    pair.write(cup(2, 0) + TILE.render("xxxxxxxxxx", color_system=ColorSystem.EIGHT_BIT))


def test_an_unmodelled_sequence_gets_the_stream_cursor_and_style() -> None:
    pair = Pair()
    pair.write("\x1b[?25l\x1b[0m")  # the mirror knows the style only after a reset
    pair.write(frame("0:05"))
    # Erase to the end of the line with a background: the terminal must be at the stream's
    # cursor and style (even though the mirror wrote nothing before it).
    pair.write(cup(5, 10) + "\x1b[48;5;100m\x1b[K\x1b[0m" + cup(0, 0))
    pair.write(frame("0:05"))


def test_an_error_inside_passes_the_write_through() -> None:
    mirror = TerminalMirror()
    mirror.filter(frame("0:05"))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("surprise")

    mirror._diff = broken  # type: ignore[method-assign]
    data = frame("0:10")
    assert mirror.filter(data).endswith(data)


# -- real Textual frames ---------------------------------------------------------------------


def tile_strip(time: str, state: str, style: Style) -> Strip:
    return Strip(
        [
            Segment(f" {time} ", TILE),
            Segment(f"● {state:<5}", style),
            Segment(" 13927 ", TILE),
        ]
    )


@pytest.mark.parametrize("color_system", ["256", "truecolor"])
def test_textual_updates(color_system: str) -> None:
    console = Console(color_system=color_system, force_terminal=True, width=COLUMNS)  # type: ignore[arg-type]
    pair = Pair()
    pair.write("\x1b[?25l\x1b[0m")  # the mirror knows the style only after a reset
    idle = Style(color="#000000", bgcolor="#5faf5f", bold=True)

    def strips(time: str) -> list[list[Strip]]:
        return [
            [
                tile_strip(time if row == 4 else "1:00", "TALK" if row % 2 else "IDLE", TALK),
                tile_strip("2:00", "IDLE", idle),
            ]
            for row in range(LINES)
        ]

    layout = LayoutUpdate(strips("0:05"), Region(0, 0, COLUMNS, LINES))
    pair.write(layout.render_segments(console) + cup(0, 0))
    # The timer of row 4 changes: Textual rewrites that row's left chop.
    chops = [{0: tile_strip("1:00", "TALK", TALK), 20: None} for _ in range(LINES)]
    chops[4] = {0: tile_strip("0:10", "IDLE", TALK), 20: None}
    update = ChopsUpdate(chops, [(4, 0, 20)], [[20, 40] for _ in range(LINES)])
    raw = update.render_segments(console) + cup(0, 0)
    out = pair.write(raw)
    assert len(out) < len(raw) / 2
    # A full redraw after forget() rebuilds the mirror.
    pair.mirror.forget()
    pair.write(layout.render_segments(console) + cup(0, 0))
