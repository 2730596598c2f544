# hedgesim: every target sets itself up first (a Python >= 3.12 venv in .venv).
PY := .venv/bin/python
ARGS ?=

.PHONY: setup run baseline test lint bench reproduce validate calibrate sweep app clean

setup:
	@scripts/setup test

## run: set up, then run the baseline (2008-01..2019-12, 200 replicates) into results/runs/
run: setup
	.venv/bin/hedgesim $(ARGS)

baseline: run

## test: set up, check the architecture (import contracts) and lint, then run the whole test suite
## on every core, up to four (pytest-xdist; the cluster tests share one worker and a lock)
test: setup
	.venv/bin/lint-imports
	.venv/bin/ruff check src tests experiments tools
	$(PY) -m pytest -q -n auto --maxprocesses 4 --dist loadgroup $(ARGS)

## reproduce: the calibrated baseline with 1,000 replicates, every target judged, results/baseline/
reproduce: setup
	.venv/bin/hedgesim-reproduce $(ARGS)

## validate: the pre-registered out-of-sample test (about half an hour on 2 cores), results/validation/
validate: setup
	.venv/bin/hedgesim-validate $(ARGS)

calibrate: setup
	.venv/bin/hedgesim-calibrate $(ARGS)

## sweep: the three-challenges study (5 x 5 x 5 cells to 2030) into results/multirun/
sweep: setup
	.venv/bin/hedgesim -m +experiment=three_challenges $(ARGS)

## app: the classroom page on http://127.0.0.1:8765
app: setup
	.venv/bin/hedgesim-app $(ARGS)

lint: setup
	.venv/bin/lint-imports
	.venv/bin/ruff check src tests experiments tools
	.venv/bin/ruff format --check src tests experiments tools

bench: setup
	$(PY) experiments/bench_ensemble.py

clean:
	rm -rf results/runs results/multirun .pytest_cache
