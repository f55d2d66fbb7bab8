"""A finished bill as increments of the 15-minute aggregates: pure, no database.

A bill names neither its campaign nor its queue (API-NOTES: GetBill has no taskid), so the
live model says which campaigns hold which numbers, which queue each campaign dials for and
which queue each agent sits in (`Attribution`). A call then counts:
- for the floor (key ""), always;
- for every tracked campaign that holds its number (as the campaigns pane counts it);
- for the queue its campaign dials for, else the queue of the agent who took it;
- for the agent (extension) who took it.

What is counted, per call (only outgoing predictive calls, as `bills.counts` says):
- dialled 1; answered when the customer answered; agent-answered when an extension took it;
  abandoned when answered and no extension did (`bills.was_dropped`);
- the 2-second test: when the moment the agent joined is known (polling's `callduration`
  or an extension event), the call is `timed`, and `late` when the agent joined more than
  `LATE_AFTER` seconds after the customer answered: the strict rate counts those as
  abandoned too;
- talk seconds: the agent's part of `billsec`; wait seconds: the customer's answered time
  with no agent (all of a dropped call's `billsec`, and the wait before the agent joined
  when known).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from wallboard.api.models import Bill
from wallboard.live.bills import agent_of, counts, was_answered, was_dropped
from wallboard.live.campaigns import phone_key

BUCKET_SECONDS = 900  # a quarter of an hour
LATE_AFTER = 2.0  # seconds: the rules' "connected to an agent within 2 seconds"

# What an aggregate row is of (the `kind` column: a small number, as rows are many).
FLOOR = 0
CAMPAIGN = 1
QUEUE = 2
AGENT = 3
KINDS = {"floor": FLOOR, "campaign": CAMPAIGN, "queue": QUEUE, "agent": AGENT}

#: The counted columns of `aggregates`, in this order in every increment.
COLUMNS = (
    "dialled",
    "answered",
    "agent_answered",
    "abandoned",
    "timed",
    "late",
    "talk_seconds",
    "wait_seconds",
)

#: (kind, key, bucket)
AggregateKey = tuple[int, str, int]


def bucket_of(moment: float) -> int:
    """The first second of the quarter of an hour holding `moment` (unix seconds).

    Every zone in use is a whole number of quarters of an hour from UTC, so these are the
    quarters of the server's local day too."""
    second = int(moment // 1)
    return second - second % BUCKET_SECONDS


_MINUTES: dict[tuple[str, dt.tzinfo | None], float] = {}
_MINUTES_KEPT = 50_000  # minutes remembered (a month of minutes, for a few zones)


def parse_server_time(text: str, tz: dt.tzinfo | None) -> float | None:
    """Server text `yyyy-mm-dd hh:mm:ss` in the profile's zone as unix seconds; None when it
    is empty or unreadable (a never-answered call's answertime).

    Each minute is read once (`strptime` costs some 10 µs, three times a bill): the
    seconds are added to the minute's start, which keeps the zone's changes of clock."""
    text = text.strip()
    if len(text) != 19 or text.startswith("0000"):
        return None
    seconds = text[17:]
    if not seconds.isdigit():
        return None
    minute = (text[:16], tz)
    start = _MINUTES.get(minute)
    if start is None:
        try:
            start = dt.datetime.strptime(text[:16], "%Y-%m-%d %H:%M").replace(tzinfo=tz).timestamp()
        except ValueError:
            return None
        if len(_MINUTES) >= _MINUTES_KEPT:
            _MINUTES.clear()
        _MINUTES[minute] = start
    return start + int(seconds)


class Attribution:
    """Who a bill belongs to besides the floor: campaigns by number, queues by campaign or
    agent. Built by the live model from its tracked campaigns and its last snapshot."""

    __slots__ = ("_by_number", "agent_queue", "campaign_queue")

    def __init__(
        self,
        campaigns: Mapping[str, Iterable[str]] | None = None,
        campaign_queue: Mapping[str, str] | None = None,
        agent_queue: Mapping[str, str] | None = None,
    ) -> None:
        by_number: dict[str, list[str]] = {}
        for taskid, numbers in (campaigns or {}).items():
            for number in numbers:
                by_number.setdefault(phone_key(number), []).append(taskid)
        self._by_number = {number: tuple(sorted(ids)) for number, ids in by_number.items()}
        self.campaign_queue: Mapping[str, str] = campaign_queue or {}
        self.agent_queue: Mapping[str, str] = agent_queue or {}

    def campaigns_of(self, number: str) -> tuple[str, ...]:
        """The tracked campaigns holding a number (`phone_key`)."""
        return self._by_number.get(number, ())

    def queue_of(self, taskids: Iterable[str], extnumber: str) -> str:
        """The queue a call belongs to: its campaign's, else its agent's; "" when neither."""
        for taskid in taskids:
            queue = self.campaign_queue.get(taskid, "")
            if queue:
                return queue
        return self.agent_queue.get(extnumber, "") if extnumber else ""


@dataclass(slots=True)
class Increments:
    """What a batch of bills adds, per (kind, key, bucket)."""

    rows: dict[AggregateKey, list[int]] = field(default_factory=dict)

    def add(self, key: AggregateKey, values: tuple[int, ...]) -> None:
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = list(values)
        else:
            for i, value in enumerate(values):
                row[i] += value


@dataclass(frozen=True, slots=True)
class FoldedCall:
    """One bill, read: its time, who it belongs to and its counted values (`COLUMNS`)."""

    started: float
    number: str
    extnumber: str
    values: tuple[int, ...]


def read_call(
    bill: Bill, tz: dt.tzinfo | None, connected: float | None = None
) -> FoldedCall | None:
    """A bill's counted values; None when it does not count (not an outgoing predictive
    call) or has no readable start. `connected`: when the agent joined, if known."""
    if not counts(bill):
        return None
    started = parse_server_time(bill.starttime, tz)
    if started is None:
        return None
    answered = was_answered(bill)
    dropped = was_dropped(bill)
    extnumber = agent_of(bill)
    took = answered and bool(extnumber)
    billsec = max(0, int(bill.billsec))
    talk = billsec if took else 0
    wait = billsec if dropped else 0
    timed = late = 0
    if took and connected is not None:
        answer = parse_server_time(bill.answertime, tz)
        if answer is not None:
            delay = max(0.0, connected - answer)
            timed = 1
            late = int(delay > LATE_AFTER)
            waited = min(talk, round(delay))
            wait += waited
            talk -= waited
    return FoldedCall(
        started,
        phone_key(bill.destnumber),
        extnumber,
        (1, int(answered), int(took), int(dropped), timed, late, talk, wait),
    )


def add_call(
    increments: Increments, call: FoldedCall, attribution: Attribution, *, campaigns: bool = True
) -> None:
    """Add one call to the floor, its campaigns, its queue and its agent. `campaigns`
    False: not to its campaigns (the store adds those per campaign, `add_to_campaign`, as
    a campaign may be tracked only after the call was first read)."""
    bucket = bucket_of(call.started)
    values = call.values
    increments.add((FLOOR, "", bucket), values)
    taskids = attribution.campaigns_of(call.number)
    if campaigns:
        for taskid in taskids:
            increments.add((CAMPAIGN, taskid, bucket), values)
    queue = attribution.queue_of(taskids, call.extnumber)
    if queue:
        increments.add((QUEUE, queue, bucket), values)
    if call.extnumber:
        increments.add((AGENT, call.extnumber, bucket), values)


def add_to_campaign(increments: Increments, call: FoldedCall, taskid: str) -> None:
    """Add one call to one campaign."""
    increments.add((CAMPAIGN, taskid, bucket_of(call.started)), call.values)


#: The first day of `bill_key`'s day field (2020-01-01): 15 bits reach 2109.
KEY_EPOCH_DAY = 18262
DAY_SHIFT = 48
_HASHED = 1 << 47  # the flag of a key made from a digest (a bill without an id)
_ID_BITS = 40  # bill ids below 2^40 are kept whole in the key
_SOURCE_BITS = 7


def key_day(started: float) -> int:
    """The day field of the keys of bills started at `started` (unix seconds)."""
    return max(0, min(0x7FFF, int(started // 86400) - KEY_EPOCH_DAY))


def _digest(text: str, bits: int) -> int:
    value = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    return value >> (64 - bits)


def bill_key(bill: Bill, started: float, source: str = "") -> int:
    """What identifies a bill in the store, a positive 63-bit number:
    - the UTC day it started (15 bits on top): the keys of the days past the bill window
      are one range, dropped without an index;
    - then, for a bill with an id (every GetBill row): 7 bits of a digest of the account it
      came from and the id itself (40 bits): exact, and increasing as the server's ids do,
      so that keys are added in order. Two accounts in one store share those 7 bits once
      in 128; their bills then collide only on the same id the same day;
    - for a bill without an id: a flag and a 47-bit digest of its times and numbers (two
      such bills of one day share a key about once in 10^4 days on a large floor).
    """
    day = key_day(started) << DAY_SHIFT
    if bill.id is not None and 0 <= bill.id < 1 << _ID_BITS:
        return day | _digest(source, _SOURCE_BITS) << _ID_BITS | bill.id
    text = f"{source}|{bill.id}|{bill.starttime}|{bill.endtime}|{bill.destnumber}|{bill.extnumber}"
    return day | _HASHED | _digest(text, 47)


__all__ = [
    "AGENT",
    "BUCKET_SECONDS",
    "CAMPAIGN",
    "COLUMNS",
    "DAY_SHIFT",
    "FLOOR",
    "KINDS",
    "LATE_AFTER",
    "QUEUE",
    "AggregateKey",
    "Attribution",
    "FoldedCall",
    "Increments",
    "add_call",
    "add_to_campaign",
    "bill_key",
    "bucket_of",
    "key_day",
    "parse_server_time",
    "read_call",
]
