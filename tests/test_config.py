"""Profiles from config.toml, environment overrides, clear errors naming the file and the key,
and private files for secrets."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import logging.handlers
import os
import re
import stat
import zoneinfo
from pathlib import Path

import pytest

from wallboard import config, settings
from wallboard.commands.logfile import (
    LOG_BACKUPS,
    LOG_BYTES,
    PrivateRotatingFileHandler,
    log_handler,
)
from wallboard.commands.screen_state import ScreenMemory
from wallboard.config import ConfigError, write_atomically, write_private
from wallboard.settings import Profile, load_profile

ENV = (
    "WALLBOARD_URL",
    "WALLBOARD_APPID",
    "WALLBOARD_ACCESSKEY",
    "WALLBOARD_PROFILE",
    "WALLBOARD_CONFIG_DIR",
    "WALLBOARD_DATA_DIR",
    "WALLBOARD_TZ",
    "WALLBOARD_REGION",
    "WALLBOARD_CALLBACK_LISTEN",
    "WALLBOARD_CALLBACK_PATH",
    "WALLBOARD_CALLBACK_ALLOW",
    "FLOOR_KEY",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "config"
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(home))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))  # the callback secret
    return home


def _write(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


TWO = """
default = "test"

[profiles.test]
url = "http://127.0.0.1:8080"
appid = "test-app"
accesskey = "test-key"

[profiles.floor]
url = "https://pbx.example.com"
appid = 12345
accesskey_env = "FLOOR_KEY"
"""


def test_dirs_follow_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))
    assert config.config_dir() == tmp_path / "config"
    assert config.data_dir() == tmp_path / "data"
    assert config.config_path() == tmp_path / "config" / "config.toml"


def test_dirs_default_to_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WALLBOARD_CONFIG_DIR")
    monkeypatch.delenv("WALLBOARD_DATA_DIR")
    assert config.config_dir().name == "wallboard"
    assert config.data_dir().name == "wallboard"


def test_the_default_profile(clean_env: Path) -> None:
    path = _write(clean_env, TWO)
    profile = load_profile()
    assert (profile.name, profile.url, profile.appid, profile.accesskey) == (
        "test",
        "http://127.0.0.1:8080",
        "test-app",
        "test-key",
    )
    assert profile.source == f"{path} [profiles.test]"


def test_a_named_profile_with_its_key_in_the_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(clean_env, TWO)
    monkeypatch.setenv("FLOOR_KEY", "from-env")
    profile = load_profile("floor")
    assert (profile.url, profile.appid, profile.accesskey) == (
        "https://pbx.example.com",
        "12345",
        "from-env",
    )
    monkeypatch.setenv("WALLBOARD_PROFILE", "floor")
    assert load_profile().name == "floor"


def test_the_environment_overrides_the_file(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(clean_env, TWO)
    monkeypatch.setenv("WALLBOARD_URL", "http://10.0.0.5:9000")
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", "override")
    profile = load_profile()
    assert (profile.url, profile.appid, profile.accesskey) == (
        "http://10.0.0.5:9000",
        "test-app",
        "override",
    )


def test_the_only_profile_needs_no_default(clean_env: Path) -> None:
    _write(clean_env, '[profiles.x]\nurl = "http://a:1"\nappid = "a"\naccesskey = "k"\n')
    assert load_profile().name == "x"


def test_no_file_and_the_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLBOARD_URL", "http://127.0.0.1:8080")
    monkeypatch.setenv("WALLBOARD_APPID", "a")
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", "k")
    profile = load_profile()
    assert (profile.url, profile.appid, profile.accesskey, profile.source) == (
        "http://127.0.0.1:8080",
        "a",
        "k",
        "environment",
    )


def test_an_explicit_path(tmp_path: Path) -> None:
    path = _write(tmp_path / "elsewhere", TWO)
    assert load_profile("test", path).appid == "test-app"
    with pytest.raises(ConfigError, match="no such config file"):
        load_profile(None, tmp_path / "missing.toml")


BAD: list[tuple[str, str | None, str]] = [
    (
        "default = 'x'\n[profiles.y]\nurl='http://a:1'\nappid='a'\naccesskey='k'\n",
        None,
        "no profile 'x' (profiles: y)",
    ),
    (
        "[profiles.a]\nurl='http://a:1'\n[profiles.b]\nurl='http://b:1'\n",
        None,
        "several profiles (a, b) and no 'default'",
    ),
    (
        "[profiles.a]\nappid='a'\naccesskey='k'\n",
        None,
        "[profiles.a]: no 'url' (set it there, or set WALLBOARD_URL)",
    ),
    ("[profiles.a]\nurl='http://a:1'\naccesskey='k'\n", None, "[profiles.a]: no 'appid'"),
    ("[profiles.a]\nurl='http://a:1'\nappid='a'\n", None, "[profiles.a]: no 'accesskey'"),
    (
        "[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey_env='FLOOR_KEY'\n",
        None,
        "'accesskey_env' names FLOOR_KEY, which is not set",
    ),
    (
        "[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\naccesskey_env='X'\n",
        None,
        "give 'accesskey' or 'accesskey_env', not both",
    ),
    (
        "[profiles.a]\nurl='ftp://a'\nappid='a'\naccesskey='k'\n",
        None,
        "'url' must look like http://host:port (got 'ftp://a')",
    ),
    ("[profiles.a]\nurl=8080\nappid='a'\naccesskey='k'\n", None, "'url' must be text in quotes"),
    (
        "[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\nacesskey='typo'\n",
        None,
        "unknown key 'acesskey'",
    ),
    ("[profiles.a]\nurl = \n", None, "not valid TOML"),
    (
        "[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\ntz='Mars/Olympus'\n",
        None,
        "[profiles.a]: 'tz' 'Mars/Olympus' is not a time zone name",
    ),
    (
        "[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\ntz='../../etc/passwd'\n",
        None,
        "'tz' '../../etc/passwd' is not a time zone name",
    ),
    ("[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\ntz=8\n", None, "'tz' must be text"),
    (
        "[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\ncallback_listen='8090'\n",
        None,
        "[profiles.a]: 'callback_listen' must look like host:port",
    ),
    (
        "[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\ncallback_listen='h:99999'\n",
        None,
        "'callback_listen' must look like host:port, such as '127.0.0.1:8090' (got 'h:99999')",
    ),
    ("profiles = 3\n", None, "'profiles' must be a table"),
    ("[profiles]\na = 3\n", "a", "'profiles.a' must be a [profiles.a] section"),
    ("default = 3\n", None, "'default' must be a profile name in quotes"),
]


@pytest.mark.parametrize(("text", "name", "message"), BAD)
def test_mistakes_name_the_file_and_the_key(
    clean_env: Path, text: str, name: str | None, message: str
) -> None:
    path = _write(clean_env, text)
    with pytest.raises(ConfigError) as caught:
        load_profile(name)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_no_file_and_no_environment_says_what_to_set(clean_env: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_profile()
    text = str(caught.value)
    assert str(clean_env / "config.toml") in text
    assert "WALLBOARD_URL" in text and "WALLBOARD_ACCESSKEY" in text
    with pytest.raises(ConfigError, match="no profile 'prod'"):
        load_profile("prod")


def test_the_accesskey_never_shows_in_a_repr_or_an_error(clean_env: Path) -> None:
    profile = Profile(url="http://a:1", appid="a", accesskey="very-secret", name="n")
    assert "very-secret" not in repr(profile)
    assert "very-secret" not in str(profile)
    _write(clean_env, "[profiles.a]\nurl='not a url'\nappid='a'\naccesskey='very-secret'\n")
    with pytest.raises(ConfigError) as caught:
        load_profile()
    assert "very-secret" not in str(caught.value)


def test_a_url_with_a_password_is_not_echoed(clean_env: Path) -> None:
    _write(clean_env, "[profiles.a]\nurl='ftp://u:pw123@h'\nappid='a'\naccesskey='k'\n")
    with pytest.raises(ConfigError) as caught:
        load_profile()
    assert "pw123" not in str(caught.value)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_in_a_file_others_can_read_is_refused_with_the_fix(
    clean_env: Path, mode: int
) -> None:
    path = _write(clean_env, TWO)
    path.chmod(mode)
    with pytest.raises(ConfigError) as caught:
        load_profile()
    text = str(caught.value)
    assert text.startswith(f"{path}: holds an accesskey and others can read it")
    assert f"(mode {mode:04o})" in text and f"chmod 600 {path}" in text
    assert "test-key" not in text
    assert stat.S_IMODE(path.stat().st_mode) == mode  # refused, not changed behind one's back
    path.chmod(0o600)
    assert load_profile().accesskey == "test-key"


def test_a_readable_file_without_a_key_is_fine(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(clean_env, TWO.replace('accesskey = "test-key"', 'accesskey_env = "FLOOR_KEY"'))
    path.chmod(0o644)
    monkeypatch.setenv("FLOOR_KEY", "from-env")
    assert load_profile().accesskey == "from-env"


def test_write_private_makes_an_owner_only_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "dir" / "token.json"
    write_private(target, '{"token": "x"}')
    assert target.read_text(encoding="utf-8") == '{"token": "x"}'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


def test_write_private_replaces_an_open_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "audit.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    write_private(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["audit.json"]


def test_write_atomically_with_a_mode_and_never_over_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "agents.csv"
    write_atomically(target, "8001,Li\n", mode=0o644, replace=False)
    assert target.read_text(encoding="utf-8") == "8001,Li\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    with pytest.raises(FileExistsError):
        write_atomically(target, "8002,Ada\n", mode=0o644, replace=False)
    assert target.read_text(encoding="utf-8") == "8001,Li\n"
    assert sorted(os.listdir(tmp_path)) == ["agents.csv"]  # no temporary left
    write_atomically(target, "8002,Ada\n", mode=0o644)
    assert target.read_text(encoding="utf-8") == "8002,Ada\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_the_server_time_zone_and_the_callback_address(clean_env: Path) -> None:
    _write(
        clean_env,
        "[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\n"
        "tz = 'Asia/Shanghai'\ncallback_listen = '10.1.2.3:8090'\n",
    )
    profile = load_profile()
    assert profile.tz == zoneinfo.ZoneInfo("Asia/Shanghai")
    assert profile.callback_listen == ("10.1.2.3", 8090)
    noon = dt.datetime(2026, 1, 5, 4, 0, tzinfo=dt.UTC)
    assert noon.astimezone(profile.tz).hour == 12
    assert "Asia/Shanghai" in repr(profile) and "'k'" not in repr(profile)


def test_both_are_optional(clean_env: Path) -> None:
    _write(clean_env, "[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\n")
    profile = load_profile()
    assert profile.tz is None and profile.callback_listen is None


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1:1", ("127.0.0.1", 1)),
        ("[::1]:8090", ("::1", 8090)),
        ("host:65535", ("host", 65535)),
    ],
)
def test_callback_addresses(clean_env: Path, text: str, address: tuple[str, int]) -> None:
    _write(
        clean_env,
        f"[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\ncallback_listen='{text}'\n",
    )
    assert load_profile().callback_listen == address


def test_the_environment_sets_them_and_is_named_when_wrong(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(clean_env, "[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\ntz='UTC'\n")
    monkeypatch.setenv("WALLBOARD_TZ", "Europe/London")
    monkeypatch.setenv("WALLBOARD_CALLBACK_LISTEN", "127.0.0.1:9000")
    profile = load_profile()
    assert profile.tz == zoneinfo.ZoneInfo("Europe/London")
    assert profile.callback_listen == ("127.0.0.1", 9000)
    monkeypatch.setenv("WALLBOARD_TZ", "Europe/Nowhere")
    with pytest.raises(ConfigError, match=r"^environment variable WALLBOARD_TZ: 'tz'"):
        load_profile()


# ---------------------------------------------------------------------- the callback receiver

KEYED = "[profiles.a]\nurl='http://a:1'\nappid='a'\naccesskey='k'\n"


def test_a_callback_path_is_made_once_and_kept_private(clean_env: Path, tmp_path: Path) -> None:
    _write(clean_env, KEYED + "callback_listen = '127.0.0.1:8090'\n")
    profile = load_profile()
    assert profile.callback_path is not None
    assert re.fullmatch(r"/[A-Za-z0-9_\-]{32}", profile.callback_path)
    kept = tmp_path / "data" / config.CALLBACK_PATH_FILE
    assert kept.read_text(encoding="utf-8").strip() == profile.callback_path
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert load_profile().callback_path == profile.callback_path  # the same on every run
    assert profile.callback_path not in repr(profile)
    assert profile.callback_allow == settings.LOOPBACK  # default: this machine only


def test_no_receiver_no_secret(clean_env: Path, tmp_path: Path) -> None:
    _write(clean_env, KEYED)
    assert load_profile().callback_path is None
    assert not (tmp_path / "data").exists()  # nothing written for a receiver that never runs


def test_a_readable_callback_secret_is_refused(clean_env: Path, tmp_path: Path) -> None:
    _write(clean_env, KEYED + "callback_listen = '127.0.0.1:8090'\n")
    kept = tmp_path / "data" / config.CALLBACK_PATH_FILE
    write_private(kept, "/" + "x" * 32)
    kept.chmod(0o644)
    with pytest.raises(ConfigError, match=rf"mode 0644\): run chmod 600 {re.escape(str(kept))}"):
        load_profile()


def test_the_profile_sets_the_path_and_the_sources(clean_env: Path, tmp_path: Path) -> None:
    _write(
        clean_env,
        KEYED + "callback_listen = '10.1.2.3:8090'\ncallback_path = 'abcdefghij_KLMNOP-0123'\n"
        "callback_allow = ['10.1.2.40', '10.9.0.0/16', '2001:db8::/32']\n",
    )
    profile = load_profile()
    assert profile.callback_path == "/abcdefghij_KLMNOP-0123"
    assert [str(n) for n in profile.callback_allow] == [
        "10.1.2.40/32",
        "10.9.0.0/16",
        "2001:db8::/32",
    ]
    assert ipaddress.ip_address("10.9.200.1") in profile.callback_allow[1]
    assert not (tmp_path / "data").exists()  # a path of one's own: nothing generated


def test_the_environment_sets_the_path_and_the_sources(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(clean_env, KEYED + "callback_allow = ['10.1.2.40']\n")
    monkeypatch.setenv("WALLBOARD_CALLBACK_ALLOW", "192.0.2.7, 198.51.100.0/24")
    monkeypatch.setenv("WALLBOARD_CALLBACK_PATH", "/from-the-environment-0001")
    profile = load_profile()
    assert [str(n) for n in profile.callback_allow] == ["192.0.2.7/32", "198.51.100.0/24"]
    assert profile.callback_path == "/from-the-environment-0001"
    monkeypatch.setenv("WALLBOARD_CALLBACK_ALLOW", "192.0.2.7, everyone")
    with pytest.raises(
        ConfigError,
        match=r"^environment variable WALLBOARD_CALLBACK_ALLOW: 'callback_allow' 'everyone' is "
        r"not an address or a network",
    ):
        load_profile()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("callback_path = 'short'", "'callback_path' must be 16 or more letters"),
        ("callback_path = '/has/slashes/in/it/x'", "'callback_path' must be 16 or more"),
        ("callback_allow = ['10.1.2.300']", "'callback_allow' '10.1.2.300' is not an address"),
        ("callback_allow = []", "'callback_allow' is empty"),
        ("callback_allow = 8", "'callback_allow' must be a list of addresses"),
    ],
)
def test_callback_mistakes_name_the_file_and_the_key(
    clean_env: Path, line: str, message: str
) -> None:
    path = _write(clean_env, KEYED + line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_profile()
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_the_documented_example_listens_on_no_wildcard() -> None:
    assert settings.__doc__ is not None
    assert "0.0.0.0" not in settings.__doc__ and "callback_allow" in settings.__doc__


# ---------------------------------------------------------------------- private dirs, the log


def test_dirs_are_made_private(tmp_path: Path) -> None:
    made = config.ensure_private_dir(tmp_path / "new" / "wallboard")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    ours = tmp_path / "old" / "wallboard"
    ours.mkdir(parents=True)
    ours.chmod(0o755)
    config.ensure_private_dir(ours)  # wallboard's own dir, left open by an older version
    assert stat.S_IMODE(ours.stat().st_mode) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    config.ensure_private_dir(shared)  # named in the environment: not ours to close
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755


def test_the_log_rotates_and_every_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "wallboard.log"
    handler = log_handler(path)
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    assert (handler.maxBytes, handler.backupCount) == (LOG_BYTES, LOG_BACKUPS)
    handler.close()
    small = PrivateRotatingFileHandler(path, maxBytes=2000, backupCount=2, encoding="utf-8")
    logger = logging.getLogger("wallboard.test.rotation")
    logger.propagate = False
    logger.addHandler(small)
    previous = os.umask(0)  # even with nothing masked, every file is the owner's alone
    try:
        for line in range(200):
            logger.warning("poll failed: server unreachable (%03d) %s", line, "x" * 40)
    finally:
        os.umask(previous)
        logger.removeHandler(small)
        small.close()
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["wallboard.log", "wallboard.log.1", "wallboard.log.2"]
    for name in files:
        assert (path.parent / name).stat().st_size <= 2000
        assert stat.S_IMODE((path.parent / name).stat().st_mode) == 0o600
    assert "(199)" in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_an_old_open_log_is_closed_to_others(tmp_path: Path) -> None:
    path = tmp_path / "wallboard.log"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o644)
    handler = log_handler(path)
    handler.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# ---------------------------------------------------------------------- the remembered view


def test_the_view_is_remembered_in_the_data_dir(clean_env: Path, tmp_path: Path) -> None:
    memory = ScreenMemory.default()
    assert memory.path == tmp_path / "data" / "screen.json"
    assert memory.view() == "grid"  # nothing remembered yet
    assert not memory.path.exists()  # reading writes nothing

    memory.remember_view("list")
    assert ScreenMemory.default().view() == "list"  # the next run starts on the list
    assert json.loads(memory.path.read_text(encoding="utf-8")) == {"view": "list"}
    assert stat.S_IMODE(memory.path.stat().st_mode) == 0o600
    assert not [p for p in memory.path.parent.iterdir() if p.name != "screen.json"]  # no temp

    memory.remember_view("grid")
    assert ScreenMemory.default().view() == "grid"


def test_other_keys_of_the_state_file_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "screen.json"
    path.write_text('{"view": "grid", "later": 3}', encoding="utf-8")
    ScreenMemory(path).remember_view("list")
    assert json.loads(path.read_text(encoding="utf-8")) == {"view": "list", "later": 3}


@pytest.mark.parametrize(
    "text",
    ['{"view": "tiles"}', '{"view": 3}', "[1, 2]", "not json", "", '"list"', "\udcff"],
)
def test_a_broken_state_file_starts_on_the_grid(tmp_path: Path, text: str) -> None:
    path = tmp_path / "screen.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    memory = ScreenMemory(path)
    assert memory.view() == "grid"
    memory.remember_view("list")  # and is replaced by a good one when the view changes
    assert memory.view() == "list"


def test_a_view_that_cannot_be_kept_never_stops_the_screen(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    memory = ScreenMemory(blocker / "screen.json")  # its folder is a file: cannot be written
    with caplog.at_level(logging.WARNING, logger="wallboard.screen_state"):
        memory.remember_view("list")
        memory.remember_view("tiles")  # not a view: not kept
    assert memory.view() == "grid"
    assert "view not remembered" in caplog.text and "'tiles' not remembered" in caplog.text
