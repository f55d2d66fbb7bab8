"""Calls other than the predictive dialler's, each with its documented call method
(API-NOTES decision 14), bills, extension states and callbacks:

- 1 extension to extension: the caller's phone goes off-hook (1203), the called one rings
  (1202); the called agent answers, lets it ring out (10005) or rejects it (10003; 1205 on
  the called extension for a few seconds). Bill: the caller's extension, destnumber the
  called one.
- 2 manual dial: the agent dials a customer by hand (1203 until the customer answers).
- 3 API call and 4 API double call: the CRM asks the platform to call; the agent's phone
  rings first (1202), then the customer is dialled (1203) and they talk (1204). An agent who
  rejects shows 1205 for a few seconds.
- 6 IVR / group calls: incoming calls that the IVR puts into a queue (direction 1,
  "callin"; they wait for an agent like an answered predictive call, and one no agent takes
  is abandoned), and IVR notification calls out to a customer that no agent is on.

On bills of every direction, `destnumber` is the other party (the customer, or the called
extension) and `displaynumber` the company's line.
"""

from __future__ import annotations

from collections.abc import Callable

from wallboard.sim import dialer
from wallboard.sim.entities import (
    CAUSE_BUSY,
    CAUSE_REFUSED,
    CAUSE_TIMEOUT,
    DIRECTION_IN,
    EXT_IN_CALL,
    HANGUP_CALLEE,
    HANGUP_CALLER,
    METHOD_API,
    METHOD_API_DOUBLE,
    METHOD_EXTENSION,
    METHOD_IVR,
    METHOD_MANUAL,
    STAGE_DIALLING,
    STAGE_TALKING,
    Call,
    Extension,
    FloorError,
    TaskNumber,
)
from wallboard.sim.predictive import PredictiveCalls

#: How long a phone rings for a call that is not a queue's before the platform gives up.
RING_TIMEOUT_SECONDS = 30.0
#: Internal calls are short: a question to a colleague.
INTERNAL_TALK_SHARE = 0.3
IVR_MESSAGE_SECONDS = (15.0, 60.0)


class OtherCalls(PredictiveCalls):
    """Manual, extension, API, IVR and incoming calls (a mixin over the queue-call life)."""

    # -- 2: manual dial ------------------------------------------------------------------
    def place_manual_call(self, extnumber: str, destnumber: str) -> Call:
        """An agent picks up the phone and dials (callmethod 2): off-hook, then maybe a talk.
        Raises FloorError 1011/1012/1013/1014, or 1204 when the extension is already in a call."""
        ext = self._free_caller(extnumber)
        call = self._new_call(METHOD_MANUAL, destnumber, ext)
        ext.manual_calls += 1
        self.stats.manual_calls += 1
        self._refresh_ext(ext)
        self._ext_event(call, ext, "ring", bleg=True)
        self._dial_customer(call)
        self._settle()
        return call

    # -- 1: extension to extension ----------------------------------------------------------
    def place_extension_call(self, extnumber: str, called: str) -> Call:
        """One extension calls another (callmethod 1). 1011-1014 for either extension, 1204
        when the caller is in a call; a called extension that is busy gives a busy bill."""
        ext = self._free_caller(extnumber)
        peer = self._ext(called, enabled=True, registered=True)
        if peer is ext:
            raise FloorError(1002, "an extension cannot call itself")
        call = self._new_call(METHOD_EXTENSION, peer.extnumber, ext)
        self.stats.other_calls += 1
        self._refresh_ext(ext)
        self._ext_event(call, ext, "ring", bleg=True)
        if peer.call is not None:
            self._at(self.now + 2.0, self._call_failed, (call, CAUSE_BUSY, HANGUP_CALLEE))
        else:
            call.peer = peer
            peer.call = call
            self._refresh_ext(peer)
            self._ext_event(call, peer, "ring")
            self._ring_extension(call, self._peer_answered, self._peer_refused)
        self._settle()
        return call

    def _peer_answered(self, call: Call) -> None:
        if call.stage != STAGE_DIALLING or call.peer is None:
            return
        now = self.now
        call.stage = STAGE_TALKING
        call.answer_at = call.connected_at = now
        assert call.ext is not None
        self._ext_event(call, call.peer, "answer")
        self._ext_event(call, call.ext, "answer", bleg=True)
        seconds, callee_hangs_up = dialer.talk(self.rng)
        seconds = max(dialer.TALK_BOUNDS[0], seconds * INTERNAL_TALK_SHARE)
        direction = HANGUP_CALLEE if callee_hangs_up else HANGUP_CALLER
        self._at(now + seconds, self._hung_up, (call, direction))

    def _peer_refused(self, args: tuple[Call, bool]) -> None:
        call, rejected = args
        if call.stage != STAGE_DIALLING or call.peer is None:
            return
        if rejected:
            call.peer.rejected_until = self.now + dialer.MISSED_SHOWN_SECONDS
            self._end(call, CAUSE_REFUSED, HANGUP_CALLEE)
        else:
            self._end(call, CAUSE_TIMEOUT, HANGUP_CALLER)

    # -- 3 and 4: API calls ----------------------------------------------------------------
    def place_api_call(self, extnumber: str, destnumber: str, *, double: bool = False) -> Call:
        """The CRM asks for a call between an agent and a customer (callmethod 3, or 4 for a
        double call): the agent's phone rings, then the customer's. 1011-1014, 1204."""
        ext = self._free_caller(extnumber)
        call = self._new_call(METHOD_API_DOUBLE if double else METHOD_API, destnumber, ext)
        self.stats.other_calls += 1
        call.ext_ringing = True
        self._refresh_ext(ext)
        self._ext_event(call, ext, "ring")
        self._ring_extension(call, self._agent_took_api_call, self._agent_refused_api_call)
        self._settle()
        return call

    def _agent_took_api_call(self, call: Call) -> None:
        if call.stage != STAGE_DIALLING or not call.ext_ringing or call.ext is None:
            return
        call.ext_ringing = False
        self._ext_event(call, call.ext, "answer")
        self._dial_customer(call)

    def _agent_refused_api_call(self, args: tuple[Call, bool]) -> None:
        call, rejected = args
        if call.stage != STAGE_DIALLING or not call.ext_ringing or call.ext is None:
            return
        if rejected:
            call.ext.rejected_until = self.now + dialer.MISSED_SHOWN_SECONDS
            self._end(call, CAUSE_REFUSED, HANGUP_CALLER)
        else:
            self._end(call, CAUSE_TIMEOUT, HANGUP_CALLER)

    # -- 6: IVR calls, out and in ---------------------------------------------------------
    def place_ivr_call(self, destnumber: str) -> Call:
        """An IVR notification call (callmethod 6, out): a recorded message, no agent."""
        call = Call(
            seq=self._next_call_seq(),
            method=METHOD_IVR,
            destnumber=destnumber,
            disnumber=self._any_caller_id(),
            start=self.now,
            number=TaskNumber(phone=destnumber, time=self.now),
        )
        self.calls[call.seq] = call
        self.stats.other_calls += 1
        self._dial_customer(call)
        return call

    def ring_in(self, queuename: str, caller: str) -> Call:
        """A customer rings the company; the IVR puts them into `queuename` (callmethod 6,
        direction 1 "callin"). They wait for an agent like an answered predictive call and
        hang up after their own (longer) patience or at the queue's limit. 1211 no queue."""
        queue = self._queue(queuename)
        now = self.now
        call = Call(
            seq=self._next_call_seq(),
            method=METHOD_IVR,
            destnumber=caller,
            disnumber=self._any_caller_id(),
            start=now,
            number=TaskNumber(phone=caller, time=now),
            pool=queue.pool,
            direction=DIRECTION_IN,
        )
        call.answer_at = now  # the IVR answers at once
        self.calls[call.seq] = call
        self.stats.inbound += 1
        self._wait_for_agent(call, queue.pool, dialer.patience(self.rng, inbound=True))
        self._settle()
        return call

    # -- shared steps ----------------------------------------------------------------------
    def _free_caller(self, extnumber: str) -> Extension:
        ext = self._ext(extnumber, enabled=True, registered=True)
        if ext.call is not None:
            raise FloorError(EXT_IN_CALL, f"extension {extnumber} is in a call")
        return ext

    def _new_call(self, method: int, destnumber: str, ext: Extension) -> Call:
        call = Call(
            seq=self._next_call_seq(),
            method=method,
            destnumber=destnumber,
            disnumber=self._any_caller_id(),
            start=self.now,
            number=TaskNumber(phone=destnumber, time=self.now),
            ext=ext,
        )
        self.calls[call.seq] = call
        ext.call = call
        return call

    def _ring_extension(
        self,
        call: Call,
        answered: Callable[[Call], None],
        refused: Callable[[tuple[Call, bool]], None],
    ) -> None:
        """The called extension's person answers, rejects or lets it ring out."""
        what, seconds = dialer.agent_response(self.rng)
        now = self.now
        if what == dialer.ANSWERS and seconds < RING_TIMEOUT_SECONDS:
            self._at(now + seconds, answered, call)
        elif what == dialer.REJECTS:
            self._at(now + seconds, refused, (call, True))
        else:
            self._at(now + RING_TIMEOUT_SECONDS, refused, (call, False))

    def _dial_customer(self, call: Call) -> None:
        """The customer's phone rings: they answer, or the call fails as dials do."""
        cause, direction, ring = dialer.customer_outcome(self.rng)
        if cause is None:
            self._at(self.now + ring, self._direct_answered, call)
        else:
            self._at(self.now + ring, self._direct_failed, (call, cause, direction))

    def _direct_failed(self, args: tuple[Call, int, int]) -> None:
        """A customer who rejects the call shows 1205 on the calling extension for a moment."""
        call, cause, _ = args
        if call.stage == STAGE_DIALLING and cause == CAUSE_REFUSED and call.ext is not None:
            call.ext.rejected_until = self.now + dialer.MISSED_SHOWN_SECONDS
        self._call_failed(args)

    def _direct_answered(self, call: Call) -> None:
        if call.stage != STAGE_DIALLING:
            return
        now = self.now
        call.stage = STAGE_TALKING
        call.answer_at = now
        rng = self.rng
        if call.ext is None:  # an IVR message plays, then the customer hangs up
            low, high = IVR_MESSAGE_SECONDS
            self._at(now + low + (high - low) * rng.random(), self._hung_up, (call, HANGUP_CALLEE))
            return
        call.connected_at = now
        self._ext_event(call, call.ext, "answer", bleg=True)  # the customer's side answers
        seconds, customer_hangs_up = dialer.talk(rng)
        direction = HANGUP_CALLEE if customer_hangs_up else HANGUP_CALLER
        self._at(now + seconds, self._hung_up, (call, direction))


__all__ = ["RING_TIMEOUT_SECONDS", "OtherCalls"]
