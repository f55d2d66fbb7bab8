"""Calling hours: no number of a campaign rings before or after its own local window.

A list bought nationally spans time zones: 20:00 in London is 07:00 in Sydney. The API lets
each number carry `time`, the earliest moment it may be dialled (unix seconds; API-NOTES 4),
so a campaign made at 23:00 UTC can hold its Sydney numbers until they may be called and
let its New York numbers ring now. This module decides that moment for every number:

- the number's time zones come from `phonenumbers.timezone` (by its prefix: a New York
  landline has one zone, an Australian mobile has eight);
- zones that keep the same clock (London, Jersey, Guernsey and the Isle of Man) count as
  one: such a number's local time is told;
- a number whose zones keep different clocks is *listed*, not guessed, and held to the
  moments that are inside the window in every one of its zones (so it rings at a lawful
  hour wherever it is); if no moment fits them all it is held back like an unknown one;
- a number whose zone cannot be told at all (`Etc/Unknown`: a non-geographic number) is
  listed and, unless the supervisor says otherwise, not sent;
- the window is per region (the number's country): `CallingRules`, from the settings,
  default 08:00-21:00 local.

"Now" is the server's clock (the caller passes it: the host's clock may be wrong); a row's
own `time` (from the file or `--start`) is a lower bound. A number inside its window at that
moment keeps its `time` as it was (None stays None: the server's default, dial now), so the
same list checked twice gives the same entries, which a resumed upload relies on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import geocoder
from phonenumbers import timezone as phone_zones

from wallboard.live.numbers_file import NumberRow, NumbersList, RejectedRow

#: The window a region without its own is called in (local time).
DEFAULT_WINDOW = "08:00-21:00"
#: How far ahead a number's first permitted moment is looked for.
HORIZON_DAYS = 8
#: The library's answer for a number it cannot place.
UNKNOWN_ZONE = "Etc/Unknown"
#: What is done with numbers whose zone cannot be told.
UNKNOWN_HOLD = "hold"  # not sent; listed, and saved with the rows not sent
UNKNOWN_SEND = "send"  # sent with their `time` unchanged (the supervisor's call)

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True, order=True)
class CallingWindow:
    """A local window of the day, `opens` included, `closes` excluded (opens < closes).

    "24:00" closes at the end of the day: `closes` is then `dt.time.max`, and every second
    of the day's last minute is inside (a window may run to midnight, not stop at 23:59)."""

    opens: dt.time
    closes: dt.time

    @classmethod
    def parse(cls, text: str) -> CallingWindow:
        """ "08:00-21:00" as a window; ValueError (saying how to write it) otherwise."""
        found = _WINDOW.match(text)
        if not found:
            raise ValueError(f"{text!r} is not a window: write HH:MM-HH:MM (e.g. 08:00-21:00)")
        h1, m1, h2, m2 = (int(part) for part in found.groups())
        to_midnight = h2 == 24 and m2 == 0
        if not (h1 < 24 and m1 < 60 and (to_midnight or (h2 < 24 and m2 < 60))):
            raise ValueError(f"{text!r}: hours are 00-23 (or 24:00, midnight) and minutes 00-59")
        opens = dt.time(h1, m1)
        closes = dt.time.max if to_midnight else dt.time(h2, m2)
        if opens >= closes:
            raise ValueError(f"{text!r}: the window must open before it closes, the same day")
        return cls(opens, closes)

    def holds(self, local: dt.time) -> bool:
        if self.closes == dt.time.max:  # to midnight: the day's last instant is inside too
            return self.opens <= local
        return self.opens <= local < self.closes

    def __str__(self) -> str:
        closes = "24:00" if self.closes == dt.time.max else f"{self.closes:%H:%M}"
        return f"{self.opens:%H:%M}-{closes}"


@dataclass(frozen=True, slots=True)
class CallingRules:
    """The permitted local window of each region (ISO code), and the one for the others."""

    default: CallingWindow = field(default_factory=lambda: CallingWindow.parse(DEFAULT_WINDOW))
    by_region: Mapping[str, CallingWindow] = field(default_factory=dict)

    @classmethod
    def parse(
        cls, default: str = DEFAULT_WINDOW, regions: Mapping[str, str] | None = None
    ) -> CallingRules:
        """The rules as the settings write them; ValueError naming the region at fault."""
        by_region: dict[str, CallingWindow] = {}
        for region, text in (regions or {}).items():
            code = region.strip().upper()
            if code not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(f"{region!r} is not a region code (two letters, e.g. GB, US)")
            try:
                by_region[code] = CallingWindow.parse(text)
            except ValueError as exc:
                raise ValueError(f"{code}: {exc}") from None
        return cls(default=CallingWindow.parse(default), by_region=by_region)

    def window_for(self, region: str) -> CallingWindow:
        return self.by_region.get(region.upper(), self.default)


# ---------------------------------------------------------------------- zones


@dataclass(frozen=True, slots=True)
class NumberZones:
    """Where a number rings, as far as the library can tell."""

    zones: tuple[str, ...]  # distinct clocks; () when it cannot be told

    @property
    def told(self) -> bool:
        return len(self.zones) == 1


def zones_of(e164: str, country: str) -> NumberZones:
    """The distinct time zones of a number (zones keeping the same clock count as one)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return NumberZones(())
    named = tuple(z for z in phone_zones.time_zones_for_number(parsed) if z != UNKNOWN_ZONE)
    return NumberZones(_distinct_clocks(named, country))


def place_of(e164: str) -> str:
    """The geocoder's words for where a number is ("Sydney", "New York, NY"), "" when it has
    none: for the numbers listed (it costs as much as the zones, so only for those)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    return str(geocoder.description_for_number(parsed, "en") or "")


@functools.lru_cache(maxsize=4096)
def _distinct_clocks(names: tuple[str, ...], country: str) -> tuple[str, ...]:
    """One zone per clock kept: zones whose offsets agree all year are the same clock,
    named by the country's main zone when it is one of them."""
    zones = [name for name in names if _zone(name) is not None]
    main = _main_zone(country)
    zones.sort(key=lambda name: (name != main, name))
    kept: list[str] = []
    for name in zones:
        if not any(_same_clock(name, other) for other in kept):
            kept.append(name)
    return tuple(kept)


@functools.lru_cache(maxsize=512)
def _main_zone(country: str) -> str:
    """The zone of the country's example fixed-line number (London for GB), or ""."""
    example = phonenumbers.example_number(country) if country else None
    if example is None:
        return ""
    zones = phone_zones.time_zones_for_number(example)
    return zones[0] if len(zones) == 1 else ""


#: Moments on which two zones' offsets are compared (both halves of a year, both
#: hemispheres' summer time, a few years apart for changed rules).
_PROBES = tuple(
    dt.datetime(year, month, 15, 12, tzinfo=dt.UTC)
    for year in (2024, 2026)
    for month in (1, 4, 7, 10)
)


@functools.lru_cache(maxsize=4096)
def _same_clock(a: str, b: str) -> bool:
    za, zb = _zone(a), _zone(b)
    if za is None or zb is None:
        return False
    return all(p.astimezone(za).utcoffset() == p.astimezone(zb).utcoffset() for p in _PROBES)


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


@functools.lru_cache(maxsize=4096)
def _open_at(moment: int, zones: tuple[str, ...], window: CallingWindow) -> bool:
    return permitted(moment, zones, window)


def permitted(moment: float, zones: Iterable[str], window: CallingWindow) -> bool:
    """True when `moment` is inside the window in every one of the zones."""
    for name in zones:
        zone = _zone(name)
        if zone is None:
            return False
        local = dt.datetime.fromtimestamp(moment, zone).time()
        if not window.holds(local):
            return False
    return True


def first_permitted(earliest: float, zones: tuple[str, ...], window: CallingWindow) -> int | None:
    """The first whole second at or after `earliest` inside the window in every zone; None
    when none comes within HORIZON_DAYS (zones too far apart for one window)."""
    return _first_permitted(int(earliest), zones, window)


@functools.lru_cache(maxsize=4096)  # a list's numbers share a few zones and one "now"
def _first_permitted(start: int, zones: tuple[str, ...], window: CallingWindow) -> int | None:
    if not zones:
        return None
    if permitted(start, zones, window):
        return start
    openings: list[int] = []
    for name in zones:
        zone = _zone(name)
        if zone is None:
            return None
        day = dt.datetime.fromtimestamp(start, zone).date()
        for offset in range(-1, HORIZON_DAYS + 1):
            local = dt.datetime.combine(day + dt.timedelta(days=offset), window.opens, zone)
            moment = int(local.timestamp())
            if moment > start:
                openings.append(moment)
    for moment in sorted(set(openings)):
        if permitted(moment, zones, window):
            return moment
    return None


# ---------------------------------------------------------------------- a whole list


@dataclass(frozen=True, slots=True)
class ZoneGroup:
    """The numbers that share a clock and a window: one line of the preview."""

    region: str
    zones: tuple[str, ...]  # one zone, or several for numbers that span them
    window: CallingWindow
    count: int
    outside_now: int  # would ring outside their window if dialled now
    opens_at: int | None  # the first moment the group's held numbers may ring; None: open now

    @property
    def label(self) -> str:
        if len(self.zones) == 1:
            return self.zones[0]
        return f"{self.region} across {len(self.zones)} zones"


@dataclass(frozen=True, slots=True)
class UnplacedNumber:
    """A number whose local time cannot be told, or spans clocks: listed for the supervisor."""

    row: NumberRow
    place: str
    zones: tuple[str, ...]
    held: bool  # not sent
    scheduled: int | None  # the moment set for it (several zones), when sent

    @property
    def reason(self) -> str:
        if not self.zones:
            return "its time zone cannot be told"
        if self.scheduled is None and self.held:
            return f"spans {len(self.zones)} time zones with no common calling hour"
        return f"spans {len(self.zones)} time zones: held to hours lawful in all of them"


@dataclass(frozen=True, slots=True)
class CallingPlan:
    """A list with every number's `time` set to its first permitted moment."""

    numbers: NumbersList  # what is sent (held numbers are among its `invalid`)
    now: int  # the server's clock the plan was made at
    groups: tuple[ZoneGroup, ...]
    unplaced: tuple[UnplacedNumber, ...]

    @property
    def outside_now(self) -> int:
        return sum(group.outside_now for group in self.groups)

    @property
    def held(self) -> int:
        return sum(1 for item in self.unplaced if item.held)


def schedule(
    numbers: NumbersList,
    rules: CallingRules,
    now: float,
    *,
    unknown: str = UNKNOWN_HOLD,
) -> CallingPlan:
    """Set each number's `time` to its first permitted moment at or after `now` (the
    server's clock) and its own `time`; group them for the preview; list the unplaced."""
    if unknown not in (UNKNOWN_HOLD, UNKNOWN_SEND):
        raise ValueError(f"unknown zones: {UNKNOWN_HOLD} or {UNKNOWN_SEND}, not {unknown!r}")
    clock = int(now)
    kept: list[NumberRow] = []
    held: list[RejectedRow] = []
    unplaced: list[UnplacedNumber] = []
    # per group: (outside its window now, the moment it was moved to or None)
    tally: dict[tuple[str, tuple[str, ...], CallingWindow], list[tuple[bool, int | None]]] = {}
    for row in numbers.rows:
        where = zones_of(row.e164, row.country)
        window = rules.window_for(row.country)
        earliest = max(clock, row.time or clock)
        moment = first_permitted(earliest, where.zones, window) if where.zones else None
        if moment is None:
            send = unknown == UNKNOWN_SEND and not where.zones
            unplaced.append(UnplacedNumber(row, place_of(row.e164), where.zones, not send, None))
            if send:
                kept.append(row)
            else:
                reason = unplaced[-1].reason
                held.append(RejectedRow(row.line, row.given, f"not sent: {reason}"))
            continue
        opens = None if moment == earliest else moment
        if opens is not None:
            row = dataclasses.replace(row, time=moment)
        if not where.told:
            unplaced.append(UnplacedNumber(row, place_of(row.e164), where.zones, False, moment))
        kept.append(row)
        outside = not _open_at(clock, where.zones, window)
        tally.setdefault((row.country, where.zones, window), []).append((outside, opens))
    groups = tuple(
        sorted(
            (
                ZoneGroup(
                    region=region,
                    zones=zones,
                    window=window,
                    count=len(seen),
                    outside_now=sum(1 for outside, _ in seen if outside),
                    opens_at=min((moved for _, moved in seen if moved is not None), default=None),
                )
                for (region, zones, window), seen in tally.items()
            ),
            key=lambda g: (g.opens_at or 0, g.region, g.zones),
        )
    )
    planned = dataclasses.replace(
        numbers, rows=tuple(kept), invalid=(*numbers.invalid, *held), by_phone={}
    )
    return CallingPlan(planned, clock, groups, tuple(unplaced))


__all__ = [
    "DEFAULT_WINDOW",
    "UNKNOWN_HOLD",
    "UNKNOWN_SEND",
    "CallingPlan",
    "CallingRules",
    "CallingWindow",
    "NumberZones",
    "UnplacedNumber",
    "ZoneGroup",
    "first_permitted",
    "permitted",
    "place_of",
    "schedule",
    "zones_of",
]
