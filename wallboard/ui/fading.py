"""Stale data fades towards the theme's `stale-dim`: a tint set on each widget that shows it.

Not a CSS class on a container: a class restyles everything below it, and Textual's restyle
leaves small style nodes in reference cycles for every widget's component classes, while a
server that answers slowly may turn the dimming on and off every few seconds (the floor and
the wall check it every second). An inline tint only repaints. The callers tint again every
second, so a widget mounted meanwhile (a new column of tiles) fades too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from textual.color import Color
from textual.widget import Widget

from wallboard.ui.themes import STALE_DIM, variable_defaults


class Themed(Protocol):
    """What the tint is read from: the app, with its theme's variables."""

    def get_css_variables(self) -> dict[str, str]: ...


def _stale_tint(app: Themed) -> Color:
    """The theme's `stale-dim` (a colour and its strength), or the default theme's."""
    return Color.parse(app.get_css_variables().get(STALE_DIM) or variable_defaults(None)[STALE_DIM])


def fade(widgets: Iterable[Widget], faded: bool, app: Themed) -> None:
    """Tint `widgets` while `faded`; take the tint off after (a repaint only when it moves)."""
    tint = _stale_tint(app) if faded else None
    for widget in widgets:
        widget.styles.tint = tint


__all__ = ["Themed", "fade"]
