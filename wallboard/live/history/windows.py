"""The rules' windows, live: each campaign's abandon rate over the last 24 hours (the UK's
"any 24 hours") and the last 30 days (the US's), with the drops that still fit under 3%.

A window is whole quarters of an hour: the last 96 (24 h) or 2,880 (30 d) buckets, the
current one included, by the calls' start (the bill's `starttime`). Where the store began
later than the window's start, the figure is counted over what it holds (`counted_over`)
and says so on screen ("over 2 d 5 h").

Cheap enough to ask every poll cycle: the finished buckets' sums are read once per quarter
of an hour (one indexed query per window for every campaign), and again only when a fold
changed a finished bucket (a late bill); each cycle adds the current bucket's few rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from wallboard.live.bills import drop_budget
from wallboard.live.history.fold import BUCKET_SECONDS, CAMPAIGN, bucket_of
from wallboard.live.history.store import HistoryStore, Totals

HOURS_24 = 24 * 3600
DAYS_30 = 30 * 86400
WINDOWS = (HOURS_24, DAYS_30)


@dataclass(frozen=True, slots=True)
class WindowFigure:
    """One campaign's calls over one window."""

    span: int  # the window's length, seconds
    counted_over: int  # seconds of it that the store holds (== span when whole)
    totals: Totals = field(default_factory=Totals)

    @property
    def whole(self) -> bool:
        return self.counted_over >= self.span

    @property
    def rate(self) -> float | None:
        """abandoned / answered (the simple test: answered, no agent); None: none answered."""
        return self.totals.abandon_rate

    @property
    def strict_rate(self) -> float | None:
        """With the 2-second test; None unless every agent-answered call was timed."""
        return self.totals.strict_rate

    @property
    def budget(self) -> int | None:
        """More drops that fit under 3% of the calls answered in the window; None when
        nothing was answered (no data, which is not a budget of 0)."""
        if self.totals.answered <= 0:
            return None
        return drop_budget(self.totals.answered, self.totals.abandoned)


@dataclass(frozen=True, slots=True)
class CampaignWindows:
    day: WindowFigure  # the last 24 hours
    month: WindowFigure  # the last 30 days


def counted_text(seconds: int) -> str:
    """How long a short window is counted over, as a supervisor reads it: "5 h", "2 d 5 h"."""
    hours = max(0, seconds) // 3600
    if hours < 1:
        return f"{max(0, seconds) // 60} min"
    if hours < 48:
        return f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


class RuleWindows:
    """Per campaign, the 24-hour and 30-day figures from a history store, cached."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store
        self._closed_bucket: int | None = None  # the current bucket the cache is of
        self._closed: dict[int, dict[str, Totals]] = {}
        self._version = -1  # the store's version the cache is of
        self.queries = 0  # statements run for the finished buckets (for tests and benches)

    def campaigns(self, taskids: Iterable[str], now: float) -> dict[str, CampaignWindows]:
        """The figures of each campaign (by taskid) at server time `now`."""
        wanted = list(dict.fromkeys(taskids))
        if not wanted:
            return {}
        current = bucket_of(now)
        touched = self.store.oldest_touched_since(self._version)
        if self._closed_bucket != current or (touched is not None and touched < current):
            self._version = self.store.version
            self._closed = {
                span: self.store.totals(CAMPAIGN, current - span + BUCKET_SECONDS, current)
                for span in WINDOWS
            }
            self._closed_bucket = current
            self.queries += 1
        live = self.store.totals(CAMPAIGN, current, current + BUCKET_SECONDS, wanted)
        since = self.store.since()
        result: dict[str, CampaignWindows] = {}
        for taskid in wanted:
            figures = []
            for span in WINDOWS:
                start = current - span + BUCKET_SECONDS
                if since is None:
                    held = 0  # an empty store holds nothing of any window
                elif since <= start:
                    held = span
                else:
                    held = int(now - bucket_of(since))
                totals = _plus(self._closed[span].get(taskid), live.get(taskid))
                figures.append(WindowFigure(span, max(0, min(span, held)), totals))
            result[taskid] = CampaignWindows(figures[0], figures[1])
        return result


def _plus(a: Totals | None, b: Totals | None) -> Totals:
    if a is None:
        return b or Totals()
    if b is None:
        return a
    return Totals(
        a.dialled + b.dialled,
        a.answered + b.answered,
        a.agent_answered + b.agent_answered,
        a.abandoned + b.abandoned,
        a.timed + b.timed,
        a.late + b.late,
        a.talk_seconds + b.talk_seconds,
        a.wait_seconds + b.wait_seconds,
        a.paused_seconds + b.paused_seconds,
        a.idle_seconds + b.idle_seconds,
    )
