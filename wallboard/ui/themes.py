"""Themes: TOML files mapped onto Textual's `Theme`, from the project and the user's config dir.

A wall screen in a bright room needs more contrast than a supervisor's laptop, and some
floors colour their states their own way; so themes are files, not code. The project ships
`themes/default.toml` and `themes/high-contrast.toml`; a file in
`config_dir()/themes/` adds a theme or replaces one of the same name. A file holds Textual's
theme fields and a `[variables]` table, where `state-idle`, `state-talking`, ... colour the
agent states (see `STATE_VARIABLES` for the full list and their defaults):

    name = "default"
    dark = true
    primary = "#2f81f7"
    [variables]
    state-idle = "#3fb950"
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "default"

#: Colours of the agent states and the time ramp; a theme may override any of them.
STATE_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "state-idle": "#3fb950",
        "state-ringing": "#d29922",
        "state-talking": "#2f81f7",
        "state-wrapup": "#a371f7",
        "state-paused": "#db6d28",
        "state-missed": "#f85149",
        "state-offline": "#6e7681",
        "state-disabled": "#484f58",
        "ramp-amber": "#e3b341",
        "ramp-red": "#ff5f56",
        "tile-background": "#1c2128",
    }
)

_COLOUR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_KNOWN = {f.name for f in fields(Theme)}


class ThemeError(Exception):
    """A theme file cannot be used; the message names the file and the key."""


def project_theme_dirs() -> list[Path]:
    """Where the shipped themes are: `themes/` beside the package (a checkout or editable
    install), or inside the package when it was installed with its data."""
    here = Path(__file__).resolve().parent
    return [here.parent.parent / "themes", here.parent / "themes"]


def user_theme_dir() -> Path:
    from wallboard.config import config_dir

    return config_dir() / "themes"


def theme_from_toml(path: Path) -> Theme:
    """Read one theme file; a theme's name defaults to the file's name."""
    try:
        with path.open("rb") as stream:
            document = tomllib.load(stream)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ThemeError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ThemeError(f"{path}: not UTF-8 text") from None
    return theme_from_mapping(document, str(path), default_name=path.stem)


def theme_from_mapping(document: Mapping[str, Any], where: str, *, default_name: str) -> Theme:
    unknown = sorted(set(document) - _KNOWN)
    if unknown:
        raise ThemeError(
            f"{where}: unknown key {unknown[0]!r} (theme keys: {', '.join(sorted(_KNOWN))})"
        )
    values: dict[str, Any] = {"name": default_name}
    for key, value in document.items():
        if key in _COLOUR_FIELDS:
            values[key] = _colour(value, f"{where}: {key!r}")
        elif key == "name":
            if not isinstance(value, str) or not value.strip():
                raise ThemeError(f"{where}: 'name' must be text in quotes")
            values[key] = value.strip()
        elif key in ("dark", "ansi"):
            if not isinstance(value, bool):
                raise ThemeError(f"{where}: {key!r} must be true or false")
            values[key] = value
        elif key in ("luminosity_spread", "text_alpha"):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ThemeError(f"{where}: {key!r} must be a number")
            values[key] = float(value)
        elif key == "variables":
            values[key] = _variables(value, where)
    if "primary" not in values:
        raise ThemeError(f"{where}: no 'primary' colour (every theme needs one)")
    return Theme(**values)


def _colour(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ThemeError(f'{what} must be a colour in quotes, e.g. "#2f81f7"')
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeError(f"{what}: {value!r} is not a colour") from None
    return value


def _variables(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ThemeError(f"{where}: 'variables' must be a [variables] table")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise ThemeError(f"{where} [variables]: {key!r} must be text in quotes")
        if key in STATE_VARIABLES:
            _colour(item, f"{where} [variables]: {key!r}")
        out[str(key)] = item
    return out


def load_themes(dirs: Iterable[Path] | None = None) -> dict[str, Theme]:
    """Every theme from the project's and the user's theme dirs; later dirs win by name."""
    if dirs is None:
        dirs = [*project_theme_dirs(), user_theme_dir()]
    themes: dict[str, Theme] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            theme = theme_from_toml(path)
            themes[theme.name] = theme
    return themes


__all__ = [
    "DEFAULT_THEME",
    "STATE_VARIABLES",
    "ThemeError",
    "load_themes",
    "project_theme_dirs",
    "theme_from_mapping",
    "theme_from_toml",
    "user_theme_dir",
]
