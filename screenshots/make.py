"""Make the SVG screenshots of the floor screen shown in the README.

    python -m screenshots.make        (from the repository's root)

Each picture is the seeded demo floor (simulator seed 7, five simulated minutes in, clock
stopped), so running this again gives the same pictures unless the screen changed. Then
`report.png`: `wallboard report --html` over 30 generated days of history (the history
benchmark's store), as Debian's headless Chromium draws the page. The browser view's
picture (`browser.png`) comes from its test: `WALLBOARD_SCREENSHOTS=1 pytest
tests/test_serve_browser.py`.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wallboard.commands.seeded import seeded_floor

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Shot:
    name: str
    size: tuple[int, int]
    agents: int = 40
    queues: int = 3
    theme: str = "default"
    keys: tuple[str, ...] = ()
    wall: bool = False  # `wallboard demo --wall`
    view: str = "grid"  # or "list": the agent list


SHOTS = (
    Shot("floor-80x24", (80, 24)),
    Shot("floor-160x48", (160, 48)),
    Shot("wall-200x60", (200, 60), agents=160, queues=4, wall=True),
    Shot("wall-120x36", (120, 36), agents=160, queues=4, wall=True),
    Shot("list-160x48", (160, 48), agents=160, queues=4, view="list"),
    Shot("high-contrast-120x36", (120, 36), theme="high-contrast"),
    Shot("help-80x24", (80, 24), keys=("question_mark",)),
    Shot("trends-120x36", (120, 36), keys=("g",)),
)


async def take(shot: Shot, directory: Path) -> str:
    with seeded_floor(directory, agents=shot.agents, queues=shot.queues) as floor:
        app = floor.app(theme=shot.theme, wall=shot.wall, view=shot.view, bell=False)
        async with app.run_test(size=shot.size) as pilot:
            await app.wait_for_snapshot(timeout=15)
            await app.workers.wait_for_complete()
            for key in shot.keys:
                await pilot.press(key)
            await pilot.pause()
            return app.export_screenshot(title=f"wallboard ({shot.size[0]}x{shot.size[1]})")


def main() -> int:
    for shot in SHOTS:
        with tempfile.TemporaryDirectory(prefix="wallboard-shot-") as scratch:
            svg = asyncio.run(take(shot, Path(scratch)))
        target = HERE / f"{shot.name}.svg"
        target.write_text(svg, encoding="utf-8")
        print(f"wrote {target.relative_to(HERE.parent)}")
    report_picture(HERE / "report.png")
    print("wrote screenshots/report.png")
    return 0


def report_picture(target: Path) -> None:
    """The report page of a month of history, drawn by headless Chromium."""
    import shutil
    import subprocess

    browser = shutil.which("chromium")
    if browser is None:
        raise SystemExit("report.png needs Debian's chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="wallboard-report-") as scratch:
        store, page = Path(scratch) / "history.sqlite3", Path(scratch) / "report.html"
        history = ["benchmarks.bench_history", "--days", "30", "--agents", "60", "--keep", scratch]
        subprocess.run([sys.executable, "-m", *history], check=True, capture_output=True)
        report = ["report", "--db", str(store), "--tz", "UTC", "--by", "campaign"]
        report += ["--from", "2026-01-01", "--to", "2026-01-30", "--html", str(page)]
        subprocess.run([sys.executable, "-m", "wallboard.cli", *report], check=True)
        headless = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
        shot = [f"--screenshot={target}", "--window-size=1200,1400", page.as_uri()]
        subprocess.run([browser, *headless, *shot], check=True, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
