"""Task numbers as a customer sends them (TaskCreat / TaskAdd), checked leniently.

Integrators send phones as numbers or strings, times as unix seconds in either form or
empty, and custom fields of any scalar type: anything that is not a usable number comes
back in `invaliddata` as it was sent, and is never dialled.
"""

from __future__ import annotations

import math
import re
from typing import Any

from wallboard.sim.entities import TaskNumber
from wallboard.sim.wire import LAST_MOMENT

PHONE_PATTERN = re.compile(r"\+?[0-9]{3,20}")


def parse_number(item: Any, now: float) -> TaskNumber | None:
    """A task number from the documented dict, or None when it is not a valid one."""
    if not isinstance(item, dict):
        return None
    phone = item.get("phone")
    if isinstance(phone, bool) or not isinstance(phone, str | int):
        return None
    phone = str(phone).strip()
    plain = 3 <= len(phone) <= 20 and phone.isascii() and phone.isdigit()
    if not plain and not PHONE_PATTERN.fullmatch(phone):
        return None
    at = _dial_time(item.get("time"), now)
    if at is None:
        return None
    fields = [_custom(item.get(key)) for key in _CUSTOM_KEYS]
    if None in fields:
        return None
    return TaskNumber(phone, at, *fields)  # type: ignore[arg-type]


def _dial_time(when: Any, now: float) -> float | None:
    """The earliest dial time, or None when it is not a moment the floor's clock can reach:
    NaN would break the order of the floor's timed events and Infinity would keep its task
    open forever, so neither (nor a time past year 9999) is ever scheduled."""
    if when is None or when == "" or when == 0:
        return now
    if isinstance(when, bool):
        return None
    if isinstance(when, str):
        when = when.strip()
        if not (when.isascii() and when.isdigit()):
            return None
    if not isinstance(when, int | float | str):
        return None
    try:
        at = float(when)
    except (OverflowError, ValueError):  # an int too big for a float
        return None
    if not math.isfinite(at) or at > LAST_MOMENT:
        return None
    return max(at, now)


_CUSTOM_KEYS = ("userid", "memberid", "chengshudu", "customuuid")


def _custom(value: Any) -> str | None:
    """A custom field as the bill will carry it: "0" when absent (as the vendor's bills
    show), None when it is not a scalar."""
    if value is None or value == "":
        return "0"
    if type(value) is str:
        return value[:128]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
