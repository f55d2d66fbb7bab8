"""Figures of a range of call records, folded page by page: per agent or per campaign, and
the abandoned calls to call back.

Both are running tallies: a record is added and dropped, so a range of 100,000 calls costs
a row per agent (or campaign), and for the call-back list one entry per number the range
dropped (plus the last time each number reached an agent, to tell who was called back).

Per agent or campaign (`Summary`):
- calls: every call of the range;
- answered: the customer answered (an agent took it, or no agent did: dropped);
- handled: an agent took the call;
- talk: seconds agents talked (the bills' billsec of the calls an agent took);
- average handle time: talk per call handled. The bills hold no wrap-up or hold time, so
  the handle time here is the talk time;
- dropped: answered and no agent took it (abandoned, API-NOTES decision 9). A dropped call
  has no agent, so by agent the drops are all on the "no agent" row.

A campaign's calls are the outgoing predictive calls of its numbers (API-NOTES decision 14,
as the floor's campaign figures count them: `CallRow.campaign_call`); a number in two
tracked campaigns counts in both. Every other call (of no tracked campaign, or to a
campaign's number by hand, by the API or coming in) is on one row of its own.

The abandoned-calls list (`CallBackList`): numbers whose call the customer answered and no
agent took, newest drop first, one entry per number, with how many times it was dropped.
A number leaves the list when a later call to it in the range reached an agent: it has been
called back.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from wallboard.live.campaigns import TrackedTask, phone_key
from wallboard.live.records import CallRow, Outcome

#: The row of calls that no agent took (drops, unanswered calls), in the agent summary.
NO_AGENT = "(no agent)"
#: The row of calls of no tracked campaign (not its predictive calls), in the campaign summary.
NO_CAMPAIGN = "(no tracked campaign)"


class SummaryBy(enum.Enum):
    """What a summary's rows are."""

    AGENT = "agent"
    CAMPAIGN = "campaign"


@dataclass(slots=True)
class Summary:
    """The figures of one agent or campaign over the range."""

    key: str
    label: str
    calls: int = 0
    answered: int = 0
    handled: int = 0
    talk: int = 0  # seconds
    dropped: int = 0
    can_drop: bool = True  # False for an agent: a call an agent took is never dropped

    @property
    def handle_time(self) -> float | None:
        """Average handle time in seconds (talk per call handled); None when none was."""
        return self.talk / self.handled if self.handled else None

    @property
    def abandon_rate(self) -> float | None:
        """Dropped over answered; None when nothing was answered (no rate, not 0%), and for an
        agent, whose calls are never dropped (the drops are all on the "no agent" row)."""
        if not self.can_drop or not self.answered:
            return None
        return self.dropped / self.answered

    def add(self, row: CallRow) -> None:
        self.calls += 1
        if row.outcome is Outcome.UNANSWERED:
            return
        self.answered += 1
        if row.dropped:
            self.dropped += 1
        elif row.agent:
            self.handled += 1
            self.talk += row.talk


class Summaries:
    """Per-agent or per-campaign figures, folded from records as they are read."""

    def __init__(
        self,
        by: SummaryBy,
        *,
        campaigns: Iterable[TrackedTask] = (),
        names: Callable[[str], str] | None = None,
    ) -> None:
        self.by = by
        self._rows: dict[str, Summary] = {}
        self._total = Summary("", "all calls")
        self._names = names
        self._labels: dict[str, str] = {}
        self._owners: dict[str, tuple[str, ...]] = {}
        if by is SummaryBy.CAMPAIGN:
            owners: dict[str, list[str]] = {}
            for task in campaigns:
                self._labels[task.taskid] = task.label
                for key in {phone_key(n) for n in task.numbers} - {""}:
                    owners.setdefault(key, []).append(task.taskid)
            self._owners = {key: tuple(ids) for key, ids in owners.items()}

    def add(self, row: CallRow) -> None:
        self._total.add(row)
        if self.by is SummaryBy.AGENT:
            self._row(row.agent).add(row)
            return
        owners = self._owners.get(row.number_key, ("",)) if row.campaign_call else ("",)
        for taskid in owners:
            self._row(taskid).add(row)

    def add_all(self, rows: Iterable[CallRow]) -> None:
        for row in rows:
            self.add(row)

    def _row(self, key: str) -> Summary:
        found = self._rows.get(key)
        if found is None:
            can_drop = self.by is SummaryBy.CAMPAIGN or not key
            found = self._rows[key] = Summary(key, self._label(key), can_drop=can_drop)
        return found

    def _label(self, key: str) -> str:
        if self.by is SummaryBy.AGENT:
            if not key:
                return NO_AGENT
            name = self._names(key) if self._names is not None else ""
            return f"{key} {name}" if name else key
        if not key:
            return NO_CAMPAIGN
        label = self._labels.get(key, key)
        return label if label == key else f"{label} ({key})"

    @property
    def total(self) -> Summary:
        """Every call of the range (a call of two campaigns counts once here)."""
        return self._total

    def rows(self) -> list[Summary]:
        """The rows, busiest first; the "no agent" / "no campaign" row last."""
        named = sorted(
            (row for row in self._rows.values() if row.key),
            key=lambda row: (-row.calls, row.key),
        )
        rest = [row for row in self._rows.values() if not row.key]
        return named + rest


@dataclass(frozen=True, slots=True)
class AbandonedCall:
    """A number to call back: its last dropped call, and how many of its calls were."""

    number: str  # as the bill wrote it
    dropped_at: str  # the last drop's dial time, server text
    drops: int
    bill_id: str  # the last drop's bill
    caller_id: str  # the number the customer saw on that call


class CallBackList:
    """The abandoned calls of a range, one per number, folded from records in any order."""

    __slots__ = ("_drops", "_reached")

    def __init__(self) -> None:
        self._drops: dict[str, AbandonedCall] = {}
        self._reached: dict[str, str] = {}  # number -> the last dial time an agent took

    def add(self, row: CallRow) -> None:
        key = row.number_key or row.destination
        if not key:
            return
        if row.dropped:
            old = self._drops.get(key)
            if old is None or row.started >= old.dropped_at:
                drops = 1 if old is None else old.drops + 1
                self._drops[key] = AbandonedCall(
                    row.destination, row.started, drops, row.id, row.caller_id
                )
            else:
                self._drops[key] = AbandonedCall(
                    old.number, old.dropped_at, old.drops + 1, old.bill_id, old.caller_id
                )
        elif row.agent and row.started > self._reached.get(key, ""):
            self._reached[key] = row.started

    def add_all(self, rows: Iterable[CallRow]) -> None:
        for row in rows:
            self.add(row)

    def calls(self) -> list[AbandonedCall]:
        """Numbers still to call back, newest drop first."""
        waiting = [
            call
            for key, call in self._drops.items()
            if self._reached.get(key, "") <= call.dropped_at
        ]
        waiting.sort(key=_newest, reverse=True)
        return waiting

    def __len__(self) -> int:
        return len(self.calls())


def _newest(call: AbandonedCall) -> tuple[str, int]:
    return call.dropped_at, int(call.bill_id) if call.bill_id.isdigit() else 0


__all__ = [
    "NO_AGENT",
    "NO_CAMPAIGN",
    "AbandonedCall",
    "CallBackList",
    "Summaries",
    "Summary",
    "SummaryBy",
]
