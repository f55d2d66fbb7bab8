"""The one cache of Rich styles for the widgets that draw line by line.

A line-drawn widget asks for the same few styles (its component classes and its own base
style) for every segment of every line it draws. Textual clears a widget's own cache of
component styles on every repaint, and works `rich_style` out from all the widget's
ancestors each time it is asked: on a floor of 2,000 tiles that is most of a frame. So each
such widget keeps a `ComponentStyles`, filled on first use and emptied only when its styles
change (`notify_style_update`, or a pseudo-class such as `:focus` on a parent that its
component styles depend on).

A plain dict, not `textual.cache.LRUCache`: the names are a fixed, small set, so there is
nothing to evict, and a lookup here is on the hottest path of drawing, where the LRU's
bookkeeping would cost more than the style it saves.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from textual.widget import Widget

#: The key of the widget's own style (its background and colour), for blank cells.
BASE = "base"


class ComponentStyles:
    """The Rich style of each of a widget's component classes, and of the widget itself.

    Looked up by component class name, without `prefix` if one is given
    (`ComponentStyles(w, {"header--text"}, prefix="header--")["text"]`), or by `BASE`.
    """

    __slots__ = ("_names", "_prefix", "_table", "_widget")

    def __init__(self, widget: Widget, names: Iterable[str], *, prefix: str = "") -> None:
        self._widget = widget
        self._names = tuple(names)
        self._prefix = prefix
        self._table: dict[str, Style] | None = None

    def __getitem__(self, name: str) -> Style:
        return self.table()[name]

    def table(self) -> dict[str, Style]:
        """Every style by name: made now if the widget's styles changed since last time."""
        table = self._table
        if table is None:
            get = self._widget.get_component_rich_style
            cut = len(self._prefix)
            table = {
                name[cut:] if name.startswith(self._prefix) else name: get(name)
                for name in self._names
            }
            table[BASE] = self._widget.rich_style
            self._table = table
        return table

    def clear(self) -> None:
        """Forget the styles: the widget's styles changed (they are made again when drawn)."""
        self._table = None


__all__ = ["BASE", "ComponentStyles"]
