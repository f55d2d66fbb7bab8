"""What the agent grid and the agent list share: the filter, the clock and the cursor's look.

The app shows either view of the agents and acts on them the same way (`show`, `set_filter`,
`select`, `selected`, `shown`), so the parts of that surface that do not depend on how the
agents are laid out are written once here: the `/` and state filter, the server moment the
times in state are drawn at, and the brighter cursor while the view has focus.
"""

from __future__ import annotations

from typing import Protocol

from textual import events

from wallboard.live.snapshot import AgentState, FloorSnapshot
from wallboard.ui.thresholds import Ramp, Thresholds


class Filterable(Protocol):
    """An agent as the filter sees it: a tile's queue entry or a list's person."""

    @property
    def extnumber(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def state(self) -> AgentState: ...


def matches(agent: Filterable, text: str, state: AgentState | None) -> bool:
    """The `/` filter (extension or name contains the text) and the state filter."""
    if state is not None and agent.state is not state:
        return False
    if not text:
        return True
    needle = text.casefold()
    return needle in agent.extnumber.casefold() or needle in agent.name.casefold()


def ramp_styles(prefix: str) -> dict[Ramp, str]:
    """The component class of each time ramp, for a view whose classes start with `prefix`."""
    return {
        Ramp.OK: f"{prefix}--time-ok",
        Ramp.AMBER: f"{prefix}--time-amber",
        Ramp.RED: f"{prefix}--time-red",
    }


def state_styles(prefix: str) -> dict[AgentState, str]:
    """The component class of each state badge, for a view whose classes start with `prefix`."""
    return {state: f"{prefix}--state-{state.name.lower()}" for state in AgentState}


class AgentPane:
    """Mixed into the grid and the list (before their Textual base): the filter, the
    moment the times are drawn at, and the cursor restyled on focus and blur. The view
    lays itself out again in `_arrange` and redraws its cursor in `_restyle_cursor`."""

    thresholds: Thresholds
    snapshot: FloorSnapshot | None
    filter_text: str
    filter_state: AgentState | None
    waiting: str  # shown instead of any agent: there has been no good poll yet
    # The server's time now (`FloorSnapshot.server_now`, given by the app every second):
    # time in state is now minus the state's start. None: the snapshot's own moment.
    now: float | None

    def _start_pane(self, thresholds: Thresholds | None) -> None:
        """What both views start with (called from their `__init__`): no snapshot yet, no
        filter, the server's time not known."""
        self.thresholds = thresholds or Thresholds()
        self.snapshot = None
        self.filter_text = ""
        self.filter_state = None
        self.waiting = ""
        self.now = None

    def _arrange(self) -> None:
        raise NotImplementedError

    def _restyle_cursor(self) -> None:
        raise NotImplementedError

    def set_filter(self, text: str | None = None, state: AgentState | bool | None = False) -> None:
        """Filter by text (extension or name) and/or state; `state=None` clears the state."""
        if text is not None:
            self.filter_text = text.strip()
        if state is not False:
            self.filter_state = state if isinstance(state, AgentState) else None
        self._arrange()

    def _moment(self) -> float:
        """The server time the times in state are at: now, never before the data's moment."""
        taken_at = self.snapshot.taken_at if self.snapshot is not None else 0.0
        return taken_at if self.now is None else max(taken_at, self.now)

    def on_focus(self, _event: events.Focus) -> None:
        self._restyle_cursor()

    def on_blur(self, _event: events.Blur) -> None:
        self._restyle_cursor()


__all__ = ["AgentPane", "Filterable", "matches", "ramp_styles", "state_styles"]
