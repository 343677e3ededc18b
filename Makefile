# The two commands a new user types: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/remind demo

# Branch coverage of the code the tests run in process (the CLI, simulator and worker processes
# the tests start as subprocesses are not measured); files at 100 % are left out of the table.
test: install
	$(BIN)/python -m pytest -q --cov=worker --cov-branch --cov-report=term:skip-covered

lint: install
	$(BIN)/ruff check worker tests benchmarks
	$(BIN)/ruff format --check worker tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Issue 11's figures (benchmarks/RESULTS.md); the last line printed is one JSON object.
# BENCH_QUICK=1: a run of under five minutes on 2 cores.
bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) var out
