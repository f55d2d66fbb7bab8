"""The rig the terminal, idle and memory benchmarks share: a simulated floor in a process of
its own, and a screen on a real pseudo-terminal whose bytes, CPU time and memory are counted.

The simulator runs apart so that the dashboard's CPU time and memory are its own. The
screen is either the real dashboard (`build_app` and `serve` of `wallboard.commands.dashboard`)
or the baseline: the same live model redrawn as plain ANSI text, the whole screen every
refresh, as simple wallboards do. Both read the same simulated floor through the same
client, so the difference in bytes is the difference in drawing.

    python -m benchmarks.rig serve --info FILE [--agents N --speed X ...]   (a floor)
    python -m benchmarks.rig screen --info FILE --kind dashboard|baseline   (on a pty)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import fcntl
import gc
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
import tty
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STARTUP_LIMIT = 60.0
#: Simulated seconds a benchmark's floor runs through before it is measured, so that the
#: dashboard meets a floor in service, not one ramping up (`bench_cpu` says why).
FLOOR_SETTLE = 120.0


# ---------------------------------------------------------------------- the floor


@dataclass(frozen=True)
class FloorInfo:
    """How to reach a served floor, and how its clock runs (written by `serve`, mode 0600)."""

    url: str
    appid: str
    accesskey: str = field(repr=False)
    sim_origin: float = 0.0  # simulated unix seconds at `wall_origin`
    wall_origin: float = 0.0  # time.time() when the floor was at `sim_origin`
    speed: float = 1.0
    agents: int = 0
    tasks: tuple[dict[str, Any], ...] = ()

    def clock(self) -> Callable[[], float]:
        """The simulated floor's clock, for the dashboard's "today" and its bills."""
        origin, wall, speed = self.sim_origin, self.wall_origin, self.speed
        return lambda: origin + speed * (time.time() - wall)

    @classmethod
    def load(cls, path: Path) -> FloorInfo:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data["tasks"] = tuple(data.get("tasks", ()))
        return cls(**data)


def serve(args: argparse.Namespace) -> int:
    """Serve a scenario floor on loopback until SIGTERM; write its FloorInfo first."""
    from wallboard.config import write_private
    from wallboard.sim.server import Simulator, bind, url_of, uvicorn_server

    sim = Simulator.from_scenario(
        seed=args.seed,
        agents=args.agents,
        queues=args.queues,
        campaigns=args.campaigns,
        speed=args.speed,
        drift=args.drift,
    )
    if args.settle:
        # The floor's first minutes run at once: a floor just started has every agent idle
        # and its dialer ramping up, changing several times more rows a second than it does
        # once its calls are up. The clock then stands `settle` seconds ahead of this
        # machine's, as a server's may.
        sim.advance(args.settle)
    sock = bind("127.0.0.1", 0)
    tasks = [
        {"taskid": t.taskid, "name": t.name, "assigned_to": t.assignagent,
         "numbers": list(t.numbers), "status": t.status}
        for t in sim.tasks()
    ]  # fmt: skip
    info = {
        "url": url_of(sock),
        "appid": sim.appid,
        "accesskey": sim.accesskey,
        "sim_origin": sim.now(),
        "wall_origin": time.time(),
        "speed": args.speed,
        "agents": args.agents,
        "tasks": tasks,
    }
    write_private(Path(args.info), json.dumps(info))
    server = uvicorn_server(sim)
    try:
        asyncio.run(server.serve(sockets=[sock]))  # uvicorn stops cleanly on SIGTERM
    finally:
        sim.close()
        sock.close()
    return 0


@dataclass(frozen=True)
class ServedFloor:
    """A floor being served, and the file (mode 0600) that tells a screen how to reach it."""

    info: FloorInfo
    path: Path


@contextlib.contextmanager
def served_floor(
    *,
    agents: int,
    speed: float = 1.0,
    queues: int = 5,
    campaigns: int = 2,
    seed: int = 7,
    core: int | None = None,
    drift: float = 0.0,
    settle: float = 0.0,
) -> Iterator[ServedFloor]:
    """A floor served by a child process (pinned to `core` where the OS allows it); `drift`
    is the share of answer fields the simulator sends with a drifted type; `settle` the
    simulated seconds the floor runs through before it serves (its start-up left behind)."""
    with tempfile.TemporaryDirectory(prefix="wallboard-rig-") as scratch:
        info_path = Path(scratch) / "floor.json"
        argv = [
            sys.executable, "-m", "benchmarks.rig", "serve", "--info", str(info_path),
            "--agents", str(agents), "--speed", str(speed), "--queues", str(queues),
            "--campaigns", str(campaigns), "--seed", str(seed), "--drift", str(drift),
            "--settle", str(settle),
        ]  # fmt: skip

        def pin() -> None:
            if core is not None and hasattr(os, "sched_setaffinity"):
                os.sched_setaffinity(0, {core})

        errors_path = Path(scratch) / "floor.err"
        with errors_path.open("w") as errors:
            child = subprocess.Popen(
                argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors, preexec_fn=pin
            )
        try:
            deadline = time.monotonic() + STARTUP_LIMIT
            while not info_path.exists():
                if child.poll() is not None or time.monotonic() > deadline:
                    error = errors_path.read_text(errors="replace").strip()[-500:]
                    raise RuntimeError(f"the simulator did not start: {error}")
                time.sleep(0.05)
            yield ServedFloor(FloorInfo.load(info_path), info_path)
        finally:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


# ---------------------------------------------------------------------- the screens


def screen(args: argparse.Namespace) -> int:
    """Run one screen on this process's terminal until `q` is typed; then write a report."""
    info = FloorInfo.load(args.info)
    runner = _dashboard if args.kind == "dashboard" else _baseline
    profiler = cProfile.Profile() if args.profile is not None else None
    phases = PhaseClock() if args.phases else None

    async def run() -> dict[str, Any]:
        if profiler is not None:  # only the steady state: from `--profile-after` seconds on
            asyncio.get_running_loop().call_later(args.profile_after, profiler.enable)
        if phases is not None:
            asyncio.get_running_loop().call_later(args.profile_after, phases.start)
        return await runner(info, args.refresh)

    try:
        report = asyncio.run(run())
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
    if phases is not None:
        report["phases"] = phases.report()
    Path(args.report).write_text(json.dumps(report), encoding="utf-8")
    return 0


class PhaseClock:
    """CPU seconds of this process's main thread spent in the dashboard's main phases (the
    poll, the builder, the campaigns, the alerts, each pane's drawing, Textual's compositor),
    from `start()` on: where the time goes, without a profiler's weight (each phase is timed
    by `time.thread_time`, a few calls a cycle). Phases nest: an outer one includes its inner
    ones."""

    PHASES: tuple[tuple[str, str, str], ...] = (
        ("wallboard.live.model", "LiveFloor", "_cycle"),
        ("wallboard.live.model", "LiveFloor", "_fast"),
        ("wallboard.live.model", "LiveFloor", "_to_ask"),
        ("wallboard.live.model", "LiveFloor", "_publish"),
        ("wallboard.live.model", "LiveFloor", "_campaign_views"),
        ("wallboard.live.build", "FloorBuilder", "build"),
        ("wallboard.api.client", "WallboardClient", "_call"),
        ("wallboard.live.alerts", "Alerts", "update"),
        ("wallboard.ui.app", "WallboardApp", "_show"),
        ("wallboard.ui.app", "WallboardApp", "_tick"),
        ("wallboard.ui.agent_grid", "AgentGrid", "show"),
        ("wallboard.ui.agent_grid", "AgentGrid", "tick"),
        ("wallboard.ui.campaigns_pane", "CampaignsPane", "show"),
        ("wallboard.ui.floor_header", "FloorHeader", "show"),
        ("textual.screen", "Screen", "_on_timer_update"),
        ("textual.screen", "Screen", "_refresh_layout"),
        ("textual.app", "App", "_display"),
        ("wallboard.ui.agent_grid", "TileColumn", "render_lines"),
        ("textual._compositor", "Compositor", "_render_chops"),
        ("textual._compositor", "ChopsUpdate", "render_segments"),
        ("wallboard.live.bills", "BillReader", "_fold"),
    )

    def __init__(self) -> None:
        import importlib
        import inspect

        self.spent: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.began: float | None = None
        self._cpu_began = 0.0
        for module, owner, name in self.PHASES:
            cls = getattr(importlib.import_module(module), owner)
            original = getattr(cls, name)
            label = f"{owner}.{name}"
            wrapper = (
                self._async(original, label)
                if inspect.iscoroutinefunction(original)
                else (self._sync(original, label))
            )
            setattr(cls, name, wrapper)
        self.layouts: dict[str, int] = {}  # who asked for a new layout, how often
        self.layout_times: list[tuple[float, str]] = []  # when (seconds from `start`), who
        self._count_layouts()
        self._gc_began = 0.0
        gc.callbacks.append(self._garbage)

    def _garbage(self, phase: str, info: dict[str, int]) -> None:
        """The garbage collector's own time, as a phase of its own ("gc" and generation)."""
        if phase == "start":
            self._gc_began = time.thread_time()
        elif self.began is not None:
            label = f"gc gen{info.get('generation', 0)}"
            self.spent[label] = self.spent.get(label, 0.0) + time.thread_time() - self._gc_began
            self.calls[label] = self.calls.get(label, 0) + 1

    def _count_layouts(self) -> None:
        from textual.widget import Widget

        refresh = Widget.refresh

        def counted(widget: Widget, *regions: Any, **options: Any) -> Any:
            if self.began is not None and options.get("layout"):
                label = type(widget).__name__
                self.layouts[label] = self.layouts.get(label, 0) + 1
                self.layout_times.append((round(time.monotonic() - self.began, 2), label))
            return refresh(widget, *regions, **options)

        Widget.refresh = counted  # type: ignore[method-assign]

    def start(self) -> None:
        self.spent.clear()
        self.calls.clear()
        self.layouts.clear()
        self.layout_times.clear()
        self.began = time.monotonic()
        self._cpu_began = time.process_time()

    def _sync(self, original: Callable[..., Any], label: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.began is None:
                return original(*args, **kwargs)
            t0 = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.thread_time() - t0
                self.calls[label] = self.calls.get(label, 0) + 1

        return timed

    def _async(self, original: Callable[..., Any], label: str) -> Callable[..., Any]:
        # A coroutine's time is counted per step (between awaits), not while it waits.
        def timed(*args: Any, **kwargs: Any) -> Any:
            coroutine = original(*args, **kwargs)
            return _TimedCoroutine(coroutine, self, label)

        return timed

    def report(self) -> dict[str, Any]:
        wall = time.monotonic() - self.began if self.began is not None else 0.0
        cpu = time.process_time() - self._cpu_began
        return {
            "wall": wall,
            "process_cpu": cpu,
            "phases": {k: [round(v, 4), self.calls.get(k, 0)] for k, v in self.spent.items()},
            "layouts": self.layouts,
            "layout_times": self.layout_times,
        }


class _TimedCoroutine:
    """A coroutine whose steps add their main-thread CPU time to a PhaseClock's phase."""

    def __init__(self, inner: Any, clock: PhaseClock, label: str) -> None:
        self._inner, self._clock, self._label = inner, clock, label

    def __await__(self) -> Any:
        inner = self._inner.__await__()
        value: Any = None
        error: BaseException | None = None
        while True:
            t0 = time.thread_time()
            try:
                step = inner.throw(error) if error is not None else inner.send(value)
            except StopIteration as done:
                self._add(t0)
                return done.value
            except BaseException:
                self._add(t0)
                raise
            self._add(t0)
            error = None
            try:
                value = yield step
            except BaseException as exc:  # thrown in (a cancellation): pass it on
                error, value = exc, None

    def _add(self, t0: float) -> None:
        clock = self._clock
        if clock.began is not None:
            spent = clock.spent
            spent[self._label] = spent.get(self._label, 0.0) + time.thread_time() - t0
            clock.calls[self._label] = clock.calls.get(self._label, 0) + 1


def track_tasks(info: FloorInfo, data: Path) -> None:
    """Track the floor's campaigns in the data dir `data`, as `wallboard track` would (the
    demo does the same). Done before a screen starts, by the process that starts it: fifty
    campaigns of thousands of numbers take seconds to track, which are not the screen's."""
    from wallboard.live.campaigns import REGISTRY_FILE, STATUS_BY_CODE, CampaignRegistry

    registry = CampaignRegistry(data / REGISTRY_FILE, clock=info.clock())
    for task in info.tasks:
        registry.track(
            task["taskid"],
            name=task["name"],
            assigned_to=task["assigned_to"],
            numbers=task["numbers"],
            status=STATUS_BY_CODE.get(task["status"]),
        )


def _registry(info: FloorInfo) -> Any:
    """The campaigns tracked before the screen started (`track_tasks`)."""
    from wallboard.live.campaigns import CampaignRegistry

    return CampaignRegistry.default(clock=info.clock())


async def _dashboard(info: FloorInfo, refresh: float) -> dict[str, Any]:
    from wallboard.api.client import WallboardClient
    from wallboard.commands.dashboard import build_app, serve
    from wallboard.live.audit import AuditLog
    from wallboard.settings import Settings

    settings = Settings(refresh=refresh)
    client = WallboardClient(info.url, info.appid, info.accesskey)
    app = build_app(
        client, settings, registry=_registry(info), audit=AuditLog(), clock=info.clock()
    )
    # Run as `wallboard` runs it (`serve`), so that whatever the command does around the
    # screen (the garbage collector's tuning, say) is measured too; it closes the client.
    await serve(app, client)
    snapshot = app.snapshot
    return {
        "snapshots": app.snapshot_count,
        "stale": bool(snapshot and snapshot.stale),
        "error": snapshot.error if snapshot else "no snapshot",
        "agents": sum(len(q.agents) for q in snapshot.queues) if snapshot else 0,
    }


async def _baseline(info: FloorInfo, refresh: float) -> dict[str, Any]:
    """The plain wallboard: poll, clear the screen, write every line again."""
    from wallboard.api.client import WallboardClient
    from wallboard.live.model import LiveFloor

    columns, lines = os.get_terminal_size(sys.stdout.fileno())
    clock = info.clock()
    quit_typed = asyncio.Event()
    loop = asyncio.get_running_loop()
    saved = termios.tcgetattr(0)
    tty.setcbreak(0)
    loop.add_reader(0, lambda: quit_typed.set() if b"q" in os.read(0, 64) else None)
    out = sys.stdout.fileno()
    os.write(out, b"\x1b[?1049h\x1b[?25l")  # the alternate screen, no cursor
    snapshots = changes = 0
    before: dict[tuple[str, str], Any] = {}
    last = None
    try:
        async with WallboardClient(info.url, info.appid, info.accesskey) as client:
            floor = LiveFloor(client, registry=_registry(info), clock=clock, fast_interval=refresh)
            while not quit_typed.is_set():
                last = await floor.refresh()
                snapshots += 1
                now = {(a.queue, a.extnumber): a.state for q in last.queues for a in q.agents}
                if before:
                    changes += sum(1 for key, state in now.items() if before.get(key) != state)
                before = now
                os.write(out, plain_screen(last, columns, lines, clock()).encode())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(quit_typed.wait(), floor.next_delay())
    finally:
        loop.remove_reader(0)
        os.write(out, b"\x1b[?25h\x1b[?1049l")
        termios.tcsetattr(0, termios.TCSADRAIN, saved)
    agents = len(before)
    return {
        "snapshots": snapshots,
        "stale": bool(last and last.stale),
        "error": last.error if last else "no snapshot",
        "agents": agents,
        "changes_per_snapshot": changes / max(1, snapshots - 1),
    }


_SGR = {
    "idle": "32",
    "ringing": "1;33",
    "talking": "34",
    "wrap-up": "36",
    "paused": "35",
    "missed": "1;31",
    "offline": "2",
    "disabled": "90",
}


def plain_screen(snapshot: Any, columns: int, lines: int, now: float) -> str:
    """One full screen of the floor as plain ANSI text: the header, the campaigns, then the
    agent tiles (the dashboard's own tile text) as many as fit, every line every time."""
    from wallboard.ui.faces import MIN_TILE, clean, percent, queue_heading, tile_clock, tile_face
    from wallboard.ui.thresholds import Thresholds

    t = snapshot.totals
    header = (
        f"wallboard  idle {t.idle}  ringing {t.ringing}  talking {t.talking}  "
        f"wrap-up {t.wrapup}  paused {t.paused}  offline {t.offline}  "
        f"calls {t.calls_in_progress}  answered {t.answered_today}  dropped {t.dropped_today}  "
        f"abandon {percent(t.abandon_rate)}  updated {snapshot.age(now):.0f} s ago"
    )
    rows = ["\x1b[1;7m" + header[:columns].ljust(columns) + "\x1b[0m"]
    if snapshot.stale:
        rows.append("\x1b[1;31m" + f"STALE: {clean(snapshot.error)}"[:columns] + "\x1b[0m")
    for c in snapshot.campaigns:
        line = (
            f"{clean(c.name)[:24]:<24} {c.status.value:<11} {c.dialled}/{c.total} dialled  "
            f"{c.answered} answered  {c.dropped} dropped  abandon {percent(c.abandon_rate)}"
        )
        rows.append(line[:columns])
    per_row = max(1, columns // (MIN_TILE + 1))
    thresholds = Thresholds()
    for queue in snapshot.queues:
        if len(rows) >= lines:
            break
        rows.append(queue_heading(queue, len(queue.agents), columns))
        agents = list(queue.agents)
        for start in range(0, len(agents), per_row):
            if len(rows) + 2 > lines:
                break
            top, bottom = [], []
            for agent in agents[start : start + per_row]:
                face = tile_face(agent, MIN_TILE)
                colour = _SGR.get(agent.state.value, "0")
                clock = tile_clock(agent, snapshot.taken_at, thresholds)
                top.append(f"\x1b[{colour}m{face.top}\x1b[0m")
                bottom.append(f"\x1b[{colour}m{face.bottom(clock)}\x1b[0m")
            rows.append(" ".join(top))
            rows.append(" ".join(bottom))
    return "\x1b[H\x1b[2J" + "\r\n".join(rows[:lines])


# ---------------------------------------------------------------------- the pty


@dataclass
class Trace:
    """What a screen did on its pseudo-terminal: bytes written, CPU seconds, memory."""

    started: float  # time.monotonic() when the child started
    chunks: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, bytes read)
    samples: list[tuple[float, float, int]] = field(default_factory=list)  # (t, cpu s, rss B)
    report: dict[str, Any] = field(default_factory=dict)
    tail: bytes = b""  # the last bytes written, when asked for (to read the final screen)

    def bytes_per_second(self, begin: float, end: float) -> float:
        written = sum(n for at, n in self.chunks if begin <= at - self.started < end)
        return written / max(1e-9, end - begin)

    def cpu_share(self, begin: float, end: float) -> float | None:
        """CPU seconds per wall second between `begin` and `end` (seconds from the start)."""
        inside = [(t, cpu) for t, cpu, _ in self.samples if begin <= t - self.started <= end]
        if len(inside) < 2 or inside[0][1] < 0:
            return None
        (t0, c0), (t1, c1) = inside[0], inside[-1]
        return (c1 - c0) / max(1e-9, t1 - t0)

    def rss_at(self, moment: float) -> int | None:
        """Resident bytes at the sample nearest `moment` (seconds from the start)."""
        known = [(abs(t - self.started - moment), rss) for t, _, rss in self.samples if rss > 0]
        return min(known)[1] if known else None


def run_on_pty(
    argv: Sequence[str],
    *,
    seconds: float,
    size: tuple[int, int] = (200, 60),
    env: dict[str, str] | None = None,
    core: int | None = None,
    sample_every: float = 0.5,
    report: Path | None = None,
    keep_tail: int = 0,
) -> Trace:
    """Run `argv` on a new pseudo-terminal for `seconds`, reading everything it writes; then
    type `q` and wait for it to leave (killed after 15 s). The JSON the child leaves in
    `report`, if any, is read back into `Trace.report`; the last `keep_tail` bytes written
    before the `q` are kept in `Trace.tail`."""
    columns, lines = size
    environment = {**(env or os.environ), "TERM": "xterm-256color"}
    environment.update(COLUMNS=str(columns), LINES=str(lines), PYTHONPATH=str(ROOT))
    pid, fd = pty.fork()
    if pid == 0:  # the child: size the terminal, pin, become the screen
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
            if core is not None and hasattr(os, "sched_setaffinity"):
                os.sched_setaffinity(0, {core})
            os.chdir(ROOT)
            os.execvpe(argv[0], list(argv), environment)
        finally:
            os._exit(127)
    trace = Trace(started=time.monotonic())
    stop_at = trace.started + seconds
    give_up = stop_at + 15.0
    next_sample = trace.started
    quit_sent = False
    try:
        while True:
            now = time.monotonic()
            if now >= next_sample:
                trace.samples.append((now, *_usage(pid)))
                next_sample = now + sample_every
            if not quit_sent and now >= stop_at:
                os.write(fd, b"q")
                quit_sent = True
            if now >= give_up:
                break
            ready, _, _ = select.select([fd], [], [], min(0.1, sample_every))
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # the child closed the terminal: it has left
                break
            if not data:
                break
            trace.chunks.append((time.monotonic(), len(data)))
            if keep_tail and not quit_sent:
                trace.tail = (trace.tail + data)[-keep_tail:]
    finally:
        _reap(pid)
        os.close(fd)
    if report is not None and report.exists():
        trace.report = json.loads(report.read_text(encoding="utf-8"))
    return trace


def _reap(pid: int, patience: float = 5.0) -> None:
    """Wait for the child to leave; kill it when it does not within `patience` seconds."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _usage(pid: int) -> tuple[float, int]:
    """(CPU seconds, resident bytes) of a process from /proc; (-1, 0) where unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        statm = Path(f"/proc/{pid}/statm").read_text().split()
    except (OSError, IndexError):
        return -1.0, 0
    cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return cpu, int(statm[1]) * os.sysconf("SC_PAGE_SIZE")


def run_screen(
    kind: str,
    info_path: Path,
    *,
    seconds: float,
    refresh: float = 1.0,
    size: tuple[int, int] = (200, 60),
    core: int | None = None,
    profile: Path | None = None,
    profile_after: float = 0.0,
    phases: bool = False,
    keep_tail: int = 0,
) -> Trace:
    """One screen (`dashboard` or `baseline`) on a pty, with its own scratch data dir.

    `profile`: run the screen under cProfile from `profile_after` seconds on (the steady
    state, not the start) and leave its statistics in that file (its CPU figures are then
    the profiler's as much as the screen's)."""
    with tempfile.TemporaryDirectory(prefix="wallboard-screen-") as scratch:
        env = {**os.environ, "WALLBOARD_DATA_DIR": scratch, "WALLBOARD_CONFIG_DIR": scratch}
        track_tasks(FloorInfo.load(info_path), Path(scratch))
        report = Path(scratch) / "report.json"
        profiler = ["--profile", str(profile.resolve())] if profile else []
        if profile or phases:
            profiler += ["--profile-after", str(profile_after)]
        if phases:
            profiler.append("--phases")
        argv = [
            sys.executable, "-m", "benchmarks.rig", "screen", "--kind", kind,
            "--info", str(info_path), "--refresh", str(refresh), "--report", str(report),
            *profiler,
        ]  # fmt: skip
        return run_on_pty(
            argv, seconds=seconds, size=size, env=env, core=core, report=report, keep_tail=keep_tail
        )


def cores() -> tuple[int | None, int | None]:
    """(the simulator's core, the screen's core): apart when there are two or more."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(available) < 2:
        return None, None
    return available[0], available[1]


@contextlib.contextmanager
def on_core(core: int | None) -> Iterator[None]:
    """This thread (and the threads it starts meanwhile) on `core` only, then as before: a
    benchmark's own work (reading the pseudo-terminal, sampling the floor) kept off the
    core of the process it measures, whose caches it would otherwise share."""
    if core is None or not hasattr(os, "sched_setaffinity"):
        yield
        return
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)


def check_screen(trace: Trace, *, seconds: float, refresh: float) -> None:
    """A measurement counts only if the screen kept getting fresh data from the floor."""
    report = trace.report
    wanted = max(2, int(0.6 * seconds / refresh))
    if not report:
        raise RuntimeError("the screen left no report (it crashed or did not quit on `q`)")
    if report.get("snapshots", 0) < wanted or report.get("stale"):
        raise RuntimeError(
            f"the screen did not keep up with the floor: {report.get('snapshots')} snapshots "
            f"in {seconds:g} s (wanted {wanted}), last error: {report.get('error')}"
        )


def terminal_size(text: str) -> tuple[int, int]:
    """`--size COLUMNSxLINES` of the screen benchmarks, as (columns, lines)."""
    try:
        columns, lines = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            "give the terminal as COLUMNSxLINES, e.g. 200x60"
        ) from None
    if not (40 <= columns <= 500 and 10 <= lines <= 200):
        raise argparse.ArgumentTypeError("a terminal from 40x10 to 500x200, please")
    return columns, lines


def write_figures(path: Path | None, figures: list[dict[str, Any]]) -> None:
    """The figures as the `--json FILE` of the screen benchmarks (nothing without a path)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.rig", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="role", required=True)
    floor = sub.add_parser("serve")
    floor.add_argument("--info", type=Path, required=True)
    floor.add_argument("--agents", type=int, default=500)
    floor.add_argument("--queues", type=int, default=5)
    floor.add_argument("--campaigns", type=int, default=2)
    floor.add_argument("--speed", type=float, default=1.0)
    floor.add_argument("--seed", type=int, default=7)
    floor.add_argument("--drift", type=float, default=0.0)
    floor.add_argument("--settle", type=float, default=0.0)
    shown = sub.add_parser("screen")
    shown.add_argument("--info", type=Path, required=True)
    shown.add_argument("--kind", choices=("dashboard", "baseline"), required=True)
    shown.add_argument("--refresh", type=float, default=1.0)
    shown.add_argument("--report", type=Path, required=True)
    shown.add_argument("--profile", type=Path, default=None)
    shown.add_argument("--profile-after", type=float, default=0.0)
    shown.add_argument("--phases", action="store_true")
    args = parser.parse_args(argv)
    return serve(args) if args.role == "serve" else screen(args)


if __name__ == "__main__":
    sys.exit(main())
