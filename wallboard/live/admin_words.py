"""What a queue's settings, a group's status and an extension's codes mean, in words.

The vendor's queue pages (AddQueue, EditQueue, GetQueueList) give each setting a line of
meaning and a default; a supervisor editing a queue should read that line beside the value,
not look it up. This table is the one place those lines live: the queue screen shows them,
the edit form labels its fields with them, and the administrator checks values against the
ranges here before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

#: EditQueue's/GetQueueList's ringing strategies, as the documents number them.
STRATEGIES: dict[int, str] = {
    1: "longest idle rings first",
    2: "shortest call time rings first",
    3: "all ring at once",
    4: "round robin",
    5: "in order",
    6: "at random",
    7: "fewest answered rings first",
    8: "by priority",
}

#: GetQueueList's `autocall`: the predictive outbound state of a queue.
AUTOCALL: dict[str, str] = {
    "busy": "busy: predictive calls are running on it",
    "idle": "idle: takes predictive calls, none running",
    "unavailable": "unavailable: takes no predictive calls",
}


@dataclass(frozen=True, slots=True)
class QueueSetting:
    """One EditQueue setting: its wire name, its words, the document's default, and the
    values the form accepts (whole numbers from `low` to `high`)."""

    key: str
    label: str
    meaning: str
    default: int
    low: int = 0
    high: int = 86_400
    unit: str = "s"


#: EditQueue's optional settings in the documents' order, each with the document's words.
QUEUE_SETTINGS: tuple[QueueSetting, ...] = (
    QueueSetting(
        "strategy",
        "ringing",
        "which free agent a waiting call rings first",
        1,
        1,
        8,
        unit="",
    ),
    QueueSetting(
        "announcefreq",
        "announce every",
        "how often a waiting customer hears the queue's announcement",
        30,
    ),
    QueueSetting("ringdelay", "ring delay", "how long a call rings an agent", 30, 1, 600),
    QueueSetting("maxwaittime", "max wait", "longest a call waits for an agent (0: no limit)", 0),
    QueueSetting(
        "withnoagenttime",
        "no-agent wait",
        "how long a call waits when no agent is in the queue (0: no limit)",
        0,
    ),
    QueueSetting(
        "noagentrejoiningtime",
        "rejoin after",
        "when no agent is free, a call re-enters the queue after this time",
        5,
    ),
    QueueSetting(
        "discardtime",
        "drop after",
        "an answered customer no agent takes in this time is dropped (abandoned)",
        90,
        1,
    ),
)

SETTING_BY_KEY: dict[str, QueueSetting] = {setting.key: setting for setting in QUEUE_SETTINGS}


def strategy_words(strategy: int | None) -> str:
    """The strategy in words, "1 longest idle rings first"; an undocumented one as its number."""
    if strategy is None:
        return "–"
    words = STRATEGIES.get(strategy)
    return f"{strategy} {words}" if words else str(strategy)


def autocall_words(autocall: str) -> str:
    """GetQueueList's autocall in words; an undocumented value as the server sent it."""
    state = autocall.strip().lower()
    return AUTOCALL.get(state, state or "–")


def setting_words(key: str, value: int | None) -> str:
    """A setting's value as shown: "30 s", "1 longest idle rings first", "–" when absent."""
    if value is None:
        return "–"
    if key == "strategy":
        return strategy_words(value)
    setting = SETTING_BY_KEY.get(key)
    unit = setting.unit if setting is not None else ""
    return f"{value} {unit}".strip()


#: GetExtgroupInfo's group status (AddExtgroup: "1 enable 0 disable"); the documents'
#: example also shows 1042, a code the table lacks: it is shown as its number.
GROUP_STATUS: dict[int, str] = {1: "enabled", 0: "disabled"}


def group_status_words(status: int | None) -> str:
    if status is None:
        return "–"
    return GROUP_STATUS.get(status, f"status {status}")


#: GetGroupExt's `status` (the member's call) and `state` (idle: takes calls; busy: not).
MEMBER_CALL: dict[str, str] = {"hangup": "no call", "ring": "ringing", "answer": "talking"}
MEMBER_STATE: dict[str, str] = {"idle": "idle (takes calls)", "busy": "busy (takes none)"}


def member_call_words(status: str) -> str:
    text = status.strip().lower()
    return MEMBER_CALL.get(text, text or "–")


def member_state_words(state: str) -> str:
    text = state.strip().lower()
    return MEMBER_STATE.get(text, text or "–")


__all__ = [
    "AUTOCALL",
    "GROUP_STATUS",
    "MEMBER_CALL",
    "MEMBER_STATE",
    "QUEUE_SETTINGS",
    "SETTING_BY_KEY",
    "STRATEGIES",
    "QueueSetting",
    "autocall_words",
    "group_status_words",
    "member_call_words",
    "member_state_words",
    "setting_words",
    "strategy_words",
]
