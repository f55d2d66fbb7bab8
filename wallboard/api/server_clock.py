"""The server's clock, as an offset from the host's: the server's time is the truth.

Every answer's envelope stamps `reqtime` and `rsptime` (unix seconds, whole seconds) on
the server's clock. "Today", bill windows and times in state are counted on that clock,
never on the host's, which may be set wrong or kept in another zone (API-NOTES 10).

A stamp of whole seconds read on arrival gives the offset only to within a second, and the
naive estimate (`rsptime - time.time()`) wobbles between two values a second apart as the
two clocks' fractions of a second slide past each other. So each answer is read as what it
proves, an interval: the server stamped `rsptime` after the request left and before the
answer arrived, and its clock then read somewhere in `[rsptime, rsptime + 1)`. Hence

    rsptime - received  <=  offset  <  reqtime + 1 - sent

and the offset lies in the intersection of every answer's interval. The intersection only
narrows, so the estimate (its middle) settles instead of wobbling; its bounds loosen by
`drift` (a share of the time elapsed) between answers so that two clocks that run at
slightly different rates never make the intersection empty. An answer that contradicts
what is known (the intersection would be empty) means a clock was set: the estimate starts
again from that answer.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

log = logging.getLogger("wallboard.api")

#: How far two free-running clocks may drift apart, as a share of elapsed time (100 ppm:
#: 8.6 s a day; a quartz clock without time sync keeps well within 50 ppm).
DRIFT = 1e-4
#: Stamps below this are not unix seconds of this century (a 0 or a stray field).
_EARLIEST = 946_684_800.0  # 2000-01-01
_LATEST = 32_503_680_000.0  # 3000-01-01


def stamp(value: object) -> float | None:
    """A `reqtime`/`rsptime` as unix seconds, or None when it is not one (a sloppy server may
    send it as text; a bool, a float NaN or a date far away are no stamp)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number) or not _EARLIEST <= number <= _LATEST:
        return None
    return number


class ServerClock:
    """The offset from the host's clock to the server's, estimated from answers' stamps.

    `offset` is None until an answer with a stamp has been seen; then server time =
    host time + offset. Times given to `observe` are the host's (`time.time()`).
    """

    __slots__ = ("_at", "_drift", "_high", "_low")

    def __init__(self, *, drift: float = DRIFT) -> None:
        if not 0 <= drift < 1:
            raise ValueError("drift is a share of elapsed time, from 0 to below 1")
        self._drift = drift
        self._low = -math.inf
        self._high = math.inf
        self._at: float | None = None

    @property
    def offset(self) -> float | None:
        """Seconds to add to the host's time to get the server's; None before any stamp."""
        if self._at is None:
            return None
        return (self._low + self._high) / 2

    def observe_envelope(self, data: Mapping[str, object], sent: float, received: float) -> None:
        """Take the stamps of an answer's `data` (sent and received on the host's clock)."""
        responded = stamp(data.get("rsptime"))
        requested = stamp(data.get("reqtime"))
        if responded is None:
            return
        self.observe(sent, received, responded, requested)

    def observe(
        self, sent: float, received: float, rsptime: float, reqtime: float | None = None
    ) -> None:
        """One answer: sent and received on the host's clock, stamped on the server's."""
        if received < sent:  # the host's clock was set back mid-call: nothing is proven
            return
        # Whole-second stamps are read as [stamp, stamp + 1); finer ones as they are.
        whole = float(rsptime).is_integer() and (reqtime is None or float(reqtime).is_integer())
        resolution = 1.0 if whole else 0.0
        earliest = reqtime if reqtime is not None and reqtime <= rsptime else rsptime
        low = rsptime - received
        high = earliest + resolution - sent
        if self._at is None:
            self._low, self._high, self._at = low, high, received
            return
        slack = self._drift * max(0.0, received - self._at)
        known_low, known_high = self._low - slack, self._high + slack
        self._at = received
        if low > known_high or high < known_low:
            before = self.offset
            self._low, self._high = low, high
            log.debug(
                "the server's clock moved against the host's: offset %+.1f s (was %+.1f s)",
                (low + high) / 2,
                before if before is not None else 0.0,
            )
            return
        self._low, self._high = max(known_low, low), min(known_high, high)


__all__ = ["DRIFT", "ServerClock", "stamp"]
