# Rapport: `make run` starts everything with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-postgres lint format bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/rapport up

test: install lint
	$(BIN)/pytest -q
	@if [ "$$RAPPORT_TEST_POSTGRES" = "1" ]; then $(MAKE) --no-print-directory test-postgres; fi

# The database-backed suites again on a throwaway PostgreSQL cluster (analysis/ is pure,
# and the e2e and benchmark tests run `rapport up` on its embedded SQLite default).
PG_TESTS ?= tests/survey tests/workers tests/faults/test_load.py
test-postgres: install
	$(BIN)/python -m tests.pg_cluster $(BIN)/pytest -q $(PG_TESTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy analysis workers

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m bench

eval: install
	$(BIN)/rapport eval

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
