# Two commands a new user needs: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: run demo test lint typecheck contracts pytest bench screenshots snapshots-update clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP_RUN): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(STAMP_DEV): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@ $(STAMP_RUN)

# The demo runs with the example config, so its six strategies scan the simulated market from the first minute.
run: $(STAMP_RUN)
	$(BIN)/cryptoterm --demo --config config.example.toml

test: $(STAMP_DEV)
	$(BIN)/ruff check cryptoterm tests bench
	$(BIN)/ruff format --check cryptoterm tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

bench: $(STAMP_DEV)
	$(BIN)/python -m bench

screenshots: $(STAMP_DEV)
	$(BIN)/python -m bench.screenshots

snapshots-update: $(STAMP_DEV)
	$(BIN)/pytest tests/tui --snapshot-update

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
