"""Predictive tasks on the floor: TaskCreat, TaskAdd, taskDelPhone, TaskSet, and the numbers
a task keeps until they are dialled. The dialling itself is `predictive`'s."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

from wallboard.api.services import MAX_NUMBERS_PER_CALL
from wallboard.sim.core import FloorCore
from wallboard.sim.entities import (
    ASSIGN_EXTENSION,
    ASSIGN_GROUP,
    ASSIGN_QUEUE,
    NUMBER_PENDING,
    NUMBER_REMOVED,
    TASK_MISSING,
    TASK_NOT_STARTED,
    TASK_OVER,
    TASK_PAUSED,
    TASK_RUNNING,
    Extension,
    FloorError,
    Pool,
    Task,
)
from wallboard.sim.events import FloorEvent
from wallboard.sim.numbers import parse_number
from wallboard.sim.wire import format_time


class TaskDesk(FloorCore):
    """The task half of the floor (a mixin over `FloorCore`)."""

    def create_task(
        self,
        assigntype: int,
        assignagent: str,
        numbers: Sequence[Any],
        scale: tuple[int, int],
        disnumbers: Sequence[str],
        name: str = "",
    ) -> tuple[str, list[Any]]:
        """TaskCreat: (taskid, invaliddata). The task starts not started (1025); TaskSet 1
        runs it. numbers are the documented dicts {"phone", "time", "userid", "memberid",
        "chengshudu", "customuuid"}; an entry that is not one, or whose phone is not 3-20
        digits (a leading + allowed) or repeats one of the task not yet done, or whose time
        is not unix seconds, comes back in invaliddata as given and is never dialled.
        Errors: 1002 assigntype not 1-3, bad scale, a disabled group or more than 10,000
        numbers; 1011/1012/1013 for an extension; 1211 for a queue (1210 one without
        autocall); 1002 for a missing group; 1021 a caller id the company does not own,
        1019 a disabled one."""
        a, b = scale
        if not (1 <= a <= 100 and 1 <= b <= 100):
            raise FloorError(1002, "taskscale must be a:b with a and b from 1 to 100")
        target = self._task_target(assigntype, assignagent.strip())
        callers = [d.strip() for d in disnumbers if d and d.strip()]
        for number in callers:
            if number not in self.disnumbers:
                raise FloorError(1021, f"caller id {number} is not the company's number")
            if not self.disnumbers[number]:
                raise FloorError(1019, f"caller id {number} is disabled")
        _check_count(numbers)
        # Every check is done: only now may the floor change (a refusal leaves it alone).
        pool = target if isinstance(target, Pool) else self._extension_pool(target)
        task = Task(
            taskid=self._new_taskid(),
            name=name.strip(),
            assigntype=assigntype,
            assignagent=assignagent.strip(),
            scale=(a, b),
            disnumbers=callers,
            pool=pool,
            created=self.now,
        )
        invalid = self._take_numbers(task, numbers)
        self.tasks[task.taskid] = task
        return task.taskid, invalid

    def add_numbers(self, taskid: str, numbers: Sequence[Any]) -> tuple[int, list[Any]]:
        """TaskAdd: (how many were added, invaliddata). 1024 missing, 1028 over, 1002 more
        than 10,000 numbers."""
        task = self._task(taskid)
        _check_count(numbers)
        before = task.pending
        invalid = self._take_numbers(task, numbers)
        if task.status == TASK_RUNNING and task.pool is not None:
            self._dirty[task.pool.key] = task.pool
        self._settle()
        return task.pending - before, invalid

    def del_numbers(self, taskid: str, phones: Sequence[str]) -> None:
        """taskDelPhone: numbers not yet dialled are never dialled. 1024, 1028."""
        task = self._task(taskid)
        for phone in phones:
            number = task.numbers.get(str(phone).strip())
            if number is not None and number.state == NUMBER_PENDING:
                number.state = NUMBER_REMOVED
                task.pending -= 1
                del task.numbers[number.phone]
        self._check_task(task)
        self._settle()

    def set_task(self, taskid: str, status: int) -> None:
        """TaskSet: 1 open (1025/1027 -> 1026), 2 pause (1026 -> 1027; 1025 when not
        started), 3 end (-> 1028, the task callback is sent; calls in progress finish).
        1024 missing, 1028 already over, 1002 status not 1-3."""
        if status not in (1, 2, 3):
            raise FloorError(1002, "taskstatus must be 1 (open), 2 (pause) or 3 (end)")
        task = self._task(taskid)
        pool = task.pool
        assert pool is not None
        if status == 1:
            if task.status != TASK_RUNNING:
                task.status = TASK_RUNNING
                pool.tasks.append(task)
                self._dirty[pool.key] = pool
            self._check_task(task)
        elif status == 2:
            if task.status == TASK_NOT_STARTED:
                raise FloorError(1025, f"task {taskid} has not started")
            if task.status == TASK_RUNNING:
                task.status = TASK_PAUSED
                pool.tasks.remove(task)
        else:
            self._task_over(task)
        self._settle()

    def set_answer_share(self, taskid: str, share: float) -> None:
        """How often this task's customers answer (0-1): a fresh list answers more than a
        worked one. The simulated CRM's knob; no documented service sets it."""
        if not 0.0 <= share <= 1.0:
            raise ValueError("an answer share is from 0 to 1")
        self._task(taskid).answer_share = share

    def task_status(self, taskid: str) -> int:
        """1024 when there is no such task, else 1025-1028 (no documented service reads it;
        for tests and the simulator's own logs)."""
        task = self.tasks.get(taskid)
        return TASK_MISSING if task is None else task.status

    # -- internals -------------------------------------------------------------------------
    def _check_task(self, task: Task) -> None:
        if task.status == TASK_RUNNING and task.pending == 0 and task.active == 0:
            self._task_over(task)

    def _task_over(self, task: Task) -> None:
        if task.status == TASK_RUNNING and task.pool is not None:
            task.pool.tasks.remove(task)
        task.status = TASK_OVER
        task.finished = self.now
        if not task.over_sent:
            task.over_sent = True
            if self._listeners["task"]:
                payload = {"taskid": task.taskid, "companycode": self.companycode, "status": 3}
                self._emit(FloorEvent("task", payload))

    def _task(self, taskid: str) -> Task:
        task = self.tasks.get(str(taskid).strip())
        if task is None:
            raise FloorError(TASK_MISSING, f"task {taskid} does not exist")
        if task.status == TASK_OVER:
            raise FloorError(TASK_OVER, f"task {taskid} is over")
        return task

    def _task_target(self, assigntype: int, assignagent: str) -> Pool | Extension:
        """The pool a new task would dial for (an extension's own pool is made only once the
        task is accepted), or the FloorError that refuses it."""
        if assigntype == ASSIGN_EXTENSION:
            ext = self._ext(assignagent, enabled=True)
            return self._ext_pools.get(ext.extnumber) or ext
        if assigntype == ASSIGN_QUEUE:
            queue = self._queue(assignagent)
            if not queue.autocall:
                raise FloorError(1210, f"queue {assignagent} does not take predictive calls")
            return queue.pool
        if assigntype == ASSIGN_GROUP:
            group = self._group(assignagent)
            if group.status != 1:
                raise FloorError(1002, f"group {assignagent} is disabled")
            return group.pool
        raise FloorError(1002, "assigntype must be 1 (extension), 2 (queue) or 3 (group)")

    def _extension_pool(self, ext: Extension) -> Pool:
        pool = Pool(key=f"ext:{ext.extnumber}")
        self._ext_pools[ext.extnumber] = pool
        self._join(pool, ext, "", ext.extnumber)
        return pool

    def _take_numbers(self, task: Task, numbers: Sequence[Any]) -> list[Any]:
        invalid: list[Any] = []
        now = self.now
        for item in numbers:
            number = parse_number(item, now)
            if number is None or number.phone in task.numbers:
                invalid.append(item)
                continue
            task.numbers[number.phone] = number
            task.pending += 1
            if number.time <= now:
                task.ready.append(number)
            else:
                self._event_seq += 1
                heapq.heappush(task.scheduled, (number.time, self._event_seq, number))
        return invalid

    def _new_taskid(self) -> str:
        """The documents' shape (20200212163504393460): the wall-clock moment as the server
        shows it, then six random digits."""
        shown = format_time(self.now) or ""
        stamp = "".join(ch for ch in shown if ch.isdigit())
        while True:
            taskid = f"{stamp}{int(self.rng.random() * 1_000_000):06d}"
            if taskid not in self.tasks:
                return taskid


def _check_count(numbers: Sequence[Any]) -> None:
    if len(numbers) > MAX_NUMBERS_PER_CALL:
        raise FloorError(1002, f"at most {MAX_NUMBERS_PER_CALL} numbers per call")
