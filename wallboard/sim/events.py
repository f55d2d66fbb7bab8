"""What a floor tells its listeners (callbacks), and the running counts it keeps.

The server subscribes to the floor and turns each `FloorEvent` into the documented callback;
tests and benchmarks read `FloorStats`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wallboard.sim.bills import Bill

#: The kinds of `FloorEvent`.
EVENT_KINDS = ("ext", "bill", "task")


class FloorEvent:
    """Something a callback receiver is told about.

    kind "ext": an extension's call state (payload: the documented extension callback, status
    ring / answer / hangup); "bill": a finished call (payload: the documented bill callback,
    `bill` the record); "task": a task is over (payload {"taskid", "companycode", "status": 3}).

    The payload is built on first read, from values fixed when the event happened: hashing
    uuids for every event cost a listener that only counts events most of the run's time.
    """

    __slots__ = ("_build", "_payload", "bill", "kind")

    def __init__(
        self,
        kind: str,
        payload: dict[str, Any] | Callable[[], dict[str, Any]],
        bill: Bill | None = None,
    ) -> None:
        self.kind = kind
        self.bill = bill
        self._payload: dict[str, Any] | None = None if callable(payload) else payload
        self._build = payload if callable(payload) else None

    @property
    def payload(self) -> dict[str, Any]:
        payload = self._payload
        if payload is None:
            assert self._build is not None
            payload = self._payload = self._build()
            self._build = None
        return payload

    def __repr__(self) -> str:
        return f"FloorEvent({self.kind!r}, bill={self.bill!r})"


@dataclass(slots=True)
class FloorStats:
    """Running counts, for tests and benchmarks. The first group counts predictive calls
    only: dialled = answered + busy + no_answer + refused + failed once they are over, and
    answered = connected + abandoned (dropped by the queue + gave up on their own)."""

    dialled: int = 0
    answered: int = 0  # the customer answered (whether or not an agent took the call)
    busy: int = 0
    no_answer: int = 0
    refused: int = 0
    failed: int = 0
    connected: int = 0  # answered calls an agent took
    abandoned: int = 0  # answered calls no agent took: dropped or hung up while waiting
    gave_up: int = 0  # of the abandoned: the customer hung up before discardtime
    offers: int = 0  # times an agent's phone was rung with a queue call (any direction)
    missed_offers: int = 0  # offers the agent let ring out past ringdelay (1212)
    rejected_offers: int = 0  # offers the agent rejected (1216)
    manual_calls: int = 0
    inbound: int = 0  # calls that rang into a queue
    inbound_connected: int = 0
    inbound_abandoned: int = 0
    other_calls: int = 0  # extension-to-extension, API and IVR calls placed
    events: int = 0  # timed events processed


__all__ = ["EVENT_KINDS", "FloorEvent", "FloorStats"]
