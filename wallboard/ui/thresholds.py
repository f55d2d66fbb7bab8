"""How long is too long in each state: the supervisor's thresholds for the time-in-state ramp.

A tile's time in state turns amber, then red, when an agent has been idle, talking, paused,
in wrap-up or ringing longer than the floor tolerates. Floors differ (a collections floor
talks longer than a survey floor), so the limits come from the `[thresholds]` table of the
config file, in seconds, as `[amber, red]` pairs:

    [thresholds]
    idle = [120, 300]
    talking = [600, 1200]
    paused = [300, 900]

Missing keys keep the defaults below; a mistake is a `ConfigError` naming the file and key.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from wallboard.config import ConfigError
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

#: Config keys, in the floor's words, for the states that ramp.
KEYS: Mapping[str, AgentState] = MappingProxyType(
    {
        "idle": AgentState.IDLE,
        "ringing": AgentState.RINGING,
        "talking": AgentState.TALKING,
        "wrapup": AgentState.WRAPUP,
        "wrap-up": AgentState.WRAPUP,
        "paused": AgentState.PAUSED,
    }
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Amber and red limits in seconds per state; states without limits never ramp."""

    limits: Mapping[AgentState, tuple[int, int]] = field(default_factory=lambda: DEFAULT_LIMITS)

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


def thresholds_from(table: Any, where: str) -> Thresholds:
    """Read a `[thresholds]` table; `where` names the file in messages."""
    if table is None:
        return Thresholds()
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: 'thresholds' must be a [thresholds] table")
    limits = dict(DEFAULT_LIMITS)
    for key, value in table.items():
        state = KEYS.get(str(key).lower())
        if state is None:
            known = ", ".join(k for k in KEYS if k != "wrap-up")
            raise ConfigError(f"{where} [thresholds]: unknown key {key!r} (use {known})")
        limits[state] = _pair(value, f"{where} [thresholds]: {key!r}")
    return Thresholds(MappingProxyType(limits))


def _pair(value: Any, what: str) -> tuple[int, int]:
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )
    if not ok:
        raise ConfigError(f"{what} must be two whole seconds, [amber, red], e.g. [120, 300]")
    amber, red = value
    if amber < 0 or red < amber:
        raise ConfigError(f"{what} must be [amber, red] with 0 <= amber <= red, not {value}")
    return amber, red


def load_thresholds(path: Path) -> Thresholds:
    """The thresholds of the config file at `path`; the defaults when it does not exist."""
    if not path.is_file():
        return Thresholds()
    try:
        with path.open("rb") as stream:
            document = tomllib.load(stream)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    return thresholds_from(document.get("thresholds"), str(path))


__all__ = ["DEFAULT_LIMITS", "Ramp", "Thresholds", "load_thresholds", "thresholds_from"]
