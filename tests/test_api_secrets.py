"""The accesskey, the token and extension passwords never reach a log line, a repr, an
exception text or a dumped result."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fixtures.fake_api import ACCESSKEY, APPID, TOKEN_PREFIX, FakeApi, FaultTransport, Hang, ok
from fixtures.fake_api import refused as refusal

from wallboard.api.client import WallboardClient
from wallboard.api.errors import ApiError
from wallboard.api.models import Extension, LoginResult

PASSWORD = "ext-pa55word-xyz"
SECRETS = (ACCESSKEY, TOKEN_PREFIX, PASSWORD)


def _clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


async def _no_wait(_: float) -> None:
    return None


async def test_nothing_secret_in_logs_reprs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeApi()
    faults = FaultTransport(fake.transport())
    fake.queue(
        "App.Sip_Sipnum.GetSipnumberInfo",
        ok([{"extnumber": "1001", "password": PASSWORD, "status": 1016, "register": "reg"}]),
    )
    fake.queue("App.Sip_Queue.GetQueueList", refusal(600), refusal(500), refusal(400))
    fake.queue("App.Sip_Yccall.TaskSet", Hang())
    texts: list[str] = []
    client = WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=faults, timeout=0.05, sleep=_no_wait
    )
    async with client:
        login = await client.login()
        texts += [repr(client), str(client), repr(login), str(login.model_dump())]
        extensions = await client.extensions()
        texts += [repr(extensions), str([e.model_dump() for e in extensions])]
        failures: list[Any] = [
            client.queues(),  # 600, a new login, 500 and a retry, then 400
            client.set_task("T1", 1),  # no answer: outcome unknown
            client.sign_in("q", "1001", 1),  # connection lost after sending
        ]
        for index, attempt in enumerate(failures):
            if index == 2:
                faults.drop = 1
            with pytest.raises(ApiError) as caught:
                await attempt
            error = caught.value
            texts += [str(error), repr(error), error.message, error.meaning]
            assert error.__cause__ is None  # nothing chained that could carry the request
        texts.append(repr(client))
    assert fake.logins == 2
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    assert any("logged in" in record.getMessage() for record in caplog.records)
    for text in texts:
        _clean(text)


def test_the_login_result_hides_its_token() -> None:
    result = LoginResult.model_validate({"companycode": 1, "token": TOKEN_PREFIX + "x"})
    assert result.token == TOKEN_PREFIX + "x"  # kept for the client itself
    _clean(repr(result))
    _clean(str(result.model_dump()))
    _clean(result.model_dump_json())


def test_an_extension_password_is_dropped_on_arrival() -> None:
    extension = Extension.model_validate(
        {"extnumber": "100001", "password": PASSWORD, "status": 1016, "register": "nreg"}
    )
    assert not hasattr(extension, "password")
    assert "password" not in extension.model_dump()
    assert extension.model_extra is None  # extra fields are not kept anywhere
    _clean(repr(extension))
    _clean(extension.model_dump_json())


def test_the_client_repr_masks_the_accesskey_and_any_password_in_the_url() -> None:
    client = WallboardClient("http://user:urlpa55@pbx.test:8080/api", APPID, ACCESSKEY)
    text = repr(client)
    assert "***" in text
    assert "urlpa55" not in text
    assert ACCESSKEY not in text
    assert client.base_url == "http://pbx.test:8080/api"
