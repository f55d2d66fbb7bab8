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
from itertools import compress, repeat
from operator import is_
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
_idle_of = operator.itemgetter(DURATION_FIELDS[0])
_call_of = operator.itemgetter(DURATION_FIELDS[1])
_OPT_INTS: TypeAdapter[list[OptInt]] = TypeAdapter(list[OptInt])
#: The types of durations that the models keep as they are (not bool: a JSON true is read).
_AS_THEY_ARE = frozenset({int, type(None)})


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

    The latest states are also kept by the values of all their fields, so that a whole
    answer is matched in C (one dict look-up per row), and only the rows whose state
    changed are looked at in Python.
    """

    __slots__ = ("_by_values", "_latest")

    def __init__(self) -> None:
        self._latest: dict[Hashable, tuple[Hashable, ExtensionCallState]] = {}
        self._by_values: dict[Hashable, ExtensionCallState] = {}

    def __len__(self) -> int:
        return len(self._latest)

    def begin(self) -> None:
        """A new reading starts (the states of every earlier one are those to match)."""

    def read(self, rows: list[Any], *, reuse: bool = True) -> CallStates:
        """One batch's rows as states and durations; ValidationError as validating the rows
        whole would raise it (with the row's place in `rows`)."""
        try:  # in C: the fields of every row, when every row is an object that has them all
            keys: list[Any] | None = list(map(_state_of, rows))
            idle = _durations(list(map(_idle_of, rows)))
            call = _durations(list(map(_call_of, rows)))
        except (KeyError, TypeError, IndexError):
            keys = None
            durations = _DURATIONS.validate_python([_durations_or_none(row) for row in rows])
            idle = [value for value, _ in durations]
            call = [value for _, value in durations]
        states = self._states(rows, keys if reuse else None)
        return CallStates(states, idle, call)

    def _states(self, rows: list[Any], keys: list[Any] | None) -> list[ExtensionCallState]:
        if keys is None:
            return _STATES.validate_python(rows)
        try:  # a list or an object where a value was expected is not hashable
            found: list[ExtensionCallState | None] = list(map(self._by_values.get, keys))
        except TypeError:
            return _STATES.validate_python(rows)
        fresh = list(compress(range(len(found)), map(is_, found, repeat(None))))
        if fresh:
            try:
                validated = _STATES.validate_python([rows[index] for index in fresh])
            except ValidationError:
                if len(fresh) < len(rows):
                    _STATES.validate_python(rows)  # raises again, at the row's own place
                raise
            latest, by_values = self._latest, self._by_values
            for index, state in zip(fresh, validated, strict=True):
                found[index] = state
                key = keys[index]
                extension = key[_EXTENSION]
                known = latest.get(extension)
                if known is not None:  # only the extension's latest state is kept
                    by_values.pop(known[0], None)
                latest[extension] = (key, state)
                by_values[key] = state
        return cast(list[ExtensionCallState], found)  # every None was filled above


def _durations(values: list[Any]) -> list[int | None]:
    """Durations as the models read them: whole numbers and nulls as they are (checked in
    C, the common case), anything else (text, "", a float) read loosely by pydantic."""
    if _AS_THEY_ARE.issuperset(map(type, values)):
        return values
    return _OPT_INTS.validate_python(values)


def _durations_or_none(row: Any) -> tuple[Any, Any]:
    if isinstance(row, dict):
        return row.get(DURATION_FIELDS[0]), row.get(DURATION_FIELDS[1])
    return None, None


__all__ = ["DURATION_FIELDS", "STATE_FIELDS", "CallStateCache", "CallStates"]
