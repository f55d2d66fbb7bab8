"""The screens beyond the floor, and what each reads: the composition root fills in what
this dashboard can offer, and a screen with no source says why instead of opening (a viewer
of a shared floor has no server connection of its own)."""

from __future__ import annotations

from dataclasses import dataclass

from wallboard.ui.admin_menu import Administration
from wallboard.ui.campaign_screen import CampaignSource
from wallboard.ui.records_screen import RecordsSource
from wallboard.ui.report_screen import ReportSource


@dataclass(frozen=True, slots=True)
class Desk:
    records: RecordsSource | None = None
    campaigns: CampaignSource | None = None
    admin: Administration | None = None
    reports: ReportSource | None = None


__all__ = ["Desk"]
