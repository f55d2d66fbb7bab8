"""The form of a call, encoded in one go, is byte for byte what httpx would send for the same
plain fields and boundary, and reads back as the same fields on the server's side."""

from __future__ import annotations

import httpx
import pytest
from starlette.requests import Request

from wallboard.api.form import multipart_form

FIELDS = [
    {"service": "App.Sip_Queue.GetQueueSipStatus", "token": "t0k", "state": "0"},
    {"service": "App.Sip_Status.GetSipCallStatus", "extnumber": ",".join(map(str, range(2500)))},
    {"taskname": "Frühjahr 春季 ☎", "remark": "two\r\nlines", "empty": ""},
    {'quote"d': "x", "back\\slash": "y", "new\nline": "z", "tab\tbed": "w"},
]


def _httpx_body(fields: dict[str, str], boundary: str) -> bytes:
    files = [(name, (None, value)) for name, value in fields.items()]
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return httpx.Request("POST", "http://pbx.test", files=files, headers=headers).read()


@pytest.mark.parametrize("fields", FIELDS, ids=["poll", "long list", "unicode", "odd names"])
def test_the_body_is_what_httpx_encodes(fields: dict[str, str]) -> None:
    body, content_type = multipart_form(fields, boundary="b0undary")
    assert content_type == "multipart/form-data; boundary=b0undary"
    assert body == _httpx_body(fields, "b0undary")


@pytest.mark.parametrize("fields", FIELDS[:3], ids=["poll", "long list", "unicode"])
async def test_a_server_reads_the_same_fields_back(fields: dict[str, str]) -> None:
    body, content_type = multipart_form(fields)
    sent = False

    async def receive() -> dict[str, object]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-type", content_type.encode())],
    }
    form = await Request(scope, receive).form()
    assert dict(form) == fields


def test_every_body_has_a_fresh_boundary() -> None:
    fields = FIELDS[0]
    (first, first_type), (second, second_type) = multipart_form(fields), multipart_form(fields)
    assert first_type != second_type
    assert first != second
    boundary = first_type.rpartition("=")[2]
    assert len(boundary) == 32 and first.startswith(f"--{boundary}\r\n".encode())
    assert first.endswith(f"--{boundary}--\r\n".encode())
