"""The documented results of every service, as pydantic models.

The vendor's server is loose with types: numbers arrive as strings and strings as numbers,
and almost any field may be `null`. The models absorb that once, here, so that nothing
downstream has to: text fields are always `str` ("" for null), counters are always `int`
(0 for null), and codes and durations are `int | None` (None when absent). Unknown codes
stay plain ints. Extra fields are ignored, which is also how an extension's `password`
is dropped on arrival: no model has a field for it.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping
from typing import Annotated, Any, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema


def _to_text(value: Any) -> str:
    """Null becomes "", numbers become their plain text ("1", not "1.0" for 1.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    # A list or object where text was documented: keep it readable rather than fail.
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _to_optional_int(value: Any) -> int | None:
    """Ints from ints, floats and numeric strings; anything else (null, "", junk) is None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None
            return int(number) if math.isfinite(number) else None
    return None


def _to_count(value: Any) -> int:
    number = _to_optional_int(value)
    return 0 if number is None else number


def _to_list(value: Any) -> list[Any]:
    """`invaliddata` and friends: null is an empty list, a lone value a list of one."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        return list(value.values())
    return [value]


class _Coerce:
    """A loose field: values already of the documented type pass at pydantic's own speed,
    and only the others (null, a number as text, ...) go through the Python coercion.

    A `BeforeValidator` would call into Python for every field of every row, which was most
    of the fast poll's CPU on a big floor; here the first choice of a left-to-right union is
    the strict type, checked without leaving pydantic's core (strict `int` refuses `bool`, so
    `True` still goes through the coercion, as before).
    """

    __slots__ = ("convert", "nullable")

    def __init__(self, convert: Callable[[Any], Any], *, nullable: bool = False) -> None:
        self.convert = convert
        self.nullable = nullable

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        plain = source
        if self.nullable:
            plain = next(arg for arg in get_args(source) if arg is not type(None))
        fast: list[core_schema.CoreSchema] = [
            core_schema.str_schema(strict=True)
            if plain is str
            else core_schema.int_schema(strict=True)
        ]
        if self.nullable:
            fast.append(core_schema.none_schema())
        slow = core_schema.no_info_plain_validator_function(self.convert)
        return core_schema.union_schema([*fast, slow], mode="left_to_right")


Text = Annotated[str, _Coerce(_to_text)]
"""Documented as a string; null or a number is accepted."""

Count = Annotated[int, _Coerce(_to_count)]
"""A counter or total: null and junk read as 0."""

OptInt = Annotated[int | None, _Coerce(_to_optional_int, nullable=True)]
"""A code, a duration or a setting that may be absent: None when it is."""

Loose = Annotated[list[Any], BeforeValidator(_to_list)]


class ApiModel(BaseModel):
    """Base of every result: frozen, extra fields ignored, every field has a default."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class LoginResult(ApiModel):
    """App.Sip_Auth.Login. The token is secret: it is kept out of repr and of dumps."""

    companycode: Text = ""
    companyname: Text = ""
    token: Text = Field(default="", repr=False, exclude=True)
    authtime: Text = ""
    authmodel: Text = ""


class Ack(ApiModel):
    """The answer of a call that returns only a status: what the server said it did."""

    status: Count = 0
    desc: Text = ""


class Bill(ApiModel):
    """One call record (App.Sip_Cdr.GetBill). Times are `yyyy-mm-dd hh:mm:ss` text."""

    id: OptInt = None
    extnumber: Text = ""
    destnumber: Text = ""
    displaynumber: Text = ""
    starttime: Text = ""
    answertime: Text = ""  # "" when the call was never answered
    endtime: Text = ""
    duration: Count = 0  # endtime - starttime
    billsec: Count = 0  # endtime - answertime, 0 when unanswered
    direction: Text = ""  # callout / callin
    callmethod: OptInt = None
    userid: Text = ""
    memberid: Text = ""
    chengshudu: Text = ""
    customuuid: Text = ""
    recordfilename: Text = ""
    downloadip: Text = ""
    hangupdirection: OptInt = None
    hangupcause: OptInt = None
    userkey: Text = ""


def _to_rows(value: Any) -> Any:
    """A list of records as PHP sends it: null, "" or {} when there are none, and an object
    keyed "0", "1", ... for a keyed array. Anything else is left for validation to refuse."""
    if value is None or value == "" or (isinstance(value, Mapping) and not value):
        return []
    if isinstance(value, Mapping) and all(isinstance(row, Mapping) for row in value.values()):
        return list(value.values())
    return value


class BillPage(ApiModel):
    """One page of call records (an empty page may carry `bills: null` or `{}`)."""

    totalitems: Count = 0
    currentpage: Count = 0
    itemsperpage: Count = 0
    bills: Annotated[list[Bill], BeforeValidator(_to_rows)] = Field(default_factory=list)


class BillCallback(Bill):
    """A call record pushed to the customer's bill callback address.

    It carries some fields under other names than GetBill (`disnumber`, `type`) and a few
    more (`crmid`, `uuid`, `companycode`).
    """

    crmid: Text = ""
    disnumber: Text = ""
    type: Text = ""
    uuid: Text = ""
    companycode: Text = ""


class ExtensionCallEvent(ApiModel):
    """An extension call state callback: `status` is ring, answer or hangup."""

    buuid: Text = ""
    callee: Text = ""
    caller: Text = ""
    companycode: Text = ""
    customuuid: Text = ""
    direction: Text = ""
    disnumber: Text = ""
    extnumber: Text = ""
    isbleg: Text = ""  # "true": the customer's side is ringing; "false": the agent's
    method: OptInt = None
    starttime: OptInt = None  # unix seconds
    status: Text = ""
    type: Text = ""
    uuid: Text = ""


class TaskFinished(ApiModel):
    """A task status callback: sent once, with status 3, when a predictive task is over.

    Lenient like the rest: `status` 3 or "3", `companycode` and `taskid` text or numbers.
    """

    taskid: Text = ""
    companycode: Text = ""
    status: OptInt = None


class RecordingLink(ApiModel):
    """App.Sip_Cdr.GetRecodeFile: where to download a recording, and until when."""

    downurl: Text = ""
    expiredtime: Text = ""  # "Expiration time:yyyy-mm-dd hh:mm:ss"

    @property
    def expires(self) -> str:
        """The expiry time without the server's "Expiration time:" prefix."""
        _, sep, rest = self.expiredtime.partition(":")
        if sep and rest[:1].isdigit() and not self.expiredtime[:1].isdigit():
            return rest.strip()
        return self.expiredtime.strip()


class TaskCreated(ApiModel):
    """App.Sip_Yccall.TaskCreat: the new task's id and the numbers the server refused."""

    taskid: Text = ""
    invaliddata: Loose = Field(default_factory=list)


class NumbersAdded(ApiModel):
    """App.Sip_Yccall.TaskAdd: how many numbers were added and which were refused."""

    success: Count = 0
    invaliddata: Loose = Field(default_factory=list)


class Queue(ApiModel):
    """A queue (the documents' "task group"), App.Sip_Queue.GetQueueList."""

    queuename: Text = ""
    remark: Text = ""
    strategy: OptInt = None
    announce: Text = ""
    announcefreq: OptInt = None
    ringdelay: OptInt = None
    maxwaittime: OptInt = None
    withnoagenttime: OptInt = None
    noagentrejoiningtime: OptInt = None
    discardtime: OptInt = None
    autocall: Text = ""  # busy / idle / unavailable


class QueueAgent(ApiModel):
    """One agent in one queue, App.Sip_Queue.GetQueueSipStatus (state is 1212-1218)."""

    queuename: Text = ""
    seatsname: Text = ""
    extnumber: Text = ""
    status: OptInt = None
    state: OptInt = None
    lastanswertime: Text = ""
    lastassigntime: Text = ""
    seatschangetime: Text = ""
    noanswercount: Count = 0
    callsanswered: Count = 0
    externalcallscount: Count = 0
    wrapuptime: Count = 0
    maxnoanswer: Count = 0


class Group(ApiModel):
    """An extension group, App.Sip_Extgroup.GetExtgroupInfo."""

    id: OptInt = None
    name: Text = ""
    status: OptInt = None


class GroupExtension(ApiModel):
    """An extension in a group, App.Sip_Extgroup.GetGroupExt (state idle / busy)."""

    name: Text = ""
    extnumber: Text = ""
    status: Text = ""  # hangup, ...
    state: Text = ""


with warnings.catch_warnings():
    # `register` is the documented name; it shadows only ABCMeta's classmethod, which no one
    # calls on a model, and instances read the field as usual.
    warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)

    class Extension(ApiModel):
        """An extension, App.Sip_Sipnum.GetSipnumberInfo. Its password is dropped on arrival."""

        extnumber: Text = ""
        status: OptInt = None  # 1016 enabled / 1013 disabled
        register: Text = ""  # reg / nreg


class ExtensionCallStatus(ApiModel):
    """An extension's call state, App.Sip_Status.GetSipCallStatus (status 1201-1205...)."""

    extnumber: Text = ""
    status: OptInt = None
    caller: Text = ""
    callee: Text = ""
    disnumber: Text = ""
    direction: Text = ""
    channel: Text = ""
    idleduration: OptInt = None
    callduration: OptInt = None


class ExtensionCallState(ApiModel):
    """An extension's call state without its durations (`WallboardClient.call_states`).

    Everything of a GetSipCallStatus row but `idleduration` and `callduration`: what stays
    the same from one second to the next while a call or an idle spell goes on, so that a
    dashboard's repeated read can hand back the same object for it.
    """

    extnumber: Text = ""
    status: OptInt = None
    caller: Text = ""
    callee: Text = ""
    disnumber: Text = ""
    direction: Text = ""
    channel: Text = ""


class ExtensionValidity(ApiModel):
    """App.Sip_Status.GetSipValidStatus: 1016 enabled, 1013 disabled, 1012 missing."""

    extnumber: Text = ""
    code: OptInt = None


class ExtensionRegistration(ApiModel):
    """App.Sip_Status.GetSipRegisterStatus: 1017 registered, 1014 not."""

    extnumber: Text = ""
    code: OptInt = None
    clientip: Text = ""
    serverip: Text = ""


class PhoneNumber(ApiModel):
    """One number to dial in a predictive task (an entry of TaskCreat/TaskAdd's telphone).

    `time` is the earliest moment (unix seconds) it may be dialled; None means now.
    """

    phone: Text
    time: OptInt = None
    userid: Text = ""
    memberid: Text = ""
    chengshudu: Text = ""
    customuuid: Text = ""

    def wire(self) -> dict[str, Any]:
        """The entry as the server expects it inside the telphone JSON array."""
        entry: dict[str, Any] = {"phone": self.phone}
        if self.time is not None:
            entry["time"] = self.time
        entry.update(
            userid=self.userid,
            memberid=self.memberid,
            chengshudu=self.chengshudu,
            customuuid=self.customuuid,
        )
        return entry


__all__ = [
    "Ack",
    "ApiModel",
    "Bill",
    "BillCallback",
    "BillPage",
    "Count",
    "Extension",
    "ExtensionCallEvent",
    "ExtensionCallState",
    "ExtensionCallStatus",
    "ExtensionRegistration",
    "ExtensionValidity",
    "Group",
    "GroupExtension",
    "LoginResult",
    "NumbersAdded",
    "OptInt",
    "PhoneNumber",
    "Queue",
    "QueueAgent",
    "RecordingLink",
    "TaskCreated",
    "TaskFinished",
    "Text",
]
