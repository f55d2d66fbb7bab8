"""Colours that carry meaning are told apart: in every shipped theme and every theme the
palette offers, the states differ from each other, ringing from the time ramp, and the
cursor from every state; the colour-blind theme keeps its states apart for colour-blind
eyes too; and a Textual theme colours the tiles and the gaps between them."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from rich.color import Color as RichColor
from test_ui_support import agent, campaign, scripted_app, snapshot
from textual.color import Color
from textual.color import rgb_to_lab as lab
from textual.theme import BUILTIN_THEMES, Theme

from wallboard.config import shipped_theme_dir
from wallboard.live.snapshot import AgentState
from wallboard.ui.agent_grid import TileColumn
from wallboard.ui.agent_list import AgentList
from wallboard.ui.commands import OfferedThemes
from wallboard.ui.themes import load_themes, theme_colours

SHIPPED = load_themes([shipped_theme_dir()])
EVERY = {**BUILTIN_THEMES, **SHIPPED}
STATES = [f"state-{state.name.lower()}" for state in AgentState]
RAMPS = ["ramp-amber", "ramp-red"]
#: CIE76 distance in Lab told apart at a glance (about 2 is just noticeable side by side).
APART = 20.0


def apart(first: str, second: str) -> float:
    a, b = lab(Color.parse(first)), lab(Color.parse(second))
    return float(((a.L - b.L) ** 2 + (a.a - b.a) ** 2 + (a.b - b.b) ** 2) ** 0.5)


def alike(colours: dict[str, str]) -> list[tuple[str, str, int]]:
    """The pairs that should differ and do not: states among themselves, every state but
    missed against the ramp (missed and red both say "act now"), the cursor against
    every state, the ramp and the tile."""
    pairs = [
        *combinations(STATES, 2),
        *((state, ramp) for state in STATES if state != "state-missed" for ramp in RAMPS),
        *(("selection", other) for other in (*STATES, *RAMPS, "tile-background")),
    ]
    return [
        (a, b, round(apart(colours[a], colours[b])))
        for a, b in pairs
        if apart(colours[a], colours[b]) < APART
    ]


def test_the_shipped_themes_include_a_colour_blind_one() -> None:
    assert {"default", "high-contrast", "colour-blind"} <= set(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_theme_keeps_its_meanings_apart(name: str) -> None:
    colours = theme_colours(SHIPPED[name])
    assert alike(colours) == []
    assert colours["selection"] != colours["state-talking"]  # the cursor was TALK's blue


def test_the_old_default_colours_would_have_failed() -> None:
    """The check sees the defects it was written for: the cursor in TALK's blue, ringing
    in the amber of the time ramp."""
    old = {**theme_colours(SHIPPED["default"]), "selection": "#2f81f7", "state-ringing": "#d29922"}
    found = {(a, b) for a, b, _ in alike(old)}
    assert ("state-ringing", "ramp-amber") in found and ("selection", "state-talking") in found


async def test_the_palette_offers_every_theme_that_applies_fully(tmp_path: Path) -> None:
    """Each theme the palette lists keeps its meanings apart; of Textual's own, only the
    ANSI themes (the terminal's colours, which cannot be measured) are left out."""
    app, _floor, _client = scripted_app(tmp_path, [snapshot()], themes=SHIPPED)
    async with app.run_test(size=(80, 24)):
        listed = {name for name, _callback in OfferedThemes(app.screen).commands}
    assert set(EVERY) - listed == {"ansi-dark", "ansi-light"}
    for name in listed:
        assert alike(theme_colours(EVERY[name])) == [], name


# Machado, Oliveira & Fernandes (2009), full severity, on linear RGB.
CVD = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}
#: Apart enough for a colour-blind eye (the glyph and the word are there besides).
CVD_APART = 15.0


def seen_by(kind: str, colour: str) -> str:
    """How a colour looks to an eye with that colour blindness."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    def encoded(c: float) -> float:
        c = min(1.0, max(0.0, c))
        return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055

    rgb = [linear(v / 255) for v in Color.parse(colour).rgb]
    out = [encoded(sum(m * v for m, v in zip(row, rgb, strict=True))) for row in CVD[kind]]
    return Color(*(round(v * 255) for v in out)).hex


def cvd_alike(theme: str, kind: str) -> list[tuple[str, str]]:
    colours = theme_colours(SHIPPED[theme])
    names = [*STATES, *RAMPS, "selection"]
    return [
        (a, b)
        for a, b in combinations(names, 2)
        if {a, b} != {"state-missed", "ramp-red"}
        and apart(seen_by(kind, colours[a]), seen_by(kind, colours[b])) < CVD_APART
    ]


@pytest.mark.parametrize("kind", sorted(CVD))
def test_the_colour_blind_theme_keeps_its_states_apart_for_colour_blind_eyes(kind: str) -> None:
    assert cvd_alike("colour-blind", kind) == []


def test_the_default_theme_is_not_colour_blind_safe() -> None:
    """The simulation tells the palettes apart: the default's talking and wrap-up merge for
    a protanope, which is why the colour-blind theme exists."""
    assert ("state-talking", "state-wrapup") in cvd_alike("default", "protanopia")


def rich(colour: str) -> RichColor:
    return Color.parse(colour).rich_color


@pytest.mark.parametrize("name", ["nord", "textual-light", "gruvbox", "colour-blind"])
async def test_tiles_and_gaps_take_the_theme_colours(tmp_path: Path, name: str) -> None:
    """Textual's themes colour the tiles too (its panel), not only the gaps between them
    (its background): nord no longer shows black tiles on its blue-grey ground."""
    floor = snapshot(
        {"sales": [agent("1001"), agent("1002", state=AgentState.TALKING)]}, [campaign()]
    )
    theme: Theme = EVERY[name]
    app, _floor, _client = scripted_app(tmp_path, [floor], themes=SHIPPED, theme=name)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        variables = app.get_css_variables()
        generated = theme.to_color_system().generate()
        tile = theme.variables.get("tile-background", generated["panel"])
        assert Color.parse(variables["tile-background"]) == Color.parse(tile)
        column = app.grid.query(TileColumn).first()
        assert column.get_component_rich_style("agent-grid--tile").bgcolor == rich(tile)
        assert column.rich_style.bgcolor == rich(generated["background"])
        cursor = column.get_component_rich_style("agent-grid--cursor").bgcolor
        talking = column.get_component_rich_style("agent-grid--state-talking").bgcolor
        assert cursor == rich(variables["selection"]) and cursor != talking


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio (1 to 21) of two colours."""

    def luminance(colour: str) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(v) for v in Color.parse(colour).rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


LIGHT = sorted(name for name, theme in BUILTIN_THEMES.items() if not theme.dark)


@pytest.mark.parametrize("name", [n for n in LIGHT if not n.startswith("ansi")])
def test_a_light_theme_gets_state_words_that_read_on_its_ground(name: str) -> None:
    """The header writes each state's count in its colour on the theme's surface: on a
    light theme the default (dark-theme) colours would read at 1.5:1; its own read at 3:1
    at least (disabled is dim on purpose)."""
    theme = BUILTIN_THEMES[name]
    surface = theme.to_color_system().generate()["surface"]
    colours = theme_colours(theme)
    for state in [*STATES, *RAMPS]:
        if state != "state-disabled":
            assert contrast(colours[state], surface) >= 3.0, state
    dark = theme_colours(BUILTIN_THEMES["textual-dark"])
    assert min(contrast(dark[state], surface) for state in STATES) < 3.0  # the old ones


async def test_the_agent_list_cursor_takes_the_selection_colour(tmp_path: Path) -> None:
    app, _floor, _client = scripted_app(tmp_path, [snapshot()], themes=SHIPPED)
    async with app.run_test(size=(80, 24)) as pilot:
        listed = AgentList()
        await app.screen.mount(listed)
        listed.focus()
        await pilot.pause()
        selection = rich(app.get_css_variables()["selection"])
        assert listed.get_component_rich_style("agent-list--cursor").bgcolor == selection
        talking = listed.get_component_rich_style("agent-list--state-talking").bgcolor
        assert talking != selection
