"""The administrator: queues, extension groups and extensions, over the client.

The administration screens read and change the account's set-up: queues (AddQueue,
EditQueue, DelQueue, GetQueueList), extension groups (AddExtgroup, AddExtnumber,
DelExtnumber, EditExtnumber, GetExtgroupInfo, GetGroupExt) and extensions
(GetSipnumberInfo, GetSipRegisterStatus). A screen never calls the client; it calls this.

Every change follows the rules of the supervisor's floor actions (`live.actions`):
- a read-only dashboard refuses it and sends nothing;
- what can be checked here is checked before sending (a name, a number, a setting's range;
  a queue a campaign still uses is not deleted), and refused saying why;
- a change already in flight for the same target is refused, never sent twice;
- it is appended to the audit log, refused or not, with the server's code and answer
  (its `desc`), and returned as an `AdminResult` for the screen to show; it never raises.
A change that may have reached the server but got no answer is UNKNOWN, not FAILED.

Reads raise `AdminReadError`, one line in a supervisor's words. Extension passwords, which
GetSipnumberInfo returns (API-NOTES decision 7), stop at the client's model (no field for
them); `ExtensionRow` has none either, so no screen can show one.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from wallboard.api import errors
from wallboard.api.models import (
    Ack,
    Extension,
    ExtensionRegistration,
    Group,
    GroupExtension,
    Queue,
)
from wallboard.live.actions import AuditedSender, Outcome
from wallboard.live.admin_groups import KnownGroups
from wallboard.live.admin_rows import (
    ExtensionRow,
    GroupRow,
    MemberRow,
    QueueRow,
    extension_rows,
)
from wallboard.live.admin_words import (
    SETTING_BY_KEY,
)
from wallboard.live.audit import AuditLog, current_user
from wallboard.live.campaigns import CampaignRegistry, TrackedTask
from wallboard.live.snapshot import CampaignStatus

log = logging.getLogger("wallboard.live.admin")

#: GetExtgroupInfo's code for a group name it does not know: the documents' "abnormal
#: operation" (a failed check, `codes.BUSINESS`). Any other refusal says nothing of whether
#: the group exists, so a known group is forgotten on this code only.
NO_SUCH_GROUP = 1002

#: A campaign in these states no longer dials for its queue.
_DONE_WITH_QUEUE = frozenset({CampaignStatus.OVER, CampaignStatus.MISSING})
MEMBER_STATES = ("idle", "busy")


class AdminAction(enum.StrEnum):
    """Every change the administration screens make; the value is the audit log's word."""

    ADD_QUEUE = "add queue"
    EDIT_QUEUE = "edit queue"
    DELETE_QUEUE = "delete queue"
    ADD_GROUP = "add group"
    ADD_MEMBER = "add to group"
    REMOVE_MEMBER = "remove from group"
    SET_MEMBER_STATE = "set group member state"


#: The service each change calls (the audit line's `service` field).
SERVICE_OF: dict[AdminAction, str] = {
    AdminAction.ADD_QUEUE: "App.Sip_Queue.AddQueue",
    AdminAction.EDIT_QUEUE: "App.Sip_Queue.EditQueue",
    AdminAction.DELETE_QUEUE: "App.Sip_Queue.DelQueue",
    AdminAction.ADD_GROUP: "App.Sip_Extgroup.AddExtgroup",
    AdminAction.ADD_MEMBER: "App.Sip_Extgroup.AddExtnumber",
    AdminAction.REMOVE_MEMBER: "App.Sip_Extgroup.DelExtnumber",
    AdminAction.SET_MEMBER_STATE: "App.Sip_Extgroup.EditExtnumber",
}


@dataclass(frozen=True, slots=True)
class AdminResult:
    """What became of one change, for the screen's status line and a notification."""

    action: AdminAction
    target: str  # "queue sales", "group night-shift", "9026001 in group night-shift"
    outcome: Outcome
    message: str
    code: int | None = None  # the server's code, when it gave one
    answer: str = ""  # the server's own words (`desc`) when it accepted the change

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.DONE


class AdminReadError(Exception):
    """A read for an administration screen failed; the text is one line for the screen."""


# ---------------------------------------------------------------------- the client


class AdminClient(Protocol):
    """The part of `WallboardClient` the administrator uses."""

    async def queues(self, queuename: str = "") -> Sequence[Queue]: ...
    async def add_queue(
        self, queuename: str, autocall: str | bool, remark: str, strategy: int | None = None
    ) -> Ack: ...
    async def edit_queue(
        self,
        queuename: str,
        remark: str,
        *,
        strategy: int | None = None,
        announcefreq: int | None = None,
        ringdelay: int | None = None,
        maxwaittime: int | None = None,
        withnoagenttime: int | None = None,
        noagentrejoiningtime: int | None = None,
        discardtime: int | None = None,
    ) -> Ack: ...
    async def delete_queue(self, queuename: str) -> Ack: ...
    async def add_group(self, name: str, status: int | None = None) -> Ack: ...
    async def add_group_extension(self, name: str, extnumber: str) -> Ack: ...
    async def remove_group_extension(self, name: str, extnumber: str) -> Ack: ...
    async def edit_group_extension(self, name: str, extnumber: str, state: str) -> Ack: ...
    async def group_extensions(
        self, name: str, extnumber: str = ""
    ) -> Sequence[GroupExtension]: ...
    async def groups(self, name: str, status: int | None = None) -> Sequence[Group]: ...
    async def extensions(self, status: int = 3, extnumber: str = "") -> Sequence[Extension]: ...
    async def register_status(
        self, extnumbers: Sequence[str], batch_size: int | None = None
    ) -> Sequence[ExtensionRegistration]: ...


Details = dict[str, object]
T = TypeVar("T")


def queue_words(name: str) -> str:
    return f"queue {name.strip() or '?'}"


def group_words(name: str) -> str:
    return f"group {name.strip() or '?'}"


def member_words(group: str, extnumber: str) -> str:
    return f"{extnumber.strip() or '?'} in {group_words(group)}"


#: How a change on a group member reads in a sentence: "could not add 8001 to group g".
_MEMBER_DOING = {
    AdminAction.ADD_MEMBER: "add {ext} to {group}",
    AdminAction.REMOVE_MEMBER: "take {ext} out of {group}",
    AdminAction.SET_MEMBER_STATE: "set the state of {ext} in {group}",
}


def doing(action: AdminAction, target: str) -> str:
    """The change on its target in words: "add queue sales" (not "add queue queue sales"),
    "add 8001 to group closers"."""
    pattern = _MEMBER_DOING.get(action)
    if pattern is not None:
        ext, _, group = target.partition(" in ")
        return pattern.format(ext=ext, group=group)
    verb, _, noun = action.value.rpartition(" ")
    return f"{verb} {target}" if target.startswith(f"{noun} ") else f"{action.value} {target}"


def _single_line(text: str, limit: int = 64) -> str:
    return " ".join(text.split())[:limit]


class Administrator:
    """Reads and changes the account's queues, extension groups and extensions."""

    def __init__(
        self,
        client: AdminClient,
        audit: AuditLog,
        *,
        read_only: bool = False,
        user: str | None = None,
        registry: CampaignRegistry | None = None,
        groups: KnownGroups | None = None,
        profile: str | None = None,
    ) -> None:
        self._client = client
        self._sender = AuditedSender(audit, profile=profile)
        self.read_only = read_only
        self.user = user or current_user()
        self.registry = registry
        self.known_groups = groups if groups is not None else KnownGroups()

    def __repr__(self) -> str:
        return f"Administrator(user={self.user!r}, read_only={self.read_only})"

    # ------------------------------------------------------------------ reads

    async def queue_rows(self) -> list[QueueRow]:
        """Every queue with its settings (GetQueueList), by name."""
        queues = await self._read(lambda: self._client.queues())
        return sorted((QueueRow.from_model(q) for q in queues), key=lambda row: row.name)

    def campaigns_using(self, queue: str) -> list[TrackedTask]:
        """The campaigns this dashboard tracks that dial for `queue` and have not ended.

        No documented call lists tasks (API-NOTES decision 5): the registry is what this
        dashboard knows. A paused or not yet started campaign counts: it dials for the
        queue again once resumed. GetQueueList's `autocall busy` covers the rest."""
        if self.registry is None:
            return []
        name = queue.strip()
        return [
            task
            for task in self.registry.tasks()
            if task.assigned_to.strip() == name and task.status not in _DONE_WITH_QUEUE
        ]

    async def group_rows(self) -> list[GroupRow]:
        """The groups this dashboard knows by name (`KnownGroups`), each as the server has
        it now; a group the server says does not exist (`NO_SUCH_GROUP`) is forgotten, and
        any other refusal fails the read (the group may well exist)."""
        rows: list[GroupRow] = []
        for name in self.known_groups.names():
            try:
                found = await self._client.groups(name, 2)
            except errors.BusinessError as exc:
                if exc.code != NO_SUCH_GROUP:
                    raise AdminReadError(self._failure(exc)) from None
                log.info("group %s: the server does not know it; forgotten", name)
                self.known_groups.forget(name)
                continue
            except Exception as exc:
                raise AdminReadError(self._failure(exc)) from None
            rows.extend(GroupRow.from_model(g) for g in found if g.name == name or not g.name)
        return rows

    async def look_up_group(self, name: str) -> GroupRow | None:
        """A group by name (GetExtgroupInfo); remembered when found, None when the server
        says it does not exist (`NO_SUCH_GROUP`); AdminReadError for any other refusal."""
        wanted = name.strip()
        if not wanted:
            raise AdminReadError("Which group? Type its name.")
        try:
            found = await self._client.groups(wanted, 2)
        except errors.BusinessError as exc:
            if exc.code == NO_SUCH_GROUP:
                return None
            raise AdminReadError(self._failure(exc)) from None
        except Exception as exc:
            raise AdminReadError(self._failure(exc)) from None
        row = next((GroupRow.from_model(g) for g in found if g.name in (wanted, "")), None)
        if row is not None:
            self.known_groups.add(wanted)
        return row

    async def members(self, group: str) -> list[MemberRow]:
        """The extensions of a group (GetGroupExt), by extension."""
        found = await self._read(lambda: self._client.group_extensions(group.strip()))
        rows = [MemberRow.from_model(group.strip(), m) for m in found]
        return sorted(rows, key=lambda row: row.extnumber)

    async def extension_rows(self) -> list[ExtensionRow]:
        """Every extension, enabled or not (GetSipnumberInfo status 3), with its
        registration and client IP (GetSipRegisterStatus). Never a password."""
        found = await self._read(lambda: self._client.extensions(3))
        numbers = [ext.extnumber for ext in found if ext.extnumber]
        registrations: Sequence[ExtensionRegistration] = []
        if numbers:
            registrations = await self._read(lambda: self._client.register_status(numbers))
        return extension_rows(found, registrations)

    # ------------------------------------------------------------------ queues

    async def add_queue(
        self, name: str, *, autocall: bool, remark: str, strategy: int | None = None
    ) -> AdminResult:
        """AddQueue: a new queue, taking predictive calls or not (`autocall`)."""
        action = AdminAction.ADD_QUEUE
        name, remark = name.strip(), remark.strip()
        target = queue_words(name)
        details: Details = {"queue": name, "autocall": "yes" if autocall else "no"}
        if strategy is not None:
            details["strategy"] = strategy
        if self.read_only:
            return self.refuse(action, target, details)
        problem = _name_problem("queue", name) or _remark_problem(remark)
        if problem is None and strategy is not None:
            problem = _setting_problem("strategy", strategy)
        if problem:
            return self._finish(action, target, Outcome.REFUSED, problem, details=details)
        return await self._send(
            action,
            target,
            lambda: self._client.add_queue(name, autocall, remark, strategy),
            f"added {target}",
            details,
        )

    async def edit_queue(
        self, name: str, *, remark: str, settings: Mapping[str, int]
    ) -> AdminResult:
        """EditQueue: the remark (required by the service) and the settings given."""
        action = AdminAction.EDIT_QUEUE
        name, remark = name.strip(), remark.strip()
        target = queue_words(name)
        details: Details = {"queue": name, **settings}
        if self.read_only:
            return self.refuse(action, target, details)
        problem = _name_problem("queue", name) or _remark_problem(remark)
        for key, value in settings.items():
            problem = problem or _setting_problem(key, value)
        if problem:
            return self._finish(action, target, Outcome.REFUSED, problem, details=details)
        chosen = {key: int(value) for key, value in settings.items()}
        return await self._send(
            action,
            target,
            lambda: self._client.edit_queue(
                name,
                remark,
                strategy=chosen.get("strategy"),
                announcefreq=chosen.get("announcefreq"),
                ringdelay=chosen.get("ringdelay"),
                maxwaittime=chosen.get("maxwaittime"),
                withnoagenttime=chosen.get("withnoagenttime"),
                noagentrejoiningtime=chosen.get("noagentrejoiningtime"),
                discardtime=chosen.get("discardtime"),
            ),
            f"changed {target}",
            details,
        )

    async def delete_queue(self, name: str) -> AdminResult:
        """DelQueue, unless a campaign still uses the queue: one this dashboard tracks that
        has not ended, or predictive calls the server shows running on it (GetQueueList's
        `autocall busy`, read again just before: the screen's copy may be old)."""
        action = AdminAction.DELETE_QUEUE
        name = name.strip()
        target = queue_words(name)
        details: Details = {"queue": name}
        if self.read_only:
            return self.refuse(action, target, details)
        problem = _name_problem("queue", name)
        if problem:
            return self._finish(action, target, Outcome.REFUSED, problem, details=details)
        using = self.campaigns_using(name)
        if using:
            named = ", ".join(f"{task.label} ({task.status.value})" for task in using[:3])
            more = f" and {len(using) - 3} more" if len(using) > 3 else ""
            word = "campaign" if len(using) == 1 else "campaigns"
            why = f"{target} is used by {word} {named}{more}: end it first; not sent"
            details["taskids"] = [task.taskid for task in using]
            return self._finish(action, target, Outcome.REFUSED, why, details=details)
        try:
            now = await self._client.queues(name)
        except Exception as exc:
            why = f"could not check that no campaign uses {target} ({self._failure(exc)}): not sent"
            code = exc.code if isinstance(exc, errors.ApiError) else None
            return self._finish(action, target, Outcome.REFUSED, why, code=code, details=details)
        if any(q.queuename == name and q.autocall.strip().lower() == "busy" for q in now):
            why = f"{target} has predictive calls running on it (autocall busy): not sent"
            return self._finish(action, target, Outcome.REFUSED, why, details=details)
        return await self._send(
            action, target, lambda: self._client.delete_queue(name), f"deleted {target}", details
        )

    # ------------------------------------------------------------------ groups

    async def add_group(self, name: str, *, enabled: bool = True) -> AdminResult:
        """AddExtgroup (status 1 enabled, 0 disabled); the new group is remembered."""
        action = AdminAction.ADD_GROUP
        name = name.strip()
        target = group_words(name)
        status = 1 if enabled else 0
        details: Details = {"group": name, "status": status}
        if self.read_only:
            return self.refuse(action, target, details)
        problem = _name_problem("group", name)
        if problem:
            return self._finish(action, target, Outcome.REFUSED, problem, details=details)
        result = await self._send(
            action, target, lambda: self._client.add_group(name, status), f"added {target}", details
        )
        if result.ok:
            self.known_groups.add(name)
        return result

    async def add_member(self, group: str, extnumber: str) -> AdminResult:
        """AddExtnumber: put an extension into a group."""
        return await self._member_change(
            AdminAction.ADD_MEMBER,
            group,
            extnumber,
            lambda g, e: self._client.add_group_extension(g, e),
            "added {ext} to {group}",
        )

    async def remove_member(self, group: str, extnumber: str) -> AdminResult:
        """DelExtnumber: take an extension out of a group."""
        return await self._member_change(
            AdminAction.REMOVE_MEMBER,
            group,
            extnumber,
            lambda g, e: self._client.remove_group_extension(g, e),
            "took {ext} out of {group}",
        )

    async def set_member_state(self, group: str, extnumber: str, state: str) -> AdminResult:
        """EditExtnumber: a member idle (takes the group's calls) or busy (takes none)."""
        wanted = state.strip().lower()
        return await self._member_change(
            AdminAction.SET_MEMBER_STATE,
            group,
            extnumber,
            lambda g, e: self._client.edit_group_extension(g, e, wanted),
            "{ext} is " + wanted + " in {group}",
            state=wanted,
        )

    async def _member_change(
        self,
        action: AdminAction,
        group: str,
        extnumber: str,
        send: Callable[[str, str], Awaitable[Ack]],
        done: str,
        *,
        state: str | None = None,
    ) -> AdminResult:
        group, ext = group.strip(), extnumber.strip()
        target = member_words(group, ext)
        details: Details = {"group": group, "extnumber": ext}
        if state is not None:
            details["state"] = state
        if self.read_only:
            return self.refuse(action, target, details)
        problem = _name_problem("group", group)
        if problem is None and not ext.isdigit():
            problem = "an extension is a number: type its digits"
        if problem is None and state is not None and state not in MEMBER_STATES:
            problem = "a member's state is idle or busy"
        if problem:
            return self._finish(action, target, Outcome.REFUSED, problem, details=details)
        message = done.format(ext=ext, group=group_words(group))
        return await self._send(action, target, lambda: send(group, ext), message, details)

    # ------------------------------------------------------------------ the rules

    def refuse(
        self, action: AdminAction, target: str, details: Details | None = None
    ) -> AdminResult:
        """A read-only dashboard sends nothing: the refusal is audited like any outcome. A
        screen calls this for a change it does not even ask about when read-only."""
        message = f"{action.value} not sent: this dashboard is read-only"
        return self._finish(action, target, Outcome.REFUSED, message, details=details)

    async def _send(
        self,
        action: AdminAction,
        target: str,
        send: Callable[[], Awaitable[Ack]],
        done: str,
        details: Details,
    ) -> AdminResult:
        stopped, ack = await self._sender.send(
            f"{action.value}:{target}",
            send,
            label=action.value,
            what=doing(action, target),
            target=target,
        )
        if stopped is not None:
            return self._finish(
                action, target, stopped.outcome, stopped.message, code=stopped.code, details=details
            )
        answer = _single_line(ack.desc) if ack is not None else ""
        message = f"{done} (server: {answer})" if answer else done
        return self._finish(action, target, Outcome.DONE, message, details=details, answer=answer)

    async def _read(self, read: Callable[[], Awaitable[T]]) -> T:
        try:
            return await read()
        except Exception as exc:
            if not isinstance(exc, errors.ApiError):
                log.exception("an administration read failed unexpectedly")
            raise AdminReadError(self._failure(exc)) from None

    def _failure(self, exc: BaseException) -> str:
        return self._sender.failure(exc)

    def _finish(
        self,
        action: AdminAction,
        target: str,
        outcome: Outcome,
        message: str,
        *,
        code: int | None = None,
        details: Details | None = None,
        answer: str = "",
    ) -> AdminResult:
        fields: Details = {"service": SERVICE_OF[action], **(details or {})}
        if answer:
            fields["answer"] = answer
        message = self._sender.audited(
            action=action.value,
            target=target,
            outcome=outcome,
            message=message,
            user=self.user,
            code=code,
            details=fields,
        )
        return AdminResult(action, target, outcome, message, code, answer)


def _name_problem(kind: str, name: str) -> str | None:
    if not name:
        return f"a {kind} needs a name"
    if len(name) > 64 or any(not ch.isprintable() for ch in name):
        return f"a {kind} name is at most 64 printable characters"
    return None


def _remark_problem(remark: str) -> str | None:
    # AddQueue/EditQueue: "| remark | string | yes | task group ID |".
    return None if remark else "a queue needs a remark (the service requires one)"


def _setting_problem(key: str, value: int) -> str | None:
    setting = SETTING_BY_KEY.get(key)
    if setting is None:
        return f"{key} is not a queue setting"
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{setting.label} must be a whole number"
    if not setting.low <= value <= setting.high:
        return f"{setting.label} must be from {setting.low} to {setting.high}"
    return None


__all__ = [
    "MEMBER_STATES",
    "NO_SUCH_GROUP",
    "SERVICE_OF",
    "AdminAction",
    "AdminClient",
    "AdminReadError",
    "AdminResult",
    "Administrator",
    "ExtensionRow",
    "GroupRow",
    "MemberRow",
    "QueueRow",
    "doing",
    "extension_rows",
    "group_words",
    "member_words",
    "queue_words",
]
