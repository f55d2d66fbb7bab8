"""What polling sees that the bills do not: when an agent joined a call, and the seconds
agents spent paused or idle.

- `ConnectTimes`: a talking agent's `since` is the server's `callduration` counted back
  (`live.build`), the moment the agent joined the customer. Kept per customer number for a
  while (`KEEP_SECONDS`), so that the call's bill, read a little later, can be given it:
  that is the 2-second test's other half. An extension event (the agent leg's "answer")
  gives the same moment through `note`.
- `SeenSeconds`: the time between two fresh snapshots is counted to each agent's state in
  the first of them, per agent, per queue and for the floor (an agent in two queues counts
  once for itself and the floor). A gap longer than `MAX_GAP` (the server unreadable, the
  dashboard stopped) is not counted: unseen time is not idle time.
"""

from __future__ import annotations

from collections.abc import Iterator

from wallboard.live.campaigns import phone_key
from wallboard.live.history.fold import AGENT, FLOOR, QUEUE, AggregateKey, bucket_of
from wallboard.live.snapshot import AgentState, FloorSnapshot

KEEP_SECONDS = 2 * 3600.0  # a call's bill is read well within this after it ended
MAX_GAP = 120.0  # seconds between two snapshots beyond which the time is not counted
MAX_NUMBERS = 100_000  # a bound on the numbers remembered, whatever the floor


class ConnectTimes:
    """When agents joined calls, by customer number (`phone_key`), for a couple of hours."""

    __slots__ = ("_by_number",)

    def __init__(self) -> None:
        self._by_number: dict[str, list[float]] = {}

    def note(self, number: str, connected: float) -> None:
        """An agent joined a call to `number` at `connected` (server unix seconds)."""
        key = phone_key(number)
        if not key:
            return
        times = self._by_number.get(key)
        if times is None:
            if len(self._by_number) >= MAX_NUMBERS:
                self._by_number.pop(next(iter(self._by_number)))
            self._by_number[key] = [connected]
        elif all(abs(connected - known) > 1.5 for known in times):
            times.append(connected)
        else:  # the same call polled again: keep the earliest reading (callduration rounds)
            times[:] = [
                min(known, connected) if abs(connected - known) <= 1.5 else known for known in times
            ]

    def connected(self, number: str, answered: float, ended: float) -> float | None:
        """When an agent joined the call to `number` the customer answered at `answered`
        and that ended at `ended`; None when polling never saw it talking."""
        times = self._by_number.get(number)
        if not times:
            return None
        inside = [t for t in times if answered - 1.5 <= t <= ended + 1.0]
        return min(inside) if inside else None

    def forget_before(self, moment: float) -> None:
        for number in list(self._by_number):
            times = [t for t in self._by_number[number] if t >= moment]
            if times:
                self._by_number[number] = times
            else:
                del self._by_number[number]

    def observe(self, snapshot: FloorSnapshot) -> None:
        """Take every talking agent whose start the server gave (`callduration`)."""
        for queue in snapshot.queues:
            for agent in queue.agents:
                if agent.state is AgentState.TALKING and not agent.at_least and agent.number:
                    self.note(agent.number, agent.since)

    def __len__(self) -> int:
        return len(self._by_number)


class SeenSeconds:
    """Paused and idle seconds seen by polling, per (kind, key, bucket), until written."""

    __slots__ = ("_last", "pending")

    def __init__(self) -> None:
        self._last: FloorSnapshot | None = None
        self.pending: dict[AggregateKey, list[float]] = {}

    def observe(self, snapshot: FloorSnapshot) -> None:
        """Count the time since the last fresh snapshot to the states it showed."""
        if snapshot.stale:
            return
        last = self._last
        self._last = snapshot
        if last is None:
            return
        gap = snapshot.taken_at - last.taken_at
        if not 0.0 < gap <= MAX_GAP:
            return
        bucket = bucket_of(last.taken_at + gap / 2.0)
        floor = [0.0, 0.0]
        people: dict[str, int] = {}
        for queue in last.queues:
            for agent in queue.agents:
                column = _column(agent.state)
                if column is None:
                    continue
                self._add((QUEUE, queue.name, bucket), column, gap)
                if agent.extnumber not in people:
                    people[agent.extnumber] = column
        for extnumber, column in people.items():
            self._add((AGENT, extnumber, bucket), column, gap)
            floor[column] += gap
        if any(floor):
            self._add((FLOOR, "", bucket), 0, floor[0])
            self._add((FLOOR, "", bucket), 1, floor[1])

    def _add(self, key: AggregateKey, column: int, seconds: float) -> None:
        row = self.pending.get(key)
        if row is None:
            row = self.pending[key] = [0.0, 0.0]
        row[column] += seconds

    def take(self) -> Iterator[tuple[AggregateKey, list[float]]]:
        """The seconds counted since the last take (then forgotten)."""
        pending, self.pending = self.pending, {}
        yield from pending.items()


def _column(state: AgentState) -> int | None:
    """0 for paused, 1 for idle (ready, waiting for a call), None for any other state."""
    if state is AgentState.PAUSED:
        return 0
    if state is AgentState.IDLE:
        return 1
    return None
