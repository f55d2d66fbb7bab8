"""Fuzzing what receives the server's callbacks: any body is understood or ignored, and a
body that is ignored changes nothing.

The task callback reaches the campaigns registry (`CampaignRegistry.apply_task_callback`)
as parsed JSON, as JSON text, or as a form body whose `detail` field holds the JSON (the
documents describe both). The callback's sender is on the far side of the internet: a
proxy's error page, a truncated post or a hostile body must not raise, and must not touch
the registry file that the dashboard and `wallboard track` share. The callback models
(`BillCallback`, `ExtensionCallEvent`, `TaskFinished`) must take any JSON object.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from wallboard.api.models import ApiModel, BillCallback, ExtensionCallEvent, TaskFinished
from wallboard.live.campaigns import STATUS_BY_CODE, CampaignRegistry
from wallboard.live.receiver import create_receiver
from wallboard.live.snapshot import CampaignStatus

EXAMPLES = int(os.environ.get("WALLBOARD_FUZZ_EXAMPLES", "15")) * 4
TRACKED = ("20260105090000123456", "T1")

SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
STATUS = st.one_of(
    st.sampled_from([3, "3", " 3 ", 1024, "1025", 1026, 1027, "1028", 0, -3, "3.0", 3.0]), JSON
)
TASKID = st.one_of(st.sampled_from([*TRACKED, " T1 ", "t1", "OTHER", ""]), JSON)
#: The company of the server's Login, as the receiver is told it.
COMPANY = "9027"
COMPANYCODE = st.one_of(st.sampled_from([COMPANY, 9027, " 9027 ", 9027.0, "9028", ""]), JSON)
PAYLOAD_DICT = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"taskid": TASKID, "companycode": COMPANYCODE, "status": STATUS, "x": JSON}
    ),
    st.dictionaries(st.text(max_size=8), JSON, max_size=4),
)


def _form(text: str) -> str:
    return "detail=" + urllib.parse.quote(text)


PAYLOAD = st.one_of(
    PAYLOAD_DICT,
    PAYLOAD_DICT.map(lambda d: json.dumps(d)),
    PAYLOAD_DICT.map(lambda d: json.dumps(d).encode()),
    PAYLOAD_DICT.map(lambda d: {"detail": json.dumps(d)}),
    PAYLOAD_DICT.map(lambda d: _form(json.dumps(d))),
    JSON.map(json.dumps),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.text(max_size=40).map(_form),
    st.dictionaries(st.sampled_from(["detail", "taskid"]), JSON, max_size=2),
)


def check_callback(payload: Any) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "campaigns.json"
        registry = CampaignRegistry(path, clock=lambda: 1_767_603_600.0)
        for taskid in TRACKED:
            registry.track(taskid, status=CampaignStatus.RUNNING)
        before = path.read_bytes()
        result = registry.apply_task_callback(payload)
        after = CampaignRegistry(path)  # as another process reads the file
        if result is None:
            assert path.read_bytes() == before
        else:
            assert result.taskid in TRACKED
            assert after.get(result.taskid) == result
            others = [t for t in after.tasks() if t.taskid != result.taskid]
            assert all(t.status is CampaignStatus.RUNNING for t in others)
            assert result.status in {CampaignStatus.OVER, *STATUS_BY_CODE.values()}
        assert registry.problem is None and after.problem is None


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(payload=PAYLOAD)
def test_any_task_callback_is_understood_or_ignored(payload: Any) -> None:
    check_callback(payload)


@pytest.mark.parametrize(
    "payload",
    [
        {"taskid": "T1", "companycode": "9027", "status": 3},
        {"detail": '{"taskid":"T1","status":"1027"}'},
        _form('{"taskid":" T1 ","status":1026}'),
    ],
)
def test_a_callback_it_understands_changes_that_task(payload: Any) -> None:
    """The other half of the property above: it is not passing by ignoring everything."""
    with tempfile.TemporaryDirectory() as scratch:
        registry = CampaignRegistry(Path(scratch) / "campaigns.json")
        registry.track("T1", status=CampaignStatus.NOT_STARTED)
        result = registry.apply_task_callback(payload)
        assert result is not None and result.status is not CampaignStatus.NOT_STARTED
        check_callback(payload)


DEEP = ["[" * 100_000, b"[" * 100_000, {"detail": "[" * 100_000}, _form("[" * 100_000)]


@pytest.mark.parametrize("payload", DEEP, ids=["text", "bytes", "detail", "form"])
def test_a_body_nested_too_deep_is_ignored(payload: Any) -> None:
    """Found by this fuzzing: the JSON parser's RecursionError escaped the registry."""
    check_callback(payload)


MODELS = [BillCallback, ExtensionCallEvent, TaskFinished]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_callback_models_take_any_object(model: type[ApiModel], data: st.DataObject) -> None:
    keys = st.one_of(st.sampled_from(sorted(model.model_fields)), st.text(max_size=6))
    body = data.draw(st.dictionaries(keys, JSON, max_size=8), label="body")
    parsed = model.model_validate(body)
    for name in model.model_fields:
        value = getattr(parsed, name)
        assert value is None or isinstance(value, str | int)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=EXAMPLES // 4, deadline=None)
@given(body=st.one_of(SCALAR, st.lists(JSON, max_size=3)))
def test_callback_models_refuse_what_is_not_an_object(model: type[ApiModel], body: Any) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(body)


# ---------------------------------------------------------------------- over HTTP

CALLBACK_TYPES = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=cb",
        "multipart/form-data",
        "text/plain",
        "",
    ]
)


@st.composite
def callback_body(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.binary(max_size=120))
    if kind == 1:
        return json.dumps(draw(PAYLOAD_DICT)).encode()
    if kind == 2:
        return _form(json.dumps(draw(PAYLOAD_DICT))).encode()
    if kind == 3:  # a multipart form, maybe broken
        detail = draw(st.one_of(PAYLOAD_DICT.map(json.dumps), st.text(max_size=20))).encode()
        name = draw(st.sampled_from([b"detail", b"other", b""]))
        end = draw(st.sampled_from([b"--cb--\r\n", b"--cb", b""]))
        return (
            b'--cb\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n'
            + detail + b"\r\n" + end
        )  # fmt: skip
    return draw(st.text(max_size=60)).encode()


CALLBACK_PATH = "/fuzz-0123456789abcdef"


async def _post_callback(app: Any, content_type: str, body: bytes) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as http:
        headers = {"content-type": content_type} if content_type else {}
        return await http.post(CALLBACK_PATH, content=body, headers=headers)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(content_type=CALLBACK_TYPES, body=callback_body())
def test_the_receiver_answers_any_post_and_changes_only_a_tracked_task(
    content_type: str, body: bytes
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "campaigns.json"
        registry = CampaignRegistry(path, clock=lambda: 1_767_603_600.0)
        for taskid in TRACKED:
            registry.track(taskid, status=CampaignStatus.RUNNING)
        before = {task.taskid: task for task in registry.tasks()}
        receiver = create_receiver(registry, path=CALLBACK_PATH, company_code=lambda: COMPANY)
        response = asyncio.run(_post_callback(receiver, content_type, body))
        assert response.status_code in (200, 400, 403, 413), response.text
        assert response.text.strip(), "an answer says why"
        after = {task.taskid: task for task in CampaignRegistry(path).tasks()}
        changed = [taskid for taskid in TRACKED if after[taskid] != before[taskid]]
        assert set(after) == set(before) and len(changed) <= 1
        if changed:
            assert response.status_code == 200 and changed[0] in response.text
            assert COMPANY in body.decode("utf-8", "replace")  # it carried the company code
