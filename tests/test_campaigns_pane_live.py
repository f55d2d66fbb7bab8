"""The campaigns pane shows calls in progress every LIVE_EVERY seconds, anything else at once:
with fifty campaigns dialling some live figure changes every second, and a pane that
followed each would rewrite its lines every second. What changes is rewritten alone: the
progress in a column of its own, only the cells that differ."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from test_ui_support import T0, campaign, snapshot
from textual.app import App, ComposeResult
from textual.geometry import Region

from wallboard.live.snapshot import CampaignStatus, CampaignView
from wallboard.ui import campaigns_pane
from wallboard.ui.campaigns_pane import (
    LIVE_EVERY,
    CampaignsPane,
    campaign_lines,
    changed_cells,
    line_count,
    progress_column,
)


class PaneHost(App[None]):
    def compose(self) -> ComposeResult:
        yield CampaignsPane()


def _text(pane: CampaignsPane) -> str:
    return "\n".join(pane.line_text(y) for y in range(4))


def without_live(view: CampaignView) -> CampaignView:
    """The campaign as its finished calls show it: no call in progress counted."""
    if not view.live:
        return view
    return replace(
        view,
        dialled=view.finished_dialled,
        answered=view.finished_answered,
        remaining=max(0, view.total - view.finished_dialled),
        live=0,
        talking=0,
        live_first=0,
    )


def _with_live(view: CampaignView, live: int, talking: int) -> CampaignView:
    """The campaign with `live` calls in progress (`talking` answered), each a new number."""
    base = without_live(view)
    return replace(
        base,
        dialled=base.dialled + live,
        answered=base.answered + talking,
        remaining=max(0, base.total - base.dialled - live),
        live=live,
        talking=talking,
        live_first=live,
    )


async def test_calls_in_progress_show_every_few_seconds_and_the_rest_at_once() -> None:
    spring = campaign("T1", "Spring", dialled=400, answered=200, dropped=4)
    app = PaneHost()
    async with app.run_test(size=(120, 12)) as pilot:
        pane = app.query_one(CampaignsPane)
        pane.show(snapshot({}, [_with_live(spring, 3, 1)], taken_at=T0))
        await pilot.pause()
        assert "dialled 403 (3 live)" in _text(pane)
        # A second later only the calls in progress moved: the pane waits.
        pane.show(snapshot({}, [_with_live(spring, 5, 2)], taken_at=T0 + 1))
        await pilot.pause()
        assert "dialled 403 (3 live)" in _text(pane)
        assert pane.campaigns[0].live == 3  # what the pane shows, and acts on
        # LIVE_EVERY seconds after they were shown, the calls in progress show again.
        pane.show(snapshot({}, [_with_live(spring, 6, 2)], taken_at=T0 + LIVE_EVERY))
        await pilot.pause()
        assert "dialled 406 (6 live)" in _text(pane)
        # A finished call dropped: shown at once, with the calls in progress of the moment.
        dropped = replace(spring, dropped=5)
        pane.show(snapshot({}, [_with_live(dropped, 7, 2)], taken_at=T0 + LIVE_EVERY + 1))
        await pilot.pause()
        assert "dropped 5" in _text(pane) and "dialled 407 (7 live)" in _text(pane)
        # So is a new status.
        paused = replace(dropped, status=CampaignStatus.PAUSED)
        pane.show(snapshot({}, [_with_live(paused, 8, 2)], taken_at=T0 + LIVE_EVERY + 2))
        await pilot.pause()
        assert "PAUSED" in _text(pane) and "dialled 408 (8 live)" in _text(pane)


def _cells(line: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(char, style) for text, style in line for char in text]


@pytest.mark.parametrize("seed", range(100))
def test_changed_cells_cover_every_cell_that_differs(seed: int) -> None:
    """The cells a line's change rewrites: every differing one, from the first to the last."""
    rng = random.Random(seed)
    words = ["dialled ", "59", " (31 live)", " · ", "RUNNING", "▁", "·", "  3% ", "2291 left"]
    styles = ["campaigns--text", "campaigns--bar", "campaigns--trend-ok"]
    old = [(rng.choice(words), rng.choice(styles)) for _ in range(rng.randint(1, 8))]
    new = list(old)
    for _ in range(rng.randint(0, 3)):
        index = rng.randrange(len(new))
        text, style = new[index]
        if rng.random() < 0.5:
            new[index] = (text.replace(rng.choice(text), rng.choice("0123456789")), style)
        else:
            new[index] = (text, rng.choice(styles))
    first, end = changed_cells(old, new)
    before, after = _cells(old), _cells(new)
    differ = [
        i for i in range(max(len(before), len(after))) if before[i : i + 1] != after[i : i + 1]
    ]
    if not differ:
        assert (first, end) == (0, 0)
    else:
        assert first <= differ[0] and end >= differ[-1] + 1


async def test_a_move_of_the_progress_rewrites_its_own_column_alone() -> None:
    """Textual rewrites a widget's changed line from the widget's left edge: the progress,
    at the right of a campaign's first line, has a column of its own, and a move of it
    repaints cells of that column only, with no new layout."""
    spring = campaign("T1", "Spring", dialled=400, remaining=600)
    app = PaneHost()
    async with app.run_test(size=(160, 12)) as pilot:
        pane = app.query_one(CampaignsPane)
        pane.show(snapshot({}, [spring], taken_at=T0))
        await pilot.pause()
        left, right = pane.columns
        assert right.display and right.start == progress_column((spring,), pane.line_width)
        line = pane.line_text(0)
        assert line[right.start :].lstrip().startswith("40% 600 left")
        assert line[left.region.width :] == line[right.start :]  # the columns meet there
        painted: list[tuple[str, Region, bool]] = []
        for name, column in (("left", left), ("right", right)):

            def spy(*regions: Region, name: str = name, **kwargs: bool) -> None:
                painted.extend((name, region, kwargs.get("layout", False)) for region in regions)

            column.refresh = spy  # type: ignore[method-assign]
        pane.show(snapshot({}, [replace(spring, remaining=590)], taken_at=T0 + LIVE_EVERY))
        assert painted and all(name == "right" and not layout for name, _, layout in painted)
        assert [region.y for _, region, _ in painted] == [0]


async def test_lines_out_of_view_are_laid_out_and_drawn_when_scrolled_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Of fifty campaigns in a pane that shows two, only those in the window are laid out
    (the others cost the count of their lines) and compared cell by cell; new figures of a
    campaign out of view lay out nothing, and its lines are laid out and drawn anew when a
    scroll brings them in."""
    laid: list[str] = []

    def counted(view: CampaignView, *args: object, **kwargs: bool) -> object:
        laid.append(view.taskid)
        return campaign_lines(view, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(campaigns_pane, "campaign_lines", counted)
    views = [campaign(f"T{n}", f"Campaign {n}", dropped=n) for n in range(50)]
    app = PaneHost()
    async with app.run_test(size=(160, 8)) as pilot:
        pane = app.query_one(CampaignsPane)
        pane.show(snapshot({}, views, taken_at=T0))
        await pilot.pause()
        assert pane.line_count == 2 * len(views)
        assert 0 < len(set(laid)) <= 4 and "T49" not in laid
        pane.select("T49")  # its lines drawn once, then out of view
        await pilot.pause()
        pane.select("T0")
        await pilot.pause()
        assert round(pane.scroll_offset.y) == 0
        laid.clear()
        last = replace(views[-1], dropped=77, drop_budget=0)
        pane.show(snapshot({}, [*views[:-1], last], taken_at=T0 + 1))
        await pilot.pause()
        assert laid == []
        pane.select("T49")
        await pilot.pause()
        assert "T49" in laid
        top = round(pane.scroll_offset.y)
        assert top > 0
        window = Region(0, top, pane.columns[0].size.width, pane.scrollable_content_region.height)
        drawn = pane.columns[0].render_lines(window)
        assert any("dropped 77" in strip.text for strip in drawn)


@pytest.mark.parametrize("width", [20, 50, 69, 70, 90, 110, 160])
def test_a_campaign_s_line_count_is_that_of_its_lines(width: int) -> None:
    """The pane counts a campaign's lines without laying it out: the count is the lines'."""
    views = [
        campaign("T1", "Spring", dialled=4, answered=1, dropped=0, abandon_rate=0.0),
        campaign("T2", "Autumn", dialled=1234567, answered=765432, live=4321, talking=1234),
        campaign("T3", "Unknown", total=0),
    ]
    for view in views:
        for split in (False, True):
            lines = campaign_lines(view, width, False, split=split)
            assert line_count(view, width, split=split) == len(lines)
