"""The repeated reads are cheap: a queue row the same as in the previous answer comes back as
the same model without being decoded or validated again, and nothing else changes for the
caller (leniency, errors, JSON true vs 1, answers that only the standard JSON reader takes,
rows whose text would fool a naive cut of the body)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fixtures.fake_api import ACCESSKEY, APPID, FakeApi, Raw, ok
from pydantic import TypeAdapter, ValidationError

from wallboard.api.client import WallboardClient
from wallboard.api.errors import ProtocolError
from wallboard.api.models import BillPage, QueueAgent
from wallboard.api.rows import (
    ROWS_MARK,
    RowBytesCache,
    RowCache,
    envelope_holds_rows,
    split_rows,
)


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


# -- rows cut out of the body: unchanged rows are not even decoded -------------------------


def _body(rows: list[Any], **data: Any) -> bytes:
    envelope = {"ret": 200, "data": {"status": 0, "desc": "ok", "result": rows, **data}, "msg": ""}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


class Counted:
    """A list validator that remembers how many rows it was given each time."""

    def __init__(self) -> None:
        self.adapter = TypeAdapter(list[QueueAgent])
        self.sizes: list[int] = []

    def __call__(self, rows: list[Any]) -> list[QueueAgent]:
        self.sizes.append(len(rows))
        return self.adapter.validate_python(rows)


def test_a_body_is_cut_into_its_envelope_and_its_rows() -> None:
    rows = [row("1001"), row("1002", state=1215)]
    split = split_rows(_body(rows, reqtime=5, rsptime=6))
    assert split is not None
    envelope = json.loads(split.envelope)
    assert envelope["data"]["result"] == ROWS_MARK
    assert envelope_holds_rows(envelope["data"])
    assert envelope["data"]["rsptime"] == 6
    assert all(raw.startswith(b",{") for raw in split.rows)  # each with its comma
    assert [json.loads(raw[1:] + b"}") for raw in split.rows] == rows


def test_braces_in_the_envelope_around_the_rows_are_not_cut_as_rows() -> None:
    rows = [row("1001"), row("1002", state=1215)]
    body = _body(rows).replace(b'"desc":"ok"', b'"desc":"{o}k}","extra":{"a":{"b":1}}')
    body = body[:-1] + b',"after":{"c":"}}"}}'
    split = split_rows(body)
    assert split is not None
    assert [json.loads(raw[1:] + b"}") for raw in split.rows] == rows
    envelope = json.loads(split.envelope)
    assert envelope["data"]["extra"] == {"a": {"b": 1}} and envelope["after"] == {"c": "}}"}


@pytest.mark.parametrize(
    "body",
    [
        _body([]),  # no rows
        _body({"0": row("1001")}),  # PHP's keyed array
        json.dumps({"ret": 200, "data": {"status": 0, "result": [row("1")]}}).encode(),  # spaces
        _body([row("1001")]).replace(b'"desc":"ok"', b'"desc":"\\u0000rows"'),  # the mark
    ],
    ids=["empty", "keyed", "spaces", "holds the mark"],
)
def test_bodies_of_other_shapes_are_not_cut(body: bytes) -> None:
    assert split_rows(body) is None


def test_only_the_rows_whose_bytes_changed_are_decoded_and_validated() -> None:
    cache: RowBytesCache[QueueAgent] = RowBytesCache()
    validate = Counted()
    first_split = split_rows(_body([row("1001"), row("1002"), row("1003")]))
    second_split = split_rows(_body([row("1001"), row("1002", state=1215), row("1004")]))
    assert first_split is not None and second_split is not None
    first = cache.validate(first_split.rows, validate)
    second = cache.validate(second_split.rows, validate)
    assert first is not None and second is not None
    assert validate.sizes == [3, 2]
    assert second[0] is first[0]
    assert second[1].state == 1215 and second[2].extnumber == "1004"
    assert len(cache) == 3  # the last answer only


def test_a_cut_inside_a_string_or_a_nested_list_is_caught() -> None:
    """`}` inside a row: its pieces are not rows on their own, so the cache declines (and
    the client reads the whole body)."""
    cache: RowBytesCache[QueueAgent] = RowBytesCache()
    for odd in (
        row("1001", seatsname='a},{"b'),
        row("1001", seatsname="a}b"),
        row("1001", seatsname='a},"b'),
        row("1001", seatsname=[{"a": 1}, {"b": 2}]),
        row("1001", seatsname={"a": 1}),
    ):
        split = split_rows(_body([odd, row("1002")]))
        assert split is not None
        assert cache.validate(split.rows, Counted()) is None


def test_a_row_known_from_before_but_not_after_a_comma_is_not_taken_for_a_row() -> None:
    """Every piece is checked for the comma and brace that start a row, so that a row seen
    before cannot stand in for text that is not an array's element."""
    cache: RowBytesCache[QueueAgent] = RowBytesCache()
    validate = Counted()
    good = split_rows(_body([row("1001"), row("1002")]))
    assert good is not None and cache.validate(good.rows, validate) is not None
    glued = _body([row("1001"), row("1002")]).replace(b'},{"queuename"', b'}{"queuename"')
    split = split_rows(glued)
    assert split is not None
    assert cache.validate(split.rows, validate) is None


@pytest.mark.parametrize(
    "tricky",
    [
        row("1001", seatsname='x},{"extnumber":"666"'),
        row("1001", seatsname='x},"extnumber":"666'),
        row("1001", seatsname="a}b"),
        row("1001", seatsname="}]"),
        row("1001", seatsname=[{"a": 1}, {"b": 2}]),
        row("1001", seatsname=ROWS_MARK),
    ],
    ids=[
        "cut in a string",
        "a brace and comma in a string",
        "a brace in a string",
        "end in a string",
        "nested objects",
        "the mark's text",
    ],
)
async def test_rows_that_fool_a_naive_cut_are_read_right_every_time(tricky: dict[str, Any]) -> None:
    answer = ok([row("1000"), tricky, row("1002")])
    expected = TypeAdapter(list[QueueAgent]).validate_python(answer["data"]["result"])
    first, second = await two_reads(answer, json.loads(json.dumps(answer)))
    assert first == expected
    assert second == expected
    assert second[0] is first[0]  # the plain rows are still reused


async def test_a_row_cut_short_is_read_from_the_whole_body_and_refused() -> None:
    good = _body([row("1001"), row("1002")])
    broken = good.replace(b'"extnumber":"1002",', b'"extnumber":"1002",,')
    fake = FakeApi()
    fake.queue("App.Sip_Queue.GetQueueSipStatus", Raw(good), Raw(broken), Raw(broken))
    async with WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport(), sleep=_no_wait
    ) as client:
        await client.queue_agents()
        with pytest.raises(ProtocolError, match="not JSON"):
            await client.queue_agents()
        assert fake.hits["App.Sip_Queue.GetQueueSipStatus"] == 3  # asked once more


async def _no_wait(_: float) -> None:
    return None


def test_rows_that_moved_are_still_the_same_models() -> None:
    """An agent added above the others shifts every row after it: each is still matched
    by its bytes, not only at its old place."""
    cache: RowBytesCache[QueueAgent] = RowBytesCache()
    validate = Counted()
    first_split = split_rows(_body([row("1001"), row("1002"), row("1003")]))
    second_split = split_rows(_body([row("1000"), row("1001"), row("1003", state=1215)]))
    third_split = split_rows(_body([row("1001"), row("1003", state=1215)]))
    assert first_split is not None and second_split is not None and third_split is not None
    first = cache.validate(first_split.rows, validate)
    second = cache.validate(second_split.rows, validate)
    third = cache.validate(third_split.rows, validate)
    assert first is not None and second is not None and third is not None
    assert validate.sizes == [3, 2]  # "1000" and the changed "1003"; nothing on the third
    assert second[1] is first[0]
    assert third == [second[1], second[2]] and third[0] is first[0] and third[1] is second[2]
    assert len(cache) == 2


# ---------------------------------------------------------------------- pages of bills


def bill(number: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": number,
        "extnumber": "1001",
        "destnumber": f"1380000{number:04d}",
        "starttime": "2026-07-14 10:00:00",
        "callmethod": 5,
    } | fields


def page(*bills: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    count = len(bills) if total is None else total
    return ok({"totalitems": count, "currentpage": 1, "itemsperpage": 1000, "bills": list(bills)})


async def page_reads(*answers: Any) -> list[BillPage]:
    fake = FakeApi()
    fake.queue("App.Sip_Cdr.GetBill", *answers)
    async with WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport()
    ) as client:
        window = ("2026-07-14 00:00:00", "2026-07-14 23:59:59")
        return [await client.bills(*window) for _ in answers]


async def test_a_bill_page_read_again_keeps_its_unchanged_bills_and_reads_the_new_ones() -> None:
    later = page(bill(1), bill(2), bill(3, answertime="2026-07-14 10:00:09"), total=3)
    first, second = await page_reads(page(bill(1), bill(2), total=2), later)
    assert second.bills[0] is first.bills[0] and second.bills[1] is first.bills[1]
    assert second.bills[2].id == 3 and second.bills[2].answertime == "2026-07-14 10:00:09"
    assert (second.totalitems, second.currentpage, second.itemsperpage) == (3, 1, 1000)
    assert second == BillPage.model_validate(later["data"]["result"])


@pytest.mark.parametrize(
    "answer",
    [
        page(bill(1, userkey='x},{"id":9'), bill(2)),
        page(bill(1, userkey=[{"a": 1}]), bill(2)),
        page(),
        ok({"totalitems": 0, "bills": None}),
        ok({"totalitems": 1, "bills": {"0": bill(1)}}),
    ],
    ids=["a brace in a text", "a nested object", "no bills", "bills null", "a keyed array"],
)
async def test_bill_pages_a_cut_cannot_read_are_read_whole_and_the_same(answer: Any) -> None:
    first, second = await page_reads(answer, json.loads(json.dumps(answer)))
    whole = BillPage.model_validate(answer["data"]["result"])
    assert first == whole and second == whole


def test_the_rows_of_a_result_object_are_cut_under_their_own_key() -> None:
    body = json.dumps(page(bill(1), bill(2)), separators=(",", ":")).encode()
    split = split_rows(body, "bills")
    assert split is not None
    data = json.loads(split.envelope)["data"]
    assert envelope_holds_rows(data, ("result", "bills"))
    assert not envelope_holds_rows(data)  # the result is an object, not the mark
    assert data["result"]["totalitems"] == 2
    assert [json.loads(raw[1:] + b"}") for raw in split.rows] == [bill(1), bill(2)]


async def test_the_slow_reads_keep_the_extensions_and_registrations_that_did_not_change() -> None:
    def extension(number: str, status: int = 1016) -> dict[str, Any]:
        return {"extnumber": number, "password": "x", "status": status, "register": "reg"}

    def registration(number: str, code: int = 1017) -> dict[str, Any]:
        return {"extnumber": number, "code": code, "clientip": None, "serverip": None}

    fake = FakeApi()
    fake.queue(
        "App.Sip_Sipnum.GetSipnumberInfo",
        ok([extension("1001"), extension("1002")]),
        ok([extension("1001"), extension("1002", status=1013)]),
    )
    fake.queue(
        "App.Sip_Status.GetSipRegisterStatus",
        ok([registration("1001"), registration("1002")]),
        ok([registration("1001", code=1014), registration("1002")]),
    )
    async with WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport()
    ) as client:
        extensions = [await client.extensions() for _ in range(2)]
        registrations = [await client.register_status(["1001", "1002"]) for _ in range(2)]
    assert extensions[1][0] is extensions[0][0]
    assert extensions[1][1].status == 1013 and extensions[1][1] is not extensions[0][1]
    assert registrations[1][1] is registrations[0][1]
    assert registrations[1][0].code == 1014
