# Two set-up commands, both from a fresh clone with only Python 3.11+:
#   make demo   - the simulator and the dashboard on it
#   make test   - ruff, mypy and the whole test suite (the short soak; WALLBOARD_SLOW=1 for the long one);
#                 installs the Debian packages the tests run for real (redis-server, postgresql, chromium)
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/wallboard demo

test: $(STAMP)
	.ci/packages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q -n auto
	$(VENV)/bin/pytest -q -n auto --drift 0.2 tests/test_api_*.py tests/test_live_*.py \
		tests/test_ui_live.py tests/test_ui_no_data.py tests/test_status.py

bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks.run
