"""The typed settings: one order of precedence (defaults < file < environment < command line),
every section with its defaults, the thresholds and the theme files read by the one TOML
reader, and mistakes that name the file and the key, the variable or the option."""

from __future__ import annotations

from pathlib import Path

import pytest

from wallboard import settings as settings_module
from wallboard.config import ConfigError, ThemeError, read_toml, shipped_theme_dir
from wallboard.live.alerts import AlertRules
from wallboard.live.snapshot import AgentState
from wallboard.settings import (
    AlertSettings,
    CommandLine,
    Settings,
    ThresholdSettings,
    load_settings,
    read_theme_files,
    theme_dirs,
)
from wallboard.ui.themes import themes_from
from wallboard.ui.thresholds import Ramp, Thresholds

NO_ENV: dict[str, str] = {}


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(home))
    return home


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def dashboard(line: CommandLine | None = None, env: dict[str, str] | None = None) -> Settings:
    return load_settings(line, need_profile=False, environ=NO_ENV if env is None else env)


def test_the_defaults_without_a_file() -> None:
    settings = dashboard()
    assert (settings.theme, settings.refresh, settings.queues, settings.read_only) == (
        "default",
        1.5,
        None,
        False,
    )
    assert settings.profile is None
    assert settings.thresholds == ThresholdSettings()
    assert settings.alerts.abandon_rate == 0.03 and settings.alerts.bell
    assert not settings.wall_mode and settings.region is None
    assert settings.agents.names is None and settings.redis.url is None
    assert settings.wall.page_seconds == 15.0
    assert set(settings.origins.values()) == {"default"}


def test_the_settings_defaults_are_the_screens_defaults() -> None:
    assert Thresholds.from_names(ThresholdSettings().by_state_name()) == Thresholds()


LAYERED = """
theme = "high-contrast"
refresh = 5
queues = ["sales", "support"]
read_only = true
"""


def test_each_layer_overrides_the_one_below(private_config: Path) -> None:
    file = write(private_config / "config.toml", LAYERED)
    from_file = dashboard()
    assert (from_file.theme, from_file.refresh, from_file.queues, from_file.read_only) == (
        "high-contrast",
        5.0,
        ("sales", "support"),
        True,
    )
    assert from_file.origins["refresh"] == f"{file}: 'refresh'"

    env = {"WALLBOARD_REFRESH": "2.5", "WALLBOARD_QUEUES": "sales", "WALLBOARD_THEME": "mine"}
    from_env = dashboard(env=env)
    assert (from_env.theme, from_env.refresh, from_env.queues) == ("mine", 2.5, ("sales",))
    assert from_env.read_only is True  # the file's, the environment said nothing
    assert from_env.origins["refresh"] == "environment variable WALLBOARD_REFRESH"

    line = CommandLine(refresh=0.5, queues=["support"], theme="default")
    from_line = dashboard(line, env)
    assert (from_line.theme, from_line.refresh, from_line.queues) == (
        "default",
        0.5,
        ("support",),
    )
    assert from_line.origins["refresh"] == "--refresh"


def test_read_only_from_the_environment() -> None:
    assert dashboard(env={"WALLBOARD_READ_ONLY": "yes"}).read_only is True
    assert dashboard(env={"WALLBOARD_READ_ONLY": "0"}).read_only is False
    with pytest.raises(ConfigError, match="WALLBOARD_READ_ONLY: 'read_only' must be true or"):
        dashboard(env={"WALLBOARD_READ_ONLY": "maybe"})


def test_the_profile_is_resolved_only_when_needed(private_config: Path) -> None:
    write(private_config / "config.toml", "[profiles.a]\nappid = 'a'\n")
    assert dashboard().profile is None  # the demo needs no server
    with pytest.raises(ConfigError, match=r"\[profiles.a\]: no 'url'"):
        load_settings(environ=NO_ENV)
    env = {"WALLBOARD_URL": "http://127.0.0.1:9", "WALLBOARD_ACCESSKEY": "k"}
    profile = load_settings(environ=env).profile
    assert profile is not None and (profile.url, profile.appid) == ("http://127.0.0.1:9", "a")
    assert "'k'" not in repr(load_settings(environ=env))


def test_the_later_sections_and_their_checks(private_config: Path) -> None:
    write(
        private_config / "config.toml",
        "[agents]\nnames = 'agents.csv'\n[alerts]\nbell = true\nabandon_rate = 0.05\n"
        "[wall]\npage_seconds = 30\n[redis]\nurl = 'redis://127.0.0.1:6379/0'\n",
    )
    settings = dashboard()
    assert settings.agents.names == "agents.csv"
    assert settings.alerts.bell and settings.alerts.abandon_rate == 0.05
    assert settings.wall.page_seconds == 30.0
    assert settings.redis.url == "redis://127.0.0.1:6379/0" and settings.redis.prefix == "wallboard"


def test_the_agents_file_is_beside_the_config_file_or_in_the_config_dir(
    private_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = dashboard()  # no config file: agents.csv in the config dir, if it exists
    assert settings.agents_file == private_config / "agents.csv"
    assert not settings.agents_file_named

    write(private_config / "config.toml", "[agents]\nnames = 'floor/people.csv'\n")
    settings = dashboard()
    assert settings.agents_file == private_config / "floor" / "people.csv"
    assert settings.agents_file_named

    elsewhere = write(tmp_path / "etc" / "wallboard.toml", "[agents]\nnames = 'people.csv'\n")
    settings = dashboard(CommandLine(config=elsewhere))
    assert settings.agents_file == tmp_path / "etc" / "people.csv"

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write(elsewhere, "[agents]\nnames = '~/agents.csv'\n")
    assert dashboard(CommandLine(config=elsewhere)).agents_file == tmp_path / "home" / "agents.csv"
    write(elsewhere, f"[agents]\nnames = '{tmp_path / 'abs.csv'}'\n")
    assert dashboard(CommandLine(config=elsewhere)).agents_file == tmp_path / "abs.csv"

    write(elsewhere, "[agents]\nnames = ' '\n")
    with pytest.raises(ConfigError, match=r"wallboard.toml \[agents\]: 'names' is empty"):
        dashboard(CommandLine(config=elsewhere))
    write(elsewhere, "[agents]\nnames = 3\n")
    with pytest.raises(ConfigError, match=r"\[agents\]: 'names' must be text in quotes"):
        dashboard(CommandLine(config=elsewhere))


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("refresh = 0.1\n", ": 'refresh' must be from 0.2 to 3600 seconds"),
        ("refresh = 'soon'\n", ": 'refresh' must be a number of seconds"),
        ("read_only = 'maybe'\n", ": 'read_only' must be true or false"),
        ("queues = 3\n", ": 'queues' must be a list of queue names"),
        ("theme = 3\n", ": 'theme' must be text in quotes"),
        ("tehme = 'x'\n", ": unknown key 'tehme' (use theme, refresh,"),
        ("[alerts]\nabandon_rate = 3\n", " [alerts]: 'abandon_rate' must be a fraction"),
        ("[alerts]\nbel = true\n", " [alerts]: unknown key 'bel' (use bell, abandon_amber,"),
        ("[alerts]\nbell = 'loud'\n", " [alerts]: 'bell' must be true or false"),
        ("[alerts]\nabandon_min_answered = 1.5\n", "'abandon_min_answered' must be a whole"),
        ("[alerts]\nno_idle_after = 'soon'\n", "'no_idle_after' must be a number of seconds"),
        ("[alerts]\nabandon_amber = 0.04\n", " [alerts]: 'abandon_amber' must be from 0 to"),
        ("[alerts]\nabandon_min_answered = 0\n", "'abandon_min_answered' must be 1 or more"),
        ("[alerts]\nclear_after = -1\n", " [alerts]: 'clear_after' must be 0 or more seconds"),
        ("[alerts]\npaused_after = -5\n", " [alerts]: 'paused_after' must be 0 or more"),
        ("[wall]\npage_seconds = 0\n", " [wall]: 'page_seconds' must be from 2 to 3600"),
        ("redis = 'localhost'\n", ": 'redis' must be a [redis] table"),
        ("[thresholds]\nidel = [1, 2]\n", " [thresholds]: unknown key 'idel'"),
        ("[thresholds]\nidle = 5\n", "'idle' must be two whole seconds"),
        ("[thresholds]\nidle = [1, 2, 3]\n", "'idle' must be two whole seconds"),
        ("[thresholds]\nidle = [true, 3]\n", "'idle' must be two whole seconds"),
        ("[thresholds]\nidle = [9, 3]\n", "0 <= amber <= red, not [9, 3]"),
        ("[thresholds]\nidle = [-1, 3]\n", "0 <= amber <= red"),
        ("thresholds = 3\n", "'thresholds' must be a [thresholds] table"),
        ("[thresholds\n", "not valid TOML"),
    ],
)
def test_mistakes_name_the_file_and_the_key(
    private_config: Path, text: str, complaint: str
) -> None:
    path = write(private_config / "config.toml", text)
    with pytest.raises(ConfigError) as caught:
        dashboard()
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert complaint in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"WALLBOARD_REFRESH": "0"}, "environment variable WALLBOARD_REFRESH: 'refresh' must"),
        ({"WALLBOARD_REFRESH": "x"}, "'refresh' must be a number of seconds"),
    ],
)
def test_a_bad_environment_variable_is_named(env: dict[str, str], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        dashboard(env=env)


# ----------------------------------------------------------------------------- alerts


def test_the_alert_rules_are_the_engines_defaults_and_follow_the_paused_ramp() -> None:
    settings = dashboard()
    rules = settings.alerts.rules(settings.thresholds)
    assert rules == AlertRules(paused_after=float(ThresholdSettings().paused[1]))
    assert rules == AlertRules()  # the engine's own defaults: one set of figures
    assert settings.origins["bell"] == "default"


def test_every_alert_key_from_the_config_file(private_config: Path) -> None:
    write(
        private_config / "config.toml",
        "[thresholds]\npaused = [60, 600]\n"
        "[alerts]\nbell = false\nabandon_amber = 0.02\nabandon_rate = 0.05\n"
        "abandon_margin = 0.001\nabandon_min_answered = 20\nno_idle_after = 90\n"
        "unreadable_after = 45\nclear_after = 5\ncampaign_ended = false\n",
    )
    settings = dashboard()
    assert not settings.alerts.bell
    assert settings.origins["bell"].endswith("[alerts]: 'bell'")
    assert settings.alerts.rules(settings.thresholds) == AlertRules(
        abandon_amber=0.02,
        abandon_rate=0.05,
        abandon_margin=0.001,
        abandon_min_answered=20,
        paused_after=600.0,  # the [thresholds] paused red figure, as none is given
        no_idle_after=90.0,
        unreadable_after=45.0,
        clear_after=5.0,
        campaign_ended=False,
    )
    write(private_config / "config.toml", "[alerts]\npaused_after = 1200\n")
    settings = dashboard()
    assert settings.alerts.rules(settings.thresholds).paused_after == 1200.0


def test_the_documented_example_is_a_valid_file_with_the_defaults(private_config: Path) -> None:
    assert settings_module.__doc__ is not None
    lines = settings_module.__doc__.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    default = "))
    end = next(i for i, line in enumerate(lines[start:], start) if line and line[0] != " ")
    write(private_config / "config.toml", "\n".join(line[4:] for line in lines[start:end]))
    documented = dashboard()
    assert documented.alerts == AlertSettings(paused_after=900)
    assert documented.alerts.rules(documented.thresholds) == AlertRules()
    assert documented.thresholds == ThresholdSettings() and documented.wall.page_seconds == 15


def test_alert_limits_that_do_not_fit_name_the_key_wherever_they_are_checked() -> None:
    crossed = AlertSettings(abandon_amber=0.05, abandon_rate=0.03)
    with pytest.raises(ConfigError, match=r"^here: 'abandon_amber' must be from 0 to abandon_ra"):
        crossed.rules(ThresholdSettings(), "here")
    with pytest.raises(ConfigError, match=r"^\[alerts\]: 'no_idle_after' must be 0 or more"):
        AlertSettings(no_idle_after=-1).rules(ThresholdSettings())


def test_no_bell_on_the_command_line_wins_over_the_file(private_config: Path) -> None:
    write(private_config / "config.toml", "[alerts]\nbell = true\n")
    quiet = dashboard(CommandLine(bell=False))
    assert not quiet.alerts.bell and quiet.origins["bell"] == "--no-bell"
    assert quiet.alerts.abandon_rate == 0.03  # the rest of the section is kept
    assert dashboard(CommandLine()).alerts.bell


def test_the_wall_is_read_only_whatever_the_file_says(private_config: Path) -> None:
    write(private_config / "config.toml", "read_only = false\n")
    wall = dashboard(CommandLine(wall=True))
    assert wall.wall_mode and wall.read_only
    assert wall.origins["read_only"] == "--wall"
    assert not dashboard().wall_mode and not dashboard().read_only


# ----------------------------------------------------------------------------- region


def test_the_region_of_the_profile_or_the_environment(private_config: Path) -> None:
    server = "url = 'http://127.0.0.1:9'\nappid = 'a'\naccesskey = 'k'\n"
    write(private_config / "config.toml", f"[profiles.a]\n{server}region = 'gb'\n")
    settings = load_settings(environ=NO_ENV)
    assert settings.profile is not None and settings.profile.region == "GB"
    assert settings.region == "GB"
    assert load_settings(environ={"WALLBOARD_REGION": "us"}).region == "US"
    assert dashboard(env={"WALLBOARD_REGION": "cn"}).region == "CN"  # no profile needed
    assert dashboard().region is None

    write(private_config / "config.toml", f"[profiles.a]\n{server}region = 'Mars'\n")
    with pytest.raises(ConfigError, match=r"\[profiles.a\]: 'region' 'Mars' is not a region"):
        load_settings(environ=NO_ENV)
    with pytest.raises(ConfigError, match=r"^environment variable WALLBOARD_REGION: 'region'"):
        dashboard(env={"WALLBOARD_REGION": "XX1"})


def test_a_bad_option_is_named() -> None:
    with pytest.raises(ConfigError, match=r"^--refresh must be from 0.2 to 3600 seconds$"):
        dashboard(CommandLine(refresh=0.1))


def test_an_explicit_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        dashboard(CommandLine(config=tmp_path / "missing.toml"))


def test_thresholds_from_the_config_file(private_config: Path) -> None:
    write(private_config / "config.toml", "[thresholds]\nidle = [10, 20]\nwrap-up = [1, 2]\n")
    limits = dashboard().thresholds
    assert limits.idle == (10, 20) and limits.wrapup == (1, 2)
    assert limits.talking == ThresholdSettings().talking  # defaults kept
    ramp = Thresholds.from_names(limits.by_state_name())
    assert ramp.ramp(AgentState.IDLE, 15) is Ramp.AMBER
    assert ramp.ramp(AgentState.WRAPUP, 2) is Ramp.RED
    assert ramp.ramp(AgentState.TALKING, 601) is Ramp.AMBER


# ----------------------------------------------------------------------------- themes


def test_the_themes_ship_inside_the_package() -> None:
    assert shipped_theme_dir().parent.name == "wallboard"
    assert {p.name for p in shipped_theme_dir().glob("*.toml")} >= {
        "default.toml",
        "high-contrast.toml",
    }


def test_shipped_themes_load_and_colour_every_state() -> None:
    themes = themes_from(read_theme_files([shipped_theme_dir()]))
    assert {"default", "high-contrast"} <= set(themes)
    for theme in themes.values():
        assert {f"state-{s.name.lower()}" for s in AgentState} <= set(theme.variables)


def test_a_user_theme_file_adds_or_replaces_a_theme(private_config: Path) -> None:
    mine = private_config / "themes"
    write(mine / "mine.toml", 'primary = "#ff0000"\n[variables]\nstate-idle = "#00ff00"\n')
    write(mine / "default.toml", 'name = "default"\nprimary = "#123456"\n')
    assert theme_dirs() == [shipped_theme_dir(), mine]
    themes = themes_from(read_theme_files())
    assert themes["mine"].variables["state-idle"] == "#00ff00"
    assert themes["default"].primary == "#123456"
    assert "high-contrast" in themes


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
        ("primary = \n", "not valid TOML"),
    ],
)
def test_bad_theme_files_name_the_file_and_key(tmp_path: Path, text: str, complaint: str) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(ThemeError) as caught:
        themes_from(read_theme_files([tmp_path]))
    assert str(caught.value).startswith(str(path))
    assert complaint in str(caught.value)


def test_one_reader_for_every_toml_file(tmp_path: Path) -> None:
    good = write(tmp_path / "a.toml", "x = 1\n")
    assert read_toml(good) == {"x": 1}
    (tmp_path / "latin.toml").write_bytes(b"x = '\xe9'\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        read_toml(tmp_path / "latin.toml")
    with pytest.raises(ThemeError, match="cannot be read"):
        read_toml(tmp_path, ThemeError)  # a directory
