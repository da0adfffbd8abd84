# funnelmart: `make run` runs the main job on demo data; `make test` verifies the project.
# Both create .venv and install the pinned dependencies on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Nothing the project runs may call the internet: Dagster's and GE's usage statistics are off.
export DAGSTER_DISABLE_TELEMETRY := yes
export GX_ANALYTICS_ENABLED := false
export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: run test lint dbt-test pytest manifest dagster benchmark clean

# dbt parse writes target/manifest.json and the saved parse that later dbt calls reuse. It uses
# the runs' relative build path (orchestration/transform.py) and the absolute project folder,
# which dbt keeps in the saved parse: the runs start dbt inside the warehouse folder, where a
# relative project path would not find seeds/.
DBT_PARSE = FUNNELMART_REPORTING_CURRENCY=USD FUNNELMART_BUILD_DB=build.duckdb \
	$(BIN)/dbt parse --quiet --project-dir $(CURDIR) --profiles-dir $(CURDIR)

# The install ends with a first dbt parse, so the first run reuses it (about 10 s less).
$(BIN)/.installed-run: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(DBT_PARSE)
	touch $@

$(BIN)/.installed-dev: pyproject.toml $(BIN)/.installed-run
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed-run
	$(BIN)/funnelmart run

test: $(BIN)/.installed-dev lint dbt-test pytest

lint: $(BIN)/.installed-dev
	$(BIN)/sqlfluff lint --processes 2 models macros tests/dbt

# dbt build on the hand-computed fixture: load it, build every model and run every dbt test,
# unit tests included (the main job leaves those out).
dbt-test: $(BIN)/.installed-dev
	rm -rf target/fixture-warehouse
	$(BIN)/funnelmart build --landing tests/fixtures/dbt_small --warehouse target/fixture-warehouse \
		--dbt-vars '{expected_fixture: dbt_small}'

# Two test processes, one per core: a dbt build or a quality gate keeps one core busy. A test
# file runs in one process, so its module fixtures (a built warehouse) are built once.
PYTEST_WORKERS ?= 2

pytest: $(BIN)/.installed-dev manifest
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

# The same relative build path as the runs (orchestration/transform.py), so dbt parses the
# project once and later runs reuse the parse.
manifest: $(BIN)/.installed-run
	$(DBT_PARSE)

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp orchestration/dagster.yaml $@

dagster: $(BIN)/.installed-run manifest $(DAGSTER_HOME)/dagster.yaml
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dagster dev -m orchestration.definitions

benchmark: $(BIN)/.installed-dev
	$(BIN)/python -m orchestration.benchmark

clean:
	rm -rf warehouse target logs .dagster_home
