# The two commands: `make demo` and `make test`. Both create .venv from pyproject.toml when needed.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall when pyproject.toml changes (the stamp carries its hash).
STAMP := $(VENV)/.installed-$(shell (sha1sum pyproject.toml 2>/dev/null || echo none) | cut -c1-12)

# Demo scale: large enough for funnels and segments to mean something (issue 2: >= 20k advisors, 1 year).
DEMO_ADVISORS ?= 20000
DEMO_DAYS ?= 365
DEMO_SEED ?= 42
# Test fixture scale: small, so `make test` stays well under 15 minutes on 2 cores.
FIXTURE_DIR ?= tests/output/fixture
FIXTURE_ADVISORS ?= 1500
FIXTURE_DAYS ?= 120
FIXTURE_SEED ?= 7

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export PYTHONUNBUFFERED := 1
# Python writes bytecode caches (__pycache__, git-ignored) even where the environment says not to: without
# them every process compiles its ~3,000 modules from source again. Measured: loading the Dagster
# definitions took 26.6 s without caches and 15.8-17.5 s with them (load 6, 2 cores), and every dbt, cjo and
# pytest process pays the same kind of cost.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help setup demo test test-scale lint ruff sqlfluff fixture pytest bench bench-all dev manifest system-deps spark-check test-spark clean

help:
	@echo "make demo   - set up, generate the demo data ($(DEMO_ADVISORS) advisors x $(DEMO_DAYS) days), run the whole pipeline"
	@echo "make test   - set up, lint (ruff, sqlfluff), dbt build on a small fixture, pytest"
	@echo "make test-scale - the recovery tests on demo-scale generated worlds (wholesaler skill, personas)"
	@echo "make dev    - the Dagster UI (dg dev) on http://127.0.0.1:3000; Ctrl-C stops it"
	@echo "make bench  - the scale benchmark (BENCH_SCALE advisors, default 1M) -> benchmarks/results/pipeline_<n>.json"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv resolves and installs ~200 packages in about a minute; plain pip is the fallback.
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]' || $(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

# target/manifest.json for the dbt assets: `dbt parse` when it is missing or older than a dbt file.
manifest: setup
	$(BIN)/python -c "from orchestration.dbt_assets import ensure_manifest; ensure_manifest()"

# Debian packages the tests drive for real: a PostgreSQL server and headless Chromium.
system-deps:
	bash scripts/ensure_system_deps.sh

# The demo ends with every audience leaving the warehouse: a local webhook receiver and PostgreSQL
# (started and stopped by cjo_data.destinations) stand in for the email platform and the CRM.
demo: setup manifest
	bash scripts/ensure_system_deps.sh postgresql || echo "no PostgreSQL: the syncs to it are left out"
	$(BIN)/cjo generate --advisors $(DEMO_ADVISORS) --days $(DEMO_DAYS) --seed $(DEMO_SEED) --out data/raw --if-changed
	$(BIN)/cjo run --job full_pipeline
	$(BIN)/python -m cjo_data.destinations
	$(BIN)/cjo status

test: setup system-deps lint fixture pytest

lint: ruff sqlfluff

ruff: setup
	$(BIN)/ruff check .

# sqlfluff's dbt templater compiles the project, so it needs a parseable project and a DuckDB path.
# The same CJO_DUCKDB_PATH and CJO_LANDING_DIR as the fixture build (scripts/build_fixture.sh), and no
# profile or target named in .sqlfluff: dbt keeps the templater's parse (target/partial_parse.msgpack) only
# while the connection settings, the project's env vars and the --profile/--target arguments are the same,
# so the fixture's `dbt build` right after reuses it instead of parsing the whole project again.
LINT_ENV := CJO_DUCKDB_PATH=$(FIXTURE_DIR)/warehouse.duckdb CJO_LANDING_DIR=$(FIXTURE_DIR)/landing
sqlfluff: setup
	mkdir -p $(FIXTURE_DIR)
	$(LINT_ENV) \
		$(BIN)/python -c "from pathlib import Path; from orchestration.landing import ensure_schema_files; ensure_schema_files(Path('$(FIXTURE_DIR)/landing'))"
	$(LINT_ENV) \
		$(BIN)/sqlfluff lint models tests/dbt --processes 2 --disable-progress-bar 2>&1 | grep -v "^WARNING\|deprecat" || test $${PIPESTATUS[0]} -eq 0

# dbt build on a small generated fixture (the same one pytest's built_warehouse fixture reuses).
fixture: setup
	bash scripts/build_fixture.sh $(FIXTURE_DIR) $(FIXTURE_ADVISORS) $(FIXTURE_DAYS) $(FIXTURE_SEED)

# Two pytest-xdist workers (the reference machine's 2 cores): most of the time goes to dbt and Dagster
# subprocesses and browsers that leave a core idle part of the time. `--dist loadfile`: a test file runs
# in one worker (its module fixtures once); `--no-loadscope-reorder` keeps tests/conftest.py's order
# (longest files first). PYTEST_WORKERS=0 runs them in this process, one after another.
PYTEST_WORKERS ?= 2
pytest: setup manifest
	CJO_FIXTURE_DIR=$(CURDIR)/$(FIXTURE_DIR) $(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile \
		--no-loadscope-reorder --durations=30

# Recovery of planted structure on demo-scale generated worlds (wholesaler skill on the demo's 20,000
# advisors, personas on 3,000 advisors x a year): several minutes each, so not part of `make test`.
test-scale: setup manifest
	$(BIN)/pytest -q -m scale

# The scale benchmark: BENCH_SCALE advisors (default 1M: about an hour on 2 cores; BENCH_SCALE=100000 for
# a few minutes). Writes benchmarks/results/pipeline_<BENCH_SCALE>.json. `make bench-all` runs every
# benchmarks/bench_*.py at its own default scale.
BENCH_SCALE ?= 1000000
bench: setup manifest
	BENCH_SCALE=$(BENCH_SCALE) $(BIN)/python benchmarks/bench_pipeline.py

bench-all: setup manifest
	$(BIN)/python benchmarks/run_all.py

# cjo dev copies instance/dagster.yaml (writer pool, run queue) into DAGSTER_HOME, then runs `dg dev`.
dev: setup manifest
	$(BIN)/cjo dev

# The same dbt project on Spark (dbt-spark, local PySpark, own venv .venv-spark) over the fixture's
# landed data. Not part of `make test`: it installs PySpark (~400 MB) and takes a few minutes.
spark-check: fixture
	bash scripts/spark_check.sh

# Every mart of the fixture built on DuckDB and on Spark, compared row for row (floats rounded).
test-spark: fixture
	bash scripts/test_spark.sh $(FIXTURE_DIR)

clean:
	rm -rf target logs tests/output warehouse .dagster_home metastore_db spark-warehouse derby.log target-spark logs-spark target-duck-compare
