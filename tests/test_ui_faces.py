"""What a tile, a heading and a campaign say, the thresholds' ramp, and theme files."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from test_ui_support import T0, agent, campaign, scripted_app, snapshot
from textual.color import Color
from textual.theme import Theme

from wallboard.config import ConfigError, ThemeError, shipped_theme_dir
from wallboard.live.snapshot import AgentState, CampaignStatus, QueueView
from wallboard.settings import CommandLine, load_settings
from wallboard.ui.campaigns_pane import LAST, abandon_pieces, calls_text, campaign_lines
from wallboard.ui.faces import (
    LOOKS,
    clean,
    display_name,
    duration,
    fit,
    fit_left,
    progress_bar,
    queue_heading,
    tile_clock,
    tile_face,
)
from wallboard.ui.floor_header import abandon_level
from wallboard.ui.themes import load_themes, variable_defaults
from wallboard.ui.thresholds import Ramp, Thresholds


def test_a_talking_tile_shows_everything_a_supervisor_reads() -> None:
    view = agent(
        "1001",
        state=AgentState.TALKING,
        name="Alice",
        number="13800001111",
        answered=12,
        missed=3,
        seconds=75,
    )
    face = tile_face(view, 25)
    clock = tile_clock(view, T0, Thresholds())
    assert face.top.startswith("1001 Alice")
    assert face.top.endswith("✓12 ✗3")
    assert face.bottom(clock) == " 1:15 ● TALK  13800001111"
    assert cell_len(face.top) == cell_len(face.bottom(clock)) == 25


@pytest.mark.parametrize("state", list(AgentState))
def test_every_state_reads_without_colour(state: AgentState) -> None:
    face = tile_face(agent("1001", state=state, number="555"), 25)
    glyph, word = LOOKS[state]
    bottom = face.bottom(tile_clock(agent("1001", state=state), T0, Thresholds()))
    assert bottom[6:].startswith(f"{glyph} {word}")
    assert len({w for _g, w in LOOKS.values()}) == len(LOOKS)  # no two states share a word


def test_the_number_shows_only_on_a_call_and_keeps_its_last_digits() -> None:
    idle = tile_face(agent("1001", state=AgentState.IDLE, number="13800001111"))
    assert idle.number.strip() == ""
    long = tile_face(agent("1001", state=AgentState.RINGING, number="008613800001111"), 25)
    assert long.number.endswith("3800001111")
    assert long.number.startswith("…")


def test_seat_names_built_from_crmid_show_the_agent_id() -> None:
    view = agent("80010001", queue="queue-1", name="1001_80010001_queue-1", crmid="1001")
    assert display_name(view) == "id 1001"
    assert display_name(agent("1001", name="Alice Wong")) == "Alice Wong"


def test_server_text_cannot_move_the_cursor() -> None:
    hostile = agent(
        "10\x1b[2J01", name="Eve\x1b]0;pwned\x07\nX", state=AgentState.TALKING, number="1\r2"
    )
    face = tile_face(hostile, 25)
    text = face.top + face.bottom(tile_clock(hostile, T0, Thresholds()))
    assert text.isprintable()
    assert clean("\x00a\tb\x7f") == "a b"


@given(st.text(max_size=60), st.integers(min_value=1, max_value=40))
def test_fit_always_gives_exactly_the_cells_asked_for(text: str, cells: int) -> None:
    safe = clean(text)
    assert cell_len(fit(safe, cells)) == cells
    assert cell_len(fit_left(safe, cells)) == cells


def test_wide_characters_are_cut_by_cells() -> None:
    face = tile_face(agent("1001", name="张伟张伟张伟张伟张伟张伟"), 25)
    assert cell_len(face.top) == 25
    assert "…" in face.top


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0:00"),
        (59, "0:59"),
        (61, "1:01"),
        (3599, "59:59"),
        (3600, "1h00"),
        (7325, "2h02"),
        (10**7, "99h+"),
    ],
)
def test_durations_fit_five_cells(seconds: int, shown: str) -> None:
    assert duration(seconds) == shown
    assert len(duration(seconds)) <= 5


def test_time_in_state_ramps_at_the_supervisors_thresholds() -> None:
    limits = Thresholds()
    assert limits.ramp(AgentState.IDLE, 119) is Ramp.OK
    assert limits.ramp(AgentState.IDLE, 120) is Ramp.AMBER
    assert limits.ramp(AgentState.IDLE, 300) is Ramp.RED
    assert limits.ramp(AgentState.OFFLINE, 10**6) is Ramp.OK
    custom = Thresholds.from_names({"talking": (60, 90)})
    assert custom.ramp(AgentState.TALKING, 61) is Ramp.AMBER
    assert custom.ramp(AgentState.IDLE, 121) is Ramp.AMBER  # defaults kept


def load_thresholds(path: Path) -> Thresholds:
    """The thresholds a dashboard started with `--config path` draws with."""
    settings = load_settings(CommandLine(config=path), need_profile=False, environ={})
    return Thresholds.from_names(settings.thresholds.by_state_name())


def test_thresholds_come_from_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("")
    assert load_thresholds(path) == Thresholds()
    path.write_text("[thresholds]\nidle = [10, 20]\npaused = [1, 2]\n")
    loaded = load_thresholds(path)
    assert loaded.ramp(AgentState.IDLE, 15) is Ramp.AMBER
    assert loaded.ramp(AgentState.PAUSED, 2) is Ramp.RED


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[thresholds]\nidel = [1, 2]\n", "unknown key 'idel'"),
        ("[thresholds]\nidle = 5\n", "'idle' must be two whole seconds"),
        ("[thresholds]\nidle = [9, 3]\n", "0 <= amber <= red"),
        ("thresholds = 3\n", "must be a [thresholds] table"),
        ("[thresholds\n", "not valid TOML"),
    ],
)
def test_bad_thresholds_name_the_file_and_key(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_thresholds(path)
    assert str(path) in str(caught.value)
    assert complaint in str(caught.value)


def test_queue_heading_counts_states_and_fills_the_width() -> None:
    queue = QueueView(
        name="sales",
        agents=(
            agent("1"),
            agent("2", state=AgentState.TALKING),
            agent("3", state=AgentState.TALKING),
        ),
    )
    heading = queue_heading(queue, 3, 70)
    assert "sales · 3 agents: 1 idle, 2 talking" in heading
    assert cell_len(heading) == 70
    assert "1 of 3 agents" in queue_heading(queue, 1, 70)


def test_queue_headings_shorten_their_words_never_cut_them() -> None:
    """ "3 paused" becomes the tiles' "3 pause", then their glyph "‖3", then the states go:
    at no width does a heading read "3 pa…"; only a name too long for the width is cut."""
    states = list(AgentState)
    queue = QueueView(
        name="autocall-renewals",
        agents=tuple(agent(str(n), state=states[n % len(states)]) for n in range(24)),
    )
    seen = []
    for width in range(20, 160):
        heading = queue_heading(queue, 24, width)
        assert cell_len(heading) == width
        assert "autocall-renewals" in heading and "…" not in heading
        seen.append(heading)
    assert "3 idle, 3 ringing, 3 talking, 3 wrap-up, 3 paused" in seen[-1]  # full words first
    assert any("3 pause, " in h for h in seen)  # then the tiles' words
    assert any("○3 ◎3 ●3 ◐3 ‖3" in h for h in seen)  # then their glyphs
    assert any(h.strip("─ ").endswith("· 24") for h in seen)  # then the size alone
    assert queue_heading(queue, 24, 12) == " autocall-r…"  # a name too long: cut, at last
    assert "3 of 24 agents" in queue_heading(queue, 3, 150)


def test_abandon_rate_is_amber_near_and_red_over_three_percent() -> None:
    assert abandon_level(0.0) == ""
    assert abandon_level(0.0249) == ""
    assert abandon_level(0.025) == "-amber"
    assert abandon_level(0.03) == "-amber"
    assert abandon_level(0.0301) == "-red"


@pytest.mark.parametrize("width", [48, 80, 120])
def test_a_campaign_tracked_without_its_numbers_says_so_not_zero_left(width: int) -> None:
    """`wallboard track` without --numbers: the pane cannot know the progress, so it says
    "numbers not known" rather than a fake "0% 0 left"; and its calls are told apart by
    their numbers, so it shows no figure at all rather than "dialled 0", and says how to
    give the numbers."""
    view = campaign(total=0, dialled=0, answered=0, dropped=0, remaining=0)
    lines = campaign_lines(view, width, selected=False)
    joined = " ".join("".join(text for text, _style in line) for line in lines)
    assert "numbers not known" in joined and "no figures" in joined
    assert "0 left" not in joined and "dialled" not in joined and "abandon" not in joined


@pytest.mark.parametrize("width", [20, 48, 50, 70, 80, 120])
def test_campaign_lines_fit_any_width_and_say_every_figure(width: int) -> None:
    """Live and finished calls side by side, each labelled: "dialled 400 (19 live)",
    "answered 200 (2 talking)", and the abandon rate "of finished" calls; words shorten to
    fit, and are cut only below the narrowest pane (48 cells)."""
    view = campaign(
        dialled=400, answered=200, dropped=4, remaining=600, abandon_rate=0.02, drop_budget=2,
        live=19, talking=2, live_first=15,
    )  # fmt: skip
    lines = campaign_lines(view, width, selected=True)
    texts = ["".join(text for text, _style in line) for line in lines]
    assert all(cell_len(t) == width for t in texts)
    joined = " ".join(texts)
    if width >= 48:
        for figure in (
            "dialled 400 (19 live)",
            "abandon 2.0% of finished",
            "budget 2",
            "600 left",
            "RUNNING",
        ):
            assert figure in joined
        assert "answered 200 (2 talk" in joined
        assert "dropped 4" in joined or "drop 4" in joined
        assert "…" not in joined  # no word cut
    if width >= 80:  # the figures take a line of their own, or two when they must
        assert "answered 200 (2 talking)" in joined and "drop budget 2" in joined
    # The abandon trend ends line two when the pane is wide, and has its own line else.
    assert len(texts) == {20: 5, 48: 5, 50: 5, 70: 3, 80: 3, 120: 2}[width]
    assert "today " in (texts[1] if width >= 70 else texts[-1])
    if width >= 120:
        assert "answered 200 (2 talking) · dropped 4" in joined
    assert texts[0].startswith("▸ ")


async def test_campaigns_take_as_many_lines_each(tmp_path: Path) -> None:
    """One campaign whose figures need two lines makes every campaign split its figures:
    a click and the cursor count lines per campaign."""
    small = campaign("T1", "Spring", dialled=4, answered=1, dropped=0, abandon_rate=0.0)
    big = campaign("T2", "Autumn", dialled=1234567, answered=765432, live=4321, talking=1234)
    width = 110  # the abandon trend ends line two: a small campaign fits on two lines
    assert len(campaign_lines(small, width - 1, False)) == 2
    assert len(campaign_lines(big, width - 1, False)) == 3
    app, _floor, _client = scripted_app(tmp_path, [snapshot({}, [small, big])])
    async with app.run_test(size=(width, 40)) as pilot:
        await app.wait_for_snapshot()
        await pilot.pause()
        texts = [app.campaigns.render_line(y).text for y in range(6)]
        assert "dialled 4 (0 live)" in texts[1] and "abandon 0.0% of finished" in texts[2]
        assert "Autumn" in texts[3] and "dialled 1234567 (4321 live)" in texts[4]


def test_campaign_figures_take_shorter_words_before_any_is_cut() -> None:
    """Every level of shortness says the same figures; each is no longer than the last."""
    view = campaign(dialled=27, answered=5, dropped=1, live=19, talking=2, abandon_rate=1 / 3)
    calls = [calls_text(view, level) for level in range(LAST + 1)]
    rates = ["".join(t for t, _ in abandon_pieces(view, level)) for level in range(LAST + 1)]
    assert calls[0] == "dialled 27 (19 live) · answered 5 (2 talking)"
    assert rates[0] == "abandon 33.3% of finished · drop budget 2"
    for texts in (calls, rates):
        assert all(cell_len(a) >= cell_len(b) for a, b in itertools.pairwise(texts))
    for text in calls:
        assert "27" in text and "19 live" in text and "5 (2 " in text
    assert all("33.3%" in text and "of fin" in text for text in rates)


def test_a_campaign_rate_is_over_its_finished_calls_only() -> None:
    """Answered 3 of which 3 are talking now: no finished answered call, so no rate yet,
    not 0.0% (and no colour), whatever the talking calls bring."""
    view = campaign(answered=3, talking=3, dropped=0, abandon_rate=0.0)
    assert view.finished_answered == 0
    line = "".join(t for t, _ in abandon_pieces(view, 0))
    assert line.startswith("abandon – of finished")


def test_campaign_status_and_rate_pick_their_colour_classes() -> None:
    lines = campaign_lines(campaign(status=CampaignStatus.PAUSED, abandon_rate=0.05), 80, False)
    styles = {style for line in lines for _text, style in line}
    assert "campaigns--paused" in styles
    assert "campaigns--red" in styles


def test_progress_bar_reads_without_colour() -> None:
    assert progress_bar(0.0, 8) == "········"
    assert progress_bar(1.0, 8) == "████████"
    assert progress_bar(0.5, 8) == "████····"
    assert cell_len(progress_bar(0.33, 9)) == 9


def test_shipped_themes_load_and_colour_every_state() -> None:
    themes = load_themes([shipped_theme_dir()])
    assert {"default", "high-contrast"} <= set(themes)
    for theme in themes.values():
        assert {f"state-{s.name.lower()}" for s in AgentState} <= set(theme.variables)
        assert Color.parse(theme.variables["stale-dim"]).a < 1  # a fade, not a paint-over


def test_themes_without_a_stale_dim_fade_towards_their_own_background() -> None:
    """Textual's own themes (and a user's file without it) dim stale data too."""
    light = Theme(name="light", primary="#0000ff", background="#fafafa", dark=False)
    dim = Color.parse(variable_defaults(light)["stale-dim"])
    assert dim.rgb == Color.parse("#fafafa").rgb and 0 < dim.a < 1
    unset = Color.parse(variable_defaults(Theme(name="x", primary="#00f", dark=False))["stale-dim"])
    assert unset.brightness > 0.8  # a light theme with no background fades towards light
    assert Color.parse(variable_defaults(None)["stale-dim"]).brightness < 0.2


def test_a_user_theme_file_adds_or_replaces_a_theme(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(
        'primary = "#ff0000"\n[variables]\nstate-idle = "#00ff00"\n'
    )
    (tmp_path / "default.toml").write_text('name = "default"\nprimary = "#123456"\n')
    themes = load_themes([shipped_theme_dir(), tmp_path])
    assert themes["mine"].variables["state-idle"] == "#00ff00"
    assert themes["default"].primary == "#123456"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ('primary = "nope"\n', "'primary': 'nope' is not a colour"),
        ('primary = "#fff"\nshiny = true\n', "unknown key 'shiny'"),
        ("dark = true\n", "no 'primary'"),
        (
            'primary = "#fff"\n[variables]\nstate-idle = "blurple"\n',
            "'state-idle': 'blurple' is not a colour",
        ),
        (
            'primary = "#fff"\n[variables]\nstale-dim = "faded"\n',
            "'stale-dim': 'faded' is not a colour",
        ),
        ("primary = \n", "not valid TOML"),
    ],
)
def test_bad_theme_files_name_the_file_and_key(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ThemeError) as caught:
        load_themes([tmp_path])
    assert str(path) in str(caught.value)
    assert complaint in str(caught.value)


def test_times_in_state_move_every_5_s_under_a_minute_then_every_15_s() -> None:
    """One definition of the time a tile, a row and the wall show: it never overstates,
    never goes back, moves for every tile in the same frame, and from a minute on only
    every 15 s (a settled floor writes a third of the bytes); the colour is exact."""
    from wallboard.ui.faces import LONG_FROM, LONG_STEP, TIME_STEP, shown_elapsed

    since = T0 - 3.7
    shown = [shown_elapsed(since, T0 + step / 2) for step in range(2 * 400)]
    assert all(a <= b for a, b in itertools.pairwise(shown))
    assert all(s <= (T0 + step / 2) - since for step, s in enumerate(shown))
    moments = [T0 + step / 2 for step, (a, b) in enumerate(itertools.pairwise(shown)) if a != b]
    assert all((m + 0.5) % TIME_STEP == 0 for m in moments)
    late = [m + 0.5 for m in moments if shown_elapsed(since, m + 0.5) > LONG_FROM]
    assert late and all(m % LONG_STEP == 0 for m in late)
    paused = agent("1001", state=AgentState.PAUSED)
    thresholds = Thresholds()
    amber = thresholds.limits[AgentState.PAUSED][0]
    clock = tile_clock(replace(paused, since=T0 - amber + 1), T0, thresholds)
    assert clock.until == T0 + 1  # the colour turns at the threshold's second
