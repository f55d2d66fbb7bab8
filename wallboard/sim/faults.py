"""The failures a real server and network produce, injected on purpose for clients' tests.

A client has to survive a slow server, a `ret 500`, a token that dies early, a body that is
not JSON and a connection closed without an answer. A 500 is answered before the request is
carried out; a dropped connection or a malformed body comes after it, so that a client sees
the worst case: its call may have taken effect, and it cannot know. `--faults` turns each of
these on with a rate, and tests change them while the simulator runs (`Simulator.faults`).
The dice are a `random.Random` of their own, so that switching faults on never changes what
the floor does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

#: Spec keys, what each one means, and whether it is a share (0..1) of requests.
_KEYS: dict[str, str] = {
    "latency": "seconds added before every answer",
    "error500": "share of requests answered ret 500",
    "expire": "tokens expire after this many real seconds",
    "malformed": "share of answers whose body is not valid JSON",
    "drop": "share of requests whose connection is closed without an answer",
    "seed": "seed of the faults' own dice",
}
_SHARES = ("error500", "malformed", "drop")


class FaultSpecError(ValueError):
    """A `--faults` spec that cannot be read; the message says which part and why."""


@dataclass
class Faults:
    """The faults in force. Attributes may be changed at any time, also while serving."""

    latency: float = 0.0
    error500: float = 0.0
    expire: float | None = None
    malformed: float = 0.0
    drop: float = 0.0
    seed: int = 0
    _dice: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._dice = random.Random(self.seed)

    @classmethod
    def parse(cls, spec: str | None, *, seed: int = 0) -> Faults:
        """Read `latency=0.2,error500=0.05,expire=60,malformed=0.01,drop=0.01` (any subset)."""
        values: dict[str, float] = {}
        for part in (spec or "").split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, raw = part.partition("=")
            key = key.strip().lower()
            if not sep:
                raise FaultSpecError(f"fault {part!r} has no value: write {key}=NUMBER")
            if key not in _KEYS:
                known = ", ".join(_KEYS)
                raise FaultSpecError(f"unknown fault {key!r} (known: {known})")
            try:
                number = float(raw.strip())
            except ValueError:
                raise FaultSpecError(f"fault {key}: {raw.strip()!r} is not a number") from None
            if number != number or number in (float("inf"), float("-inf")) or number < 0:
                raise FaultSpecError(f"fault {key}: {raw.strip()!r} must be a number >= 0")
            if key in _SHARES and number > 1:
                raise FaultSpecError(f"fault {key}: {number:g} is a share of requests, 0..1")
            values[key] = number
        return cls(
            latency=values.get("latency", 0.0),
            error500=values.get("error500", 0.0),
            expire=values.get("expire"),
            malformed=values.get("malformed", 0.0),
            drop=values.get("drop", 0.0),
            seed=int(values.get("seed", seed)),
        )

    @property
    def active(self) -> bool:
        """Any fault in force (the hot path skips the dice when none is)."""
        return bool(self.latency or self.error500 or self.malformed or self.drop) or (
            self.expire is not None
        )

    def roll(self, share: float) -> bool:
        """One throw of the faults' own dice: True with probability `share`."""
        if share <= 0:
            return False
        if share >= 1:
            return True
        return self._dice.random() < share

    def describe(self) -> str:
        """The spec back, for the start-up banner (empty when no fault is on)."""
        parts = []
        if self.latency:
            parts.append(f"latency={self.latency:g}")
        if self.error500:
            parts.append(f"error500={self.error500:g}")
        if self.expire is not None:
            parts.append(f"expire={self.expire:g}")
        if self.malformed:
            parts.append(f"malformed={self.malformed:g}")
        if self.drop:
            parts.append(f"drop={self.drop:g}")
        return ",".join(parts)
