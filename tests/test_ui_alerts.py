"""Alerts on the floor screen: a campaign past the abandon cap raised from a scripted
snapshot is a toast, a line in the alerts strip and one ring of the bell; it stays until
`a` acknowledges it (read-only too), and the raise, the clear and the acknowledgement are
in the audit log under the supervisor's name."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from test_ui_support import T0, agent, campaign, scripted_app, snapshot

from wallboard.live.alerts import AlertRules
from wallboard.live.snapshot import AgentState, FloorSnapshot
from wallboard.ui.app import WallboardApp


def floor(rate: float, *, dropped: int, taken_at: float = T0) -> FloorSnapshot:
    """One queue dialled for by one running campaign at `rate` abandoned."""
    return snapshot(
        {"sales": [agent("1001", name="Alice"), agent("1002", state=AgentState.TALKING)]},
        [
            campaign(
                "T1", "Spring promo", assigned_to="sales", abandon_rate=rate, dropped=dropped,
                answered=200,
            )
        ],
        taken_at=taken_at,
    )  # fmt: skip


CALM = floor(0.01, dropped=2)
SURGE = floor(0.041, dropped=8, taken_at=T0 + 1)
CALM_AGAIN = floor(0.01, dropped=2, taken_at=T0 + 2)


def audited(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class Bell:
    """Counts the app's bell rings."""

    def __init__(self, app: WallboardApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rings = 0

        def ring() -> None:
            self.rings += 1

        monkeypatch.setattr(app, "bell", ring)


def toasts(app: WallboardApp) -> list[str]:
    return [note.message for note in app._notifications]


async def next_poll(app: WallboardApp, pilot: Any) -> None:
    app.poll_now()
    await app.next_snapshot()
    await pilot.pause()


@pytest.mark.parametrize("read_only", [False, True])
async def test_an_abandon_alert_stays_until_acknowledged_and_is_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_only: bool
) -> None:
    app, _floor, client = scripted_app(
        tmp_path, [CALM, SURGE, CALM_AGAIN, CALM_AGAIN], read_only=read_only
    )
    async with app.run_test(size=(120, 36)) as pilot:
        bell = Bell(app, monkeypatch)
        await app.wait_for_snapshot()
        await pilot.pause()
        assert not app.alerts_strip.has_class("-shown") and bell.rings == 0

        await next_poll(app, pilot)  # the campaign passes 3%
        strip = str(app.alerts_strip.render())
        assert app.alerts_strip.has_class("-shown") and app.alerts_strip.has_class("-red")
        assert "Spring promo" in strip and "4.1%" in strip and "a: acknowledge" in strip
        assert any("Spring promo" in text and "4.1%" in text for text in toasts(app))
        assert bell.rings == 1
        raised = [line for line in audited(tmp_path) if line["action"] == "alert"]
        assert [(line["target"], line["outcome"]) for line in raised] == [("abandon:T1", "raised")]
        assert raised[0]["user"] == "tester" and raised[0]["level"] == "red"

        await next_poll(app, pilot)  # back under: latched, shown as cleared
        await next_poll(app, pilot)
        assert app.alerts_strip.has_class("-shown")
        assert "(cleared)" in str(app.alerts_strip.render())
        assert bell.rings == 1

        await pilot.press("a")
        await pilot.pause()
        assert not app.alerts_strip.has_class("-shown")
        outcomes = [line["outcome"] for line in audited(tmp_path) if line["action"] == "alert"]
        assert outcomes == ["raised", "cleared", "acknowledged"]
        assert client.calls == []  # nothing reached the floor


async def test_the_bell_rings_once_for_alerts_raised_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two campaigns past the cap in one snapshot: one toast that says there are two, one
    ring; the strip counts."""
    both = snapshot(
        {"sales": [agent("1001")]},
        [
            campaign("T1", "Spring promo", abandon_rate=0.041, dropped=8),
            campaign("T2", "Renewals", abandon_rate=0.05, dropped=10),
        ],
    )
    app, _floor, _client = scripted_app(tmp_path, [both])
    async with app.run_test(size=(120, 36)) as pilot:
        bell = Bell(app, monkeypatch)
        await app.wait_for_snapshot()
        await pilot.pause()
        assert bell.rings == 1
        (toast,) = [text for text in toasts(app) if "abandon rate" in text]
        assert "(and 1 more: see the strip)" in toast
        assert "2 alerts: " in str(app.alerts_strip.render())
        app._tick()  # the same snapshot again: nothing new to ring for
        assert bell.rings == 1


async def test_alerts_raised_while_a_toast_is_up_ring_and_count_without_a_new_toast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A floor whose alerts come every few seconds keeps one toast up, not a new one each
    time: a second amber batch while the first toast is up rings and shows in the strip
    only; a red batch after amber ones gets its own toast."""

    def rates(*pairs: tuple[str, float], at: float) -> FloorSnapshot:
        return snapshot(
            {"sales": [agent("1001")]},
            [
                campaign(taskid, f"Campaign {taskid}", abandon_rate=rate, dropped=int(rate * 200))
                for taskid, rate in pairs
            ],
            taken_at=at,
        )

    first = rates(("T1", 0.027), ("T2", 0.01), ("T3", 0.01), at=T0)
    second = rates(("T1", 0.027), ("T2", 0.027), ("T3", 0.01), at=T0 + 1)
    third = rates(("T1", 0.027), ("T2", 0.027), ("T3", 0.05), at=T0 + 2)
    app, _floor, _client = scripted_app(tmp_path, [first, second, third])
    async with app.run_test(size=(120, 36)) as pilot:
        bell = Bell(app, monkeypatch)
        await app.wait_for_snapshot()
        await pilot.pause()
        assert bell.rings == 1
        assert [t for t in toasts(app) if "abandon rate" in t] == [
            t for t in toasts(app) if "Campaign T1" in t
        ]
        await next_poll(app, pilot)  # T2 turns amber while T1's toast is up
        assert bell.rings == 2
        assert not any("Campaign T2" in text for text in toasts(app))
        assert "2 alerts: " in str(app.alerts_strip.render())
        await next_poll(app, pilot)  # T3 goes red: a toast of its own
        assert bell.rings == 3
        assert any("Campaign T3" in text for text in toasts(app))


async def test_no_bell_when_told_not_to_ring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _floor, _client = scripted_app(tmp_path, [CALM, SURGE], bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        bell = Bell(app, monkeypatch)
        await app.wait_for_snapshot()
        await next_poll(app, pilot)
        assert app.alerts_strip.has_class("-shown")
        assert bell.rings == 0


async def test_the_strip_never_moves_the_grid(tmp_path: Path) -> None:
    """The strip shares the banner's row: the grid starts on the same line with or
    without an alert, and the stale banner keeps half the row while both speak."""
    stale = replace(SURGE, stale=True, error="server unreachable")
    app, _floor, _client = scripted_app(tmp_path, [CALM, SURGE, stale])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        top = app.grid.region.y
        row = app.status_row.region
        await next_poll(app, pilot)
        assert app.alerts_strip.has_class("-shown")
        assert app.grid.region.y == top
        assert app.alerts_strip.region == row  # the whole row: the banner has nothing to say
        await next_poll(app, pilot)
        assert app.grid.region.y == top
        assert app.banner.region.y == app.alerts_strip.region.y == row.y
        assert app.banner.region.width == app.alerts_strip.region.width == 40
        assert "server unreachable" in app.banner.text


async def test_given_rules_are_used_and_the_default_follows_the_paused_limit(
    tmp_path: Path,
) -> None:
    """Without rules, an agent paused past the paused ramp's red limit is an alert."""
    from wallboard.ui.thresholds import Thresholds

    paused = snapshot({"sales": [agent("1001", state=AgentState.PAUSED, seconds=700)]})
    limits = Thresholds.with_limits({AgentState.PAUSED: (300, 600)})
    app, _floor, _client = scripted_app(tmp_path, [paused], thresholds=limits)
    assert app.alerts.rules.paused_after == 600
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert "paused for" in str(app.alerts_strip.render())
    strict = AlertRules(paused_after=3600)
    app, _floor, _client = scripted_app(tmp_path, [paused], alert_rules=strict)
    assert app.alerts.rules is strict


async def test_acknowledging_nothing_says_so(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [CALM])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.press("a")
        await pilot.pause()
        assert "No alert to acknowledge." in toasts(app)
        assert not [line for line in audited(tmp_path) if line["action"] == "alert"]


async def test_a_toast_that_comes_or_goes_leaves_the_toast_rack_placed(tmp_path: Path) -> None:
    """Textual hides an empty toast rack; hiding or showing it renumbers the painting order
    of the whole screen, which Textual then repaints in full (some 44 KB at 200x50). Held,
    the rack stays placed, so a toast repaints only its own cells."""
    from textual.widgets._toast import ToastRack

    from wallboard.ui.toasts import hold_toast_racks

    hold_toast_racks()
    hold_toast_racks()  # once is enough; again changes nothing
    app, _floor, _client = scripted_app(tmp_path, [CALM, SURGE, CALM_AGAIN])
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        rack = app.screen.get_child_by_type(ToastRack)
        assert rack.display  # placed from the start (the style sheet)
        await next_poll(app, pilot)
        assert toasts(app) and rack.display
        app.clear_notifications()
        await pilot.pause()
        assert not toasts(app) and rack.display and rack.region.height == 0
