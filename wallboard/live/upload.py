"""Sending a campaign's numbers to the server so that an interrupted upload can be finished.

A list of 50,000 numbers takes one TaskCreat and four TaskAdd calls (at most 10,000 numbers
a call). Any of them may be cut off: the network drops, the laptop sleeps, a supervisor
presses Ctrl-C. Running the same command again must finish the job with no number sent
twice and none lost, so every step is written to a journal *before* and *after* it:

    plan      the campaign, its settings and the digest of everything it sends
    sending   chunk k is about to be sent (chunk 0 is the TaskCreat)
    sent      the server accepted chunk k (with the task id for chunk 0, and its refusals)
    failed    the server refused chunk k, or could not be reached: nothing of it was added
    cleared   taskDelPhone removed chunk k's numbers (see below)
    opened    TaskSet 1 was accepted: the task is running
    done      all of it; running the same command again sends nothing

A chunk journaled `sending` without an outcome may or may not be in the task: the answer
was lost (`OutcomeUnknown`), or the process died. The API has no call that reads a task's
numbers (API-NOTES decision 5), so the next run does not guess: it sends taskDelPhone with
that chunk's numbers (removing those that arrived, ignoring those that did not) and then
sends the chunk again. That is safe because the task is opened only after every chunk is in:
until then no number of it can have been dialled. A TaskCreat whose outcome is unknown
cannot be settled that way (its task id is the lost answer): the next run creates the task
again and says so; the lost task, if it exists, was never opened, so it never dials, and
it carries the campaign's name for finding it in the vendor's console.

The journal is JSON lines in `data_dir()/uploads/`, one file per campaign name, written
0600 (it holds the numbers the server refused) and fsynced line by line; a line torn by a
crash is ignored. A lock file keeps two runs of the same campaign apart.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from wallboard.api.errors import ApiError, BusinessError, ConnectError, TransportError
from wallboard.api.models import PhoneNumber
from wallboard.api.services import MAX_NUMBERS_PER_CALL
from wallboard.config import ensure_private_dir
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.snapshot import CampaignStatus

if TYPE_CHECKING:
    from wallboard.api.client import WallboardClient

try:  # POSIX: one upload of a campaign at a time
    from fcntl import LOCK_EX, LOCK_NB, LOCK_UN, flock

    _flock: Callable[[int, int], None] | None = flock
except ImportError:  # pragma: no cover - Windows: no guard between processes
    _flock = None

log = logging.getLogger("wallboard.live.upload")

JOURNAL_DIR = "uploads"
JOURNAL_SUFFIX = ".journal"
FORMAT_VERSION = 1

#: TaskCreat's assigntype for each kind of target.
ASSIGN_EXTENSION = 1
ASSIGN_QUEUE = 2
ASSIGN_GROUP = 3
_KIND = {ASSIGN_EXTENSION: "extension", ASSIGN_QUEUE: "queue", ASSIGN_GROUP: "group"}

JsonScalar = str | int | float | bool | None
JsonValue = JsonScalar | list["JsonValue"] | dict[str, "JsonValue"]


class UploadError(Exception):
    """The upload cannot go on as asked; the one-line message says what to do."""


class UploadBusy(UploadError):
    """Another run is uploading the same campaign right now."""


class UploadConflict(UploadError):
    """An unfinished upload of this campaign was made from other numbers or settings."""


# ---------------------------------------------------------------------- what is sent


@dataclass(frozen=True, slots=True)
class CampaignTarget:
    """Who takes the campaign's calls: TaskCreat's assigntype and assignagent."""

    assigntype: int
    assignagent: str

    @property
    def label(self) -> str:
        kind = _KIND.get(self.assigntype, "target")
        return f"{kind} {self.assignagent}"


@dataclass(frozen=True)
class UploadPlan:
    """Everything one campaign's upload sends, in the order it sends it."""

    name: str
    target: CampaignTarget
    entries: tuple[PhoneNumber, ...]
    taskscale: str = "1:1"
    caller_ids: tuple[str, ...] = ()
    chunk_size: int = MAX_NUMBERS_PER_CALL
    #: The server's clock when the numbers' `time`s were planned (calling hours): a resumed
    #: upload plans from the same moment, so its entries are the same.
    planned_at: int | None = field(default=None, compare=False)
    #: How the list was asked for (its file, region, start...), so that an unfinished
    #: upload can be offered again; journaled, not part of the digest.
    request: Mapping[str, JsonValue] = field(default_factory=dict, compare=False)
    _chunks: list[tuple[PhoneNumber, ...]] = field(default_factory=list, repr=False)
    _hashes: dict[int, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.chunk_size <= MAX_NUMBERS_PER_CALL:
            raise ValueError(f"a chunk holds 1 to {MAX_NUMBERS_PER_CALL:,} numbers")
        if not self.entries:
            raise ValueError("no numbers to send")
        size = self.chunk_size
        self._chunks.extend(
            self.entries[start : start + size] for start in range(0, len(self.entries), size)
        )

    @property
    def chunks(self) -> Sequence[tuple[PhoneNumber, ...]]:
        """Chunk 0 goes with TaskCreat, the others each with one TaskAdd."""
        return self._chunks

    def chunk_hash(self, index: int) -> str:
        found = self._hashes.get(index)
        if found is None:
            found = self._hashes[index] = chunk_hash(self._chunks[index])
        return found

    @property
    def digest(self) -> str:
        """What identifies this upload: the settings TaskCreat carries and every number."""
        head = json.dumps(
            {
                "name": self.name,
                "assigntype": self.target.assigntype,
                "assignagent": self.target.assignagent,
                "taskscale": self.taskscale,
                "disnumber": list(self.caller_ids),
                "chunk_size": self.chunk_size,
            },
            sort_keys=True,
        )
        hashes = ",".join(self.chunk_hash(i) for i in range(len(self._chunks)))
        return hashlib.sha256(f"{head}|{hashes}".encode()).hexdigest()


def chunk_hash(chunk: Sequence[PhoneNumber]) -> str:
    """A chunk's identity: the entries exactly as they go on the wire."""
    text = json.dumps([entry.wire() for entry in chunk], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------- the journal


@dataclass(frozen=True, slots=True)
class SentChunk:
    index: int
    hash: str
    success: int
    refused: tuple[JsonValue, ...]


@dataclass
class JournalState:
    """What a journal says happened, folded from its lines."""

    digest: str | None = None
    name: str = ""
    taskid: str | None = None
    sent: dict[int, SentChunk] = field(default_factory=dict)
    hashes: dict[int, str] = field(default_factory=dict)  # as journaled when sending
    unknown: set[int] = field(default_factory=set)  # sent, outcome never learnt
    lost_creates: int = 0  # TaskCreat calls whose task id never came back
    planned_at: int | None = None  # the server's clock the plan's times were set from
    request: dict[str, JsonValue] = field(default_factory=dict)  # how the list was asked for
    numbers: int = 0  # numbers in the plan
    opened: bool = False
    done: bool = False

    @property
    def started(self) -> bool:
        return self.digest is not None


class UploadJournal:
    """One campaign's journal file (JSON lines, 0600, fsynced after every line)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"UploadJournal(path={str(self.path)!r})"

    @classmethod
    def for_campaign(cls, name: str, folder: Path | None = None) -> UploadJournal:
        """The journal of the campaign called `name`, in `folder` (default: the data dir's
        `uploads/`): a readable slug of the name plus a hash, so no two names share it."""
        if folder is None:
            from wallboard.config import data_dir

            folder = data_dir() / JOURNAL_DIR
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:40] or "campaign"
        tag = hashlib.sha256(name.encode()).hexdigest()[:12]
        return cls(Path(folder) / f"{slug}-{tag}{JOURNAL_SUFFIX}")

    def load(self) -> JournalState:
        """The state the journal records; an empty state when there is no journal."""
        state = JournalState()
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return state
        except (OSError, UnicodeDecodeError) as exc:
            raise UploadError(f"{self.path}: the upload journal cannot be read ({exc})") from None
        for line in text.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash: what it said did not finish
            if isinstance(event, dict):
                _fold(state, event)
        if 0 in state.unknown and state.taskid is None:
            state.lost_creates += 1
            state.unknown.discard(0)
        return state

    def record(self, event: str, **fields: JsonValue) -> None:
        """Append one line and make it durable before anything else happens."""
        ensure_private_dir(self.path.parent)
        line = json.dumps({"event": event, "at": round(time.time(), 3), **fields})
        handle = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(handle, (line + "\n").encode("utf-8"))
            os.fsync(handle)
        finally:
            os.close(handle)

    def discard(self) -> None:
        """Forget this campaign's upload (a fresh start); the file is removed."""
        self.path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Held for a whole upload; UploadBusy when another run holds it."""
        if _flock is None:  # pragma: no cover - Windows
            yield
            return
        ensure_private_dir(self.path.parent)
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            try:
                _flock(handle, LOCK_EX | LOCK_NB)
            except BlockingIOError:
                raise UploadBusy("another wallboard is uploading this campaign right now") from None
            try:
                yield
            finally:
                _flock(handle, LOCK_UN)
        finally:
            os.close(handle)


def journal_folder() -> Path:
    """Where the upload journals are kept: the data dir's `uploads/`."""
    from wallboard.config import data_dir

    return data_dir() / JOURNAL_DIR


def unfinished_uploads(folder: Path | None = None) -> list[tuple[UploadJournal, JournalState]]:
    """The uploads begun and not done, newest first: what a screen offers to finish. A
    journal that cannot be read is left out (the command line names its problem)."""
    folder = journal_folder() if folder is None else Path(folder)
    found: list[tuple[float, UploadJournal, JournalState]] = []
    try:
        paths = list(folder.glob(f"*{JOURNAL_SUFFIX}"))
    except OSError:
        return []
    for path in paths:
        journal = UploadJournal(path)
        try:
            state = journal.load()
            changed = path.stat().st_mtime
        except (UploadError, OSError):
            continue
        if state.started and not state.done:
            found.append((changed, journal, state))
    found.sort(key=lambda item: item[0], reverse=True)
    return [(journal, state) for _, journal, state in found]


def _fold(state: JournalState, event: dict[str, JsonValue]) -> None:
    kind = event.get("event")
    chunk = event.get("chunk")
    index = chunk if isinstance(chunk, int) and not isinstance(chunk, bool) else -1
    if kind == "plan":
        state.digest = str(event.get("digest") or "")
        state.name = str(event.get("name") or "")
        clock = event.get("clock")
        state.planned_at = clock if isinstance(clock, int) and not isinstance(clock, bool) else None
        request = event.get("request")
        state.request = dict(request) if isinstance(request, dict) else {}
        count = event.get("numbers")
        state.numbers = count if isinstance(count, int) and not isinstance(count, bool) else 0
    elif kind == "sending" and index >= 0:
        if index == 0 and 0 in state.unknown:
            state.lost_creates += 1
        state.unknown.add(index)
        state.hashes[index] = str(event.get("hash") or "")
    elif kind == "sent" and index >= 0:
        state.unknown.discard(index)
        refused = event.get("refused")
        success = event.get("success")
        state.sent[index] = SentChunk(
            index=index,
            hash=str(event.get("hash") or ""),
            success=success if isinstance(success, int) else 0,
            refused=tuple(refused) if isinstance(refused, list) else (),
        )
        taskid = event.get("taskid")
        if index == 0 and taskid:
            state.taskid = str(taskid)
    elif kind in ("failed", "cleared") and index >= 0:
        state.unknown.discard(index)
    elif kind == "opened":
        state.opened = True
    elif kind == "done":
        state.done = True


# ---------------------------------------------------------------------- the upload


@dataclass(frozen=True, slots=True)
class UploadProgress:
    """After each chunk the server took: for a progress line or bar."""

    numbers_sent: int  # numbers in the chunks sent so far (refused ones included)
    numbers_total: int
    chunks_sent: int
    chunks_total: int


@dataclass(frozen=True, slots=True)
class UploadResult:
    taskid: str
    accepted: int  # numbers the server took into the task
    refused: tuple[JsonValue, ...]  # the server's invaliddata of every chunk
    status: CampaignStatus
    resumed: bool = False  # an earlier run had sent part of it
    already_done: bool = False  # an earlier run had finished it: nothing was sent
    cleared_chunks: int = 0  # chunks of unknown outcome taken out and sent again
    lost_creates: int = 0  # TaskCreat calls whose task never became known (never opened)


class CampaignUpload:
    """One campaign's upload: TaskCreat, TaskAdd per chunk, TaskSet, with its journal.

    `run()` sends what the journal does not record as sent and returns the result; an
    `ApiError` or an interruption leaves the journal so that the next `run()` (in this
    process or another) finishes it. The campaign is tracked in `registry` as soon as
    the server names its task id, and its numbers are added as each chunk is taken.
    """

    def __init__(
        self,
        client: WallboardClient,
        registry: CampaignRegistry,
        journal: UploadJournal,
        plan: UploadPlan,
        *,
        open_task: bool,
        fresh: bool = False,
        on_progress: Callable[[UploadProgress], None] | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.registry = registry
        self.journal = journal
        self.plan = plan
        self.open_task = open_task
        self.fresh = fresh
        self._on_progress = on_progress or (lambda progress: None)
        self._on_note = on_note or (lambda note: None)

    async def run(self) -> UploadResult:
        with self.journal.locked():
            return await self._run()

    async def _run(self) -> UploadResult:
        plan = self.plan
        digest = plan.digest
        state = self.journal.load()
        if state.started and self.fresh:
            self.journal.discard()
            state = JournalState()
        elif state.started and state.digest != digest:
            if not state.done and state.taskid:
                raise UploadConflict(
                    f"an unfinished upload of campaign {state.name or plan.name!r} (task "
                    f"{state.taskid}, not opened) was made from other numbers or settings: "
                    "run it with the same ones to finish it, or add --fresh to start anew"
                )
            # Finished, or no task was made (refused, unreachable): this is a new upload.
            self.journal.discard()
            state = JournalState()
        if state.done and state.taskid:
            return self._result(state, already_done=True)
        resumed = state.started
        for index, journaled in state.hashes.items():
            if index >= len(plan.chunks) or journaled != plan.chunk_hash(index):
                raise UploadConflict(
                    f"the journal of campaign {plan.name!r} names a chunk {index + 1} that this "
                    "list does not have: add --fresh to start anew"
                )
        if not state.started:
            self.journal.record(
                "plan",
                version=FORMAT_VERSION,
                digest=digest,
                name=plan.name,
                target=plan.target.label,
                chunks=len(plan.chunks),
                numbers=len(plan.entries),
                clock=plan.planned_at,
                request=dict(plan.request),
            )
            state.digest = digest
        if state.lost_creates:
            self._on_note(
                f"{state.lost_creates} earlier TaskCreat of this campaign got no answer: "
                f"if the server made that task, it was never opened and will not dial "
                f"(it is named {plan.name!r} in the vendor's console)"
            )
        taskid = state.taskid or await self._create(state)
        self._track(state, taskid)
        cleared = 0
        for index in range(1, len(plan.chunks)):
            if index in state.sent:
                continue
            if index in state.unknown:
                await self._clear(taskid, index)
                cleared += 1
            await self._add(state, taskid, index)
            self._track(state, taskid)
        if self.open_task and not state.opened:
            await self.client.set_task(taskid, 1)
            self.journal.record("opened", taskid=taskid)
            state.opened = True
            self.registry.apply_taskset(taskid, 1)
        self.journal.record("done", taskid=taskid)
        state.done = True
        return self._result(state, resumed=resumed, cleared=cleared)

    # -- steps -------------------------------------------------------------------------------

    async def _create(self, state: JournalState) -> str:
        plan = self.plan
        chunk = plan.chunks[0]
        self.journal.record("sending", chunk=0, hash=plan.chunk_hash(0))
        try:
            created = await self.client.create_task(
                plan.target.assigntype,
                plan.target.assignagent,
                chunk,
                taskscale=plan.taskscale,
                disnumber=list(plan.caller_ids),
                taskname=plan.name,
            )
        except (BusinessError, TransportError, ConnectError) as exc:
            self.journal.record("failed", chunk=0, reason=_reason(exc))
            raise
        if not created.taskid:
            raise UploadError("TaskCreat answered without a task id")
        refused = _jsonable(created.invaliddata)
        self.journal.record(
            "sent",
            chunk=0,
            hash=plan.chunk_hash(0),
            taskid=created.taskid,
            success=len(chunk) - len(refused),
            refused=refused,
        )
        state.taskid = created.taskid
        state.sent[0] = SentChunk(0, plan.chunk_hash(0), len(chunk) - len(refused), tuple(refused))
        self._progress(state)
        return created.taskid

    async def _clear(self, taskid: str, index: int) -> None:
        """Take out a chunk whose TaskAdd may or may not have arrived, before sending it
        again: taskDelPhone ignores the numbers that are not there."""
        phones = [entry.phone for entry in self.plan.chunks[index]]
        self._on_note(
            f"chunk {index + 1} of {len(self.plan.chunks)} may have reached the server: "
            f"removing its {len(phones):,} numbers before sending it again"
        )
        await self.client.remove_numbers(taskid, phones)
        self.journal.record("cleared", chunk=index, hash=self.plan.chunk_hash(index))

    async def _add(self, state: JournalState, taskid: str, index: int) -> None:
        chunk = self.plan.chunks[index]
        digest = self.plan.chunk_hash(index)
        self.journal.record("sending", chunk=index, hash=digest)
        state.unknown.add(index)
        try:
            added = await self.client.add_numbers(taskid, chunk)
        except (BusinessError, TransportError, ConnectError) as exc:
            self.journal.record("failed", chunk=index, reason=_reason(exc))
            state.unknown.discard(index)
            raise
        refused = _jsonable(added.invaliddata)
        self.journal.record(
            "sent", chunk=index, hash=digest, success=added.success, refused=refused
        )
        state.unknown.discard(index)
        state.sent[index] = SentChunk(index, digest, added.success, tuple(refused))
        self._progress(state)

    # -- bookkeeping ---------------------------------------------------------------------

    def _accepted(self, state: JournalState) -> list[str]:
        """The numbers of the sent chunks that the server did not refuse, in file order."""
        numbers: list[str] = []
        for index in sorted(state.sent):
            refused = {_refused_phone(entry) for entry in state.sent[index].refused}
            chunk = self.plan.chunks[index]
            numbers.extend(entry.phone for entry in chunk if entry.phone not in refused)
        return numbers

    def _track(self, state: JournalState, taskid: str) -> None:
        """The registry holds the task with every number taken so far (idempotent, so a
        run that died between the journal and the registry is made good on resume)."""
        status = None if state.opened else CampaignStatus.NOT_STARTED
        self.registry.track(
            taskid,
            name=self.plan.name,
            assigned_to=self.plan.target.assignagent,
            numbers=self._accepted(state),
            status=status,
            created_here=True,
        )

    def _progress(self, state: JournalState) -> None:
        plan = self.plan
        sent = sum(len(plan.chunks[index]) for index in state.sent)
        self._on_progress(
            UploadProgress(sent, len(plan.entries), len(state.sent), len(plan.chunks))
        )

    def _result(
        self,
        state: JournalState,
        *,
        resumed: bool = False,
        already_done: bool = False,
        cleared: int = 0,
    ) -> UploadResult:
        assert state.taskid is not None
        refused = tuple(
            entry for index in sorted(state.sent) for entry in state.sent[index].refused
        )
        return UploadResult(
            taskid=state.taskid,
            accepted=len(self._accepted(state)),
            refused=refused,
            status=CampaignStatus.RUNNING if state.opened else CampaignStatus.NOT_STARTED,
            resumed=resumed,
            already_done=already_done,
            cleared_chunks=cleared,
            lost_creates=state.lost_creates,
        )


def _reason(exc: ApiError) -> str:
    return str(exc)[:300]


def _refused_phone(entry: JsonValue) -> str:
    phone = entry.get("phone") if isinstance(entry, dict) else entry
    return "" if phone is None else str(phone)


def _jsonable(items: Sequence[object]) -> list[JsonValue]:
    """The server's invaliddata as plain JSON values (it is echoed back as sent)."""
    text = json.dumps(list(items), ensure_ascii=False, default=str)
    loaded: list[JsonValue] = json.loads(text)
    return loaded


__all__ = [
    "ASSIGN_EXTENSION",
    "ASSIGN_GROUP",
    "ASSIGN_QUEUE",
    "CampaignTarget",
    "CampaignUpload",
    "JournalState",
    "UploadBusy",
    "UploadConflict",
    "UploadError",
    "UploadJournal",
    "UploadPlan",
    "UploadProgress",
    "UploadResult",
    "chunk_hash",
    "journal_folder",
    "unfinished_uploads",
]
