"""The supervisor's keys, in one table: the bindings, the help screen and the command
palette are all made from it, so they cannot disagree. A key that changes the floor names
its row of the supervisor's actions (`SupervisorAction`); its app action is that row's name."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from wallboard.live.actions import SupervisorAction


@dataclass(frozen=True, slots=True)
class Key:
    keys: str  # Textual key names, comma separated
    shown: str  # how the help screen writes the key
    action: str  # the app's action_* name
    label: str  # the footer's word
    help: str  # the help screen's and the palette's sentence
    floor: SupervisorAction | None = None  # the action it sends: refused, hidden when read-only
    in_footer: bool = True
    in_palette: bool = True

    @property
    def changes_floor(self) -> bool:
        return self.floor is not None


def floor_key(keys: str, action: SupervisorAction, label: str, help: str) -> Key:
    """A key that sends one of the supervisor's actions: `action_check_in` for CHECK_IN."""
    return Key(keys, keys, action.name.lower(), label, help, floor=action)


KEYS: tuple[Key, ...] = (
    floor_key(
        "c", SupervisorAction.CHECK_IN, "in", "Check an agent (name or extension) into a queue"
    ),
    floor_key(
        "o",
        SupervisorAction.CHECK_OUT,
        "out",
        "Check the selected agent out of its queue (asks first)",
    ),
    floor_key(
        "b", SupervisorAction.SET_BUSY, "busy", "Set the selected agent busy (paused) in its queue"
    ),
    floor_key(
        "i", SupervisorAction.SET_IDLE, "idle", "Set the selected agent idle (taking calls) again"
    ),
    floor_key("p", SupervisorAction.PAUSE_CAMPAIGN, "pause", "Pause the selected campaign"),
    floor_key("r", SupervisorAction.RESUME_CAMPAIGN, "resume", "Resume the selected campaign"),
    floor_key("e", SupervisorAction.END_CAMPAIGN, "end", "End the selected campaign (asks first)"),
    Key("v", "v", "toggle_view", "view", "Agent grid or agent list (remembered)"),
    Key(
        "g",
        "g",
        "trends",
        "trends",
        "Today per 15 minutes: abandon %, answered, dropped",
        in_footer=False,  # the footer is full at 80 columns; help and the palette say it
    ),
    Key(
        "R",
        "R",
        "records",
        "records",
        "Call records: filters, export, summaries, call-backs, recordings",
        in_footer=False,
    ),
    Key(
        "H",
        "H",
        "history",
        "history",
        "History: yesterday and last week beside today, per agent, campaign, queue, day",
        in_footer=False,
    ),
    Key(
        "n",
        "n",
        "new_campaign",
        "new",
        "New campaign from a list of numbers; take numbers out of one",
        in_footer=False,
    ),
    Key(
        "m",
        "m",
        "admin",
        "admin",
        "Administration: queues, extension groups, extensions",
        in_footer=False,
    ),
    Key("slash", "/", "filter", "filter", "Filter agents by extension or name"),
    Key("s", "s", "state_filter", "state", "Show only agents in one state", in_footer=False),
    Key("escape", "esc", "clear_filters", "clear", "Clear the filters", in_footer=False),
    Key(
        "a",
        "a",
        "acknowledge",
        "ack",
        "Acknowledge the alerts shown (written to the audit log)",
        in_footer=False,
    ),
    Key("f5", "F5", "poll_now", "refresh", "Poll the server now", in_footer=False),
    Key(
        "ctrl+l",
        "ctrl+l",
        "redraw",
        "redraw",
        "Redraw the whole screen (after another program wrote over it)",
        in_footer=False,
    ),
    Key("question_mark", "?", "help", "help", "Keys, states and thresholds"),
    Key("q", "q", "quit", "quit", "Quit the dashboard", in_footer=False),
)

#: Keys handled by the panes themselves, for the help screen.
PANE_KEYS: tuple[tuple[str, str], ...] = (
    ("arrows, h j k l", "Move between tiles, and on into the campaigns pane"),
    ("tab, shift+tab", "Switch between the agent grid and the campaigns pane"),
    ("home/end, pgup/pgdn", "Jump through the agent grid or list"),
    ("t", "Sort the agent list: state and time in it, name, queue"),
    ("ctrl+p", "Command palette: every action by name"),
)

FLOOR_ACTIONS = frozenset(key.action for key in KEYS if key.changes_floor)


def bindings() -> list[Binding]:
    return [
        Binding(key.keys, key.action, key.label, show=key.in_footer, tooltip=key.help)
        for key in KEYS
    ]


__all__ = ["FLOOR_ACTIONS", "KEYS", "PANE_KEYS", "Key", "bindings", "floor_key"]
