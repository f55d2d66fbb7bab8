"""The options several commands share, and the command line's layer of the settings.

The profile and dashboard options may be given before or after the subcommand
(`wallboard --read-only demo` and `wallboard demo --read-only` mean the same): on a
subcommand their defaults are suppressed, so that an option given before it is kept.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from wallboard.settings import CommandLine

#: What `ArgumentParser.add_subparsers()` returns: each command module adds its parser to it.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def csv_list(value: str) -> list[str]:
    """`a, b,c` -> ["a", "b", "c"]."""
    return [part.strip() for part in value.split(",") if part.strip()]


def add_profile_options(parser: argparse.ArgumentParser, top: bool = True) -> None:
    unset = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--profile", default=unset, help="profile name in config.toml (or WALLBOARD_PROFILE)"
    )
    parser.add_argument(
        "--config",
        default=unset,
        metavar="PATH",
        help="config file (default: the user config dir's config.toml)",
    )


def add_queues_option(parser: argparse.ArgumentParser, top: bool = True) -> None:
    """`--queues A,B`: every figure is about these queues only."""
    parser.add_argument(
        "--queues",
        type=csv_list,
        default=None if top else argparse.SUPPRESS,
        metavar="A,B",
        help="show only these queues",
    )


def add_dashboard_options(parser: argparse.ArgumentParser, top: bool = True) -> None:
    """The screen's options; each overrides the config file and the environment."""
    unset = None if top else argparse.SUPPRESS
    add_queues_option(parser, top)
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="hide and refuse every action that changes the floor",
    )
    parser.add_argument(
        "--theme", default=unset, help="theme name: default, high-contrast, or your own"
    )
    parser.add_argument(
        "--refresh",
        type=float,
        default=unset,
        metavar="SECONDS",
        help="fast poll interval (default 1.5 s)",
    )
    parser.add_argument(
        "--wall",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="the wall screen: big figures read across the room, no keys (read-only)",
    )
    add_redis_option(
        parser,
        top,
        "view the floor a collector (`wallboard collect`) publishes there, polling nothing",
    )
    parser.add_argument(
        "--no-bell",
        dest="bell",
        action="store_false",
        default=True if top else argparse.SUPPRESS,
        help="do not ring the terminal bell when an alert is raised",
    )


def add_redis_option(parser: argparse.ArgumentParser, top: bool = True, help: str = "") -> None:
    """`--redis URL`: the Redis of a shared floor (redis://host:port/db, rediss://, unix://)."""
    parser.add_argument(
        "--redis",
        default=None if top else argparse.SUPPRESS,
        metavar="URL",
        help=help or "the Redis of the shared floor, e.g. redis://127.0.0.1:6379/0",
    )


def command_line(args: argparse.Namespace) -> CommandLine:
    """The settings' command-line layer from parsed arguments (absent options: not set).

    `--wall` implies `--read-only` here, at the root, so that the live model and the
    supervisor are built read-only too, not only the screen: a wall has no keyboard."""
    from wallboard.settings import CommandLine

    config = getattr(args, "config", None)
    wall = bool(getattr(args, "wall", False))
    return CommandLine(
        config=Path(config) if config else None,
        profile=getattr(args, "profile", None),
        theme=getattr(args, "theme", None),
        refresh=getattr(args, "refresh", None),
        queues=getattr(args, "queues", None),
        read_only=bool(getattr(args, "read_only", False)) or wall,
        wall=wall,
        bell=None if getattr(args, "bell", True) else False,
    )


__all__ = [
    "Subparsers",
    "add_dashboard_options",
    "add_profile_options",
    "add_queues_option",
    "add_redis_option",
    "command_line",
    "csv_list",
]
