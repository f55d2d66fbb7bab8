"""The campaigns this dashboard knows about, kept on disk so that they survive restarts.

The vendor's API has no call that lists predictive tasks or reads a task's state (API-NOTES
decision 5). So the dashboard keeps its own registry of the tasks it created or was told to
track (`wallboard track TASKID`), and learns each task's state from what it did (TaskCreat and
TaskSet answers, the task codes 1024-1028), from the task callback, and from the bills of the
task's numbers. The file is JSON in the user data dir, replaced atomically on every change and
re-read when another process (`wallboard track` beside a running dashboard) changed it.

`CampaignRegistry` is the file's one owner: nothing else reads or writes it, and it writes
only on explicit events, each a method here: a task tracked or forgotten (`wallboard track`),
a supervisor's action the server accepted (TaskCreat, TaskAdd, taskDelPhone, TaskSet, a task
code), the task callback, and the live model's report, after a poll cycle, that a task's
numbers are being dialled. Drawing never writes: the live model builds its snapshots from the
tasks as read, and reports what it learnt once the snapshot is out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pydantic import ValidationError

from wallboard.api.models import TaskFinished
from wallboard.config import write_private
from wallboard.live.snapshot import CampaignStatus
from wallboard.live.states import T_MISSING, T_NOT_STARTED, T_OVER, T_PAUSED, T_RUNNING

try:  # POSIX: serialise read-modify-write between processes
    from fcntl import LOCK_EX, LOCK_UN, flock

    _flock: Callable[[int, int], None] | None = flock
except ImportError:  # pragma: no cover - Windows: within one process only
    _flock = None

log = logging.getLogger("wallboard.live.campaigns")

REGISTRY_FILE = "campaigns.json"
FORMAT_VERSION = 1

#: Task codes (1024-1028) and what they say about a task.
STATUS_BY_CODE: dict[int, CampaignStatus] = {
    T_MISSING: CampaignStatus.MISSING,
    T_NOT_STARTED: CampaignStatus.NOT_STARTED,
    T_RUNNING: CampaignStatus.RUNNING,
    T_PAUSED: CampaignStatus.PAUSED,
    T_OVER: CampaignStatus.OVER,
}
#: TaskSet's taskstatus (1 open, 2 pause, 3 end) once the server accepted it.
STATUS_BY_TASKSET: dict[int, CampaignStatus] = {
    1: CampaignStatus.RUNNING,
    2: CampaignStatus.PAUSED,
    3: CampaignStatus.OVER,
}

#: What a task can be before its numbers are seen dialled (then it has started).
_NOT_STARTED = (CampaignStatus.UNKNOWN, CampaignStatus.NOT_STARTED)

_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{1,30}$")


class CampaignFileError(Exception):
    """A numbers file or the registry file cannot be used; the message names the file."""


def phone_key(number: str) -> str:
    """A number reduced to its digits: a numbers file may write "+86 138-0000-1111" where
    the bills' `destnumber` says "8613800001111"."""
    return "".join(ch for ch in str(number) if ch.isdigit())


@dataclass(frozen=True, slots=True)
class TrackedTask:
    """One predictive task in the registry."""

    taskid: str
    name: str = ""
    assigned_to: str = ""
    numbers: tuple[str, ...] = ()  # as given; figures match them by `phone_key`
    status: CampaignStatus = CampaignStatus.UNKNOWN
    tracked_at: float = 0.0  # when this dashboard first knew the task (unix seconds)
    updated_at: float = 0.0  # when its status was last learnt
    created_here: bool = False  # made by this dashboard's TaskCreat

    @property
    def label(self) -> str:
        """What the campaigns pane calls it: its name, else its id."""
        return self.name or self.taskid

    @property
    def bills_since(self) -> float:
        """The earliest dial time its bills can have, as far as this dashboard knows.

        A task this dashboard created cannot have dialled before it was created. A task it
        was told to track (`wallboard track`) may have been dialling for days before that:
        its start is unknown (minus infinity), so the bills are read as far back as the
        reader looks.
        """
        return self.tracked_at if self.created_here else float("-inf")

    def to_json(self) -> dict[str, Any]:
        return {
            "taskid": self.taskid,
            "name": self.name,
            "assigned_to": self.assigned_to,
            "numbers": list(self.numbers),
            "status": self.status.name,
            "tracked_at": self.tracked_at,
            "updated_at": self.updated_at,
            "created_here": self.created_here,
        }

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> TrackedTask:
        status_name = str(item.get("status") or "UNKNOWN")
        status = CampaignStatus.__members__.get(status_name, CampaignStatus.UNKNOWN)
        numbers = item.get("numbers") or []
        if not isinstance(numbers, list):
            numbers = []
        return cls(
            taskid=str(item["taskid"]),
            name=str(item.get("name") or ""),
            assigned_to=str(item.get("assigned_to") or ""),
            numbers=tuple(str(n) for n in numbers),
            status=status,
            tracked_at=_float(item.get("tracked_at")),
            updated_at=_float(item.get("updated_at")),
            created_here=bool(item.get("created_here", False)),
        )


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class CampaignRegistry:
    """The tracked tasks, persisted as JSON (`data_dir()/campaigns.json` by default).

    Safe to use from the dashboard's event loop and from a callback receiver's thread.
    Reading never fails: a damaged file is set aside (renamed `*.damaged`) and reported in
    `problem`, so the dashboard still starts. Changes raise OSError when the file cannot be
    written.
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        self.problem: str | None = None
        self._tasks: dict[str, TrackedTask] = {}
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.RLock()
        with self._lock:
            self._reload(force=True)

    def __repr__(self) -> str:
        return f"CampaignRegistry(path={str(self.path)!r}, tasks={len(self._tasks)})"

    @classmethod
    def default(cls, *, clock: Callable[[], float] = time.time) -> CampaignRegistry:
        """The registry in the user data dir (`WALLBOARD_DATA_DIR` overrides it)."""
        from wallboard.config import data_dir

        return cls(data_dir() / REGISTRY_FILE, clock=clock)

    # ------------------------------------------------------------------ reading

    def tasks(self) -> tuple[TrackedTask, ...]:
        """Every tracked task, oldest first; picks up changes made by another process."""
        with self._lock:
            self._reload()
            return tuple(self._tasks.values())

    def get(self, taskid: str) -> TrackedTask | None:
        with self._lock:
            self._reload()
            return self._tasks.get(str(taskid).strip())

    def __contains__(self, taskid: object) -> bool:
        return isinstance(taskid, str) and self.get(taskid) is not None

    def __len__(self) -> int:
        return len(self.tasks())

    @property
    def stamp(self) -> tuple[int, int] | None:
        """Changes whenever the file changes: lets the live model skip unchanged work."""
        with self._lock:
            self._reload()
            return self._stamp

    # ------------------------------------------------------------------ changing

    def track(
        self,
        taskid: str,
        *,
        name: str | None = None,
        assigned_to: str | None = None,
        numbers: Sequence[str] | None = None,
        status: CampaignStatus | None = None,
        created_here: bool = False,
    ) -> TrackedTask:
        """Start tracking a task, or update what is known of it (None leaves a field as is)."""
        key = _taskid(taskid)
        with self._edit() as tasks:
            now = self.clock()
            task = tasks.get(key) or TrackedTask(taskid=key, tracked_at=now, updated_at=now)
            changes: dict[str, Any] = {}
            if name is not None:
                changes["name"] = name.strip()
            if assigned_to is not None:
                changes["assigned_to"] = assigned_to.strip()
            if numbers is not None:
                changes["numbers"] = tuple(str(n).strip() for n in numbers if str(n).strip())
            if status is not None:
                changes.update(status=status, updated_at=now)
            if created_here:
                changes["created_here"] = True
            task = replace(task, **changes)
            tasks[key] = task
            return task

    def forget(self, taskid: str) -> bool:
        """Stop tracking a task; False when it was not tracked."""
        key = _taskid(taskid)
        with self._edit() as tasks:
            return tasks.pop(key, None) is not None

    def record_created(
        self,
        taskid: str,
        *,
        numbers: Sequence[str],
        name: str = "",
        assigned_to: str = "",
    ) -> TrackedTask:
        """A TaskCreat of this dashboard succeeded: the task exists and has not started."""
        return self.track(
            taskid,
            name=name,
            assigned_to=assigned_to,
            numbers=numbers,
            status=CampaignStatus.NOT_STARTED,
            created_here=True,
        )

    def add_numbers(self, taskid: str, numbers: Iterable[str]) -> TrackedTask | None:
        """A TaskAdd succeeded: the task has these numbers too (only for a tracked task)."""
        return self._change_numbers(taskid, numbers, add=True)

    def remove_numbers(self, taskid: str, numbers: Iterable[str]) -> TrackedTask | None:
        """A taskDelPhone succeeded: these numbers are no longer in the task."""
        return self._change_numbers(taskid, numbers, add=False)

    def apply_taskset(self, taskid: str, taskstatus: int) -> TrackedTask | None:
        """The server accepted TaskSet(taskstatus): 1 running, 2 paused, 3 over."""
        status = STATUS_BY_TASKSET.get(int(taskstatus))
        return None if status is None else self._set_status(taskid, status)

    def apply_code(self, taskid: str, code: int | None) -> TrackedTask | None:
        """A task code (1024-1028) in an answer about this task; other codes say nothing."""
        status = STATUS_BY_CODE.get(code) if code is not None else None
        return None if status is None else self._set_status(taskid, status)

    def apply_task_callback(
        self, payload: TaskFinished | Mapping[str, Any] | str | bytes
    ) -> TrackedTask | None:
        """The server's task callback: `{"taskid", "companycode", "status": 3}` when over.

        Accepts the callback already read (`read_task_callback`), the parsed JSON, the JSON
        text, or a form body whose `detail` field holds the JSON (both ways the documents
        describe). Returns the updated task, or None when the payload is not understood or
        names a task this dashboard does not track; neither changes the file.
        """
        if isinstance(payload, TaskFinished):
            finished: TaskFinished | None = payload
        else:
            data = callback_detail(payload)
            finished = read_task_callback(data) if data is not None else None
        if finished is None:
            log.warning("task callback not understood; ignored")
            return None
        taskid = finished.taskid.strip()
        if not taskid or taskid not in self:
            return None
        if finished.status == 3:
            return self._set_status(taskid, CampaignStatus.OVER)
        return self.apply_code(taskid, finished.status)

    def note_dialling(self, taskid: str) -> TrackedTask | None:
        """Bills of the task's numbers appeared: a task not known to have started has."""
        task = self.get(taskid)
        if task is None or task.status not in _NOT_STARTED:
            return task
        return self._set_status(taskid, CampaignStatus.RUNNING)

    def note_dialling_all(self, taskids: Iterable[str]) -> tuple[TrackedTask, ...]:
        """`note_dialling` for several tasks in one write (the live model's report after a
        poll cycle); returns the tasks that changed."""
        keys = [_taskid(taskid) for taskid in taskids]
        changed: list[TrackedTask] = []
        with self._edit() as tasks:
            now = self.clock()
            for key in keys:
                task = tasks.get(key)
                if task is not None and task.status in _NOT_STARTED:
                    task = replace(task, status=CampaignStatus.RUNNING, updated_at=now)
                    tasks[key] = task
                    changed.append(task)
        return tuple(changed)

    # ------------------------------------------------------------------ internals

    def _set_status(self, taskid: str, status: CampaignStatus) -> TrackedTask | None:
        key = _taskid(taskid)
        with self._edit() as tasks:
            task = tasks.get(key)
            if task is None:
                return None
            task = replace(task, status=status, updated_at=self.clock())
            tasks[key] = task
            return task

    def _change_numbers(
        self, taskid: str, numbers: Iterable[str], *, add: bool
    ) -> TrackedTask | None:
        key = _taskid(taskid)
        given = [str(n).strip() for n in numbers if str(n).strip()]
        with self._edit() as tasks:
            task = tasks.get(key)
            if task is None:
                return None
            if add:
                known = {phone_key(n) for n in task.numbers}
                extra = [n for n in given if phone_key(n) not in known]
                merged = task.numbers + tuple(extra)
            else:
                gone = {phone_key(n) for n in given}
                merged = tuple(n for n in task.numbers if phone_key(n) not in gone)
            task = replace(task, numbers=merged)
            tasks[key] = task
            return task

    @contextlib.contextmanager
    def _edit(self) -> Iterator[dict[str, TrackedTask]]:
        """Read the latest file, let the caller change the tasks, write them back."""
        with self._lock, self._file_lock():
            self._reload()
            tasks = dict(self._tasks)
            yield tasks
            if tasks != self._tasks:
                self._write(tasks)
                self._tasks = tasks
                self._stamp = self._file_stamp()

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if _flock is None:  # pragma: no cover - Windows
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            _flock(lock.fileno(), LOCK_EX)
            try:
                yield
            finally:
                _flock(lock.fileno(), LOCK_UN)

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size)

    def _reload(self, *, force: bool = False) -> None:
        stamp = self._file_stamp()
        if not force and stamp == self._stamp:
            return
        self._stamp = stamp
        if stamp is None:
            self._tasks = {}
            return
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:  # unreadable now (permissions, a network disk): keep what we had
            self.problem = f"{self.path}: cannot be read ({exc.strerror or exc})"
            log.warning("%s", self.problem)
            return
        except UnicodeDecodeError as exc:
            self._set_aside(exc)
            return
        try:
            self._tasks = _parse_registry(text)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self._set_aside(exc)
            return
        self.problem = None

    def _set_aside(self, exc: BaseException) -> None:
        damaged = self.path.with_name(f"{self.path.name}.damaged")
        try:
            os.replace(self.path, damaged)
            self.problem = (
                f"{self.path}: not a campaigns file ({type(exc).__name__}); "
                f"moved to {damaged.name}, starting with no tracked campaigns"
            )
        except OSError:
            self.problem = f"{self.path}: cannot be read ({type(exc).__name__})"
        log.warning("%s", self.problem)
        self._tasks = {}
        self._stamp = self._file_stamp()

    def _write(self, tasks: Mapping[str, TrackedTask]) -> None:
        """Atomically, and readable by its owner only: it holds customers' phone numbers."""
        document = {
            "version": FORMAT_VERSION,
            "tasks": [task.to_json() for task in tasks.values()],
        }
        write_private(self.path, json.dumps(document, ensure_ascii=False, indent=1))


def _taskid(taskid: str) -> str:
    key = str(taskid).strip()
    if not key:
        raise ValueError("a task id is needed")
    return key


def _parse_registry(text: str) -> dict[str, TrackedTask]:
    document = json.loads(text)
    items = document["tasks"] if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ValueError("no task list")
    tasks: dict[str, TrackedTask] = {}
    for item in items:
        task = TrackedTask.from_json(item)
        if task.taskid.strip():
            tasks[task.taskid] = task
    return tasks


def callback_detail(payload: object) -> Mapping[str, Any] | None:
    """The JSON object a callback carries, however it came: already parsed, as JSON text, or
    as a form whose `detail` field holds the JSON (`{"detail": ...}` or `detail=...` text).
    None when there is no JSON object in it; never raises."""
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if isinstance(payload, Mapping):
        detail = payload.get("detail")
        if "taskid" not in payload and isinstance(detail, str | bytes):
            return callback_detail(detail)
        return payload
    if not isinstance(payload, str):
        return None
    text = payload.strip()
    if text.startswith("detail="):
        values = parse_qs(text).get("detail")
        text = values[0] if values else ""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
        return None
    return data if isinstance(data, Mapping) else None


def read_task_callback(data: Mapping[str, Any]) -> TaskFinished | None:
    """A task callback's fields, or None when it names no task or gives no status.

    The one place the callback is read: the model absorbs the documented type drift (status
    3, "3", " 3 "; a numeric taskid)."""
    try:
        finished = TaskFinished.model_validate(data)
    except (ValidationError, ValueError, RecursionError):
        return None
    if not finished.taskid.strip() or finished.status is None:
        return None
    return finished


# ---------------------------------------------------------------------- wallboard track


def read_numbers(path: Path) -> list[str]:
    """A task's numbers from a text file: one a line; blank lines and `#` comments skipped.

    A line may be a CSV row: its first field is the number. Raises `CampaignFileError` naming
    the file and the line of the first thing that is not a phone number.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CampaignFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CampaignFileError(f"{path}: is a directory, not a numbers file") from None
    except UnicodeDecodeError:
        raise CampaignFileError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise CampaignFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    numbers: list[str] = []
    seen: set[str] = set()
    for line_no, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].split(",", 1)[0].strip().strip('"')
        if not entry:
            continue
        if not _PHONE.match(entry) or len(phone_key(entry)) < 3:
            shown = entry if len(entry) <= 40 else entry[:37] + "..."
            raise CampaignFileError(f"{path} line {line_no}: {shown!r} is not a phone number")
        key = phone_key(entry)
        if key not in seen:
            seen.add(key)
            numbers.append(entry)
    return numbers


__all__ = [
    "STATUS_BY_CODE",
    "STATUS_BY_TASKSET",
    "CampaignFileError",
    "CampaignRegistry",
    "TrackedTask",
    "callback_detail",
    "phone_key",
    "read_numbers",
    "read_task_callback",
]
