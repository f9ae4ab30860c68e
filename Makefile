# Two commands for a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
PIP := $(BIN)/pip install --quiet --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint bench bench-full clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $(RUNTIME)

$(DEV): pyproject.toml $(RUNTIME)
	$(PIP) -e '.[dev]'
	touch $(DEV)

demo: export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
demo: $(RUNTIME)  ## Run the server with the province's demo data on SQLite
	$(BIN)/lpgtrace db upgrade
	$(BIN)/lpgtrace seed-demo --if-empty
	$(BIN)/lpgtrace serve --host $(HOST) --port $(PORT)

test: $(DEV)  ## Run the whole test suite (PostgreSQL too when TEST_DATABASE_URL is set)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check traceability admin verify_api label_service tests bench

bench: $(DEV)  ## Quick benchmark run (< 5 minutes, small scale)
	$(BIN)/python -m bench.run --quick

bench-full: $(DEV)  ## Full-scale benchmarks (1M cylinders on PostgreSQL)
	$(BIN)/python -m bench.run --full

clean:
	rm -rf $(VENV) instance .pytest_cache
