"""Every transport code and business failure becomes its exception, with the code, the
server's message (without the client's secrets) and the documented meaning; malformed answers
are ProtocolErrors naming the service (OutcomeUnknown for a mutation), never a KeyError."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from fixtures.fake_api import ACCESSKEY, APPID, FakeApi, Raw, example, failed, ok, refused

from wallboard.api import codes
from wallboard.api.client import WallboardClient
from wallboard.api.errors import (
    ApiError,
    AppidExpired,
    AppidNotAuthorised,
    BadRequest,
    BusinessError,
    IpNotAuthorised,
    ModuleNotLicensed,
    OutcomeUnknown,
    ProtocolError,
    ServerError,
    TokenInvalid,
    TransportError,
    redact,
)

QUEUES = "App.Sip_Queue.GetQueueList"


def _client(fake: FakeApi, **options: Any) -> WallboardClient:
    async def no_wait(_: float) -> None:
        return None

    options.setdefault("sleep", no_wait)
    return WallboardClient(
        "http://pbx.test", APPID, ACCESSKEY, transport=fake.transport(), **options
    )


@pytest.mark.parametrize(
    ("ret", "cls"),
    [
        (400, BadRequest),
        (500, ServerError),
        (600, TokenInvalid),
        (601, AppidNotAuthorised),
        (602, AppidExpired),
        (603, ModuleNotLicensed),
        (604, IpNotAuthorised),
    ],
)
async def test_transport_codes_become_their_exceptions(ret: int, cls: type[TransportError]) -> None:
    fake = FakeApi()
    fake.queue(QUEUES, *[refused(ret, f"server says {ret}")] * 3)
    async with _client(fake) as client:
        with pytest.raises(cls) as caught:
            await client.queues()
    error = caught.value
    assert isinstance(error, TransportError)
    assert error.code == ret
    assert error.message == f"server says {ret}"
    assert error.meaning == codes.TRANSPORT[ret].meaning
    assert error.service == QUEUES
    assert str(error).startswith(f"{QUEUES}: {ret} server says {ret} (")


async def test_transport_error_without_message_uses_the_documented_one() -> None:
    fake = FakeApi()
    fake.queue(QUEUES, refused(602))
    async with _client(fake) as client:
        with pytest.raises(AppidExpired, match="appid authorization expired"):
            await client.queues()


async def test_the_documents_transport_error_example() -> None:
    fake = FakeApi()
    fake.queue(QUEUES, example("error_transport_400"))
    async with _client(fake) as client:
        with pytest.raises(BadRequest) as caught:
            await client.queues()
    assert caught.value.message == "Illegal request: invalid parameter"
    assert caught.value.meaning == "a parameter is missing or invalid"


async def test_the_documents_business_error_example() -> None:
    fake = FakeApi()
    fake.queue("App.Sip_Yccall.TaskSet", example("error_business_1003"))
    async with _client(fake) as client:
        with pytest.raises(BusinessError) as caught:
            await client.set_task("T1", 2)
    error = caught.value
    assert error.code == 1003
    assert error.message == "Authorization failed"
    assert error.meaning == "operation failed: " + codes.BUSINESS[1003].meaning
    assert error.service == "App.Sip_Yccall.TaskSet"
    assert "1003 Authorization failed" in str(error)


@pytest.mark.parametrize("code", sorted(codes.BUSINESS))
async def test_every_business_code_carries_its_meaning(code: int) -> None:
    fake = FakeApi()
    fake.queue("App.Sip_Queue.SipSignIn", failed(str(code), codes.BUSINESS[code].message))
    async with _client(fake) as client:
        with pytest.raises(BusinessError) as caught:
            await client.sign_in("q", "1001", 1)
    assert caught.value.code == code
    assert caught.value.meaning == codes.BUSINESS[code].meaning


async def test_an_unknown_business_code_is_kept_as_its_number() -> None:
    fake = FakeApi()
    fake.queue("App.Sip_Queue.SipSignIn", failed(" 1999 ", "", desc="失败"))
    async with _client(fake) as client:
        with pytest.raises(BusinessError) as caught:
            await client.sign_in("q", "1001", 1)
    assert caught.value.code == 1999
    assert caught.value.message == "失败"  # the desc when there is no codemsg
    assert caught.value.meaning == ""


async def test_a_failure_without_errors_is_still_a_business_error() -> None:
    fake = FakeApi()
    fake.queue(QUEUES, {"ret": "200", "data": {"status": "1", "desc": "no"}, "msg": None})
    async with _client(fake) as client:
        with pytest.raises(BusinessError) as caught:
            await client.queues()
    assert caught.value.code is None
    assert caught.value.message == "no"


#: Answers that cannot be read at all: a read asks once more (a body cut short in transit
#: reads fine the second time), so each is queued twice here.
UNREADABLE = ("not JSON", "no ret/data/msg envelope")
MALFORMED: list[tuple[str, Any, str]] = [
    ("not json", Raw(b"<html>oops</html>"), "not JSON"),
    ("empty body", Raw(b""), "not JSON"),
    ("a bare list", [1, 2], "no ret/data/msg envelope"),
    ("no ret", {"data": {"status": 0}, "msg": ""}, "no ret/data/msg envelope"),
    ("ret not a number", {"ret": "ok", "data": {}, "msg": ""}, "ret is not a number"),
    ("data not an object", {"ret": 200, "data": "x", "msg": ""}, "data is not an object"),
    ("no status", {"ret": 200, "data": {"result": []}, "msg": ""}, "has no status"),
    ("result not a list", ok({"queuename": "q"}), "result is not a list"),
    ("item not an object", ok(["q1"]), "documented shape (0: Input should be"),
]


@pytest.mark.parametrize(
    ("answer", "expected"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
async def test_malformed_answers_are_protocol_errors_naming_the_service(
    answer: Any, expected: str
) -> None:
    fake = FakeApi()
    unreadable = expected in UNREADABLE
    fake.queue(QUEUES, *[answer] * (2 if unreadable else 1))
    async with _client(fake) as client:
        with pytest.raises(ProtocolError) as caught:
            await client.queues()
    assert type(caught.value) is ProtocolError
    assert caught.value.service == QUEUES
    assert str(caught.value).startswith(QUEUES)
    assert expected in str(caught.value)
    # Unreadable: asked once more, and no more (read_retries is 2). A readable answer of
    # the wrong shape would be the same again: not repeated.
    assert fake.hits[QUEUES] == (2 if unreadable else 1)


async def test_an_object_result_of_the_wrong_shape_is_a_protocol_error_for_a_read() -> None:
    fake = FakeApi()
    fake.queue("App.Sip_Cdr.GetBill", ok({"totalitems": 1, "bills": {"id": 1}}))
    async with _client(fake) as client:
        with pytest.raises(ProtocolError, match=r"GetBill: the result .* \(bills: "):
            await client.bills("2026-01-05 00:00:00", "2026-01-06 00:00:00")


async def test_a_mutation_accepted_with_a_result_of_the_wrong_shape_is_outcome_unknown() -> None:
    """status 0 said the task was made; its id cannot be read, so the supervisor must look
    rather than be told the creation failed (and make a second task)."""
    fake = FakeApi()
    fake.queue("App.Sip_Yccall.TaskCreat", ok(["20200212163504393460"]))
    async with _client(fake) as client:
        with pytest.raises(OutcomeUnknown) as caught:
            await client.create_task(2, "q", ["1"])
    assert str(caught.value).startswith(
        "App.Sip_Yccall.TaskCreat: the answer's result is not an object; the server accepted"
    )
    assert fake.hits["App.Sip_Yccall.TaskCreat"] == 1


async def test_an_http_error_page_is_a_server_error_for_reads() -> None:
    fake = FakeApi()
    fake.queue(QUEUES, *[Raw(b"Bad Gateway", status=502)] * 3)
    async with _client(fake) as client:
        with pytest.raises(ServerError, match="HTTP 502 without an API answer"):
            await client.queues()


async def test_empty_and_keyed_lists_are_read_leniently() -> None:
    fake = FakeApi()
    fake.queue(QUEUES, ok(None), ok({}), ok({"0": {"queuename": "a"}, "1": {"queuename": "b"}}))
    async with _client(fake) as client:
        assert await client.queues() == []
        assert await client.queues() == []
        assert [q.queuename for q in await client.queues()] == ["a", "b"]


async def test_group_extensions_accepts_the_bare_list_and_the_usual_envelope() -> None:
    fake = FakeApi()
    fake.queue(
        "App.Sip_Extgroup.GetGroupExt",
        example("GetGroupExt"),
        ok([{"name": "g", "extnumber": 701006, "status": "hangup", "state": "busy"}]),
    )
    async with _client(fake) as client:
        first = await client.group_extensions("test2")
        second = await client.group_extensions("g")
    assert [(g.extnumber, g.state) for g in first] == [("701005", "idle")]
    assert [(g.extnumber, g.state) for g in second] == [("701006", "busy")]


def test_errors_survive_pickling_with_their_fields() -> None:
    error = BusinessError("Authorization failed", code=1003, meaning="m", service="S")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is BusinessError
    assert (copy.code, copy.message, copy.meaning, copy.service) == (
        1003,
        "Authorization failed",
        "m",
        "S",
    )
    assert str(copy) == str(error)
    assert isinstance(copy, ApiError)


async def test_the_servers_messages_never_carry_the_accesskey_or_the_token() -> None:
    """A server that echoes what it was sent must not put our secrets on the screen."""
    fake = FakeApi()
    token = "token-s3cr3t-1"
    fake.queue(QUEUES, refused(400, f"Illegal request: token {token} with key {ACCESSKEY}"))
    fake.queue(
        "App.Sip_Yccall.TaskSet",
        failed("1003", f"no task for token={token}", desc=f"accesskey {ACCESSKEY} refused"),
        failed("1003", "", desc=f"accesskey {ACCESSKEY} refused"),
    )
    async with _client(fake) as client:
        with pytest.raises(BadRequest) as bad:
            await client.queues()
        with pytest.raises(BusinessError) as business:
            await client.set_task("T1", 2)
        with pytest.raises(BusinessError) as from_desc:
            await client.set_task("T1", 2)
    assert fake.sent(QUEUES)[0]["token"] == token  # the secret really was the one sent
    for error in (bad.value, business.value, from_desc.value):
        for text in (str(error), repr(error), error.message, error.meaning):
            assert token not in text
            assert ACCESSKEY not in text
    assert bad.value.message == "Illegal request: token *** with key ***"
    assert business.value.message == "no task for token=***"
    assert from_desc.value.message == "accesskey *** refused"


async def test_a_refused_login_that_echoes_the_accesskey_hides_it() -> None:
    fake = FakeApi()
    fake.queue("App.Sip_Auth.Login", failed("1003", f"bad accesskey {ACCESSKEY}"))
    async with _client(fake) as client:
        with pytest.raises(BusinessError) as caught:
            await client.login()
    assert ACCESSKEY not in str(caught.value)
    assert caught.value.message == "bad accesskey ***"


def test_redact_hides_a_secret_that_contains_another_whole() -> None:
    assert redact("key abc-long and abc", ["abc", "abc-long", ""]) == "key *** and ***"
    assert redact("nothing secret", []) == "nothing secret"
