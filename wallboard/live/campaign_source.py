"""A new campaign from a list, and numbers taken out of one: what the screen and the command
line both drive, so that both check, schedule, send, save and audit the same way.

The steps, each a method of `LiveCampaignSource` (the New campaign screen's source):

    preview   read the list (a file or pasted text), check it, set each number's `time` to
              its first moment inside its calling hours on the server's clock: the counts
    send      the upload (`wallboard.live.upload`: journaled, resumable), the rows not sent
              saved beside the file, the audit line, the campaign tracked at once
    remove    taskDelPhone for numbers from a file or a selection, audited
    unfinished  the uploads a journal says were begun and not done, to offer to finish

A read-only dashboard refuses `send` and `remove`, and the refusal is audited like any
outcome. Nothing here knows about widgets; nothing in the UI calls the client.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from wallboard.api.errors import ApiError
from wallboard.api.services import MAX_NUMBERS_PER_CALL
from wallboard.live.calling_hours import (
    UNKNOWN_HOLD,
    UNKNOWN_SEND,
    CallingPlan,
    CallingRules,
    schedule,
)
from wallboard.live.campaigns import CampaignRegistry, TrackedTask
from wallboard.live.numbers_file import (
    NumbersFileError,
    NumbersList,
    RejectedRow,
    invalid_path,
    read_numbers_file,
    read_numbers_text,
    server_rejections,
    write_rejected,
)
from wallboard.live.upload import (
    ASSIGN_EXTENSION,
    ASSIGN_GROUP,
    ASSIGN_QUEUE,
    CampaignTarget,
    CampaignUpload,
    JournalState,
    JsonValue,
    UploadConflict,
    UploadError,
    UploadJournal,
    UploadPlan,
    UploadProgress,
    UploadResult,
    journal_folder,
    unfinished_uploads,
)

if TYPE_CHECKING:
    from wallboard.api.client import WallboardClient
    from wallboard.live.audit import AuditLog

log = logging.getLogger("wallboard.live.campaign_source")

ACTION_CREATE = "create campaign"
ACTION_REMOVE = "remove numbers"
TARGET_KINDS = {"queue": ASSIGN_QUEUE, "group": ASSIGN_GROUP, "extensions": ASSIGN_EXTENSION}


class CampaignRefused(Exception):
    """The dashboard will not do it (read-only); the message says why."""


class CampaignProblem(Exception):
    """The list or the request cannot be used as given; the one-line message says why."""


class CampaignStopped(Exception):
    """The server refused, or could not be reached (or another run holds the upload): the
    one-line message says so. An upload stopped part-way is journaled: sending the same
    list again finishes it. `code` is the server's, when it gave one."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class CampaignRequest:
    """What a supervisor asks for: the campaign, its list, and how it starts."""

    name: str
    target: CampaignTarget
    numbers_file: Path | None = None  # a CSV/XLSX/text file, or None for `pasted`
    pasted: str = ""
    scale: str = "1:1"
    caller_ids: tuple[str, ...] = ()
    start: int | None = None  # no number before this moment (unix seconds)
    region: str | None = None  # of numbers written without a country code
    running: bool = True  # opened (TaskSet 1) once every number is in
    unknown_zones: str = UNKNOWN_HOLD

    @property
    def source_label(self) -> str:
        return str(self.numbers_file) if self.numbers_file is not None else "pasted text"

    def journaled(self) -> dict[str, JsonValue]:
        """How the list was asked for, for the journal (to offer an unfinished upload)."""
        return {
            "file": str(self.numbers_file) if self.numbers_file is not None else None,
            "pasted": self.pasted if self.numbers_file is None else None,
            "assigntype": self.target.assigntype,
            "assignagent": self.target.assignagent,
            "scale": self.scale,
            "caller_ids": list(self.caller_ids),
            "start": self.start,
            "region": self.region,
            "running": self.running,
            "unknown_zones": self.unknown_zones,
        }

    @classmethod
    def from_journal(cls, name: str, saved: dict[str, JsonValue]) -> CampaignRequest | None:
        """The request an unfinished upload was made from; None when the journal predates
        these fields (the command line can still finish it)."""
        assigntype, agent = saved.get("assigntype"), saved.get("assignagent")
        if not isinstance(assigntype, int) or not isinstance(agent, str):
            return None
        file, pasted = saved.get("file"), saved.get("pasted")
        callers = saved.get("caller_ids")
        start, region = saved.get("start"), saved.get("region")
        unknown = saved.get("unknown_zones")
        return cls(
            name=name,
            target=CampaignTarget(assigntype, agent),
            numbers_file=Path(file) if isinstance(file, str) else None,
            pasted=pasted if isinstance(pasted, str) else "",
            scale=str(saved.get("scale") or "1:1"),
            caller_ids=tuple(str(c) for c in callers) if isinstance(callers, list) else (),
            start=start if isinstance(start, int) and not isinstance(start, bool) else None,
            region=region if isinstance(region, str) else None,
            running=saved.get("running") is not False,
            unknown_zones=unknown if unknown in (UNKNOWN_HOLD, UNKNOWN_SEND) else UNKNOWN_HOLD,
        )


@dataclass(frozen=True, slots=True)
class CampaignPreview:
    """A checked and scheduled list: the counts the screen shows, and what `send` sends."""

    request: CampaignRequest
    read: NumbersList  # as checked, before calling hours
    calling: CallingPlan  # `calling.numbers` is what is sent
    clock_is_servers: bool  # False: no answer from the server yet, this machine's clock
    unfinished: JournalState | None = None  # an unfinished upload of this name and list

    @property
    def numbers(self) -> NumbersList:
        return self.calling.numbers

    @property
    def calls(self) -> tuple[int, int]:
        """(TaskCreat, TaskAdd) calls the upload takes."""
        chunks = -(-self.numbers.valid // MAX_NUMBERS_PER_CALL)
        return (1, chunks - 1) if chunks else (0, 0)

    def plan(self) -> UploadPlan:
        request = self.request
        return UploadPlan(
            name=request.name,
            target=request.target,
            entries=tuple(self.numbers.entries()),
            taskscale=request.scale,
            caller_ids=request.caller_ids,
            planned_at=self.calling.now,
            request=request.journaled(),
        )


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What the upload did, and where the rows not sent were saved."""

    result: UploadResult
    refused: tuple[RejectedRow, ...]  # the server's invaliddata, placed in the file
    saved_to: Path | None  # the rows not sent (invalid, held, refused); None: none
    save_problem: str = ""  # the file could not be written


@dataclass(frozen=True, slots=True)
class RemoveOutcome:
    """Numbers taken out. The server's answer is what counts: a disk that fails afterwards
    (the audit log, the campaigns file) is said, never turned into a failure."""

    taskid: str
    removed: int  # numbers asked to be taken out (those already dialled stay dialled)
    audit_problem: str = ""  # the audit log could not be written
    registry_problem: str = ""  # the campaigns file could not be written

    @property
    def warning(self) -> str:
        """The disk problems in one line; "" when there were none."""
        return "; ".join(p for p in (self.audit_problem, self.registry_problem) if p)


@dataclass(frozen=True, slots=True)
class UnfinishedUpload:
    name: str
    numbers: int
    taskid: str | None
    request: CampaignRequest | None  # None: only the command line can finish it
    planned_at: int | None


# ---------------------------------------------------------------------- reading


def read_request(request: CampaignRequest, tz: dt.tzinfo | None) -> NumbersList:
    """The checked list a request names (NumbersFileError when it cannot be read)."""
    if request.numbers_file is not None:
        return read_numbers_file(
            request.numbers_file, region=request.region, tz=tz, start=request.start
        )
    if not request.pasted.strip():
        raise NumbersFileError("no numbers: give a file, or paste them")
    return read_numbers_text(request.pasted, region=request.region, tz=tz, start=request.start)


def rejected_path(request: CampaignRequest, taskid: str | None, folder: Path) -> Path:
    """Beside the file (`FILE.invalid.csv`); pasted text's go to the journals' folder."""
    if request.numbers_file is not None:
        return invalid_path(request.numbers_file)
    return folder / f"task-{taskid or request.name}.invalid.csv"


def save_rejected(
    request: CampaignRequest, preview: CampaignPreview, result: UploadResult, folder: Path
) -> SendOutcome:
    """Save the rows not sent (invalid, held for calling hours, refused by the server)."""
    refused = tuple(server_rejections(preview.numbers, result.refused))
    rows = [*preview.numbers.invalid, *refused]
    if not rows or result.already_done:
        return SendOutcome(result, refused, None)
    path = rejected_path(request, result.taskid, folder)
    try:
        write_rejected(path, rows)
    except OSError as exc:
        return SendOutcome(result, refused, None, f"cannot write {path}: {exc.strerror or exc}")
    return SendOutcome(result, refused, path)


def audit_creation(
    audit: AuditLog,
    request: CampaignRequest,
    outcome: str,
    *,
    numbers: int,
    taskid: str | None = None,
    code: int | None = None,
    message: str = "",
) -> str:
    """One audit line for a campaign made, refused or stopped; "" or the write problem."""
    return audit.write(
        action=ACTION_CREATE,
        target=f"task {taskid}" if taskid else f"campaign {request.name}",
        outcome=outcome,
        code=code,
        message=message,
        details={
            "campaign": request.name,
            "assigned_to": request.target.label,
            "numbers": numbers,
        },
    )


# ---------------------------------------------------------------------- the source


@dataclass
class LiveCampaignSource:
    """The New campaign screen's source over the client, the registry and the audit log."""

    client: WallboardClient
    registry: CampaignRegistry
    audit: AuditLog
    read_only: bool = False
    rules: CallingRules = field(default_factory=CallingRules)
    tz: dt.tzinfo | None = None  # the server's zone: text times in the list are in it
    region: str | None = None  # the default region of numbers without a country code
    clock: Callable[[], float] = time.time
    folder: Path | None = None  # the journals' folder (default: the data dir's)

    @property
    def journals(self) -> Path:
        return self.folder if self.folder is not None else journal_folder()

    async def server_now(self) -> tuple[int, bool]:
        """The server's clock (asking it once when no answer has told it yet), and whether it
        is the server's: when the server cannot be reached, this machine's, said so."""
        if self.client.server_offset is None:
            try:
                await self.client.login()
            except ApiError:
                return int(self.clock()), False
        offset = self.client.server_offset
        if offset is None:
            return int(self.clock()), False
        return int(self.clock() + offset), True

    async def preview(
        self, request: CampaignRequest, *, planned_at: int | None = None, fresh: bool = False
    ) -> CampaignPreview:
        """The checked, scheduled list; CampaignProblem when it cannot be read. An unfinished
        upload of the same name is planned from its own moment, so it resumes unchanged."""
        journal = UploadJournal.for_campaign(request.name, self.journals)
        try:
            state = await asyncio.to_thread(journal.load)
        except UploadError as exc:  # the journal cannot be read: a disk problem, said
            raise CampaignProblem(str(exc)) from None
        unfinished = state if state.started and not state.done and not fresh else None
        if planned_at is None and unfinished is not None:
            planned_at = unfinished.planned_at
        try:
            read = await asyncio.to_thread(read_request, request, self.tz)
        except NumbersFileError as exc:
            raise CampaignProblem(str(exc)) from None
        if planned_at is None:
            now, servers = await self.server_now()
        else:
            now, servers = planned_at, True
        calling = await asyncio.to_thread(
            schedule, read, self.rules, now, unknown=request.unknown_zones
        )
        return CampaignPreview(request, read, calling, servers, unfinished)

    async def send(
        self,
        preview: CampaignPreview,
        *,
        fresh: bool = False,
        on_progress: Callable[[UploadProgress], None] | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> SendOutcome:
        """The upload (resumable), the rows not sent saved, the audit line. Raises
        CampaignRefused (read-only), CampaignProblem (nothing to send, a conflicting
        journal), or CampaignStopped (the server refused or could not be reached; the journal
        is left to finish it)."""
        request = preview.request
        count = preview.numbers.valid
        if self.read_only:
            audit_creation(
                self.audit, request, "refused", numbers=count, message="read-only dashboard"
            )
            raise CampaignRefused("read-only: a new campaign changes the floor")
        if not count:
            raise CampaignProblem(f"{request.source_label}: no valid number to send")
        journal = UploadJournal.for_campaign(request.name, self.journals)
        upload = CampaignUpload(
            self.client,
            self.registry,
            journal,
            preview.plan(),
            open_task=request.running,
            fresh=fresh,
            on_progress=on_progress,
            on_note=on_note,
        )
        try:
            result = await upload.run()
        except UploadConflict as exc:  # nothing was sent: the request needs changing
            raise CampaignProblem(str(exc)) from None
        except UploadError as exc:
            audit_creation(self.audit, request, "failed", numbers=count, message=str(exc))
            raise CampaignStopped(str(exc)) from None
        except OSError as exc:  # the journal, its lock or the campaigns file: a full disk
            where = exc.filename or journal.path
            message = f"{where} cannot be written ({exc.strerror or exc}); run it again to finish"
            taskid = await _taskid_of(journal)
            audit_creation(
                self.audit, request, "failed", numbers=count, taskid=taskid, message=message
            )
            raise CampaignStopped(message) from None
        except ApiError as exc:
            taskid = await _taskid_of(journal)
            audit_creation(
                self.audit,
                request,
                "failed",
                numbers=count,
                taskid=taskid,
                code=exc.code,
                message=str(exc),
            )
            where = f" (task {taskid})" if taskid else ""
            raise CampaignStopped(f"stopped{where}: {exc}", code=exc.code) from None
        if not result.already_done:
            audit_creation(self.audit, request, "ok", numbers=result.accepted, taskid=result.taskid)
        return await asyncio.to_thread(save_rejected, request, preview, result, self.journals)

    def unfinished(self) -> list[UnfinishedUpload]:
        """The uploads begun and not done, newest first."""
        found: list[UnfinishedUpload] = []
        for _, state in unfinished_uploads(self.journals):
            request = CampaignRequest.from_journal(state.name, state.request)
            found.append(
                UnfinishedUpload(state.name, state.numbers, state.taskid, request, state.planned_at)
            )
        return found

    def campaigns(self) -> tuple[TrackedTask, ...]:
        """The campaigns tracked (for choosing the one to take numbers out of)."""
        return self.registry.tasks()

    async def numbers_in_file(self, path: Path, region: str | None) -> list[str]:
        """The numbers of a file as they were sent (the same normalisation as the upload)."""
        try:
            listed = await asyncio.to_thread(
                read_numbers_file, path, region=region, tz=self.tz, start=None
            )
        except NumbersFileError as exc:
            raise CampaignProblem(str(exc)) from None
        return [row.phone for row in listed.rows]

    async def remove_numbers(self, taskid: str, phones: Sequence[str]) -> RemoveOutcome:
        """taskDelPhone, 10,000 numbers a call; the registry forgets them; audited, refused
        ones too. Raises CampaignRefused (read-only), or CampaignStopped (the server's answer)."""
        wanted = list(dict.fromkeys(p.strip() for p in phones if p.strip()))
        target = f"task {taskid}"
        if self.read_only:
            self._audit_remove(target, "refused", len(wanted), message="read-only dashboard")
            raise CampaignRefused("read-only: taking numbers out changes the floor")
        if not wanted:
            raise CampaignProblem("no numbers to take out")
        done = 0
        registry_problem = ""
        try:
            for start in range(0, len(wanted), MAX_NUMBERS_PER_CALL):
                chunk = wanted[start : start + MAX_NUMBERS_PER_CALL]
                await self.client.remove_numbers(taskid, chunk)
                done += len(chunk)
                registry_problem = (
                    self._tell_registry(partial(self.registry.remove_numbers, taskid, chunk))
                    or registry_problem
                )
        except ApiError as exc:
            self._audit_remove(target, "failed", done, code=exc.code, message=str(exc))
            code = exc.code
            if code is not None:
                self._tell_registry(partial(self.registry.apply_code, taskid, code))
            raise CampaignStopped(f"task {taskid}: {exc}", code=code) from None
        problem = self._audit_remove(target, "ok", done)
        return RemoveOutcome(taskid, done, problem, registry_problem)

    def _tell_registry(self, change: Callable[[], object]) -> str:
        """Tell the registry what the server did; a disk that fails must not undo what the
        server did, so the problem is returned in words ("" when none), and logged."""
        try:
            change()
        except OSError as exc:
            log.warning("campaign registry not updated: %s", exc)
            return f"the campaigns file was not updated: {exc.strerror or exc}"
        return ""

    def _audit_remove(
        self, target: str, outcome: str, numbers: int, *, code: int | None = None, message: str = ""
    ) -> str:
        return self.audit.write(
            action=ACTION_REMOVE,
            target=target,
            outcome=outcome,
            code=code,
            message=message,
            details={"numbers": numbers},
        )


async def _taskid_of(journal: UploadJournal) -> str | None:
    """The task an upload created, as its journal says; None when it cannot be read."""
    try:
        return (await asyncio.to_thread(journal.load)).taskid
    except UploadError:
        return None


def target_of(kind: str, text: str) -> CampaignTarget | str:
    """A target from the screen's choice and text, or the problem in words."""
    value = ",".join(part.strip() for part in text.split(",") if part.strip())
    assigntype = TARGET_KINDS.get(kind)
    if assigntype is None:
        return f"choose queue, group or extensions, not {kind!r}"
    if not value:
        return f"which {kind}? (a name{'s, comma separated' if kind == 'extensions' else ''})"
    return CampaignTarget(assigntype, value)


__all__ = [
    "ACTION_CREATE",
    "ACTION_REMOVE",
    "CampaignPreview",
    "CampaignProblem",
    "CampaignRefused",
    "CampaignRequest",
    "CampaignStopped",
    "LiveCampaignSource",
    "RemoveOutcome",
    "SendOutcome",
    "UnfinishedUpload",
    "audit_creation",
    "read_request",
    "rejected_path",
    "save_rejected",
    "target_of",
]
