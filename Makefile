# offramp: the two commands of the README's quick start, and helpers.
#   make analyze   set up, then analyze the shipped Ukraine scenario and write its report
#   make test      set up, then lint, type-check and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: analyze test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

analyze: $(STAMP)
	$(BIN)/offramp analyze scenarios/ukraine-2024-09.yaml --out offramp-out
	$(BIN)/offramp report scenarios/ukraine-2024-09.yaml --out offramp-out

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_space.py
	$(BIN)/python benchmarks/bench_huge.py
	$(BIN)/python benchmarks/bench_forecast.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_negotiate.py
	$(BIN)/python benchmarks/bench_negotiate.py --huge
	$(BIN)/python benchmarks/bench_smp.py --skip-ktab
	$(BIN)/python benchmarks/bench_architecture.py

clean:
	rm -rf $(VENV) offramp-out .pytest_cache .mypy_cache .ruff_cache
