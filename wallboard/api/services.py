"""The 26 documented services: wire name, the client's method name, and whether it changes
the floor.

One table so that the client, the simulator, the CLI's `wallboard call` and the tests agree
on names. A service that changes the floor is never repeated by the client once it may have
reached the server (a timeout there is "outcome unknown").
"""

from __future__ import annotations

from dataclasses import dataclass

#: At most this many numbers in one TaskCreat or TaskAdd (documented).
MAX_NUMBERS_PER_CALL = 10_000
#: Seconds a Login's token lives (documented: 12 hours).
TOKEN_LIFETIME = 12 * 3600.0


@dataclass(frozen=True, slots=True)
class Service:
    wire: str  # "App.Sip_Queue.GetQueueSipStatus"
    method: str  # the client's snake_case method, e.g. "queue_agents"
    mutation: bool  # changes the floor: never retried once it may have been sent

    @property
    def short(self) -> str:
        """The method part of the wire name: "GetQueueSipStatus"."""
        return self.wire.rsplit(".", 1)[-1]


SERVICES: tuple[Service, ...] = (
    Service("App.Sip_Auth.Login", "login", False),
    Service("App.Sip_Auth.Logout", "logout", False),
    Service("App.Sip_Cdr.GetBill", "bills", False),
    Service("App.Sip_Cdr.GetRecodeFile", "recording_link", False),
    Service("App.Sip_Yccall.TaskCreat", "create_task", True),
    Service("App.Sip_Yccall.TaskAdd", "add_numbers", True),
    Service("App.Sip_Yccall.taskDelPhone", "remove_numbers", True),
    Service("App.Sip_Yccall.TaskSet", "set_task", True),
    Service("App.Sip_Queue.AddQueue", "add_queue", True),
    Service("App.Sip_Queue.EditQueue", "edit_queue", True),
    Service("App.Sip_Queue.DelQueue", "delete_queue", True),
    Service("App.Sip_Queue.GetQueueList", "queues", False),
    Service("App.Sip_Queue.GetQueueSipStatus", "queue_agents", False),
    Service("App.Sip_Queue.SetSeatsStatus", "set_agent_status", True),
    Service("App.Sip_Queue.SipSignIn", "sign_in", True),
    Service("App.Sip_Queue.SipSignOut", "sign_out", True),
    Service("App.Sip_Extgroup.AddExtgroup", "add_group", True),
    Service("App.Sip_Extgroup.AddExtnumber", "add_group_extension", True),
    Service("App.Sip_Extgroup.DelExtnumber", "remove_group_extension", True),
    Service("App.Sip_Extgroup.EditExtnumber", "edit_group_extension", True),
    Service("App.Sip_Extgroup.GetGroupExt", "group_extensions", False),
    Service("App.Sip_Extgroup.GetExtgroupInfo", "groups", False),
    Service("App.Sip_Sipnum.GetSipnumberInfo", "extensions", False),
    Service("App.Sip_Status.GetSipCallStatus", "call_status", False),
    Service("App.Sip_Status.GetSipValidStatus", "valid_status", False),
    Service("App.Sip_Status.GetSipRegisterStatus", "register_status", False),
)

_BY_KEY: dict[str, Service] = {}
for _service in SERVICES:
    for _key in (_service.wire, _service.short, _service.method):
        _BY_KEY[_key.lower()] = _service


def find(name: str) -> Service | None:
    """A service by its wire name, its method part or the client's method name, any case."""
    return _BY_KEY.get(name.strip().lower())
