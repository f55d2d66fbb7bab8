"""One API call from text: a service's name and `field=value` pairs, checked against the
documents before anything is sent, so a typo is a clear message instead of a puzzling answer
from the server. `wallboard call` (in `wallboard.commands.call`) is built on this.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from wallboard.api import services
from wallboard.api.client import phone_entries


@dataclass(frozen=True, slots=True)
class Fields:
    """A service's documented request fields (besides `service` and `token`)."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    defaults: tuple[tuple[str, str], ...] = ()  # what `wallboard call` sends when not given

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


_QUEUE_SETTINGS = (
    "strategy",
    "announcefreq",
    "ringdelay",
    "maxwaittime",
    "withnoagenttime",
    "noagentrejoiningtime",
    "discardtime",
)

#: Every service's documented request fields, by wire name.
DOCUMENTED_FIELDS: dict[str, Fields] = {
    "App.Sip_Auth.Login": Fields(required=("appid", "accesskey")),
    "App.Sip_Auth.Logout": Fields(),
    "App.Sip_Cdr.GetBill": Fields(
        required=(
            "starttime",
            "endtime",
            "syncflag",
            "direction",
            "callmethod",
            "currentpage",
            "itemsperpage",
            "extnumber",
            "destnumber",
            "userid",
            "memberid",
        ),
        optional=("chengshudu", "customuuid"),
        # syncflag 3: reading must not mark the records as fetched for the customer's CRM.
        defaults=(
            ("syncflag", "3"),
            ("direction", "3"),
            ("callmethod", "0"),
            ("currentpage", "1"),
            ("itemsperpage", "10"),
            ("extnumber", ""),
            ("destnumber", ""),
            ("userid", ""),
            ("memberid", ""),
        ),
    ),
    "App.Sip_Cdr.GetRecodeFile": Fields(required=("filename",)),
    "App.Sip_Yccall.TaskCreat": Fields(
        required=("assigntype", "assignagent", "telphone", "taskscale", "disnumber"),
        optional=("taskname",),
        defaults=(("taskscale", "1:1"), ("disnumber", "")),
    ),
    "App.Sip_Yccall.TaskAdd": Fields(required=("taskid", "telphone")),
    "App.Sip_Yccall.taskDelPhone": Fields(required=("taskid", "telphone")),
    "App.Sip_Yccall.TaskSet": Fields(required=("taskid", "taskstatus")),
    "App.Sip_Queue.AddQueue": Fields(
        required=("queuename", "autocall", "remark"), optional=("strategy",)
    ),
    "App.Sip_Queue.EditQueue": Fields(required=("queuename", "remark"), optional=_QUEUE_SETTINGS),
    "App.Sip_Queue.DelQueue": Fields(required=("queuename",)),
    "App.Sip_Queue.GetQueueList": Fields(optional=("queuename",)),
    "App.Sip_Queue.GetQueueSipStatus": Fields(optional=("queuename", "extnumber", "state")),
    "App.Sip_Queue.SetSeatsStatus": Fields(required=("settype", "extnumber", "crmid", "queuename")),
    "App.Sip_Queue.SipSignIn": Fields(required=("queuename", "extnumber", "crmid")),
    "App.Sip_Queue.SipSignOut": Fields(required=("queuename", "extnumber", "crmid")),
    "App.Sip_Extgroup.AddExtgroup": Fields(required=("name",), optional=("status",)),
    "App.Sip_Extgroup.AddExtnumber": Fields(required=("name", "extnumber")),
    "App.Sip_Extgroup.DelExtnumber": Fields(required=("name", "extnumber")),
    "App.Sip_Extgroup.EditExtnumber": Fields(required=("name", "extnumber", "state")),
    "App.Sip_Extgroup.GetGroupExt": Fields(required=("name",), optional=("extnumber",)),
    "App.Sip_Extgroup.GetExtgroupInfo": Fields(required=("name",), optional=("status",)),
    "App.Sip_Sipnum.GetSipnumberInfo": Fields(
        required=("status",), optional=("extnumber",), defaults=(("status", "3"),)
    ),
    "App.Sip_Status.GetSipCallStatus": Fields(required=("extnumber",)),
    "App.Sip_Status.GetSipValidStatus": Fields(required=("extnumber",)),
    "App.Sip_Status.GetSipRegisterStatus": Fields(required=("extnumber",)),
}


class UsageError(Exception):
    """The command line cannot become a call; the message says what to change."""


def parse_call(service: str, pairs: Sequence[str]) -> tuple[services.Service, dict[str, str]]:
    """The service and the form to send, checked against the documented fields."""
    found = services.find(service)
    if found is None:
        names = [s.short for s in services.SERVICES] + [s.method for s in services.SERVICES]
        close = difflib.get_close_matches(service.rsplit(".", 1)[-1], names, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"unknown service {service!r}{hint}")
    fields = DOCUMENTED_FIELDS[found.wire]
    form: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"{pair!r} is not field=value")
        if name in ("token", "service"):
            raise UsageError(f"{name!r} is set by wallboard itself; leave it out")
        if name not in fields.all:
            accepted = ", ".join(fields.all) or "none"
            raise UsageError(f"{found.short} has no field {name!r} (fields: {accepted})")
        form[name] = value
    if found.wire == "App.Sip_Auth.Login":
        if form:
            raise UsageError("Login takes appid and accesskey from the profile, not the command")
        return found, form
    for name, value in fields.defaults:
        form.setdefault(name, value)
    missing = [name for name in fields.required if name not in form]
    if missing:
        raise UsageError(f"{found.short} needs {', '.join(f'{m}=...' for m in missing)}")
    if found.wire in ("App.Sip_Yccall.TaskCreat", "App.Sip_Yccall.TaskAdd"):
        form["telphone"] = _telphone(form["telphone"])
    return found, form


def _telphone(value: str) -> str:
    """TaskCreat/TaskAdd's numbers: a JSON array as documented, or simply a comma list."""
    text = value.strip()
    if text.startswith("["):
        try:
            entries = json.loads(text)
        except ValueError:
            raise UsageError("telphone is not a valid JSON array") from None
        if not isinstance(entries, list):
            raise UsageError("telphone must be a JSON array")
        return text
    numbers = [part.strip() for part in text.split(",") if part.strip()]
    if not numbers:
        raise UsageError("telphone needs at least one number")
    try:
        return phone_entries(numbers)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def to_jsonable(result: object) -> object:
    """The parsed answer as plain JSON values (models dumped, so no password or token)."""
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list):
        return [to_jsonable(item) for item in result]
    return result


__all__ = ["DOCUMENTED_FIELDS", "Fields", "UsageError", "parse_call", "to_jsonable"]
