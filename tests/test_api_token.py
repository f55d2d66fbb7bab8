"""The token's life: lazy login, renewal before 12 hours, one new login and one repeat after
`ret 600`, and one Login for many concurrent calls that meet an expired token."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fixtures.fake_api import ACCESSKEY, APPID, FakeApi, failed, refused

from wallboard.api.client import WallboardClient
from wallboard.api.errors import BusinessError, ProtocolError, TokenInvalid

LOGIN = "App.Sip_Auth.Login"
AGENTS = "App.Sip_Queue.GetQueueSipStatus"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(fake: FakeApi, **options: Any) -> WallboardClient:
    return WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport(), **options
    )


async def test_login_is_lazy_and_the_token_is_reused() -> None:
    fake = FakeApi()
    async with _client(fake) as client:
        assert fake.requests == []
        await client.queue_agents()
        await client.queues()
        await client.call_status(["1", "2"])
    assert fake.hits[LOGIN] == 1
    tokens = {r.fields["token"] for r in fake.requests if r.service != LOGIN}
    assert tokens == {"token-s3cr3t-1"}


async def test_the_token_is_renewed_before_twelve_hours_pass() -> None:
    fake = FakeApi()
    clock = Clock()
    async with _client(fake, clock=clock) as client:
        await client.queues()
        clock.now += 11 * 3600 + 44 * 60  # 11:44 old: still good
        await client.queues()
        assert fake.hits[LOGIN] == 1
        clock.now += 2 * 60  # 11:46 old: inside the 15 minute margin
        await client.queues()
    assert fake.hits[LOGIN] == 2
    assert fake.sent("App.Sip_Queue.GetQueueList")[-1]["token"] == "token-s3cr3t-2"


async def test_fifty_concurrent_calls_after_the_clock_runs_out_log_in_once() -> None:
    fake = FakeApi()
    clock = Clock()
    async with _client(fake, clock=clock) as client:
        await client.queue_agents()
        clock.now += 12 * 3600
        answers = await asyncio.gather(*(client.queue_agents() for _ in range(50)))
    assert len(answers) == 50
    assert fake.hits[LOGIN] == 2
    assert fake.hits[AGENTS] == 51  # nobody was refused: the token was renewed first


async def test_fifty_concurrent_calls_refused_with_600_cause_exactly_one_login() -> None:
    fake = FakeApi()
    everyone_there = asyncio.Event()
    arrived = 0

    async def agents(fields: dict[str, str]) -> dict[str, Any]:
        # The first token is refused, but only once all 50 calls hold it at the server, so
        # that all 50 meet the refusal together.
        nonlocal arrived
        if fields["token"] == "token-s3cr3t-1":
            arrived += 1
            if arrived == 50:
                everyone_there.set()
            await everyone_there.wait()
            return refused(600, "token invalid")
        return {"ret": 200, "data": {"status": 0, "result": []}, "msg": ""}

    fake.handlers[AGENTS] = agents
    async with _client(fake) as client:
        await client.login()
        answers = await asyncio.gather(*(client.queue_agents() for _ in range(50)))
    assert answers == [[]] * 50
    assert fake.hits[LOGIN] == 2  # the first login, and exactly one after the refusals
    assert fake.hits[AGENTS] == 100  # each call refused once and repeated once
    repeated = [f["token"] for f in fake.sent(AGENTS)[50:]]
    assert set(repeated) == {"token-s3cr3t-2"}


async def test_a_second_600_is_not_followed_by_a_third_try() -> None:
    fake = FakeApi()
    fake.queue(AGENTS, refused(600), refused(600), refused(600))
    async with _client(fake) as client:
        with pytest.raises(TokenInvalid) as caught:
            await client.queue_agents()
    assert caught.value.code == 600
    assert fake.hits[LOGIN] == 2
    assert fake.hits[AGENTS] == 2


async def test_a_mutation_refused_with_600_is_repeated_once_with_the_new_token() -> None:
    fake = FakeApi()
    fake.queue("App.Sip_Yccall.TaskSet", refused(600, "token expired"))
    async with _client(fake) as client:
        answer = await client.set_task("T1", 2)
    assert answer.status == 0
    sent = fake.sent("App.Sip_Yccall.TaskSet")
    assert [f["token"] for f in sent] == ["token-s3cr3t-1", "token-s3cr3t-2"]


async def test_a_refused_login_is_a_clear_business_error_and_is_not_repeated() -> None:
    fake = FakeApi(accesskey="another-key")
    async with _client(fake) as client:
        with pytest.raises(BusinessError) as caught:
            await client.queues()
    assert caught.value.code == 1003
    assert caught.value.service == LOGIN
    assert fake.hits[LOGIN] == 1
    assert fake.hits["App.Sip_Queue.GetQueueList"] == 0


async def test_logout_forgets_the_token_and_the_next_call_logs_in_again() -> None:
    fake = FakeApi()
    async with _client(fake) as client:
        await client.queues()
        answer = await client.logout()
        assert answer.desc == "logout successful"
        assert "token-s3cr3t-1" not in fake.valid_tokens
        await client.queues()
    assert fake.hits[LOGIN] == 2


async def test_a_login_answer_without_a_token_is_a_protocol_error() -> None:
    fake = FakeApi()
    fake.queue(LOGIN, {"ret": 200, "data": {"status": 0, "result": {"companycode": 1}}})
    async with _client(fake) as client:
        with pytest.raises(ProtocolError, match="Login: the login answer holds no token"):
            await client.queues()


async def test_login_failure_code_from_the_server() -> None:
    fake = FakeApi()
    fake.queue(LOGIN, failed("1003", "Authorization failed"))
    async with _client(fake) as client:
        with pytest.raises(BusinessError, match="1003 Authorization failed"):
            await client.login()


async def test_fifty_calls_behind_a_refused_login_send_one_login_and_share_its_error() -> None:
    fake = FakeApi(accesskey="another-key")  # every Login is refused (1003)
    arrived, release = asyncio.Event(), asyncio.Event()

    async def refused_when_released() -> Any:
        arrived.set()
        await release.wait()  # hold the Login in flight while the other calls queue up
        return failed("1003", "Authorization failed")

    fake.queue(LOGIN, refused_when_released())
    async with _client(fake) as client:
        calls = [asyncio.ensure_future(client.queue_agents()) for _ in range(50)]
        await arrived.wait()
        release.set()
        results = await asyncio.gather(*calls, return_exceptions=True)
    assert fake.hits[LOGIN] == 1
    assert fake.hits[AGENTS] == 0
    assert all(isinstance(r, BusinessError) and r.code == 1003 for r in results)
    assert len({id(r) for r in results}) == 50  # each caller its own exception object


async def test_a_call_after_a_refused_login_tries_to_log_in_again() -> None:
    """The refusal is shared only with the calls that waited for it, not remembered."""
    fake = FakeApi()
    fake.queue(LOGIN, failed("1003", "Authorization failed"))
    async with _client(fake) as client:
        with pytest.raises(BusinessError):
            await client.queues()
        assert await client.queues()
    assert fake.hits[LOGIN] == 2


async def test_logout_by_name_logs_in_first_and_is_sent() -> None:
    fake = FakeApi()
    async with _client(fake) as client:
        answer = await client.call("Logout")
    assert answer.desc == "logout successful"
    assert fake.hits[LOGIN] == 1
    assert fake.hits["App.Sip_Auth.Logout"] == 1
    assert fake.sent("App.Sip_Auth.Logout")[0]["token"] == "token-s3cr3t-1"
    assert fake.valid_tokens == set()
