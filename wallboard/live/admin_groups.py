"""The extension groups this dashboard knows by name.

GetExtgroupInfo requires a group's name ("| name | string | yes | group name |") and no
documented call lists an account's groups. So the groups screen lists the names this
dashboard has met: groups it created, and groups the supervisor looked up by name and the
server confirmed. They are kept in a small JSON file in the data dir so that the list
survives a restart; a group the server no longer knows is forgotten when it says so.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from wallboard.config import write_private

log = logging.getLogger("wallboard.live.admin_groups")

GROUPS_FILE = "groups.json"


class KnownGroups:
    """Group names, in the order they were met; `path` None keeps them in memory only."""

    def __init__(self, path: Path | None = None, names: Iterable[str] = ()) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._names: list[str] = []
        for name in [*self._read(), *names]:
            self._remember(name)

    @classmethod
    def default(cls) -> KnownGroups:
        """The list in the user data dir (`WALLBOARD_DATA_DIR` overrides it)."""
        from wallboard.config import data_dir

        return cls(data_dir() / GROUPS_FILE)

    def __repr__(self) -> str:
        return f"KnownGroups(path={str(self.path) if self.path else None!r}, {len(self._names)})"

    def names(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._names)

    def add(self, name: str) -> None:
        """Remember a group the server confirmed; a failing disk only costs the memory."""
        with self._lock:
            if self._remember(name):
                self._write()

    def forget(self, name: str) -> None:
        """A group the server says does not exist (any more)."""
        with self._lock:
            if name.strip() in self._names:
                self._names.remove(name.strip())
                self._write()

    def _remember(self, name: str) -> bool:
        key = name.strip()
        if not key or key in self._names:
            return False
        self._names.append(key)
        return True

    def _read(self) -> list[str]:
        if self.path is None:
            return []
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            log.warning("%s: not read (%s); starting with no known groups", self.path, exc)
            return []
        names = document.get("groups") if isinstance(document, dict) else None
        return [str(name) for name in names] if isinstance(names, list) else []

    def _write(self) -> None:
        if self.path is None:
            return
        try:
            write_private(self.path, json.dumps({"groups": self._names}, ensure_ascii=False))
        except OSError as exc:
            log.warning("%s: not written (%s)", self.path, exc.strerror or exc)


__all__ = ["GROUPS_FILE", "KnownGroups"]
