"""Rows that did not change since the previous answer are not validated again.

A dashboard asks for the same big lists every second (2,000 agents' queue rows), and most
rows come back exactly as they were. Validating each into a model is most of the cost of
reading them, so `RowCache` keeps the previous answer's rows by the fields that name a row:
a row equal to its predecessor is answered with the previous model, the same object; only
the rows that changed (and new ones) go through validation, in one batch. The models are
frozen, so sharing one between two answers is safe, and equality of the raw rows means
equality of the models, as validation is a pure function of the row.

One caveat is Python's: `True == 1` and `False == 0`, while the lenient models read a JSON
true and a 1 differently. The caller says, per answer, whether reuse is safe (`reuse`): the
client allows it only for answers whose body holds no JSON true or false at all.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class RowCache(Generic[T]):
    """The last answer's rows of one repeated read, by key, with the model of each.

    Only the last answer is kept (each answer replaces the whole cache), so the cache holds
    at most one answer's rows, however long the dashboard runs and however the floor changes.
    """

    __slots__ = ("_fields", "_last")

    def __init__(self, fields: tuple[str, ...]) -> None:
        self._fields = fields
        self._last: dict[Hashable, tuple[dict[str, Any], T]] = {}

    def __len__(self) -> int:
        return len(self._last)

    def validate(
        self,
        rows: list[Any],
        validate: Callable[[list[Any]], list[T]],
        *,
        reuse: bool = True,
    ) -> list[T]:
        """The models of `rows`, in order: reused where a row equals the previous answer's
        row with the same key (when `reuse`), validated with `validate` otherwise.

        `validate` raises as it would on the whole list; then the whole list is validated
        again, so that the error points at the row's place in the answer, not in the batch.
        """
        last = self._last if reuse else {}
        fields = self._fields
        first, second = fields if len(fields) == 2 else ("", "")
        pair = len(fields) == 2  # the common case, read without building a list
        kept: dict[Hashable, tuple[dict[str, Any], T]] = {}
        models: list[T | None] = []
        fresh: list[tuple[int, Hashable | None, Any]] = []
        for index, row in enumerate(rows):
            key: Hashable | None = None
            if type(row) is dict:
                if pair:
                    key = (row.get(first), row.get(second))
                else:
                    key = tuple([row.get(name) for name in fields])
                try:
                    seen = last.get(key)
                except TypeError:  # a list or an object where a key field was expected
                    seen, key = None, None
                if seen is not None and seen[0] == row:
                    kept[key] = seen
                    models.append(seen[1])
                    continue
            fresh.append((index, key, row))
            models.append(None)
        if fresh:
            try:
                validated = validate([row for _, _, row in fresh])
            except ValueError:
                if len(fresh) < len(rows):
                    validate(rows)  # raises again, with the row's own place in the answer
                raise
            for (index, key, row), model in zip(fresh, validated, strict=True):
                models[index] = model
                if key is not None:
                    kept[key] = (row, model)
        self._last = kept
        return models  # type: ignore[return-value]  # every None was filled above


__all__ = ["RowCache"]
