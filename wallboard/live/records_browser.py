"""The call records screen's source: ranges in the server's day, pages on demand, summaries,
the call-back list and recordings, each a method the screen calls (widgets never call the
API). The command line uses the same pieces (`CallRecords`, `Summaries`, `CallBackList`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import httpx

from wallboard.live.records import (
    CallRecords,
    Outcome,
    Query,
    RecordFilter,
    RecordingView,
    RecordPage,
)
from wallboard.live.records_download import download
from wallboard.live.records_summary import (
    AbandonedCall,
    CallBackList,
    Summaries,
    Summary,
    SummaryBy,
)
from wallboard.live.records_window import RecordRange, window


async def summarise(
    records: CallRecords,
    query: Query,
    by: SummaryBy,
    *,
    names: Callable[[str], str] | None = None,
) -> Summaries:
    """Per-agent or per-campaign figures of the range, folded page by page."""
    summaries = Summaries(by, campaigns=records.campaigns(), names=names)
    async for page in records.pages(query):
        summaries.add_all(page.rows)
    return summaries


async def call_backs(records: CallRecords, query: Query) -> list[AbandonedCall]:
    """The abandoned calls of the range still to call back, newest first, one per number.

    Read with every outcome (whatever the filter says): a number is off the list once a
    later call to it reached an agent."""
    calls = CallBackList()
    async for page in records.pages(dataclasses.replace(query, outcome=Outcome.ALL)):
        calls.add_all(page.rows)
    return calls.calls()


def zone_name(tz: dt.tzinfo | None) -> str:
    """The server's zone as shown beside its times."""
    if tz is None:
        return "this machine's zone"
    return str(getattr(tz, "key", None) or tz)


class RecordsBrowser:
    """What the records screen asks for, in one object built by the composition root."""

    def __init__(
        self,
        records: CallRecords,
        *,
        names: Callable[[str], str] | None = None,
        download_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.records = records
        self._names = names
        self._transport = download_transport

    @property
    def zone(self) -> str:
        return zone_name(self.records.tz)

    async def learn_clock(self) -> None:
        await self.records.learn_clock()

    def window(self, start: str, end: str) -> RecordRange:
        """A typed range in the server's day (WindowError says what is wrong)."""
        return window(start or None, end or None, now=self.records.server_now(), tz=self.records.tz)

    async def prepare(self, wanted: RecordFilter) -> Query:
        return await self.records.prepare(wanted)

    async def page(self, query: Query, number: int, size: int) -> RecordPage:
        return await self.records.page(query, number, size=size)

    async def summaries(self, query: Query, by: SummaryBy) -> tuple[list[Summary], Summary]:
        found = await summarise(self.records, query, by, names=self._names)
        return found.rows(), found.total

    async def abandoned(self, query: Query) -> list[AbandonedCall]:
        return await call_backs(self.records, query)

    async def recording(self, filename: str) -> RecordingView:
        return await self.records.recording(filename)

    async def download(self, url: str, path: str) -> int:
        return await download(url, Path(path), transport=self._transport)


__all__ = ["RecordsBrowser", "call_backs", "summarise", "zone_name"]
