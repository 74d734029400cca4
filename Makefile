# pgwallet: the commands of the README. Every target creates (or reuses) the
# virtual environment in .venv, so a fresh machine needs only Python 3.11+:
# `make run` and the database commands install the runtime only, the tests
# and linters the development tools too.
# Without DATABASE_URL the commands use an embedded PostgreSQL in ./.pgdata.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# What the environment holds, one marker file each: the runtime (`make run` and
# the commands need only that) and, on top of it, the development tools.
RUNTIME := $(VENV)/.runtime
DEV := $(VENV)/.dev
PYTEST_ARGS ?=
# One line per step of a first start; pip itself speaks only of errors.
say = @echo "pgwallet: $(1)"

.PHONY: help run test test-ha test-thorough lint migrate seed verify psql clean bench bench-full

# Bare `make` lists the targets: each one's `##` comment is its description.
.DEFAULT_GOAL := help
help:  ## list these targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-z-]+:.*## / { printf "  make %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

$(BIN)/python:
	$(call say,creating the Python environment in $(VENV))
	@$(PYTHON) -m venv $(VENV)

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(call say,installing pgwallet and what it runs on (PostgreSQL 18 included))
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(DEV): $(RUNTIME)
	$(call say,installing the development tools (pytest, linters, Playwright))
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

run: $(RUNTIME)  ## migrate, seed and serve on http://127.0.0.1:8000
	$(BIN)/pgwallet serve --migrate --seed --dev-client

test: $(DEV)  ## the whole suite against a real PostgreSQL
	$(BIN)/pytest $(PYTEST_ARGS)

# Debian's packages for the cluster, installed when missing (as root).
HA_READY := command -v etcd >/dev/null && command -v patroni >/dev/null && test -x /usr/lib/postgresql/15/bin/postgres

test-ha: $(DEV)  ## three Patroni nodes, the primary killed three times under load (~2 minutes)
	@$(HA_READY) || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server patroni postgresql-15; }
	PGWALLET_TEST_HA=1 $(BIN)/pytest tests/ha -s $(PYTEST_ARGS)

test-thorough: $(DEV)  ## the property harness, long exploration; see tests/properties/README.md
	HYPOTHESIS_PROFILE=thorough $(BIN)/pytest tests/properties $(PYTEST_ARGS)

lint: $(DEV)  ## ruff, mypy and vulture (facade, tests, bench: see pyproject.toml), sqlfluff
	$(BIN)/ruff check facade tests bench vulture_whitelist.py
	$(BIN)/ruff format --check facade tests bench vulture_whitelist.py
	$(BIN)/mypy
	$(BIN)/vulture
	$(BIN)/sqlfluff lint sql migrations bench/sql

migrate: $(RUNTIME)  ## apply pending migrations and (re)create the SQL functions
	$(BIN)/pgwallet migrate

seed: $(RUNTIME)  ## create the demo assets, users and balances
	$(BIN)/pgwallet seed

verify: $(RUNTIME)  ## check the ledger's invariants
	$(BIN)/pgwallet verify

psql: $(RUNTIME)  ## open psql on the database
	$(BIN)/pgwallet psql

bench: $(DEV)  ## the quick benchmark profile (~8 minutes); see bench/README.md
	$(BIN)/python -c 'import matplotlib' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

bench-full: $(DEV)  ## every client count, 15 s points, history to 1 000 000 (long)
	$(BIN)/python -c 'import matplotlib' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench --full

clean:  ## remove the virtual environment and the embedded database's data
	rm -rf $(VENV) .pgdata build *.egg-info facade/*.egg-info
