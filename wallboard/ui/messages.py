"""Typed messages from the dashboard's workers and panes: data flows one way, by mail."""

from __future__ import annotations

from typing import Literal

from textual.message import Message
from textual.widget import Widget

from wallboard.live.actions import ActionResult
from wallboard.live.snapshot import FloorSnapshot

Direction = Literal["left", "right", "up", "down"]


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


class Edge(Message):
    """A pane's cursor was asked to move past the pane's edge: the app may move the focus
    to the pane that lies that way (the agent grid and list and the campaigns pane send it)."""

    def __init__(self, pane: Widget, direction: Direction) -> None:
        super().__init__()
        self.pane = pane
        self.direction = direction

    @property
    def control(self) -> Widget:
        return self.pane


__all__ = ["ActionFinished", "Direction", "Edge", "SnapshotArrived"]
