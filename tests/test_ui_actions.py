"""The supervisor's actions on screen: an action that cannot apply is refused before it is
sent (by the Supervisor, so it is audited), checking out is confirmed, the check-in dialog
names agents and keeps their agent ids, every dialog closes with esc or q, and people and
campaigns are named by name in notifications and the audit log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from test_ui_support import agent, campaign, scripted_app, snapshot
from textual.widgets import Button, Input, Label, Select

from wallboard.live.snapshot import AgentState, CampaignStatus, FloorSnapshot
from wallboard.ui.app import WallboardApp
from wallboard.ui.dialogs import (
    AgentChoice,
    AgentDialog,
    CheckInDialog,
    ConfirmDialog,
    StateFilterDialog,
    find_agent,
)
from wallboard.ui.help_screen import HelpScreen


def floor() -> FloorSnapshot:
    return snapshot(
        {
            "sales": [
                agent("1001", name="Ann Lee", crmid="501"),
                agent("1002", state=AgentState.TALKING, name="Bo Chen", number="555"),
                agent("1003", state=AgentState.PAUSED, name="Wen Li", crmid="503"),
                agent("1004", state=AgentState.WRAPUP, name="Ola Berg", crmid="504"),
            ],
            "support": [
                agent("2001", "support", name="Raj Patel", crmid="601"),
                agent("1001", "support", name="Ann Lee", crmid="501"),
            ],
            "renewals": [agent("3001", "renewals", name="Kim Ito", crmid="701")],
        },
        [
            campaign("T1", "Spring"),
            campaign("T2", "Autumn", CampaignStatus.PAUSED),
            campaign("T3", "Winter", CampaignStatus.OVER),
        ],
    )


class Toasts:
    """Every notification the app shows: (title, message)."""

    def __init__(self, app: WallboardApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[tuple[str, str]] = []
        original = app.notify

        def notify(message: str, *, title: str = "", **options: Any) -> None:
            self.seen.append((title, message))
            original(message, title=title, **options)

        monkeypatch.setattr(app, "notify", notify)


def audited(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def settle(app: WallboardApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def started(app: WallboardApp, pilot: Any) -> None:
    await app.wait_for_snapshot()
    await pilot.pause()


# ------------------------------------------------------------------ cannot apply


@pytest.mark.parametrize(
    ("target", "key", "why"),
    [
        ("1001", "i", "Ann Lee (1001) already shows idle in sales: not sent"),
        ("1004", "i", "Ola Berg (1004) already shows idle in sales: not sent"),  # wrap-up
        ("1003", "b", "Wen Li (1003) already shows busy (paused) in sales: not sent"),
        ("T1", "r", "campaign Spring is running already: not sent"),
        ("T2", "p", "campaign Autumn is paused already: not sent"),
        ("T3", "r", "campaign Winter has ended: it cannot be resumed: not sent"),
        ("T3", "p", "campaign Winter has ended: it cannot be paused: not sent"),
        ("T3", "e", "campaign Winter has ended already: not sent"),  # no question first
    ],
)
async def test_an_action_that_cannot_apply_is_refused_saying_why_and_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, key: str, why: str
) -> None:
    app, _floor, client = scripted_app(tmp_path, [floor()])
    async with app.run_test(size=(100, 30)) as pilot:
        toasts = Toasts(app, monkeypatch)
        await started(app, pilot)
        assert app.grid.select("sales", target) or app.campaigns.select(target)
        await pilot.press(key)
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmDialog | AgentDialog)
        assert client.calls == []
        assert toasts.seen == [("Refused", why)]
    (line,) = audited(tmp_path)
    assert (line["outcome"], line["message"]) == ("refused", why)


async def test_checking_in_an_agent_already_in_the_queue_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _floor, client = scripted_app(tmp_path, [floor()])
    async with app.run_test(size=(100, 30)) as pilot:
        toasts = Toasts(app, monkeypatch)
        await started(app, pilot)
        await pilot.press("c")
        dialog = app.screen
        assert isinstance(dialog, CheckInDialog)
        dialog.query_one("#agent", Input).value = "raj"
        dialog.query_one("#queue", Select).value = "support"
        await pilot.pause()
        said = str(dialog.query_one("#who", Label).render())
        assert said == "Raj Patel (2001) is already in support: choose another queue"
        await pilot.press("enter")  # sent all the same: the Supervisor refuses, audited
        await settle(app, pilot)
        assert client.calls == []
        assert toasts.seen == [("Refused", "Raj Patel (2001) is already in support: not sent")]
    assert [line["outcome"] for line in audited(tmp_path)] == ["refused"]


async def test_an_action_right_after_another_is_judged_by_the_server(tmp_path: Path) -> None:
    """b then i before the next poll: the screen still shows the agent idle, which must not
    refuse the i (the b changed it); once the poll shows the change, the screen counts."""
    app, scripted, client = scripted_app(tmp_path, [floor()])
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        gate = scripted.gate = asyncio.Event()  # hold the poll the action brings forward
        try:
            assert app.grid.select("sales", "1001")
            await pilot.press("b")
            await settle_actions(app, pilot)
            await pilot.press("i")
            await settle_actions(app, pilot)
            assert [fields["settype"] for _name, fields in client.calls] == [1, 2]
        finally:
            gate.set()
        await app.wait_for_snapshot(app.snapshot_count + 1)
        await pilot.press("i")  # the floor (scripted) shows 1001 idle again: refused
        await settle(app, pilot)
        assert len(client.calls) == 2


async def settle_actions(app: WallboardApp, pilot: Any) -> None:
    """The actions are done (a poll may still be held open)."""
    for worker in [w for w in app.workers if w.group == "actions"]:
        await worker.wait()
    await pilot.pause()


# ------------------------------------------------------------------ check out


async def test_check_out_asks_first_and_names_the_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _floor, client = scripted_app(tmp_path, [floor()])
    async with app.run_test(size=(100, 30)) as pilot:
        toasts = Toasts(app, monkeypatch)
        await started(app, pilot)
        assert app.grid.select("sales", "1003")
        for no in ("n", "escape", "q"):
            await pilot.press("o")
            assert isinstance(app.screen, ConfirmDialog)
            assert app.screen.question.startswith("Check out Wen Li (1003) of sales?")
            await pilot.press(no)
            await settle(app, pilot)
            assert client.calls == [] and app.is_running
        await pilot.press("o", "y")
        await settle(app, pilot)
        assert client.calls == [
            ("sign_out", {"queuename": "sales", "extnumber": "1003", "crmid": "503"})
        ]
        assert toasts.seen == [("Check out", "checked Wen Li (1003) out of sales")]
    (line,) = audited(tmp_path)
    assert line["target"] == "Wen Li (1003) in sales"
    assert (line["extnumber"], line["name"]) == ("1003", "Wen Li")


# ------------------------------------------------------------------ campaign names


async def test_campaigns_are_named_by_name_in_toasts_and_the_audit_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _floor, client = scripted_app(tmp_path, [floor()])
    async with app.run_test(size=(100, 30)) as pilot:
        toasts = Toasts(app, monkeypatch)
        await started(app, pilot)
        assert app.campaigns.select("T2")
        await pilot.press("r")
        await settle(app, pilot)
        assert client.calls == [("set_task", {"taskid": "T2", "taskstatus": 1})]
        assert toasts.seen == [("Resume campaign", "resumed campaign Autumn")]
    (line,) = audited(tmp_path)
    assert (line["target"], line["taskid"], line["name"]) == ("campaign Autumn", "T2", "Autumn")
    assert "T2" not in line["message"]


async def test_an_ended_campaign_reads_ended(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [floor()])
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        text = "\n".join(
            app.campaigns.render_line(y).text for y in range(app.campaigns.virtual_size.height)
        )
        assert "ENDED" in text and "OVER" not in text


# ------------------------------------------------------------------ the check-in dialog


def choices() -> list[AgentChoice]:
    return [
        AgentChoice("1001", "Ann Lee", "501", frozenset({"sales"})),
        AgentChoice("1002", "Anna Berg", "", frozenset({"sales"})),
        AgentChoice("2001", "Raj Patel", "601", frozenset({"support"})),
    ]


@pytest.mark.parametrize(
    ("text", "found", "why"),
    [
        ("2001", "2001", ""),
        ("raj patel", "2001", ""),
        ("PAT", "2001", ""),
        ("ann lee", "1001", ""),  # a whole name wins over a part of another
        ("ann", None, "2 agents match: Ann Lee (1001), Anna Berg (1002). Type more of the name."),
        ("4444", "4444", ""),  # an extension in no queue yet
        ("nobody", None, "No agent called 'nobody' on the floor: type the extension."),
        ("  ", None, "Which agent? Type a name or an extension."),
    ],
)
def test_an_agent_is_found_by_name_or_extension(text: str, found: str | None, why: str) -> None:
    choice, problem = find_agent(text, choices())
    assert (choice.extnumber if choice else None, problem) == (found, why)


async def test_the_check_in_dialog_opens_on_the_agent_and_its_id_follows_the_agent(
    tmp_path: Path,
) -> None:
    app, _floor, client = scripted_app(tmp_path, [floor()])
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        await app.supervisor.set_busy("4444", "sales", "88")  # an id typed once before
        client.calls.clear()
        assert app.grid.select("sales", "1003")
        await pilot.press("c")
        dialog = app.screen
        assert isinstance(dialog, CheckInDialog)
        assert app.focused is dialog.query_one("#agent", Input)
        field, crmid = dialog.query_one("#agent", Input), dialog.query_one("#crmid", Input)
        assert (field.value, crmid.value) == ("1003", "503")
        assert dialog.query_one("#queue", Select).value == "support"  # one it is not in
        for typed, wanted in (("raj", "601"), ("4444", "88"), ("1002", ""), ("ola", "504")):
            field.value = typed
            await pilot.pause()
            assert crmid.value == wanted, typed
        field.value = ""
        await pilot.press("q")  # a letter in a text field, not a way out
        assert isinstance(app.screen, CheckInDialog) and field.value == "q"
        field.value = "Ola"
        await pilot.press("enter")
        await settle(app, pilot)
        assert client.calls == [
            ("sign_in", {"queuename": "support", "extnumber": "1004", "crmid": "504"})
        ]


async def test_an_agent_in_every_queue_is_not_pre_filled(tmp_path: Path) -> None:
    everywhere = snapshot(
        {
            "sales": [agent("1001", name="Ann Lee", crmid="501")],
            "support": [agent("1001", "support", name="Ann Lee", crmid="501")],
        }
    )
    app, _floor, _client = scripted_app(tmp_path, [everywhere])
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        await pilot.press("c")
        dialog = app.screen
        assert isinstance(dialog, CheckInDialog)
        assert dialog.query_one("#agent", Input).value == ""
        assert dialog.query_one("#crmid", Input).value == ""


# ------------------------------------------------------------------ closing dialogs


@pytest.mark.parametrize("close", ["escape", "q"])
@pytest.mark.parametrize("opening", ["c", "o", "e", "s", "question_mark", "unknown id"])
async def test_esc_and_q_close_every_dialog_without_acting(
    tmp_path: Path, opening: str, close: str
) -> None:
    app, _floor, client = scripted_app(tmp_path, [floor()])
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        if opening == "unknown id":  # 1002 has no agent id: it is asked for
            assert app.grid.select("sales", "1002")
            await pilot.press("b")
        else:
            await pilot.press(opening)
        dialog = app.screen
        assert isinstance(
            dialog, CheckInDialog | AgentDialog | ConfirmDialog | StateFilterDialog | HelpScreen
        )
        if isinstance(dialog, CheckInDialog | AgentDialog):
            dialog.query_one("#cancel", Button).focus()  # q in a text field is a letter
            await pilot.pause()
        await pilot.press(close)
        await settle(app, pilot)
        assert app.screen is not dialog and app.is_running
        assert client.calls == [] and audited(tmp_path) == []


async def test_help_says_how_to_close_it(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [floor()])
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        first = str(app.screen.query(Label).first().render())
        assert "esc" in first and "q" in first and "closes this help" in first
        await pilot.press("question_mark")
        assert not isinstance(app.screen, HelpScreen)
