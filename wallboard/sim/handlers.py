"""One handler per documented service: read and check the fields, ask the floor, answer.

The floor already speaks in documented rows and raises `FloorError` with documented codes;
this layer adds what only the wire knows: which service a `service` field names, the token,
which fields are required and in what range (`ret 400` naming the field), and the exact
envelope each document prints (GetGroupExt's bare list, the `desc` texts of the examples).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from wallboard.api.services import MAX_NUMBERS_PER_CALL, SERVICES
from wallboard.sim.auth import Gate, Verdict
from wallboard.sim.entities import QUEUE_SETTINGS, TASK_PAUSED, TASK_RUNNING, FloorError
from wallboard.sim.faults import Faults
from wallboard.sim.floor import Floor
from wallboard.sim.recordings import RecordingLinks
from wallboard.sim.wire import (
    BadRequest,
    BusinessFailure,
    Fields,
    Refused,
    bare,
    failure,
    format_time,
    refusal,
    success,
)

log = logging.getLogger(__name__)

#: Extensions at most in one GetSipCallStatus / GetSipValidStatus / GetSipRegisterStatus.
MAX_EXTENSIONS_PER_CALL = 5_000


class Desk(Protocol):
    """What a handler may use of the simulator (the Simulator implements it)."""

    floor: Floor
    gate: Gate
    recordings: RecordingLinks
    faults: Faults

    def now(self) -> float: ...

    def real_now(self) -> float: ...


@dataclass
class Context:
    desk: Desk
    fields: Fields
    now: float
    base_url: str  # "http://127.0.0.1:8080", for links the simulator serves itself
    token: str = ""

    @property
    def floor(self) -> Floor:
        return self.desk.floor


Handler = Callable[[Context], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    wire: str
    handler: Handler
    needs_token: bool
    failed: str  # the `desc` of a business failure: "check in failed"


_ROUTES: dict[tuple[str, str], Route] = {}


def _service(wire: str, failed: str, *, needs_token: bool = True) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        klass, _, method = wire.rpartition(".")
        _ROUTES[(klass, method.lower())] = Route(wire, handler, needs_token, failed)
        return handler

    return register


def find_route(service: str) -> Route | None:
    """The route for a `service` field: the class part exact, the method part in any case."""
    klass, _, method = service.strip().rpartition(".")
    return _ROUTES.get((klass, method.lower()))


def dispatch(desk: Desk, raw: Mapping[str, str], base_url: str) -> dict[str, Any]:
    """Answer one request's fields with an envelope; never raises.

    The token is checked before the other fields, so that a caller without a live token
    learns nothing about the floor (not even which of its fields would be refused).
    """
    fields = Fields(raw)
    now = desk.now()
    try:
        name = fields.text("service", limit=100)
        route = find_route(name)
        if route is None:
            raise BadRequest(f"Illegal request: service {name} does not exist")
        context = Context(desk, fields, now, base_url)
        if route.needs_token:
            context.token = fields.text("token", limit=200)
            verdict = desk.gate.check(
                context.token,
                sim_now=now,
                real_now=desk.real_now(),
                real_lifetime=desk.faults.expire,
            )
            _refuse_unless_ok(verdict)
        try:
            return route.handler(context)
        except FloorError as exc:
            raise BusinessFailure(exc.code, route.failed, exc.message) from None
    except BadRequest as exc:
        return refusal(400, exc.message)
    except Refused as exc:
        return refusal(exc.ret, exc.message)
    except BusinessFailure as exc:
        return failure(exc, now=now)
    except Exception:
        log.exception("simulator failed on a request")
        return refusal(500, "server error")


def _refuse_unless_ok(verdict: Verdict) -> None:
    if verdict is Verdict.OK:
        return
    if verdict is Verdict.UNKNOWN_APPID:
        raise Refused(601, "appid is not authorized")
    if verdict is Verdict.EXPIRED_APPID:
        raise Refused(602, "appid authorization has expired")
    if verdict is Verdict.WRONG_ACCESSKEY:
        raise BusinessFailure(1003, "login failed", "Authorization failed")
    raise Refused(600, "the token is invalid, please log in again")


# -- Sip_Auth ----------------------------------------------------------------------------
@_service("App.Sip_Auth.Login", "login failed", needs_token=False)
def login(ctx: Context) -> dict[str, Any]:
    appid = ctx.fields.text("appid")
    accesskey = ctx.fields.text("accesskey")
    _refuse_unless_ok(ctx.desk.gate.login(appid, accesskey))
    token = ctx.desk.gate.issue(appid, sim_now=ctx.now, real_now=ctx.desk.real_now())
    result = {
        "companycode": str(ctx.floor.companycode),
        "companyname": ctx.floor.companyname,
        "token": token,
        "authtime": format_time(ctx.now),
        "authmodel": "",
    }
    return success("Authorization successful", result, now=ctx.now)


@_service("App.Sip_Auth.Logout", "logout failed")
def logout(ctx: Context) -> dict[str, Any]:
    ctx.desk.gate.logout(ctx.token)
    return success("logout successful", now=ctx.now)


# -- Sip_Cdr -----------------------------------------------------------------------------
@_service("App.Sip_Cdr.GetBill", "get failed")
def get_bill(ctx: Context) -> dict[str, Any]:
    f = ctx.fields
    start = f.moment("starttime")
    end = f.moment("endtime")
    syncflag = f.integer("syncflag", 1, 3, default=1)
    direction = f.integer("direction", 1, 3, default=3)
    callmethod = f.integer("callmethod", 0, 6, default=0)
    page = f.integer("currentpage", 1, 10_000_000, default=1)
    per_page = f.integer("itemsperpage", 1, 1000, default=10)
    total, bills = ctx.floor.query_bills(
        start=start,
        end=end,
        syncflag=syncflag,
        direction=direction,
        callmethod=callmethod,
        page=page,
        per_page=per_page,
        extnumbers=frozenset(f.csv("extnumber", required=False)),
        destnumber=f.text("destnumber", required=False),
        userid=f.text("userid", required=False),
        memberid=f.text("memberid", required=False),
        chengshudu=f.text("chengshudu", required=False),
        customuuid=f.text("customuuid", required=False),
    )
    row = ctx.floor.bill_row
    result = {
        "totalitems": total,
        "currentpage": page,
        "itemsperpage": per_page,
        "bills": [row(bill) for bill in bills],
    }
    return success("get success", result, now=ctx.now)


@_service("App.Sip_Cdr.GetRecodeFile", "get failed")
def get_recode_file(ctx: Context) -> dict[str, Any]:
    filename = ctx.fields.text("filename")
    if ctx.floor.recording(filename) is None:
        raise BusinessFailure(1002, "get failed", "the recording file does not exist")
    link = ctx.desk.recordings.issue(filename, now=ctx.now)
    result = {
        "downurl": f"{ctx.base_url}{link.path}",
        "expiredtime": f"Expiration time:{format_time(link.expires)}",
    }
    return success("get success", result, now=ctx.now)


# -- Sip_Yccall: predictive tasks --------------------------------------------------------
@_service("App.Sip_Yccall.TaskCreat", "create failed")
def task_creat(ctx: Context) -> dict[str, Any]:
    f = ctx.fields
    assigntype = f.integer("assigntype", 1, 3)
    assignagent = f.text("assignagent")
    telphone = f.json_array("telphone", limit=MAX_NUMBERS_PER_CALL)
    scale = f.ratio("taskscale")
    # "disnumber | string | yes | ... (empty means random)": required, but may be empty.
    if not f.sent("disnumber"):
        raise BadRequest("Illegal request: missing required parameter disnumber")
    disnumbers = f.csv("disnumber", required=False, limit=1000)
    name = f.text("taskname", required=False)
    taskid, invalid = ctx.floor.create_task(
        assigntype, assignagent, telphone, scale, disnumbers, name
    )
    result = {"taskid": taskid, "invaliddata": invalid}
    return success("created successfully", result, now=ctx.now)


@_service("App.Sip_Yccall.TaskAdd", "add failed")
def task_add(ctx: Context) -> dict[str, Any]:
    taskid = ctx.fields.text("taskid")
    telphone = ctx.fields.json_array("telphone", limit=MAX_NUMBERS_PER_CALL)
    added, invalid = ctx.floor.add_numbers(taskid, telphone)
    return success("Additional success", {"success": added, "invaliddata": invalid}, now=ctx.now)


@_service("App.Sip_Yccall.taskDelPhone", "删除失败")
def task_del_phone(ctx: Context) -> dict[str, Any]:
    taskid = ctx.fields.text("taskid")
    phones = ctx.fields.csv("telphone", limit=MAX_NUMBERS_PER_CALL)
    ctx.floor.del_numbers(taskid, phones)
    return success("删除成功", now=ctx.now)


#: TaskSet asked for what the task already is: 1 open on a running task answers 1026 ("in
#: progress"), 2 pause on a paused one 1027 ("pause"), as the table of task codes says.
_ALREADY = {
    1: (TASK_RUNNING, "task {} is already in progress"),
    2: (TASK_PAUSED, "task {} is already paused"),
}


@_service("App.Sip_Yccall.TaskSet", "set failed")
def task_set(ctx: Context) -> dict[str, Any]:
    taskid = ctx.fields.text("taskid")
    status = ctx.fields.integer("taskstatus", 1, 3)
    already = _ALREADY.get(status)
    if already is not None and ctx.floor.task_status(taskid) == already[0]:
        raise BusinessFailure(already[0], "set failed", already[1].format(taskid))
    ctx.floor.set_task(taskid, status)
    return success("successfully set", now=ctx.now)


# -- Sip_Queue ---------------------------------------------------------------------------
@_service("App.Sip_Queue.AddQueue", "add failed")
def add_queue(ctx: Context) -> dict[str, Any]:
    f = ctx.fields
    name = f.text("queuename")
    autocall = f.choice("autocall", ("yes", "no"))
    remark = f.text("remark")
    strategy = f.integer("strategy", *QUEUE_SETTINGS["strategy"], default=1)
    ctx.floor.add_queue(name, autocall == "yes", remark, strategy)
    return success("Added successfully", now=ctx.now)


@_service("App.Sip_Queue.EditQueue", "edit failed")
def edit_queue(ctx: Context) -> dict[str, Any]:
    f = ctx.fields
    name = f.text("queuename")
    remark = f.text("remark")
    settings = {
        setting: f.integer(setting, low, high)
        for setting, (low, high) in QUEUE_SETTINGS.items()
        if f.has(setting)
    }
    ctx.floor.edit_queue(name, remark, **settings)
    return success("Successfully modified", now=ctx.now)


@_service("App.Sip_Queue.DelQueue", "delete failed")
def del_queue(ctx: Context) -> dict[str, Any]:
    ctx.floor.del_queue(ctx.fields.text("queuename"))
    return success("successfully deleted", now=ctx.now)


@_service("App.Sip_Queue.GetQueueList", "get failed")
def get_queue_list(ctx: Context) -> dict[str, Any]:
    rows = ctx.floor.queue_rows(ctx.fields.text("queuename", required=False))
    return success("get success", rows, now=ctx.now)


@_service("App.Sip_Queue.GetQueueSipStatus", "get failed")
def get_queue_sip_status(ctx: Context) -> dict[str, Any]:
    f = ctx.fields
    rows = ctx.floor.queue_agents(
        f.text("queuename", required=False),
        f.text("extnumber", required=False),
        f.integer("state", 0, 4, default=0),
    )
    return success("get success", rows, now=ctx.now)


@_service("App.Sip_Queue.SetSeatsStatus", "set failed")
def set_seats_status(ctx: Context) -> dict[str, Any]:
    f = ctx.fields
    settype = f.integer("settype", 1, 2)
    extnumber = f.text("extnumber")
    crmid = f.digits("crmid")  # "crmid | int | yes | agent id"
    queuename = f.text("queuename")
    ctx.floor.set_seat_status(queuename, extnumber, crmid, settype == 1)
    return success("successfully set", now=ctx.now)


@_service("App.Sip_Queue.SipSignIn", "check in failed")
def sip_sign_in(ctx: Context) -> dict[str, Any]:
    f = ctx.fields
    queuename, extnumber = f.text("queuename"), f.text("extnumber")
    crmid = f.digits("crmid")  # "crmid | int | yes | Employee seat number"
    ctx.floor.sign_in(queuename, extnumber, crmid)
    return success("check in successful", now=ctx.now)


@_service("App.Sip_Queue.SipSignOut", "checkout failed")
def sip_sign_out(ctx: Context) -> dict[str, Any]:
    f = ctx.fields
    queuename, extnumber = f.text("queuename"), f.text("extnumber")
    crmid = f.digits("crmid")  # "crmid | int | yes | Employee seat number"
    queue = ctx.floor.queues.get(queuename)
    member = queue.members.get(extnumber) if queue is not None else None
    if member is not None and member.crmid != crmid:
        # The agent who checked in is the one who checks out: another agent id is refused
        # as a check exception (1002) and the extension stays checked in.
        raise BusinessFailure(
            1002,
            "checkout failed",
            f"extension {extnumber} is checked into {queuename} under another crmid",
        )
    ctx.floor.sign_out(queuename, extnumber, crmid)
    return success("checkout successful", now=ctx.now)


# -- Sip_Extgroup ------------------------------------------------------------------------
@_service("App.Sip_Extgroup.AddExtgroup", "add failed")
def add_extgroup(ctx: Context) -> dict[str, Any]:
    name = ctx.fields.text("name")
    # "status | string | no | Whether to enable: 1 enable 0 disable 2 all". "All" says
    # nothing for a group that does not exist yet: it is created enabled, as by default.
    status = ctx.fields.integer("status", 0, 2, default=1)
    ctx.floor.add_group(name, 1 if status == 2 else status)
    return success("Added successfully", now=ctx.now)


@_service("App.Sip_Extgroup.AddExtnumber", "add failed")
def add_extnumber(ctx: Context) -> dict[str, Any]:
    ctx.floor.add_group_ext(ctx.fields.text("name"), ctx.fields.text("extnumber"))
    return success("Added successfully", now=ctx.now)


@_service("App.Sip_Extgroup.DelExtnumber", "delete failed")
def del_extnumber(ctx: Context) -> dict[str, Any]:
    ctx.floor.del_group_ext(ctx.fields.text("name"), ctx.fields.text("extnumber"))
    return success("successfully deleted", now=ctx.now)


@_service("App.Sip_Extgroup.EditExtnumber", "edit failed")
def edit_extnumber(ctx: Context) -> dict[str, Any]:
    f = ctx.fields
    name, extnumber = f.text("name"), f.text("extnumber")
    state = f.choice("state", ("idle", "busy"))
    ctx.floor.edit_group_ext(name, extnumber, state)
    return success("edited successfully", now=ctx.now)


@_service("App.Sip_Extgroup.GetGroupExt", "get failed")
def get_group_ext(ctx: Context) -> dict[str, Any]:
    rows = ctx.floor.group_ext_rows(
        ctx.fields.text("name"), ctx.fields.text("extnumber", required=False)
    )
    return bare(rows)


@_service("App.Sip_Extgroup.GetExtgroupInfo", "get failed")
def get_extgroup_info(ctx: Context) -> dict[str, Any]:
    name = ctx.fields.text("name")
    status = ctx.fields.integer("status", 0, 2, default=2)
    if name not in ctx.floor.groups:
        # As GetGroupExt answers for the same unknown name: a check exception.
        raise BusinessFailure(1002, "get failed", f"group {name} does not exist")
    rows = ctx.floor.group_rows(name, status)
    return success("get success", rows, now=ctx.now)


# -- Sip_Sipnum and Sip_Status: extensions -----------------------------------------------
@_service("App.Sip_Sipnum.GetSipnumberInfo", "get failed")
def get_sipnumber_info(ctx: Context) -> dict[str, Any]:
    status = ctx.fields.integer("status", 1, 3, default=1)
    rows = ctx.floor.extension_rows(status, ctx.fields.text("extnumber", required=False))
    return success("get success", rows, now=ctx.now)


def _per_extension(ctx: Context, row: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    extnumbers = ctx.fields.csv("extnumber", limit=MAX_EXTENSIONS_PER_CALL)
    return success("get success", [row(extnumber) for extnumber in extnumbers], now=ctx.now)


@_service("App.Sip_Status.GetSipCallStatus", "get failed")
def get_sip_call_status(ctx: Context) -> dict[str, Any]:
    return _per_extension(ctx, ctx.floor.call_state)


@_service("App.Sip_Status.GetSipValidStatus", "get failed")
def get_sip_valid_status(ctx: Context) -> dict[str, Any]:
    return _per_extension(ctx, ctx.floor.valid_state)


@_service("App.Sip_Status.GetSipRegisterStatus", "get failed")
def get_sip_register_status(ctx: Context) -> dict[str, Any]:
    return _per_extension(ctx, ctx.floor.register_state)


def _check_every_service_has_a_handler() -> None:
    missing = [s.wire for s in SERVICES if find_route(s.wire) is None]
    if missing:  # pragma: no cover - a programming error, caught by the first import
        raise RuntimeError(f"services without a handler: {', '.join(missing)}")


_check_every_service_has_a_handler()
