"""Agents' names for people, from a local agents file, re-read when it changes.

The server names an agent only by `seatsname`, which is a technical string on real floors
("9026004_9026004_autocall-9026", API-NOTES decision 12). A supervisor wants "Li Wei", so
names come from a CSV file the floor keeps, one agent a line:

    # extnumber,name[,team]        comments start with '#'; blank lines are skipped
    extnumber,name,team            an optional header row (then columns go by name)
    8001,Li Wei,North
    8002,"Okafor, Ada"             team is optional

The file is UTF-8 (a spreadsheet's byte order mark is fine). A row that cannot be read stops
the whole file with one line naming the file and the line, so that a typo never silently
drops a name. An empty name means "no name here": the server's `seatsname` is shown instead.

`AgentNames` holds the names the live model shows and re-reads the file when its size or
modification time changes (`reload_if_changed`, cheap enough to call every slow cycle).
A file that turns bad keeps the names read before and says why in `problem`, until it is
fixed.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("wallboard.live.names")

#: A file bigger than this is not an agents file (a call floor of 10,000 agents is ~0.5 MB).
MAX_FILE_BYTES = 8 * 1024 * 1024
#: The longest name or team kept: longer text is a mistake (a pasted paragraph), not a name.
MAX_NAME_CHARS = 100
#: Header cells that name each column (compared lower-case).
EXTNUMBER_HEADERS = ("extnumber", "extension", "ext")
NAME_HEADERS = ("name",)
TEAM_HEADERS = ("team",)
#: The header row `wallboard names --from-server` writes.
HEADER = ("extnumber", "name", "team")

_EXTNUMBER = re.compile(r"[0-9]{1,20}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AgentNamesError(Exception):
    """The agents file cannot be used; the one-line message names the file and the line."""


@dataclass(frozen=True, slots=True)
class AgentName:
    """One agent of the agents file: what the supervisor calls the person at `extnumber`."""

    extnumber: str
    name: str
    team: str = ""


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where each field is in a row: by position, or by the header's names."""

    extnumber: int = 0
    name: int = 1
    team: int | None = 2
    width: int | None = 3  # without a header: at most extnumber, name, team


def parse_agent_names(text: str, source: str = "agents file") -> dict[str, AgentName]:
    """The agents of a file's text, by extension; `source` names the file in messages.

    Raises AgentNamesError, whose message is `SOURCE line N: what is wrong`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    agents: dict[str, AgentName] = {}
    first_line: dict[str, int] = {}
    columns: _Columns | None = None
    line = ended = 0
    try:
        for row in reader:
            line, ended = ended + 1, reader.line_num  # a quoted field may span lines
            cells = [cell.strip() for cell in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if columns is None:
                columns = _header(cells, source, line)
                if columns is not None:
                    continue
                columns = _Columns()
            agent = _agent(cells, columns, source, line)
            if agent.extnumber in agents:
                raise AgentNamesError(
                    f"{source} line {line}: extension {agent.extnumber} again "
                    f"(first on line {first_line[agent.extnumber]})"
                )
            agents[agent.extnumber] = agent
            first_line[agent.extnumber] = line
    except csv.Error as exc:
        raise AgentNamesError(f"{source} line {reader.line_num}: not CSV ({exc})") from None
    return agents


def read_agent_names(path: Path) -> dict[str, AgentName]:
    """The agents of the file at `path`; AgentNamesError (one line) when it cannot be used."""
    try:
        with Path(path).open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise AgentNamesError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AgentNamesError(f"{path}: is a directory, not an agents file") from None
    except OSError as exc:
        raise AgentNamesError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise AgentNamesError(
            f"{path}: over {MAX_FILE_BYTES // (1024 * 1024)} MB: not an agents file"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AgentNamesError(
            f"{path} line {line}: not UTF-8 text (save it as 'CSV UTF-8')"
        ) from None
    return parse_agent_names(text, str(path))


def agents_csv(agents: Iterable[AgentName], *, comment: str = "") -> str:
    """The text of an agents file: `comment` lines (each given a '#'), the header, the rows.

    What `parse_agent_names` reads back to the same agents."""
    out = io.StringIO()
    for line in comment.splitlines():
        out.write(f"# {line}".rstrip() + "\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for agent in agents:
        writer.writerow((agent.extnumber, agent.name, agent.team))
    return out.getvalue()


def is_extnumber(text: str) -> bool:
    """Whether an agents file can hold `text` as an extension number (digits)."""
    return _EXTNUMBER.fullmatch(text) is not None


def clean_name(text: str) -> str:
    """Text from elsewhere (the server's seatsname) made fit for the name column: control
    characters become spaces, runs of spaces one, and it is cut to `MAX_NAME_CHARS`."""
    return " ".join(_CONTROL.sub(" ", text).split())[:MAX_NAME_CHARS]


def _header(cells: list[str], source: str, line: int) -> _Columns | None:
    """The columns a header row names, or None when the row is not a header."""
    names = [cell.lower() for cell in cells]
    known = EXTNUMBER_HEADERS + NAME_HEADERS + TEAM_HEADERS
    if _EXTNUMBER.fullmatch(cells[0]) or not any(n in known for n in names):
        return None

    def find(choices: tuple[str, ...]) -> int | None:
        return next((i for i, n in enumerate(names) if n in choices), None)

    extnumber, name = find(EXTNUMBER_HEADERS), find(NAME_HEADERS)
    if extnumber is None or name is None:
        missing = "extnumber" if extnumber is None else "name"
        raise AgentNamesError(
            f"{source} line {line}: the header row has no {missing!r} column "
            f"(write extnumber,name[,team])"
        )
    return _Columns(extnumber=extnumber, name=name, team=find(TEAM_HEADERS), width=None)


def _agent(cells: list[str], columns: _Columns, source: str, line: int) -> AgentName:
    where = f"{source} line {line}"
    if columns.width is not None and not 2 <= len(cells) <= columns.width:
        raise AgentNamesError(
            f"{where}: {len(cells)} field{'s' if len(cells) != 1 else ''}, "
            f"expected extnumber,name[,team]"
        )

    def cell(index: int | None) -> str:
        return cells[index] if index is not None and index < len(cells) else ""

    extnumber = cell(columns.extnumber)
    if not _EXTNUMBER.fullmatch(extnumber):
        shown = extnumber if len(extnumber) <= 24 else extnumber[:21] + "..."
        raise AgentNamesError(f"{where}: {shown!r} is not an extension number (digits, e.g. 8001)")
    name, team = cell(columns.name), cell(columns.team)
    for label, value in (("name", name), ("team", team)):
        if _CONTROL.search(value):
            raise AgentNamesError(f"{where}: the {label} holds a control character")
        if len(value) > MAX_NAME_CHARS:
            raise AgentNamesError(f"{where}: the {label} is over {MAX_NAME_CHARS} characters")
    return AgentName(extnumber, name, team)


_Stamp = tuple[int, int, int]


class AgentNames:
    """The agents file's names, for the live model: `lookup`, `name_for`, and a cheap
    `reload_if_changed` to call once per slow cycle.

    `path` None: no file, no names. `required` False (the default file in the config dir):
    a missing file means no names and is no problem; True (a file the settings name): a
    missing file is a problem. `version` goes up whenever the names change, so that a
    builder that caches agents' views knows to rebuild them. Used from one thread (the live
    model's event loop); `lookup` reads a dict that a reload replaces whole."""

    def __init__(self, path: Path | None = None, *, required: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.required = required
        self.problem: str | None = None
        self.version = 0
        self._agents: Mapping[str, AgentName] = {}
        self._stamp: _Stamp | None = None
        self.reload_if_changed()

    @classmethod
    def of(cls, agents: Iterable[AgentName]) -> AgentNames:
        """Names given in code, with no file (the demo, tests)."""
        names = cls(None)
        names._agents = {agent.extnumber: agent for agent in agents}
        names.version = 1
        return names

    def __repr__(self) -> str:
        return f"AgentNames(path={self.path!r}, agents={len(self)}, problem={self.problem!r})"

    def __len__(self) -> int:
        return len(self._agents)

    def lookup(self, extnumber: str) -> AgentName | None:
        """The file's agent at `extnumber`, or None when the file has none."""
        return self._agents.get(extnumber.strip())

    def name_for(self, extnumber: str, fallback: str = "") -> str:
        """The name to show for `extnumber`: the file's, else `fallback` (the server's
        `seatsname`) when the file has none or leaves it empty."""
        agent = self._agents.get(extnumber.strip())
        return agent.name if agent is not None and agent.name else fallback

    def reload_if_changed(self) -> bool:
        """Re-read the file when its size, modification time or identity changed; True when
        the names changed. Never raises: a file that cannot be read keeps the names read
        before and sets `problem` (logged once per change of the file)."""
        if self.path is None:
            return False
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return self._gone()
        except OSError as exc:
            return self._failed(f"{self.path}: cannot be read: {exc.strerror or exc}", None)
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp == self._stamp:
            return False
        try:
            agents = read_agent_names(self.path)
        except AgentNamesError as exc:
            return self._failed(str(exc), stamp)
        self._stamp = stamp
        if self.problem is not None:
            log.info("%s: read again, %d agents", self.path, len(agents))
        self.problem = None
        if agents == self._agents:
            return False
        self._agents = agents
        self.version += 1
        return True

    def _gone(self) -> bool:
        if self.required:
            return self._failed(f"{self.path}: no such file", None)
        self._stamp = None
        self.problem = None
        if not self._agents:
            return False
        self._agents = {}
        self.version += 1
        return True

    def _failed(self, problem: str, stamp: _Stamp | None) -> bool:
        if problem != self.problem:
            log.warning("agents file: %s (the names read before are kept)", problem)
        self.problem = problem
        # Not remembered as read: the next change of the file is read again. A stamp is kept
        # so that the same bad file is not parsed again every cycle.
        self._stamp = stamp
        return False


__all__ = [
    "HEADER",
    "AgentName",
    "AgentNames",
    "AgentNamesError",
    "agents_csv",
    "clean_name",
    "is_extnumber",
    "parse_agent_names",
    "read_agent_names",
]
