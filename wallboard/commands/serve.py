"""`wallboard serve`: the floor screen in web browsers, one screen per browser tab.

textual-serve runs one process per tab (`wallboard.commands.serve_tab`) and streams its
screen to the page. What each tab is:

- by default, a dashboard of its own on the profile's server (as `wallboard [options]`):
  every open tab polls the server, so for more than a few, use a collector;
- with `--redis URL`, a viewer of the shared collector (`wallboard collect`): any number of
  tabs cost the vendor's server nothing more;
- with `--demo`, a dashboard on the simulator this command starts once for all tabs.

The server listens on 127.0.0.1 unless `--host` says otherwise: textual-serve asks for no
password, so whoever reaches the port has the screen and, unless `--read-only`, its actions.
Secrets (the demo simulator's accesskey, a Redis password) never go on a tab's command line,
which every user of the machine can read in `ps`, nor into the page: they reach each tab
in its environment (`serve_tab.TabPlan`), readable by the same user alone.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shlex
import socket
import sys
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from wallboard.commands.demo import demo_problem
from wallboard.commands.options import Subparsers, add_dashboard_options, add_profile_options
from wallboard.commands.serve_tab import PLAN_ENV, TabMode, TabPlan, public_options
from wallboard.config import ConfigError

if TYPE_CHECKING:
    from wallboard.commands.serve_web import FloorServer
    from wallboard.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
REDIS_SCHEMES = ("redis", "rediss", "unix")

_DESCRIPTION = """\
Serve the floor screen to web browsers: each browser tab gets a screen of its own, the
same as in a terminal, keys included.

Without --redis each tab is a dashboard of its own and polls the server: a few tabs at
most. With --redis URL each tab is a viewer of the shared collector (wallboard collect),
and any number of tabs cost the server nothing more. --demo starts the simulator once
here and puts every tab on it.
"""

_HOST_HELP = (
    f"address to listen on (default {DEFAULT_HOST}: this machine only). The page asks for "
    "no password: whoever can reach the port sees the floor and, unless --read-only, can "
    "act on it. Listen elsewhere only behind something that checks who connects (a "
    "reverse proxy with a login, an SSH tunnel)"
)


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the floor screen to web browsers (a screen per tab)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_profile_options(parser, top=False)
    add_dashboard_options(parser, top=False)  # --redis among them: each tab is a viewer
    parser.add_argument("--host", default=DEFAULT_HOST, help=_HOST_HELP)
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 picks a free one"
    )
    parser.add_argument(
        "--public-url",
        default=None,
        metavar="URL",
        help="the address browsers use, when it is not http://HOST:PORT (behind a proxy)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the simulator here, once, and put every tab's dashboard on it",
    )
    demo = parser.add_argument_group("the demo's floor (with --demo)")
    demo.add_argument("--agents", type=int, default=40, help="agents on the simulated floor")
    demo.add_argument("--queue-count", type=int, default=3, help="simulated queues")
    demo.add_argument("--campaigns", type=int, default=2, help="running campaigns")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the floor")
    demo.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C (or SIGTERM); the exit code: 2 for bad options, 1 when the
    address cannot be used."""
    from wallboard.commands.dashboard import private_data_dir

    try:
        mode, settings = checked_options(args)
    except ConfigError as exc:
        print(f"wallboard serve: {exc}", file=sys.stderr)
        return 2
    if not private_data_dir():
        return 2
    from wallboard.commands.logfile import log_to_file
    from wallboard.serving import bind

    log_to_file()
    host: str = args.host.strip()
    try:
        sock = bind(host.strip("[]"), args.port, backlog=64)
    except OSError as exc:
        print(
            f"wallboard serve: cannot listen on {host}:{args.port} ({exc.strerror or exc})",
            file=sys.stderr,
        )
        return 1
    with contextlib.closing(sock), contextlib.ExitStack() as stack:
        if mode == "demo":
            try:
                plan = stack.enter_context(_demo_floor(args))
            except (OSError, RuntimeError) as exc:
                print(
                    f"wallboard serve: the demo's simulator did not start ({exc})", file=sys.stderr
                )
                return 1
        elif mode == "viewer":
            plan = TabPlan(mode="viewer", redis_url=_redis_url(args))
        else:
            plan = TabPlan(mode="dashboard")
            try:
                stack.enter_context(_shared_receiver(settings))
            except OSError as exc:
                print(f"wallboard serve: callback_listen: cannot listen ({exc})", file=sys.stderr)
                return 2
            except ValueError as exc:  # a path or an allowed network the receiver cannot use
                print(f"wallboard serve: callback receiver: {exc}", file=sys.stderr)
                return 2
        server = _floor_server(args, sock, settings, mode)
        if not _loopback_only(host):
            print(
                f"wallboard serve: listening on {host}, not this machine alone: anyone who "
                "reaches it sees the floor"
                + ("" if settings.read_only else " and can act on it (see --read-only)"),
                file=sys.stderr,
            )
        print(f"wallboard serve: the floor is at {server.public_url}/ (Ctrl+C stops)", flush=True)
        with _tab_environment(plan):
            return _serve(server, sock)


def checked_options(args: argparse.Namespace) -> tuple[TabMode, Settings]:
    """The tabs' mode (dashboard, demo, viewer) and the settings, checked as each tab
    will read them, so that a mistake is one line here rather than a blank page per tab."""
    from wallboard.commands.dashboard import checked_themes
    from wallboard.commands.options import command_line
    from wallboard.settings import load_settings

    redis = getattr(args, "redis", None)
    if args.demo and redis is not None:
        raise ConfigError("--demo and --redis do not go together: the demo has no collector")
    if not 0 <= args.port <= 65535:
        raise ConfigError("--port must be from 0 to 65535 (0 picks a free one)")
    if not args.host.strip():
        raise ConfigError(f"--host must not be empty (e.g. {DEFAULT_HOST})")
    if args.public_url is not None:
        parts = urllib.parse.urlsplit(args.public_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"--public-url must be an http:// or https:// address, got {args.public_url!r}"
            )
    if redis is not None:
        _redis_url(args)
    mode: TabMode = "demo" if args.demo else "viewer" if redis is not None else "dashboard"
    if mode == "demo":
        problem = demo_problem(args)
        if problem:
            raise ConfigError(problem)
    settings = load_settings(command_line(args), need_profile=mode == "dashboard")
    checked_themes(settings)
    return mode, settings


def _redis_url(args: argparse.Namespace) -> str:
    """`--redis`'s URL, checked for its shape alone (the viewer connects)."""
    url = str(getattr(args, "redis", "")).strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in REDIS_SCHEMES or not (parts.netloc or parts.path):
        raise ConfigError(
            "--redis must be a Redis URL, e.g. redis://127.0.0.1:6379/0 (or rediss://, unix://)"
        )
    return url


def _loopback_only(host: str) -> bool:
    from wallboard.commands.serve_web import is_loopback

    return is_loopback(host)


def _floor_server(
    args: argparse.Namespace, sock: socket.socket, settings: Settings, mode: TabMode
) -> FloorServer:
    """The web server for the bound `sock`: the tabs' command, the names it answers to."""
    from wallboard.commands.serve_web import (
        LOOPBACK_NAMES,
        FloorServer,
        hostname_of,
        is_loopback,
        is_wildcard,
    )
    from wallboard.serving import url_of

    host: str = args.host.strip()
    port = sock.getsockname()[1]
    public_url: str = (args.public_url or "").strip().rstrip("/")
    if not public_url:
        shown = socket.gethostname() if is_wildcard(host) else host
        public_url = url_of(sock) if not is_wildcard(host) else f"http://{shown}:{port}"
    hosts: set[str] | None = None
    if not is_wildcard(host):
        hosts = {name for name in (hostname_of(host), host.lower().strip("[]")) if name}
        if is_loopback(host):
            hosts |= LOOPBACK_NAMES
        public = urllib.parse.urlsplit(public_url).hostname
        if public:
            hosts.add(public.lower())
    command = shlex.join([sys.executable, "-m", "wallboard.commands.tab", *public_options(args)])
    title = "wallboard demo" if mode == "demo" else "wallboard"
    if settings.profile is not None and settings.profile.name:
        title = f"wallboard: {settings.profile.name}"
    return FloorServer(command, public_url=public_url, hosts=hosts, title=title)


@contextlib.contextmanager
def _demo_floor(args: argparse.Namespace) -> Iterator[TabPlan]:
    """The simulator, started once for every tab, with the demo's scratch campaign file
    (never the user's) and one task-callback receiver on it: yields the tabs' plan."""
    from wallboard.commands.dashboard import callback_receiver
    from wallboard.commands.demo import demo_server, track_demo_campaigns
    from wallboard.live.campaigns import CampaignRegistry

    company: list[str] = []
    with tempfile.TemporaryDirectory(prefix="wallboard-serve-demo-") as scratch:
        registry_path = Path(scratch) / "campaigns.json"
        registry = CampaignRegistry(registry_path)
        with (
            callback_receiver(
                registry, ("127.0.0.1", 0), company_code=lambda: company[0] if company else None
            ) as receiver,
            demo_server(
                seed=args.seed,
                agents=args.agents,
                queues=args.queue_count,
                campaigns=args.campaigns,
                speed=args.speed,
                task_callback_url=receiver.url if receiver else None,
            ) as (sim, url),
        ):
            # The company code a Login to the simulator returns: its task callbacks carry it.
            company.append(sim.floor.companycode)
            track_demo_campaigns(sim, registry)
            yield TabPlan(
                mode="demo",
                url=url,
                appid=sim.appid,
                accesskey=sim.accesskey,
                registry=str(registry_path),
                tz=_zone_name(sim.tz),
            )


@contextlib.contextmanager
def _shared_receiver(settings: Settings) -> Iterator[None]:
    """The profile's task-callback receiver, once for every tab: each tab's dashboard
    would try to listen on the same `callback_listen`, and only the first could. The
    tabs read what it learns from the campaign file they share (the user's own).

    It needs the company code of a Login to the server: learnt by a thread of its own,
    tried again every `LOGIN_RETRY` seconds until the server answers; until then the
    receiver answers 503, and the server posts again later. Raises OSError when the
    address cannot be used, ValueError when the path or a network cannot."""
    from wallboard.commands.dashboard import callback_receiver
    from wallboard.live.campaigns import CampaignRegistry

    profile = settings.profile
    if profile is None or profile.callback_listen is None:
        yield
        return
    company: list[str] = []
    stop = threading.Event()
    with callback_receiver(
        CampaignRegistry.default(),
        profile.callback_listen,
        company_code=lambda: company[0] if company else None,
        path=profile.callback_path,
        allow=profile.callback_allow,
    ):
        learner = threading.Thread(
            target=_learn_company_code,
            args=(profile.url, profile.appid, profile.accesskey, company, stop),
            name="wallboard-serve-login",
            daemon=True,
        )
        learner.start()
        try:
            yield
        finally:
            stop.set()
            learner.join(timeout=5.0)


#: Seconds between two Logins of the shared receiver while the server does not answer.
LOGIN_RETRY = 30.0


def _learn_company_code(
    url: str, appid: str, accesskey: str, company: list[str], stop: threading.Event
) -> None:
    """Log in until the server answers, then put its company code in `company`."""
    import asyncio
    import logging

    from wallboard.api.client import WallboardClient

    log = logging.getLogger("wallboard.serve")

    async def login() -> str | None:
        async with WallboardClient(url, appid, accesskey) as client:
            await client.login()
            return client.company_code

    while not stop.is_set():
        try:
            code = asyncio.run(login())
        except Exception as exc:  # any failure is retried: the receiver waits with 503
            log.warning("the callback receiver's Login failed (%s); trying again", exc)
        else:
            if code:
                company.append(code)
                return
            log.warning("the server's Login gave no company code; trying again")
        stop.wait(LOGIN_RETRY)


def _zone_name(tz: dt.tzinfo | None) -> str | None:
    """The IANA name of the simulator's zone, for the tabs (None: this machine's)."""
    if tz is None:
        return None
    key = getattr(tz, "key", None)
    if isinstance(key, str):
        return key
    return "UTC" if tz.utcoffset(None) == dt.timedelta(0) else None


@contextlib.contextmanager
def _tab_environment(plan: TabPlan) -> Iterator[None]:
    """The plan in this process's environment while serving: textual-serve hands each tab
    a copy of it (and nothing else a tab could be told, but its command line, is private)."""
    before = os.environ.get(PLAN_ENV)
    os.environ[PLAN_ENV] = plan.to_env()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PLAN_ENV, None)
        else:
            os.environ[PLAN_ENV] = before


def _serve(server: FloorServer, sock: socket.socket) -> int:
    """Serve until SIGINT or SIGTERM; then every tab is closed and its process quits."""
    import asyncio
    import signal

    async def serving() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        try:
            await server.serve_on(sock, stop)
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)

    asyncio.run(serving())
    print("wallboard serve: stopped", flush=True)
    return 0


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "add_parser",
    "checked_options",
    "run",
    "standalone_parser",
]


def standalone_parser() -> argparse.ArgumentParser:
    """`wallboard` with `serve` alone among its commands: for running and testing this
    module on its own (`python -m wallboard.commands.serve [options]`)."""
    parser = argparse.ArgumentParser(prog="wallboard")
    add_profile_options(parser)
    add_dashboard_options(parser)
    add_parser(parser.add_subparsers(dest="command"))
    return parser


if __name__ == "__main__":
    try:
        sys.exit(run(standalone_parser().parse_args(["serve", *sys.argv[1:]])))
    except KeyboardInterrupt:
        sys.exit(130)
