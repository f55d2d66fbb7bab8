"""`screen.json`: what the screen remembers from one run to the next (the grid or the list).

A supervisor who prefers the list should not switch to it every morning. The file is tiny JSON
in the data dir, holding choices only (never a server, a key or a name): `{"view": "list"}`.
It is read once when the dashboard starts and written, atomically, whenever the choice
changes. A missing, broken or foreign file means the defaults, and a file that cannot be
written only costs the memory (a warning in the log): neither may stop the screen.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from wallboard.config import screen_state_path, write_atomically

log = logging.getLogger("wallboard.screen_state")

#: The agents' layouts the screen offers; the first is the default.
VIEWS = ("grid", "list")
DEFAULT_VIEW = VIEWS[0]


@dataclass(frozen=True, slots=True)
class ScreenMemory:
    """The remembered choices in one file (`screen_state_path()` unless told otherwise)."""

    path: Path

    @classmethod
    def default(cls) -> ScreenMemory:
        return cls(screen_state_path())

    def view(self) -> str:
        """The view to start in: the remembered one, else the grid."""
        view = self._read().get("view")
        if view in VIEWS:
            return str(view)
        if view is not None:
            log.warning("%s: unknown view %r, starting with the %s", self.path, view, DEFAULT_VIEW)
        return DEFAULT_VIEW

    def remember_view(self, view: str) -> None:
        """Keep `view` for the next run (an unknown view is not kept). Never raises: the
        screen calls this on a key press and must go on whatever the disk says."""
        if view not in VIEWS:
            log.warning("view %r not remembered: not one of %s", view, ", ".join(VIEWS))
            return
        state = self._read()
        if state.get("view") == view:
            return
        state["view"] = view
        try:
            write_atomically(self.path, json.dumps(state, sort_keys=True) + "\n", mode=0o600)
        except OSError as exc:
            log.warning("%s: view not remembered: %s", self.path, exc.strerror or exc)

    def _read(self) -> dict[str, object]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("%s: cannot be read (%s): defaults used", self.path, exc)
            return {}
        try:
            state = json.loads(text)
        except ValueError:
            log.warning("%s: not JSON: defaults used", self.path)
            return {}
        if not isinstance(state, dict):
            log.warning("%s: not a JSON object: defaults used", self.path)
            return {}
        return state


__all__ = ["DEFAULT_VIEW", "VIEWS", "ScreenMemory"]
