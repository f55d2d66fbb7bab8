"""The screens beyond the floor, wired: call records, a new campaign, administration and
the history reports, each over the one client, registry, audit log and names the floor
uses (so that every action lands in the same audit file and every name reads the same)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wallboard.api.client import WallboardClient
    from wallboard.live.audit import AuditLog
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.live.history.feed import HistoryFeed
    from wallboard.live.names import AgentNames
    from wallboard.settings import Settings
    from wallboard.ui.desk import Desk


def build_desk(
    client: WallboardClient,
    settings: Settings,
    *,
    registry: CampaignRegistry | None,
    audit: AuditLog,
    names: AgentNames | None,
    profile: str | None,
    tz: dt.tzinfo | None,
    server_now: Callable[[], float],
    history: HistoryFeed | None = None,
) -> Desk:
    """Every screen a dashboard with its own server connection offers. `server_now` is the
    live model's clock on the server's time (the reports' "today"). Without a campaign
    registry (tests, benchmarks) there is no new campaign screen: it tracks what it makes."""
    from wallboard.commands.campaign import calling_rules
    from wallboard.live.admin import Administrator
    from wallboard.live.admin_groups import KnownGroups
    from wallboard.live.campaign_source import LiveCampaignSource
    from wallboard.live.history.report import StoreReports
    from wallboard.live.records import CallRecords
    from wallboard.live.records_browser import RecordsBrowser
    from wallboard.ui.desk import Desk

    read_only = settings.read_only or settings.wall_mode
    tasks = registry.tasks if registry is not None else tuple
    name_for = names.name_for if names is not None else None
    return Desk(
        records=RecordsBrowser(CallRecords(client, tz=tz, campaigns=tasks), names=name_for),
        campaigns=None
        if registry is None
        else LiveCampaignSource(
            client,
            registry,
            audit,
            read_only=read_only,
            rules=calling_rules(settings),
            tz=tz,
            region=settings.region,
        ),
        admin=Administrator(
            client,
            audit,
            read_only=read_only,
            registry=registry,
            groups=KnownGroups.default(),
            profile=profile,
        ),
        reports=None
        if history is None
        else StoreReports(
            history.store,
            tz=tz,
            clock=server_now,
            campaign_names=lambda: {task.taskid: task.name for task in tasks()},
            agent_names=name_for,
        ),
    )


__all__ = ["build_desk"]
