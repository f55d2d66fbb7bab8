"""The rules' windows in a supervisor's words, for the campaigns pane, the wall and status:
each figure defined once here, so that every surface says the same.

    24 h 2.1% (14 left) · 30 d 2.7% (9 left, over 2 d 4 h)

"left" is the drop budget: more drops that fit under 3% of the window's answered calls.
"over …" only where the store holds less than the window. The rate is the simple test
(answered, no agent); `strict_words` gives the 2-second test's where every call was timed.
"""

from __future__ import annotations

from wallboard.live.history.windows import DAYS_30, HOURS_24, counted_text
from wallboard.live.snapshot import CampaignView

#: The 30-day lines the compliance add-ons draw (and the alerts' defaults).
AMBER_30D = 0.025
RED_30D = 0.028


def _one(
    name: str, rate: float | None, budget: int | None, held: int | None, span: int, short: bool
) -> str:
    shown = "–" if rate is None else f"{rate * 100:.1f}%"
    parts = [] if budget is None or rate is None else [f"{budget} left"]
    over = f"over {counted_text(held)}" if held is not None and held < span else ""
    if short:  # the rate, and how long it is over where that is short of the window
        return f"{name} {shown}" + (f" ({over})" if over else "")
    parts += [over] if over else []
    return f"{name} {shown}" + (f" ({', '.join(parts)})" if parts else "")


def windows_text(view: CampaignView, *, short: bool = False) -> str | None:
    """The 24-hour and 30-day figures; None when there is no history store (nothing to say,
    which is not 0%). `short`: the rates alone, for a narrow line."""
    if view.counted_over_24h is None and view.counted_over_30d is None:
        return None
    held = view.counted_over_30d
    if held is not None and held < HOURS_24 and view.abandon_24h == view.abandon_30d:
        # The store is younger than a day: both windows hold the same calls, said once.
        return _one("24 h = 30 d", view.abandon_30d, view.budget_30d, held, HOURS_24, short)
    day = _one("24 h", view.abandon_24h, view.budget_24h, view.counted_over_24h, HOURS_24, short)
    month = _one("30 d", view.abandon_30d, view.budget_30d, view.counted_over_30d, DAYS_30, short)
    return f"{day} · {month}"


def strict_words(view: CampaignView) -> str:
    """Which test the rates use, and the 2-second test's figures where they are whole."""
    figures = [
        f"{name} {rate * 100:.1f}%"
        for name, rate in (("24 h", view.strict_24h), ("30 d", view.strict_30d))
        if rate is not None
    ]
    if not figures:
        return "simple test (answered, no agent); 2-second test: not every call timed"
    return "simple test (answered, no agent); 2-second test: " + " · ".join(figures)


def window_level(view: CampaignView, amber: float = AMBER_30D, red: float = RED_30D) -> str:
    """The colour class of the 30-day figure: "", "-amber" from 2.5%, "-red" from 2.8%."""
    rate = view.abandon_30d
    if rate is None:
        return ""
    if rate >= red:
        return "-red"
    if rate >= amber:
        return "-amber"
    return ""
