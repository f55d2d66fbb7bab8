"""Shared makings of the history tests: bills, snapshots and a real Postgres server.

The Postgres server is started by the tests on a free loopback port in a temporary
directory (initdb, pg_ctl), and stopped at the end; never a system service. Missing binaries
fail the test with the Debian package to install.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from wallboard.api.models import Bill
from wallboard.live.snapshot import AgentState, AgentView, FloorSnapshot, QueueView

UTC = dt.UTC
FORMAT = "%Y-%m-%d %H:%M:%S"
PG_PACKAGE = "postgresql-15"  # Debian: the server binaries initdb, pg_ctl, postgres


def text(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, UTC).strftime(FORMAT)


def bill(
    bill_id: int | None,
    start: float,
    *,
    number: str = "15550001",
    ext: str = "",
    answer_after: float | None = None,
    talk: int = 30,
    ring: int = 10,
) -> Bill:
    """An outgoing predictive call: unanswered (no answer_after), dropped (answered, no
    ext) or taken by `ext`."""
    if answer_after is None:
        return Bill(
            id=bill_id,
            destnumber=number,
            starttime=text(start),
            endtime=text(start + ring),
            duration=ring,
            direction="callout",
            callmethod=5,
        )
    answered = start + answer_after
    return Bill(
        id=bill_id,
        extnumber=ext,
        destnumber=number,
        starttime=text(start),
        answertime=text(answered),
        endtime=text(answered + talk),
        duration=int(answer_after) + talk,
        billsec=talk,
        direction="callout",
        callmethod=5,
    )


def agent(
    ext: str,
    state: AgentState,
    *,
    since: float = 0.0,
    number: str | None = None,
    at_least: bool = False,
) -> AgentView:
    return AgentView(ext, "sales", f"Agent {ext}", state, since, number=number, at_least=at_least)


def snapshot(taken_at: float, *agents: AgentView, queue: str = "sales") -> FloorSnapshot:
    return FloorSnapshot(taken_at=taken_at, queues=(QueueView(queue, agents=agents),))


def find_pg_bin() -> Path:
    """The directory of initdb and pg_ctl: on PATH, else Debian's versioned lib directory."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(candidate).parent
    pytest.fail(
        f"PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian "
        f"package {PG_PACKAGE} (apt-get install {PG_PACKAGE})",
        pytrace=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway Postgres on 127.0.0.1; yields its URL. As root, it runs as the
    `postgres` user (the server refuses root)."""
    bindir = find_pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="wb-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = "postgres"
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            user, entry = "nobody", pwd.getpwnam("nobody")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        prefix = ["runuser", "-u", user, "--"]
    data = folder / "data"
    port = free_port()
    run = lambda *args: subprocess.run(  # noqa: E731
        [*prefix, *args], check=True, capture_output=True, timeout=60
    )
    try:
        run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "wb",
            "--no-sync",
            "-E",
            "UTF8",
        )
        options = f"-h 127.0.0.1 -p {port} -k {folder} -F"
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "-t",
            "30",
            "start",
        )
        try:
            yield f"postgresql://wb@127.0.0.1:{port}/postgres"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_bill_helper_makes_the_three_kinds_of_call() -> None:
    from wallboard.live.bills import was_answered, was_dropped

    assert not was_answered(bill(1, 0.0))
    assert was_dropped(bill(2, 0.0, answer_after=5))
    assert was_answered(bill(3, 0.0, ext="8001", answer_after=5))
    assert not was_dropped(bill(3, 0.0, ext="8001", answer_after=5))
