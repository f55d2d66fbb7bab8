"""Which bills have been counted already, kept in a few bytes however many there are.

The figures are running totals: each bill is added once, then dropped. But the same bill can
be read twice (the last page, not yet full, is read again next time; when pages shift, the
reader starts again from page 1), and a bill added twice would count twice. So the reader
remembers which bills it counted, by id.

A set of ids costs some 60 bytes a bill: a week's window on a big floor is hundreds of
thousands of bills, tens of MB. The server numbers its bills in order (an auto-increment id),
so the ids read form a few long runs: `CountedBills` keeps runs (first, last), sixteen bytes
each, and a floor whose ids have no gaps at all costs one run. A bill without an integer id is
known by its times and numbers instead, and kept as such (the server always sends an id; this
is for the odd one that does not).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Hashable

_LOWEST = -(2**63)
_HIGHEST = 2**63 - 1


class CountedBills:
    """A set of bill keys, compact for integer ids that come in runs."""

    __slots__ = ("_count", "_first", "_last", "_other")

    def __init__(self) -> None:
        self._first: array[int] = array("q")  # sorted: the first id of each run
        self._last: array[int] = array("q")  # the last id of the same run
        self._other: set[Hashable] = set()  # keys that are not 64-bit integers
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"CountedBills({self._count} bills in {self.runs} runs)"

    @property
    def runs(self) -> int:
        """How many runs of consecutive ids are kept (what the memory grows with)."""
        return len(self._first)

    def __contains__(self, key: object) -> bool:
        if not _is_id(key):
            return isinstance(key, Hashable) and key in self._other
        assert isinstance(key, int)
        at = bisect_right(self._first, key) - 1
        return at >= 0 and key <= self._last[at]

    def add(self, key: Hashable) -> bool:
        """Remember `key`; True when it was not counted before."""
        if not _is_id(key):
            if key in self._other:
                return False
            self._other.add(key)
            self._count += 1
            return True
        assert isinstance(key, int)
        first, last = self._first, self._last
        at = bisect_right(first, key) - 1  # the run that starts at or before key
        if at >= 0 and key <= last[at]:
            return False
        joins_before = at >= 0 and last[at] == key - 1
        joins_after = at + 1 < len(first) and first[at + 1] == key + 1
        if joins_before and joins_after:  # key closes the gap between two runs
            last[at] = last[at + 1]
            del first[at + 1]
            del last[at + 1]
        elif joins_before:
            last[at] = key
        elif joins_after:
            first[at + 1] = key
        else:
            first.insert(at + 1, key)
            last.insert(at + 1, key)
        self._count += 1
        return True


def _is_id(key: object) -> bool:
    return type(key) is int and _LOWEST < key < _HIGHEST


__all__ = ["CountedBills"]
