"""Line widgets whose lines Textual's styles pipeline need not go through.

Textual draws every line of a widget through its styles cache, which looks up the widget's
border, outline, padding, hatch and text opacity again for each line: some 17 µs a line on
this machine for a tile line whose own drawing takes 8 µs. The floor's busiest widgets (the
columns of tiles, the campaigns, the header's figures) have none of those: for them the
pipeline comes down to the line itself, padded with the background to the widget's width,
tinted while the data is stale, and the app's line filters. `PlainLines` does that much,
exactly as the pipeline would, and leaves any widget that a theme gives a border, padding or
the like to Textual's own way.

What it does not keep is the styles cache's memory of lines drawn: Textual asks a widget for
the lines it has to paint (a refreshed region, a scroll), and the widgets here draw a line
from what they keep in a few microseconds.
"""

from __future__ import annotations

from textual.geometry import Region
from textual.renderables.tint import Tint
from textual.strip import Strip
from textual.widget import Widget

_NO_SPACING = (0, 0, 0, 0)


class PlainLines(Widget):
    """A Line API widget (`render_line`) whose lines skip Textual's styles pipeline while
    nothing in its styles needs it (see the module's notes)."""

    def _plain(self) -> bool:
        """Nothing for the pipeline to draw around, over or through the lines but a tint."""
        styles = self.styles
        return (
            tuple(styles.padding) == _NO_SPACING
            and not any(edge for edge, _color in styles.border)
            and not any(edge for edge, _color in styles.outline)
            and styles.text_opacity == 1.0
            and (not styles.has_rule("hatch") or styles.hatch == "none")
            and self._border_title is None
            and self._border_subtitle is None
            and not self.BLANK
            and self.opacity == 1.0
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        width = self.region.width
        content_width, content_height = self.content_region.size
        if content_width != width or not self._plain():
            return super().render_lines(crop)
        base_background, background = self.background_colors
        inner = self._styles_cache.get_inner_outer(base_background, background)[0].rich_style
        tint = self.styles.tint
        theme = self.app.ansi_theme
        filters = self.get_line_filters()
        strips: list[Strip] = []
        for y in crop.line_range:
            if y < content_height:
                line = self.render_line(y).adjust_cell_length(width, inner)
            else:
                line = Strip.blank(width, inner)
            if tint.a:
                line = Strip(Tint.process_segments(line, tint, theme, background), width)
            for line_filter in filters:
                line = line.apply_filter(line_filter, background)
            strips.append(line)
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips


__all__ = ["PlainLines"]
