"""Comma-list calls split long lists into batches, run them concurrently (bounded) and join
the answers in the order asked, whatever order the server answers in."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fixtures.fake_api import ACCESSKEY, APPID, FakeApi, refused

from wallboard.api.client import WallboardClient
from wallboard.api.errors import BadRequest

CALL_STATUS = "App.Sip_Status.GetSipCallStatus"


def _client(fake: FakeApi, **options: Any) -> WallboardClient:
    return WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport(), **options
    )


async def test_twelve_hundred_extensions_in_six_concurrent_batches_joined_in_order() -> None:
    fake = FakeApi()
    extensions = [str(800000 + n) for n in range(1200)]
    started: list[asyncio.Event] = []
    all_started = asyncio.Event()

    async def answer_in_reverse(fields: dict[str, str]) -> dict[str, Any]:
        # Every batch waits until all six are in flight, then the last one answers first.
        mine = asyncio.Event()
        started.append(mine)
        if len(started) == 6:
            all_started.set()
        await all_started.wait()
        index = started.index(mine)
        if index < 5:
            await started[index + 1].wait()
        rows = [{"extnumber": e, "status": "1204"} for e in fields["extnumber"].split(",")]
        mine.set()
        return {"ret": 200, "data": {"status": 0, "result": rows}, "msg": ""}

    fake.handlers[CALL_STATUS] = answer_in_reverse
    async with _client(fake, batch_size=200, concurrency=8) as client:
        answer = await asyncio.wait_for(client.call_status(extensions), timeout=10)
    batches = [f["extnumber"].split(",") for f in fake.sent(CALL_STATUS)]
    assert len(batches) == 6
    assert all(len(batch) == 200 for batch in batches)
    assert sorted(e for batch in batches for e in batch) == sorted(extensions)
    assert fake.most_in_flight == 6
    assert [row.extnumber for row in answer] == extensions
    assert {row.status for row in answer} == {1204}


async def test_concurrency_is_bounded() -> None:
    fake = FakeApi()
    async with _client(fake, batch_size=10, concurrency=3) as client:
        answer = await client.register_status([str(n) for n in range(95)])
    assert len(fake.sent("App.Sip_Status.GetSipRegisterStatus")) == 10
    assert fake.most_in_flight <= 3
    assert [row.extnumber for row in answer] == [str(n) for n in range(95)]
    assert {row.code for row in answer} == {1017}


async def test_a_comma_text_is_accepted_and_blanks_dropped() -> None:
    fake = FakeApi()
    async with _client(fake, batch_size=2) as client:
        answer = await client.valid_status(" 1001, ,1002,1003,")
    assert [f["extnumber"] for f in fake.sent("App.Sip_Status.GetSipValidStatus")] == [
        "1001,1002",
        "1003",
    ]
    assert [(row.extnumber, row.code) for row in answer] == [
        ("1001", 1016),
        ("1002", 1016),
        ("1003", 1016),
    ]


async def test_no_extensions_means_no_call() -> None:
    fake = FakeApi()
    async with _client(fake) as client:
        assert await client.call_status([]) == []
        assert await client.call_status(" , ") == []
    assert fake.requests == []


async def test_one_failing_batch_fails_the_call_with_its_own_error() -> None:
    fake = FakeApi()
    calls = 0

    async def third_fails(fields: dict[str, str]) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 3:
            return refused(400, "extnumber too long")
        rows = [{"extnumber": e} for e in fields["extnumber"].split(",")]
        return {"ret": 200, "data": {"status": 0, "result": rows}, "msg": ""}

    fake.handlers[CALL_STATUS] = third_fails
    async with _client(fake, batch_size=100, concurrency=1) as client:
        with pytest.raises(BadRequest, match="extnumber too long"):
            await client.call_status([str(n) for n in range(1000)])
    # With one batch at a time the failure stops the rest from being sent.
    assert calls == 3
