#!/usr/bin/env bash
# The three-challenges study: 5 x 5 x 5 cells x 200 replicates, 2008-01..2030-12, then Sobol
# indices of the outcomes. Run from the repository root after `make test` (or scripts/setup).
# Re-running resumes: complete cells are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.venv/bin
here=experiments/three_challenges

"$bin/hedgesim" -m +experiment=three_challenges                 # -> results/multirun/three_challenges
"$bin/hedgesim-sensitivity" --samples 2048 --replicates 50 --jobs 2 \
  --outcomes p_visa_by_2025 p_priorities_by_2030 p_framework_by_2030 p_collapse median_relations_eu_2030 \
    median_hedge_eu_2030 \
  --out results/sensitivity/three_challenges

# Keep the small outputs beside this README (the dataset stays under results/, ignored by git).
mkdir -p "$here/figures"
cp results/multirun/three_challenges/summary.csv "$here/summary.csv"
cp results/multirun/three_challenges/figures/*.png "$here/figures/"
cp results/sensitivity/three_challenges/sobol.csv "$here/sobol.csv"
cp results/sensitivity/three_challenges/sobol.png "$here/figures/sobol.png"
