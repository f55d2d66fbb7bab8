"""How the people on a floor behave, in numbers: who rings, who answers, how long they talk,
how long a customer waits for an agent, and what the dialler expects of all that.

Every draw takes the floor's one `random.Random` and always consumes the same number of
values for the same path, so a seed replays a run exactly. The shares are those of a typical
consumer outbound list: roughly a third of dials reach a person (a task may say otherwise).
"""

from __future__ import annotations

import math
import random

from wallboard.sim.entities import (
    CAUSE_BUSY,
    CAUSE_LINE_FAILURE,
    CAUSE_REFUSED,
    CAUSE_TIMEOUT,
    DEFAULT_ANSWER_SHARE,
    HANGUP_CALLEE,
    HANGUP_CALLER,
    Member,
    Pool,
)

# Customer outcomes of a dial: (share, hangupcause, hangupdirection); None = answered.
ANSWER_SHARE = DEFAULT_ANSWER_SHARE
FAILURES: tuple[tuple[float, int, int], ...] = (
    (0.30, CAUSE_TIMEOUT, HANGUP_CALLER),  # no answer: the dialler gives up
    (0.12, CAUSE_BUSY, HANGUP_CALLEE),
    (0.10, CAUSE_REFUSED, HANGUP_CALLEE),  # the customer rejects the call
    (0.10, CAUSE_LINE_FAILURE, HANGUP_CALLER),
)
_FAILURE_TOTAL = sum(share for share, _, _ in FAILURES)
NO_ANSWER_SECONDS = (30.0, 45.0)
BUSY_SECONDS = (2.0, 6.0)
REFUSED_SECONDS = (4.0, 15.0)
FAILURE_SECONDS = (0.5, 3.0)
_FAILURE_SPANS = {
    CAUSE_TIMEOUT: NO_ANSWER_SECONDS,
    CAUSE_BUSY: BUSY_SECONDS,
    CAUSE_REFUSED: REFUSED_SECONDS,
    CAUSE_LINE_FAILURE: FAILURE_SECONDS,
}
RING_MEDIAN_SECONDS = 9.0  # until an answering customer picks up

AGENT_MISS_SHARE = 0.05  # offers an agent lets ring out (1212)
AGENT_REJECT_SHARE = 0.02  # offers an agent rejects (1216; the extension shows 1205)
REJECT_SECONDS = (1.5, 5.0)  # how long the phone rings before the agent rejects it
MISSED_SHOWN_SECONDS = 6.0  # how long a missed or rejected offer shows and keeps the agent out
CUSTOMER_HANGS_UP_SHARE = 0.6
TALK_MEDIAN_SECONDS = 95.0
TALK_SIGMA = 0.85
TALK_BOUNDS = (8.0, 3600.0)

# A customer who answers a predictive call hears the queue's announcement and waits a while;
# one who rang in is readier to wait. Log-normal, per customer; the queue's discardtime
# usually ends the wait first.
PATIENCE_MEDIAN_SECONDS = 60.0
PATIENCE_SIGMA = 0.7
INBOUND_PATIENCE_MEDIAN_SECONDS = 90.0
PATIENCE_BOUNDS = (2.0, 3600.0)

#: How far ahead the dialler looks for agents about to free up. Half the median ring of an
#: answering customer: a cautious dialler (looking a whole ring ahead, the default floor
#: dropped 8-14% of its answered calls; see benchmarks/bench_dialer.py).
LOOKAHEAD_SECONDS = 5.0
#: How often a pool with running tasks re-paces when nothing else happens.
PACING_TICK_SECONDS = 1.0

_LOG_RING = math.log(RING_MEDIAN_SECONDS)
_LOG_AGENT = math.log(3.0)
_LOG_TALK = math.log(TALK_MEDIAN_SECONDS)
_LOG_PATIENCE = math.log(PATIENCE_MEDIAN_SECONDS)
_LOG_INBOUND_PATIENCE = math.log(INBOUND_PATIENCE_MEDIAN_SECONDS)


def customer_outcome(
    rng: random.Random, answer_share: float = ANSWER_SHARE
) -> tuple[int | None, int, float]:
    """(hangupcause or None when the customer answers, hangupdirection, seconds of ringing).
    The failures share what the answers leave in their usual proportions."""
    r = rng.random()
    spread = rng.random()
    if r < answer_share:
        ring = min(40.0, max(2.0, math.exp(_LOG_RING + 0.45 * _normal(spread))))
        return None, HANGUP_CALLEE, ring
    r = (r - answer_share) / max(1e-9, 1.0 - answer_share) * _FAILURE_TOTAL
    for share, cause, direction in FAILURES:
        if r < share:
            low, high = _FAILURE_SPANS[cause]
            return cause, direction, low + (high - low) * spread
        r -= share
    low, high = FAILURE_SECONDS
    return CAUSE_LINE_FAILURE, HANGUP_CALLER, low + (high - low) * spread


#: What an agent does with an offered call.
ANSWERS, LETS_RING, REJECTS = "answers", "lets it ring", "rejects"


def agent_response(rng: random.Random) -> tuple[str, float]:
    """(what the agent does, after how many seconds). A ring-out's seconds are meaningless:
    the queue's ringdelay ends it."""
    choice = rng.random()
    spread = rng.random()
    if choice < AGENT_MISS_SHARE:
        return LETS_RING, math.inf
    if choice < AGENT_MISS_SHARE + AGENT_REJECT_SHARE:
        low, high = REJECT_SECONDS
        return REJECTS, low + (high - low) * spread
    return ANSWERS, min(60.0, max(1.0, math.exp(_LOG_AGENT + 0.5 * _normal(spread))))


def talk(rng: random.Random) -> tuple[float, bool]:
    """(talk seconds from a log-normal, whether the customer is the one who hangs up)."""
    seconds = rng.lognormvariate(_LOG_TALK, TALK_SIGMA)
    low, high = TALK_BOUNDS
    return min(high, max(low, seconds)), rng.random() < CUSTOMER_HANGS_UP_SHARE


def patience(rng: random.Random, *, inbound: bool = False) -> float:
    """How long this customer waits for an agent before hanging up on their own."""
    median = _LOG_INBOUND_PATIENCE if inbound else _LOG_PATIENCE
    low, high = PATIENCE_BOUNDS
    return min(high, max(low, math.exp(median + PATIENCE_SIGMA * _normal(rng.random()))))


def _normal(u: float) -> float:
    """A standard normal quantile of u in (0, 1) (cheap, good to a few percent): one uniform
    per draw keeps the number of values consumed fixed."""
    u = min(max(u, 1e-9), 1 - 1e-9)
    # Logistic approximation of the probit: sqrt(pi/8)-scaled logit.
    return math.log(u / (1.0 - u)) * 0.5513


def _talk_cdf(seconds: float) -> float:
    """P(talk <= seconds) for the bounded log-normal `talk` draws from."""
    low, high = TALK_BOUNDS
    if seconds < low:
        return 0.0
    if seconds >= high:
        return 1.0
    z = (math.log(seconds) - _LOG_TALK) / TALK_SIGMA
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _ending_soon_table() -> tuple[float, ...]:
    """P(a call that has lasted e seconds ends within LOOKAHEAD_SECONDS), e = 0, 1, ... up to
    the longest call: what the dialler knows of talk times, not when this call will end."""
    table = []
    for e in range(int(TALK_BOUNDS[1]) + 1):
        survived = 1.0 - _talk_cdf(e)
        ends = _talk_cdf(e + LOOKAHEAD_SECONDS) - _talk_cdf(e)
        table.append(1.0 if survived <= 1e-12 else min(1.0, ends / survived))
    return tuple(table)


ENDING_SOON = _ending_soon_table()
_LAST = len(ENDING_SOON) - 1


def agents_freeing(pool: Pool, now: float) -> float:
    """How many agents of `pool` the dialler expects free within LOOKAHEAD_SECONDS: those in
    wrap-up that ends by then, plus, for each talking one, the chance the call has ended by
    then given how long it has lasted. Paused agents will not come back: they count 0.
    The talkers' share is worked out again when a second has passed or one came or went."""
    horizon = now + LOOKAHEAD_SECONDS
    expected = 0.0
    wrapping = pool.wrapping
    if wrapping:
        done = []
        for extnumber, (m, ready_at) in wrapping.items():
            if ready_at <= now or m.ext.call is not None:
                done.append(extnumber)
            elif ready_at <= horizon and not m.paused:
                expected += 1.0
        for extnumber in done:
            del wrapping[extnumber]
    talking = pool.talking
    key = (int(now), len(talking))
    if pool.freeing_key != key:  # worked out at most once a second while nobody comes or goes
        table = ENDING_SOON
        soon = 0.0
        for m, connected_at in talking.values():
            if not m.paused:
                e = int(now - connected_at)
                soon += table[e if e < _LAST else _LAST]
        pool.freeing_key = key
        pool.freeing_talk = soon
    return expected + pool.freeing_talk


def choose_agents(pool: Pool, rng: random.Random) -> list[Member]:
    """The member(s) to ring for the next waiting call, by the pool's strategy (1-8).

    1 longest idle, 2 shortest total talk time, 3 all at once, 4 round robin (the next after
    the last one rung, in check-in order), 5 sequential (first in check-in order), 6 random,
    7 fewest answered, 8 priority (lowest first, then longest idle). `pool.idle` is not empty.
    """
    free = pool.idle.values()
    strategy = pool.strategy
    if strategy == 3:
        return list(free)
    if strategy == 2:
        chosen = min(free, key=lambda m: (m.ext.talk_seconds, m.joined))
    elif strategy == 4:
        after = [m for m in free if m.joined > pool.rr_last]
        chosen = min(after or free, key=lambda m: m.joined)
        pool.rr_last = chosen.joined
    elif strategy == 5:
        chosen = min(free, key=lambda m: m.joined)
    elif strategy == 6:
        candidates = list(free)
        chosen = candidates[int(rng.random() * len(candidates))]
    elif strategy == 7:
        chosen = min(free, key=lambda m: (m.callsanswered, m.joined))
    elif strategy == 8:
        chosen = min(free, key=lambda m: (m.priority, m.ext.idle_since, m.joined))
    else:
        chosen = min(free, key=lambda m: (m.ext.idle_since, m.joined))
    return [chosen]
