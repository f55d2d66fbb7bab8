"""Make the SVG screenshots of the floor screen shown in the README.

    python -m screenshots.make        (from the repository's root)

Each picture is the seeded demo floor (simulator seed 7, five simulated minutes in, clock
stopped), so running this again gives the same pictures unless the screen changed.
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
