"""Suite-wide settings: the slow soak and load runs only run when asked for, and a drifting
simulator for the client's, live model's and dashboard's tests when asked for.

`--drift RATE` (or `WALLBOARD_TEST_DRIFT=RATE`) makes every simulator those tests build send
that share of its answer fields as a sloppy real server does (numbers as strings, nulls,
lists as keyed objects: `wallboard.sim.drift`). Tests that hold the simulator itself to the
documents' exact types (`test_sim_*`, `test_fuzz_sim*`) never drift.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

#: The scenario's reference Monday (2026-01-05 09:00 UTC): tests that compare times, dates
#: or snapshots start the simulated floor here instead of at "now".
SIM_START = 1767603600.0
#: Test modules whose simulators drift under `--drift`: those that test a client of the
#: simulator, never the simulator's own wire.
DRIFTING_MODULES = ("test_api_", "test_live_", "test_ui_", "test_chaos")
DRIFT_ENV = "WALLBOARD_TEST_DRIFT"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run the long soak and load tests")
    parser.addoption(
        "--drift",
        type=float,
        default=None,
        metavar="RATE",
        help=f"simulators of the client/live/UI tests drift this share of fields ({DRIFT_ENV})",
    )


def pytest_configure(config: pytest.Config) -> None:
    rate = drift_rate(config)
    if not 0.0 <= rate <= 1.0:
        raise pytest.UsageError(f"--drift / {DRIFT_ENV} must be from 0 to 1, got {rate:g}")


def pytest_report_header(config: pytest.Config) -> str | None:
    rate = drift_rate(config)
    return f"simulator drift: {rate:g} (client, live and UI tests)" if rate else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow") or os.environ.get("WALLBOARD_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow or WALLBOARD_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def drift_rate(config: pytest.Config) -> float:
    """The drift asked for: the option first, then the environment, else none."""
    option = config.getoption("--drift")
    if option is not None:
        return float(option)
    text = os.environ.get(DRIFT_ENV, "").strip()
    try:
        return float(text) if text else 0.0
    except ValueError:
        raise pytest.UsageError(f"{DRIFT_ENV} must be a number from 0 to 1, got {text!r}") from None


@pytest.fixture
def sim_drift(request: pytest.FixtureRequest) -> float:
    """The share of fields this test's simulators drift (0 outside the client's tests)."""
    module = request.node.module.__name__.rpartition(".")[2] if request.node.module else ""
    if not module.startswith(DRIFTING_MODULES):
        return 0.0
    return drift_rate(request.config)


@pytest.fixture(autouse=True)
def _private_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test (and every process it starts) has a config dir and a data dir of its own,
    empty: no test reads the user's settings or writes to their audit log, history store or
    campaign file. A test that wants other dirs sets the variables itself."""
    from wallboard.config import ENV_CONFIG_DIR, ENV_DATA_DIR

    monkeypatch.setenv(ENV_CONFIG_DIR, str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path_factory.mktemp("data")))


@pytest.fixture(autouse=True)
def _drifting_simulators(sim_drift: float, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every Simulator built in a drifting module without a `drift` of its own drifts."""
    if sim_drift:
        from wallboard.sim import server

        monkeypatch.setattr(server, "DEFAULT_DRIFT", sim_drift)
    yield


@pytest.fixture
def make_simulator(sim_drift: float) -> Iterator[Callable[..., Any]]:
    """Build scenario simulators for a test: on a manual clock from `SIM_START` unless told
    otherwise, drifting when the suite is asked to; all closed at the end."""
    from wallboard.sim.server import Simulator

    made: list[Simulator] = []

    def make(**options: Any) -> Simulator:
        options.setdefault("manual_clock", True)
        options.setdefault("start", SIM_START)
        options.setdefault("drift", sim_drift)
        sim = Simulator.from_scenario(**options)
        made.append(sim)
        return sim

    yield make
    for sim in made:
        sim.close()
