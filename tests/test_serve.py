"""`wallboard serve` without a browser: its options, the tabs' plan, the guards on who may
open a tab, and the demo served end to end to a WebSocket client (what the page's script
does), with its secrets kept out of every command line and out of the page.

The browser itself is `test_serve_browser.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from wallboard.commands import serve
from wallboard.commands.serve_tab import (
    PLAN_ENV,
    PlanError,
    TabPlan,
    build_parser,
    public_options,
)
from wallboard.commands.serve_web import (
    LOOPBACK_NAMES,
    FloorServer,
    endpoint_of,
    hostname_of,
    is_loopback,
    is_wildcard,
)
from wallboard.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
#: Every wait in this file is at most this long, in seconds.
WAIT = 20.0
_ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))
    for name in list(os.environ):
        if name.startswith("WALLBOARD_") and not name.endswith(("CONFIG_DIR", "DATA_DIR")):
            monkeypatch.delenv(name)
    return tmp_path


def parse(*argv: str) -> argparse.Namespace:
    return serve.standalone_parser().parse_args(["serve", *argv])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = serve.run(parse(*argv))
    captured = capsys.readouterr()
    return code, captured.err + captured.out


# ---------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--demo", "--redis", "redis://127.0.0.1:6379/0"], "--demo and --redis"),
        (["--redis", "http://127.0.0.1:6379"], "--redis must be a Redis URL"),
        (["--port", "70000"], "--port must be from 0 to 65535"),
        (["--host", " "], "--host must not be empty"),
        (["--demo", "--public-url", "ftp://x"], "--public-url must be an http://"),
        (["--demo", "--agents", "0"], "--agents must be from 1"),
        (["--demo", "--theme", "no-such-theme"], "no theme 'no-such-theme'"),
        ([], "WALLBOARD_URL"),  # a dashboard needs a server: none is configured
    ],
)
def test_a_mistake_is_one_line_and_exit_code_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    code, text = run(capsys, *argv)
    assert code == 2
    assert said in text
    assert len(text.strip().splitlines()) == 1
    assert "Traceback" not in text


def test_a_taken_port_is_one_line_and_exit_code_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, text = run(capsys, "--demo", "--port", str(taken.getsockname()[1]))
    assert code == 1
    assert text.startswith("wallboard serve: cannot listen on 127.0.0.1:")
    assert len(text.strip().splitlines()) == 1


def test_each_tab_is_what_the_options_say() -> None:
    mode, settings = serve.checked_options(parse("--demo", "--read-only"))
    assert (mode, settings.read_only, settings.profile) == ("demo", True, None)
    # A viewer needs no server profile: the collector has it.
    mode, settings = serve.checked_options(parse("--redis", "redis://127.0.0.1:6379/0"))
    assert (mode, settings.profile) == ("viewer", None)
    with pytest.raises(ConfigError, match="WALLBOARD_URL"):
        serve.checked_options(parse())


def test_the_default_host_is_this_machine_alone_and_help_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert parse().host == "127.0.0.1"
    with pytest.raises(SystemExit):
        parse("--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "this machine only" in text
    assert "no password" in text


def test_a_tab_gets_the_public_options_and_reads_them_as_given() -> None:
    args = parse(
        "--profile",
        "floor",
        "--queues",
        "sales, support",
        "--read-only",
        "--theme",
        "high-contrast",
        "--refresh",
        "0.5",
        "--wall",
        "--no-bell",
    )
    line = public_options(args)
    tab = build_parser().parse_args(line)
    for name in ("profile", "queues", "read_only", "theme", "refresh", "wall", "bell"):
        assert getattr(tab, name) == getattr(args, name), name
    assert public_options(parse()) == []


def test_the_tab_plan_travels_in_the_environment_only_once() -> None:
    plan = TabPlan(mode="demo", url="http://127.0.0.1:9", appid="a", accesskey="s3cret")
    environ = {PLAN_ENV: plan.to_env()}
    assert TabPlan.from_env(environ) == plan
    assert PLAN_ENV not in environ  # nothing the tab starts inherits it
    assert "s3cret" not in repr(plan)
    assert "p4ss" not in repr(TabPlan(mode="viewer", redis_url="redis://:p4ss@127.0.0.1/0"))
    with pytest.raises(PlanError, match="started by `wallboard serve`"):
        TabPlan.from_env(environ)
    for text in ("{", '{"mode": "nonsense"}', '{"mode": "demo", "url": 5}'):
        with pytest.raises(PlanError):
            TabPlan.from_env({PLAN_ENV: text})


def test_a_tab_started_by_hand_says_so_in_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if k != PLAN_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "wallboard.commands.tab"],
        capture_output=True,
        text=True,
        env=env,
        timeout=WAIT,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"wallboard serve: {PLAN_ENV} is not set: this command is started by "
        "`wallboard serve`, once per browser tab"
    ]


@pytest.mark.parametrize(
    ("host", "loopback", "wildcard"),
    [
        ("127.0.0.1", True, False),
        ("127.1.2.3", True, False),
        ("localhost", True, False),
        ("::1", True, False),
        ("[::1]", True, False),
        ("0.0.0.0", False, True),
        ("::", False, True),
        ("10.1.2.3", False, False),
        ("wallboard.example", False, False),
    ],
)
def test_which_hosts_are_this_machine_alone(host: str, loopback: bool, wildcard: bool) -> None:
    assert (is_loopback(host), is_wildcard(host)) == (loopback, wildcard)


def test_where_a_page_comes_from() -> None:
    assert endpoint_of("http://127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert endpoint_of("https://Floor.Example") == ("floor.example", 443)
    assert endpoint_of("http://[::1]:80/x") == ("::1", 80)
    assert endpoint_of("null") == (None, None)
    assert hostname_of("LOCALHOST:8000") == "localhost"
    assert hostname_of("[::1]:8000") == "::1"


# ---------------------------------------------------------------------- the demo, served


def clean_environment(home: Path) -> dict[str, str]:
    """This environment without any wallboard setting, with its own config and data dirs."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("WALLBOARD_") and key not in ("TEXTUAL", "TEXTUAL_DRIVER")
    }
    env["WALLBOARD_CONFIG_DIR"] = str(home / "config")
    env["WALLBOARD_DATA_DIR"] = str(home / "data")
    return env


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """`wallboard serve --demo` on a free loopback port, shared by this module's tests
    (none changes it): yields its page URL, its process and the user's data dir."""
    home = tmp_path_factory.mktemp("serve-demo")
    process = subprocess.Popen(
        [sys.executable, "-m", "wallboard.commands.serve", "--demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=clean_environment(home),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        if match is None:
            process.kill()
            pytest.fail(f"wallboard serve --demo did not start: {line!r} {process.communicate()}")
        yield match.group(1), process, home / "data"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


async def screen_until(ws: aiohttp.ClientWebSocketResponse, *words: str) -> str:
    """The tab's screen output, as text, once it holds every word (bounded by WAIT)."""
    seen = b""

    async def read() -> str:
        nonlocal seen
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                seen += message.data
                text = _ESCAPES.sub(b"", seen).decode("utf-8", "replace")
                if all(word in text for word in words):
                    return text
        raise AssertionError(f"the tab closed before showing {words}")

    return await asyncio.wait_for(read(), WAIT)


def descendants(parent: int) -> list[int]:
    """The pids of `parent`'s descendants: the tabs' processes (and their shells)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [parent]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tab_plans(parent: int) -> list[dict[str, str]]:
    """The plans in the environments of `parent`'s descendants (the tabs' processes)."""
    prefix = f"{PLAN_ENV}=".encode()
    plans = []
    for pid in descendants(parent):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        plans += [json.loads(item[len(prefix) :]) for item in environ if item.startswith(prefix)]
    return plans


def command_lines() -> list[bytes]:
    """Every process's command line, as `ps` shows it to any user of the machine."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes())
            except OSError:
                continue
    return lines


async def test_the_demo_reaches_a_tab_with_its_campaigns_and_no_secret_shows(
    demo: tuple[str, subprocess.Popen[str], Path],
) -> None:
    url, process, data = demo
    async with aiohttp.ClientSession() as session:
        async with session.get(url + "/") as page:
            assert page.status == 200
            html = await page.text()
        assert f'data-session-websocket-url="ws://{url[7:]}/ws"' in html
        assert "serve_tab" not in html and sys.executable not in html  # no command shown
        tabs = [
            await session.ws_connect(url + "/ws?width=150&height=45", headers={"Origin": url})
            for _ in range(2)
        ]
        for ws in tabs:
            text = await screen_until(ws, "autocall-sales", "Winter renewals")
            assert "agents:" in text
        plans = tab_plans(process.pid)
        assert {plan["mode"] for plan in plans} == {"demo"}
        # One simulator for every tab: both tabs' dashboards logged in to the same one.
        assert len({plan["url"] for plan in plans}) == 1
        async with session.get(plans[0]["url"] + "/_sim/stats") as answer:
            stats = await answer.json()
        assert stats["services"]["App.Sip_Auth.Login"] == len(tabs)
        secret = plans[0]["accesskey"]
        assert secret and secret not in html
        assert not [line for line in command_lines() if secret.encode() in line]
        for ws in tabs:
            await ws.send_json(["stdin", "q"])  # the dashboard quits: the tab closes
            async for _ in ws:
                pass
            assert ws.closed
    # The demo's campaigns are tracked in a scratch file, never in the user's own.
    assert not (data / "campaigns.json").exists()


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/ws", {"Origin": "https://attacker.example"}),
        ("/ws", {"Origin": "http://localhost:1"}),  # another server of this machine
        ("/ws", {"Origin": "null"}),
        ("/", {"Host": "attacker.example"}),  # a name made to point here (DNS rebinding)
    ],
)
async def test_no_other_page_may_open_a_tab(
    demo: tuple[str, subprocess.Popen[str], Path], path: str, headers: dict[str, str]
) -> None:
    url, process, _ = demo
    before = set(descendants(process.pid))
    async with aiohttp.ClientSession() as session:
        if path == "/ws":
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(url + path, headers=headers)
            assert refused.value.status == 403
        else:
            async with session.get(url + path, headers=headers) as page:
                assert page.status == 403
    assert set(descendants(process.pid)) <= before  # no tab was started


async def test_the_page_may_be_opened_as_localhost(
    demo: tuple[str, subprocess.Popen[str], Path],
) -> None:
    url, _, _ = demo
    port = url.rsplit(":", 1)[1]
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://localhost:{port}/") as page:
            assert page.status == 200
        async with session.ws_connect(
            url + "/ws?width=100&height=30", headers={"Origin": f"http://localhost:{port}"}
        ) as ws:
            await screen_until(ws, "agents:")


# ---------------------------------------------------------------------- a profile's server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def profile_serve(
    private_dirs: Path,
) -> Iterator[tuple[str, str, str, subprocess.Popen[str], Path]]:
    """A simulator, and `wallboard serve` on it as a profile's server (from the
    environment) that receives the server's callbacks: yields the page URL, the receiver's
    URL, a tracked campaign's taskid, the serve process and the campaign file."""
    from wallboard.commands.demo import demo_server, track_demo_campaigns
    from wallboard.live.campaigns import REGISTRY_FILE, CampaignRegistry

    registry = private_dirs / "data" / REGISTRY_FILE
    listen = f"127.0.0.1:{free_port()}"
    secret_path = "/serve-test-" + "x" * 20
    with demo_server(agents=20, queues=2, campaigns=1) as (sim, url):
        track_demo_campaigns(sim, CampaignRegistry(registry))
        env = dict(
            os.environ,
            WALLBOARD_URL=url,
            WALLBOARD_APPID=sim.appid,
            WALLBOARD_ACCESSKEY=sim.accesskey,
            WALLBOARD_TZ="UTC",
            WALLBOARD_CALLBACK_LISTEN=listen,
            WALLBOARD_CALLBACK_PATH=secret_path,
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "wallboard.commands.serve", "--port", "0", "--refresh", "0.5"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if match is None:
                process.kill()
                pytest.fail(f"wallboard serve did not start: {line!r} {process.communicate()}")
            taskid = next(iter(sim.tasks())).taskid
            yield match.group(1), f"http://{listen}{secret_path}", taskid, process, registry
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(WAIT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)


async def test_tabs_on_a_profile_share_one_callback_receiver(
    profile_serve: tuple[str, str, str, subprocess.Popen[str], Path],
) -> None:
    """Two tabs, each its own dashboard, and the profile's callback_listen taken once (by
    the serve process): a task callback reaches the campaign file and every tab."""
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.live.snapshot import CampaignStatus

    url, receiver, taskid, process, registry = profile_serve
    async with aiohttp.ClientSession() as session:
        tabs = [
            await session.ws_connect(url + "/ws?width=150&height=45", headers={"Origin": url})
            for _ in range(2)
        ]
        try:
            for ws in tabs:
                await screen_until(ws, "autocall-sales", "RUNNING")
            assert {plan["mode"] for plan in tab_plans(process.pid)} == {"dashboard"}
            callback = {"taskid": taskid, "companycode": "9017", "status": 3}
            loop = asyncio.get_running_loop()
            deadline = loop.time() + WAIT
            while True:  # 503 until the serve process's Login has given the company code
                async with session.post(receiver, json=callback) as answer:
                    if answer.status != 503 or loop.time() > deadline:
                        break
                await asyncio.sleep(0.1)
            assert answer.status == 200
            task = CampaignRegistry(registry).get(taskid)
            assert task is not None and task.status is CampaignStatus.OVER
            for ws in tabs:
                await screen_until(ws, "ENDED")
        finally:
            for ws in tabs:
                await ws.close()
    assert process.poll() is None


@pytest.mark.parametrize(
    ("hosts", "headers", "refused"),
    [
        # Listening on every address: any Host, but a tab only from this server's page.
        (None, {"Host": "10.1.2.3:8000", "Origin": "http://10.1.2.3:8000"}, False),
        (None, {"Host": "floor-pc:8000", "Origin": "https://wall.example"}, False),
        (None, {"Host": "10.1.2.3:8000", "Origin": "http://10.1.2.3:9999"}, True),
        (None, {"Host": "10.1.2.3:8000", "Origin": "https://attacker.example"}, True),
        (None, {"Host": "10.1.2.3:8000"}, False),  # not a browser: no Origin
        # Listening on loopback: the Host must be this machine's too.
        (LOOPBACK_NAMES, {"Host": "localhost:8000", "Origin": "http://127.0.0.1:8000"}, False),
        (LOOPBACK_NAMES, {"Host": "[::1]:8000", "Origin": "http://[::1]:8000"}, False),
        (LOOPBACK_NAMES, {"Host": "evil.example:8000", "Origin": "http://evil.example:8000"}, True),
    ],
)
def test_which_pages_may_open_a_tab(
    hosts: frozenset[str] | None, headers: dict[str, str], refused: bool
) -> None:
    from aiohttp.test_utils import make_mocked_request

    server = FloorServer("true", public_url="https://wall.example", hosts=hosts, title="wallboard")
    request = make_mocked_request("GET", "/ws", headers=headers)
    assert (server.refusal(request, websocket=True) is not None) is refused
