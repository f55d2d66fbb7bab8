"""What each agent tile says, as plain comparable values, with no widget in sight.

The grid redraws a tile only when its face changed, so a face holds exactly what is drawn
(already cut to the tile's width) and nothing else. Text from the server (names, numbers)
is cleaned of control characters here: a seatsname must never be able to move the cursor
or recolour the terminal of the wall screen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from types import MappingProxyType

from rich.cells import cell_len, set_cell_size

from wallboard.live.server_text import clean, seat_crmid
from wallboard.live.snapshot import AgentState, AgentView, FloorTotals, QueueView
from wallboard.live.state_order import STATE_ORDER
from wallboard.ui.thresholds import Ramp, Thresholds

#: Glyph and word per state: the tile reads the same on a monochrome terminal.
LOOKS = MappingProxyType(
    {
        AgentState.IDLE: ("○", "IDLE"),
        AgentState.RINGING: ("◎", "RING"),
        AgentState.TALKING: ("●", "TALK"),
        AgentState.WRAPUP: ("◐", "WRAP"),
        AgentState.PAUSED: ("‖", "PAUSE"),
        AgentState.MISSED: ("!", "MISS"),
        AgentState.OFFLINE: ("×", "OFF"),
        AgentState.DISABLED: ("⊘", "DIS"),
    }
)
#: States in which the customer's number is on the line.
ON_A_CALL = frozenset({AgentState.RINGING, AgentState.TALKING})

TIME_CELLS = 5
BADGE_CELLS = 7  # glyph, space, word of up to 5
#: Line two of a tile: the time in state first (it changes most often, and Textual rewrites
#: a changed line from its widget's left edge), then the state badge, then the number.
BADGE_X = TIME_CELLS + 1
NUMBER_X = BADGE_X + BADGE_CELLS
MIN_TILE = 25
MAX_TILE = 34


def fit(text: str, cells: int) -> str:
    """`text` in exactly `cells` terminal cells: padded, or cut with an ellipsis."""
    if cells <= 0:
        return ""
    if text.isascii():  # the common case, without measuring cell by cell
        return text.ljust(cells) if len(text) <= cells else text[: cells - 1] + "…"
    if cell_len(text) <= cells:
        return set_cell_size(text, cells)
    return set_cell_size(text, cells - 1) + "…"


def fit_left(text: str, cells: int) -> str:
    """Like `fit`, but keeps the end: the last digits of a phone number are the telling ones."""
    if cells <= 0:
        return ""
    if cell_len(text) <= cells:
        return set_cell_size(text, cells)
    tail = text[-(cells - 1) :] if cells > 1 else ""
    while cell_len(tail) > cells - 1:
        tail = tail[1:]
    return set_cell_size("…" + tail, cells)


#: Time in state moves on the wall's tick, every TIME_STEP seconds, all tiles at once. A
#: tile whose time moved costs about 40 bytes on the wire; a wall of 150 tiles ticking every
#: second would write 6 KB/s for figures nobody reads to the second. Ramps stay exact.
TIME_STEP = 5
#: From a minute in state on, the time moves every LONG_STEP seconds (still all tiles in the
#: same frame): a call or a pause of minutes is read in minutes, and the tiles of a settled
#: floor then write a third of the bytes. The colour still turns at the threshold's second.
LONG_STEP = 15
LONG_FROM = 60


def shown_elapsed(since: float, now: float) -> float:
    """The time in state a tile, a row and the wall show at `now` (the one definition):
    the time at the wall's last TIME_STEP tick under a minute; from a minute on, at its
    last LONG_STEP tick (never under a minute once a minute was shown). It never
    overstates the time, and never goes back."""
    tick = now - now % TIME_STEP
    elapsed = max(0.0, tick - since)
    if elapsed < LONG_FROM:
        return elapsed
    return max(float(LONG_FROM), now - now % LONG_STEP - since)


def next_shown_change(since: float, now: float) -> float:
    """When (`now`'s clock) `shown_elapsed` may next read differently."""
    tick = now - now % TIME_STEP
    if tick - since < LONG_FROM:
        return tick + TIME_STEP
    return now - now % LONG_STEP + LONG_STEP


def duration(seconds: float) -> str:
    """Time in state for a tile, in at most five cells: `0:42`, `12:05`, `1h05`, `99h+`."""
    total = max(0, int(seconds))
    if total < 3600:
        return f"{total // 60}:{total % 60:02d}"
    hours, minutes = divmod(total // 60, 60)
    if hours > 99:
        return "99h+"
    return f"{hours}h{minutes:02d}"


#: Marks a time in state that is a lower bound: the server gave no start for the state.
AT_LEAST = "≥"


def at_least_duration(seconds: float) -> str:
    """A time in state that is a lower bound (`AgentView.at_least`), "≥" first and still
    in five cells: `≥0:54`, `≥12m`, `≥1h05`, `≥14h`, `≥99h`. Every form rounds down, so
    the figure never claims more than is known."""
    total = max(0, int(seconds))
    if total < 600:
        return f"{AT_LEAST}{total // 60}:{total % 60:02d}"
    if total < 3600:
        return f"{AT_LEAST}{total // 60}m"
    hours, minutes = divmod(total // 60, 60)
    if hours < 10:
        return f"{AT_LEAST}{hours}h{minutes:02d}"
    return f"{AT_LEAST}{min(hours, 99)}h"


def state_time(agent: AgentView, seconds: float) -> str:
    """The time in state as a tile and a row show it: "≥" where it is a lower bound."""
    return at_least_duration(seconds) if agent.at_least else duration(seconds)


def badge(state: AgentState) -> str:
    glyph, word = LOOKS[state]
    return f"{glyph} {word:<5}"


@dataclass(frozen=True, slots=True)
class TileFace:
    """The parts of one agent tile that change only when the agent's data changes.

    Line one: extension (bold), name, answered/missed counts. Line two: the time in state
    (a `TileClock`, which changes with the wall's tick), the state badge and the number on
    the line.
    Every part is already cut to its cells, so the tile is exactly `width` cells wide.
    """

    width: int
    ext: str
    name: str
    counts: str
    state: AgentState
    number: str

    @property
    def top(self) -> str:
        return self.ext + self.name + self.counts

    def bottom(self, clock: TileClock) -> str:
        return clock.time + " " + badge(self.state) + " " + self.number


@dataclass(frozen=True, slots=True)
class TileClock:
    """Time in state as drawn, and how urgent it is; `until` is the moment (unix seconds)
    after which either may read differently, so that the grid need not ask before."""

    time: str
    ramp: Ramp
    until: float = field(default=float("inf"), compare=False)


def display_name(agent: AgentView) -> str:
    """The agent's name for a tile. Servers like the documents' example name a seat
    `<crmid>_<extnumber>_<queue>`, which repeats the tile's extension and queue: then the
    tile shows the agent id instead (`id 1001`)."""
    crmid = seat_crmid(agent)
    return f"id {crmid}" if crmid else clean(agent.name)


def known_name(agent: AgentView) -> str:
    """The agent's name for people (notifications, the audit log, dialogs), or "" when the
    server gave only a seat's technical name (`<crmid>_<extnumber>_<queue>`) or none."""
    name = display_name(agent)
    if name.startswith("id ") or name == clean(agent.extnumber):
        return ""
    return name


def tile_face(agent: AgentView, width: int = MIN_TILE) -> TileFace:
    """The face of one agent's tile, `width` cells wide."""
    ext = clean(agent.extnumber)
    counts = f" ✓{agent.answered} ✗{agent.missed}"
    ext_cells = min(cell_len(ext) + 1, width // 2)
    name_cells = max(0, width - ext_cells - cell_len(counts))
    if name_cells < 4:  # huge counts: keep some of the name, cut the counts
        name_cells = min(4, max(0, width - ext_cells))
        counts = fit(counts, width - ext_cells - name_cells)
    number = clean(agent.number) if agent.state in ON_A_CALL else ""
    number_cells = max(0, width - NUMBER_X - 1)
    return TileFace(
        width=width,
        ext=fit(ext, ext_cells),
        name=fit(display_name(agent), name_cells),
        counts=counts,
        state=agent.state,
        number=fit_left(number, number_cells),
    )


def tile_clock(agent: AgentView, taken_at: float, thresholds: Thresholds) -> TileClock:
    """Time in state at `taken_at`: the server's time now (the views pass
    `FloorSnapshot.server_now`, so that times move on between polls), on the same clock
    as `agent.since`; a fixed clock draws a snapshot the same every time.

    The time shown is the time in state at the wall's last tick (`shown_elapsed`: every
    TIME_STEP seconds under a minute, every LONG_STEP seconds from then on), so it never
    overstates and every tile's time moves in the same frame; the ramp colour uses the
    exact time.
    """
    elapsed = max(0.0, taken_at - agent.since)
    # The colons line up; "≥" marks a time the server gave no start for.
    shown = state_time(agent, shown_elapsed(agent.since, taken_at)).rjust(TIME_CELLS)
    until = next_shown_change(agent.since, taken_at)
    limit = thresholds.limits.get(agent.state)
    if limit is not None:
        for threshold in limit:
            if elapsed < threshold:
                until = min(until, agent.since + threshold)
                break
    return TileClock(shown, thresholds.ramp(agent.state, elapsed), until)


def state_counts(agents: Iterable[AgentView]) -> dict[AgentState, int]:
    """Agents per state, every state present (Counter counts in C: 2,000 agents per poll)."""
    counted = Counter(map(_STATE, agents))
    return {state: counted.get(state, 0) for state in STATE_ORDER}


_STATE = attrgetter("state")


def heading_levels(queue: QueueView, shown: int) -> list[str]:
    """A queue's title from the longest words to the shortest, as the header shortens its
    own: "3 paused", then the tiles' word "3 pause", then the tiles' glyph "‖3"; then
    "15 agents" becomes "15", then the states go, then the size. A word is never cut."""
    counts = [(state, n) for state, n in state_counts(queue.agents).items() if n]
    total = len(queue.agents)
    name = clean(queue.name) or "(unnamed)"
    size = f"{total} agents" if shown == total else f"{shown} of {total} agents"
    short_size = str(total) if shown == total else f"{shown}/{total}"
    words = ", ".join(f"{n} {state.value}" for state, n in counts)
    tile_words = ", ".join(f"{n} {LOOKS[state][1].lower()}" for state, n in counts)
    glyphs = " ".join(f"{LOOKS[state][0]}{n}" for state, n in counts)
    if not counts:
        return [f" {name} · {size} ", f" {name} · {short_size} ", f" {name} "]
    return [
        f" {name} · {size}: {words} ",
        f" {name} · {size}: {tile_words} ",
        f" {name} · {size}: {glyphs} ",
        f" {name} · {short_size}: {glyphs} ",
        f" {name} · {size} ",
        f" {name} · {short_size} ",
        f" {name} ",
    ]


def queue_heading(queue: QueueView, shown: int, width: int) -> str:
    """A queue panel's title in `width` cells: its name and how its agents are doing, in
    the longest words that fit with a rule either side (`heading_levels`); only a name too
    long for the width is cut."""
    levels = heading_levels(queue, shown)
    for title in levels:
        if cell_len(title) + 2 <= width:
            return "─" + title + "─" * (width - cell_len(title) - 1)
    return fit(levels[-1], width)


def percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


#: What a rate over nothing reads: no calls answered is no abandon rate, not 0.0%.
NO_RATE = "–"


def rate_text(rate: float, over: int) -> str:
    """A rate as a percentage, or NO_RATE when it is a rate over nothing (`over` is 0)."""
    return percent(rate) if over > 0 else NO_RATE


_PEOPLE = {
    AgentState.IDLE: attrgetter("idle"),
    AgentState.RINGING: attrgetter("ringing"),
    AgentState.TALKING: attrgetter("talking"),
    AgentState.WRAPUP: attrgetter("wrapup"),
    AgentState.PAUSED: attrgetter("paused"),
    AgentState.MISSED: attrgetter("missed"),
    AgentState.OFFLINE: attrgetter("offline"),
    AgentState.DISABLED: attrgetter("disabled"),
}


def people_in(totals: FloorTotals, state: AgentState) -> int:
    """The header's count of agents (people, each once) in a state."""
    count: int = _PEOPLE[state](totals)
    return count


def people_counts(totals: FloorTotals) -> dict[AgentState, int]:
    """The header's counts of people per state, every state present, in STATE_ORDER."""
    return {state: people_in(totals, state) for state in STATE_ORDER}


def progress_bar(progress: float, cells: int) -> str:
    """A bar in eighths of a cell, readable without colour (filled blocks, then dots)."""
    if cells <= 0:
        return ""
    eighths = round(max(0.0, min(1.0, progress)) * cells * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")
    return bar + "·" * (cells - cell_len(bar))


__all__ = [
    "AT_LEAST",
    "LONG_FROM",
    "LONG_STEP",
    "LOOKS",
    "MAX_TILE",
    "MIN_TILE",
    "NO_RATE",
    "ON_A_CALL",
    "STATE_ORDER",
    "TIME_STEP",
    "TileClock",
    "TileFace",
    "at_least_duration",
    "badge",
    "clean",
    "display_name",
    "duration",
    "fit",
    "fit_left",
    "heading_levels",
    "known_name",
    "people_counts",
    "people_in",
    "percent",
    "progress_bar",
    "queue_heading",
    "rate_text",
    "shown_elapsed",
    "state_counts",
    "state_time",
    "tile_clock",
    "tile_face",
]
