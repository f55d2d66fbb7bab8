"""Serving an ASGI app with uvicorn: on a socket of our own, in the foreground or in a thread.

The simulator and the callback receiver both need this, and both need the same care: bind
first (so that a taken port is a clear OSError before anything starts), TCP_NODELAY on every
answer, a thread that says when it is serving instead of being polled, a stop that never
hangs, and a way to cut one connection without an answer (the simulator's `drop` fault).
Neither `wallboard.sim` nor `wallboard.live` depends on the other; both depend on this.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Literal

import uvicorn
from starlette.types import ASGIApp, Scope
from uvicorn.protocols.http.h11_impl import H11Protocol

Lifespan = Literal["auto", "on", "off"]
_Address = tuple[str, int]

#: Open connections of the servers this module runs, so that `connection_of` finds the one
#: under a request and the simulator's `drop` fault can close it without an answer:
#: (client address, server address) -> transport. Only touched from the servers' event
#: loops; each key is unique to one connection.
_CONNECTIONS: dict[tuple[_Address, _Address], asyncio.Transport] = {}


class _TrackedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, remembering each connection's transport (for `drop`)."""

    _wallboard_key: tuple[_Address, _Address] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wallboard_key = _address_key(transport)
        if self._wallboard_key is not None:
            _CONNECTIONS[self._wallboard_key] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self._wallboard_key is not None:
            _CONNECTIONS.pop(self._wallboard_key, None)
        super().connection_lost(exc)


def _address_key(transport: asyncio.BaseTransport) -> tuple[_Address, _Address] | None:
    peer = transport.get_extra_info("peername")
    local = transport.get_extra_info("sockname")
    if not isinstance(peer, tuple) or not isinstance(local, tuple):
        return None
    return (str(peer[0]), int(peer[1])), (str(local[0]), int(local[1]))


def connection_of(scope: Scope) -> asyncio.Transport | None:
    """The transport under a request served here, or None (in process: no socket)."""
    client, server = scope.get("client"), scope.get("server")
    if not client or not server or client[1] is None or server[1] is None:
        return None
    key = ((str(client[0]), int(client[1])), (str(server[0]), int(server[1])))
    return _CONNECTIONS.get(key)


def bind(host: str, port: int, *, backlog: int = 512) -> socket.socket:
    """A listening socket (port 0 picks a free one); OSError when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP, and without it every answer waits for a delayed ACK (40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    """`http://host:port` of a listening socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class AppServer(uvicorn.Server):
    """uvicorn's server, with `ready`: set once it has started (or given up starting), so
    that a thread waiting for it needs no polling."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


def app_server(app: ASGIApp, *, lifespan: Lifespan = "on") -> AppServer:
    """An `AppServer` for an ASGI app: quiet, connections trackable by `connection_of`."""
    config = uvicorn.Config(
        app,
        http=_TrackedH11Protocol,
        lifespan=lifespan,
        log_level="warning",
        access_log=False,
        # The peer is who connected: a client's X-Forwarded-For must not change the address
        # that `connection_of` looks the connection up by.
        proxy_headers=False,
        timeout_graceful_shutdown=2,
    )
    return AppServer(config)


class ServerThread:
    """An app served by uvicorn on its own thread; `stop()` ends it and frees the port."""

    def __init__(self, server: AppServer, thread: threading.Thread, sock: socket.socket) -> None:
        self._server = server
        self._thread = thread
        self.socket = sock
        self.url = url_of(sock)

    def __repr__(self) -> str:
        return f"ServerThread(url={self.url!r}, running={self.running})"

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening and wait for the thread (a request under way may finish)."""
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self.socket.close()


def start_in_thread(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    lifespan: Lifespan = "on",
    name: str = "wallboard-server",
    startup_timeout: float = 10.0,
) -> ServerThread:
    """Serve `app` on host:port (0: a free port) in a daemon thread; returns once it listens.

    Raises OSError when the address cannot be used (a port taken, a host not on this
    machine), RuntimeError when the server does not start in time."""
    sock = bind(host, port)
    server = app_server(app, lifespan=lifespan)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # SystemExit from a failed startup too; reported below
            failure.append(exc)
        finally:
            server.ready.set()  # it may never have got as far as starting

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    server.ready.wait(startup_timeout)
    if not server.started:
        server.should_exit = True
        thread.join(5.0)
        sock.close()
        reason = type(failure[0]).__name__ if failure else "timed out"
        raise RuntimeError(f"the server did not start ({reason})")
    return ServerThread(server, thread, sock)


@contextlib.contextmanager
def serve_in_thread(
    app: ASGIApp, host: str = "127.0.0.1", port: int = 0, *, lifespan: Lifespan = "on"
) -> Iterator[str]:
    """`start_in_thread` as a context: yields the base URL, stops on exit."""
    running = start_in_thread(app, host, port, lifespan=lifespan)
    try:
        yield running.url
    finally:
        running.stop()


def serve_forever(app: ASGIApp, sock: socket.socket, *, lifespan: Lifespan = "on") -> None:
    """Serve `app` on an already bound socket in this thread until Ctrl+C or a signal."""
    server = app_server(app, lifespan=lifespan)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(sockets=[sock]))


__all__ = [
    "AppServer",
    "ServerThread",
    "app_server",
    "bind",
    "connection_of",
    "serve_forever",
    "serve_in_thread",
    "start_in_thread",
    "url_of",
]
