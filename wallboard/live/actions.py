"""The supervisor's actions on the floor: check in/out, busy/idle, pause/resume/end a campaign.

Each action returns an `ActionResult` and never raises, so a key press can only ever end in a
notification. Three rules hold for every action, whatever screen calls it:
- a read-only dashboard refuses it without sending anything;
- an action on a target that already has one in flight is refused, never sent twice (a
  supervisor pressing a key again because the first press looked slow must not check an agent
  out twice, or end a campaign that a resume is racing);
- it is appended to the audit log, refused or not, with the server's code and message.
A call that may have reached the server but got no answer is UNKNOWN, not FAILED: the client
does not repeat it, and the supervisor is told to look at the floor before trying again.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from wallboard.api import errors
from wallboard.live.audit import AuditLog, current_user
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.states import Q_CHECKED_IN
from wallboard.live.words import describe_failure

log = logging.getLogger("wallboard.live.actions")

#: The code SipSignIn answers when the extension is already in the queue: the goal is met.
ALREADY_CHECKED_IN = Q_CHECKED_IN


class Outcome(enum.Enum):
    DONE = "done"  # the server said it did it
    FAILED = "failed"  # the server said no, or could not be reached (nothing happened)
    REFUSED = "refused"  # not sent: read-only, already in flight, or bad input
    UNKNOWN = "unknown"  # sent, no answer: it may or may not have happened


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What became of one action, in words for a notification."""

    action: str  # "check in", "pause campaign", ...
    target: str  # "1001 in queue-1", "campaign 2026010509..."
    outcome: Outcome
    message: str
    code: int | None = None  # the server's code, when it gave one

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.DONE


def agent_key(extnumber: str, queue: str) -> str:
    """The in-flight key of actions on one agent in one queue."""
    return f"agent:{extnumber.strip()}:{queue.strip()}"


def campaign_key(taskid: str) -> str:
    """The in-flight key of actions on one campaign."""
    return f"campaign:{taskid.strip()}"


class FloorClient(Protocol):
    """The part of `WallboardClient` the supervisor's actions use."""

    async def sign_in(self, queuename: str, extnumber: str, crmid: str | int) -> Any: ...
    async def sign_out(self, queuename: str, extnumber: str, crmid: str | int) -> Any: ...
    async def set_agent_status(
        self, settype: int, extnumber: str, crmid: str | int, queuename: str
    ) -> Any: ...
    async def set_task(self, taskid: str, taskstatus: int) -> Any: ...
    async def create_task(
        self,
        assigntype: int,
        assignagent: str,
        telphone: Sequence[Any],
        taskscale: str = "1:1",
        disnumber: str | Sequence[str] = "",
        taskname: str | None = None,
    ) -> Any: ...


class Supervisor:
    """The actions a supervisor takes from the dashboard, with their safety rules."""

    def __init__(
        self,
        client: FloorClient,
        audit: AuditLog,
        *,
        read_only: bool,
        user: str | None = None,
        registry: CampaignRegistry | None = None,
        profile: str | None = None,
    ) -> None:
        self._client = client
        self._audit = audit
        self.read_only = read_only
        self.user = user or current_user()
        self.registry = registry
        self._profile = profile
        self._in_flight: set[str] = set()

    def __repr__(self) -> str:
        return f"Supervisor(user={self.user!r}, read_only={self.read_only})"

    def busy(self, key: str) -> bool:
        """An action with this key (`agent_key`, `campaign_key`) is in flight."""
        return key in self._in_flight

    # ------------------------------------------------------------------ agents

    async def check_in(self, extnumber: str, queue: str, crmid: str | int) -> ActionResult:
        """SipSignIn: put the agent's extension into the queue."""
        return await self._agent_action(
            "check in",
            extnumber,
            queue,
            crmid,
            lambda e, q, c: self._client.sign_in(queuename=q, extnumber=e, crmid=c),
            done="checked {ext} into {queue}",
        )

    async def check_out(self, extnumber: str, queue: str, crmid: str | int) -> ActionResult:
        """SipSignOut: take the agent's extension out of the queue."""
        return await self._agent_action(
            "check out",
            extnumber,
            queue,
            crmid,
            lambda e, q, c: self._client.sign_out(queuename=q, extnumber=e, crmid=c),
            done="checked {ext} out of {queue}",
        )

    async def set_busy(self, extnumber: str, queue: str, crmid: str | int) -> ActionResult:
        """SetSeatsStatus settype 1: the agent shows busy (paused) in the queue."""
        return await self._agent_action(
            "set busy",
            extnumber,
            queue,
            crmid,
            lambda e, q, c: self._client.set_agent_status(1, extnumber=e, crmid=c, queuename=q),
            done="{ext} shows busy in {queue}",
        )

    async def set_idle(self, extnumber: str, queue: str, crmid: str | int) -> ActionResult:
        """SetSeatsStatus settype 2: the agent shows idle (takes calls) in the queue."""
        return await self._agent_action(
            "set idle",
            extnumber,
            queue,
            crmid,
            lambda e, q, c: self._client.set_agent_status(2, extnumber=e, crmid=c, queuename=q),
            done="{ext} shows idle in {queue}",
        )

    # ------------------------------------------------------------------ campaigns

    async def pause_campaign(self, taskid: str) -> ActionResult:
        """TaskSet 2: stop dialling new numbers of the task for now."""
        return await self._campaign_action("pause campaign", taskid, 2, "paused")

    async def resume_campaign(self, taskid: str) -> ActionResult:
        """TaskSet 1: (re)start dialling the task's numbers."""
        return await self._campaign_action("resume campaign", taskid, 1, "resumed")

    async def end_campaign(self, taskid: str) -> ActionResult:
        """TaskSet 3: end the task for good (the screen asks for confirmation first)."""
        return await self._campaign_action("end campaign", taskid, 3, "ended")

    async def create_campaign(
        self,
        *,
        assigntype: int,
        assignagent: str,
        numbers: Sequence[str],
        taskscale: str = "1:1",
        disnumber: str = "",
        name: str = "",
    ) -> ActionResult:
        """TaskCreat; the new task goes into the registry with its numbers, to be tracked."""
        target = f"new campaign for {assignagent.strip() or '?'}"
        action = "create campaign"
        problem = None
        if assigntype not in (1, 2, 3):
            problem = "assign type must be 1 (extension), 2 (queue) or 3 (group)"
        elif not assignagent.strip():
            problem = "say which extension, queue or group the campaign dials for"
        elif not [n for n in numbers if str(n).strip()]:
            problem = "a campaign needs at least one number"
        if problem:
            return self._finish(action, target, Outcome.REFUSED, problem)
        key = campaign_key(f"new:{assignagent.strip()}")

        async def send() -> Any:
            return await self._client.create_task(
                assigntype,
                assignagent.strip(),
                [str(n).strip() for n in numbers if str(n).strip()],
                taskscale=taskscale,
                disnumber=disnumber,
                taskname=name or None,
            )

        result, answer = await self._send(action, target, key, send)
        if result is not None:
            return result
        taskid = str(getattr(answer, "taskid", "") or "")
        invalid = list(getattr(answer, "invaliddata", []) or [])
        if self.registry is not None and taskid:
            refused = {
                str(item.get("phone", item)) if isinstance(item, dict) else str(item)
                for item in invalid
            }
            kept = [str(n).strip() for n in numbers if str(n).strip() not in refused]
            self._record(
                lambda reg: reg.record_created(
                    taskid, numbers=kept, name=name, assigned_to=assignagent.strip()
                )
            )
        extra = f"; {len(invalid)} numbers refused by the server" if invalid else ""
        return self._finish(
            action,
            target,
            Outcome.DONE,
            f"created campaign {taskid}{extra}",
            details={"taskid": taskid},
        )

    # ------------------------------------------------------------------ internals

    async def _agent_action(
        self,
        action: str,
        extnumber: str,
        queue: str,
        crmid: str | int,
        call: Callable[[str, str, str], Awaitable[Any]],
        *,
        done: str,
    ) -> ActionResult:
        ext = str(extnumber or "").strip()
        queue = str(queue or "").strip()
        agent_id = str(crmid if crmid is not None else "").strip()
        target = f"{ext or '?'} in {queue or '?'}"
        details = {"extnumber": ext, "queue": queue, "crmid": agent_id}
        problem = None
        if not ext:
            problem = "no extension chosen"
        elif not queue:
            problem = "no queue chosen"
        elif not agent_id:
            problem = "the agent id (crmid) is needed"
        elif not agent_id.isdigit():
            problem = f"the agent id (crmid) must be a number, not {agent_id[:20]!r}"
        if problem:
            return self._finish(action, target, Outcome.REFUSED, problem, details=details)

        result, _ = await self._send(
            action,
            target,
            agent_key(ext, queue),
            lambda: call(ext, queue, agent_id),
            details=details,
            accept={ALREADY_CHECKED_IN} if action == "check in" else frozenset(),
        )
        if result is not None:
            return result
        return self._finish(
            action, target, Outcome.DONE, done.format(ext=ext, queue=queue), details=details
        )

    async def _campaign_action(
        self, action: str, taskid: str, taskstatus: int, verb: str
    ) -> ActionResult:
        task = str(taskid or "").strip()
        target = f"campaign {task or '?'}"
        details = {"taskid": task, "taskstatus": taskstatus}
        if not task:
            return self._finish(
                action, target, Outcome.REFUSED, "no campaign chosen", details=details
            )
        result, _ = await self._send(
            action,
            target,
            campaign_key(task),
            lambda: self._client.set_task(task, taskstatus),
            details=details,
            on_code=lambda code: self._record(lambda reg: reg.apply_code(task, code)),
        )
        if result is not None:
            return result
        self._record(lambda reg: reg.apply_taskset(task, taskstatus))
        return self._finish(action, target, Outcome.DONE, f"{verb} {target}", details=details)

    async def _send(
        self,
        action: str,
        target: str,
        key: str,
        send: Callable[[], Awaitable[Any]],
        *,
        details: dict[str, Any] | None = None,
        accept: frozenset[int] | set[int] = frozenset(),
        on_code: Callable[[int], None] | None = None,
    ) -> tuple[ActionResult | None, Any]:
        """Send one action under the safety rules: (a final result, None) or (None, answer)."""
        if self.read_only:
            message = "refused: this dashboard is read-only"
            return self._finish(action, target, Outcome.REFUSED, message, details=details), None
        if key in self._in_flight:
            message = f"{action} of {target} is already in progress"
            return self._finish(action, target, Outcome.REFUSED, message, details=details), None
        self._in_flight.add(key)
        try:
            answer = await send()
        except errors.OutcomeUnknown as exc:
            message = f"{action} of {target}: {describe_failure(exc, profile=self._profile)}"
            return self._finish(
                action, target, Outcome.UNKNOWN, message, code=exc.code, details=details
            ), None
        except errors.ApiError as exc:
            if exc.code is not None and on_code is not None:
                on_code(exc.code)
            if exc.code is not None and exc.code in accept:
                message = f"{target}: already done ({exc.code} {exc.message})"
                return self._finish(
                    action, target, Outcome.DONE, message, code=exc.code, details=details
                ), None
            reason = describe_failure(exc, profile=self._profile)
            if isinstance(exc, errors.ConnectError):
                reason += " (nothing was sent)"
            return self._finish(
                action,
                target,
                Outcome.FAILED,
                f"could not {action} {target}: {reason}",
                code=exc.code,
                details=details,
            ), None
        except Exception as exc:  # never let a key press end in a traceback
            log.exception("%s of %s failed unexpectedly", action, target)
            return self._finish(
                action,
                target,
                Outcome.FAILED,
                f"could not {action} {target}: {describe_failure(exc)}",
                details=details,
            ), None
        finally:
            self._in_flight.discard(key)
        return None, answer

    def _record(self, change: Callable[[CampaignRegistry], object]) -> None:
        """Tell the registry what an answer taught us; a failing disk must not fail the action."""
        if self.registry is None:
            return
        try:
            change(self.registry)
        except (OSError, ValueError) as exc:
            log.warning("campaign registry not updated: %s", exc)

    def _finish(
        self,
        action: str,
        target: str,
        outcome: Outcome,
        message: str,
        *,
        code: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> ActionResult:
        try:
            self._audit.append(
                action=action,
                target=target,
                outcome=outcome.value,
                code=code,
                message=message,
                user=self.user,
                details=details,
            )
        except OSError as exc:
            log.warning("audit log not written: %s", exc)
            message = f"{message} (not written to the audit log: {exc.strerror or exc})"
        return ActionResult(action, target, outcome, message, code)


__all__ = [
    "ActionResult",
    "FloorClient",
    "Outcome",
    "Supervisor",
    "agent_key",
    "campaign_key",
]
