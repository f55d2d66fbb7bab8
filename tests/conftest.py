"""Suite-wide settings: the slow soak and load runs only run when asked for."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run the long soak and load tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow") or os.environ.get("WALLBOARD_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow or WALLBOARD_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
