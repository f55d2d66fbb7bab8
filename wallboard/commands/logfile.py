"""`wallboard.log`: where warnings go while the screen owns the terminal.

On the terminal they would scribble over the screen, and lost they would help nobody. The
log rotates (a library handler, `LOG_BYTES` a file, `LOG_BACKUPS` old files kept), so a day
of faults cannot fill a disk, and every file of it is its owner's alone (0600): a log may
name the profile and the server, which are nobody else's business.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
from pathlib import Path

from wallboard.config import data_dir, ensure_private_dir

LOG_FILE = "wallboard.log"
LOG_BYTES = 1_000_000
LOG_BACKUPS = 3
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files (the first and each one after a rollover) are
    created 0600, whatever the umask."""

    def _open(self) -> io.TextIOWrapper:
        stream = open(  # noqa: SIM115 - the handler keeps it open and closes it
            self.baseFilename,
            "a",  # as the handler is made: `log_handler` never asks for another mode
            encoding=self.encoding,
            errors=self.errors,
            opener=_private,
        )
        os.chmod(self.baseFilename, 0o600)  # a log made by an older version, or by hand
        return stream


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def log_handler(path: Path) -> logging.Handler:
    """The rotating, private handler on `path` (its directory is made 0700)."""
    ensure_private_dir(path.parent)
    handler = PrivateRotatingFileHandler(
        path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


def log_to_file(path: Path | None = None) -> logging.Handler:
    """Send warnings and worse to `wallboard.log` in the data dir (or `path`); returns the
    handler (a NullHandler when the file cannot be opened: a log is no reason not to run)."""
    handler: logging.Handler
    try:
        handler = log_handler(path if path is not None else data_dir() / LOG_FILE)
    except OSError:
        handler = logging.NullHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    return handler


__all__ = [
    "LOG_BACKUPS",
    "LOG_BYTES",
    "LOG_FILE",
    "PrivateRotatingFileHandler",
    "log_handler",
    "log_to_file",
]
