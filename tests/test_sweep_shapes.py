"""Sweeps of odd but legal values and grids of odd shapes: what the summary, the dataset and the
figures make of them."""

from __future__ import annotations

import json

import pandas as pd

from conftest import run_cli

HUGE_SEED = "99999999999999999999"  # past 64 bits; a seed is any integer >= 0


def test_a_seed_past_64_bits_is_aggregated_as_its_digits(tmp_path):
    """The cells ran, then the aggregation failed (OverflowError) and left no summary."""
    folder = tmp_path / "mr"
    given = [f"seed=1,{HUGE_SEED}", "replicates=1", "scenario.end=2008-03", "output.events=false"]
    result = run_cli("-m", *given, "hydra/launcher=basic", f"hydra.sweep.dir={folder}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    table = pd.read_parquet(folder / "summary.parquet")
    assert table["status"].tolist() == ["complete", "complete"]
    assert table["seed"].tolist() == ["1", HUGE_SEED]
    assert table["replicates"].tolist() == [1, 1]
    dataset = pd.read_parquet(folder / "dataset", filters=[("seed", "==", HUGE_SEED)])
    assert dataset["cell"].astype(int).unique().tolist() == [1] and len(dataset) == 3
    assert json.loads((folder / "aggregate.json").read_text())["status"] == {"complete": 2}
