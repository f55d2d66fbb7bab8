"""The command palette (ctrl+p): every key's action by name, the floor's actions only when
the dashboard may change the floor."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from wallboard.ui.keys import KEYS, Key


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


__all__ = ["FloorCommands"]
