"""A `FloorSnapshot` as bytes and back, and the compact change from one snapshot to the next.

The collector writes the whole floor under one key every cycle and each change as a small
entry on a stream; a viewer decodes the first and applies the others. Both must give back
exactly the snapshot the collector had (`decode(encode(s)) == s`, `apply(a, diff(a, b)) ==
b`), so every field of every view is written, in a fixed shape:

- an agent is a list in the order of `AGENT_FIELDS` (two thousand agents are most of the
  bytes: field names once in the code, not once per agent);
- a change carries only what moved: the snapshot's scalar fields that changed, the totals
  and the campaigns when they changed, and per queue the agents that changed (by extension),
  the order of its extensions when an agent came or went, its heading when that changed.

Nothing secret is in a snapshot, so nothing secret is in these bytes. Bytes that are not a
snapshot or a change raise `WireError`, never anything else.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from typing import cast

import orjson

from wallboard.live.snapshot import (
    AgentState,
    AgentView,
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
    FloorTotals,
    QueueView,
    Trend,
    TrendBucket,
)

#: The wire's shape; a viewer refuses another (a collector of another version).
FORMAT = 1

Wire = dict[str, object]
Reader = Callable[[object], object]
Writer = Callable[[object], object]


class WireError(ValueError):
    """Bytes that are not what this codec writes."""


# ---------------------------------------------------------------------- fields by type
#
# Every field of a view is written and read by its declared type, so that a field added to
# a view later travels without a change here; a type this codec does not know fails at
# import (and in the tests), never silently.


def _optional(read: Reader) -> Reader:
    return lambda item: None if item is None else read(item)


def _same(item: object) -> object:
    return item


def _enum_value(item: object) -> object:
    return cast(enum.Enum, item).value


def _enum_reader(cls: type[enum.Enum]) -> Reader:
    table = {member.value: member for member in cls}

    def read(item: object) -> object:
        found = table.get(item) if isinstance(item, str) else None
        if found is None:
            raise WireError(f"unknown {cls.__name__} {str(item)[:40]!r}")
        return found

    return read


def _fields(cls: type, skip: tuple[str, ...] = ()) -> tuple[tuple[str, Reader, Writer], ...]:
    """(name, reader, writer) of each field of the dataclass `cls` but `skip`, by its type."""
    readers: dict[str, tuple[Reader, Writer]] = {
        "str": (lambda i: _str(i), _same),
        "int": (lambda i: _int(i), _same),
        "float": (lambda i: _num(i), _same),
        "bool": (lambda i: _bool(i), _same),
        "str | None": (_optional(lambda i: _str(i)), _same),
        "int | None": (_optional(lambda i: _int(i)), _same),
        "float | None": (_optional(lambda i: _num(i)), _same),
        "Trend": (lambda i: trend_of_wire(i), lambda v: trend_wire(cast(Trend, v))),
        "AgentState": (_enum_reader(AgentState), _enum_value),
        "CampaignStatus": (_enum_reader(CampaignStatus), _enum_value),
        "tuple[str, ...] | None": (
            _optional(lambda i: tuple(_str(q) for q in _list(i))),
            lambda v: None if v is None else list(cast(tuple[str, ...], v)),
        ),
    }
    found: list[tuple[str, Reader, Writer]] = []
    for item in fields(cls):
        if item.name in skip:
            continue
        kind = item.type if isinstance(item.type, str) else getattr(item.type, "__name__", "")
        if kind not in readers:
            raise TypeError(f"the shared floor cannot carry {cls.__name__}.{item.name}: {kind}")
        found.append((item.name, *readers[kind]))
    return tuple(found)


# ---------------------------------------------------------------------- views


def trend_wire(trend: Trend) -> list[list[object]]:
    return [[b.start, b.answered, b.dropped] for b in trend.buckets]


def trend_of_wire(item: object) -> Trend:
    buckets: list[TrendBucket] = []
    for bucket in _list(item):
        start, answered, dropped = _list(bucket, 3)
        buckets.append(TrendBucket(_num(start), _int(answered), _int(dropped)))
    return Trend(tuple(buckets))


_AGENT = _fields(AgentView)
_CAMPAIGN = _fields(CampaignView)
_TOTALS = _fields(FloorTotals)
_META = _fields(FloorSnapshot, skip=("queues", "campaigns", "totals"))
#: An agent is a list in this order: two thousand agents are most of the bytes.
AGENT_FIELDS = tuple(name for name, _, _ in _AGENT)
TOTALS_FIELDS = tuple(name for name, _, _ in _TOTALS)
#: The snapshot's own fields (not its views), which a change carries when they moved.
META_FIELDS = tuple(name for name, _, _ in _META)


def agent_wire(agent: AgentView) -> list[object]:
    return [write(getattr(agent, name)) for name, _, write in _AGENT]


def agent_of(item: object) -> AgentView:
    row = _list(item, len(_AGENT))
    values = {name: read(value) for (name, read, _), value in zip(_AGENT, row, strict=True)}
    return AgentView(**values)  # type: ignore[arg-type]


def queue_head(queue: QueueView) -> list[object]:
    """A queue without its agents."""
    return [queue.remark, queue.strategy, queue.autocall, queue.wrapuptime]


def queue_wire(queue: QueueView) -> Wire:
    return {
        "name": queue.name,
        "head": queue_head(queue),
        "agents": [agent_wire(agent) for agent in queue.agents],
    }


def queue_of(item: object) -> QueueView:
    data = _dict(item)
    name = _str(data.get("name"))
    remark, strategy, autocall, wrapuptime = _head(data.get("head"))
    agents = tuple(agent_of(a) for a in _list(data.get("agents")))
    return QueueView(name, remark, strategy, autocall, wrapuptime, agents)


def _object_wire(value: object, table: tuple[tuple[str, Reader, Writer], ...]) -> Wire:
    return {name: write(getattr(value, name)) for name, _, write in table}


def _object_values(
    item: object, table: tuple[tuple[str, Reader, Writer], ...]
) -> dict[str, object]:
    """The fields `item` carries, read by type; a field missing is an error (the collector
    writes them all), a field not known is one too (another version's collector)."""
    data = _dict(item)
    known = {name for name, _, _ in table}
    unknown = [name for name in data if name not in known]
    if unknown:
        raise WireError(f"unknown field {unknown[0][:40]!r}")
    try:
        return {name: read(data[name]) for name, read, _ in table}
    except KeyError as exc:
        raise WireError(f"missing field {str(exc)[:40]}") from None


def totals_wire(totals: FloorTotals) -> Wire:
    return _object_wire(totals, _TOTALS)


def totals_of(item: object) -> FloorTotals:
    return FloorTotals(**_object_values(item, _TOTALS))  # type: ignore[arg-type]


def campaign_wire(campaign: CampaignView) -> Wire:
    return _object_wire(campaign, _CAMPAIGN)


def campaign_of(item: object) -> CampaignView:
    return CampaignView(**_object_values(item, _CAMPAIGN))  # type: ignore[arg-type]


def meta_wire(snapshot: FloorSnapshot) -> Wire:
    return _object_wire(snapshot, _META)


def meta_of(item: object) -> dict[str, object]:
    """The snapshot's own fields that `item` names (a change names only some), typed."""
    data = _dict(item)
    readers = {name: read for name, read, _ in _META}
    meta: dict[str, object] = {}
    for name, value in data.items():
        read = readers.get(name)
        if read is None:
            raise WireError(f"unknown snapshot field {name[:40]!r}")
        meta[name] = read(value)
    return meta


# ---------------------------------------------------------------------- snapshots


def snapshot_wire(snapshot: FloorSnapshot) -> Wire:
    return {
        "meta": meta_wire(snapshot),
        "queues": [queue_wire(q) for q in snapshot.queues],
        "campaigns": [campaign_wire(c) for c in snapshot.campaigns],
        "totals": totals_wire(snapshot.totals),
    }


def snapshot_of(item: object) -> FloorSnapshot:
    data = _dict(item)
    meta = meta_of(data.get("meta"))
    if "taken_at" not in meta:
        raise WireError("a snapshot without its time")
    return replace(
        FloorSnapshot(taken_at=cast(float, meta.pop("taken_at"))),
        queues=tuple(queue_of(q) for q in _list(data.get("queues"))),
        campaigns=tuple(campaign_of(c) for c in _list(data.get("campaigns"))),
        totals=totals_of(data.get("totals")),
        **meta,  # type: ignore[arg-type]
    )


def encode(snapshot: FloorSnapshot) -> bytes:
    """The snapshot as bytes (JSON)."""
    return orjson.dumps(snapshot_wire(snapshot))


def decode(data: bytes | str) -> FloorSnapshot:
    """The snapshot `encode` wrote; WireError for anything else."""
    return snapshot_of(loads(data))


def loads(data: bytes | str) -> object:
    try:
        return cast(object, orjson.loads(data))
    except orjson.JSONDecodeError as exc:
        raise WireError(f"not JSON ({exc})") from None


# ---------------------------------------------------------------------- changes


def diff(old: FloorSnapshot, new: FloorSnapshot) -> Wire:
    """What changed from `old` to `new`, as small as the change: `apply(old, it) == new`."""
    change: Wire = {}
    old_meta, new_meta = meta_wire(old), meta_wire(new)
    meta = {name: value for name, value in new_meta.items() if old_meta[name] != value}
    if meta:
        change["meta"] = meta
    if old.totals != new.totals:
        change["totals"] = totals_wire(new.totals)
    if old.campaigns != new.campaigns:
        change["campaigns"] = [campaign_wire(c) for c in new.campaigns]
    old_queues = {q.name: q for q in old.queues}
    if [q.name for q in old.queues] != [q.name for q in new.queues] or len(old_queues) != len(
        old.queues
    ):
        change["order"] = [q.name for q in new.queues]
    queues: Wire = {}
    for queue in new.queues:
        before = old_queues.get(queue.name)
        if before is queue or before == queue:
            continue
        queues[queue.name] = _queue_change(before, queue)
    if queues:
        change["queues"] = queues
    return change


def _queue_change(old: QueueView | None, new: QueueView) -> Wire:
    new_exts = [a.extnumber for a in new.agents]
    if old is None or len(set(new_exts)) != len(new_exts):
        return {"whole": queue_wire(new)}
    change: Wire = {}
    if queue_head(old) != queue_head(new):
        change["head"] = queue_head(new)
    before = {a.extnumber: a for a in old.agents}
    if [a.extnumber for a in old.agents] != new_exts or len(before) != len(old.agents):
        change["exts"] = new_exts
    agents = {
        a.extnumber: agent_wire(a)
        for a in new.agents
        if (seen := before.get(a.extnumber)) is not a and seen != a
    }
    if agents:
        change["agents"] = agents
    return change


def apply(snapshot: FloorSnapshot, change: object) -> FloorSnapshot:
    """`snapshot` with `change` (from `diff`) applied; WireError when it does not fit."""
    data = _dict(change)
    updates: dict[str, object] = {}
    if "meta" in data:
        updates.update(meta_of(data["meta"]))
    if "totals" in data:
        updates["totals"] = totals_of(data["totals"])
    if "campaigns" in data:
        updates["campaigns"] = tuple(campaign_of(c) for c in _list(data["campaigns"]))
    if "order" in data or "queues" in data:
        updates["queues"] = _queues_after(snapshot.queues, data)
    return replace(snapshot, **updates)  # type: ignore[arg-type]


def _queues_after(queues: Sequence[QueueView], data: Mapping[str, object]) -> tuple[QueueView, ...]:
    by_name = {q.name: q for q in queues}
    order = [_str(n) for n in _list(data["order"])] if "order" in data else list(by_name)
    changed = _dict(data.get("queues", {}))
    result: list[QueueView] = []
    for name in order:
        queue = by_name.get(name)
        if name in changed:
            queue = _queue_after(queue, _dict(changed[name]))
        if queue is None:
            raise WireError(f"a change names queue {name[:40]!r}, not on the floor")
        result.append(queue)
    return tuple(result)


def _queue_after(queue: QueueView | None, change: Mapping[str, object]) -> QueueView:
    if "whole" in change:
        return queue_of(change["whole"])
    if queue is None:
        raise WireError("a change to a queue not on the floor")
    updates: dict[str, object] = {}
    if "head" in change:
        remark, strategy, autocall, wrapuptime = _head(change["head"])
        updates.update(remark=remark, strategy=strategy, autocall=autocall, wrapuptime=wrapuptime)
    if "exts" in change or "agents" in change:
        agents = {a.extnumber: a for a in queue.agents}
        for ext, agent in _dict(change.get("agents", {})).items():
            agents[ext] = agent_of(agent)
        exts = [_str(e) for e in _list(change["exts"])] if "exts" in change else list(agents)
        try:
            updates["agents"] = tuple(agents[ext] for ext in exts)
        except KeyError as exc:
            raise WireError(f"a change names extension {str(exc)[:40]}, not in the queue") from None
    return replace(queue, **updates)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- checked reading


def _head(item: object) -> tuple[str, int | None, str, int]:
    """A queue's heading: remark, strategy, autocall, wrap-up time."""
    remark, strategy, autocall, wrapuptime = _list(item, 4)
    return (
        _str(remark),
        None if strategy is None else _int(strategy),
        _str(autocall),
        _int(wrapuptime),
    )


def _dict(item: object) -> dict[str, object]:
    if not isinstance(item, dict):
        raise WireError(f"expected an object, got {type(item).__name__}")
    return cast(dict[str, object], item)


def _list(item: object, length: int | None = None) -> list[object]:
    if not isinstance(item, list):
        raise WireError(f"expected a list, got {type(item).__name__}")
    if length is not None and len(item) != length:
        raise WireError(f"expected {length} items, got {len(item)}")
    return cast(list[object], item)


def _str(item: object) -> str:
    if not isinstance(item, str):
        raise WireError(f"expected text, got {type(item).__name__}")
    return item


def _int(item: object) -> int:
    if isinstance(item, bool) or not isinstance(item, int):
        raise WireError(f"expected a whole number, got {type(item).__name__}")
    return item


def _num(item: object) -> float:
    if isinstance(item, bool) or not isinstance(item, int | float):
        raise WireError(f"expected a number, got {type(item).__name__}")
    return item


def _bool(item: object) -> bool:
    if not isinstance(item, bool):
        raise WireError(f"expected true or false, got {type(item).__name__}")
    return item


__all__ = [
    "AGENT_FIELDS",
    "FORMAT",
    "WireError",
    "apply",
    "decode",
    "diff",
    "encode",
    "loads",
]
