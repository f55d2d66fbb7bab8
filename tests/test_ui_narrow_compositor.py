"""The narrow compositor writes what Textual's own compositor writes, cell for cell.

It asks each widget only for the lines a refreshed region meets and that widgets in front
do not cover: a mistake there would leave old cells on the terminal (a line not redrawn)
or draw a widget over the one in front of it. Random refreshes on a screen shaped like the
floor's (a header, narrow columns in a scrolled container, a pane beside them, a layer over
both, a footer) are rendered by both compositors, and their output compared."""

from __future__ import annotations

import random
from pathlib import Path

from fixtures.garbage import cyclic_garbage
from rich.segment import Segment
from rich.style import Style
from test_ui_support import scripted_app, snapshot
from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Region, Size
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer, Static

from wallboard.ui.narrow_compositor import NarrowCompositor, NarrowScreen
from wallboard.ui.wall import WallScreen

COLOURS = ("red", "green", "yellow", "blue", "magenta", "cyan")


class Column(Widget):
    """A Line API column whose lines change with `turn` (each line its own styles)."""

    DEFAULT_CSS = "Column { width: 9; height: 40; }"

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.seed = seed
        self.turn = 0

    def render_line(self, y: int) -> Strip:
        mark = (self.seed * 31 + y * 7 + self.turn) % 97
        return Strip(
            [
                Segment(f"{mark:02d}", Style(color=COLOURS[mark % 6], bold=mark % 2 == 0)),
                Segment(f" {y:>3} ", Style(bgcolor=COLOURS[(mark + y) % 6])),
                Segment("···", None),
            ]
        ).adjust_cell_length(self.size.width)


class Floor(App[None]):
    CSS = """
    Screen { layers: base over; }
    #header { height: 1; dock: top; }
    #columns { width: 40; height: 1fr; }
    #columns Horizontal { height: auto; }
    #pane { width: 1fr; }
    #toast { layer: over; offset: 22 6; width: 24; height: 3; background: red; }
    """

    def get_default_screen(self) -> Screen[object]:
        return NarrowScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield Static("header", id="header")
        with Horizontal():
            with VerticalScroll(id="columns"), Horizontal():
                yield from (Column(seed) for seed in range(4))
            yield Static("\n".join(f"campaign {n} dialled {n * 3}" for n in range(30)), id="pane")
        yield Static("a toast\nover both", id="toast")
        yield Footer()


def _region(rng: random.Random, size: Size) -> Region:
    x, y = rng.randrange(size.width), rng.randrange(size.height)
    return Region(x, y, rng.randint(1, size.width - x), rng.randint(1, min(6, size.height - y)))


async def test_random_refreshes_write_what_textuals_compositor_writes() -> None:
    app = Floor()
    rng = random.Random(8)
    async with app.run_test(size=(70, 22)) as pilot:
        app.query_one("#columns", VerticalScroll).scroll_to(y=5, animate=False)
        await pilot.pause()
        compositor = app.screen._compositor
        assert isinstance(compositor, NarrowCompositor) and compositor.narrow
        columns = list(app.query(Column))
        size = compositor.size
        written = 0
        for _ in range(300):
            for column in rng.sample(columns, rng.randint(0, len(columns))):
                column.turn += 1
                column.refresh()  # its cached lines go: both compositors draw them anew
            regions = {_region(rng, size) for _ in range(rng.randint(1, 8))}
            compositor._dirty_regions.update(regions)
            narrow = compositor.render_partial_update()
            compositor._dirty_regions.update(regions)
            stock = Compositor.render_partial_update(compositor)
            assert narrow is not None and stock is not None
            text = narrow.render_segments(app.console)
            assert text == stock.render_segments(app.console), sorted(regions)
            written += len(text)
        assert written > 10_000  # (the cases wrote something to compare)


async def test_the_lines_drawn_are_freed_without_the_garbage_collector() -> None:
    # Textual's Strip.divide caches a whole line in the line's own cache: a reference cycle
    # per line drawn, which only the collector's scans free (most of a big floor's
    # cyclic garbage, and a longer scan every time).
    app = Floor()
    async with app.run_test(size=(70, 22)) as pilot:
        await pilot.pause()
        compositor = app.screen._compositor
        columns = list(app.query(Column))

        def draw_anew() -> None:
            for column in columns:
                column.turn += 1
                column.refresh()
            compositor._dirty_regions.add(compositor.size.region)
            assert compositor.render_partial_update() is not None

        draw_anew()  # the first frame's lines (a full update, Textual's) go
        with cyclic_garbage() as garbage:
            for _ in range(5):
                draw_anew()
        assert [thing for thing in garbage if isinstance(thing, Strip)] == []


async def test_a_frame_with_nothing_refreshed_writes_nothing() -> None:
    app = Floor()
    async with app.run_test(size=(70, 22)) as pilot:
        await pilot.pause()
        compositor = app.screen._compositor
        compositor._dirty_regions.clear()
        assert compositor.render_partial_update() is None


async def test_a_textual_without_the_state_it_reads_gets_textuals_own_update() -> None:
    app = Floor()
    async with app.run_test(size=(70, 22)) as pilot:
        await pilot.pause()
        compositor = app.screen._compositor
        assert isinstance(compositor, NarrowCompositor)
        compositor.narrow = False
        compositor._dirty_regions.add(Region(0, 0, 10, 2))
        update = compositor.render_partial_update()
        assert update is not None
        # Textual's own update fills every piece of the refreshed lines, the narrow one
        # only those a span needs.
        assert all(strip is not None for strip in update.chops[0].values())


async def test_the_floor_and_the_wall_are_drawn_by_it(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [snapshot()])
    async with app.run_test(size=(100, 30)) as pilot:
        await app.next_snapshot()
        assert isinstance(app.screen._compositor, NarrowCompositor)
        app.push_screen(WallScreen())
        await pilot.pause()
        assert isinstance(app.screen._compositor, NarrowCompositor)
