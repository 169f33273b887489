# pilotage — run `make` (or `make help`) for the list of targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SYNCED := $(VENV)/.synced

.PHONY: help install demo test ui lint format docs stop clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(SYNCED): pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv sync --frozen --compile-bytecode --quiet
	@touch $@

install: $(SYNCED) ## Create .venv and install the locked dependencies (uv, seconds)

demo: install ## Run the whole pipeline once on the embedded PostgreSQL with sample data
	$(BIN)/pilotage demo

test: install ## Every test: unit, integration (real PostgreSQL, dbt, Dagster), e2e (webserver); live Metabase ones run only when METABASE_URL and METABASE_API_KEY are set
	$(BIN)/pytest -n 2 --dist loadscope --no-loadscope-reorder

ui: install ## Dagster UI (webserver + daemon) on http://127.0.0.1:3000
	$(BIN)/pilotage ui

lint: install ## ruff (Python) and sqlfluff (dbt models)
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint dbt_project/models

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .

docs: install ## Build dbt docs (lineage of every model) into dbt_project/target
	$(BIN)/pilotage dbt docs generate

stop: ## Stop the embedded PostgreSQL
	-$(BIN)/pilotage db stop

clean: stop ## Remove generated state (database, landing, archive) and build artefacts
	rm -rf .state .pg dbt_project/target dbt_project/logs
