"""The command palette (ctrl+p): every key's action by name, the floor's actions only when
the dashboard may change the floor; and its theme list, with only the themes whose colours
a supervisor cannot mistake for each other."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.theme import ThemeProvider

from wallboard.ui.keys import KEYS, Key
from wallboard.ui.themes import offered


class FloorCommands(Provider):
    def _keys(self) -> Iterator[Key]:
        read_only = bool(getattr(self.app, "read_only", False))
        for key in KEYS:
            if key.in_palette and not (key.changes_floor and read_only):
                yield key

    async def discover(self) -> Hits:
        for key in self._keys():
            yield DiscoveryHit(key.help, partial(self.app.run_action, key.action), help=key.shown)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for key in self._keys():
            score = matcher.match(key.help)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(key.help),
                    partial(self.app.run_action, key.action),
                    help=key.shown,
                )


class OfferedThemes(ThemeProvider):
    """Textual's theme list, without the themes whose colours clash or cannot be measured
    (`wallboard.ui.themes.offered`): a theme that half applies is not offered."""

    @property
    def commands(self) -> list[tuple[str, Callable[[], None]]]:
        shown = offered(self.app.available_themes)
        return [(name, callback) for name, callback in super().commands if name in shown]


__all__ = ["FloorCommands", "OfferedThemes"]
