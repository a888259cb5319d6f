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

# The whole suite again against a throwaway PostgreSQL cluster.
test-postgres: install
	$(BIN)/python -m tests.pg_cluster $(BIN)/pytest -q

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
