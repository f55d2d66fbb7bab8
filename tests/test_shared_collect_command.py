"""`wallboard collect` as a process: it publishes the profile's floor to Redis under the
profile's prefix, and on SIGTERM marks the floor stale for its viewers and gives the lock
up. Its mistakes (no Redis URL, a URL that is not one) are one line and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import redis
from fixtures.redis_server import RedisServer, redis_server_fixture  # noqa: F401

from wallboard.commands import collect
from wallboard.sim.server import Simulator, serve_in_thread

#: `wallboard collect ARGS` without the top-level parser (the command is registered there).
RUN_COLLECT = (
    "import argparse, sys\n"
    "from wallboard.commands import collect\n"
    "parser = argparse.ArgumentParser(prog='wallboard')\n"
    "collect.add_parser(parser.add_subparsers(dest='command'))\n"
    "sys.exit(collect.run(parser.parse_args(sys.argv[1:])))\n"
)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wallboard")
    collect.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["collect", *argv])


def write_config(path: Path, url: str, sim: Simulator, extra: str = "") -> Path:
    path.write_text(
        f'[profiles.floor2]\nurl = "{url}"\nappid = "{sim.appid}"\n'
        f'accesskey = "{sim.accesskey}"\n{extra}',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    env = {
        "WALLBOARD_CONFIG_DIR": str(tmp_path / "config"),
        "WALLBOARD_DATA_DIR": str(tmp_path / "data"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WALLBOARD_PROFILE", raising=False)
    return env


def test_collect_needs_a_redis_url(
    make_simulator: Callable[..., Simulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolated(monkeypatch, tmp_path)
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", make_simulator())
    assert collect.run(parse("--config", str(config), "--profile", "floor2")) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "wallboard: collect needs --redis URL (or `url` in the config's [redis])"
    ]
    assert collect.run(parse("--config", str(config), "--redis", "http://nope")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Redis URL" in err[0]


def test_the_collect_command_publishes_and_hands_over_on_sigterm(
    make_simulator: Callable[..., Simulator],
    redis_server: RedisServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = isolated(monkeypatch, tmp_path)
    sim = make_simulator(agents=20, queues=2)
    store = redis.Redis.from_url(redis_server.url)
    with serve_in_thread(sim) as url:
        config = write_config(
            tmp_path / "c.toml",
            url,
            sim,
            f'[redis]\nurl = "{redis_server.url}"\nprefix = "centre"\n',
        )
        process = subprocess.Popen(
            [sys.executable, "-c", RUN_COLLECT, "collect", "--config", str(config)],
            env={**os.environ, **env, "WALLBOARD_PROFILE": "floor2"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while store.get("centre:floor2:snapshot") is None:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the collector published nothing"
                time.sleep(0.05)  # another process: nothing to wait on but Redis
            assert store.get("centre:floor2:collector") is not None  # it holds the lock
            document = orjson.loads(store.get("centre:floor2:snapshot") or b"")
            assert document["snapshot"]["queues"] and not document["snapshot"]["meta"]["stale"]
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            if process.stderr is not None:
                process.stderr.close()
    assert store.get("centre:floor2:collector") is None  # handed over at once
    document = orjson.loads(store.get("centre:floor2:snapshot") or b"")
    assert document["snapshot"]["meta"]["stale"] is True
    assert document["snapshot"]["meta"]["error"] == "the floor's collector stopped"
    store.close()
