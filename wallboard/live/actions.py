"""The supervisor's actions on the floor: check in/out, busy/idle, pause/resume/end a campaign.

Every action is a row of one table, `SupervisorAction`: its label (the audit log's and the
notifications' word), the service it calls, and the documented value it sends (settype,
taskstatus). The screen, the keys and the audit log all name an action by its row, never by
a string of its own.

Each action returns an `ActionResult` and never raises, so a key press can only ever end in a
notification. Four rules hold for every action, whatever screen calls it:
- a read-only dashboard refuses it without sending anything;
- an action that cannot apply to what the floor last showed is refused, saying why, and
  not sent (`cannot_apply`): resuming, pausing or ending an ended campaign, pausing a
  paused one, resuming a running one, checking an agent into a queue it is already in,
  setting a paused agent busy or an idle one idle;
- an action on a target that already has one in flight is refused, never sent twice (a
  supervisor pressing a key again because the first press looked slow must not check an agent
  out twice, or end a campaign that a resume is racing);
- it is appended to the audit log, refused or not, with the server's code and message.
A call that may have reached the server but got no answer is UNKNOWN, not FAILED: the client
does not repeat it, and the supervisor is told to look at the floor before trying again.

Notifications and audit lines name people and campaigns as a supervisor does: an agent by
name and extension ("Li Wei (8001) in sales") when the name is known, a campaign by its name
("campaign Spring promo"), with the task id and the extension kept as fields of the line.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from wallboard.api import errors
from wallboard.api.codes import AssignType, SetType, TaskStatus
from wallboard.live.audit import AuditLog, current_user
from wallboard.live.campaigns import CampaignRegistry
from wallboard.live.snapshot import AgentState, CampaignStatus
from wallboard.live.states import Q_CHECKED_IN
from wallboard.live.words import describe_failure

log = logging.getLogger("wallboard.live.actions")

#: (queue, extnumber): one agent in one queue. An extension checked into two queues is two
#: agents here, with two tiles and two independent actions in flight.
AgentKey = tuple[str, str]


def agent_key(queue: str, extnumber: str) -> AgentKey:
    """The one key of an agent in a queue: its tile on the grid, its action in flight."""
    return (queue, extnumber)


def campaign_key(taskid: str) -> str:
    """The in-flight key of actions on one campaign."""
    return f"campaign:{taskid.strip()}"


class Subject(enum.Enum):
    """What an action is done to: it decides what the action needs to be sent."""

    AGENT = "agent"  # an extension in a queue, under an agent id (crmid)
    CAMPAIGN = "campaign"  # a predictive task, by its taskid


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One row of the table of actions (see `SupervisorAction`)."""

    label: str  # the action in words: the audit log's "action", the notification's title
    service: str  # the wire name of the service it calls
    subject: Subject
    done: str  # the notification when done: {ext} (the agent in words) {queue} {target} {taskid}
    settype: SetType | None = None  # SetSeatsStatus's value, for busy/idle
    taskstatus: TaskStatus | None = None  # TaskSet's value, for the campaign actions
    already_done: frozenset[int] = frozenset()  # codes that say the goal was already met


def agent_words(extnumber: str, name: str = "") -> str:
    """An agent as a supervisor names one: "Li Wei (8001)", or "8001" when no name is known."""
    ext = extnumber.strip() or "?"
    name = " ".join(name.split())
    return f"{name} ({ext})" if name and name != ext else ext


def campaign_words(taskid: str, name: str = "") -> str:
    """A campaign as a supervisor names one: "campaign Spring promo", else by its task id."""
    name = " ".join(name.split())
    return f"campaign {name or taskid.strip() or '?'}"


def doing(action: SupervisorAction, target: str) -> str:
    """The action on its target in words: "check out Li Wei (8001) in sales", "resume
    campaign Renewals" (not "resume campaign campaign Renewals")."""
    verb = action.label
    if action.subject is Subject.CAMPAIGN and target.startswith("campaign "):
        verb = verb.removesuffix(" campaign")
    return f"{verb} {target}"


class SupervisorAction(enum.StrEnum):
    """Every action a supervisor can take, with what it sends. Its value is its label, so
    it reads as "check in" in the audit log, in a notification and in an f-string."""

    service: str
    subject: Subject
    done: str
    settype: SetType | None
    taskstatus: TaskStatus | None
    already_done: frozenset[int]

    def __new__(cls, row: ActionRow) -> SupervisorAction:
        member = str.__new__(cls, row.label)
        member._value_ = row.label
        member.service = row.service
        member.subject = row.subject
        member.done = row.done
        member.settype = row.settype
        member.taskstatus = row.taskstatus
        member.already_done = row.already_done
        return member

    CHECK_IN = ActionRow(
        "check in",
        "App.Sip_Queue.SipSignIn",
        Subject.AGENT,
        "checked {ext} into {queue}",
        # SipSignIn's answer when the extension is already in the queue: the goal is met.
        already_done=frozenset({Q_CHECKED_IN}),
    )
    CHECK_OUT = ActionRow(
        "check out", "App.Sip_Queue.SipSignOut", Subject.AGENT, "checked {ext} out of {queue}"
    )
    SET_BUSY = ActionRow(
        "set busy",
        "App.Sip_Queue.SetSeatsStatus",
        Subject.AGENT,
        "{ext} shows busy in {queue}",
        settype=SetType.BUSY,
    )
    SET_IDLE = ActionRow(
        "set idle",
        "App.Sip_Queue.SetSeatsStatus",
        Subject.AGENT,
        "{ext} shows idle in {queue}",
        settype=SetType.IDLE,
    )
    PAUSE_CAMPAIGN = ActionRow(
        "pause campaign",
        "App.Sip_Yccall.TaskSet",
        Subject.CAMPAIGN,
        "paused {target}",
        taskstatus=TaskStatus.PAUSE,
    )
    RESUME_CAMPAIGN = ActionRow(
        "resume campaign",
        "App.Sip_Yccall.TaskSet",
        Subject.CAMPAIGN,
        "resumed {target}",
        taskstatus=TaskStatus.OPEN,
    )
    END_CAMPAIGN = ActionRow(
        "end campaign",
        "App.Sip_Yccall.TaskSet",
        Subject.CAMPAIGN,
        "ended {target}",
        taskstatus=TaskStatus.END,
    )
    CREATE_CAMPAIGN = ActionRow(
        "create campaign",
        "App.Sip_Yccall.TaskCreat",
        Subject.CAMPAIGN,
        "created campaign {taskid}",
    )

    @property
    def label(self) -> str:
        """The action in words: "check in", "pause campaign"."""
        return self.value


#: Agent actions that cannot apply to an agent in these states of the queue, and why: the
#: state the action would put the agent in is the one it is in already.
_AGENT_ALREADY: dict[SupervisorAction, tuple[frozenset[AgentState], str]] = {
    SupervisorAction.SET_BUSY: (frozenset({AgentState.PAUSED}), "already shows busy (paused)"),
    # Wrap-up is idle in the queue's eyes: the agent takes the next call once it is over.
    SupervisorAction.SET_IDLE: (
        frozenset({AgentState.IDLE, AgentState.WRAPUP}),
        "already shows idle",
    ),
}
#: Campaign actions that cannot apply to a campaign in these states, and why.
_CAMPAIGN_ALREADY: dict[SupervisorAction, dict[CampaignStatus, str]] = {
    SupervisorAction.PAUSE_CAMPAIGN: {
        CampaignStatus.OVER: "has ended: it cannot be paused",
        CampaignStatus.PAUSED: "is paused already",
    },
    SupervisorAction.RESUME_CAMPAIGN: {
        CampaignStatus.OVER: "has ended: it cannot be resumed",
        CampaignStatus.RUNNING: "is running already",
    },
    SupervisorAction.END_CAMPAIGN: {CampaignStatus.OVER: "has ended already"},
}


def cannot_apply(
    action: SupervisorAction,
    *,
    agent_state: AgentState | None = None,
    campaign_status: CampaignStatus | None = None,
) -> str | None:
    """Why the action cannot apply to its target as the floor last showed it, else None.

    `agent_state` is the agent's state in the action's queue, None when it is not in that
    queue (or not known); `campaign_status` the campaign's, None when not known. Only what
    is known refuses: an unknown state lets the action through, for the server to judge.
    The words go between the target's name and, for an agent, " in QUEUE": "Li Wei (8001)
    is already in sales", "campaign Spring promo has ended already"."""
    if action is SupervisorAction.CHECK_IN:
        return None if agent_state is None else "is already"
    if action.subject is Subject.AGENT:
        states, why = _AGENT_ALREADY.get(action, (frozenset(), ""))
        return why if agent_state in states else None
    if campaign_status is None:
        return None
    return _CAMPAIGN_ALREADY.get(action, {}).get(campaign_status)


class Outcome(enum.Enum):
    DONE = "done"  # the server said it did it
    FAILED = "failed"  # the server said no, or could not be reached (nothing happened)
    REFUSED = "refused"  # not sent: read-only, already in flight, or bad input
    UNKNOWN = "unknown"  # sent, no answer: it may or may not have happened


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What became of one action, in words for a notification."""

    action: SupervisorAction
    target: str  # "1001 in queue-1", "campaign 2026010509..."
    outcome: Outcome
    message: str
    code: int | None = None  # the server's code, when it gave one

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.DONE


class CreatedTask(Protocol):
    """What the supervisor reads of TaskCreat's answer."""

    @property
    def taskid(self) -> str: ...

    @property
    def invaliddata(self) -> Sequence[object]: ...


class FloorClient(Protocol):
    """The part of `WallboardClient` the supervisor's actions use."""

    async def sign_in(self, queuename: str, extnumber: str, crmid: str | int) -> object: ...
    async def sign_out(self, queuename: str, extnumber: str, crmid: str | int) -> object: ...
    async def set_agent_status(
        self, settype: int, extnumber: str, crmid: str | int, queuename: str
    ) -> object: ...
    async def set_task(self, taskid: str, taskstatus: int) -> object: ...
    async def create_task(
        self,
        assigntype: int,
        assignagent: str,
        telphone: Sequence[str],
        taskscale: str = "1:1",
        disnumber: str | Sequence[str] = "",
        taskname: str | None = None,
    ) -> CreatedTask: ...


InFlightKey = AgentKey | str  # an agent in a queue, or `campaign_key(taskid)`
Answer = TypeVar("Answer")
Details = dict[str, object]


@dataclass(frozen=True, slots=True)
class Stopped:
    """A change that ended without a usable answer: refused (already in flight), failed,
    unknown (sent, no answer), or already done (the server's code says the goal is met)."""

    outcome: Outcome
    message: str
    code: int | None = None


class AuditedSender:
    """The rules every change to the floor is sent under, whoever sends it (the supervisor's
    actions, the administrator's changes), kept in one place so that they cannot drift:

    - one change in flight per target (`key`): a second is refused, never sent twice;
    - a call that may have reached the server and got no answer is UNKNOWN, not FAILED;
    - a failure is said in words (with the profile, for a hint), "nothing was sent" when the
      server could not be reached, and an unexpected error is logged, never raised;
    - the outcome is appended to the audit log under the user's name; a disk that cannot be
      written is said in the message (`audited`), never raised.
    """

    def __init__(self, audit: AuditLog, *, profile: str | None = None) -> None:
        self.audit = audit
        self._profile = profile
        self._in_flight: set[Hashable] = set()

    def busy(self, key: Hashable) -> bool:
        """A change with this key is in flight."""
        return key in self._in_flight

    def failure(self, exc: BaseException) -> str:
        """A failure in a supervisor's words."""
        return describe_failure(exc, profile=self._profile)

    async def send(
        self,
        key: Hashable,
        send: Callable[[], Awaitable[Answer]],
        *,
        label: str,
        what: str,
        target: str,
        already_done: frozenset[int] = frozenset(),
        on_code: Callable[[int], None] | None = None,
    ) -> tuple[Stopped | None, Answer | None]:
        """Send one change: (None, its answer), or (why it stopped, None).

        `label` is the change's word (for the log), `what` the change on its target in words
        ("check out Li Wei (8001) in sales"), `already_done` the codes that say its goal was
        met already, `on_code` told of any code the server refused with."""
        if key in self._in_flight:
            return Stopped(Outcome.REFUSED, f"{what} is already in progress"), None
        self._in_flight.add(key)
        try:
            answer = await send()
        except errors.OutcomeUnknown as exc:
            return Stopped(Outcome.UNKNOWN, f"{what}: {self.failure(exc)}", exc.code), None
        except errors.ApiError as exc:
            if exc.code is not None and on_code is not None:
                on_code(exc.code)
            if exc.code is not None and exc.code in already_done:
                message = f"{target}: already done ({exc.code} {exc.message})"
                return Stopped(Outcome.DONE, message, exc.code), None
            reason = self.failure(exc)
            if isinstance(exc, errors.ConnectError):
                reason += " (nothing was sent)"
            return Stopped(Outcome.FAILED, f"could not {what}: {reason}", exc.code), None
        except Exception as exc:  # never let a key press end in a traceback
            log.exception("%s of %s failed unexpectedly", label, target)
            return Stopped(Outcome.FAILED, f"could not {what}: {describe_failure(exc)}"), None
        finally:
            self._in_flight.discard(key)
        return None, answer

    def audited(
        self,
        *,
        action: str,
        target: str,
        outcome: Outcome,
        message: str,
        user: str,
        code: int | None = None,
        details: Mapping[str, object] | None = None,
    ) -> str:
        """Append the outcome to the audit log; the message, saying so when it could not be."""
        problem = self.audit.write(
            action=action,
            target=target,
            outcome=outcome.value,
            code=code,
            message=message,
            user=user,
            details=details,
        )
        return f"{message} ({problem})" if problem else message


class Supervisor:
    """The actions a supervisor takes from the dashboard, with their safety rules.

    It also remembers the agent id (crmid) last typed for each extension: the server's
    agent rows do not always carry it, and a supervisor who typed it once for an action
    should not be asked again for the next one."""

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
        self._sender = AuditedSender(audit, profile=profile)
        self.read_only = read_only
        self.user = user or current_user()
        self.registry = registry
        self._crmids: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Supervisor(user={self.user!r}, read_only={self.read_only})"

    def busy(self, key: InFlightKey) -> bool:
        """An action with this key (`agent_key`, `campaign_key`) is in flight."""
        return self._sender.busy(key)

    def crmid(self, extnumber: str, known: str = "") -> str:
        """The agent id to send for an extension: the one the server reported (`known`),
        else the one last typed for it, else "" (the screen then asks for it)."""
        return known or self._crmids.get(extnumber.strip(), "")

    def record(
        self,
        *,
        action: str,
        target: str,
        outcome: str,
        message: str = "",
        details: Mapping[str, object] | None = None,
    ) -> bool:
        """Write something the supervisor saw or did that sends nothing to the server (an
        alert raised, cleared or acknowledged) to the same audit log as the actions, under
        this supervisor's name, so that the day reads in one file, read-only or not.
        False when the file could not be written (logged; the screen goes on)."""
        problem = self._sender.audit.write(
            action=action,
            target=target,
            outcome=outcome,
            message=message,
            user=self.user,
            details=details,
        )
        return not problem

    # ------------------------------------------------------------------ agents

    async def act_on_agent(
        self,
        action: SupervisorAction,
        extnumber: str,
        queue: str,
        crmid: str | int,
        *,
        name: str = "",
        state: AgentState | None = None,
    ) -> ActionResult:
        """Any action on an agent in a queue (check in/out, busy, idle), by its row.

        `name`: the agent's name, for the notification and the audit line; `state`: the
        agent's state in `queue` as the floor last showed it (None: not in that queue, or
        not known), so that an action that cannot apply is refused (`cannot_apply`)."""
        ext = str(extnumber or "").strip()
        queue = str(queue or "").strip()
        agent_id = str(crmid if crmid is not None else "").strip()
        who = agent_words(ext, name)
        target = f"{who} in {queue or '?'}"
        details: Details = {"extnumber": ext, "queue": queue, "crmid": agent_id}
        if name.strip():
            details["name"] = " ".join(name.split())
        if self.read_only:  # first: whatever else is wrong, nothing is sent from here
            return self._refuse_read_only(action, target, details)
        problem = None
        why_not = cannot_apply(action, agent_state=state)
        if action.subject is not Subject.AGENT:
            problem = f"{action.label} is not an action on an agent"
        elif not ext:
            problem = "no extension chosen"
        elif not queue:
            problem = "no queue chosen"
        elif why_not is not None:
            problem = f"{who} {why_not} in {queue}: not sent"
        elif not agent_id:
            problem = "the agent id (crmid) is needed"
        elif not agent_id.isdigit():
            problem = f"the agent id (crmid) must be a number, not {agent_id[:20]!r}"
        if problem:
            return self._finish(action, target, Outcome.REFUSED, problem, details=details)
        self._crmids[ext] = agent_id

        result, _ = await self._send(
            action,
            target,
            agent_key(queue, ext),
            lambda: self._agent_request(action, ext, queue, agent_id),
            details=details,
        )
        if result is not None:
            return result
        done = action.done.format(ext=who, queue=queue, target=target, taskid="")
        return self._finish(action, target, Outcome.DONE, done, details=details)

    async def check_in(self, extnumber: str, queue: str, crmid: str | int) -> ActionResult:
        """SipSignIn: put the agent's extension into the queue."""
        return await self.act_on_agent(SupervisorAction.CHECK_IN, extnumber, queue, crmid)

    async def check_out(self, extnumber: str, queue: str, crmid: str | int) -> ActionResult:
        """SipSignOut: take the agent's extension out of the queue."""
        return await self.act_on_agent(SupervisorAction.CHECK_OUT, extnumber, queue, crmid)

    async def set_busy(self, extnumber: str, queue: str, crmid: str | int) -> ActionResult:
        """SetSeatsStatus busy: the agent shows busy (paused) in the queue."""
        return await self.act_on_agent(SupervisorAction.SET_BUSY, extnumber, queue, crmid)

    async def set_idle(self, extnumber: str, queue: str, crmid: str | int) -> ActionResult:
        """SetSeatsStatus idle: the agent shows idle (takes calls) in the queue."""
        return await self.act_on_agent(SupervisorAction.SET_IDLE, extnumber, queue, crmid)

    # ------------------------------------------------------------------ campaigns

    async def act_on_campaign(
        self,
        action: SupervisorAction,
        taskid: str,
        *,
        name: str = "",
        status: CampaignStatus | None = None,
    ) -> ActionResult:
        """Any TaskSet action on a campaign (pause, resume, end), by its row.

        `name` and `status`: the campaign's as the screen shows them (None: not known).
        When the registry tracks the task, its status wins (it learns of an action the
        moment the server accepts it; a screen, one poll later) and its name stands in for
        a name not given. The campaign is named by its name in the notification and the audit
        line (the task id is a field of the line), and an action that cannot apply to its
        status is refused (`cannot_apply`)."""
        task = str(taskid or "").strip()
        tracked = self.registry.get(task) if self.registry is not None and task else None
        if tracked is not None:  # the registry learns of an action at once; a screen later
            name = name or tracked.name
            status = tracked.status
        target = campaign_words(task, name)
        taskstatus = action.taskstatus
        details: Details = {
            "taskid": task,
            "taskstatus": None if taskstatus is None else int(taskstatus),
        }
        if name.strip():
            details["name"] = " ".join(name.split())
        if self.read_only:
            return self._refuse_read_only(action, target, details)
        why_not = cannot_apply(action, campaign_status=status)
        if taskstatus is None or not task:
            why = (
                "no campaign chosen" if taskstatus is not None else f"{action.label} is no TaskSet"
            )
            return self._finish(action, target, Outcome.REFUSED, why, details=details)
        if why_not is not None:
            why = f"{target} {why_not}: not sent"
            return self._finish(action, target, Outcome.REFUSED, why, details=details)
        status_sent = taskstatus
        result, _ = await self._send(
            action,
            target,
            campaign_key(task),
            lambda: self._client.set_task(task, status_sent),
            details=details,
            on_code=lambda code: self._record(lambda reg: reg.apply_code(task, code)),
        )
        if result is not None:
            return result
        self._record(lambda reg: reg.apply_taskset(task, status_sent))
        done = action.done.format(ext="", queue="", target=target, taskid=task)
        return self._finish(action, target, Outcome.DONE, done, details=details)

    async def pause_campaign(self, taskid: str) -> ActionResult:
        """TaskSet pause: stop dialling new numbers of the task for now."""
        return await self.act_on_campaign(SupervisorAction.PAUSE_CAMPAIGN, taskid)

    async def resume_campaign(self, taskid: str) -> ActionResult:
        """TaskSet open: (re)start dialling the task's numbers."""
        return await self.act_on_campaign(SupervisorAction.RESUME_CAMPAIGN, taskid)

    async def end_campaign(self, taskid: str) -> ActionResult:
        """TaskSet end: end the task for good (the screen asks for confirmation first)."""
        return await self.act_on_campaign(SupervisorAction.END_CAMPAIGN, taskid)

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
        action = SupervisorAction.CREATE_CAMPAIGN
        target = f"new campaign for {assignagent.strip() or '?'}"
        if self.read_only:
            return self._refuse_read_only(action, target, None)
        problem = None
        if assigntype not in set(AssignType):
            problem = "assign type must be 1 (extension), 2 (queue) or 3 (group)"
        elif not assignagent.strip():
            problem = "say which extension, queue or group the campaign dials for"
        elif not [n for n in numbers if str(n).strip()]:
            problem = "a campaign needs at least one number"
        if problem:
            return self._finish(action, target, Outcome.REFUSED, problem)
        key = campaign_key(f"new:{assignagent.strip()}")

        async def send() -> CreatedTask:
            return await self._client.create_task(
                assigntype,
                assignagent.strip(),
                [str(n).strip() for n in numbers if str(n).strip()],
                taskscale=taskscale,
                disnumber=disnumber,
                taskname=name or None,
            )

        result, answer = await self._send(action, target, key, send)
        if result is not None or answer is None:
            return result or self._finish(action, target, Outcome.FAILED, "no answer")
        taskid = str(answer.taskid or "")
        invalid = list(answer.invaliddata or [])
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
        done = action.done.format(ext="", queue="", target=target, taskid=taskid) + extra
        return self._finish(action, target, Outcome.DONE, done, details={"taskid": taskid})

    # ------------------------------------------------------------------ internals

    def _agent_request(
        self, action: SupervisorAction, ext: str, queue: str, crmid: str
    ) -> Awaitable[object]:
        """The client call of an agent action, chosen by the row's service and value."""
        client = self._client
        if action.settype is not None:
            return client.set_agent_status(
                action.settype, extnumber=ext, crmid=crmid, queuename=queue
            )
        if action is SupervisorAction.CHECK_IN:
            return client.sign_in(queuename=queue, extnumber=ext, crmid=crmid)
        if action is SupervisorAction.CHECK_OUT:
            return client.sign_out(queuename=queue, extnumber=ext, crmid=crmid)
        raise ValueError(f"{action.label} has no request on an agent")  # pragma: no cover

    async def _send(
        self,
        action: SupervisorAction,
        target: str,
        key: InFlightKey,
        send: Callable[[], Awaitable[Answer]],
        *,
        details: Details | None = None,
        on_code: Callable[[int], None] | None = None,
    ) -> tuple[ActionResult | None, Answer | None]:
        """Send one action under the safety rules: (a final result, None) or (None, answer)."""
        if self.read_only:
            return self._refuse_read_only(action, target, details), None
        stopped, answer = await self._sender.send(
            key,
            send,
            label=action.label,
            what=doing(action, target),
            target=target,
            already_done=action.already_done,
            on_code=on_code,
        )
        if stopped is not None:
            result = self._finish(
                action, target, stopped.outcome, stopped.message, code=stopped.code, details=details
            )
            return result, None
        return None, answer

    def _refuse_read_only(
        self, action: SupervisorAction, target: str, details: Details | None
    ) -> ActionResult:
        """A read-only dashboard sends nothing; the refusal is audited like any outcome."""
        message = f"{action.label} not sent: this dashboard is read-only"
        return self._finish(action, target, Outcome.REFUSED, message, details=details)

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
        action: SupervisorAction,
        target: str,
        outcome: Outcome,
        message: str,
        *,
        code: int | None = None,
        details: Details | None = None,
    ) -> ActionResult:
        message = self._sender.audited(
            action=action.label,
            target=target,
            outcome=outcome,
            message=message,
            user=self.user,
            code=code,
            details=details,
        )
        return ActionResult(action, target, outcome, message, code)


__all__ = [
    "ActionResult",
    "ActionRow",
    "AgentKey",
    "AuditedSender",
    "CreatedTask",
    "FloorClient",
    "InFlightKey",
    "Outcome",
    "Stopped",
    "Subject",
    "Supervisor",
    "SupervisorAction",
    "agent_key",
    "agent_words",
    "campaign_key",
    "campaign_words",
    "cannot_apply",
    "doing",
]
