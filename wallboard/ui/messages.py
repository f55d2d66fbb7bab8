"""Typed messages from the dashboard's workers to its widgets: data flows one way, by mail."""

from __future__ import annotations

from textual.message import Message

from wallboard.live.actions import ActionResult
from wallboard.live.snapshot import FloorSnapshot


class SnapshotArrived(Message):
    """A poll finished: here is the floor as it is now (or the last good data, stale)."""

    def __init__(self, snapshot: FloorSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class ActionFinished(Message):
    """A supervisor's action came back from the server (or was refused)."""

    def __init__(self, key: str, result: ActionResult) -> None:
        super().__init__()
        self.key = key
        self.result = result


__all__ = ["ActionFinished", "SnapshotArrived"]
