"""The agents file (names by extension): reading it, re-reading it when it changes, and
`wallboard names`, which checks it or writes a first one from the simulator's extensions
(never their passwords)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from wallboard.commands import main
from wallboard.commands.demo import demo_server
from wallboard.commands.names import server_agents
from wallboard.live.names import (
    AgentName,
    AgentNames,
    AgentNamesError,
    agents_csv,
    parse_agent_names,
    read_agent_names,
)
from wallboard.sim.server import Simulator

#: 2026-01-05 09:00 UTC, the scenario's reference Monday (as in conftest).
SIM_START = 1767603600.0

ENV = (
    "WALLBOARD_URL",
    "WALLBOARD_APPID",
    "WALLBOARD_ACCESSKEY",
    "WALLBOARD_PROFILE",
    "WALLBOARD_TZ",
    "WALLBOARD_READ_ONLY",
)


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config dir of the test's own: no user's settings or agents file leak in."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WALLBOARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WALLBOARD_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "config"


@pytest.fixture
def server(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    with demo_server(manual_clock=True, start=SIM_START, agents=30) as (sim, url):
        monkeypatch.setenv("WALLBOARD_URL", url)
        monkeypatch.setenv("WALLBOARD_APPID", sim.appid)
        monkeypatch.setenv("WALLBOARD_ACCESSKEY", sim.accesskey)
        yield sim


def _rewrite(path: Path, text: str, *, tick: int) -> None:
    """Change the file in place and give it a later mtime: a file system's clock may not
    move between two writes in a test, a person's edits are seconds apart."""
    path.write_text(text, encoding="utf-8")
    moment = 1_700_000_000_000_000_000 + tick * 1_000_000_000
    os.utime(path, ns=(moment, moment))


def _problem(names: AgentNames) -> str | None:
    return names.problem


# ----------------------------------------------------------------------------- reading


def test_a_file_with_a_header_comments_blank_lines_and_a_bom() -> None:
    text = (
        "\ufeff# the north floor\n"
        "extnumber,name,team\n"
        "\n"
        "8001,Li Wei,North\n"
        '8002,"Okafor, Ada"\n'
        "  # a comment after rows\n"
        "8003,,North\n"
    )
    assert parse_agent_names(text, "agents.csv") == {
        "8001": AgentName("8001", "Li Wei", "North"),
        "8002": AgentName("8002", "Okafor, Ada", ""),
        "8003": AgentName("8003", "", "North"),
    }


def test_without_a_header_the_columns_go_by_position() -> None:
    assert parse_agent_names("8001,Li Wei\r\n8002, Ada Okafor ,South\r\n") == {
        "8001": AgentName("8001", "Li Wei"),
        "8002": AgentName("8002", "Ada Okafor", "South"),
    }


def test_a_header_may_name_the_columns_in_any_order_with_others_beside() -> None:
    text = "Team,Name,Extension,Email\nNorth,Li Wei,8001,li@example.com\n"
    assert parse_agent_names(text) == {"8001": AgentName("8001", "Li Wei", "North")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8001\n", "agents.csv line 1: 1 field, expected extnumber,name[,team]"),
        ("8001,a,b,c\n", "agents.csv line 1: 4 fields, expected extnumber,name[,team]"),
        ("# c\n\nx1,Li\n", "agents.csv line 3: 'x1' is not an extension number"),
        (",Li\n", "agents.csv line 1: '' is not an extension number"),
        (
            "8001,Li\n8002,Ada\n8001,Wei\n",
            "agents.csv line 3: extension 8001 again (first on line 1)",
        ),
        ('8001,"Li" Wei\n', "agents.csv line 1: not CSV"),
        ("name,team\n8001,x\n", "agents.csv line 1: the header row has no 'extnumber' column"),
        ("8001,Li\x07\n", "agents.csv line 1: the name holds a control character"),
        (f"8001,{'x' * 101}\n", "agents.csv line 1: the name is over 100 characters"),
        ('8001,Li\n8002,"Ada\nB"\n', "agents.csv line 2: the name holds a control"),
        ('8001,"Li, Wei"\n\n8002\n', "agents.csv line 3: 1 field"),
    ],
)
def test_a_bad_row_is_one_line_naming_the_file_and_the_line(text: str, expected: str) -> None:
    with pytest.raises(AgentNamesError) as caught:
        parse_agent_names(text, "agents.csv")
    message = str(caught.value)
    assert message.startswith(expected) and "\n" not in message


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(AgentNamesError, match="no such file"):
        read_agent_names(tmp_path / "missing.csv")
    with pytest.raises(AgentNamesError, match="is a directory"):
        read_agent_names(tmp_path)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"8001,Li\n8002,Jos\xe9\n")
    with pytest.raises(AgentNamesError, match=r"latin.csv line 2: not UTF-8 text"):
        read_agent_names(latin)


def test_what_is_written_reads_back_the_same() -> None:
    agents = [
        AgentName("8001", 'Li "Wei"', "North, upstairs"),
        AgentName("8002", "", ""),
        AgentName("8003", "# not a comment", ""),
    ]
    text = agents_csv(agents, comment="two\nlines")
    assert text.startswith("# two\n# lines\nextnumber,name,team\n")
    assert list(parse_agent_names(text).values()) == agents


# ------------------------------------------------------------------ re-reading the file


def test_names_fall_back_to_the_servers_seatsname(tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    path.write_text("8001,Li Wei\n8002,,North\n", encoding="utf-8")
    names = AgentNames(path, required=True)
    assert names.lookup("8001") == AgentName("8001", "Li Wei")
    assert names.lookup(" 8001 ") == AgentName("8001", "Li Wei")
    assert names.lookup("8009") is None
    assert names.name_for("8001", "seat_8001") == "Li Wei"
    assert names.name_for("8002", "seat_8002") == "seat_8002"  # the file leaves it empty
    assert names.name_for("8009", "seat_8009") == "seat_8009"  # the file does not have it
    assert names.problem is None and names.version == 1


def test_a_changed_file_is_read_again_and_an_unchanged_one_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "agents.csv"
    _rewrite(path, "8001,Li Wei\n", tick=0)
    names = AgentNames(path, required=True)
    reads: list[Path] = []
    from wallboard.live import names as module

    real = module.read_agent_names

    def counted(where: Path) -> dict[str, AgentName]:
        reads.append(where)
        return real(where)

    monkeypatch.setattr(module, "read_agent_names", counted)
    assert names.reload_if_changed() is False and reads == []  # same mtime and size

    _rewrite(path, "8001,Li Wen\n", tick=1)  # same size, later mtime
    assert names.reload_if_changed() is True
    assert names.name_for("8001") == "Li Wen" and names.version == 2 and len(reads) == 1

    replacement = tmp_path / "new.csv"  # an editor's save: a new file renamed over it
    _rewrite(replacement, "8001,Li Wen\n8002,Ada\n", tick=1)
    os.replace(replacement, path)
    assert names.reload_if_changed() is True
    assert names.name_for("8002") == "Ada" and names.version == 3


def test_a_bad_edit_keeps_the_names_and_says_why_until_fixed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "agents.csv"
    _rewrite(path, "8001,Li Wei\n", tick=0)
    names = AgentNames(path, required=True)

    _rewrite(path, "8001,Li Wei\n8002\n", tick=1)
    assert names.reload_if_changed() is False
    assert names.name_for("8001") == "Li Wei"  # kept
    assert names.problem is not None and names.problem.endswith(
        "agents.csv line 2: 1 field, expected extnumber,name[,team]"
    )
    assert names.reload_if_changed() is False  # the same bad file: said once
    assert sum("line 2" in r.getMessage() for r in caplog.records) == 1

    _rewrite(path, "8001,Li Wei\n8002,Ada\n", tick=2)
    assert names.reload_if_changed() is True
    assert names.name_for("8002") == "Ada"
    assert _problem(names) is None  # (a call: mypy keeps `problem` narrowed to str)


def test_the_default_file_may_be_missing_a_named_one_may_not(tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    optional = AgentNames(path)
    assert optional.problem is None and len(optional) == 0
    _rewrite(path, "8001,Li Wei\n", tick=0)
    assert optional.reload_if_changed() is True and optional.name_for("8001") == "Li Wei"
    path.unlink()
    assert optional.reload_if_changed() is True and len(optional) == 0  # removed: no names
    assert optional.problem is None

    _rewrite(path, "8001,Li Wei\n", tick=1)
    named = AgentNames(path, required=True)
    path.unlink()
    assert named.reload_if_changed() is False
    assert named.problem == f"{path}: no such file" and named.name_for("8001") == "Li Wei"

    assert AgentNames(None).reload_if_changed() is False


def test_names_given_in_code() -> None:
    names = AgentNames.of([AgentName("8001", "Li Wei")])
    assert names.name_for("8001", "x") == "Li Wei" and names.reload_if_changed() is False


# --------------------------------------------------------------- wallboard names (check)


def test_names_checks_the_settings_file(
    dirs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["names"]) == 1
    assert "no agents file" in capsys.readouterr().err

    dirs.mkdir(parents=True)
    (dirs / "agents.csv").write_text("8001,Li Wei,North\n8002,,North\n8003,Ada\n")
    assert main(["names"]) == 0
    assert capsys.readouterr().out.strip().endswith(": 3 extensions, 2 with a name, 1 team")

    floor = tmp_path / "floor"
    floor.mkdir()
    (floor / "people.csv").write_text("8001,Li Wei\n8001,Ada\n")
    config = floor / "wallboard.toml"
    config.write_text('[agents]\nnames = "people.csv"\n')  # relative to the config file
    assert main(["names", "--config", str(config)]) == 1
    said = capsys.readouterr()
    assert said.err.strip() == (
        f"wallboard names: {floor / 'people.csv'} line 2: extension 8001 again (first on line 1)"
    )
    assert "Traceback" not in said.err


def test_output_and_force_go_with_from_server(
    dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["names", "--force"]) == 2
    assert "go with --from-server" in capsys.readouterr().err


# ---------------------------------------------------------- wallboard names --from-server


def _passwords(sim: Simulator) -> list[str]:
    with sim.lock:
        return [ext.password for ext in sim.floor.extensions.values()]


def _seatsnames(sim: Simulator) -> dict[str, set[str]]:
    with sim.lock:
        rows = sim.floor.queue_agents()
    seats: dict[str, set[str]] = {}
    for row in rows:
        seats.setdefault(str(row["extnumber"]), set()).add(str(row["seatsname"]))
    return seats


def test_from_server_writes_every_extension_and_no_password(
    server: Simulator, dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["names", "--from-server"]) == 0
    said = capsys.readouterr()
    path = dirs / "agents.csv"
    assert f"to {path}" in said.out and said.err == ""
    text = path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in dirs.iterdir()] == ["agents.csv"]  # no temporary left

    agents = read_agent_names(path)
    with server.lock:
        extensions = set(server.floor.extensions)
    assert set(agents) == extensions and len(agents) >= 30
    seats = _seatsnames(server)
    assert seats  # the scenario checks agents into queues
    for ext, agent in agents.items():
        # The simulator names every seat `<crmid>_<ext>_<queue>`, as the vendor's sample
        # does: a technical string, not a person's name, so the starting file leaves it out.
        real = {name for name in seats.get(ext, set()) if f"_{ext}_" not in name}
        assert agent.name in real if real else agent.name == ""
    assert list(agents) == sorted(agents, key=int)

    passwords = _passwords(server)
    assert all(len(p) >= 6 for p in passwords)
    for secret in passwords:
        assert secret not in text and secret not in said.out and secret not in said.err


def test_from_server_refuses_to_overwrite_without_force(
    server: Simulator, dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dirs.mkdir(parents=True)
    path = dirs / "agents.csv"
    path.write_text("8001,Li Wei\n")
    requests_before = server.stats()["requests"]
    assert main(["names", "--from-server"]) == 1
    assert capsys.readouterr().err.strip() == (
        f"wallboard names: {path} exists: add --force to replace it"
    )
    assert path.read_text() == "8001,Li Wei\n"
    assert server.stats()["requests"] == requests_before  # refused before asking the server

    assert main(["names", "--from-server", "--force"]) == 0
    assert len(read_agent_names(path)) >= 30


def test_from_server_to_another_file_or_stdout(
    server: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "floor.csv"
    assert main(["names", "--from-server", "--output", str(target)]) == 0
    capsys.readouterr()
    assert len(read_agent_names(target)) >= 30

    assert main(["names", "--from-server", "--output", "-"]) == 0
    said = capsys.readouterr()
    assert parse_agent_names(said.out) == read_agent_names(target)
    for secret in _passwords(server):
        assert secret not in said.out and secret not in said.err


def test_from_server_with_a_dead_server_or_a_wrong_key(
    server: Simulator,
    dirs: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WALLBOARD_ACCESSKEY", "not-the-key")
    assert main(["names", "--from-server"]) == 1
    said = capsys.readouterr()
    assert said.err.startswith("wallboard names: the server could not be read:")
    assert "not-the-key" not in said.err and "Traceback" not in said.err
    assert not (dirs / "agents.csv").exists()

    monkeypatch.delenv("WALLBOARD_URL")
    monkeypatch.delenv("WALLBOARD_APPID")
    assert main(["names", "--from-server"]) == 2  # no profile at all
    assert "WALLBOARD_URL" in capsys.readouterr().err


def test_server_agents_first_real_seatsname_in_queue_order_and_odd_extensions() -> None:
    agents, skipped = server_agents(
        ["8010", "802", " 8001 ", "ab12", ""],
        [
            ("sales", "8001", "9026004_8001_sales"),
            ("north", "8001", "Li Wei"),
            ("north", "802", ""),
            ("sales", "8010", "9026010_8010_sales"),
            ("sales", "8003", "seat\tthree"),
        ],
    )
    assert agents == [
        AgentName("802", ""),
        AgentName("8001", "Li Wei"),
        AgentName("8003", "seat three"),
        AgentName("8010", ""),
    ]
    assert skipped == ["ab12"]
