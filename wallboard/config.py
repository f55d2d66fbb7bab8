"""Where wallboard keeps its files, and the server profiles of `config.toml`.

A call floor may have several accounts (a test server, production), so the config file holds
named profiles; the environment overrides any of it so that a script or a container needs no
file at all. Secrets live in the file or, better, in an environment variable the profile
names. Every mistake is reported as a `ConfigError` naming the file and the key to fix.

    default = "floor"

    [profiles.floor]
    url = "https://pbx.example.com:8080"
    appid = "8f3c..."
    accesskey_env = "FLOOR_ACCESSKEY"   # or: accesskey = "..."
    tz = "Asia/Shanghai"                # optional: the server's time zone
    callback_listen = "0.0.0.0:8090"    # optional: receive the server's callbacks here

`tz` is the IANA name of the time zone the server writes its times in. The call records are
asked for by the server's clock ("today" is the server's day), so a dashboard on a machine in
another zone needs it; without it, this machine's zone is used.

`callback_listen` is the `host:port` where the dashboard listens for the server's callbacks
(the task callback tells it a campaign is over). The server must be configured to post to
that address; without the key, no port is opened.

The environment overrides the file: `WALLBOARD_URL`, `WALLBOARD_APPID`, `WALLBOARD_ACCESSKEY`,
`WALLBOARD_TZ`, `WALLBOARD_CALLBACK_LISTEN` (and `WALLBOARD_PROFILE` picks the profile).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
import tempfile
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger("wallboard.config")

APP_NAME = "wallboard"
ENV_CONFIG_DIR = "WALLBOARD_CONFIG_DIR"
ENV_DATA_DIR = "WALLBOARD_DATA_DIR"
ENV_URL = "WALLBOARD_URL"
ENV_APPID = "WALLBOARD_APPID"
ENV_ACCESSKEY = "WALLBOARD_ACCESSKEY"
ENV_PROFILE = "WALLBOARD_PROFILE"
ENV_TZ = "WALLBOARD_TZ"
ENV_CALLBACK_LISTEN = "WALLBOARD_CALLBACK_LISTEN"
CONFIG_FILE = "config.toml"

#: The keys of a [profiles.NAME] section.
KEYS = ("url", "appid", "accesskey", "accesskey_env", "tz", "callback_listen")
#: The keys a profile may leave out.
OPTIONAL = ("tz", "callback_listen")
#: Environment variables that override a profile's keys.
OVERRIDES = (
    ("url", ENV_URL),
    ("appid", ENV_APPID),
    ("accesskey", ENV_ACCESSKEY),
    ("tz", ENV_TZ),
    ("callback_listen", ENV_CALLBACK_LISTEN),
)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Profile:
    """What it takes to reach one server. The accesskey never shows in a repr."""

    url: str
    appid: str
    accesskey: str = field(repr=False)
    name: str = ""
    source: str = ""  # where it came from, for messages: a file, or "environment"
    tz: dt.tzinfo | None = None  # the server's time zone; None: this machine's
    callback_listen: tuple[str, int] | None = None  # (host, port) for the callback receiver

    def __repr__(self) -> str:
        return (
            f"Profile(name={self.name!r}, url={self.url!r}, appid={self.appid!r}, "
            f"accesskey='***', source={self.source!r}, tz={self.tz!r}, "
            f"callback_listen={self.callback_listen!r})"
        )


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


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600), atomically: for anything with a secret.

    The text goes to a private temporary file beside the target, which then replaces it, so a
    reader never sees half a file and the secret is never readable by others, not even
    briefly.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def load_profile(name: str | None = None, path: Path | None = None) -> Profile:
    """The profile to use: from the config file, then overridden by the environment.

    `name` defaults to `WALLBOARD_PROFILE`, then the file's `default`, then the only profile
    in the file. Without a config file, the environment alone must give url, appid and
    accesskey. `path` defaults to `config_path()`; an explicit path must exist.
    """
    explicit_path = path is not None
    file = Path(path).expanduser() if path is not None else config_path()
    name = name or os.environ.get(ENV_PROFILE, "").strip() or None
    values: dict[str, str] = {}
    origins: dict[str, str] = {}  # optional keys set by the environment, for messages
    where = "environment"
    chosen = name or ""
    if file.is_file():
        document = _read_toml(file)
        chosen, values = _profile_from(document, name, file)
        where = f"{file} [profiles.{chosen}]"
    elif explicit_path:
        raise ConfigError(f"{file}: no such config file")
    elif name:
        raise ConfigError(
            f"{file}: no such config file, so there is no profile {name!r} "
            f"(create it, or set {ENV_URL}, {ENV_APPID} and {ENV_ACCESSKEY})"
        )
    for key, variable in OVERRIDES:
        override = os.environ.get(variable, "").strip()
        if override:
            values[key] = override
            if key in OPTIONAL:
                origins[key] = f"environment variable {variable}"
    for key, variable in (("url", ENV_URL), ("appid", ENV_APPID), ("accesskey", ENV_ACCESSKEY)):
        if not values.get(key):
            if file.is_file():
                raise ConfigError(f"{where}: no {key!r} (set it there, or set {variable})")
            raise ConfigError(
                f"{file}: no config file and {variable} is not set: give {key!r} in a "
                f"profile there or set {ENV_URL}, {ENV_APPID} and {ENV_ACCESSKEY}"
            )
    _check_url(values["url"], where)
    return Profile(
        url=values["url"],
        appid=values["appid"],
        accesskey=values["accesskey"],
        name=chosen,
        source=where,
        tz=_zone(values["tz"], origins.get("tz", where)) if values.get("tz") else None,
        callback_listen=(
            _listen_address(values["callback_listen"], origins.get("callback_listen", where))
            if values.get("callback_listen")
            else None
        ),
    )


def _zone(name: str, where: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        shown = name if len(name) <= 40 else name[:37] + "..."
        raise ConfigError(
            f"{where}: 'tz' {shown!r} is not a time zone name "
            f"(use an IANA name such as 'Asia/Shanghai', 'Europe/London' or 'UTC')"
        ) from None


def _listen_address(text: str, where: str) -> tuple[str, int]:
    """`host:port`, `[v6 address]:port` too; port 1-65535."""
    host, sep, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if (
        not sep
        or not host
        or any(ch.isspace() or ch in "/[]" for ch in host)
        or not port.isdigit()
        or not 1 <= int(port) <= 65535
    ):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise ConfigError(
            f"{where}: 'callback_listen' must look like host:port, such as '0.0.0.0:8090' "
            f"(got {shown!r})"
        )
    return host, int(port)


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as stream:
            return tomllib.load(stream)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text") from None


def _profile_from(
    document: dict[str, Any], name: str | None, file: Path
) -> tuple[str, dict[str, str]]:
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{file}: 'profiles' must be a table of [profiles.NAME] sections")
    if name is None:
        default = document.get("default")
        if default is not None and not isinstance(default, str):
            raise ConfigError(f"{file}: 'default' must be a profile name in quotes")
        if default:
            name = default
        elif len(profiles) == 1:
            name = next(iter(profiles))
        elif not profiles:
            return "", {}
        else:
            names = ", ".join(sorted(profiles))
            raise ConfigError(
                f"{file}: several profiles ({names}) and no 'default': choose one with "
                f'--profile or set default = "NAME"'
            )
    section = profiles.get(name)
    if section is None:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"{file}: no profile {name!r} (profiles: {known})")
    if not isinstance(section, dict):
        raise ConfigError(f"{file}: 'profiles.{name}' must be a [profiles.{name}] section")
    where = f"{file} [profiles.{name}]"
    values: dict[str, str] = {}
    for key in KEYS:
        value = section.get(key)
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool) and key == "appid":
            value = str(value)
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key!r} must be text in quotes")
        values[key] = value.strip()
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (use {', '.join(KEYS[:-1])} or {KEYS[-1]})"
        )
    if values.get("accesskey"):
        _warn_if_readable(file)
    variable = values.pop("accesskey_env", "")
    if variable:
        if values.get("accesskey"):
            raise ConfigError(f"{where}: give 'accesskey' or 'accesskey_env', not both")
        secret = os.environ.get(variable, "").strip()
        if not secret and not os.environ.get(ENV_ACCESSKEY, "").strip():
            raise ConfigError(f"{where}: 'accesskey_env' names {variable}, which is not set")
        values["accesskey"] = secret
    return name, values


def _check_url(url: str, where: str) -> None:
    scheme, sep, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if not sep or scheme.lower() not in ("http", "https") or not host or " " in url:
        shown = "" if "@" in url else f" (got {url!r})"
        raise ConfigError(f"{where}: 'url' must look like http://host:port{shown}")


def _warn_if_readable(file: Path) -> None:
    """A key kept in the file should be readable by its owner alone; say so, change nothing."""
    if os.name != "posix":
        return
    try:
        mode = file.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s holds an accesskey and is readable by others: chmod 600 it", file)


__all__ = [
    "ConfigError",
    "Profile",
    "config_dir",
    "config_path",
    "data_dir",
    "load_profile",
    "write_private",
]
