"""One browser tab of `wallboard serve`: the process textual-serve starts for each tab.

textual-serve starts a command per tab through the shell, so whatever is on that command
line shows in `ps` to every user of the machine. The tab's command therefore carries only
the public options (`--theme`, `--read-only`...); what the tab must not show, the
simulator's accesskey or a Redis URL with its password, comes in `TabPlan`, a JSON text in
the environment variable `WALLBOARD_SERVE_TAB`, which only the same user (and root) can
read. The variable is taken out of the environment at once, so nothing this process starts
inherits it.

A tab is one of three things (`TabPlan.mode`):

- `dashboard`: the floor screen on the profile's server, as `wallboard [options]`, but
  without the task-callback receiver: a second tab could not listen on the same port, and
  one receiver (in the `serve` process) serves them all through the shared campaign file.
- `demo`: the floor screen on the simulator that the `serve` process started once, with
  the demo's scratch campaign file: the demo's campaigns never join the user's own.
- `viewer`: `wallboard --redis URL [options]`, a viewer of the shared collector, which
  costs the vendor's server nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import sys
import zoneinfo
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias, get_args

from wallboard.commands.options import add_dashboard_options, add_profile_options

#: The environment variable that carries a tab's plan from `serve` to the tab.
PLAN_ENV = "WALLBOARD_SERVE_TAB"

TabMode: TypeAlias = Literal["dashboard", "demo", "viewer"]
_MODES: tuple[str, ...] = get_args(TabMode)


class PlanError(ValueError):
    """The plan in the environment cannot be used (the tab was not started by `serve`)."""


@dataclass(frozen=True, slots=True)
class TabPlan:
    """What `serve` tells each tab beyond its public options; the secrets never show in a
    repr. `url`, `appid`, `accesskey`, `registry` and `tz` are the demo's (its simulator,
    its scratch campaign file, its zone); `redis_url` is the viewer's collector."""

    mode: TabMode
    url: str | None = None
    appid: str | None = None
    accesskey: str | None = field(default=None, repr=False)
    registry: str | None = None
    tz: str | None = None
    redis_url: str | None = field(default=None, repr=False)

    def to_env(self) -> str:
        """The plan as the text of `PLAN_ENV`."""
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_env(cls, environ: MutableMapping[str, str]) -> TabPlan:
        """The plan in `PLAN_ENV`, which is removed from `environ`; PlanError when it is
        missing or not a plan."""
        text = environ.pop(PLAN_ENV, None)
        if not text:
            raise PlanError(
                f"{PLAN_ENV} is not set: this command is started by `wallboard serve`, "
                "once per browser tab"
            )
        try:
            data = json.loads(text)
        except ValueError:
            raise PlanError(f"{PLAN_ENV} is not JSON") from None
        if not isinstance(data, dict) or data.get("mode") not in _MODES:
            raise PlanError(f"{PLAN_ENV} names no tab mode ({', '.join(_MODES)})")
        return cls(mode=data["mode"], **_texts(data, cls._optional_keys()))

    @staticmethod
    def _optional_keys() -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(TabPlan) if f.name != "mode")


def _texts(data: Mapping[str, object], keys: Sequence[str]) -> dict[str, str | None]:
    """The plan's optional keys, each text or None; PlanError for anything else."""
    values: dict[str, str | None] = {}
    for key in keys:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise PlanError(f"{PLAN_ENV}: {key!r} must be text")
        values[key] = value
    return values


def build_parser() -> argparse.ArgumentParser:
    """The tab's public options: the profile's and the dashboard's, as `wallboard` has."""
    parser = argparse.ArgumentParser(
        prog="wallboard-serve-tab",
        description="One browser tab of `wallboard serve` (started by it, not by hand).",
    )
    add_profile_options(parser)
    add_dashboard_options(parser)
    return parser


def public_options(args: argparse.Namespace) -> list[str]:
    """The profile and dashboard options given to `serve`, as a tab's command line: the
    same names as `wallboard`'s, and nothing secret (a profile is named, never read out)."""
    line: list[str] = []
    for option, value in (
        ("--profile", getattr(args, "profile", None)),
        ("--config", getattr(args, "config", None)),
        ("--theme", getattr(args, "theme", None)),
    ):
        if value:
            line += [option, str(value)]
    refresh = getattr(args, "refresh", None)
    if refresh is not None:
        line += ["--refresh", repr(float(refresh))]
    queues = getattr(args, "queues", None)
    if queues:
        line += ["--queues", ",".join(queues)]
    for option, flag in (
        ("--read-only", getattr(args, "read_only", False)),
        ("--wall", getattr(args, "wall", False)),
        ("--no-bell", not getattr(args, "bell", True)),
    ):
        if flag:
            line.append(option)
    return line


def run_tab(plan: TabPlan, args: argparse.Namespace) -> int:
    """Run the tab's screen until it quits (the browser tab closed); the exit code."""
    if plan.mode == "viewer":
        from wallboard.commands import main

        if not plan.redis_url:
            print("wallboard serve: the viewer tab was given no Redis URL", file=sys.stderr)
            return 2
        return main(["--redis", plan.redis_url, *public_options(args)])
    if plan.mode == "demo":
        return _run_demo_tab(plan, args)
    return _run_dashboard_tab(args)


def _run_dashboard_tab(args: argparse.Namespace) -> int:
    """`wallboard [options]` on the profile's server, without the callback receiver."""
    import asyncio

    from wallboard.commands.dashboard import build_app, checked_themes, private_data_dir, serve
    from wallboard.commands.logfile import log_to_file
    from wallboard.commands.options import command_line
    from wallboard.commands.profile import profile_client
    from wallboard.commands.report import open_history
    from wallboard.commands.screen_state import ScreenMemory
    from wallboard.config import ConfigError
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.settings import load_settings

    try:
        settings = load_settings(command_line(args), need_profile=True)
        themes = checked_themes(settings)
        profile = settings.profile
        assert profile is not None  # need_profile
        client = profile_client(profile)
    except ConfigError as exc:
        print(f"wallboard: {exc}", file=sys.stderr)
        return 2
    if not private_data_dir():
        return 2
    log_to_file()
    history = open_history(settings)  # every tab folds into the one store, each bill once
    app = build_app(
        client,
        settings,
        registry=CampaignRegistry.default(),
        profile=profile.name or None,
        tz=profile.tz,
        themes=themes,
        memory=ScreenMemory.default(),
        history=history,
    )
    try:
        return asyncio.run(serve(app, client))
    finally:
        if history is not None:
            history.close()


def _run_demo_tab(plan: TabPlan, args: argparse.Namespace) -> int:
    """The floor screen on the `serve` process's simulator, as `wallboard demo` opens it."""
    import asyncio

    from wallboard.api.client import WallboardClient
    from wallboard.commands.dashboard import build_app, checked_themes, private_data_dir, serve
    from wallboard.commands.logfile import log_to_file
    from wallboard.commands.options import command_line
    from wallboard.commands.screen_state import ScreenMemory
    from wallboard.config import ConfigError
    from wallboard.live.audit import AuditLog
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.settings import load_settings

    if not (plan.url and plan.appid and plan.accesskey and plan.registry):
        print("wallboard serve: the demo tab was not told its simulator", file=sys.stderr)
        return 2
    try:
        settings = load_settings(command_line(args), need_profile=False)
        themes = checked_themes(settings)
        tz = _zone(plan.tz)
        client = WallboardClient(plan.url, plan.appid, plan.accesskey)
    except (ConfigError, ValueError) as exc:
        print(f"wallboard: {exc}", file=sys.stderr)
        return 2
    if not private_data_dir():
        return 2
    log_to_file()
    app = build_app(
        client,
        settings,
        registry=CampaignRegistry(Path(plan.registry)),
        audit=AuditLog(),
        tz=tz,
        themes=themes,
        memory=ScreenMemory.default(),
    )
    return asyncio.run(serve(app, client))


def _zone(name: str | None) -> dt.tzinfo | None:
    """The demo's zone by name (None: this machine's); ValueError for an unknown name."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{PLAN_ENV}: no time zone {name!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m wallboard.commands.tab [options]`, with the plan in the environment."""
    args = build_parser().parse_args(argv)
    try:
        plan = TabPlan.from_env(os.environ)
    except PlanError as exc:
        print(f"wallboard serve: {exc}", file=sys.stderr)
        return 2
    try:
        return run_tab(plan, args)
    except KeyboardInterrupt:
        return 130


__all__ = ["PLAN_ENV", "PlanError", "TabMode", "TabPlan", "build_parser", "main", "public_options"]
