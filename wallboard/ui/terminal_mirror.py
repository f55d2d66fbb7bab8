"""A mirror of the terminal's cells, so that each frame sends only the cells that changed.

Textual already writes only the regions of the screen that changed, but two habits cost bytes
on a wall screen that redraws a few hundred tiles a second:

* every styled segment is written as ``ESC[<the whole style>m text ESC[0m``, so a run of
  segments in the same colours repeats the same 20-byte style and its reset each time;
* a changed region is rewritten whole: a tile whose timer goes from "0:05" to "0:10" rewrites
  the tile's line, and a queue heading whose counts change rewrites the heading.

`TerminalMirror` sits between Textual and the terminal. It keeps what the terminal shows, cell
by cell (character and style), and turns each write into the shortest output that leaves the
terminal in the same state: unchanged cells are skipped, the cursor is moved by the cheapest
means, and a style is sent as the difference from the terminal's current style.

It is conservative, because the wall screen runs all day: whatever it does not model exactly
(erasing, scrolling, saved cursors, wide and combining characters, hyperlinks, style codes it
cannot parse) goes to the terminal as Textual wrote it, after the terminal's cursor and style
are brought to where Textual's stream had them, and the cells it may have touched are
forgotten. Forgotten cells are always rewritten, so a wrong guess costs bytes, never a wrong
screen. An internal error passes the write through unchanged and forgets everything.
"""

from __future__ import annotations

import re
import threading

from rich.cells import cell_len, get_character_cell_size

# A style as the terminal holds it: attribute bits (bit n set for SGR code n), the foreground
# and the background as their SGR parameters ("" for the terminal's default).
State = tuple[int, str, str]
DEFAULT: State = (0, "", "")

# Attribute codes and the code that turns each off. One off code can clear two attributes
# (22 clears bold and dim, 24 single and double underline, 25 both blinks, 54 frame and circle).
_ATTRIBUTE_CODES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 21, 51, 52, 53)
_OFF_CODE = {1: 22, 2: 22, 3: 23, 4: 24, 21: 24, 5: 25, 6: 25, 7: 27, 8: 28, 9: 29}
_OFF_CODE |= {51: 54, 52: 54, 53: 55}
_OFF_MASK: dict[int, int] = {}
for _code, _off in _OFF_CODE.items():
    _OFF_MASK[_off] = _OFF_MASK.get(_off, 0) | (1 << _code)
_ATTRIBUTE_BITS = {code: 1 << code for code in _ATTRIBUTE_CODES}

# Private modes that change neither the cells nor where text goes: mouse and focus reports,
# bracketed paste, synchronized output, cursor shape and visibility, autowrap, and the like.
_QUIET_MODES = frozenset(
    {1, 4, 5, 7, 8, 9, 12, 25, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1015, 1016}
    | {1034, 1035, 1036, 1039, 1042, 1043, 2004, 2026, 2027, 2031, 2048}
)
# Switching to or from the alternate screen changes every cell and may restore a saved cursor.
_SCREEN_MODES = frozenset({47, 1047, 1049})

# The largest screen the mirror keeps; text beyond it is written as given and not kept.
_MAX_ROWS = 1000
_MAX_COLUMNS = 2000
# Memoised style changes are cleared when there are this many (the wall uses a few dozen).
_CACHE_LIMIT = 4096
# A write that ends inside an escape sequence keeps this much back for the next write.
_MAX_HELD = 256

_UNKNOWN = "\x00"  # an unknown cell in a mirrored row; Textual never writes NUL as text
# The terminal's cursor is where the stream's is, though its column is not known for sure
# (after text written as given, whose width a terminal may count differently).
_STREAM_CURSOR = (-1, -1)

_TOKEN = re.compile(
    # Rich's styled segment, ESC[<style>m text ESC[0m: the most common token, taken whole.
    r"\x1b\[(?P<style>[0-9;]*)m(?P<segment>[^\x00-\x1f\x7f-\x9f]+)\x1b\[0m"
    r"|(?P<text>[^\x00-\x1f\x7f-\x9f]+)"
    r"|\x1b\[(?P<sgr>[0-9;:]*)m"
    r"|\x1b\[(?P<row>[0-9]*)(?:;(?P<col>[0-9]*))?[Hf]"
    # A line break followed (perhaps after styles) by a cursor move: Textual's full-screen
    # updates put one between lines and move explicitly after it, so it moves nothing.
    r"|(?P<newline>[\r\n]+)(?=(?:\x1b\[[0-9;:]*m)*\x1b\[[0-9]*(?:;[0-9]*)?[Hf])"
    r"|\x1b\[\?(?P<mode>[0-9;]*)(?P<set>[hl])"
    r"|\x1b\](?P<osc>[^\x07\x1b]*)(?:\x07|\x1b\\)"
    # Keyboard protocol, mode queries and the bell: they neither draw nor move the cursor.
    r"|(?P<quiet>\x1b\[[<=>?][0-9;]*u|\x1b\[\?[0-9;]*\$p|\x1b\[>[0-9;]*m|\x07)"
    # Plain CSI sequences (erase, insert, scroll, cursor moves...): they keep the style.
    r"|(?P<csi>\x1b\[[0-9;]*[\x40-\x7e])"
    # Anything else: other CSI, strings (OSC cut short, DCS, APC...), ESC sequences, controls.
    r"|(?P<other>\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    r"|\x1b[\]P_^X][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[\x20-\x2f]*[0-9:;<=>?@A-OQ-WYZ\\`a-z{|}~]"
    r"|[\x00-\x1f\x7f-\x9f])"
)
# A complete escape sequence (used to hold back one cut at the end of a write).
_COMPLETE = re.compile(
    r"\x1b(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    r"|[\]P_^X][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|[\x20-\x2f]*[0-9:;<=>?@A-OQ-WYZ\\`a-z{|}~])"
)
# A line break at the end of a write (perhaps followed by styles): whether a cursor move
# follows is known only with the next write, so it waits for it.
_TRAILING_NEWLINE = re.compile(r"[\r\n]+(?:\x1b\[[0-9;:]*m)*\Z")


def parse_sgr(state: State | None, params: str) -> State | None:
    """The style after applying SGR `params` to `state`, or None if it cannot be known.

    `state` None means an unknown style: codes are skipped until a reset makes it known again.
    Colon sub-parameters, codes outside the modelled set, and bad colours give None.
    """
    if ":" in params:
        return None
    codes = params.split(";")
    count = len(codes)
    known = state is not None
    attributes, foreground, background = state if state is not None else DEFAULT
    index = 0
    while index < count:
        text = codes[index]
        code = int(text) if text else 0
        index += 1
        if code == 0:
            known = True
            attributes, foreground, background = DEFAULT
        elif code in _ATTRIBUTE_BITS:
            attributes |= _ATTRIBUTE_BITS[code]
        elif code in _OFF_MASK:
            attributes &= ~_OFF_MASK[code]
        elif 30 <= code <= 37 or 90 <= code <= 97:
            foreground = str(code)
        elif code == 39:
            foreground = ""
        elif 40 <= code <= 47 or 100 <= code <= 107:
            background = str(code)
        elif code == 49:
            background = ""
        elif code in (38, 48):
            if index >= count:
                return None
            kind = codes[index]
            if kind == "5" and index + 1 < count and codes[index + 1]:
                values = [int(codes[index + 1])]
                colour = f"{code};5;{values[0]}"
                index += 2
            elif kind == "2" and index + 3 < count and all(codes[index + 1 : index + 4]):
                values = [int(value) for value in codes[index + 1 : index + 4]]
                colour = f"{code};2;{values[0]};{values[1]};{values[2]}"
                index += 4
            else:
                return None
            if max(values) > 255:
                return None
            if code == 38:
                foreground = colour
            else:
                background = colour
        else:
            return None
    return (attributes, foreground, background) if known else None


def _codes(state: State) -> list[str]:
    attributes, foreground, background = state
    codes = [str(code) for code in _ATTRIBUTE_CODES if attributes & (1 << code)]
    if foreground:
        codes.append(foreground)
    if background:
        codes.append(background)
    return codes


def sgr_change(current: State | None, wanted: State) -> str:
    """The shortest SGR sequence that takes the terminal from `current` to `wanted`.

    `current` None is an unknown terminal style: the change is a full reset and set.
    """
    if wanted == DEFAULT:
        return "\x1b[m"
    full = "0;" + ";".join(_codes(wanted))
    if current is None:
        return f"\x1b[{full}m"
    old_attributes, old_foreground, old_background = current
    attributes, foreground, background = wanted
    parts: list[str] = []
    gone = old_attributes & ~attributes
    added = attributes & ~old_attributes
    if gone:
        offs = sorted({_OFF_CODE[code] for code in _ATTRIBUTE_CODES if gone & (1 << code)})
        for off in offs:
            added |= attributes & _OFF_MASK[off]
        parts.extend(str(off) for off in offs)
    parts.extend(str(code) for code in _ATTRIBUTE_CODES if added & (1 << code))
    if foreground != old_foreground:
        parts.append(foreground or "39")
    if background != old_background:
        parts.append(background or "49")
    change = ";".join(parts)
    return f"\x1b[{change if len(change) <= len(full) else full}m"


def _cup(row: int, column: int) -> str:
    if column:
        return f"\x1b[{row + 1};{column + 1}H"
    return f"\x1b[{row + 1}H"


class TerminalMirror:
    """What the terminal shows, cell by cell, and a filter that sends only what changes.

    Feed every write of Textual's output through `filter`, in order; call `forget` whenever
    the terminal may show something the mirror did not see (a resize, a redraw on request):
    the next writes then go through whole and rebuild the mirror.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held = ""  # the end of the last write, kept back (see `filter`)
        self._cursor_visible = True
        self._in_link = False
        # Textual's style as its stream has it. None: not modelled; the terminal's style then
        # follows the stream exactly (its style codes go through as written).
        self._style: State | None = None
        # The terminal's style as this filter left it (None: unknown). Used only when
        # `_style` is known; text is written after bringing it to `_style`.
        self._terminal_style: State | None = None
        # Textual's cursor as its stream has it. None: unknown; the terminal's cursor then
        # follows the stream exactly, and no cell is known.
        self._position: tuple[int, int] | None = None
        # The terminal's cursor as this filter left it (None: unknown; `_STREAM_CURSOR`:
        # where the stream's is).
        self._cursor: tuple[int, int] | None = None
        # The cell this filter last wrote a character to (a combining mark joins it).
        self._last_written: tuple[int, int] | None = None
        self._rows: list[str] = []  # characters, `_UNKNOWN` where not known
        self._row_styles: list[list[State | None]] = []
        self._interned: dict[State, State] = {}
        self._parsed: dict[tuple[State | None, str], State | None] = {}
        self._changes: dict[tuple[State | None, State], str] = {}
        self._widths: dict[str, int] = {}

    def forget(self) -> None:
        """Treat every cell, the terminal's cursor and its style as unknown."""
        with self._lock:
            self._forget_cells()
            self._terminal_style = None

    def filter(self, data: str) -> str:
        """The shortest output that leaves the terminal as `data` (one write of Textual's) would.

        A write that ends inside an escape sequence, or with a line break (whose meaning
        depends on whether a cursor move follows), keeps that end back for the next write;
        Textual's own writes never end so.

        Never raises: on any internal error the write goes through unchanged (after the
        cursor and style are brought in line, if that much still works) and the mirror forgets.
        """
        with self._lock:
            data = self._held + data
            self._held = ""
            try:
                return self._filter(data)
            except Exception:
                self._held = ""
                prefix: list[str] = []
                try:
                    self._sync_cursor(prefix)
                    self._sync_style(prefix)
                except Exception:
                    prefix = []
                self._forget_cells()
                self._style = self._terminal_style = None
                self._position = None
                self._in_link = False
                shown, hidden = data.rfind("\x1b[?25h"), data.rfind("\x1b[?25l")
                if shown != hidden:
                    self._cursor_visible = shown > hidden
                return "".join(prefix) + data

    # -- the stream ------------------------------------------------------------------------

    def _filter(self, data: str) -> str:
        cut = data.rfind("\x1b")
        if cut >= 0 and len(data) - cut <= _MAX_HELD and not _COMPLETE.match(data, cut):
            self._held = data[cut:]
            data = data[:cut]
        if data and data[-1] in "\r\nm":
            newline = _TRAILING_NEWLINE.search(data, max(0, len(data) - _MAX_HELD))
            if newline is not None:
                self._held = data[newline.start() :] + self._held
                data = data[: newline.start()]
        out: list[str] = []
        for match in _TOKEN.finditer(data):
            kind = match.lastgroup
            if kind == "segment":
                params = match.group("style")
                self._sgr(out, f"\x1b[{params}m", params)
                self._text(out, match.group("segment"))
                self._sgr(out, "\x1b[0m", "0")
            elif kind == "text":
                self._text(out, match.group())
            elif kind == "sgr":
                self._sgr(out, match.group(), match.group("sgr"))
            elif kind == "row" or kind == "col":  # a cursor move: only remembered
                if self._cursor is _STREAM_CURSOR:
                    self._cursor = None
                row = int(match.group("row") or 1)
                column = int(match.group("col") or 1)
                self._position = (max(row, 1) - 1, max(column, 1) - 1)
            elif kind == "newline":
                if self._position is None:  # (a cursor move follows: see _TOKEN)
                    self._unmodelled(out, match.group(), keeps_style=True)
            elif kind == "set":
                self._mode(out, match.group(), match.group("mode"), match.group("set"))
            elif kind == "osc":
                self._osc(out, match.group(), match.group("osc"))
            elif kind == "quiet":
                self._sync_cursor(out)  # for a terminal that would draw what it does not know
                out.append(match.group())
            elif kind == "csi":
                self._unmodelled(out, match.group(), keeps_style=True)
            else:
                token = match.group()
                self._unmodelled(out, token, keeps_style=len(token) == 1)
        self._sync_style(out)
        if self._cursor_visible:
            self._sync_cursor(out)
        return "".join(out)

    def _sgr(self, out: list[str], token: str, params: str) -> None:
        style = self._style
        key = (style, params)
        if key in self._parsed:
            new = self._parsed[key]
        else:
            new = parse_sgr(style, params)
            if new is not None:
                if len(self._interned) >= _CACHE_LIMIT:
                    self._interned.clear()  # equal styles may then differ in identity: a rewrite
                new = self._interned.setdefault(new, new)
            if len(self._parsed) >= _CACHE_LIMIT:
                self._parsed.clear()
            self._parsed[key] = new
        if style is None:
            # Not modelled: the terminal follows the stream, so the codes go through as written.
            out.append(token)
            self._style = self._terminal_style = new
        elif new is not None:
            self._style = new  # sent when text needs it, as a difference
        else:
            # A code this filter cannot model: bring the terminal to the stream's style, pass
            # the code through, and follow the stream until a reset.
            self._sync_style(out)
            out.append(token)
            self._style = self._terminal_style = None

    def _mode(self, out: list[str], token: str, params: str, set_or_reset: str) -> None:
        try:
            modes = {int(param) for param in params.split(";") if param}
        except ValueError:
            modes = {-1}
        if modes & _SCREEN_MODES or not modes <= _QUIET_MODES:
            self._unmodelled(out, token, keeps_style=False)
            return
        if 25 in modes:
            self._cursor_visible = set_or_reset == "h"
        if self._cursor_visible:
            self._sync_cursor(out)  # the terminal may show the cursor after this
        out.append(token)

    def _osc(self, out: list[str], token: str, body: str) -> None:
        if body.startswith("8;"):
            parts = body.split(";", 2)
            self._in_link = len(parts) == 3 and bool(parts[2])
        out.append(token)

    def _unmodelled(self, out: list[str], token: str, *, keeps_style: bool) -> None:
        """Pass `token` through with the terminal where the stream had it; then forget."""
        self._sync_cursor(out, exact=True)
        self._sync_style(out)
        out.append(token)
        self._forget_cells()
        self._position = None
        if not keeps_style:
            self._style = self._terminal_style = None

    # -- text ------------------------------------------------------------------------------

    def _text(self, out: list[str], text: str) -> None:
        if self._position is None:
            self._write_as_given(out, text)
            return
        # Diffed: text in a known style, outside a hyperlink (whose cells carry the link).
        diffed = self._style is not None and not self._in_link
        if diffed and text.isascii():
            self._diff(out, text)
            return
        widths = self._widths
        index = 0
        width = 1
        for character in text:
            width = widths.get(character, -1)
            if width < 0:
                width = get_character_cell_size(character)
                if len(widths) >= _CACHE_LIMIT:
                    widths.clear()
                widths[character] = width
            if width != 1:
                break
            index += 1
        joins_previous = index == 0 and width == 0
        if joins_previous and self._position[1] == 0:
            # A mark that joins a cell of some earlier row (which one depends on the terminal).
            self._write_as_given(out, text)
            self._forget_cells()
            return
        if not diffed:
            self._write_as_given(out, text, joins_previous=joins_previous)
            return
        if index == len(text):
            self._diff(out, text)
            return
        # From the first character that is not one cell wide (with the character a zero-width
        # one joins), the text is written as given and its cells forgotten.
        start = index - 1 if width == 0 and index else index
        if start:
            self._diff(out, text[:start])
        if joins_previous:
            self._rewrite_previous_cell(out)
        self._write_as_given(out, text[start:], joins_previous=joins_previous)

    def _rewrite_previous_cell(self, out: list[str]) -> None:
        """Before a combining mark that starts a write, write the cell it joins again.

        Some terminals join a mark to the cell written last, others to the cell left of the
        cursor; rewriting that cell satisfies both, as in Textual's own stream.
        """
        assert self._position is not None
        row, column = self._position
        if not column or self._last_written == (row, column - 1) or row >= len(self._rows):
            return
        characters = self._rows[row]
        if column > len(characters) or characters[column - 1] == _UNKNOWN:
            return
        style = self._row_styles[row][column - 1]
        if style is None:
            return
        self._move(out, row, column - 1)
        self._set_style(out, style)
        out.append(characters[column - 1])
        self._cursor = (row, column)
        self._last_written = (row, column - 1)

    def _write_as_given(self, out: list[str], text: str, *, joins_previous: bool = False) -> None:
        """Write `text` as Textual wrote it, where it wrote it; forget the cells it covers."""
        position = self._position
        if position is None:
            # The terminal's cursor follows the stream's; no cell is known.
            self._sync_style(out)
            out.append(text)
            self._cursor = None
            self._last_written = None
            return
        row, column = position
        if self._cursor is not _STREAM_CURSOR:
            self._move(out, row, column)
        self._sync_style(out)
        out.append(text)
        width = cell_len(text)
        self._forget_span(row, column - 1 if joins_previous else column, column + width)
        self._position = (row, column + width)
        one_cell_each = (
            width == len(text)
            and not joins_previous
            and (text.isascii() or all(get_character_cell_size(char) == 1 for char in text))
        )
        self._cursor = (row, column + width) if one_cell_each else _STREAM_CURSOR
        self._last_written = (row, column + width - 1) if one_cell_each and width else None

    def _diff(self, out: list[str], text: str) -> None:
        """Write the cells of `text` (each one cell wide) that differ from the mirror."""
        assert self._position is not None and self._style is not None
        row, column = self._position
        count = len(text)
        end = column + count
        if row >= _MAX_ROWS or end > _MAX_COLUMNS:
            self._write_as_given(out, text)
            return
        self._position = (row, end)
        if self._cursor is _STREAM_CURSOR:
            self._cursor = None
        rows = self._rows
        styles = self._row_styles
        while len(rows) <= row:
            rows.append("")
            styles.append([])
        characters = rows[row]
        row_styles = styles[row]
        if len(characters) < end:
            padding = end - len(characters)
            characters += _UNKNOWN * padding
            rows[row] = characters
            row_styles.extend([None] * padding)
        style = self._style
        if characters[column:end] == text and row_styles[column:end].count(style) == count:
            return  # unchanged (the common case: most of a rewritten region)
        index = 0
        while index < count:
            cell = column + index
            if characters[cell] == text[index] and row_styles[cell] is style:
                index += 1
                continue
            stop = index + 1
            while stop < count and not (
                characters[column + stop] == text[stop] and row_styles[column + stop] is style
            ):
                stop += 1
            self._move(out, row, cell)
            self._set_style(out, style)
            out.append(text[index:stop])
            self._cursor = (row, column + stop)
            self._last_written = (row, column + stop - 1)
            index = stop
        rows[row] = characters[:column] + text + characters[end:]
        row_styles[column:end] = [style] * count

    # -- cursor, style and cells -----------------------------------------------------------

    def _move(self, out: list[str], row: int, column: int) -> None:
        """Bring the terminal's cursor to (row, column) by the shortest means.

        On the same row, moving right can also be done by writing again the known cells in
        between, when they all have the terminal's current style (that changes nothing).
        """
        cursor = self._cursor
        if cursor is not None and cursor[0] == row:
            here = cursor[1]
            if here == column:
                return
            if here < column:
                gap = column - here
                move = "\x1b[C" if gap == 1 else f"\x1b[{gap}C"
                cup = _cup(row, column)
                if len(cup) < len(move):
                    move = cup
                terminal_style = self._terminal_style
                if (
                    gap <= len(move)
                    and terminal_style is not None
                    and self._style is not None
                    and not self._in_link
                    and row < len(self._rows)
                ):
                    cells = self._rows[row][here:column]
                    if (
                        len(cells) == gap
                        and _UNKNOWN not in cells
                        and (cells.isascii() or len(cells.encode()) <= len(move))
                        and self._row_styles[row][here:column].count(terminal_style) == gap
                    ):
                        move = cells
                out.append(move)
                self._cursor = (row, column)
                return
        out.append(_cup(row, column))
        self._cursor = (row, column)

    def _sync_cursor(self, out: list[str], *, exact: bool = False) -> None:
        """Bring the terminal's cursor to the stream's.

        `exact`: before a sequence whose effect depends on the cursor. A cursor just past the
        last written cell (at the right margin, past the last column) cannot be reached by a
        cursor move, so, when that cell is known, it is written again instead: every terminal
        is then where it was after Textual wrote it.
        """
        position = self._position
        cursor = self._cursor
        if position is None or cursor is _STREAM_CURSOR or cursor == position:
            return
        row, column = position
        if (
            exact
            and column
            and not self._in_link
            and row < len(self._rows)
            and column <= len(self._rows[row])
        ):
            character = self._rows[row][column - 1]
            style = self._row_styles[row][column - 1]
            if character != _UNKNOWN and style is not None:
                self._move(out, row, column - 1)
                self._set_style(out, style)
                out.append(character)
                self._cursor = position
                self._last_written = (row, column - 1)
                return
        self._move(out, row, column)

    def _sync_style(self, out: list[str]) -> None:
        style = self._style
        if style is not None and self._terminal_style is not style:
            self._set_style(out, style)

    def _set_style(self, out: list[str], style: State) -> None:
        current = self._terminal_style
        if current is style:
            return
        key = (current, style)
        change = self._changes.get(key)
        if change is None:
            change = sgr_change(current, style)
            if len(self._changes) >= _CACHE_LIMIT:
                self._changes.clear()
            self._changes[key] = change
        out.append(change)
        self._terminal_style = style

    def _forget_span(self, row: int, start: int, end: int) -> None:
        if row >= len(self._rows):
            return
        start = max(start, 0)
        characters = self._rows[row]
        end = min(end, len(characters))
        if start >= end:
            return
        self._rows[row] = characters[:start] + _UNKNOWN * (end - start) + characters[end:]
        self._row_styles[row][start:end] = [None] * (end - start)

    def _forget_cells(self) -> None:
        self._rows = []
        self._row_styles = []
        self._cursor = None
        self._last_written = None
