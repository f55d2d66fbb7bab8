"""The settings of one run of wallboard, typed, checked and loaded once.

Everything a command may be told comes from four layers, and the order is written here and
nowhere else:

    defaults  <  the config file  <  the environment  <  the command line

The config file (`config.toml` in the config dir, or `--config PATH`) holds named server
profiles, because a call floor may have several accounts (a test server, production), and
the dashboard's own options:

    default = "floor"                   # the profile used when none is named
    theme = "default"                   # or "high-contrast", a user theme, a Textual theme
    refresh = 1.5                       # seconds between the fast polls
    queues = ["sales", "support"]       # show only these queues (default: all)
    read_only = false                   # hide and refuse every action that changes the floor

    [profiles.floor]
    url = "https://pbx.example.com:8080"
    appid = "8f3c..."
    accesskey_env = "FLOOR_ACCESSKEY"   # or: accesskey = "..." (then chmod 600 the file)
    tz = "Asia/Shanghai"                # optional: the server's time zone
    region = "GB"                       # optional: `campaign create --region`'s default
    callback_listen = "10.1.2.3:8090"   # optional: receive the server's callbacks here
    callback_allow = ["10.1.2.40"]      # who may post them (default: this machine only)
    callback_path = "/kT3...long-random"  # optional: the secret path (default: made for you)

    [thresholds]                        # [amber, red] seconds in a state before a tile ramps
    idle = [120, 300]
    ringing = [15, 25]
    talking = [600, 1200]
    wrapup = [60, 120]                  # "wrap-up" is accepted too
    paused = [300, 900]

    [agents]
    names = "agents.csv"                # extnumber,name[,team]: names for people

    [alerts]                            # when the screen calls for attention (see below)
    bell = true                         # ring the terminal bell once per alert raised
    abandon_amber = 0.025               # a campaign's abandon rate: amber from 2.5%,
    abandon_rate = 0.03                 # red past 3% (the legal limit)
    abandon_margin = 0.002              # clears (or goes down a level) only this far below
    abandon_min_answered = 1            # judge no rate over fewer answered calls
    paused_after = 900                  # an agent paused this long (default: [thresholds]
                                        # paused's red figure)
    no_idle_after = 60                  # a dialling campaign's queue with no idle agent
    unreadable_after = 30               # the server not answering
    clear_after = 10                    # those two clear after this long fine again
    campaign_ended = true               # say when a running campaign ends
    abandon_30d_amber = 0.025           # a campaign's abandon rate over 30 days: amber
    abandon_30d_red = 0.028             # from 2.5%, red from 2.8% (before the 3% cap)

    [wall]
    page_seconds = 15                   # the wall turns to the next queues this often

    [history]                           # finished calls kept for the 24 h / 30 d windows
    db = ""                             # "": history.sqlite3 in the data dir; or a
                                        # postgresql://user@host/db URL (several collectors)
    bill_days = 7                       # each call's own row kept this long (exactly once)
    keep_days = 400                     # the 15-minute figures kept this long

    [calling_hours]                     # when a campaign's numbers may ring, in their own zone
    default = "08:00-21:00"
    regions = { US = "09:00-20:00" }    # per region (ISO country code)

`tz` is the IANA name of the time zone the server writes its times in: "today" is the
server's day, so a dashboard in another zone needs it; without it, this machine's zone is
used. `callback_listen` is the `host:port` where the dashboard listens for the server's task
callbacks; without it, no port is opened. Listen on the one address the server can reach,
never on every interface. `callback_allow` lists the addresses or networks
(`"10.1.2.0/24"`) callbacks may come from (default: loopback only), and `callback_path` is
the secret path they must be posted to: without one, a random path is made once and kept
in the data dir (`callback_path`, mode 0600); give the server `http://HOST:PORT/PATH`.

A file that holds an accesskey must be readable by its owner alone: one that others can
read is refused, with the fix (`chmod 600 FILE`). `accesskey_env` keeps the key out of the
file altogether.

`region` is the country (`GB`, `US`, `CN`) of numbers written without a country code: the
default of `wallboard campaign create --region`.

`[agents] names` is the agents file (`wallboard.live.names`), relative to the config file's
folder; without it, `agents.csv` in the config dir is read when it exists, and
`wallboard names --from-server` writes a first one there. `[alerts]` holds the alert rules
(`wallboard.live.alerts.AlertRules`, where each limit is explained); `--no-bell` silences
the bell for one run. `[wall]` is the wall screen (`--wall`), `[redis]` a shared collector.
Each section is optional and every key has a default.

The environment overrides the file: `WALLBOARD_URL`, `WALLBOARD_APPID`, `WALLBOARD_ACCESSKEY`,
`WALLBOARD_TZ`, `WALLBOARD_REGION`, `WALLBOARD_CALLBACK_LISTEN`, `WALLBOARD_CALLBACK_PATH`,
`WALLBOARD_CALLBACK_ALLOW` (a comma list; all of the chosen profile), `WALLBOARD_PROFILE`,
`WALLBOARD_THEME`, `WALLBOARD_REFRESH`, `WALLBOARD_QUEUES` (a comma list) and
`WALLBOARD_READ_ONLY` (1/0, true/false, yes/no). Every mistake is a `ConfigError` whose one
line names the file and the key, the environment variable, or the option to fix.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from wallboard.config import (
    ConfigError,
    ThemeError,
    config_path,
    default_agents_path,
    others_can_read,
    read_toml,
    shipped_theme_dir,
    stored_callback_path,
    user_theme_dir,
)

if TYPE_CHECKING:
    from wallboard.live.alerts import AlertRules
    from wallboard.live.calling_hours import CallingRules

ENV_URL = "WALLBOARD_URL"
ENV_APPID = "WALLBOARD_APPID"
ENV_ACCESSKEY = "WALLBOARD_ACCESSKEY"
ENV_PROFILE = "WALLBOARD_PROFILE"
ENV_TZ = "WALLBOARD_TZ"
ENV_REGION = "WALLBOARD_REGION"
ENV_CALLBACK_LISTEN = "WALLBOARD_CALLBACK_LISTEN"
ENV_CALLBACK_PATH = "WALLBOARD_CALLBACK_PATH"
ENV_CALLBACK_ALLOW = "WALLBOARD_CALLBACK_ALLOW"
ENV_THEME = "WALLBOARD_THEME"
ENV_REFRESH = "WALLBOARD_REFRESH"
ENV_QUEUES = "WALLBOARD_QUEUES"
ENV_READ_ONLY = "WALLBOARD_READ_ONLY"

DEFAULT_THEME = "default"
DEFAULT_REFRESH = 1.5
REFRESH_RANGE = (0.2, 3600.0)
#: How often the wall may turn its pages: slower than a glance, faster than forgotten.
PAGE_RANGE = (2.0, 3600.0)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Where task callbacks may come from when the profile does not say: this machine only.
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
#: A callback path the profile sets: a secret, so long enough not to be guessed, and plain.
CALLBACK_PATH_SHAPE = re.compile(r"/[A-Za-z0-9_\-]{16,200}")

#: Environment variables that override the chosen profile's keys.
PROFILE_OVERRIDES = (
    ("url", ENV_URL),
    ("appid", ENV_APPID),
    ("accesskey", ENV_ACCESSKEY),
    ("tz", ENV_TZ),
    ("region", ENV_REGION),
    ("callback_listen", ENV_CALLBACK_LISTEN),
    ("callback_path", ENV_CALLBACK_PATH),
    ("callback_allow", ENV_CALLBACK_ALLOW),
)
#: Environment variables that override the dashboard's options.
DASHBOARD_OVERRIDES = (
    ("theme", ENV_THEME),
    ("refresh", ENV_REFRESH),
    ("queues", ENV_QUEUES),
    ("read_only", ENV_READ_ONLY),
)

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _complain(message: str) -> PydanticCustomError:
    """A validation failure whose text is ours: the message formatter prefixes the key."""
    return PydanticCustomError("wallboard", message)


# The field types. Each checks its input itself, so every mistake says what to write instead
# of pydantic's generic "Input should be ...".


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _complain("must be text in quotes")
    return value.strip()


def _appid(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _profile_name(value: object) -> str:
    if not isinstance(value, str):
        raise _complain("must be a profile name in quotes")
    return value.strip()


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise _complain("must be true or false")


def _seconds(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _complain("must be a number of seconds")


def _refresh(value: object) -> float:
    seconds = _seconds(value)
    low, high = REFRESH_RANGE
    if not low <= seconds <= high:
        raise _complain(f"must be from {low:g} to {high:g} seconds")
    return seconds


def _page_seconds(value: object) -> float:
    seconds = _seconds(value)
    low, high = PAGE_RANGE
    if not low <= seconds <= high:
        raise _complain(f"must be from {low:g} to {high:g} seconds")
    return seconds


def _whole(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _complain("must be a whole number, e.g. 1")


def _fraction(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    raise _complain("must be a fraction from 0 to 1, e.g. 0.03 for 3%")


def _queues(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        names = [part.strip() for part in value.split(",")]
    elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        names = [item.strip() for item in value]
    else:
        raise _complain('must be a list of queue names, e.g. ["sales", "support"]')
    kept = tuple(name for name in names if name)
    return kept or None


def _text_list(value: object) -> str:
    """A list of text (or one comma list), kept as one comma list: checked when resolved."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return ",".join(item.strip() for item in value)
    raise _complain('must be a list of addresses or networks, e.g. ["10.1.2.40", "10.9.0.0/16"]')


def _limit(value: object) -> tuple[int, int]:
    """An `[amber, red]` pair of whole seconds, amber no later than red."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise _complain("must be two whole seconds, [amber, red], e.g. [120, 300]")
    amber, red = value
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (amber, red)):
        raise _complain("must be two whole seconds, [amber, red], e.g. [120, 300]")
    if amber < 0 or red < amber:
        raise _complain(f"must be [amber, red] with 0 <= amber <= red, not {[amber, red]}")
    return int(amber), int(red)


Text = Annotated[str, BeforeValidator(_text)]
Secret = Annotated[SecretStr, BeforeValidator(_text)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Refresh = Annotated[float, BeforeValidator(_refresh)]
Seconds = Annotated[float, BeforeValidator(_seconds)]
PageSeconds = Annotated[float, BeforeValidator(_page_seconds)]
Whole = Annotated[int, BeforeValidator(_whole)]
Fraction = Annotated[float, BeforeValidator(_fraction)]
Queues = Annotated[tuple[str, ...] | None, BeforeValidator(_queues)]
Limit = Annotated[tuple[int, int], BeforeValidator(_limit)]

_SECTION = ConfigDict(extra="forbid", frozen=True)

M = TypeVar("M", bound=BaseModel)
#: Where a key of a layer is, for messages: (the place with ": ", the key as shown).
_Placer = Callable[[tuple[str | int, ...]], tuple[str, str]]


class ProfileSection(BaseModel):
    """One `[profiles.NAME]` section as written; `resolve_profile` turns it into a Profile."""

    model_config = _SECTION

    url: Text | None = None
    appid: Annotated[str, BeforeValidator(_appid)] | None = None
    accesskey: Secret | None = None
    accesskey_env: Text | None = None
    tz: Text | None = None
    region: Text | None = None
    callback_listen: Text | None = None
    callback_path: Text | None = None
    callback_allow: Annotated[str, BeforeValidator(_text_list)] | None = None


class ThresholdSettings(BaseModel):
    """`[thresholds]`: seconds in a state before a tile's time turns amber, then red.

    Floors differ (a collections floor talks longer than a survey floor), so each state's
    limits can be set; the defaults are common wallboard practice: a ring past 15 s is about
    to be missed, an idle agent past 2 minutes on a predictive floor means a starved dialler."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    idle: Limit = (120, 300)
    ringing: Limit = (15, 25)
    talking: Limit = (600, 1200)
    wrapup: Limit = Field(default=(60, 120), validation_alias=AliasChoices("wrapup", "wrap-up"))
    paused: Limit = (300, 900)

    def by_state_name(self) -> dict[str, tuple[int, int]]:
        """The limits keyed by the state's name (idle, ringing, talking, wrapup, paused)."""
        return {
            "idle": self.idle,
            "ringing": self.ringing,
            "talking": self.talking,
            "wrapup": self.wrapup,
            "paused": self.paused,
        }


class AgentSettings(BaseModel):
    """`[agents]`: `names` is the agents file, CSV `extnumber,name[,team]` (a relative path
    is read from the config file's folder; `~` is the home dir). Without it, `agents.csv` in
    the config dir is read when it exists. `wallboard.live.names` reads it."""

    model_config = _SECTION

    names: Text | None = None


class AlertSettings(BaseModel):
    """`[alerts]`: when the screen calls for attention beyond colour (a toast, the strip,
    the bell, a flash on the wall). The keys are `AlertRules`' fields, plus `bell`; every
    default is the rules' own, so a file without the section alerts as the engine would.

    `paused_after` left out follows the paused ramp: an agent is called for when their
    tile turns red (`[thresholds] paused`, second figure), so the two never disagree."""

    model_config = _SECTION

    bell: Flag = True
    abandon_amber: Fraction = 0.025
    abandon_rate: Fraction = 0.03
    abandon_margin: Fraction = 0.002
    abandon_min_answered: Whole = 1
    paused_after: Seconds | None = None
    no_idle_after: Seconds = 60.0
    unreadable_after: Seconds = 30.0
    clear_after: Seconds = 10.0
    campaign_ended: Flag = True
    abandon_30d_amber: Fraction = 0.025
    abandon_30d_red: Fraction = 0.028

    def rules(self, thresholds: ThresholdSettings, where: str = "[alerts]") -> AlertRules:
        """The alerts engine's rules; a ConfigError naming the key (after `where`, the file
        and section) when the limits do not fit together (amber past red, a negative
        time): the engine checks them, this says where to fix them."""
        from wallboard.live.alerts import AlertRules

        limits = self.model_dump(exclude={"bell", "paused_after"})
        paused = self.paused_after if self.paused_after is not None else thresholds.paused[1]
        try:
            return AlertRules(paused_after=float(paused), **limits)
        except ValueError as exc:
            text = str(exc)
            key = next((name for name in AlertSettings.model_fields if text.startswith(name)), "")
            if key:
                text = f"{key!r}{text[len(key) :]}"
            raise ConfigError(f"{where}: {text}") from None


class WallSettings(BaseModel):
    """`[wall]`: a screen on a wall, read from across the room, nobody at the keyboard."""

    model_config = _SECTION

    page_seconds: PageSeconds = 15.0


class RedisSettings(BaseModel):
    """`[redis]`: a shared collector, so that many screens cost the server one poller."""

    model_config = _SECTION

    url: Text | None = None
    prefix: Text = "wallboard"


class HistorySettings(BaseModel):
    """`[history]`: the store of finished calls that the 24-hour and 30-day windows and the
    reports read. `db` empty: `history.sqlite3` in the data dir; or a postgresql:// URL,
    shared by several collectors."""

    model_config = _SECTION

    enabled: Flag = True
    db: Text = ""
    bill_days: Annotated[float, Field(gt=0)] = 7.0
    keep_days: Annotated[float, Field(gt=0)] = 400.0


class CallingHoursSettings(BaseModel):
    """`[calling_hours]`: the local window a number may ring in, by its own time zone;
    `default` for regions without a line in `regions` (e.g. regions = { US = "09:00-20:00" })."""

    model_config = _SECTION

    default: Text = "08:00-21:00"
    regions: dict[str, Text] = Field(default_factory=dict)

    def rules(self, where: str = "[calling_hours]") -> CallingRules:
        """The campaign planner's rules; a ConfigError naming the section on a bad window."""
        from wallboard.live.calling_hours import CallingRules

        try:
            return CallingRules.parse(self.default, self.regions)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None


class DashboardOptions(BaseModel):
    """The options the file, the environment and the command line may each set; None:
    not set at this layer."""

    model_config = _SECTION

    theme: Text | None = None
    refresh: Refresh | None = None
    queues: Queues = None
    read_only: Flag | None = None


class ConfigDocument(DashboardOptions):
    """The config file as written."""

    default: Annotated[str, BeforeValidator(_profile_name)] | None = None
    profiles: dict[str, ProfileSection] = Field(default_factory=dict)
    thresholds: ThresholdSettings = ThresholdSettings()
    agents: AgentSettings = AgentSettings()
    alerts: AlertSettings = AlertSettings()
    wall: WallSettings = WallSettings()
    redis: RedisSettings = RedisSettings()
    history: HistorySettings = HistorySettings()
    calling_hours: CallingHoursSettings = CallingHoursSettings()


@dataclass(frozen=True, slots=True)
class Profile:
    """What it takes to reach one server. The accesskey never shows in a repr."""

    url: str
    appid: str
    accesskey: str = field(repr=False)
    name: str = ""
    source: str = ""  # where it came from, for messages: a file, or "environment"
    tz: dt.tzinfo | None = None  # the server's time zone; None: this machine's
    region: str | None = None  # numbers without a country code are dialled from here
    callback_listen: tuple[str, int] | None = None  # (host, port) for the callback receiver
    # The secret path callbacks must be posted to (set whenever `callback_listen` is).
    callback_path: str | None = field(default=None, repr=False)
    # The addresses callbacks may come from; by default this machine only.
    callback_allow: tuple[Network, ...] = LOOPBACK

    def __repr__(self) -> str:
        path = "'***'" if self.callback_path else "None"
        return (
            f"Profile(name={self.name!r}, url={self.url!r}, appid={self.appid!r}, "
            f"accesskey='***', source={self.source!r}, tz={self.tz!r}, region={self.region!r}, "
            f"callback_listen={self.callback_listen!r}, callback_path={path}, "
            f"callback_allow={tuple(str(n) for n in self.callback_allow)!r})"
        )


class Settings(BaseModel):
    """Everything a run was told, after the four layers: what the composition root wires."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config_file: Path | None = None
    profile: Profile | None = None
    theme: str = DEFAULT_THEME
    refresh: float = DEFAULT_REFRESH
    queues: tuple[str, ...] | None = None
    read_only: bool = False
    #: The wall screen (`--wall`): big figures, no keys; it implies `read_only`.
    wall_mode: bool = False
    thresholds: ThresholdSettings = ThresholdSettings()
    agents: AgentSettings = AgentSettings()
    alerts: AlertSettings = AlertSettings()
    wall: WallSettings = WallSettings()
    redis: RedisSettings = RedisSettings()
    history: HistorySettings = HistorySettings()
    calling_hours: CallingHoursSettings = CallingHoursSettings()
    #: Numbers without a country code are dialled from here (the profile's `region`, else
    #: `WALLBOARD_REGION`); None: numbers must be in E.164.
    region: str | None = None
    #: The agents file (`[agents] names`, else `agents.csv` in the config dir); None: none.
    agents_file: Path | None = None
    #: True when the settings name the agents file: then a missing file is a mistake.
    agents_file_named: bool = False
    #: Where each dashboard option was set ("default", a file, an environment variable or an
    #: option), so that a later check (is there such a theme?) can name it.
    origins: Mapping[str, str] = Field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class CommandLine:
    """The command line's layer: None (or False for the flags) where it said nothing.

    `wall` is the wall screen, which nobody at a keyboard watches, so it is read-only
    whatever `read_only` says; `bell` False is `--no-bell`."""

    config: Path | None = None
    profile: str | None = None
    theme: str | None = None
    refresh: float | None = None
    queues: Sequence[str] | None = None
    read_only: bool = False
    wall: bool = False
    bell: bool | None = None


def load_settings(
    command_line: CommandLine | None = None,
    *,
    need_profile: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The settings of this run: defaults < config file < environment < command line.

    `need_profile` resolves the server profile too (the demo needs none, so a config file
    without one is fine there). Raises ConfigError with a one-line message.
    """
    line = command_line or CommandLine()
    env = os.environ if environ is None else environ
    explicit = line.config is not None
    file = Path(line.config).expanduser() if line.config is not None else config_path()
    if file.is_file():
        document = _validated(ConfigDocument, read_toml(file), _file_place(file))
        _refuse_if_others_can_read(file, document)
    elif explicit:
        raise ConfigError(f"{file}: no such config file")
    else:
        document = ConfigDocument()

    chosen: dict[str, object] = {}
    origins: dict[str, str] = {}
    file_layer = document.model_dump(include={"theme", "refresh", "queues", "read_only"})
    env_layer = _validated(
        DashboardOptions,
        {key: env[var] for key, var in DASHBOARD_OVERRIDES if env.get(var, "").strip()},
        _env_place(dict(DASHBOARD_OVERRIDES)),
    ).model_dump()
    cli_layer = _validated(
        DashboardOptions,
        {
            "theme": line.theme,
            "refresh": line.refresh,
            "queues": list(line.queues) if line.queues is not None else None,
            "read_only": line.read_only or line.wall or None,
        },
        _option_place,
    ).model_dump()
    env_names = dict(DASHBOARD_OVERRIDES)
    for key in ("theme", "refresh", "queues", "read_only"):
        for layer, origin in (
            (cli_layer, f"--{key.replace('_', '-')}"),
            (env_layer, f"environment variable {env_names[key]}"),
            (file_layer, f"{file}: {key!r}"),
        ):
            if layer.get(key) is not None:
                chosen[key] = layer[key]
                origins[key] = origin
                break
        else:
            origins[key] = "default"
    if line.wall:  # the wall is read-only whatever the file or the environment says
        origins["read_only"] = "--wall"

    alerts = document.alerts
    alerts.rules(document.thresholds, f"{file} [alerts]")  # a mistake says so before the screen
    document.calling_hours.rules(f"{file} [calling_hours]")
    origins["bell"] = f"{file} [alerts]: 'bell'" if "bell" in alerts.model_fields_set else "default"
    if line.bell is not None:
        alerts = alerts.model_copy(update={"bell": line.bell})
        origins["bell"] = "--no-bell" if not line.bell else "the command line"

    profile = None
    if need_profile:
        name = (line.profile or env.get(ENV_PROFILE, "")).strip() or None
        profile = resolve_profile(
            document if file.is_file() else None, file, name, env, explicit=explicit
        )
    if profile is not None:
        region = profile.region
    elif env.get(ENV_REGION, "").strip():
        region = _region(env[ENV_REGION], f"environment variable {ENV_REGION}")
    else:
        region = None
    return Settings(
        config_file=file,
        profile=profile,
        theme=chosen.get("theme") or DEFAULT_THEME,
        refresh=chosen.get("refresh") or DEFAULT_REFRESH,
        queues=chosen.get("queues"),
        read_only=bool(chosen.get("read_only", False)),
        wall_mode=line.wall,
        thresholds=document.thresholds,
        agents=document.agents,
        alerts=alerts,
        wall=document.wall,
        redis=document.redis,
        history=document.history,
        calling_hours=document.calling_hours,
        region=region,
        agents_file=_agents_file(document.agents, file),
        agents_file_named=document.agents.names is not None,
        origins=origins,
    )


def load_profile(
    name: str | None = None, path: Path | None = None, *, environ: Mapping[str, str] | None = None
) -> Profile:
    """The server profile alone: `--profile NAME`, `--config PATH` and the environment.

    `name` defaults to `WALLBOARD_PROFILE`, then the file's `default`, then the only profile
    in the file. Without a config file, the environment alone must give url, appid and
    accesskey. An explicit `path` must exist.
    """
    settings = load_settings(CommandLine(config=path, profile=name), environ=environ)
    assert settings.profile is not None
    return settings.profile


def resolve_profile(
    document: ConfigDocument | None,
    file: Path,
    name: str | None,
    env: Mapping[str, str],
    *,
    explicit: bool = False,
) -> Profile:
    """The chosen profile of a (checked) config file, overridden by the environment."""
    values: dict[str, str] = {}
    origins: dict[str, str] = {}  # optional keys set by the environment, for messages
    where = "environment"
    chosen = name or ""
    if document is not None:
        chosen, values = _profile_values(document, name, file, env)
        where = f"{file} [profiles.{chosen}]"
    elif explicit:
        raise ConfigError(f"{file}: no such config file")
    elif name:
        raise ConfigError(
            f"{file}: no such config file, so there is no profile {name!r} "
            f"(create it, or set {ENV_URL}, {ENV_APPID} and {ENV_ACCESSKEY})"
        )
    for key, variable in PROFILE_OVERRIDES:
        override = env.get(variable, "").strip()
        if override:
            values[key] = override
            if key not in ("url", "appid", "accesskey"):
                origins[key] = f"environment variable {variable}"
    for key, variable in (("url", ENV_URL), ("appid", ENV_APPID), ("accesskey", ENV_ACCESSKEY)):
        if not values.get(key):
            if document is not None:
                raise ConfigError(f"{where}: no {key!r} (set it there, or set {variable})")
            raise ConfigError(
                f"{file}: no config file and {variable} is not set: give {key!r} in a "
                f"profile there or set {ENV_URL}, {ENV_APPID} and {ENV_ACCESSKEY}"
            )
    _check_url(values["url"], where)
    listen = (
        _listen_address(values["callback_listen"], origins.get("callback_listen", where))
        if values.get("callback_listen")
        else None
    )
    path = (
        _callback_path(values["callback_path"], origins.get("callback_path", where))
        if values.get("callback_path")
        else None
    )
    if path is None and listen is not None:
        path = stored_callback_path()
    return Profile(
        url=values["url"],
        appid=values["appid"],
        accesskey=values["accesskey"],
        name=chosen,
        source=where,
        tz=_zone(values["tz"], origins.get("tz", where)) if values.get("tz") else None,
        region=(
            _region(values["region"], origins.get("region", where))
            if values.get("region")
            else None
        ),
        callback_listen=listen,
        callback_path=path,
        callback_allow=(
            _networks(values["callback_allow"], origins.get("callback_allow", where))
            if "callback_allow" in values  # set, even to nothing: then it is a mistake
            else LOOPBACK
        ),
    )


def _profile_values(
    document: ConfigDocument, name: str | None, file: Path, env: Mapping[str, str]
) -> tuple[str, dict[str, str]]:
    profiles = document.profiles
    if name is None:
        if document.default:
            name = document.default
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
    where = f"{file} [profiles.{name}]"
    values = {
        key: value
        for key, value in (
            ("url", section.url),
            ("appid", section.appid),
            ("accesskey", section.accesskey.get_secret_value() if section.accesskey else None),
            ("tz", section.tz),
            ("region", section.region),
            ("callback_listen", section.callback_listen),
            ("callback_path", section.callback_path),
            ("callback_allow", section.callback_allow),
        )
        if value is not None
    }
    variable = section.accesskey_env or ""
    if variable:
        if values.get("accesskey"):
            raise ConfigError(f"{where}: give 'accesskey' or 'accesskey_env', not both")
        secret = env.get(variable, "").strip()
        if not secret and not env.get(ENV_ACCESSKEY, "").strip():
            raise ConfigError(f"{where}: 'accesskey_env' names {variable}, which is not set")
        values["accesskey"] = secret
    return name, values


# Theme files: read here (the one TOML reader), turned into Textual themes by the screen.


@dataclass(frozen=True, slots=True)
class ThemeFile:
    """One theme file as read: the screen builds the theme from `document`."""

    path: Path
    document: Mapping[str, object]


def theme_dirs() -> list[Path]:
    """The shipped themes, then the user's (a user file replaces a shipped one by name)."""
    return [shipped_theme_dir(), user_theme_dir()]


def read_theme_files(dirs: Sequence[Path] | None = None) -> list[ThemeFile]:
    """Every `*.toml` of `dirs`, in order (later files win by name when themes are built)."""
    files: list[ThemeFile] = []
    for directory in theme_dirs() if dirs is None else dirs:
        if directory.is_dir():
            for path in sorted(directory.glob("*.toml")):
                files.append(ThemeFile(path, read_toml(path, ThemeError)))
    return files


# Messages: a pydantic error becomes one line naming the place (file and section, an
# environment variable, an option) and the key.


def _file_place(file: Path) -> _Placer:
    def place(loc: tuple[str | int, ...]) -> tuple[str, str]:
        section = ".".join(str(part) for part in loc[:-1])
        where = f"{file} [{section}]" if section else f"{file}"
        return f"{where}: ", repr(str(loc[-1])) if loc else ""

    return place


def _env_place(variables: Mapping[str, str]) -> _Placer:
    def place(loc: tuple[str | int, ...]) -> tuple[str, str]:
        key = str(loc[0]) if loc else ""
        return f"environment variable {variables.get(key, key)}: ", repr(key)

    return place


def _option_place(loc: tuple[str | int, ...]) -> tuple[str, str]:
    key = str(loc[0]) if loc else ""
    return "", "--" + key.replace("_", "-")


_SECTIONS: Mapping[str, type[BaseModel]] = {
    "thresholds": ThresholdSettings,
    "agents": AgentSettings,
    "alerts": AlertSettings,
    "wall": WallSettings,
    "redis": RedisSettings,
    "history": HistorySettings,
    "calling_hours": CallingHoursSettings,
}


def _validated(model: type[M], data: Mapping[str, object], place: _Placer) -> M:
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(_message(model, exc, place)) from None


def _message(model: type[BaseModel], exc: ValidationError, place: _Placer) -> str:
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    kind = error["type"]
    prefix, name = place(loc)
    dotted = ".".join(str(part) for part in loc)
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        keys = f"{', '.join(known[:-1])} or {known[-1]}" if len(known) > 1 else "".join(known)
        return f"{prefix}unknown key {name} (use {keys})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        outer = prefix.split(" [", 1)[0].rstrip(": ")
        if loc == ("profiles",):
            return f"{outer}: 'profiles' must be a table of [profiles.NAME] sections"
        if len(loc) == 2 and loc[0] == "profiles":
            return f"{outer}: {dotted!r} must be a [{dotted}] section"
        return f"{outer}: {dotted!r} must be a [{dotted}] table"
    text = error["msg"] if kind == "wallboard" else f"is not valid: {error['msg']}"
    return f"{prefix}{name} {text}"


def _known_keys(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    if not loc:
        section: type[BaseModel] = model
    elif loc[0] == "profiles":
        section = ProfileSection
    else:
        section = _SECTIONS.get(str(loc[0]), model)
    return list(section.model_fields)


def _agents_file(section: AgentSettings, file: Path) -> Path:
    """`[agents] names` as a path: relative to the config file's folder (where the user
    keeps the file beside it); without it, `agents.csv` in the config dir."""
    if section.names is None:
        return default_agents_path()
    if not section.names:
        raise ConfigError(f"{file} [agents]: 'names' is empty (leave it out for agents.csv)")
    named = Path(section.names).expanduser()
    return named if named.is_absolute() else file.parent / named


def _zone(name: str, where: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        shown = name if len(name) <= 40 else name[:37] + "..."
        raise ConfigError(
            f"{where}: 'tz' {shown!r} is not a time zone name "
            f"(use an IANA name such as 'Asia/Shanghai', 'Europe/London' or 'UTC')"
        ) from None


def _region(text: str, where: str) -> str:
    """A region code as the phone-number library knows it (`GB`, `US`), upper case."""
    from wallboard.live.numbers_file import check_region

    try:
        region = check_region(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: 'region' {exc}") from None
    if region is None:
        raise ConfigError(f"{where}: 'region' is empty (leave it out for none)")
    return region


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
            f"{where}: 'callback_listen' must look like host:port, such as '127.0.0.1:8090' "
            f"(got {shown!r})"
        )
    return host, int(port)


def _check_url(url: str, where: str) -> None:
    scheme, sep, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if not sep or scheme.lower() not in ("http", "https") or not host or " " in url:
        shown = "" if "@" in url else f" (got {url!r})"
        raise ConfigError(f"{where}: 'url' must look like http://host:port{shown}")


def _callback_path(text: str, where: str) -> str:
    """The receiver's secret path as the profile gives it: `/` and 16 or more letters,
    digits, `-` or `_` (a leading `/` may be left out)."""
    path = "/" + text.strip().lstrip("/")
    if not CALLBACK_PATH_SHAPE.fullmatch(path):
        raise ConfigError(
            f"{where}: 'callback_path' must be 16 or more letters, digits, '-' or '_' "
            f"(it is a secret; leave it out and one is made for you)"
        )
    return path


def _networks(text: str, where: str) -> tuple[Network, ...]:
    """`callback_allow`: addresses (`10.1.2.40`) or networks (`10.1.2.0/24`), v4 or v6."""
    networks: list[Network] = []
    for part in (item.strip() for item in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            shown = part if len(part) <= 40 else part[:37] + "..."
            raise ConfigError(
                f"{where}: 'callback_allow' {shown!r} is not an address or a network "
                f"(use e.g. '10.1.2.40' or '10.1.2.0/24')"
            ) from None
    if not networks:
        raise ConfigError(f"{where}: 'callback_allow' is empty: leave it out for loopback only")
    return tuple(networks)


def _refuse_if_others_can_read(file: Path, document: ConfigDocument) -> None:
    """A file that holds an accesskey must be its owner's alone: refused, with the fix,
    before anything starts (a warning would be painted over by the screen at once)."""
    if not any(section.accesskey is not None for section in document.profiles.values()):
        return
    mode = others_can_read(file)
    if mode is not None:
        raise ConfigError(
            f"{file}: holds an accesskey and others can read it (mode {mode:04o}): "
            f"run chmod 600 {file} (or use accesskey_env)"
        )


__all__ = [
    "DEFAULT_THEME",
    "LOOPBACK",
    "AgentSettings",
    "AlertSettings",
    "CommandLine",
    "ConfigDocument",
    "ConfigError",
    "Profile",
    "ProfileSection",
    "RedisSettings",
    "Settings",
    "ThemeFile",
    "ThresholdSettings",
    "WallSettings",
    "load_profile",
    "load_settings",
    "read_theme_files",
    "resolve_profile",
    "theme_dirs",
]
