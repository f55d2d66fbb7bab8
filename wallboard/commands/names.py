"""`wallboard names`: check the agents file, or write a first one from the server.

The agents file (`wallboard.live.names`) gives people's names to extensions. Typing one for
hundreds of agents from nothing is a chore, so `--from-server` writes one with every
extension the server has (GetSipnumberInfo, status 3: enabled and disabled) and, as a
start, the queues' `seatsname` where the server gives one (GetQueueSipStatus); the
supervisor then fills in the names. GetSipnumberInfo also answers every extension's
password: the client drops it on arrival (API-NOTES decision 7), so it never reaches the
file or the screen.

Exit codes: 0 done; 1 the file cannot be used or written, or the server could not be read;
2 a mistake on the command line or in the settings. Always one line on stderr, no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from wallboard.commands.options import Subparsers, add_profile_options, command_line
from wallboard.config import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from wallboard.api.client import WallboardClient
    from wallboard.live.names import AgentName, AgentNames
    from wallboard.settings import Settings

#: `--output -`: the file's text goes to stdout.
STDOUT = "-"
#: The mode of a written agents file: it holds names, no secret, and others may read it.
FILE_MODE = 0o644

EXIT_DONE = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_COMMENT = (
    "Agents' names for wallboard: extnumber,name[,team] (a header row, '#' comments).\n"
    "Written by `wallboard names --from-server` with every extension of the server; the\n"
    "names are the server's seatsname where it has one. Put each person's name in the\n"
    "name column (an empty one shows the server's), and a team if you like."
)


def add_parser(subparsers: Subparsers) -> None:
    names = subparsers.add_parser(
        "names",
        help="check the agents file (names by extension), or write one from the server",
        description=(
            "Without --from-server: read the agents file the settings name ([agents] names, "
            "else agents.csv in the config dir) and say how many agents it names, or what "
            "is wrong with it. With --from-server: write a first agents file with every "
            "extension of the profile's server, to fill in the names."
        ),
        epilog=(
            "exit codes: 0 done; 1 the file cannot be used or written, or the server "
            "could not be read; 2 a mistake on the command line or in the settings"
        ),
    )
    add_profile_options(names, top=False)
    names.add_argument(
        "--from-server",
        action="store_true",
        help="write an agents file with the server's extensions (never their passwords)",
    )
    names.add_argument(
        "--output",
        metavar="FILE",
        default=None,
        help="where --from-server writes ('-': stdout; default: the settings' agents file)",
    )
    names.add_argument(
        "--force", action="store_true", help="replace the file when it exists already"
    )


def run(args: argparse.Namespace) -> int:
    """`wallboard names [--from-server [--output FILE] [--force]]`."""
    if args.from_server:
        return _from_server(args)
    if args.output is not None or args.force:
        _error("--output and --force go with --from-server")
        return EXIT_USAGE
    return _check(args)


def agent_names(settings: Settings) -> AgentNames:
    """The names the live model shows, from the settings' agents file: what the composition
    root builds and hands to the live model. Never raises: `problem` says what is wrong."""
    from wallboard.live.names import AgentNames

    return AgentNames(settings.agents_file, required=settings.agents_file_named)


def _check(args: argparse.Namespace) -> int:
    from wallboard.live.names import AgentNamesError, read_agent_names
    from wallboard.settings import load_settings

    try:
        settings = load_settings(command_line(args), need_profile=False)
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    path = settings.agents_file
    if path is None or (not settings.agents_file_named and not path.exists()):
        _error(
            f"no agents file ({path}): write one with `wallboard names --from-server`, "
            f"or name one in config.toml ([agents] names)"
        )
        return EXIT_FAILED
    try:
        agents = read_agent_names(path)
    except AgentNamesError as exc:
        _error(str(exc))
        return EXIT_FAILED
    named = sum(1 for agent in agents.values() if agent.name)
    teams = len({agent.team for agent in agents.values() if agent.team})
    print(
        f"{path}: {len(agents):,} extensions, {named:,} with a name, "
        f"{teams:,} team{'s' if teams != 1 else ''}"
    )
    return EXIT_DONE


def _from_server(args: argparse.Namespace) -> int:
    import asyncio

    from wallboard.api.errors import ApiError
    from wallboard.commands.profile import profile_client
    from wallboard.config import write_atomically
    from wallboard.live.names import agents_csv
    from wallboard.settings import load_settings

    try:
        settings = load_settings(command_line(args), need_profile=True)
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    profile = settings.profile
    assert profile is not None  # need_profile
    target = _target(args.output, settings)
    if target is None:
        _error("no file to write: give --output FILE")
        return EXIT_USAGE
    if isinstance(target, Path) and target.exists() and not args.force:
        _error(f"{target} exists: add --force to replace it")
        return EXIT_FAILED
    try:
        client = profile_client(profile)
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    try:
        agents, skipped = asyncio.run(_read_server(client))
    except ApiError as exc:
        _error(f"the server could not be read: {exc}")
        return EXIT_FAILED
    text = agents_csv(agents, comment=_COMMENT)
    if target == STDOUT:
        sys.stdout.write(text)
    else:
        assert isinstance(target, Path)
        try:
            write_atomically(target, text, mode=FILE_MODE, replace=bool(args.force))
        except FileExistsError:
            _error(f"{target} exists: add --force to replace it")
            return EXIT_FAILED
        except OSError as exc:
            _error(f"cannot write {target}: {exc.strerror or exc}")
            return EXIT_FAILED
        named = sum(1 for agent in agents if agent.name)
        print(
            f"wrote {len(agents):,} extensions ({named:,} named from the server's seatsname) "
            f"to {target}: put each person's name in the name column"
        )
    if skipped:
        shown = ", ".join(skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        _error(f"left out {len(skipped)} extensions that are not digits: {shown}")
    return EXIT_DONE


def _target(output: str | None, settings: Settings) -> Path | str | None:
    if output == STDOUT:
        return STDOUT
    if output:
        return Path(output).expanduser()
    return settings.agents_file


async def _read_server(client: WallboardClient) -> tuple[list[AgentName], list[str]]:
    """Every extension of the server, with the queues' seatsname where one is known, in
    extension order; and the extensions left out (not digits: no agents file can hold
    them)."""
    async with client:
        extensions = await client.extensions(status=3)
        rows = await client.queue_agents()
    return server_agents(
        (extension.extnumber for extension in extensions),
        ((row.queuename, row.extnumber, row.seatsname) for row in rows),
    )


def server_agents(
    extnumbers: Iterable[str], seats: Iterable[tuple[str, str, str]]
) -> tuple[list[AgentName], list[str]]:
    """The agents file's rows from the server's extensions and its queue rows
    (queuename, extnumber, seatsname): each extension once, named by the first seatsname in
    queue order (an agent in two queues may have two) that is not the server's technical
    `<crmid>_<extnumber>_<queue>` pattern, in extension order; and the
    extensions left out because an agents file cannot hold them."""
    from wallboard.live.names import AgentName, clean_name, is_extnumber

    names: dict[str, str] = {}
    for queue, extnumber, seatsname in sorted(seats):
        name = clean_name(seatsname)
        head, _, rest = name.partition("_")
        if head.isdigit() and rest == f"{extnumber.strip()}_{queue}":
            continue  # the server's technical `<crmid>_<ext>_<queue>` seat name: no person's
        if name and not names.get(extnumber.strip()):
            names[extnumber.strip()] = name
    every = {ext.strip() for ext in extnumbers if ext.strip()} | set(names)
    kept = sorted((ext for ext in every if is_extnumber(ext)), key=lambda ext: (len(ext), ext))
    skipped = sorted(ext for ext in every if not is_extnumber(ext))
    return [AgentName(ext, names.get(ext, "")) for ext in kept], skipped


def _error(message: str) -> None:
    print(f"wallboard names: {message}", file=sys.stderr)


__all__ = ["add_parser", "agent_names", "run", "server_agents"]
