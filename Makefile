# The two commands a new user types: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint clean

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
	$(BIN)/ruff check worker tests
	$(BIN)/ruff format --check worker tests
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var out
