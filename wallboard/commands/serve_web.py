"""The web side of `wallboard serve`: textual-serve's server, guarded and on our own socket.

textual-serve gives each browser tab a process running a command, and the page a
WebSocket that types into it. Two things it leaves to us:

- **Who may drive a tab.** A WebSocket is not bound by the browser's same-origin rule:
  any web page the supervisor opens could connect to `ws://127.0.0.1:PORT/ws` and press
  keys on the floor (pause a campaign, hang up a call). So a WebSocket is refused unless
  its `Origin` is the page's own, and every request is refused unless its `Host` is a name
  the server answers to (a page on another site that renames itself 127.0.0.1 through its
  DNS, "DNS rebinding", then names the wrong host).
- **The socket.** It is bound before anything starts (a taken port is one clear line),
  port 0 picks a free one, and the page's WebSocket address is built from the port really
  bound. Stopping closes every tab, so that each tab's process quits with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import logging
import socket
import threading
import urllib.parse
from collections.abc import Collection

from aiohttp import web
from textual_serve.server import Server

log = logging.getLogger("wallboard.serve")

#: Names under which this machine reaches a server bound to loopback.
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
#: How long the tabs' processes get to quit when the server stops, in seconds.
TAB_STOP_SECONDS = 5.0


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address) is this machine alone."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """Whether `host` is every address of the machine (0.0.0.0, ::)."""
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_unspecified
    except ValueError:
        return False


def hostname_of(netloc: str) -> str | None:
    """The host name of `host[:port]` (lower case, IPv6 without brackets), or None."""
    return endpoint_of("//" + netloc.strip())[0]


def endpoint_of(url: str) -> tuple[str | None, int | None]:
    """(host name, port) of `scheme://host[:port]` (the scheme's port when none is
    written); (None, None) for anything else."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None, None
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.hostname.lower() if parts.hostname else None), port


class FloorServer(Server):
    """textual-serve's server with the guards above, and a page that names no command.

    `hosts` are the names a request's `Host` may carry; None accepts any (a server bound
    to every address cannot know all the names it is reached by)."""

    def __init__(
        self, command: str, *, public_url: str, hosts: Collection[str] | None, title: str
    ) -> None:
        super().__init__(command, public_url=public_url, title=title)
        self.hosts = frozenset(name.lower() for name in hosts) if hosts is not None else None
        self._tabs: set[asyncio.Task[object]] = set()

    def refusal(self, request: web.Request, *, websocket: bool) -> str | None:
        """Why this request may not be served, or None.

        The `Host` must be one of `hosts`; a WebSocket's `Origin` (which a browser always
        sends) must be this server's own page: one of `hosts` on the port this server
        answers on (`request.host`'s), or the public URL."""
        host = request.headers.get("Host", "")
        name, port = endpoint_of(f"{request.scheme}://{host}")
        if self.hosts is not None and name not in self.hosts:
            return f"host {host!r} is not one this server answers to"
        origin = request.headers.get("Origin")
        if websocket and origin is not None:
            pages = {endpoint_of(self.public_url)}
            pages |= {(known, port) for known in (self.hosts or {name}) if known}
            page = endpoint_of(origin)
            if page[0] is None or page not in pages:
                return f"a page from {origin!r} may not open a tab here"
        return None

    async def on_startup(self, app: web.Application) -> None:
        """Say nothing: `wallboard serve` prints its own line (textual-serve prints a logo
        and the command, which must not show)."""

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        problem = self.refusal(request, websocket=False)
        if problem:
            log.warning("refused the page: %s", problem)
            raise web.HTTPForbidden(text=problem)
        page: web.StreamResponse = await super().handle_index(request)
        return page

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        problem = self.refusal(request, websocket=True)
        if problem:
            log.warning("refused a tab: %s", problem)
            raise web.HTTPForbidden(text=problem)
        task = asyncio.current_task()
        if task is not None:
            self._tabs.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            if task is not None:
                self._tabs.discard(task)

    async def close_tabs(self, timeout: float = TAB_STOP_SECONDS) -> None:
        """Close every open tab: textual-serve then tells each tab's process to quit and
        waits for it."""
        tabs = list(self._tabs)
        for task in tabs:
            task.cancel()
        if tabs:
            await asyncio.wait(tabs, timeout=timeout)

    async def serve_on(self, sock: socket.socket, stop: asyncio.Event) -> None:
        """Serve on the listening `sock` until `stop` is set, then close the tabs."""
        app = await self._make_app()
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            await stop.wait()
        finally:
            await self.close_tabs()
            with contextlib.suppress(Exception):
                await runner.cleanup()
            await _tabs_reaped()


async def _tabs_reaped(timeout: float = TAB_STOP_SECONDS) -> None:
    """Wait, while the loop still runs, until the tabs' processes that quit are reaped,
    then let their pipes go: textual-serve never waits for its processes, and a pipe
    collected after the loop closed says so in a traceback on stderr.

    Python 3.11 reaps each child in a thread named `waitpid-N`; later versions on Linux
    need no thread, and then there is nothing to wait for."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline and any(
        thread.name.startswith("waitpid-") for thread in threading.enumerate()
    ):
        await asyncio.sleep(0.05)
    gc.collect()
    await asyncio.sleep(0)


__all__ = [
    "LOOPBACK_NAMES",
    "FloorServer",
    "endpoint_of",
    "hostname_of",
    "is_loopback",
    "is_wildcard",
]
