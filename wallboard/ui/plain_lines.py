"""Line widgets whose lines Textual's styles pipeline need not go through.

Textual draws every line of a widget through its styles cache, which looks up the widget's
border, outline, padding, hatch and text opacity again for each line: some 17 µs a line on
this machine, for a tile line whose own drawing takes 8 µs. The floor's busiest widgets (the
columns of tiles, the campaigns, the header's figures) have none of those: for them a line
comes down to the line itself, padded with the background to the widget's width and tinted
while the data is stale. `PlainLines` gives such a widget a styles cache (Textual's own,
which keeps the lines drawn and knows which a refresh made dirty, and applies the app's line
filters) whose line is drawn that way, exactly as the pipeline would draw it, once a call
has found nothing else in the widget's styles; a widget that a theme gives a border,
padding or the like is drawn by Textual's pipeline as before.

Textual's `StylesCache` is a private class (`textual._styles_cache`): this subclasses it and
overrides the two methods a widget's drawing goes through, `render_widget` and
`render_line`, with the signatures of Textual 8.2. They are checked when this is imported
(`FITS`): under a Textual whose differ, the widgets are drawn Textual's own way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from rich.terminal_theme import TerminalTheme
from textual._styles_cache import StylesCache
from textual.color import Color
from textual.content import Content
from textual.css.styles import StylesBase
from textual.geometry import Region, Size, Spacing
from textual.renderables.tint import Tint
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget

_NO_SPACING = (0, 0, 0, 0)
#: `StylesCache.render_line`'s parameters as overridden here.
_LINE_PARAMETERS = (
    "self", "styles", "y", "size", "content_size", "padding", "base_background", "background",
    "render_content_line", "border_title", "border_subtitle", "opacity", "ansi_theme",
    "native_ansi",
)  # fmt: skip


def _parameters(method: Callable[..., object]) -> tuple[str, ...]:
    return tuple(inspect.signature(method).parameters)


_WIDGET_PARAMETERS = ("self", "widget", "crop")  # and `render_widget`'s
#: Whether this Textual's styles cache is the one `PlainStylesCache` was written against.
FITS = (_parameters(StylesCache.render_line), _parameters(StylesCache.render_widget)) == (
    _LINE_PARAMETERS,
    _WIDGET_PARAMETERS,
)

_Label = tuple[Content, Color, Color, Style] | None


def is_plain(widget: Widget) -> bool:
    """Nothing in the widget's styles for the pipeline to draw around, over or through its
    lines but a tint: no padding, border, outline, hatch, border title, text opacity or
    opacity, and no scrollbar beside its content."""
    styles = widget.styles
    return (
        tuple(styles.padding) == _NO_SPACING
        and not any(edge for edge, _color in styles.border)
        and not any(edge for edge, _color in styles.outline)
        and styles.text_opacity == 1.0
        and (not styles.has_rule("hatch") or styles.hatch == "none")
        and widget.border_title is None
        and widget.border_subtitle is None
        and not widget.BLANK
        and widget.opacity == 1.0
        and widget.content_region.width == widget.region.width
    )


class PlainStylesCache(StylesCache):
    """Textual's styles cache, whose lines of a plain widget (`is_plain`) skip the per-line
    look-ups of styles the widget does not have."""

    def __init__(self) -> None:
        super().__init__()
        self.plain = False  # as found by the last `render_widget`

    def render_widget(self, widget: Widget, crop: Region) -> list[Strip]:
        self.plain = is_plain(widget)
        return super().render_widget(widget, crop)

    def render_line(
        self,
        styles: StylesBase,
        y: int,
        size: Size,
        content_size: Size,
        padding: Spacing,
        base_background: Color,
        background: Color,
        render_content_line: Callable[[int], Strip],
        border_title: _Label,
        border_subtitle: _Label,
        opacity: float,
        ansi_theme: TerminalTheme,
        native_ansi: bool,
    ) -> Strip:
        if not self.plain:
            return super().render_line(
                styles,
                y,
                size,
                content_size,
                padding,
                base_background,
                background,
                render_content_line,
                border_title,
                border_subtitle,
                opacity,
                ansi_theme,
                native_ansi,
            )
        width = size.width
        inner = self.get_inner_outer(base_background, background)[0].rich_style
        if y < content_size.height:
            line = render_content_line(y).adjust_cell_length(width, inner)
        else:
            line = Strip.blank(width, inner)
        tint = styles.tint
        if tint.a:
            line = Strip(Tint.process_segments(line, tint, ansi_theme, background), width)
        return line


class PlainLines(Widget):
    """A Line API widget (`render_line`) drawn through `PlainStylesCache` (where `FITS`)."""

    def __init__(
        self,
        *children: Widget,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(*children, name=name, id=id, classes=classes, disabled=disabled)
        if FITS:
            self._styles_cache = PlainStylesCache()


__all__ = ["FITS", "PlainLines", "PlainStylesCache", "is_plain"]
