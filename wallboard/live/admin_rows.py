"""The rows the administration screens show: queues with their settings, groups, group
members and extensions, each made from the client's models in one place.

`ExtensionRow` has no password field, on purpose: GetSipnumberInfo returns extension
passwords (API-NOTES decision 7), the client's model drops them on arrival, and no row
could carry one to a screen even if a model kept it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wallboard.api.models import Extension, ExtensionRegistration, Group, GroupExtension, Queue
from wallboard.live.admin_words import QUEUE_SETTINGS, autocall_words, setting_words

#: Extension codes of GetSipnumberInfo / GetSipRegisterStatus (codes table).
EXT_ENABLED = 1016
EXT_DISABLED = 1013
EXT_REGISTERED = 1017
EXT_UNREGISTERED = 1014


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A queue as the screen shows it: its settings by key (None: the server gave none)."""

    name: str
    remark: str
    autocall: str  # busy / idle / unavailable, as the server said
    announce: str
    settings: Mapping[str, int | None]

    @classmethod
    def from_model(cls, queue: Queue) -> QueueRow:
        settings = {setting.key: getattr(queue, setting.key) for setting in QUEUE_SETTINGS}
        return cls(
            queue.queuename,
            queue.remark,
            queue.autocall.strip().lower(),
            queue.announce,
            settings,
        )

    def value(self, key: str) -> int | None:
        return self.settings.get(key)

    def words(self, key: str) -> str:
        """A setting's value as shown: "30 s", "1 longest idle rings first"."""
        return setting_words(key, self.value(key))

    @property
    def autocall_words(self) -> str:
        return autocall_words(self.autocall)


@dataclass(frozen=True, slots=True)
class GroupRow:
    """An extension group (GetExtgroupInfo)."""

    name: str
    id: int | None
    status: int | None  # 1 enabled, 0 disabled; other codes shown as their number

    @classmethod
    def from_model(cls, group: Group) -> GroupRow:
        return cls(group.name, group.id, group.status)


@dataclass(frozen=True, slots=True)
class MemberRow:
    """An extension in a group (GetGroupExt): its call now and its state in the group."""

    group: str
    extnumber: str
    call: str  # hangup / ring / answer
    state: str  # idle / busy

    @classmethod
    def from_model(cls, group: str, member: GroupExtension) -> MemberRow:
        return cls(member.name or group, member.extnumber, member.status, member.state.lower())


@dataclass(frozen=True, slots=True)
class ExtensionRow:
    """An extension as the screen shows it. It has no password field, on purpose: the
    server's password never gets further than the client's model, which drops it."""

    extnumber: str
    enabled: bool | None  # None: the server gave a code the documents do not list
    registered: bool | None
    clientip: str = ""
    serverip: str = ""
    status_code: int | None = None

    @property
    def enabled_words(self) -> str:
        if self.enabled is None:
            return "–" if self.status_code is None else f"status {self.status_code}"
        return "enabled" if self.enabled else "disabled"

    @property
    def registered_words(self) -> str:
        if self.registered is None:
            return "–"
        return "registered" if self.registered else "not registered"


def extension_rows(
    extensions: Sequence[Extension], registrations: Sequence[ExtensionRegistration]
) -> list[ExtensionRow]:
    """GetSipnumberInfo's rows joined with GetSipRegisterStatus's (client and server IP);
    the registration code, read a moment later, wins over GetSipnumberInfo's reg/nreg."""
    by_ext = {reg.extnumber: reg for reg in registrations}
    rows: list[ExtensionRow] = []
    for ext in extensions:
        reg = by_ext.get(ext.extnumber)
        registered: bool | None = {"reg": True, "nreg": False}.get(ext.register.strip().lower())
        if reg is not None and reg.code in (EXT_REGISTERED, EXT_UNREGISTERED):
            registered = reg.code == EXT_REGISTERED
        enabled = {EXT_ENABLED: True, EXT_DISABLED: False}.get(ext.status or 0)
        rows.append(
            ExtensionRow(
                ext.extnumber,
                enabled,
                registered,
                clientip=reg.clientip if reg is not None else "",
                serverip=reg.serverip if reg is not None else "",
                status_code=ext.status,
            )
        )
    return sorted(rows, key=lambda row: row.extnumber)


__all__ = [
    "EXT_DISABLED",
    "EXT_ENABLED",
    "EXT_REGISTERED",
    "EXT_UNREGISTERED",
    "ExtensionRow",
    "GroupRow",
    "MemberRow",
    "QueueRow",
    "extension_rows",
]
