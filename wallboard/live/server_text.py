"""Text from the server made safe to show, and the seat names that say nothing.

Names, numbers and queue names come from the server as it stores them; a seatsname with a
control character must never be able to move the cursor or recolour a terminal, nor break
a log line. Servers like the documents' example name a seat `<crmid>_<extnumber>_<queue>`,
which only repeats the extension and queue: the screen shows the agent id instead, and the
words for people (toasts, the audit log) leave it out.
"""

from __future__ import annotations

from wallboard.live.snapshot import AgentView


def clean(text: object) -> str:
    """Server text made safe to print: control characters become spaces, ends trimmed."""
    value = str(text or "")
    if value.isprintable():
        return value.strip()
    return "".join(ch if ch.isprintable() else " " for ch in value).strip()


def seat_crmid(view: AgentView) -> str:
    """The agent id when the seat's name is the `<crmid>_<extnumber>_<queue>` pattern,
    else "" (the name is a real one, or none)."""
    head, _, rest = clean(view.name).partition("_")
    if head.isdigit() and rest == f"{view.extnumber}_{view.queue}":
        return head
    return ""


__all__ = ["clean", "seat_crmid"]
