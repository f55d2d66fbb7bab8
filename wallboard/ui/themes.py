"""Themes: Textual `Theme`s built from the documents of theme files.

A wall screen in a bright room needs more contrast than a supervisor's laptop, and some
floors colour their states their own way; so themes are files, not code. wallboard ships
`default` and `high-contrast` inside the package; a file in the config dir's `themes/` adds a
theme or replaces one of the same name. The files are read by `wallboard.settings` (the one
TOML reader); this module turns their documents into themes. A file holds Textual's theme
fields and a `[variables]` table, where `state-idle`, `state-talking`, ... colour the agent
states (see `STATE_VARIABLES` for the full list and their defaults):

    name = "default"
    dark = true
    primary = "#2f81f7"
    [variables]
    state-idle = "#3fb950"

`stale-dim` is the colour that stale data fades towards, with its strength as the colour's
alpha ("#0d111799": 60% of the way to the background). A theme that does not set it fades
towards its own background (`variable_defaults`), so Textual's own themes dim too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType

from textual.color import Color, ColorParseError
from textual.theme import Theme

from wallboard.config import ThemeError
from wallboard.settings import DEFAULT_THEME, ThemeFile

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
#: The colour stale data fades towards (tiles, campaigns, header figures); see the module.
STALE_DIM = "stale-dim"
#: How far stale data fades towards the background when a theme does not say.
STALE_FADE = 0.6
#: Textual's backgrounds for a theme that sets none (dark, light).
_DEFAULT_BACKGROUNDS = ("#121212", "#efefef")

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


def theme_from_mapping(document: Mapping[str, object], where: str, *, default_name: str) -> Theme:
    """One theme from a theme file's document; `where` names the file in messages."""
    unknown = sorted(set(document) - _KNOWN)
    if unknown:
        raise ThemeError(
            f"{where}: unknown key {unknown[0]!r} (theme keys: {', '.join(sorted(_KNOWN))})"
        )
    values: dict[str, object] = {"name": default_name}
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
    return Theme(**values)  # type: ignore[arg-type]


def _colour(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ThemeError(f'{what} must be a colour in quotes, e.g. "#2f81f7"')
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeError(f"{what}: {value!r} is not a colour") from None
    return value


def _variables(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ThemeError(f"{where}: 'variables' must be a [variables] table")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise ThemeError(f"{where} [variables]: {key!r} must be text in quotes")
        if key in STATE_VARIABLES or key == STALE_DIM:
            _colour(item, f"{where} [variables]: {key!r}")
        out[str(key)] = item
    return out


def variable_defaults(theme: Theme | None) -> dict[str, str]:
    """The wallboard's theme variables for a theme that does not set them: the state
    colours, and a stale dimming that fades towards the theme's own background."""
    defaults = dict(STATE_VARIABLES)
    dark = theme.dark if theme is not None else True
    background = theme.background if theme is not None and theme.background else None
    base = Color.parse(background or _DEFAULT_BACKGROUNDS[0 if dark else 1])
    defaults[STALE_DIM] = base.with_alpha(STALE_FADE).hex
    return defaults


def themes_from(files: Iterable[ThemeFile]) -> dict[str, Theme]:
    """The themes of theme files, by name; a later file replaces an earlier one's theme."""
    themes: dict[str, Theme] = {}
    for file in files:
        theme = theme_from_mapping(file.document, str(file.path), default_name=file.path.stem)
        themes[theme.name] = theme
    return themes


def load_themes(dirs: Sequence[Path] | None = None) -> dict[str, Theme]:
    """Every theme of the shipped and the user's theme dirs.

    For the app until it is handed its themes by the composition root; new code reads the
    files with `wallboard.settings.read_theme_files` and builds them with `themes_from`."""
    from wallboard.settings import read_theme_files

    return themes_from(read_theme_files(dirs))


__all__ = [
    "DEFAULT_THEME",
    "STALE_DIM",
    "STATE_VARIABLES",
    "ThemeError",
    "load_themes",
    "theme_from_mapping",
    "themes_from",
    "variable_defaults",
]
