"""The rules' windows as a user reads them: `wallboard status --json` on a simulator whose
floor began 3 simulated days ago gives each campaign's 24-hour and 30-day abandon figures
equal to a count made straight from the simulator's bills, and the same again after a
restart (a second run reads the store the first one filled)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_history_sim import DAY, straight_count

from wallboard.commands import main
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.history.fold import BUCKET_SECONDS, bucket_of
from wallboard.live.history.windows import HOURS_24
from wallboard.sim.server import Simulator, serve_in_thread


def status_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["status", "--json"]) == 0
    answer: dict[str, Any] = json.loads(capsys.readouterr().out)
    return answer


def test_status_gives_the_windows_of_the_simulators_bills_across_a_restart(
    make_simulator: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sim: Simulator = make_simulator(agents=12, queues=2, campaigns=2)
    start = sim.now()
    sim.advance(3 * DAY)
    now = sim.now()
    registry = CampaignRegistry.default()  # the data dir's, as `wallboard track` writes it
    dialled: dict[str, set[str]] = {task.taskid: set(task.numbers) for task in sim.tasks()}
    for record in sim.floor.bills:
        if record.taskid in dialled:
            dialled[record.taskid].add(record.destnumber)
    for task in sim.tasks():
        registry.track(
            task.taskid,
            name=task.taskid,
            assigned_to=task.assignagent,
            numbers=sorted(dialled[task.taskid]),
        )
    with serve_in_thread(sim) as url:
        monkeypatch.setenv("WALLBOARD_URL", url)
        monkeypatch.setenv("WALLBOARD_APPID", sim.appid)
        monkeypatch.setenv("WALLBOARD_ACCESSKEY", sim.accesskey)
        monkeypatch.setenv("WALLBOARD_TZ", "UTC")
        first = status_json(capsys)
        again = status_json(capsys)  # a restart: the store holds what the first run folded
    day_from = bucket_of(now) - HOURS_24 + BUCKET_SECONDS
    for answer in (first, again):
        campaigns = {line["taskid"]: line for line in answer["campaigns"]}
        assert set(campaigns) == set(dialled)
        for taskid, line in campaigns.items():
            answered, dropped = straight_count(sim, taskid, day_from)
            assert answered > 100  # the floor really dialled
            assert line["abandon_24h"] == pytest.approx(dropped / answered, abs=5e-4)
            assert line["budget_24h"] == max(0, answered * 3 // 100 - dropped)
            answered, dropped = straight_count(sim, taskid, start)
            assert line["abandon_30d"] == pytest.approx(dropped / answered, abs=5e-4)
            assert line["budget_30d"] == max(0, answered * 3 // 100 - dropped)
            assert line["counted_hours_30d"] == pytest.approx(72, abs=0.5)
