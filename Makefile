# xxgk — two commands do all the setup on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= warehouse/xxgk.duckdb
PARQUET ?= warehouse/parquet
REPORT ?= warehouse/report
N ?= 10000
SOURCES ?= sources.yaml
PREFECT_PORT ?= 4200
API_URL = http://127.0.0.1:$(PREFECT_PORT)/api
PORT_ARG = $(if $(filter-out 4200,$(PREFECT_PORT)), PREFECT_PORT=$(PREFECT_PORT))
LOGS ?= warehouse/logs
SERVER_PID = $(LOGS)/prefect-server.pid
NIGHTLY_PID = $(LOGS)/nightly.pid
SERVER_WAIT ?= 120
STOP_WAIT ?= 30

export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90
export PREFECT_LOGGING_LEVEL := WARNING

.PHONY: install system-deps run test test-fast lint bench accuracy serve trigger stop clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# constraints.txt pins every package to a tested set (SQLAlchemy < 2.1: Prefect's scheduler needs it)
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# Debian packages the extractors use when present: LibreOffice converts DOC/WPS attachments; Tesseract's
# Simplified Chinese and English models let the OCR reader (tesserocr, from PyPI) read scanned PDFs and
# table pictures; the WenQuanYi font draws the OCR fixtures (python -m tools.ocr_fixtures). Chromium (and that
# CJK font) is what tests/test_report_site.py opens the HTML report with (headless).
TESSDATA_DEB := /usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata
system-deps:
	@if ! command -v soffice >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
		echo "installing LibreOffice (DOC/WPS conversion)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			libreoffice-writer-nogui >/dev/null) || echo "LibreOffice not installed: DOC/WPS files will be ingest errors"; \
	fi
	@if [ ! -f $(TESSDATA_DEB) ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Tesseract's chi_sim and eng models (OCR of scanned reports)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			tesseract-ocr-chi-sim tesseract-ocr-eng fonts-wqy-zenhei >/dev/null) \
			|| echo "Tesseract models not installed: scanned PDFs will be ingest errors (ocr_unavailable)"; \
	fi
	@if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Chromium and a CJK font (the report's browser test)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium fonts-wqy-zenhei >/dev/null) || echo "Chromium not installed: tests/test_report_site.py will fail"; \
	fi

install: $(VENV)/.installed

run: install
	$(BIN)/xxgk ingest samples --db $(DB) --export $(PARQUET)
	$(BIN)/xxgk report --db $(DB) --out $(REPORT)

test: install system-deps
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf warehouse/*.duckdb warehouse/*.wal warehouse/parquet warehouse/report .prefect

bench: install
	$(BIN)/python -m tools.bench --n $(N) --nightly 50
	$(BIN)/python -m tools.bench --corpus real --n 6000 --out bench-out/real

accuracy: install
	$(BIN)/python -m tools.accuracy
	$(BIN)/python -m tools.degrade --fail-on-silent

# The nightly: a Prefect server and the served deployment, both in the background (own sessions),
# their pids and logs under $(LOGS). `make stop` stops them. A pid file of a dead process is removed,
# a live one is reused. Flow runs log at INFO to $(LOGS)/nightly.log (and to the server: the UI).
# alive PIDFILE WORD: the pid file names a live process whose command line contains WORD
alive = { [ -f $(1) ] && p=$$(cat $(1)) && [ -n "$$p" ] && tr '\0' ' ' 2>/dev/null < /proc/$$p/cmdline | grep -q -- '$(2)'; }
healthy = $(BIN)/python -c "import urllib.request as u; u.urlopen('$(API_URL)/health', timeout=2)" >/dev/null 2>&1

serve: install
	@mkdir -p $(LOGS)
	@if $(call alive,$(SERVER_PID),prefect server start); then \
		if ! $(call alive,$(SERVER_PID),--port $(PREFECT_PORT)); then \
			echo "error: the Prefect server make serve started (pid $$(cat $(SERVER_PID))) listens on another port:" \
				"$$(tr '\0' ' ' < /proc/$$(cat $(SERVER_PID))/cmdline); make stop first" >&2; exit 1; \
		fi; \
		echo "Prefect server already running (pid $$(cat $(SERVER_PID))): reusing it"; \
	else \
		if [ -f $(SERVER_PID) ]; then echo "removing stale $(SERVER_PID) (pid $$(cat $(SERVER_PID)) is not a running Prefect server)"; rm -f $(SERVER_PID); fi; \
		if $(healthy); then \
			echo "error: a server not started by make serve already answers on $(API_URL):" \
				"stop it, or choose another port (make serve PREFECT_PORT=4210)" >&2; exit 1; \
		fi; \
		echo "=== $$(date '+%F %T') make serve: prefect server start --host 127.0.0.1 --port $(PREFECT_PORT)" >> $(LOGS)/prefect-server.log; \
		setsid nohup $(BIN)/prefect server start --host 127.0.0.1 --port $(PREFECT_PORT) \
			>> $(LOGS)/prefect-server.log 2>&1 < /dev/null & echo $$! > $(SERVER_PID); \
		echo "starting the Prefect server (pid $$(cat $(SERVER_PID)), log $(LOGS)/prefect-server.log)"; \
	fi
	@waited=0; until $(healthy); do \
		if ! $(call alive,$(SERVER_PID),prefect server start); then \
			echo "error: the Prefect server exited before answering; last lines of $(LOGS)/prefect-server.log:" >&2; \
			tail -n 15 $(LOGS)/prefect-server.log >&2; rm -f $(SERVER_PID); exit 1; \
		fi; \
		if [ $$waited -ge $(SERVER_WAIT) ]; then \
			echo "error: no answer from $(API_URL)/health after $(SERVER_WAIT) s; the server (pid $$(cat $(SERVER_PID)))" \
				"is still running: see $(LOGS)/prefect-server.log, stop it with make stop" >&2; exit 1; \
		fi; \
		sleep 1; waited=$$((waited + 1)); \
	done; echo "Prefect server answers at $(API_URL) (waited $$waited s)"
	@if $(call alive,$(NIGHTLY_PID),flows.nightly); then \
		echo "the nightly deployment is already served (pid $$(cat $(NIGHTLY_PID))): reusing it"; \
	else \
		if [ -f $(NIGHTLY_PID) ]; then echo "removing stale $(NIGHTLY_PID) (pid $$(cat $(NIGHTLY_PID)) is not a running nightly)"; rm -f $(NIGHTLY_PID); fi; \
		touch $(LOGS)/nightly.log; start=$$(($$(wc -c < $(LOGS)/nightly.log) + 1)); \
		echo "=== $$(date '+%F %T') make serve: python -m flows.nightly --sources $(SOURCES) --db $(DB) --parquet $(PARQUET)" >> $(LOGS)/nightly.log; \
		PREFECT_API_URL=$(API_URL) PREFECT_LOGGING_LEVEL=INFO PYTHONUNBUFFERED=1 \
			setsid nohup $(BIN)/python -m flows.nightly --sources $(SOURCES) --db $(DB) --parquet $(PARQUET) \
			>> $(LOGS)/nightly.log 2>&1 < /dev/null & echo $$! > $(NIGHTLY_PID); \
		waited=0; until tail -c +$$start $(LOGS)/nightly.log | grep -q "is being served"; do \
			if ! $(call alive,$(NIGHTLY_PID),flows.nightly); then \
				echo "error: serving the nightly failed; last lines of $(LOGS)/nightly.log:" >&2; \
				tail -n 15 $(LOGS)/nightly.log >&2; rm -f $(NIGHTLY_PID); exit 1; \
			fi; \
			if [ $$waited -ge 60 ]; then echo "error: the nightly (pid $$(cat $(NIGHTLY_PID))) has not registered after 60 s: see $(LOGS)/nightly.log" >&2; exit 1; fi; \
			sleep 1; waited=$$((waited + 1)); \
		done; \
		echo "serving the nightly deployment xxgk-nightly/nightly (pid $$(cat $(NIGHTLY_PID)), cron 30 2 * * * Asia/Shanghai)"; \
	fi
	@echo "  UI:      http://127.0.0.1:$(PREFECT_PORT)"
	@echo "  logs:    tail -f $(LOGS)/nightly.log   (server: $(LOGS)/prefect-server.log)"
	@echo "  run now: make trigger$(PORT_ARG)   (or PREFECT_API_URL=$(API_URL) $(BIN)/prefect deployment run 'xxgk-nightly/nightly')"
	@echo "  stop:    make stop"

trigger: install
	PREFECT_API_URL=$(API_URL) $(BIN)/prefect deployment run 'xxgk-nightly/nightly'

# stop_pid PIDFILE WORD NAME: SIGTERM, up to $(STOP_WAIT) s to exit, then SIGKILL; then whatever is
# left of its process group (a flow run in progress and its workers); the pid file goes.
stop_pid = if [ ! -f $(1) ]; then echo "$(3): not running (no $(1))"; \
	elif ! $(call alive,$(1),$(2)); then echo "$(3): pid $$(cat $(1)) was not running it; removing $(1)"; rm -f $(1); \
	else pid=$$(cat $(1)); echo "stopping $(3) (pid $$pid)"; kill -TERM $$pid; \
		waited=0; while $(call alive,$(1),$(2)) && [ $$waited -lt $(STOP_WAIT) ]; do sleep 1; waited=$$((waited + 1)); done; \
		if $(call alive,$(1),$(2)); then echo "$(3) still running after $(STOP_WAIT) s: SIGKILL"; kill -KILL $$pid; fi; \
		kill -KILL -- -$$pid 2>/dev/null || true; rm -f $(1); \
	fi

stop:
	@$(call stop_pid,$(NIGHTLY_PID),flows.nightly,the nightly deployment)
	@$(call stop_pid,$(SERVER_PID),prefect server start,the Prefect server)
