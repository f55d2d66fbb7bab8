"""How the people on a floor behave, in numbers: who rings, who answers, how long they talk.

Every draw takes the floor's one `random.Random` and always consumes the same number of
values for the same path, so a seed replays a run exactly. The shares are those of a typical
consumer outbound list: roughly a third of dials reach a person.
"""

from __future__ import annotations

import math
import random

from wallboard.sim.entities import (
    CAUSE_BUSY,
    CAUSE_LINE_FAILURE,
    CAUSE_REFUSED,
    CAUSE_TIMEOUT,
    HANGUP_CALLEE,
    HANGUP_CALLER,
    Member,
    Pool,
)

# Customer outcomes of a dial: (share, hangupcause, hangupdirection); None = answered.
ANSWER_SHARE = 0.38
FAILURES: tuple[tuple[float, int, int], ...] = (
    (0.30, CAUSE_TIMEOUT, HANGUP_CALLER),  # no answer: the dialler gives up
    (0.12, CAUSE_BUSY, HANGUP_CALLEE),
    (0.10, CAUSE_REFUSED, HANGUP_CALLEE),  # the customer rejects the call
    (0.10, CAUSE_LINE_FAILURE, HANGUP_CALLER),
)
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

AGENT_MISS_SHARE = 0.06  # offers an agent lets ring out
MISSED_SHOWN_SECONDS = 6.0  # how long a missed offer shows as 1212 and keeps the agent out
CUSTOMER_HANGS_UP_SHARE = 0.6
TALK_MEDIAN_SECONDS = 95.0
TALK_SIGMA = 0.85
TALK_BOUNDS = (8.0, 3600.0)

_LOG_RING = math.log(9.0)
_LOG_AGENT = math.log(3.0)
_LOG_TALK = math.log(TALK_MEDIAN_SECONDS)


def customer_outcome(rng: random.Random) -> tuple[int | None, int, float]:
    """(hangupcause or None when the customer answers, hangupdirection, seconds of ringing)."""
    r = rng.random()
    spread = rng.random()
    if r < ANSWER_SHARE:
        ring = min(40.0, max(2.0, math.exp(_LOG_RING + 0.45 * _normal(spread))))
        return None, HANGUP_CALLEE, ring
    r -= ANSWER_SHARE
    for share, cause, direction in FAILURES:
        if r < share:
            low, high = _FAILURE_SPANS[cause]
            return cause, direction, low + (high - low) * spread
        r -= share
    low, high = FAILURE_SECONDS
    return CAUSE_LINE_FAILURE, HANGUP_CALLER, low + (high - low) * spread


def agent_answer_delay(rng: random.Random) -> float | None:
    """Seconds until the agent picks up, or None when they let it ring out."""
    miss = rng.random()
    spread = rng.random()
    if miss < AGENT_MISS_SHARE:
        return None
    return min(60.0, max(1.0, math.exp(_LOG_AGENT + 0.5 * _normal(spread))))


def talk(rng: random.Random) -> tuple[float, bool]:
    """(talk seconds from a log-normal, whether the customer is the one who hangs up)."""
    seconds = rng.lognormvariate(_LOG_TALK, TALK_SIGMA)
    low, high = TALK_BOUNDS
    return min(high, max(low, seconds)), rng.random() < CUSTOMER_HANGS_UP_SHARE


def _normal(u: float) -> float:
    """A standard normal quantile of u in (0, 1) (cheap, good to a few percent): one uniform
    per draw keeps the number of values consumed fixed."""
    u = min(max(u, 1e-9), 1 - 1e-9)
    # Logistic approximation of the probit: sqrt(pi/8)-scaled logit.
    return math.log(u / (1.0 - u)) * 0.5513


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
