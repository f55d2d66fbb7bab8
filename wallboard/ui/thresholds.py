"""How long is too long in each state: the supervisor's thresholds for the time-in-state ramp.

A tile's time in state turns amber, then red, when an agent has been idle, talking, paused,
in wrap-up or ringing longer than the floor tolerates. The limits are the `[thresholds]`
settings (read and checked by `wallboard.settings`); the screen only gets this value.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from wallboard.live.snapshot import AgentState


class Ramp(enum.IntEnum):
    """How urgent an agent's time in state is."""

    OK = 0
    AMBER = 1
    RED = 2


#: Defaults from common wallboard practice: a ring past 15 s is about to be missed, an idle
#: agent past 2 minutes on a predictive floor means the dialler is starved, and so on.
DEFAULT_LIMITS: Mapping[AgentState, tuple[int, int]] = MappingProxyType(
    {
        AgentState.IDLE: (120, 300),
        AgentState.RINGING: (15, 25),
        AgentState.TALKING: (600, 1200),
        AgentState.WRAPUP: (60, 120),
        AgentState.PAUSED: (300, 900),
    }
)

#: The settings' names of the states that ramp.
STATE_NAMES: Mapping[str, AgentState] = MappingProxyType(
    {
        "idle": AgentState.IDLE,
        "ringing": AgentState.RINGING,
        "talking": AgentState.TALKING,
        "wrapup": AgentState.WRAPUP,
        "paused": AgentState.PAUSED,
    }
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Amber and red limits in seconds per state; states without limits never ramp."""

    limits: Mapping[AgentState, tuple[int, int]] = field(default_factory=lambda: DEFAULT_LIMITS)

    @classmethod
    def with_limits(cls, limits: Mapping[AgentState, tuple[int, int]]) -> Thresholds:
        """The defaults with `limits` in place of theirs."""
        return cls(MappingProxyType({**DEFAULT_LIMITS, **limits}))

    @classmethod
    def from_names(cls, limits: Mapping[str, tuple[int, int]]) -> Thresholds:
        """From limits keyed by state name (`idle`, `ringing`, `talking`, `wrapup`,
        `paused`), as the settings hold them; raises KeyError for any other name."""
        return cls.with_limits({STATE_NAMES[name]: pair for name, pair in limits.items()})

    def ramp(self, state: AgentState, seconds: float) -> Ramp:
        limit = self.limits.get(state)
        if limit is None:
            return Ramp.OK
        amber, red = limit
        if seconds >= red:
            return Ramp.RED
        if seconds >= amber:
            return Ramp.AMBER
        return Ramp.OK


__all__ = ["DEFAULT_LIMITS", "STATE_NAMES", "Ramp", "Thresholds"]
