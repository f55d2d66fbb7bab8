"""The audit log: who did what to the floor, when, and what the server answered.

A supervisor's action changes people's working day (an agent checked out, a campaign ended),
so each one is recorded, refused ones too, as one JSON line in `data_dir()/audit.jsonl`.
Lines are appended with a single write on a file opened for appending, so two dashboards on
one account never interleave half lines. Only structured fields are written, never a request:
no token and no accesskey can reach the file.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

log = logging.getLogger("wallboard.live.audit")

AUDIT_FILE = "audit.jsonl"
#: Field names that must never be written, whatever a caller passes in `details`.
SECRET_FIELDS = frozenset({"token", "accesskey", "password", "secret"})


def current_user() -> str:
    """The login name of whoever runs the dashboard, or "unknown" when the OS cannot say."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


class AuditLog:
    """Appends one JSON line per supervisor action."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
        user: str | None = None,
    ) -> None:
        if path is None:
            from wallboard.config import data_dir

            path = data_dir() / AUDIT_FILE
        self.path = Path(path)
        self.user = user or current_user()
        self._clock = clock
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AuditLog(path={str(self.path)!r}, user={self.user!r})"

    def append(
        self,
        *,
        action: str,
        target: str,
        outcome: str,
        code: int | None = None,
        message: str = "",
        user: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> dict[str, object]:
        """Write one entry and return it. Raises OSError when the file cannot be written."""
        stamp = dt.datetime.fromtimestamp(self._clock()).astimezone()
        entry: dict[str, object] = {
            "ts": stamp.isoformat(timespec="seconds"),
            "user": user or self.user,
            "action": action,
            "target": target,
            "outcome": outcome,
            "code": code,
            "message": message,
        }
        for key, value in (details or {}).items():
            if key.lower() not in SECRET_FIELDS and key not in entry:
                entry[key] = value
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if not _ends_a_line(handle):
                    line = "\n" + line  # a line cut short by a crash stays on its own
                os.write(handle, line.encode("utf-8"))
            finally:
                os.close(handle)
        return entry

    def write(
        self,
        *,
        action: str,
        target: str,
        outcome: str,
        code: int | None = None,
        message: str = "",
        user: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> str:
        """`append` for a caller that must go on when the disk fails (a key press, an upload
        already done): "" when written, else the problem in words for the screen or the
        command line ("not written to the audit log: No space left on device"), logged."""
        try:
            self.append(
                action=action,
                target=target,
                outcome=outcome,
                code=code,
                message=message,
                user=user,
                details=details,
            )
        except OSError as exc:
            log.warning("audit log not written: %s", exc)
            return f"not written to the audit log: {exc.strerror or exc}"
        return ""

    def entries(self, limit: int | None = None) -> list[dict[str, object]]:
        """The entries written so far (the last `limit` of them), skipping damaged lines."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        if limit is not None:
            lines = lines[-limit:] if limit > 0 else []
        found: list[dict[str, object]] = []
        for line in lines:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                found.append(item)
        return found


def _ends_a_line(handle: int) -> bool:
    size = os.fstat(handle).st_size
    return size == 0 or os.pread(handle, 1, size - 1) == b"\n"


__all__ = ["AUDIT_FILE", "AuditLog", "current_user"]
