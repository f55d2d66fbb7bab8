"""`wallboard serve --redis URL`: every browser tab is a viewer of the shared collector, and
costs the vendor's server nothing. A real redis-server, a simulator, `wallboard collect` and
`wallboard serve` each run on a free loopback port; the tabs are WebSocket clients, as the
page's script is. (The browser itself is `test_serve_browser.py`.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from fixtures.redis_server import RedisServer, redis_server  # noqa: F401  (a fixture)
from test_serve import WAIT, command_lines, screen_until, tab_plans

from wallboard.commands.demo import demo_server
from wallboard.sim.server import Simulator

ROOT = Path(__file__).resolve().parent.parent
LOGIN = "App.Sip_Auth.Login"


def wallboard(command: str) -> list[str]:
    """`wallboard COMMAND` as a command line: through `wallboard` once the command is
    registered there, else through the command's own module."""
    from wallboard import commands

    if command in commands._commands():
        return [sys.executable, "-m", "wallboard.cli", command]
    if command == "serve":
        return [sys.executable, "-m", "wallboard.commands.serve"]
    script = (
        "import argparse, sys\n"
        f"from wallboard.commands import {command} as command\n"
        "parser = argparse.ArgumentParser(prog='wallboard')\n"
        "command.add_parser(parser.add_subparsers(dest='command'))\n"
        f"sys.exit(command.run(parser.parse_args(['{command}', *sys.argv[1:]])))\n"
    )
    return [sys.executable, "-c", script]


def stopped(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def shared_floor(
    tmp_path: Path,
    redis_server: RedisServer,  # noqa: F811
) -> Iterator[tuple[Simulator, str, subprocess.Popen[str]]]:
    """A simulator, its collector on a redis-server, and `wallboard serve --redis` on that
    Redis: yields the simulator, the page's URL and the serve process."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("WALLBOARD_") and key not in ("TEXTUAL", "TEXTUAL_DRIVER")
    }
    env["WALLBOARD_CONFIG_DIR"] = str(tmp_path / "config")
    with demo_server(agents=20, queues=2, campaigns=0) as (sim, url):
        collector = subprocess.Popen(
            [*wallboard("collect"), "--redis", redis_server.url, "--refresh", "0.5"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(
                env,
                WALLBOARD_DATA_DIR=str(tmp_path / "collector"),
                WALLBOARD_URL=url,
                WALLBOARD_APPID=sim.appid,
                WALLBOARD_ACCESSKEY=sim.accesskey,
                WALLBOARD_TZ="UTC",
            ),
            cwd=ROOT,
        )
        serving = subprocess.Popen(
            [*wallboard("serve"), "--port", "0", "--redis", redis_server.url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(env, WALLBOARD_DATA_DIR=str(tmp_path / "serve")),
            cwd=ROOT,
        )
        try:
            assert serving.stdout is not None
            line = serving.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if match is None:
                serving.kill()
                pytest.fail(f"wallboard serve did not start: {line!r} {serving.communicate()}")
            yield sim, match.group(1), serving
        finally:
            stopped(serving)
            stopped(collector)


async def test_tabs_are_viewers_that_cost_the_server_nothing(
    shared_floor: tuple[Simulator, str, subprocess.Popen[str]],
    redis_server: RedisServer,  # noqa: F811
) -> None:
    sim, url, serving = shared_floor
    async with aiohttp.ClientSession() as session:
        tabs = [
            await session.ws_connect(url + "/ws?width=150&height=45", headers={"Origin": url})
            for _ in range(3)
        ]
        try:
            for ws in tabs:
                await screen_until(ws, "autocall-sales", "agents:")
            plans = tab_plans(serving.pid)
            assert {plan["mode"] for plan in plans} == {"viewer"}
            # The Redis URL (which may hold a password) reaches the tabs in their
            # environment, never on a command line.
            assert not [
                line for line in command_lines() if b"commands.tab" in line and b"redis" in line
            ]
            # Three tabs on the floor, and only the collector ever logged in to the server.
            assert sim.stats()["services"][LOGIN] == 1
        finally:
            for ws in tabs:
                await ws.close()
