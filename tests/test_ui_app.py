"""The floor screen's behaviour on a scripted floor: the header, stale data, polling without
overlap, every key's action through the Supervisor, read-only, the palette and help."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from test_ui_support import (
    T0,
    RecordingClient,
    ScriptedFloor,
    agent,
    campaign,
    scripted_app,
    snapshot,
)
from textual.widgets import Input, Label, Select

from wallboard.live.snapshot import AgentState, CampaignStatus, FloorSnapshot, FloorTotals
from wallboard.ui.app import WallboardApp
from wallboard.ui.commands import FloorCommands
from wallboard.ui.dialogs import AgentDialog, CheckInDialog, ConfirmDialog
from wallboard.ui.floor_header import StaleBanner
from wallboard.ui.help_screen import HelpScreen
from wallboard.ui.keys import FLOOR_ACTIONS

TOTALS = FloorTotals(
    idle=3, ringing=1, talking=7, wrapup=2, paused=1, offline=4, calls_in_progress=7,
    answered_today=400, dropped_today=11,
)  # fmt: skip


def the_floor(totals: FloorTotals = TOTALS, **options: Any) -> FloorSnapshot:
    return snapshot(
        {
            "sales": [
                agent("1001", crmid="501"),
                agent("1002", state=AgentState.TALKING, number="555"),
                agent("1003", state=AgentState.PAUSED, crmid="503", name="Wen Li"),
            ],
            "support": [agent("2001", "support", crmid="601")],
        },
        [campaign("T1", "Spring"), campaign("T2", "Autumn", CampaignStatus.PAUSED)],
        totals=totals,
        **options,
    )


class Notes:
    def __init__(self, app: WallboardApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[tuple[str, str, str]] = []
        original = app.notify

        def notify(
            message: str, *, title: str = "", severity: str = "information", **kw: Any
        ) -> None:
            self.seen.append((title, message, severity))
            original(message, title=title, severity=severity, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(app, "notify", notify)

    def text(self) -> str:
        return "\n".join(f"{t}: {m} ({s})" for t, m, s in self.seen)


async def settle(app: WallboardApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def figure(app: WallboardApp, name: str) -> str:
    return app.header.figure(name)


async def test_header_shows_the_floor_figures_and_the_age(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [the_floor()])
    async with app.run_test(size=(160, 24)):
        await app.wait_for_snapshot()
        assert figure(app, "agents") == "agents:"
        assert figure(app, "idle") == "○ 3 idle"
        assert figure(app, "offline") == "× 4 offline"
        assert figure(app, "calls") == "in progress 7 │"
        assert figure(app, "finished") == "finished calls today:"
        assert figure(app, "answered") == "answered 400"
        assert figure(app, "dropped") == "dropped 11"
        assert figure(app, "abandon") == "abandon 2.8%"
        assert app.header.abandon == "-amber"
        assert figure(app, "updated") == "updated 2 s ago"
        assert not app.banner.has_class("-shown")
        app.header.show_age(app.snapshot, T0 + 1.5)
        assert figure(app, "updated") == "updated just now"
        app.header.show_age(app.snapshot, T0 + 300)
        assert figure(app, "updated") == "updated 5 min ago"


def header_lines(app: WallboardApp) -> list[str]:
    return ["".join(text for text, _style in part.pieces(0)) for part in app.header.parts]


@pytest.mark.parametrize("width", [60, 80, 100, 160])
async def test_every_state_has_a_header_count_that_fits_the_width(
    tmp_path: Path, width: int
) -> None:
    """Missed and disabled agents are counted too, and the words shrink to fit rather than
    the line being cut off (READ-ONLY first: it is never the part that is cut)."""
    totals = replace(TOTALS, missed=5, disabled=6, dropped_15m=2, dropped_60m=5)
    app, _floor, _client = scripted_app(tmp_path, [the_floor(totals)], read_only=True)
    async with app.run_test(size=(width, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        states, today, age = header_lines(app)
        assert states.startswith("READ-ONLY ")
        for glyph, count in zip("○◎●◐‖!×⊘", (3, 1, 7, 2, 1, 5, 4, 6), strict=True):
            assert f"{glyph}{count}" in states.replace(" ", "")
        assert cell_len(states.rstrip()) <= width
        if width >= 80:  # line two shrinks as far as 80 columns, then is cut at the right
            assert cell_len(today.rstrip()) + cell_len(age) <= width
            assert "7 │" in today and "abandon 2.8%" in today
            assert "ans 400" in today or "answered 400" in today
            assert "15m 2 60m 5" in today or "15 min 2 · 60 min 5" in today
        if width >= 100:
            assert "today: answered 400 dropped 11" in today
        if width >= 160:
            assert "! 5 missed" in states and "⊘ 6 disabled" in states
            assert "in progress 7 │ finished calls today: answered 400" in today
            assert "│ dropped 15 min 2 · 60 min 5" in today


async def test_an_abandon_rate_over_no_answered_calls_reads_no_rate(tmp_path: Path) -> None:
    """Nothing answered is no abandon rate, not 0.0%: in the header and in a campaign."""
    quiet = the_floor(replace(TOTALS, answered_today=0, dropped_today=0))
    quiet = replace(quiet, campaigns=(campaign(answered=0, dropped=0, abandon_rate=0.0),))
    app, _floor, _client = scripted_app(tmp_path, [quiet])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        assert figure(app, "abandon") == "abandon –"
        assert app.header.abandon == ""
        screen = app.export_screenshot()
        assert "abandon – of finished" in app.campaigns.render_line(2).text
        assert "0.0%" not in screen


async def test_stale_data_stays_with_its_age_and_the_reason(tmp_path: Path) -> None:
    fresh = the_floor()
    stale = the_floor(stale=True, error="server unreachable")
    app, _floor, _client = scripted_app(tmp_path, [fresh, stale])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        app.poll_now()
        await app.next_snapshot()
        await pilot.pause()
        banner = app.banner
        assert banner.has_class("-shown") and banner.display
        assert "server unreachable" in banner.text
        assert figure(app, "updated") == "STALE 2 s ago"
        assert app.grid.tile_text("sales", "1002") is not None  # the data stays
        app.clock = lambda: T0 + 75
        app._tick()  # the app's once-a-second tick, without waiting a second for it
        await pilot.pause()
        assert figure(app, "updated") == "STALE 75 s ago"


async def test_polls_never_overlap_and_rearm_by_themselves(tmp_path: Path) -> None:
    app, scripted, _client = scripted_app(tmp_path, [the_floor()])
    scripted.gate = asyncio.Event()
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            app.poll_now()
            await pilot.pause()
        assert scripted.running == 1 and scripted.calls == 0
        scripted.delay = 0.05
        scripted.gate.set()
        await app.wait_for_snapshot(4)
        assert not scripted.overlapped
        assert scripted.calls >= 4


async def test_a_failing_refresh_never_reaches_the_screen_as_a_traceback(tmp_path: Path) -> None:
    class Broken(ScriptedFloor):
        async def refresh(self) -> FloorSnapshot:
            raise RuntimeError("boom")

    app, _floor, _client = scripted_app(tmp_path, [the_floor()])
    app.floor = Broken([the_floor()])
    async with app.run_test(size=(80, 24)):
        await app.wait_for_snapshot()
        assert app.is_running
        assert "internal error (RuntimeError)" in app.banner.text


@pytest.mark.parametrize(
    ("keys", "target", "call", "fields"),
    [
        (
            ("o", "y"),  # checking out is confirmed first
            "1001",
            "sign_out",
            {"queuename": "sales", "extnumber": "1001", "crmid": "501"},
        ),
        (
            ("b",),
            "1001",
            "set_agent_status",
            {"settype": 1, "extnumber": "1001", "crmid": "501", "queuename": "sales"},
        ),
        (
            ("i",),
            "1003",  # paused: idle applies
            "set_agent_status",
            {"settype": 2, "extnumber": "1003", "crmid": "503", "queuename": "sales"},
        ),
        (("p",), "T1", "set_task", {"taskid": "T1", "taskstatus": 2}),
        (("r",), "T2", "set_task", {"taskid": "T2", "taskstatus": 1}),  # T2 is paused
    ],
)
async def test_each_key_sends_its_action(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    keys: tuple[str, ...],
    target: str,
    call: str,
    fields: dict,
) -> None:
    app, _floor, client = scripted_app(tmp_path, [the_floor()])
    async with app.run_test(size=(80, 24)) as pilot:
        notes = Notes(app, monkeypatch)
        await app.wait_for_snapshot()
        await pilot.pause()
        assert app.grid.select("sales", target) or app.campaigns.select(target)
        await pilot.press(*keys)
        await settle(app, pilot)
        assert client.calls == [(call, fields)]
        assert notes.seen and notes.seen[-1][2] == "information", notes.text()
    audit = (tmp_path / "audit.jsonl").read_text()
    assert '"outcome":"done"' in audit and '"user":"tester"' in audit


async def test_check_in_asks_for_the_queue_and_the_agent_id(tmp_path: Path) -> None:
    """The selected agent, into the first queue it is not in, under its known agent id."""
    app, _floor, client = scripted_app(tmp_path, [the_floor()])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.press("c")
        dialog = app.screen
        assert isinstance(dialog, CheckInDialog)
        assert dialog.query_one("#agent", Input).value == "1001"
        assert dialog.query_one("#queue", Select).value == "support"
        assert dialog.query_one("#crmid", Input).value == "501"
        await pilot.press("enter")
        await settle(app, pilot)
        assert client.calls == [
            ("sign_in", {"queuename": "support", "extnumber": "1001", "crmid": "501"})
        ]


async def test_an_unknown_agent_id_is_asked_for_and_must_be_digits(tmp_path: Path) -> None:
    app, _floor, client = scripted_app(tmp_path, [the_floor()])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.press("right", "o")  # 1002 has no crmid on the server's answer
        assert isinstance(app.screen, AgentDialog)
        await pilot.press("x", "enter")  # letters are not taken; empty is refused
        assert isinstance(app.screen, AgentDialog)
        assert "is a number" in str(app.screen.query_one("#problem").render())
        await pilot.press("7", "7", "enter")
        await settle(app, pilot)
        assert client.calls == [
            ("sign_out", {"queuename": "sales", "extnumber": "1002", "crmid": "77"})
        ]
        await pilot.press("b")  # remembered for the next action on that agent
        await settle(app, pilot)
        assert client.calls[-1][1]["crmid"] == "77"


async def test_cancelled_dialogs_send_nothing(tmp_path: Path) -> None:
    app, _floor, client = scripted_app(tmp_path, [the_floor()])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.press("c", "escape", "e")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(app, pilot)
        assert client.calls == []


async def test_ending_a_campaign_is_confirmed_first(tmp_path: Path) -> None:
    app, _floor, client = scripted_app(tmp_path, [the_floor()])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        app.campaigns.focus()
        await pilot.press("j", "e")
        assert isinstance(app.screen, ConfirmDialog)
        assert "Autumn" in app.screen.question
        await pilot.press("y")
        await settle(app, pilot)
        assert client.calls == [("set_task", {"taskid": "T2", "taskstatus": 3})]


async def test_an_action_in_flight_cannot_be_sent_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = RecordingClient()
    client.gate = asyncio.Event()
    paused = the_floor()
    paused = replace(paused, campaigns=(campaign("T1", "Spring", CampaignStatus.PAUSED),))
    # The poll that follows the pause shows T1 paused: then it may be resumed.
    app, _floor, _ = scripted_app(tmp_path, [the_floor(), paused], client=client)
    async with app.run_test(size=(80, 24)) as pilot:
        notes = Notes(app, monkeypatch)
        await app.wait_for_snapshot()
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("p", "r")
        await pilot.pause()
        assert len(client.calls) == 1
        assert [t for t, _m, _s in notes.seen] == ["Refused", "Refused"]
        assert "already in progress" in notes.text()
        client.gate.set()
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert [c[1]["taskstatus"] for c in client.calls] == [2, 1]


def audited(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_read_only_hides_and_refuses_every_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The floor's keys are hidden, and a floor key pressed all the same (or an action
    called by name) is refused aloud and written to the audit log, as the README says."""
    app, _floor, client = scripted_app(tmp_path, [the_floor()], read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        notes = Notes(app, monkeypatch)
        await app.wait_for_snapshot()
        shown = {
            binding.action
            for _key, binding, enabled, _tip in app.screen.active_bindings.values()
            if enabled
        }
        assert not shown & FLOOR_ACTIONS
        await pilot.press("c", "o", "b", "i", "p", "r", "e")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmDialog | AgentDialog)
        assert len(notes.seen) == len(FLOOR_ACTIONS)
        lines = audited(tmp_path)
        assert [line["outcome"] for line in lines] == ["refused"] * len(FLOOR_ACTIONS)
        assert [line["action"] for line in lines] == [
            "check in", "check out", "set busy", "set idle",
            "pause campaign", "resume campaign", "end campaign",
        ]  # fmt: skip
        assert lines[1]["target"] == "Agent 1001 (1001) in sales"
        assert lines[4]["target"] == "campaign Spring" and lines[4]["taskid"] == "T1"
        for action in sorted(FLOOR_ACTIONS):  # even when called by name
            getattr(app, f"action_{action}")()
        await settle(app, pilot)
        assert client.calls == []
        assert len(notes.seen) == len(audited(tmp_path)) == 2 * len(FLOOR_ACTIONS)
        assert all(t == "Refused" and "read-only" in m for t, m, _s in notes.seen)
        assert all("read-only" in line["message"] for line in audited(tmp_path))
        assert figure(app, "mode") == "READ-ONLY"


async def test_read_only_refuses_with_nothing_selected_and_ignores_typing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No agent or campaign on screen: still refused as read-only, and audited. A floor
    key typed into the filter is text, not an action."""
    app, _floor, client = scripted_app(tmp_path, [snapshot({})], read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        notes = Notes(app, monkeypatch)
        await app.wait_for_snapshot()
        await pilot.press("o", "e")
        await settle(app, pilot)
        assert [m for _t, m, _s in notes.seen] == [
            "check out not sent: this dashboard is read-only",
            "end campaign not sent: this dashboard is read-only",
        ]
        assert [line["outcome"] for line in audited(tmp_path)] == ["refused", "refused"]
        await pilot.press("slash", "c", "o")
        await settle(app, pilot)
        assert app.filter_input.value == "co"
        assert len(notes.seen) == 2 and len(audited(tmp_path)) == 2
        assert client.calls == []


async def test_the_palette_offers_every_action_by_name(tmp_path: Path) -> None:
    app, _floor, client = scripted_app(tmp_path, [the_floor()])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        provider = FloorCommands(app.screen)
        found = [hit async for hit in provider.discover()]
        names = {str(hit.display) for hit in found}
        assert "Pause the selected campaign" in names and "Quit the dashboard" in names
        hits = [hit async for hit in provider.search("pause campaign")]
        assert hits
        await hits[0].command()
        await settle(app, pilot)
        assert client.calls == [("set_task", {"taskid": "T1", "taskstatus": 2})]

    app, _floor, _client = scripted_app(tmp_path, [the_floor()], read_only=True)
    async with app.run_test(size=(80, 24)):
        names = {str(hit.display) async for hit in FloorCommands(app.screen).discover()}
        assert "Pause the selected campaign" not in names
        assert "Filter agents by extension or name" in names


async def test_question_mark_opens_the_help_and_escape_closes_it(tmp_path: Path) -> None:
    app, _floor, client = scripted_app(tmp_path, [the_floor()])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        said = " ".join(str(label.render()) for label in app.screen.query(Label))
        assert "What the figures count" in said and "counts once" in said
        app.poll_now()  # the floor keeps updating behind a dialog
        await app.next_snapshot()
        await pilot.pause()
        assert app.is_running and figure(app, "updated") == "updated 2 s ago"
        await pilot.press("p")  # no floor action behind a dialog
        await settle(app, pilot)
        assert client.calls == []
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
    assert app.return_value == 0


async def test_themes_are_chosen_by_name(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [the_floor()], theme="high-contrast")
    async with app.run_test(size=(80, 24)):
        await app.wait_for_snapshot()
        assert app.theme == "high-contrast"
        assert app.get_css_variables()["state-idle"] == "#00ff66"
    with pytest.raises(ValueError, match="no theme 'nope'"):
        scripted_app(tmp_path, [the_floor()], theme="nope")


async def test_a_header_figure_that_grows_redraws_what_follows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual rewrites a line only up to the refreshed region's end: when "calls 7"
    becomes "calls 10", the figures after it move and must be rewritten too."""
    grown = the_floor(totals=replace(TOTALS, calls_in_progress=10))
    app, _floor, _client = scripted_app(tmp_path, [the_floor(), grown])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        today = app.header.parts[1]
        regions: list[Any] = []
        original = today.refresh
        monkeypatch.setattr(
            today, "refresh", lambda *r, **k: (regions.extend(r), original(*r, **k))[1]
        )
        app.poll_now()
        await app.next_snapshot()
        line = "".join(text for text, _style in today.pieces(0))
        assert regions and max(r.right for r in regions) >= len(line.rstrip())


async def test_markup_in_server_names_is_shown_as_text(tmp_path: Path) -> None:
    hostile = snapshot(
        {"[b]q[/]": [agent("1001", "[b]q[/]", crmid="5", name="[red]x")]},
        [campaign("T1", "[/] promo [link=x]")],
    )
    app, _floor, client = scripted_app(tmp_path, [hostile])
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.press("c")
        assert isinstance(app.screen, CheckInDialog)
        await pilot.press("escape", "e")
        assert isinstance(app.screen, ConfirmDialog)
        assert "[/] promo" in str(app.screen.query_one(".dialog-question").render())
        await pilot.press("n", "question_mark")
        await pilot.pause()
        assert app.is_running and client.calls == []
        assert "[b]q[/]" in app.grid.line_text(0)


async def test_a_failed_slow_read_says_the_figures_may_be_behind(tmp_path: Path) -> None:
    """Agents fresh, but the bills or the queue list failed: not stale, yet not silent."""
    behind = replace(the_floor(), error="server error in GetBill (500 server error)")
    app, _floor, _ = scripted_app(tmp_path, [behind])
    async with app.run_test(size=(80, 24)):
        await app.wait_for_snapshot()
        banner = app.query_one(StaleBanner)
        assert banner.has_class("-shown") and banner.has_class("-behind")
        assert "figures may be behind" in banner.text and "GetBill" in banner.text
        assert "showing the last good data" not in banner.text
