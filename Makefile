# hedgesim: every target sets itself up first (a Python >= 3.12 venv in .venv).
PY := .venv/bin/python
ARGS ?=

.PHONY: setup run baseline test lint bench clean

setup:
	@scripts/setup test

## run: set up, then run the baseline (2008-01..2019-12, 200 replicates) into results/runs/
run: setup
	.venv/bin/hedgesim $(ARGS)

baseline: run

## test: set up, then run the whole test suite (slow tests included)
test: setup
	$(PY) -m pytest -q $(ARGS)

lint: setup
	.venv/bin/ruff check src tests experiments
	.venv/bin/ruff format --check src tests experiments

bench: setup
	$(PY) experiments/bench_ensemble.py

clean:
	rm -rf results/runs results/multirun .pytest_cache
