# xxgk — two commands do all the setup on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= warehouse/xxgk.duckdb
PARQUET ?= warehouse/parquet
N ?= 10000

export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90
export PREFECT_LOGGING_LEVEL := WARNING

.PHONY: install system-deps run test test-fast lint bench accuracy serve clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Debian packages the extractors use when present: LibreOffice converts DOC/WPS attachments.
system-deps:
	@if ! command -v soffice >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
		echo "installing LibreOffice (DOC/WPS conversion)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			libreoffice-writer-nogui >/dev/null) || echo "LibreOffice not installed: DOC/WPS files will be ingest errors"; \
	fi

install: $(VENV)/.installed

run: install
	$(BIN)/xxgk ingest samples --db $(DB) --export $(PARQUET)

test: install system-deps
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf warehouse/*.duckdb warehouse/*.wal warehouse/parquet .prefect

bench: install
	$(BIN)/python -m tools.bench --n $(N)

accuracy: install
	$(BIN)/python -m tools.accuracy
	$(BIN)/python -m tools.degrade --fail-on-silent

serve: install
	@echo "starting a local Prefect server and serving the nightly deployment (cron 02:30 Asia/Shanghai)"
	$(BIN)/prefect server start --background >/dev/null 2>&1 || true
	PREFECT_API_URL=http://127.0.0.1:4200/api $(BIN)/python -m flows.nightly
