"""The life of a queue call: the predictive dialler's pacing and dials, the customer who
answers and waits (or gives up), the offers to agents, the talk, the end and the bill.

Incoming calls into a queue (`calls`) join the same wait for an agent; every call, of any
method, ends through `_end`, which frees whoever was on it and writes its bill.

Pacing (API-NOTES decision 3): for every `a` agents ready, keep `b` calls dialling, where
"ready" is the agents idle now plus those the dialler expects free within about one ring:
agents whose wrap-up ends by then and, for each talking agent, the chance the call has ended
by then given how long it has lasted (`dialer.agents_freeing`). Customers who answer and
find no agent wait; each hangs up after a patience drawn for them, and the queue drops
whoever is still waiting at `discardtime` (or `maxwaittime` / `withnoagenttime`). Both are
abandoned calls (decision 9): answered, no extension, billsec the wait.
"""

from __future__ import annotations

import functools
import heapq

from wallboard.sim import dialer
from wallboard.sim.bills import NO_NUMBER
from wallboard.sim.core import FloorCore, _holds
from wallboard.sim.entities import (
    ANSWERED,
    CAUSE_BUSY,
    CAUSE_CANCELLED,
    CAUSE_NORMAL,
    CAUSE_REFUSED,
    CAUSE_TIMEOUT,
    HANGUP_CALLEE,
    HANGUP_CALLER,
    METHOD_EXTENSION,
    METHOD_MANUAL,
    METHOD_PREDICTIVE,
    MISSED,
    NUMBER_DIALLING,
    NUMBER_DONE,
    NUMBER_PENDING,
    RECEIVING,
    REJECTED,
    STAGE_DIALLING,
    STAGE_OVER,
    STAGE_TALKING,
    STAGE_WAITING,
    TASK_RUNNING,
    Call,
    Extension,
    Member,
    Pool,
    Task,
    TaskNumber,
)
from wallboard.sim.events import FloorEvent


class PredictiveCalls(FloorCore):
    """The queue-call half of the floor (a mixin over `FloorCore`)."""

    # -- settling and pacing ---------------------------------------------------------------
    def _settle(self) -> None:
        """Connect waiting calls to free agents and pace the dialler, pool by pool, for every
        pool whose free agents, calls or tasks changed."""
        dirty = self._dirty
        while dirty:
            key = next(iter(dirty))
            pool = dirty.pop(key)
            if pool.waiting and pool.idle:
                self._connect(pool)
            if pool.tasks:
                self._pace(pool)

    def _pace(self, pool: Pool) -> None:
        """Keep b calls dialling for every a agents ready (idle, or expected free within a
        ring). Tasks on one pool share its budget (the boldest scale sets it) and take turns
        for their numbers. While tasks run, the pool re-paces every tick: agents come closer
        to free up without any event."""
        if not pool.pacing:
            pool.pacing = True
            self._at(self.now + dialer.PACING_TICK_SECONDS, self._pace_tick, pool)
        ready = float(len(pool.idle))
        if pool.talking or pool.wrapping:
            ready += dialer.agents_freeing(pool, self.now)
        if ready <= 0.0:
            return
        tasks = pool.tasks
        count = len(tasks)
        if count == 1:
            a, b = tasks[0].scale
            ratio = b / a
        else:
            ratio = max(t.scale[1] / t.scale[0] for t in tasks)
        need = int(ready * ratio + 1e-9) - pool.in_dial
        misses = 0
        while need > 0 and misses < count:
            task = tasks[pool.rr_task % count]
            pool.rr_task += 1
            number = self._next_number(task)
            if number is None:
                misses += 1
                continue
            misses = 0
            self._dial(task, pool, number)
            need -= 1

    def _pace_tick(self, pool: Pool) -> None:
        pool.pacing = False
        if pool.tasks:
            self._dirty[pool.key] = pool

    def _next_number(self, task: Task) -> TaskNumber | None:
        scheduled = task.scheduled
        now = self.now
        while scheduled and scheduled[0][0] <= now:
            task.ready.append(heapq.heappop(scheduled)[2])
        ready = task.ready
        while ready:
            number = ready.popleft()
            if number.state == NUMBER_PENDING:
                return number
        while scheduled and scheduled[0][2].state != NUMBER_PENDING:
            heapq.heappop(scheduled)
        if scheduled and task.wake_at != scheduled[0][0]:
            task.wake_at = scheduled[0][0]
            self._at(task.wake_at, self._wake_task, task)
        return None

    def _wake_task(self, task: Task) -> None:
        if task.wake_at is not None and task.wake_at <= self.now:
            task.wake_at = None
        if task.status == TASK_RUNNING and task.pool is not None:
            self._dirty[task.pool.key] = task.pool

    # -- the customer's side -----------------------------------------------------------------
    def _dial(self, task: Task, pool: Pool, number: TaskNumber) -> None:
        number.state = NUMBER_DIALLING
        task.pending -= 1
        task.dialled += 1
        task.in_dial += 1
        task.active += 1
        pool.in_dial += 1
        pool.in_flight += 1
        self.stats.dialled += 1
        rng = self.rng
        callers = task.disnumbers
        call = Call(
            seq=self._next_call_seq(),
            method=METHOD_PREDICTIVE,
            destnumber=number.phone,
            disnumber=callers[int(rng.random() * len(callers))]
            if callers
            else self._any_caller_id(),
            start=self.now,
            task=task,
            number=number,
            pool=pool,
        )
        self.calls[call.seq] = call
        cause, direction, ring = dialer.customer_outcome(rng, task.answer_share)
        if cause is None:
            self._at(self.now + ring, self._customer_answered, call)
        else:
            self._at(self.now + ring, self._call_failed, (call, cause, direction))

    def _call_failed(self, args: tuple[Call, int, int]) -> None:
        call, cause, direction = args
        if call.stage != STAGE_DIALLING:
            return
        if call.method == METHOD_PREDICTIVE:
            stats = self.stats
            if cause == CAUSE_BUSY:
                stats.busy += 1
            elif cause == CAUSE_TIMEOUT:
                stats.no_answer += 1
            elif cause == CAUSE_REFUSED:
                stats.refused += 1
            else:
                stats.failed += 1
        self._end(call, cause, direction)

    def _customer_answered(self, call: Call) -> None:
        if call.stage != STAGE_DIALLING:
            return
        pool = call.pool
        assert pool is not None
        call.stage = STAGE_WAITING
        call.answer_at = self.now
        self.stats.answered += 1
        self._wait_for_agent(call, pool, dialer.patience(self.rng))

    def _wait_for_agent(self, call: Call, pool: Pool, patience: float) -> None:
        """An answered customer (or one who rang in) waits in the pool's queue: dropped at the
        queue's limit, or hanging up on their own after `patience` seconds if that is sooner."""
        now = self.now
        call.stage = STAGE_WAITING
        pool.waiting.append(call)
        call.deadline = now + self._queue_limit(pool)
        self._at(call.deadline, self._discard, call)
        if now + patience < call.deadline and not self.patient_customers:
            self._at(now + patience, self._gave_up, call)
        self._dirty[pool.key] = pool

    def _queue_limit(self, pool: Pool) -> float:
        """How long an answered customer may wait for an agent: discardtime, or less when
        maxwaittime is set, or withnoagenttime when nobody in the pool can take calls."""
        wait = float(max(1, pool.discardtime))
        if pool.maxwaittime > 0:
            wait = min(wait, pool.maxwaittime)
        if pool.withnoagenttime > 0 and not any(
            m.ext.enabled and m.ext.registered and not m.paused for m in pool.members.values()
        ):
            wait = min(wait, pool.withnoagenttime)
        return wait

    def _discard(self, call: Call) -> None:
        """The queue's limit is up: a customer still waiting for a free agent is dropped; one
        whose call is ringing an agent waits for that offer to end (see `_requeue`)."""
        if call.stage == STAGE_WAITING and not call.offers:
            self._abandon(call, HANGUP_CALLER)

    def _gave_up(self, call: Call) -> None:
        """The customer's patience ran out: they hang up, even while an agent's phone rings
        (they cannot know it does)."""
        if call.stage == STAGE_WAITING:
            self._abandon(call, HANGUP_CALLEE)

    def _abandon(self, call: Call, direction: int) -> None:
        """An answered call no agent took: the queue dropped it (caller side hangs up) or the
        customer hung up (callee side)."""
        stats = self.stats
        if call.method == METHOD_PREDICTIVE:
            stats.abandoned += 1
            if direction == HANGUP_CALLEE:
                stats.gave_up += 1
        else:
            stats.inbound_abandoned += 1
        self._end(call, CAUSE_CANCELLED, direction)

    # -- the agents' side ----------------------------------------------------------------------
    def _connect(self, pool: Pool) -> None:
        rng = self.rng
        while pool.waiting and pool.idle:
            call = pool.waiting.popleft()
            self._offer(call, pool, dialer.choose_agents(pool, rng))

    def _offer(self, call: Call, pool: Pool, members: list[Member]) -> None:
        now = self.now
        rng = self.rng
        ringdelay = max(1, pool.ringdelay)
        call.offers = list(members)
        call.offered_at = now
        for m in members:
            ext = m.ext
            ext.call = call
            m.lastassigntime = now
            self._set_state(m, RECEIVING)
            self._refresh_ext(ext)
            self.stats.offers += 1
            self._ext_event(call, ext, "ring")
            what, seconds = dialer.agent_response(rng)
            if what == dialer.ANSWERS and seconds < ringdelay:
                self._at(now + seconds, self._agent_answered, (call, m))
            elif what == dialer.REJECTS and seconds < ringdelay:
                self._at(now + seconds, self._agent_rejected, (call, m))
            else:
                self._at(now + ringdelay, self._agent_missed, (call, m))

    def _agent_answered(self, args: tuple[Call, Member]) -> None:
        call, m = args
        if call.stage != STAGE_WAITING or not _holds(call.offers, m):
            return
        for other in call.offers:
            if other is not m:
                self._withdraw(call, other)
        call.offers = []
        now = self.now
        call.stage = STAGE_TALKING
        call.agent = m
        call.ext = m.ext
        call.connected_at = now
        if call.method == METHOD_PREDICTIVE:
            self._left_dialling(call)
        m.callsanswered += 1
        m.lastanswertime = now
        self._set_state(m, ANSWERED)
        pool = m.pool
        pool.talking[m.extnumber] = (m, now)
        pool.wrapping.pop(m.extnumber, None)
        if call.method == METHOD_PREDICTIVE:
            self.stats.connected += 1
        else:
            self.stats.inbound_connected += 1
        self._ext_event(call, m.ext, "answer")
        seconds, customer_hangs_up = dialer.talk(self.rng)
        direction = HANGUP_CALLEE if customer_hangs_up else HANGUP_CALLER
        self._at(now + seconds, self._hung_up, (call, direction))

    def _agent_missed(self, args: tuple[Call, Member]) -> None:
        """The offer rang for ringdelay seconds: 1212 for a few seconds, then back."""
        call, m = args
        if call.stage != STAGE_WAITING or not _holds(call.offers, m):
            return
        self.stats.missed_offers += 1
        self._offer_refused(call, m, MISSED)

    def _agent_rejected(self, args: tuple[Call, Member]) -> None:
        """The agent pressed reject: 1216 in the queue and 1205 on the extension for a few
        seconds, then back; the call goes to another agent."""
        call, m = args
        if call.stage != STAGE_WAITING or not _holds(call.offers, m):
            return
        self.stats.rejected_offers += 1
        m.ext.rejected_until = self.now + dialer.MISSED_SHOWN_SECONDS
        self._offer_refused(call, m, REJECTED)

    def _offer_refused(self, call: Call, m: Member, code: int) -> None:
        call.offers.remove(m)
        m.noanswercount += 1
        m.missed_until = self.now + dialer.MISSED_SHOWN_SECONDS
        m.missed_code = code
        self._set_state(m, code)
        self._at(m.missed_until, self._missed_over, m)
        ext = m.ext
        ext.call = None
        self._ext_event(call, ext, "hangup")
        self._refresh_ext(ext)
        self._requeue(call)

    def _missed_over(self, m: Member) -> None:
        if m.state in (MISSED, REJECTED) and self.now >= m.missed_until:
            self._set_state(m, self._resting(m))
        self._refresh(m)

    def _withdraw(self, call: Call, m: Member) -> None:
        """The offer to `m` ends without counting as a miss (someone else answered, the
        customer hung up or was dropped, the agent signed out or lost the phone)."""
        ext = m.ext
        if ext.call is call:
            ext.call = None
            self._ext_event(call, ext, "hangup")
        if m.state == RECEIVING:
            self._set_state(m, self._resting(m))
        self._refresh_ext(ext)

    def _requeue(self, call: Call) -> None:
        """A call whose offers all ended goes back to the head of its pool's queue, or is
        dropped when it is past its deadline and no agent is free."""
        pool = call.pool
        if call.stage != STAGE_WAITING or call.offers or pool is None:
            return
        if self.now >= call.deadline and not pool.idle:
            self._abandon(call, HANGUP_CALLER)
            return
        pool.waiting.appendleft(call)
        self._dirty[pool.key] = pool

    def _hung_up(self, args: tuple[Call, int]) -> None:
        call, direction = args
        if call.stage == STAGE_TALKING:
            self._end(call, CAUSE_NORMAL, direction)

    def _left_dialling(self, call: Call) -> None:
        task, pool = call.task, call.pool
        if task is not None:
            task.in_dial -= 1
        if pool is not None:
            pool.in_dial -= 1
            self._dirty[pool.key] = pool

    # -- the end of every call -------------------------------------------------------------
    def _end(self, call: Call, cause: int, direction: int) -> None:
        """The call is over: free whoever was on it, write its bill, settle its task."""
        stage = call.stage
        call.stage = STAGE_OVER
        self.calls.pop(call.seq, None)
        pool = call.pool
        if stage in (STAGE_DIALLING, STAGE_WAITING) and call.method == METHOD_PREDICTIVE:
            self._left_dialling(call)
        if stage == STAGE_WAITING:
            for m in call.offers:
                self._withdraw(call, m)
            call.offers = []
            if pool is not None and call in pool.waiting:
                pool.waiting.remove(call)
        ext = call.ext
        bleg = call.method in (METHOD_MANUAL, METHOD_EXTENSION)
        if ext is not None and ext.call is call:
            self._hang_up_extension(ext, call, bleg=bleg)
        peer = call.peer
        if peer is not None and peer.call is call:
            self._hang_up_extension(peer, call, bleg=False)
        bill_id = self._bill(call, cause, direction)
        task = call.task
        if task is not None:
            assert call.number is not None and pool is not None
            number = call.number
            number.state = NUMBER_DONE
            if task.numbers.get(number.phone) is number:
                del task.numbers[number.phone]  # done numbers live on in their bills only
            task.active -= 1
            pool.in_flight -= 1
        if self._listeners["bill"]:
            bill = self._book[bill_id - 1]
            build = functools.partial(bill.callback, self.companycode, self.downloadip)
            self._emit(FloorEvent("bill", build, bill=bill))
        if task is not None:
            self._check_task(task)

    def _hang_up_extension(self, ext: Extension, call: Call, *, bleg: bool) -> None:
        """`ext` leaves the call: idle from now (after wrap-up, for a queue call it took)."""
        now = self.now
        ext.call = None
        ext.last_call_end = now
        ext.idle_since = now
        if call.connected_at is not None:
            ext.talk_seconds += now - call.connected_at
        agent = call.agent
        pool = call.pool
        if agent is not None and agent.ext is ext:
            agent.pool.talking.pop(agent.extnumber, None)
            if pool is not None and pool.wrapuptime > 0:
                ext.ready_at = now + pool.wrapuptime
                if pool.members.get(agent.extnumber) is agent:  # still in it: back soon
                    pool.wrapping[agent.extnumber] = (agent, ext.ready_at)
                self._at(ext.ready_at, self._ext_ready, ext)
            if agent.state == ANSWERED:
                self._set_state(agent, self._resting(agent))
        self._ext_event(call, ext, "hangup", bleg=bleg)
        self._refresh_ext(ext)

    def _ext_ready(self, ext: Extension) -> None:
        self._refresh_ext(ext)

    def _bill(self, call: Call, cause: int, direction: int) -> int:
        start = int(call.start)
        agent = call.agent
        if agent is not None:
            extnumber, crmid = agent.extnumber, agent.crmid or "0"
        elif call.ext is not None:
            extnumber, crmid = call.ext.extnumber, "0"
        else:  # nobody of ours was on it: a dropped call, an IVR call
            extnumber, crmid = "", "0"
        return self._book.append(
            seq=call.seq,
            start=start,
            duration=int(self.now) - start,
            answer_after=None if call.answer_at is None else int(call.answer_at) - start,
            extnumber=extnumber,
            displaynumber=call.disnumber,
            callmethod=call.method,
            hangupdirection=direction,
            hangupcause=cause,
            crmid=crmid,
            taskid=call.task.taskid if call.task is not None else "",
            number=call.number if call.number is not None else NO_NUMBER,
            direction=call.direction,
        )
