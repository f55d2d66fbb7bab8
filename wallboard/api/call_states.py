"""GetSipCallStatus for a dashboard that asks every second: states apart from durations.

Every row of GetSipCallStatus changes every second, because its `idleduration` or
`callduration` counts on; validating 2,000 rows into fresh models each second was the
largest part of a big floor's poll. Apart from those two numbers, a row stays the same for
as long as the call or the idle spell lasts. So `CallStates` holds each extension's state
without its durations (`ExtensionCallState`), the same object as the extension's latest
state read when nothing but the durations changed, and this answer's durations beside it.

A state is matched with its extension's latest by the values of its fields, compared by
Python; as in `rows`, a JSON true would equal a 1 there, so an answer that holds a JSON
true or false is validated whole.
"""

from __future__ import annotations

import operator
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from pydantic import TypeAdapter, ValidationError

from wallboard.api.models import ExtensionCallState, OptInt

#: The fields of a state, in the model's order; the two durations are kept apart.
STATE_FIELDS = tuple(ExtensionCallState.model_fields)
DURATION_FIELDS = ("idleduration", "callduration")

_STATES: TypeAdapter[list[ExtensionCallState]] = TypeAdapter(list[ExtensionCallState])
_DURATIONS: TypeAdapter[list[tuple[OptInt, OptInt]]] = TypeAdapter(list[tuple[OptInt, OptInt]])
_state_of = operator.itemgetter(*STATE_FIELDS)
_EXTENSION = STATE_FIELDS.index("extnumber")  # a state's place in the keys
_durations_of = operator.itemgetter(*DURATION_FIELDS)


@dataclass(frozen=True, slots=True)
class CallStates:
    """One reading of many extensions' call states, in the order asked for.

    `states[i]` is the i-th row without its durations; `idleduration[i]` and
    `callduration[i]` are that row's durations in this answer (None when absent).
    """

    states: list[ExtensionCallState]
    idleduration: list[int | None]
    callduration: list[int | None]

    def __len__(self) -> int:
        return len(self.states)

    def __iter__(self) -> Iterator[tuple[ExtensionCallState, int | None, int | None]]:
        return zip(self.states, self.idleduration, self.callduration, strict=True)

    @classmethod
    def joined(cls, parts: list[CallStates]) -> CallStates:
        """Batches' answers as one, in order."""
        if len(parts) == 1:
            return parts[0]
        return cls(
            [state for part in parts for state in part.states],
            [value for part in parts for value in part.idleduration],
            [value for part in parts for value in part.callduration],
        )


class CallStateCache:
    """Each extension's latest state, with the values of its fields, to hand back the same
    object while they stay the same.

    A poller need not read every extension every time (it may read a share of the floor
    in turn, and the agents whose queue rows changed): a state is matched with the latest
    one read for its extension, however many readings ago that was. One state is kept per
    extension number, so the cache holds no more than the extensions read. `begin` marks
    the start of a reading (kept for callers that read in batches; nothing to do now).
    """

    __slots__ = ("_latest",)

    def __init__(self) -> None:
        self._latest: dict[Hashable, tuple[Hashable, ExtensionCallState]] = {}

    def __len__(self) -> int:
        return len(self._latest)

    def begin(self) -> None:
        """A new reading starts (the states of every earlier one are those to match)."""

    def read(self, rows: list[Any], *, reuse: bool = True) -> CallStates:
        """One batch's rows as states and durations; ValidationError as validating the rows
        whole would raise it (with the row's place in `rows`)."""
        try:  # in C: the fields of every row, when every row is an object that has them all
            keys: list[Any] | None = list(map(_state_of, rows))
            durations = _DURATIONS.validate_python(list(map(_durations_of, rows)))
        except (KeyError, TypeError, IndexError):
            keys = None
            durations = _DURATIONS.validate_python([_durations_or_none(row) for row in rows])
        states = self._states(rows, keys if reuse else None)
        return CallStates(states, [idle for idle, _ in durations], [call for _, call in durations])

    def _states(self, rows: list[Any], keys: list[Any] | None) -> list[ExtensionCallState]:
        if keys is None:
            return _STATES.validate_python(rows)
        latest = self._latest
        try:
            seen = [latest.get(key[_EXTENSION]) for key in keys]
            found = [
                None if known is None or known[0] != key else known[1]
                for known, key in zip(seen, keys, strict=True)
            ]
        except TypeError:  # a list or an object where a value was expected: not hashable
            return _STATES.validate_python(rows)
        fresh = [index for index, state in enumerate(found) if state is None]
        if fresh:
            try:
                validated = _STATES.validate_python([rows[index] for index in fresh])
            except ValidationError:
                if len(fresh) < len(rows):
                    _STATES.validate_python(rows)  # raises again, at the row's own place
                raise
            for index, state in zip(fresh, validated, strict=True):
                found[index] = state
                key = keys[index]
                latest[key[_EXTENSION]] = (key, state)
        return cast(list[ExtensionCallState], found)  # every None was filled above


def _durations_or_none(row: Any) -> tuple[Any, Any]:
    if isinstance(row, dict):
        return row.get(DURATION_FIELDS[0]), row.get(DURATION_FIELDS[1])
    return None, None


__all__ = ["DURATION_FIELDS", "STATE_FIELDS", "CallStateCache", "CallStates"]
