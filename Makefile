# The two commands of the README: `make demo` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
export MLAUDIT_HOME ?= $(CURDIR)/.mlaudit
export DAGSTER_HOME ?= $(MLAUDIT_HOME)/dagster

.PHONY: setup system-deps demo test lint clean bench

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# Debian packages the browser tests need (the machine has no Chromium by default).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null; fi; }

# Runs the example ML pipelines in a real Dagster instance, captures them, prints the trace.
# Then starts the UIs unless HEADLESS=1.
demo: setup
	$(VENV)/bin/mlaudit demo
ifneq ($(HEADLESS),1)
	@echo "Starting the auditor app on http://127.0.0.1:8501 and Dagster on http://127.0.0.1:3000 (Ctrl-C stops both)."
	@echo "Sign in as ada (admin, auditor): 'source $(MLAUDIT_HOME)/demo-credentials.txt' for the CLI; the app asks for the same user and password."
	$(VENV)/bin/mlaudit ui & ui_pid=$$!; trap "kill $$ui_pid 2>/dev/null" EXIT INT TERM; $(VENV)/bin/mlaudit up
endif

test: setup system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -n 2 --dist loadfile

# The benchmark suite (bench/README.md): BENCH_SIZE=small (10k events), medium (100k), full (1M);
# BENCH_DB=sqlite|postgres|all. Results in bench/results/, the table in bench/README.md.
BENCH_SIZE ?= small
BENCH_DB ?= all
bench: setup system-deps
	$(PY) bench/run.py --size $(BENCH_SIZE) --db $(BENCH_DB)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(MLAUDIT_HOME) .pytest_cache
