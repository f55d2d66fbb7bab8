"""Where wallboard keeps its files, and the one way a TOML file is read.

Every file wallboard reads or writes for the user lives in two places: the config dir
(`config.toml`, `themes/`, `agents.csv`) and the data dir (the audit log, the tracked
campaigns, the log, the screen's remembered view). Both follow the platform's conventions
and can be moved with an environment variable, so a test or a container needs no home
directory. What the files
*mean* is `wallboard.settings`; this module only knows where they are, how to read TOML,
and how to write a file atomically (a private one for secrets).
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import stat
import tempfile
import tomllib
from pathlib import Path

import platformdirs

log = logging.getLogger("wallboard.config")

APP_NAME = "wallboard"
ENV_CONFIG_DIR = "WALLBOARD_CONFIG_DIR"
ENV_DATA_DIR = "WALLBOARD_DATA_DIR"
CONFIG_FILE = "config.toml"
THEMES_DIR = "themes"
#: The agents file (extension -> name) read when the settings name none.
AGENTS_FILE = "agents.csv"
#: The task-callback receiver's secret path, when the profile sets none (in the data dir).
CALLBACK_PATH_FILE = "callback_path"
#: What the screen remembers between runs (grid or list), in the data dir; no secrets.
SCREEN_FILE = "screen.json"
#: Mode bits that let anyone but the owner at a file or a directory.
OTHERS = stat.S_IRWXG | stat.S_IRWXO


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


class ThemeError(ConfigError):
    """A theme cannot be used; the message names the file and the key."""


def config_dir() -> Path:
    """The user's config directory for wallboard (`WALLBOARD_CONFIG_DIR` overrides it)."""
    override = os.environ.get(ENV_CONFIG_DIR, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """The user's data directory for wallboard (`WALLBOARD_DATA_DIR` overrides it)."""
    override = os.environ.get(ENV_DATA_DIR, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_path() -> Path:
    """The default config file: `config.toml` in `config_dir()`."""
    return config_dir() / CONFIG_FILE


def user_theme_dir() -> Path:
    """Where a user's own theme files go: `themes/` in `config_dir()`."""
    return config_dir() / THEMES_DIR


def default_agents_path() -> Path:
    """The agents file used when the settings name none: `agents.csv` in `config_dir()`."""
    return config_dir() / AGENTS_FILE


def screen_state_path() -> Path:
    """The screen's remembered choices (`screen.json` in `data_dir()`)."""
    return data_dir() / SCREEN_FILE


def shipped_theme_dir() -> Path:
    """The themes that come with wallboard, inside the package so that a wheel has them."""
    return Path(__file__).resolve().parent / THEMES_DIR


def ensure_private_dir(path: Path) -> Path:
    """`path`, created if missing, readable by its owner alone (0700), and returned.

    The data dir holds the audit log, the log and the callback secret; the config dir holds
    accesskeys. A new directory is made 0700. An existing one is closed to others only when
    it is wallboard's own (named `wallboard`, owned by this user): a directory named in the
    environment may be shared or someone's home, and is left as it is. Raises OSError when
    the directory cannot be made."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix" and path.name == APP_NAME:
        info = path.stat()
        if info.st_mode & OTHERS and info.st_uid == os.getuid():
            os.chmod(path, 0o700)
            log.info("%s was open to others (mode %04o): now 0700", path, info.st_mode & 0o777)
    return path


def others_can_read(path: Path) -> int | None:
    """The file's permission bits when anyone but its owner may use it, else None."""
    if os.name != "posix":
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & OTHERS else None


def stored_callback_path(folder: Path | None = None) -> str:
    """The receiver's secret path kept in `folder` (the data dir): made once, at random
    (`secrets.token_urlsafe`), written 0600, and the same on every later run.

    Raises ConfigError when it cannot be read or written, or when others can read it."""
    path = (data_dir() if folder is None else Path(folder)) / CALLBACK_PATH_FILE
    try:
        if path.is_file():
            mode = others_can_read(path)
            if mode is not None:
                raise ConfigError(
                    f"{path}: holds the callback secret and others can read it "
                    f"(mode {mode:04o}): run chmod 600 {path}"
                )
            kept = path.read_text(encoding="utf-8").strip()
            if kept.startswith("/") and len(kept) > 16:
                return kept
        made = "/" + secrets.token_urlsafe(24)
        ensure_private_dir(path.parent)
        write_private(path, made + "\n")
        return made
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot keep the callback secret: {exc.strerror or exc}"
        ) from None


def read_toml(path: Path, error: type[ConfigError] = ConfigError) -> dict[str, object]:
    """The document of one TOML file, or `error` with a one-line message naming the file.

    The one TOML reader of wallboard: the config file and the theme files both come here, so
    a broken file says the same thing whichever it is."""
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600), atomically: for anything with a secret.

    The text goes to a private temporary file beside the target, which then replaces it, so a
    reader never sees half a file and the secret is never readable by others, not even
    briefly.
    """
    write_atomically(path, text, mode=0o600)


def write_atomically(path: Path, text: str, *, mode: int = 0o600, replace: bool = True) -> None:
    """Write `text` to `path` through a temporary file beside it, so that a reader (a running
    dashboard re-reading the file) never sees half a file; the file ends with `mode`.

    The temporary file is private until it is complete. `replace` False never overwrites:
    FileExistsError when `path` exists, even when it appeared while this was writing (the
    file is linked into place, which fails on an existing name). A missing parent folder is
    made 0700 (wallboard's folders hold secrets)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not replace and os.path.lexists(path):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        if replace or not _linked(temporary, path):
            os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if replace:
        os.chmod(path, mode)


def _linked(temporary: str, path: Path) -> bool:
    """Link the complete file into place without overwriting (FileExistsError when `path`
    exists); False where the file system has no hard links (then only the check before
    writing guards against overwriting)."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        return False
    os.unlink(temporary)
    return True


__all__ = [
    "AGENTS_FILE",
    "CALLBACK_PATH_FILE",
    "SCREEN_FILE",
    "ConfigError",
    "ThemeError",
    "config_dir",
    "config_path",
    "data_dir",
    "default_agents_path",
    "ensure_private_dir",
    "others_can_read",
    "read_toml",
    "screen_state_path",
    "shipped_theme_dir",
    "stored_callback_path",
    "user_theme_dir",
    "write_atomically",
    "write_private",
]
