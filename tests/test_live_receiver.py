"""The callback receiver: the simulator's real task callback, over loopback, marks the
campaign over in the registry and the next snapshot; bill and extension callbacks are
acknowledged; anything else gets 400 with a message, and never changes the registry.

Callbacks carry no signature, so the receiver trusts only a POST to its secret path, from an
allowed address, with the company code of the server's Login, about a task it tracks: every
forged callback below is refused, logged in one line without the secret, and changes nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import logging
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
from wallboard.live.receiver import (
    MAX_BODY,
    CallbackReceiver,
    create_receiver,
    secret_path,
    serve_receiver,
)
from wallboard.live.snapshot import CampaignStatus
from wallboard.sim.callbacks import CallbackTargets
from wallboard.sim.server import Simulator, create_app

EXAMPLES = Path(__file__).parent / "fixtures" / "examples"
#: The receiver's secret path in these tests, and the company of the server's Login.
PATH = "/cb-0123456789abcdefXYZ"
COMPANY = "9027"
LOCAL = ("127.0.0.1", 40123)
OUTSIDE = ("10.1.2.3", 1234)
RECEIVER_LOG = "wallboard.live.receiver"


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def task_callback(taskid: str = "T1", company: object = COMPANY, status: object = 3) -> str:
    return json.dumps({"taskid": taskid, "companycode": company, "status": status})


@pytest.fixture
def registry(tmp_path: Path) -> CampaignRegistry:
    made = CampaignRegistry(tmp_path / "campaigns.json")
    made.track("T1", numbers=["13800000001"], status=CampaignStatus.RUNNING)
    return made


@pytest.fixture
async def client(registry: CampaignRegistry) -> AsyncIterator[httpx.AsyncClient]:
    async with _client_of(registry) as made:
        yield made


def _client_of(
    registry: CampaignRegistry,
    *,
    sender: tuple[str, int] = LOCAL,
    company: str | None = COMPANY,
    allow: tuple[str, ...] = ("127.0.0.0/8", "::1"),
) -> httpx.AsyncClient:
    """The receiver app in process, posted to from `sender`; an exception inside it would
    fail the test."""
    app = create_receiver(registry, path=PATH, company_code=lambda: company, allow=allow)
    transport = httpx.ASGITransport(app=app, client=sender)
    return httpx.AsyncClient(transport=transport, base_url="http://receiver.test")


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == RECEIVER_LOG and record.levelno == logging.WARNING
    ]


async def test_the_simulators_task_callback_ends_the_campaign(tmp_path: Path) -> None:
    registry = CampaignRegistry(tmp_path / "campaigns.json")
    logged_in: list[str] = []  # the company code of the client's Login, once it has one

    def company_code() -> str | None:
        return logged_in[-1] if logged_in else None

    with serve_receiver(registry, "127.0.0.1", 0, company_code=company_code) as receiver:
        assert receiver.url.startswith(receiver.address + "/")
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
                logged_in.append((await api.login()).companycode)
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
        {"data": {"detail": '{"taskid":"T1","companycode":9027,"status":3}'}},
        {"files": {"detail": ("d.json", b'{"taskid":" T1 ","companycode":" 9027 ","status":3}')}},
        {"content": b'{"taskid":"T1","companycode":9027.0,"status":3}'},  # no content type
    ],
    ids=["json", "multipart", "urlencoded", "file-part", "bare"],
)
async def test_a_task_callback_in_every_documented_form(
    client: httpx.AsyncClient, registry: CampaignRegistry, send: dict[str, Any]
) -> None:
    answer = await client.post(PATH, **send)
    assert answer.status_code == 200 and answer.text == "task T1: ended\n"
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
    ours = {**example(name), "companycode": COMPANY}
    answer = await client.post(PATH, files={"detail": (None, json.dumps(ours))})
    assert answer.status_code == 200 and "not used" in answer.text
    theirs = await client.post(PATH, files={"detail": (None, json.dumps(example(name)))})
    assert theirs.status_code == 403  # the documents' examples are other companies'
    assert registry.path.read_bytes() == before


# ---------------------------------------------------------------------- forged callbacks


def assert_unchanged(registry: CampaignRegistry, before: bytes) -> None:
    assert registry.path.read_bytes() == before
    assert registry.get("T1").status is CampaignStatus.RUNNING  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "company",
    ["anything", "", None, "90270", 9028, ["9027"], {"code": "9027"}, True],
    ids=repr,
)
async def test_a_wrong_company_code_is_refused(
    client: httpx.AsyncClient,
    registry: CampaignRegistry,
    caplog: pytest.LogCaptureFixture,
    company: object,
) -> None:
    before = registry.path.read_bytes()
    body: dict[str, object] = {"taskid": "T1", "status": 3}
    if company is not None:
        body["companycode"] = company
    with caplog.at_level(logging.INFO, logger=RECEIVER_LOG):
        answer = await client.post(PATH, files={"detail": (None, json.dumps(body))})
    assert answer.status_code == 403 and "company code" in answer.text
    assert_unchanged(registry, before)
    assert refusals(caplog) == ["callback from 127.0.0.1 refused: the company code does not match"]


async def test_before_any_login_a_callback_is_deferred(
    registry: CampaignRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    """Until the dashboard has logged in it cannot tell the company's callbacks from forged
    ones: 503, which the server retries later, and nothing changes."""
    before = registry.path.read_bytes()
    with caplog.at_level(logging.INFO, logger=RECEIVER_LOG):
        async with _client_of(registry, company=None) as anonymous:
            answer = await anonymous.post(PATH, content=task_callback())
    assert answer.status_code == 503 and "try again" in answer.text
    assert_unchanged(registry, before)
    assert refusals(caplog) == ["callback from 127.0.0.1 refused: no Login yet"]


async def test_a_task_not_tracked_here_is_refused(
    client: httpx.AsyncClient, registry: CampaignRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    before = registry.path.read_bytes()
    with caplog.at_level(logging.INFO, logger=RECEIVER_LOG):
        answer = await client.post(PATH, content=task_callback("20210222110030244314"))
    assert answer.status_code == 403 and "not tracked here" in answer.text
    assert_unchanged(registry, before)
    assert refusals(caplog) == [
        "callback from 127.0.0.1 refused: task '20210222110030244314' untracked"
    ]


@pytest.mark.parametrize(
    "path",
    ["/", "/callback", PATH + "x", PATH[:-1], PATH.upper(), PATH + "/", "/x" + PATH],
    ids=["root", "other", "longer", "shorter", "case", "slash", "prefixed"],
)
async def test_a_wrong_path_is_not_found(
    client: httpx.AsyncClient,
    registry: CampaignRegistry,
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    before = registry.path.read_bytes()
    with caplog.at_level(logging.DEBUG, logger=RECEIVER_LOG):
        answer = await client.post(path, content=task_callback())
    assert answer.status_code == 404 and answer.text == "not found\n"
    assert_unchanged(registry, before)
    assert refusals(caplog) == ["callback from 127.0.0.1 refused: not the callback path"]
    assert PATH[1:] not in caplog.text  # the secret is never logged


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_the_callback_path_takes_only_posts(
    client: httpx.AsyncClient, registry: CampaignRegistry, method: str
) -> None:
    before = registry.path.read_bytes()
    answer = await client.request(method, PATH, content=task_callback())
    assert answer.status_code == 405
    assert_unchanged(registry, before)


@pytest.mark.parametrize("path", [PATH, "/"], ids=["secret path", "other path"])
async def test_another_source_is_refused_whatever_it_sends(
    registry: CampaignRegistry, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    """The peer's address is judged, not a header: an outsider that knows the secret path
    and the company code is refused, and learns nothing about the path."""
    before = registry.path.read_bytes()
    with caplog.at_level(logging.INFO, logger=RECEIVER_LOG):
        async with _client_of(registry, sender=OUTSIDE) as outsider:
            answer = await outsider.post(
                path,
                content=task_callback(),
                headers={"x-forwarded-for": "127.0.0.1", "x-real-ip": "127.0.0.1"},
            )
    assert answer.status_code == 403 and answer.text == "forbidden\n"
    assert_unchanged(registry, before)
    assert refusals(caplog) == [
        "callback from 10.1.2.3 refused: the address is not in callback_allow"
    ]
    assert PATH[1:] not in caplog.text


@pytest.mark.parametrize(
    ("allow", "sender", "accepted"),
    [
        (("10.1.2.0/24",), OUTSIDE, True),
        (("10.1.2.3",), OUTSIDE, True),
        (("10.1.2.4", "10.9.0.0/16"), OUTSIDE, False),
        (("10.1.2.0/24",), LOCAL, False),  # naming networks replaces loopback
        (("127.0.0.0/8", "::1"), ("::ffff:127.0.0.1", 5), True),  # v4 on a dual-stack socket
        (("127.0.0.0/8", "::1"), ("::1", 5), True),
        (("127.0.0.0/8",), ("::1", 5), False),
        (("127.0.0.0/8", "::1"), ("testclient", 5), False),  # not an address at all
    ],
)
async def test_allowed_sources(
    registry: CampaignRegistry,
    allow: tuple[str, ...],
    sender: tuple[str, int],
    accepted: bool,
) -> None:
    async with _client_of(registry, sender=sender, allow=allow) as poster:
        answer = await poster.post(PATH, content=task_callback())
    assert answer.status_code == (200 if accepted else 403), answer.text
    status = registry.get("T1").status  # type: ignore[union-attr]
    assert status is (CampaignStatus.OVER if accepted else CampaignStatus.RUNNING)


def test_a_receiver_that_cannot_be_trusted_is_not_made(registry: CampaignRegistry) -> None:
    def company() -> str:
        return COMPANY

    for path in ("/", "", "/short", "no-slash-0123456789abcdef", "/has space 0123456789ab"):
        with pytest.raises(ValueError, match="callback path"):
            CallbackReceiver(registry, path=path, company_code=company)
    with pytest.raises(ValueError, match="not an address"):
        CallbackReceiver(registry, path=PATH, company_code=company, allow=["10.1.2.300"])
    with pytest.raises(ValueError, match="loopback only"):
        CallbackReceiver(registry, path=PATH, company_code=company, allow=[])
    receiver = CallbackReceiver(
        registry, path=PATH, company_code=company, allow=[ipaddress.ip_network("10.0.0.0/8")]
    )
    assert PATH[1:] not in repr(receiver) and "10.0.0.0/8" in repr(receiver)
    made = {secret_path() for _ in range(20)}
    assert len(made) == 20 and all(len(path) == 33 for path in made)
    CallbackReceiver(registry, path=made.pop(), company_code=company)


# ---------------------------------------------------------------------- not callbacks


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
        ({"json": {"taskid": "T1", "companycode": COMPANY}}, 400, "needs a 'taskid' and a"),
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
    answer = await client.post(PATH, **send)
    assert answer.status_code == status and words in answer.text
    assert_unchanged(registry, before)


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
        st.sampled_from(["taskid", "status", "detail", "billsec", "companycode"]),
        st.one_of(st.text(), st.just(COMPANY), st.just("T1"), st.just(3)),
        max_size=4,
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
                return await client.post(PATH, content=body, headers=headers)

        answer = asyncio.run(post())
        assert answer.status_code in (200, 400, 403, 413), answer.text
        assert answer.text.endswith("\n") and "Traceback" not in answer.text
        if answer.text != "task T1: ended\n":
            assert registry.path.read_bytes() == before


# ---------------------------------------------------------------------- over loopback


def test_the_receiver_stops_and_frees_its_port(registry: CampaignRegistry) -> None:
    receiver = serve_receiver(registry, "127.0.0.1", 0, path=PATH, company_code=lambda: COMPANY)
    try:
        assert receiver.running and receiver.url == f"http://127.0.0.1:{receiver.port}{PATH}"
        assert PATH[1:] not in repr(receiver)
        with pytest.raises(OSError):
            serve_receiver(registry, "127.0.0.1", receiver.port, company_code=lambda: COMPANY)
        answer = httpx.post(receiver.url, content=task_callback(), timeout=5.0)
        assert answer.status_code == 200 and answer.text == "task T1: ended\n"
    finally:
        receiver.stop()
    assert not receiver.running
    with pytest.raises(httpx.ConnectError):
        httpx.post(receiver.url, content=task_callback(), timeout=5.0)
    assert registry.get("T1").status is CampaignStatus.OVER  # type: ignore[union-attr]


def test_over_a_real_socket_the_peer_address_is_what_counts(registry: CampaignRegistry) -> None:
    """uvicorn's scope carries the connection's peer (127.0.0.1 here), which no header
    changes: a receiver that allows only another network refuses this machine."""
    before = registry.path.read_bytes()
    with serve_receiver(
        registry, "127.0.0.1", 0, company_code=lambda: COMPANY, allow=["10.1.2.0/24"]
    ) as receiver:
        answer = httpx.post(
            receiver.url,
            content=task_callback(),
            headers={"x-forwarded-for": "10.1.2.3", "forwarded": "for=10.1.2.3"},
            timeout=5.0,
        )
    assert answer.status_code == 403
    assert_unchanged(registry, before)


# ---------------------------------------------------------------------- live events


def _events_client(
    registry: CampaignRegistry,
    events: list[Any],
    *,
    sender: tuple[str, int] = LOCAL,
    on_event: Any = None,
) -> httpx.AsyncClient:
    app = create_receiver(
        registry,
        path=PATH,
        company_code=lambda: COMPANY,
        on_event=on_event or events.append,
    )
    transport = httpx.ASGITransport(app=app, client=sender)
    return httpx.AsyncClient(transport=transport, base_url="http://receiver.test")


@pytest.mark.parametrize("form", ["detail", "json"])
async def test_extension_and_bill_callbacks_go_to_the_listener(
    registry: CampaignRegistry, form: str
) -> None:
    from wallboard.live.shared.events import BillEvent, CallEvent

    events: list[Any] = []
    async with _events_client(registry, events) as client:
        for name in ("callback_extension_call", "callback_bill_predictive"):
            ours = {**example(name), "companycode": COMPANY}
            send: dict[str, Any] = (
                {"files": {"detail": (None, json.dumps(ours))}}
                if form == "detail"
                else {"json": ours}
            )
            answer = await client.post(PATH, **send)
            assert answer.status_code == 200 and "not used" not in answer.text
    assert events == [
        CallEvent(
            extnumber="90240005",
            status="ring",
            number="87847569524",
            uuid="526d637c-e8fe-11ea-a849-cf6e45e88543",
        ),
        BillEvent(
            extnumber="000000", number="81211623586", uuid="863ff91e-6a7a-11eb-acf1-5107cdf1d50a"
        ),
    ]


async def test_a_forged_or_unreadable_call_event_reaches_no_listener(
    registry: CampaignRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[Any] = []
    ring = {**example("callback_extension_call"), "companycode": COMPANY}
    async with _events_client(registry, events) as client:
        forged = await client.post(PATH, json={**ring, "companycode": "1234"})
        assert forged.status_code == 403
        nobody = {k: v for k, v in ring.items() if k not in ("extnumber", "caller")}
        unread = await client.post(PATH, json=nobody)
        assert unread.status_code == 400 and "extnumber" in unread.text
    async with _events_client(registry, events, sender=OUTSIDE) as outside:
        assert (await outside.post(PATH, json=ring)).status_code == 403
    assert events == []
    assert len(refusals(caplog)) == 3


async def test_a_failing_listener_does_not_make_the_server_retry(
    registry: CampaignRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: object) -> None:
        raise RuntimeError("the listener is broken")

    ring = {**example("callback_extension_call"), "companycode": COMPANY}
    async with _events_client(registry, [], on_event=broken) as client:
        answer = await client.post(PATH, json=ring)
    assert answer.status_code == 200
    assert any("not applied" in record.getMessage() for record in caplog.records)
