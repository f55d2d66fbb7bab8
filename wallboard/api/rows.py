"""Rows that did not change since the previous answer are not decoded or validated again.

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

Cheaper still is not to decode the unchanged rows at all: `split_rows` cuts an answer's
body into its envelope (decoded whole, with the rows replaced by `ROWS_MARK`) and the raw
bytes of each row, and `RowBytesCache` hands back the previous model for a row whose bytes
are the same as last time, decoding and validating only the others. Equal bytes are the
same row whatever the types, so the caveat above does not arise there. The rows are a
`result` array, or an array inside the result object (a page of bills, read again every
few seconds while it fills: its `bills`).

The body is cut at every `}`, the one byte that ends every row: a search for one byte runs
at memory speed, a search for the three between two rows (`},{`) several times slower, and
on a 2,000-agent floor's 750 KB that was most of the cut's cost. Each piece is then a row
with the comma before it and without its closing brace (`,{...`), the first row given its
comma too, so that every piece reads the same way. A cut is only right if it falls at the
end of a row, not inside a string or a nested value. That is checked, not assumed: a cut
anywhere else leaves a piece that does not start with `,{` or that is not a JSON object on
its own once closed (an open string or bracket), and every piece is checked so the first
time it is seen (a piece seen before was such a row). Rows joined by `}` are then exactly
the array's text, so the pieces are its elements. The envelope is decoded with the mark in
the rows' place, so the rows are known to be its `result`. Anything else (spaces, a keyed
object, an empty list, rows with a nested object or a `}` in a text) is not read row by row:
the caller decodes the whole body instead.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from itertools import compress
from operator import ne
from typing import Any, Generic, TypeVar, cast

import orjson

T = TypeVar("T")

#: What stands in the envelope for its rows: a JSON string no server sends (it starts with a
#: NUL), so a `result` equal to it is known to be the place the rows were cut from.
ROWS_MARK = "\x00rows"
_MARK_JSON = b'"\\u0000rows"'
_ROWS_END = b"}]"
_ROW_END = b"}"
#: How every piece of `SplitAnswer.rows` starts: the comma before a row and its brace.
_ROW_START = b",{"


@dataclass(frozen=True, slots=True)
class SplitAnswer:
    """An answer cut into its envelope, with `ROWS_MARK` for its `result`, and its rows."""

    envelope: bytes
    rows: list[bytes]  # each row as `,{` and its bytes up to its closing brace (not included)


def split_rows(body: bytes, key: str = "result") -> SplitAnswer | None:
    """The answer's array of objects under `key` (the first one) cut out of `body`, or None
    when the body does not have that shape as a server without spaces writes it. The cuts
    are checked by the caller: the envelope must decode with `ROWS_MARK` in the array's place
    (`envelope_holds_rows`), and the rows by `RowBytesCache.validate`."""
    rows_start = b'"%s":[{' % key.encode()
    start = body.find(rows_start)
    first = start + len(rows_start) - 2  # at the array's `[`
    end = body.rfind(_ROWS_END)
    if start < 0 or end < first + 2:
        return None
    envelope = b"".join((body[:first], _MARK_JSON, body[end + len(_ROWS_END) :]))
    # Only the envelope must not hold the mark already: the rows are cut out of it, and a
    # row that holds the mark's text is decoded on its own. (Looking through the envelope
    # rather than the whole body spares a scan of a big floor's every row.)
    if envelope.count(_MARK_JSON) != 1:
        return None
    # The whole body in one cut (no copy of the rows first); the pieces before the first
    # row's end and after the last one's are the envelope's, counted in its head and tail.
    pieces = body.split(_ROW_END)
    before = body.count(_ROW_END, 0, first)
    after = body.count(_ROW_END, end + 1)
    rows = pieces[before : len(pieces) - after - 1]
    rows[0] = b"," + body[first + 1 : body.find(_ROW_END, first + 1)]  # without the head
    return SplitAnswer(envelope, rows)


def envelope_holds_rows(data: object, path: tuple[str, ...] = ("result",)) -> bool:
    """Whether a decoded envelope's `data` has the rows' mark at `path` (the keys down to
    the array that was cut out: `result`, or `result` then `bills`)."""
    for key in path:
        if not isinstance(data, dict):
            return False
        data = data.get(key)
    return data == ROWS_MARK


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


class RowBytesCache(Generic[T]):
    """The last answer's rows of one repeated read, by their bytes, with the model of each.

    Only the last answer is kept: each answer replaces the whole cache. Rows mostly stay
    where they were (a floor's answer lists its agents in the same order every time), so
    each row is first compared with the row at its place in the last answer, in C; only
    the rows that differ there are looked up among the last answer's rows that moved or
    changed, by their bytes, and the rest decoded. So the work in Python follows the rows
    that changed, not the floor's size; a row that moved (an agent added above it) is still
    the same model as before.
    """

    __slots__ = ("_models", "_rows")

    def __init__(self) -> None:
        self._rows: list[bytes] = []
        self._models: list[T] = []

    def __len__(self) -> int:
        return len(self._rows)

    def validate(
        self, rows: list[bytes], validate: Callable[[list[Any]], list[T]]
    ) -> list[T] | None:
        """The models of `rows` (`split_rows`), in order: the previous model for a row whose
        bytes were in the last answer (at its place, or at a place whose row changed),
        decoded and validated (in one batch) otherwise.

        None when a new row is not a JSON object on its own (the body was cut where it must
        not be, or it holds what only the standard library reads, like NaN) or does not
        validate: the caller then reads the whole body, which says what is wrong and where.
        """
        last_rows, last_models = self._rows, self._models
        kept = min(len(rows), len(last_rows))
        # The places whose row is not the one at that place last time (in C: compress/map).
        moved = list(compress(range(kept), map(ne, rows, last_rows)))
        models = cast("list[T | None]", last_models[: len(rows)])  # (a slice: a new list)
        models += [None] * (len(rows) - kept)
        changed = moved + list(range(kept, len(rows)))
        fresh: list[int] = []
        if changed:
            # The last answer's rows that are not at their place any more: where else they are.
            elsewhere = {last_rows[index]: last_models[index] for index in moved}
            for index in range(kept, len(last_rows)):
                elsewhere[last_rows[index]] = last_models[index]
            for index in changed:
                model = elsewhere.get(rows[index])
                models[index] = model
                if model is None:
                    fresh.append(index)
        if fresh:
            decoded: list[Any] = []
            try:
                for index in fresh:
                    row = rows[index]
                    if not row.startswith(_ROW_START):  # not cut where a row ends
                        raise ValueError("not a row")
                    decoded.append(orjson.loads(row[1:] + _ROW_END))
                validated = validate(decoded)
            except ValueError:  # orjson's JSONDecodeError and pydantic's ValidationError
                self._rows, self._models = [], []
                return None
            for index, model in zip(fresh, validated, strict=True):
                models[index] = model
        self._rows = rows
        self._models = models  # type: ignore[assignment]  # every None was filled above
        return list(models)  # type: ignore[arg-type]  # a copy: the caller may change its own


__all__ = [
    "ROWS_MARK",
    "RowBytesCache",
    "RowCache",
    "SplitAnswer",
    "envelope_holds_rows",
    "split_rows",
]
