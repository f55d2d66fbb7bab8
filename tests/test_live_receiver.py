"""The callback receiver: the simulator's real task callback, over loopback, marks the
campaign over in the registry and the next snapshot; bill and extension callbacks are
acknowledged; anything else gets 400 with a message, and never changes the registry."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallboard.api.client import WallboardClient
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.model import LiveFloor
from wallboard.live.receiver import MAX_BODY, create_receiver, serve_receiver
from wallboard.live.snapshot import CampaignStatus
from wallboard.sim.callbacks import CallbackTargets
from wallboard.sim.server import Simulator, create_app

EXAMPLES = Path(__file__).parent / "fixtures" / "examples"


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def registry(tmp_path: Path) -> CampaignRegistry:
    made = CampaignRegistry(tmp_path / "campaigns.json")
    made.track("T1", numbers=["13800000001"], status=CampaignStatus.RUNNING)
    return made


@pytest.fixture
async def client(registry: CampaignRegistry) -> AsyncIterator[httpx.AsyncClient]:
    async with _client_of(registry) as made:
        yield made


def _client_of(registry: CampaignRegistry) -> httpx.AsyncClient:
    """The receiver app in process; an exception inside it would fail the test."""
    transport = httpx.ASGITransport(app=create_receiver(registry))
    return httpx.AsyncClient(transport=transport, base_url="http://receiver.test")


async def test_the_simulators_task_callback_ends_the_campaign(tmp_path: Path) -> None:
    registry = CampaignRegistry(tmp_path / "campaigns.json")
    with serve_receiver(registry, "127.0.0.1", 0) as receiver:
        sim = Simulator.from_scenario(
            seed=7, manual_clock=True, callbacks=CallbackTargets(task=receiver.url)
        )
        with sim:
            taskid, task = next(iter(sim.floor.tasks.items()))
            registry.track(taskid, name=task.name, numbers=list(task.numbers))
            transport = httpx.ASGITransport(app=create_app(sim))
            async with WallboardClient(
                "http://sim.test",
                sim.appid,
                sim.accesskey,
                transport=transport,
            ) as api:
                floor = LiveFloor(api, clock=sim.now, registry=registry, tz=dt.UTC)
                sim.advance(60)
                before = await floor.refresh()
                assert _status(before, taskid) is CampaignStatus.RUNNING

                with sim.lock:  # the customer's CRM ends it: only the callback tells us
                    sim.floor.set_task(taskid, 3)
                assert sim.callbacks is not None
                assert sim.callbacks.wait_until(lambda stats: stats.delivered == 1, 10.0)
                assert sim.callbacks.stats.failed == 0

                assert registry.get(taskid).status is CampaignStatus.OVER  # type: ignore[union-attr]
                sim.advance(1.5)
                after = await floor.refresh()
                assert _status(after, taskid) is CampaignStatus.OVER
                assert after.campaigns[-1].taskid == taskid  # finished campaigns come last


def _status(snapshot: Any, taskid: str) -> CampaignStatus:
    return next(view.status for view in snapshot.campaigns if view.taskid == taskid)


@pytest.mark.parametrize(
    "send",
    [
        {"json": {"taskid": "T1", "companycode": "9027", "status": 3}},
        {"files": {"detail": (None, '{"taskid":"T1","companycode":"9027","status":"3"}')}},
        {"data": {"detail": '{"taskid":"T1","status":3}'}},
        {"files": {"detail": ("detail.json", b'{"taskid":" T1 ","status":3}')}},
        {"content": b'{"taskid":"T1","status":3}'},  # no content type at all
    ],
    ids=["json", "multipart", "urlencoded", "file-part", "bare"],
)
async def test_a_task_callback_in_every_documented_form(
    client: httpx.AsyncClient, registry: CampaignRegistry, send: dict[str, Any]
) -> None:
    answer = await client.post("/", **send)
    assert answer.status_code == 200 and answer.text == "task T1: over\n"
    assert registry.get("T1").status is CampaignStatus.OVER  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name",
    [
        "callback_bill",
        "callback_bill_predictive",
        "callback_extension_call",
        "callback_extension_call_predictive",
    ],
)
async def test_bill_and_extension_callbacks_are_acknowledged(
    client: httpx.AsyncClient, registry: CampaignRegistry, name: str
) -> None:
    before = registry.path.read_bytes()
    answer = await client.post("/", files={"detail": (None, json.dumps(example(name)))})
    assert answer.status_code == 200 and "not used" in answer.text
    assert registry.path.read_bytes() == before


async def test_a_task_not_tracked_here_is_acknowledged_and_ignored(
    client: httpx.AsyncClient, registry: CampaignRegistry
) -> None:
    before = registry.path.read_bytes()
    answer = await client.post("/", json=example("callback_task"))
    assert answer.status_code == 200 and "not tracked here" in answer.text
    assert registry.path.read_bytes() == before


@pytest.mark.parametrize(
    ("send", "status", "words"),
    [
        ({"content": b"<html>502 Bad Gateway</html>"}, 400, "not a callback"),
        ({"content": b"\xff\xfe\x00garbage"}, 400, "not a callback"),
        ({"json": [1, 2, 3]}, 400, "not a callback"),
        ({"json": "just text"}, 400, "not a callback"),
        ({"data": {"other": "field"}}, 400, "not a callback"),
        ({"data": {"detail": "{not json"}}, 400, "not a callback"),
        ({"json": {"hello": "world"}}, 400, "not a task, bill or extension call callback"),
        ({"json": {"taskid": "T1"}}, 400, "needs a 'taskid' and a 'status'"),
        ({"json": {"taskid": "", "status": 3}}, 400, "needs a 'taskid' and a 'status'"),
        ({"content": b"[" * 50_000}, 400, "not a callback"),  # nested too deep
        ({"files": {"detail": (None, "[" * 50_000)}}, 400, "not a callback"),
        ({"content": b"x" * (MAX_BODY + 1)}, 413, "at most"),
        (
            {
                "content": b"--b\r\nbroken",
                "headers": {"content-type": "multipart/form-data; boundary=b"},
            },
            400,
            "not a callback",
        ),
        (
            {"content": b"--b\r\n", "headers": {"content-type": "multipart/form-data"}},
            400,
            "not a callback",
        ),
    ],
)
async def test_what_is_not_a_callback_gets_400_and_changes_nothing(
    client: httpx.AsyncClient,
    registry: CampaignRegistry,
    send: dict[str, Any],
    status: int,
    words: str,
) -> None:
    before = registry.path.read_bytes()
    answer = await client.post("/", **send)
    assert answer.status_code == status and words in answer.text
    assert registry.path.read_bytes() == before
    assert registry.get("T1").status is CampaignStatus.RUNNING  # type: ignore[union-attr]


CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "multipart/form-data",
        "text/plain",
    ]
)
BODIES = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.dictionaries(
        st.sampled_from(["taskid", "status", "detail", "billsec"]), st.text(), max_size=3
    )
    .map(json.dumps)
    .map(str.encode),
    st.text(max_size=60).map(
        lambda t: b"--xyz\r\nContent-Disposition: form-data; name=" + t.encode()
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES, content_type=CONTENT_TYPES)
def test_any_body_is_answered_without_a_crash(body: bytes, content_type: str | None) -> None:
    """Whatever arrives, the answer is 200 or 4xx; only an understood task callback for a
    tracked task changes the registry."""
    with tempfile.TemporaryDirectory() as scratch:
        registry = CampaignRegistry(Path(scratch) / "campaigns.json")
        registry.track("T1", status=CampaignStatus.RUNNING)
        before = registry.path.read_bytes()
        headers = {"content-type": content_type} if content_type else {}

        async def post() -> httpx.Response:
            async with _client_of(registry) as client:
                return await client.post("/", content=body, headers=headers)

        answer = asyncio.run(post())
        assert answer.status_code in (200, 400, 413), answer.text
        assert answer.text.endswith("\n") and "Traceback" not in answer.text
        if answer.text != "task T1: over\n":
            assert registry.path.read_bytes() == before


def test_the_receiver_stops_and_frees_its_port(registry: CampaignRegistry) -> None:
    receiver = serve_receiver(registry, "127.0.0.1", 0)
    try:
        assert receiver.running and receiver.url == f"http://127.0.0.1:{receiver.port}/"
        with pytest.raises(OSError):
            serve_receiver(registry, "127.0.0.1", receiver.port)  # the port is taken
        answer = httpx.post(receiver.url, json={"taskid": "T1", "status": 3}, timeout=5.0)
        assert answer.status_code == 200
    finally:
        receiver.stop()
    assert not receiver.running
    with pytest.raises(httpx.ConnectError):
        httpx.post(receiver.url, json={"taskid": "T1", "status": 3}, timeout=5.0)
    assert registry.get("T1").status is CampaignStatus.OVER  # type: ignore[union-attr]
