# Two commands for a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint bench bench-full clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## Run the server with the province's demo data on SQLite
	$(BIN)/lpgtrace db upgrade
	$(BIN)/lpgtrace seed-demo --if-empty
	$(BIN)/lpgtrace serve --host $(HOST) --port $(PORT)

test: $(STAMP)  ## Run the whole test suite (PostgreSQL too when TEST_DATABASE_URL is set)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check traceability admin verify_api label_service tests bench

bench: $(STAMP)  ## Quick benchmark run (< 5 minutes, small scale)
	$(BIN)/python -m bench.run --quick

bench-full: $(STAMP)  ## Full-scale benchmarks (1M cylinders on PostgreSQL)
	$(BIN)/python -m bench.run --full

clean:
	rm -rf $(VENV) instance .pytest_cache
