"""`wallboard call SERVICE field=value ...`: the data as JSON, or one line of error and a
non-zero exit, never a traceback; no password or token in what it prints."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.fake_api import ACCESSKEY, APPID, TOKEN_PREFIX, FakeApi, ok, serve_on_loopback

from wallboard.api import services
from wallboard.api.call_command import DOCUMENTED_FIELDS, UsageError, parse_call
from wallboard.commands import main

PASSWORD = "pa55-do-not-print"


@pytest.fixture
def fake() -> FakeApi:
    return FakeApi()


@pytest.fixture
def server(fake: FakeApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("WALLBOARD_PROFILE", raising=False)
    with serve_on_loopback(fake.app) as url:
        monkeypatch.setenv("WALLBOARD_URL", url)
        monkeypatch.setenv("WALLBOARD_APPID", APPID)
        monkeypatch.setenv("WALLBOARD_ACCESSKEY", ACCESSKEY)
        yield url


def test_every_service_has_its_documented_fields() -> None:
    assert set(DOCUMENTED_FIELDS) == {s.wire for s in services.SERVICES}


def test_a_call_prints_the_data_as_json(
    server: str, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["call", "GetQueueList"]) == 0
    out = capsys.readouterr().out
    queues = json.loads(out)
    assert queues[0]["queuename"] == "autocall_test-1101"
    assert queues[0]["strategy"] == 8
    assert out.startswith("[\n  {")  # indented
    assert fake.sent("App.Sip_Queue.GetQueueList")[0].keys() == {"token"}


def test_the_service_by_wire_name_method_name_or_any_case(
    server: str, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("App.Sip_Queue.GetQueueSipStatus", "queue_agents", "getqueuesipstatus"):
        assert main(["call", name, "queuename=queue-1", "state=0"]) == 0
    assert fake.sent("App.Sip_Queue.GetQueueSipStatus")[-1] == {
        "queuename": "queue-1",
        "state": "0",
        "token": f"{TOKEN_PREFIX}3",  # each run logs in afresh
    }
    assert capsys.readouterr().out.count('"seatsname": "9026004_9026004_autocall-9026"') == 3


def test_passwords_and_tokens_are_never_printed(
    server: str, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.queue(
        "App.Sip_Sipnum.GetSipnumberInfo",
        ok([{"extnumber": "1001", "password": PASSWORD, "status": "1016", "register": "reg"}]),
    )
    assert main(["call", "extensions"]) == 0
    assert main(["call", "Login"]) == 0
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert PASSWORD not in printed
    assert "password" not in printed
    assert TOKEN_PREFIX not in printed
    assert ACCESSKEY not in printed
    assert '"register": "reg"' in printed
    assert '"companyname": "test"' in printed
    assert fake.sent("App.Sip_Sipnum.GetSipnumberInfo")[0]["status"] == "3"  # the default


def test_a_bill_query_reads_without_marking_records(
    server: str, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["call", "GetBill", "starttime=2026-01-05 00:00:00", "endtime=2026-01-06 00:00:00"]
    assert main(args) == 0
    sent = fake.sent("App.Sip_Cdr.GetBill")[0]
    assert sent["syncflag"] == "3"
    assert sent["itemsperpage"] == "10"
    assert json.loads(capsys.readouterr().out)["totalitems"] == 8151


def test_a_task_from_a_comma_list_of_numbers(
    server: str, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["call", "TaskCreat", "assigntype=2", "assignagent=queue-1", "telphone=1380001,1380002"]
    assert main(args) == 0
    sent = fake.sent("App.Sip_Yccall.TaskCreat")[0]
    assert [entry["phone"] for entry in json.loads(sent["telphone"])] == ["1380001", "1380002"]
    assert (sent["taskscale"], sent["disnumber"]) == ("1:1", "")
    assert json.loads(capsys.readouterr().out)["taskid"] == "20200212163504393460"


def test_a_refused_call_is_one_line_and_exit_1(
    server: str, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.queue(
        "App.Sip_Queue.SipSignIn",
        {"ret": 200, "data": {"status": 1, "errors": {"code": 1218, "codemsg": "checked in"}}},
    )
    assert main(["call", "SipSignIn", "queuename=q", "extnumber=1001", "crmid=7"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "error: App.Sip_Queue.SipSignIn: 1218 checked in "
        "(the extension is already checked into the queue)\n"
    )


def test_an_unreachable_server_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("WALLBOARD_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("WALLBOARD_APPID", APPID)
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", ACCESSKEY)
    # The login before the call is a read: it is retried twice (under a second of backoff).
    assert main(["call", "TaskSet", "taskid=T1", "taskstatus=2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: App.Sip_Auth.Login: cannot reach the server at")
    assert err.count("\n") == 1


def test_no_configuration_is_exit_2_naming_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("WALLBOARD_URL", "WALLBOARD_APPID", "WALLBOARD_ACCESSKEY", "WALLBOARD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path))
    assert main(["call", "GetQueueList"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'config.toml'}: ")
    assert err.count("\n") == 1
    assert main(["call", "--config", str(tmp_path / "nope.toml"), "GetQueueList"]) == 2
    assert "nope.toml: no such config file" in capsys.readouterr().err


def test_a_profile_from_a_config_file(
    fake: FakeApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("WALLBOARD_URL", "WALLBOARD_APPID", "WALLBOARD_ACCESSKEY", "WALLBOARD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with serve_on_loopback(fake.app) as url:
        path = tmp_path / "my.toml"
        path.write_text(
            f'[profiles.lab]\nurl = "{url}"\nappid = "{APPID}"\naccesskey = "{ACCESSKEY}"\n',
            encoding="utf-8",
        )
        path.chmod(0o600)
        code = main(["call", "--config", str(path), "--profile", "lab", "GetSipValidStatus",
                     "extnumber=1001,1002"])  # fmt: skip
    assert code == 0
    assert [row["code"] for row in json.loads(capsys.readouterr().out)] == [1016, 1016]


@pytest.mark.parametrize(
    ("service", "pairs", "message"),
    [
        ("GetQueueLst", [], "unknown service 'GetQueueLst' (did you mean GetQueueList?)"),
        ("Nothing.Like.It", [], "unknown service 'Nothing.Like.It'"),
        ("GetQueueList", ["queuename"], "'queuename' is not field=value"),
        ("GetQueueList", ["=x"], "'=x' is not field=value"),
        ("GetQueueList", ["queue=x"], "GetQueueList has no field 'queue' (fields: queuename)"),
        ("GetQueueList", ["token=abc"], "'token' is set by wallboard itself"),
        ("TaskSet", ["taskid=1"], "TaskSet needs taskstatus=..."),
        ("GetBill", [], "GetBill needs starttime=..., endtime=..."),
        ("Login", ["appid=x"], "Login takes appid and accesskey from the profile"),
        ("TaskAdd", ["taskid=1", "telphone=[{"], "telphone is not a valid JSON array"),
        ("TaskAdd", ["taskid=1", "telphone= , "], "telphone needs at least one number"),
    ],
)
def test_usage_mistakes_are_exit_2_before_anything_is_sent(
    service: str, pairs: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UsageError) as caught:
        parse_call(service, pairs)
    assert message in str(caught.value)
    assert main(["call", service, *pairs]) == 2
    assert capsys.readouterr().err == f"error: {caught.value}\n"


def test_values_may_hold_equals_signs_and_spaces() -> None:
    service, form = parse_call("EditQueue", ["queuename=q 1", "remark=a=b"])
    assert service.wire == "App.Sip_Queue.EditQueue"
    assert form == {"queuename": "q 1", "remark": "a=b"}


def test_logout_logs_in_first_and_is_sent(
    server: str, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["call", "Logout"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == {"status": 0, "desc": "logout successful"}
    assert fake.hits["App.Sip_Auth.Login"] == 1
    assert fake.hits["App.Sip_Auth.Logout"] == 1
    assert TOKEN_PREFIX not in out
