"""The repeated reads are cheap: a queue row the same as in the previous answer comes back as
the same model without being validated again, and nothing else changes for the caller
(leniency, errors, JSON true vs 1, answers that only the standard JSON reader takes)."""

from __future__ import annotations

from typing import Any

import pytest
from fixtures.fake_api import ACCESSKEY, APPID, FakeApi, Raw, ok
from pydantic import TypeAdapter, ValidationError

from wallboard.api.client import WallboardClient
from wallboard.api.errors import ProtocolError
from wallboard.api.models import QueueAgent
from wallboard.api.rows import RowCache


def row(ext: str, state: Any = 1213, **fields: Any) -> dict[str, Any]:
    return {"queuename": "sales", "extnumber": ext, "state": state, "seatsname": ext} | fields


async def two_reads(*answers: Any) -> list[list[QueueAgent]]:
    fake = FakeApi()
    fake.queue("App.Sip_Queue.GetQueueSipStatus", *answers)
    async with WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport()
    ) as client:
        return [await client.queue_agents() for _ in answers]


async def test_an_unchanged_queue_row_is_the_same_model_and_a_changed_one_is_new() -> None:
    first, second = await two_reads(
        ok([row("1001"), row("1002"), row("1003")]),
        ok([row("1001"), row("1002", state=1215), row("1004")]),
    )
    assert second[0] is first[0]
    assert second[1] is not first[1] and second[1].state == 1215
    assert second[2].extnumber == "1004"
    assert [a.extnumber for a in second] == ["1001", "1002", "1004"]  # the answer's order


async def test_a_row_reused_twice_in_a_row_stays_the_same_object() -> None:
    answers = [ok([row("1001"), row("1002", state=s)]) for s in (1213, 1214, 1215)]
    first, second, third = await two_reads(*answers)
    assert first[0] is second[0] is third[0]
    assert len({id(first[1]), id(second[1]), id(third[1])}) == 3


async def test_json_true_is_not_taken_for_the_1_it_equals_in_python() -> None:
    first, second = await two_reads(
        ok([row("1001", status=1, noanswercount=0)]),
        ok([row("1001", status=True, noanswercount=False)]),
    )
    assert first[0].status == 1
    assert second[0] is not first[0]
    assert second[0].status is None  # a JSON true is no status code, as on a first read
    assert second[0] == QueueAgent.model_validate(row("1001", status=True, noanswercount=False))


async def test_loose_types_are_read_the_same_on_every_answer() -> None:
    loose = row(1001, state="1215", callsanswered="7", seatsname=None, wrapuptime=None)
    first, second = await two_reads(ok([loose]), ok([dict(loose)]))
    assert second[0] is first[0]
    assert (first[0].extnumber, first[0].state, first[0].callsanswered) == ("1001", 1215, 7)
    assert (first[0].seatsname, first[0].wrapuptime) == ("", 0)


async def test_a_row_that_cannot_be_read_is_a_protocol_error_naming_its_place() -> None:
    fake = FakeApi()
    good = [row("1001"), row("1002")]
    fake.queue("App.Sip_Queue.GetQueueSipStatus", ok(good), ok([*good, ["not", "a", "row"]]))
    async with WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport()
    ) as client:
        await client.queue_agents()
        with pytest.raises(ProtocolError, match=r"2: "):  # the third row of the answer
            await client.queue_agents()


async def test_answers_only_the_standard_json_reader_takes_are_still_read() -> None:
    body = (
        b'{"ret": 200, "msg": "", "data": {"status": 0, "result": ['
        b'{"queuename": "sales", "extnumber": "1001", "state": NaN, "callsanswered": '
        + str(10**30).encode()
        + b"}]}}"
    )
    (agents,) = await two_reads(Raw(body))
    assert agents[0].extnumber == "1001"
    assert agents[0].state is None
    assert agents[0].callsanswered == 10**30


def test_the_cache_holds_only_the_last_answer() -> None:
    adapter = TypeAdapter(list[QueueAgent])
    cache: RowCache[QueueAgent] = RowCache(("queuename", "extnumber"))
    cache.validate([row("1001"), row("1002")], adapter.validate_python)
    cache.validate([row("1003")], adapter.validate_python)
    assert len(cache) == 1


def test_without_reuse_every_row_is_validated_again() -> None:
    adapter = TypeAdapter(list[QueueAgent])
    cache: RowCache[QueueAgent] = RowCache(("queuename", "extnumber"))
    (first,) = cache.validate([row("1001")], adapter.validate_python)
    (again,) = cache.validate([row("1001")], adapter.validate_python, reuse=False)
    (third,) = cache.validate([row("1001")], adapter.validate_python)
    assert again is not first and again == first
    assert third is again


def test_a_key_field_holding_a_list_is_validated_not_looked_up() -> None:
    adapter = TypeAdapter(list[QueueAgent])
    cache: RowCache[QueueAgent] = RowCache(("queuename", "extnumber"))
    odd = row("1001", queuename=["sales"])
    (first,) = cache.validate([odd], adapter.validate_python)
    (second,) = cache.validate([dict(odd)], adapter.validate_python)
    assert second == first and second is not first


def test_a_failed_batch_is_reported_at_the_rows_place_in_the_answer() -> None:
    adapter = TypeAdapter(list[QueueAgent])
    cache: RowCache[QueueAgent] = RowCache(("queuename", "extnumber"))
    rows = [row("1001"), row("1002")]
    cache.validate(rows, adapter.validate_python)
    with pytest.raises(ValidationError) as caught:
        cache.validate([*rows, 7], adapter.validate_python)
    assert caught.value.errors()[0]["loc"][0] == 2
