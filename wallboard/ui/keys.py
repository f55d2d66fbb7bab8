"""The supervisor's keys, in one table: the bindings, the help screen and the command
palette are all made from it, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Key:
    keys: str  # Textual key names, comma separated
    shown: str  # how the help screen writes the key
    action: str  # the app's action_* name
    label: str  # the footer's word
    help: str  # the help screen's and the palette's sentence
    changes_floor: bool = False  # refused and hidden when read-only
    in_footer: bool = True
    in_palette: bool = True


KEYS: tuple[Key, ...] = (
    Key("c", "c", "check_in", "in", "Check an agent into a queue", True),
    Key("o", "o", "check_out", "out", "Check the selected agent out of its queue", True),
    Key("b", "b", "set_busy", "busy", "Set the selected agent busy (paused) in its queue", True),
    Key("i", "i", "set_idle", "idle", "Set the selected agent idle (taking calls) again", True),
    Key("p", "p", "pause_campaign", "pause", "Pause the selected campaign", True),
    Key("r", "r", "resume_campaign", "resume", "Resume the selected campaign", True),
    Key("e", "e", "end_campaign", "end", "End the selected campaign (asks first)", True),
    Key("slash", "/", "filter", "filter", "Filter agents by extension or name"),
    Key("s", "s", "state_filter", "state", "Show only agents in one state", in_footer=False),
    Key("escape", "esc", "clear_filters", "clear", "Clear the filters", in_footer=False),
    Key("f5", "F5", "poll_now", "refresh", "Poll the server now", in_footer=False),
    Key("question_mark", "?", "help", "help", "Keys, states and thresholds"),
    Key("q", "q", "quit", "quit", "Quit the dashboard", in_footer=False),
)

#: Keys handled by the panes themselves, for the help screen.
PANE_KEYS: tuple[tuple[str, str], ...] = (
    ("arrows, h j k l", "Move between tiles, and on into the campaigns pane"),
    ("tab, shift+tab", "Switch between the agent grid and the campaigns pane"),
    ("home/end, pgup/pgdn", "Jump through the agent grid"),
    ("ctrl+p", "Command palette: every action by name"),
)

FLOOR_ACTIONS = frozenset(key.action for key in KEYS if key.changes_floor)


def bindings() -> list[Binding]:
    return [
        Binding(key.keys, key.action, key.label, show=key.in_footer, tooltip=key.help)
        for key in KEYS
    ]


__all__ = ["FLOOR_ACTIONS", "KEYS", "PANE_KEYS", "Key", "bindings"]
