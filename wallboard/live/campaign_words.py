"""The preview of a new campaign in words: the same lines on the command line and on the New
campaign screen, so that both say the same counts the same way."""

from __future__ import annotations

import datetime as dt

from wallboard.live.bills import server_text
from wallboard.live.campaign_source import CampaignPreview

#: How many rows of each kind the preview shows as examples.
EXAMPLES = 5


def preview_lines(preview: CampaignPreview, tz: dt.tzinfo | None) -> list[str]:
    """What would be sent, counted, before anything is (the screen shows the same words)."""
    request = preview.request
    numbers, read = preview.numbers, preview.read
    creates, adds = preview.calls
    sending = f"{creates} TaskCreat + {adds} TaskAdd" if creates else "nothing"
    callers = ", ".join(request.caller_ids) if request.caller_ids else "chosen by the server"
    lines = [
        f"campaign {request.name!r} from {numbers.source}, for {request.target.label} "
        f"(scale {request.scale}, caller ids {callers})",
        f"  rows read   {numbers.read:>9,}",
        f"  valid       {numbers.valid:>9,}   to send in {sending}",
        f"  invalid     {len(read.invalid):>9,}",
        f"  duplicate   {numbers.duplicates:>9,}   (the first of each is kept)",
    ]
    for row in read.invalid[:EXAMPLES]:
        lines.append(f"    line {row.line}: {row.given!r}: {row.reason}")
    if len(read.invalid) > EXAMPLES:
        lines.append(f"    ... and {len(read.invalid) - EXAMPLES:,} more")
    if numbers.ignored_columns:
        lines.append(f"  columns ignored: {', '.join(numbers.ignored_columns)}")
    lines.extend(calling_lines(preview, tz))
    region = request.region
    dialled = f"as dialled from {region}" if region else "in E.164 (no --region)"
    when = "now" if request.start is None else server_text(request.start, tz)
    after = "opened (dialling starts)" if request.running else "left not started (--paused)"
    lines.append(f"  numbers sent {dialled}; first dial {when}; the task is then {after}")
    if preview.unfinished is not None:
        lines.append(
            f"  an unfinished upload of {request.name!r} is in the journal: sending finishes it"
        )
    return lines


def calling_lines(preview: CampaignPreview, tz: dt.tzinfo | None) -> list[str]:
    """The calling-hours part of the preview: who would ring outside their window now,
    when each zone's numbers open, and the numbers whose zone cannot be told."""
    calling = preview.calling
    clock = "the server's clock" if preview.clock_is_servers else "this machine's clock"
    lines = [
        f"  outside now {calling.outside_now:>9,}   outside their local calling hours at "
        f"{server_text(calling.now, tz)}",
        f"    ({clock}); each number is held to its first moment inside them. By zone:",
    ]
    for group in calling.groups:
        opens = "open now" if group.opens_at is None else f"opens {server_text(group.opens_at, tz)}"
        outside = f", {group.outside_now:,} outside now" if group.outside_now else ""
        lines.append(
            f"    {group.label:<24} {group.count:>7,}   {group.window} local{outside}; {opens}"
        )
    unplaced = calling.unplaced
    if unplaced:
        held = calling.held
        lines.append(
            f"  zone untold {len(unplaced):>9,}   cannot be told, or spans zones"
            + (f"; {held:,} held back (saved with the rows not sent)" if held else "")
        )
        for item in unplaced[:EXAMPLES]:
            place = f" ({item.place})" if item.place else ""
            lines.append(f"    line {item.row.line}: {item.row.given!r}{place}: {item.reason}")
        if len(unplaced) > EXAMPLES:
            lines.append(f"    ... and {len(unplaced) - EXAMPLES:,} more")
    return lines


__all__ = ["EXAMPLES", "calling_lines", "preview_lines"]
