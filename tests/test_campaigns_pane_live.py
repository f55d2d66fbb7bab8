"""The campaigns pane shows calls in progress every LIVE_EVERY seconds, anything else at once:
with fifty campaigns dialling some live figure changes every second, and a pane that
followed each would rewrite its lines every second."""

from __future__ import annotations

from dataclasses import replace

from test_ui_support import T0, campaign, snapshot
from textual.app import App, ComposeResult

from wallboard.live.snapshot import CampaignStatus, CampaignView
from wallboard.ui.campaigns_pane import LIVE_EVERY, CampaignsPane


class PaneHost(App[None]):
    def compose(self) -> ComposeResult:
        yield CampaignsPane()


def _text(pane: CampaignsPane) -> str:
    return "\n".join(pane.render_line(y).text for y in range(4))


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
