"""Type drift: answers as a sloppy real server sends them, for clients that must not care.

The documents print exact types, and real servers do not keep to them (API-NOTES: "numbers
arrive as strings and strings as numbers (`companycode` "1" vs 1, `status` "3" vs 3), and
many fields are `null`"). With `--drift RATE` that share of the fields of every answer's
payload drifts the way a PHP server lets them:

- a number becomes its text ("12" for 12), and 0 becomes "" (PHP's empty value);
- a string of plain digits becomes a number ("8001" -> 8001; not "0123", whose leading zero
  a number would lose, nor more digits than a double holds exactly);
- an empty string becomes null;
- a list of rows becomes an object keyed by position ({"0": row, "1": row}): what PHP's
  `json_encode` makes of an array whose keys are not 0..n-1 after a filter. The documents
  call these results "array" (and `data` itself `[]` on a refusal, a list where an object
  belongs), so a client must take either.

Only the payload drifts (`data.result`, GetGroupExt's bare `data`, a callback's fields):
`ret`, `msg` and the envelope's own `status`, `desc`, `errors`, `reqtime` and `rsptime`
stay exact, so that success and failure still read as documented. Drift never mutates what
it is given (the floor caches rows), and its dice are its own: a seed gives the same drift.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

#: A string a sloppy server would send as a number: plain digits, no leading zero, and few
#: enough to survive a double.
_PLAIN_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]{0,14})")


class Drift:
    """`rate` (0..1) of the payload's fields drift; the dice are seeded with `seed`.

    Not thread-safe: give each thread that encodes answers a Drift of its own.
    """

    def __init__(self, rate: float = 0.0, *, seed: int = 0) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("drift must be a share of fields from 0 to 1")
        self.rate = rate
        self.seed = seed
        self._dice = random.Random(seed)

    def __repr__(self) -> str:
        return f"Drift(rate={self.rate:g}, seed={self.seed})"

    @property
    def active(self) -> bool:
        return self.rate > 0

    def envelope(self, envelope: Mapping[str, Any]) -> Mapping[str, Any]:
        """The envelope with its payload drifted (the same object when nothing may drift)."""
        if not self.active or envelope.get("ret") != 200:
            return envelope
        data = envelope.get("data")
        if isinstance(data, list):  # GetGroupExt: `data` is the list of rows itself
            return {**envelope, "data": self._list(data)}
        if isinstance(data, Mapping) and "result" in data:
            return {**envelope, "data": {**data, "result": self._value(data["result"])}}
        return envelope

    def payload(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A callback's fields, drifted."""
        return self._mapping(fields) if self.active else dict(fields)

    # -- one value -----------------------------------------------------------------------
    def _value(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return self._mapping(value)
        if isinstance(value, list):
            return self._list(value)
        if not self._roll():
            return value
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            if value == 0 and self._dice.random() < 0.5:
                return ""
            return str(value)
        if isinstance(value, str):
            if value == "":
                return None
            if _PLAIN_INTEGER.fullmatch(value):
                return int(value)
        return value

    def _mapping(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {key: self._value(value) for key, value in fields.items()}

    def _list(self, items: list[Any]) -> list[Any] | dict[str, Any]:
        drifted = [self._value(item) for item in items]
        if drifted and self._roll():
            return {str(index): item for index, item in enumerate(drifted)}
        return drifted

    def _roll(self) -> bool:
        return self.rate >= 1.0 or self._dice.random() < self.rate
