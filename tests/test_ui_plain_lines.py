"""`PlainLines` draws a line widget's lines as Textual's styles pipeline would: the same
strips, tinted or not, cropped or not, with the app's line filters; and a widget whose
styles need the pipeline (padding, a border) is left to it."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.style import Style
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.color import Color
from textual.filter import Monochrome
from textual.geometry import Region
from textual.strip import Strip

from wallboard.ui.plain_lines import FITS, PlainLines, PlainStylesCache, is_plain

LINES = 6


class Lines(PlainLines):
    DEFAULT_CSS = """
    Lines { height: 6; width: 30; background: $panel; }
    """

    def render_line(self, y: int) -> Strip:
        # Shorter than the widget, two colours: the pipeline pads it with the background.
        return Strip(
            [
                Segment(f"line {y} ", Style(color="green", bold=y % 2 == 0)),
                Segment("█" * y, Style(color="red", bgcolor="blue")),
            ]
        )


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Lines()


def _pipeline(widget: Lines, crop: Region) -> list[Strip]:
    """What Textual's own styles pipeline draws for the same lines (a styles cache of its
    own, empty)."""
    return StylesCache().render_widget(widget, crop)


def test_the_installed_textual_is_the_one_written_against() -> None:
    """Another Textual's styles cache draws these widgets its own way (slower): a new
    Textual whose signatures moved shows here first."""
    assert FITS


@pytest.mark.parametrize(
    "crop",
    [Region(0, 0, 30, LINES), Region(0, 2, 30, 3), Region(4, 1, 20, 2), Region(0, 0, 30, 9)],
)
async def test_the_lines_are_the_pipeline_s(crop: Region) -> None:
    app = Host()
    async with app.run_test(size=(40, 10)):
        widget = app.query_one(Lines)
        assert is_plain(widget)
        assert isinstance(widget._styles_cache, PlainStylesCache)
        assert widget.render_lines(crop) == _pipeline(widget, crop)
        widget.styles.tint = Color(40, 40, 40, 0.5)  # stale data fades
        assert widget.render_lines(crop) == _pipeline(widget, crop)
        assert widget.render_lines(crop) != _pipeline_untinted(widget, crop)


def _pipeline_untinted(widget: Lines, crop: Region) -> list[Strip]:
    tint = widget.styles.tint
    widget.styles.tint = Color(0, 0, 0, 0)
    try:
        return _pipeline(widget, crop)
    finally:
        widget.styles.tint = tint


async def test_the_app_s_line_filters_apply() -> None:
    app = Host()
    app._filters.append(Monochrome())  # as Textual does under NO_COLOR
    async with app.run_test(size=(40, 10)):
        widget = app.query_one(Lines)
        assert widget.get_line_filters()
        crop = Region(0, 0, 30, LINES)
        assert widget.render_lines(crop) == _pipeline(widget, crop)


@pytest.mark.parametrize("rule", ["padding", "border", "outline", "opacity"])
async def test_styles_the_pipeline_draws_are_left_to_it(rule: str) -> None:
    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        widget = app.query_one(Lines)
        if rule == "padding":
            widget.styles.padding = (1, 2)
        elif rule == "border":
            widget.styles.border = ("round", "white")
        elif rule == "outline":
            widget.styles.outline = ("solid", "white")
        else:
            widget.styles.opacity = 0.5
        await pilot.pause()
        assert not is_plain(widget)
        crop = Region(0, 0, 30, LINES)
        assert widget.render_lines(crop) == _pipeline(widget, crop)
