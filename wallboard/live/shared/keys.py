"""Where one profile's floor lives in Redis: every key under `{prefix}:{profile}:`, so that
several floors (profiles) share one Redis without meeting."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The prefix when the settings name none (`[redis] prefix`).
DEFAULT_PREFIX = "wallboard"
#: The profile part when the run names no profile.
DEFAULT_PROFILE = "default"
_PART = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


@dataclass(frozen=True, slots=True)
class FloorKeys:
    """The keys of one floor. `prefix` and `profile` are plain words (letters, digits, `_.-`),
    so that no profile name can reach into another's keys."""

    prefix: str = DEFAULT_PREFIX
    profile: str = DEFAULT_PROFILE

    def __post_init__(self) -> None:
        for what, value in (("prefix", self.prefix), ("profile", self.profile)):
            if not _PART.fullmatch(value):
                raise ValueError(
                    f"redis {what} {value[:40]!r}: use 1 to 64 letters, digits, '_', '.' or '-'"
                )

    @property
    def base(self) -> str:
        return f"{self.prefix}:{self.profile}"

    @property
    def snapshot(self) -> str:
        """The full snapshot, versioned, with the collector's server time (a string key)."""
        return f"{self.base}:snapshot"

    @property
    def changes(self) -> str:
        """The stream of compact changes; entry id `{version}-0`."""
        return f"{self.base}:changes"

    @property
    def lock(self) -> str:
        """Held by the collector that polls; standbys wait for it to expire."""
        return f"{self.base}:collector"

    @property
    def requests(self) -> str:
        """The stream of viewers' action requests."""
        return f"{self.base}:requests"

    def reply(self, viewer: str, request_id: str) -> str:
        """The list one request's outcome is pushed to, for the viewer that waits on it."""
        return f"{self.base}:reply:{viewer}:{request_id}"

    def done(self, request_id: str) -> str:
        """The outcome of a request already executed (a request id is executed once)."""
        return f"{self.base}:done:{request_id}"


__all__ = ["DEFAULT_PREFIX", "DEFAULT_PROFILE", "FloorKeys"]
