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

`selection` colours the cursor (the selected tile, row and campaign). It must never be
mistaken for a state: a selected agent who is talking must not look like a talking agent
twice over. Every colour that carries meaning must be told apart at a glance, which
`clashes` measures (CIE76 distance in Lab, at least MIN_DISTANCE): the states from each
other, ringing from the time ramp, the selection from every state and ramp and from the
tile it sits on. Textual's own themes set none of these: they get the default state
colours (a darker set on a light theme) on their own ground (tiles on the theme's panel,
gaps on its background), and a selection from their own palette that does not clash
(`variable_defaults`); a theme whose colours still clash, or cannot be measured (the ANSI
themes), is left out of the command palette's list (`offered`), though it may still be
named in the config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from itertools import combinations
from pathlib import Path
from types import MappingProxyType

from textual.color import Color, ColorParseError, rgb_to_lab
from textual.theme import Theme

from wallboard.config import ThemeError
from wallboard.settings import DEFAULT_THEME, ThemeFile

#: Colours of the agent states and the time ramp; a theme may override any of them.
STATE_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "state-idle": "#3fb950",
        "state-ringing": "#39c5cf",
        "state-talking": "#2f81f7",
        "state-wrapup": "#a371f7",
        "state-paused": "#db6d28",
        "state-missed": "#f85149",
        "state-offline": "#8b949e",
        "state-disabled": "#484f58",
        "ramp-amber": "#e3b341",
        "ramp-red": "#ff5f56",
        "tile-background": "#1c2128",
        "selection": "#f778ba",
    }
)
#: The state colours for a light theme that sets none (Textual's light themes): darker, so
#: that the header's state words read on a light ground (3:1 or more; disabled is dim on
#: purpose), and kept as far apart as the dark ones.
LIGHT_STATE_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "state-idle": "#1a7f37",
        "state-ringing": "#1b7c83",
        "state-talking": "#0969da",
        "state-wrapup": "#8250df",
        "state-paused": "#bc4c00",
        "state-missed": "#cf222e",
        "state-offline": "#6e7781",
        "state-disabled": "#afb8c1",
        "ramp-amber": "#9a6700",
        "ramp-red": "#d1242f",
        "tile-background": "#eaeef2",
        "selection": "#bf3989",
    }
)
#: The variables that colour one agent state each (`state-idle`, ...), in the states' order.
STATE_COLOURS: tuple[str, ...] = tuple(k for k in STATE_VARIABLES if k.startswith("state-"))
#: The time-in-state ramp.
RAMP_COLOURS: tuple[str, ...] = ("ramp-amber", "ramp-red")
SELECTION = "selection"
TILE_BACKGROUND = "tile-background"
#: How far apart (CIE76 distance in Lab) two colours that mean different things must be.
#: About 2 is just noticeable side by side; 20 is told apart at a glance across a room.
MIN_DISTANCE = 20.0
#: The pairs that may share a colour: a missed call and a time past the red limit both
#: mean "act now", and are never side by side in one cell.
SAME_MEANING = frozenset({frozenset({"state-missed", "ramp-red"})})
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
    """The wallboard's theme variables for a theme that does not set them (Textual's own):
    the state colours (darker ones on a light theme); tiles on the theme's panel; a
    selection from the theme's palette that no state colour can be mistaken for; and a
    stale dimming that fades towards the theme's own background."""
    dark = theme.dark if theme is not None else True
    defaults = dict(STATE_VARIABLES if dark else LIGHT_STATE_VARIABLES)
    background = theme.background if theme is not None and theme.background else None
    base = Color.parse(background or _DEFAULT_BACKGROUNDS[0 if dark else 1])
    defaults[STALE_DIM] = base.with_alpha(STALE_FADE).hex
    if theme is None:
        return defaults
    generated = theme.to_color_system().generate()
    panel = _measurable(generated.get("panel"))
    if panel is not None:
        defaults[TILE_BACKGROUND] = panel.hex
    merged = {**defaults, **theme.variables}
    for field in ("primary", "accent", "secondary", "foreground"):
        candidate = _measurable(generated.get(field))
        if candidate is not None and not clashes({**merged, SELECTION: candidate.hex}):
            defaults[SELECTION] = candidate.hex
            break
    return defaults


def _measurable(text: str | None) -> Color | None:
    """A colour that can be measured: opaque, and not one of the terminal's ANSI colours
    (which look however the terminal likes)."""
    if not text:
        return None
    try:
        colour = Color.parse(text)
    except ColorParseError:
        return None
    return colour if colour.ansi is None and colour.a == 1 else None


def distance(first: str, second: str) -> float:
    """How different two colours look: CIE76 distance in Lab (0 is the same colour)."""
    a, b = rgb_to_lab(Color.parse(first)), rgb_to_lab(Color.parse(second))
    return float(((a.L - b.L) ** 2 + (a.a - b.a) ** 2 + (a.b - b.b) ** 2) ** 0.5)


def clashes(colours: Mapping[str, str]) -> list[str]:
    """The pairs of a theme's colours (its variables, defaults filled in) that a supervisor
    could mistake for each other, in words; empty when every meaning has its own colour.

    Checked: every state against every other and against the ramp; the selection against
    every state, the ramp and the tile it sits on. A colour that cannot be measured (an
    ANSI colour, a transparent one) clashes with everything."""
    names = [*STATE_COLOURS, *RAMP_COLOURS, SELECTION, TILE_BACKGROUND]
    found: list[str] = []
    unmeasurable = [name for name in names if _measurable(colours.get(name)) is None]
    if unmeasurable:
        return [f"{name} cannot be measured ({colours.get(name)!r})" for name in unmeasurable]
    pairs = [
        *combinations(STATE_COLOURS, 2),
        *((state, ramp) for state in STATE_COLOURS for ramp in RAMP_COLOURS),
        *((SELECTION, other) for other in (*STATE_COLOURS, *RAMP_COLOURS, TILE_BACKGROUND)),
    ]
    for first, second in pairs:
        if frozenset({first, second}) in SAME_MEANING:
            continue
        apart = distance(colours[first], colours[second])
        if apart < MIN_DISTANCE:
            found.append(f"{first} and {second} look alike (distance {apart:.0f})")
    return found


def theme_colours(theme: Theme) -> dict[str, str]:
    """A theme's wallboard colours as the screen will use them: its own, else the defaults."""
    return {**variable_defaults(theme), **theme.variables}


def theme_problems(theme: Theme) -> list[str]:
    """Why a theme would not apply fully, in words; empty when it does. Its ground (the
    background between tiles, the panel they sit on) must be colours of its own, not the
    terminal's (the ANSI themes), and its wallboard colours must not clash (`clashes`)."""
    generated = theme.to_color_system().generate()
    ground = [
        f"{name} is the terminal's own colour ({generated.get(name)!r})"
        for name in ("background", "panel")
        if _measurable(generated.get(name)) is None
    ]
    return ground + clashes(theme_colours(theme))


def offered(themes: Mapping[str, Theme]) -> dict[str, Theme]:
    """The themes to offer in the command palette: those that apply fully."""
    return {name: theme for name, theme in themes.items() if not theme_problems(theme)}


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
    "LIGHT_STATE_VARIABLES",
    "MIN_DISTANCE",
    "RAMP_COLOURS",
    "SELECTION",
    "STALE_DIM",
    "STATE_COLOURS",
    "STATE_VARIABLES",
    "ThemeError",
    "clashes",
    "distance",
    "load_themes",
    "offered",
    "theme_colours",
    "theme_from_mapping",
    "theme_problems",
    "themes_from",
    "variable_defaults",
]
