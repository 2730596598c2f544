"""hedgesim-reproduce --parameter-sets: one ensemble split across the plausible parameter sets.

The replicates are split evenly across the K sets of conf/params/plausible.csv
(hedgesim.workflows.calibration.plausible): with ``m`` replicates per set, set ``k`` runs the
replicate ids ``k*m .. k*m + m - 1``, all with the run's seed. A replicate's random stream
depends only on the seed and its id, so replicate ``r`` draws the same shocks and decisions in
any run, and the pooled ensemble differs from the configured parameters' ensemble on the same
ids by the parameters alone (common random numbers). Every target is judged on the pooled
ensemble, and the configured parameters' ensemble is judged beside it, so the report shows what
the parameter uncertainty adds to the bands.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import RunSpec
from hedgesim.core.parameters import ParameterError
from hedgesim.workflows.calibration.plausible import META
from hedgesim.workflows.run import run_spec
from hedgesim.workflows.targets_file import InputError


def replicates_per_set(replicates: int, n_sets: int) -> int:
    """Replicates each set runs: an even share of the ensemble, so every set weighs the same
    (a remainder is dropped: 1,000 over 30 sets is 33 each, 990 in all)."""
    if replicates < n_sets:
        raise ConfigError(
            f"--replicates={replicates} with {n_sets} parameter sets; allowed: at least one replicate "
            f"per set (>= {n_sets})"
        )
    return replicates // n_sets


def set_ids(k: int, per_set: int) -> tuple[int, ...]:
    """The replicate ids set ``k`` runs: the same in every run with ``per_set`` replicates a set."""
    return tuple(range(k * per_set, (k + 1) * per_set))


def check_overrides(overrides: Sequence[str], sets: pd.DataFrame, where: str) -> None:
    """Refuse a ``params.X=v`` override of a parameter every set gives its own value: it would be
    silently replaced."""
    names = set(sets.columns) - set(META)
    for override in overrides:
        key = override.split("=", 1)[0].lstrip("+~")
        if key.startswith("params.") and key.removeprefix("params.") in names:
            raise InputError(
                f"{override}: each set of {where} gives {key} its own value; allowed: overrides of "
                "parameters the sets do not list"
            )


def set_specs(spec: RunSpec, sets: pd.DataFrame, per_set: int, where: str) -> list[RunSpec]:
    """One validated run per set: the configured run with the set's parameter values and its ids.

    Raises:
        InputError: naming ``where`` (the file), the trial and the parameter that is unknown or
            out of its allowed range.
    """
    known = {f.name for f in dataclasses.fields(spec.params)}
    names = [c for c in sets.columns if c not in META]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(
            f"{where}: column {unknown[0]!r} is no model parameter; allowed: the fields of "
            "hedgesim.core.parameters.ModelParameters"
        )
    specs = []
    for k, row in enumerate(sets.itertuples(index=False)):
        values = {n: float(getattr(row, n)) for n in names}
        params = dataclasses.replace(spec.params, **values)
        try:
            params.validate()
        except ParameterError as err:
            raise InputError(f"{where}: trial {int(row.trial)}: {err}") from None
        specs.append(dataclasses.replace(spec, params=params, replicate_ids=set_ids(k, per_set)))
    return specs


def pooled_trajectories(specs: Sequence[RunSpec]) -> pd.DataFrame:
    """The sets' trajectories as one run's table: every replicate id once, rows by month, then
    replicate (the milestones' categories are the same in every run, so they stay categorical)."""
    pooled = pd.concat([run_spec(s).trajectories() for s in specs], ignore_index=True)
    return pooled.sort_values(["date", "replicate"], kind="stable", ignore_index=True)


def band_width(table: pd.DataFrame) -> pd.Series:
    """q95 - q05 of each target's statistic; NaN where a bound is not finite (``never``)."""
    width = table["q95"].astype(float) - table["q05"].astype(float)
    return width.where(np.isfinite(width))


def band_comparison(single: pd.DataFrame, pooled: pd.DataFrame) -> pd.DataFrame:
    """Per judged target: its band and result with the configured parameters alone and with the
    parameter sets pooled, and the ratio of the band widths (pooled / single)."""
    both = single.merge(pooled, on="id", suffixes=("_single", "_sets"), validate="one_to_one")
    frame = pd.DataFrame(
        {
            "id": both["id"],
            "class": both["class_single"],
            "median_single": both["median_single"],
            "q05_single": both["q05_single"],
            "q95_single": both["q95_single"],
            "passed_single": both["passed_single"],
            "median_sets": both["median_sets"],
            "q05_sets": both["q05_sets"],
            "q95_sets": both["q95_sets"],
            "passed_sets": both["passed_sets"],
        }
    )
    frame["width_single"] = band_width(both.rename(columns={"q05_single": "q05", "q95_single": "q95"}))
    frame["width_sets"] = band_width(both.rename(columns={"q05_sets": "q05", "q95_sets": "q95"}))
    usable = frame["width_single"] > 0
    frame["width_ratio"] = (frame["width_sets"] / frame["width_single"]).where(usable)
    return frame


def widening(comparison: pd.DataFrame) -> dict[str, object]:
    """The evidence bands in a few numbers: median width ratio, how many widened, results changed."""
    evidence = comparison[comparison["class"] == "evidence"]
    finite = evidence[evidence["width_single"].notna() & evidence["width_sets"].notna()]
    ratio = evidence["width_ratio"].dropna()
    return {
        "median_width_ratio": round(float(ratio.median()), 4) if len(ratio) else math.nan,
        "ratios": len(ratio),
        "wider": int((finite["width_sets"] > finite["width_single"]).sum()),
        "narrower": int((finite["width_sets"] < finite["width_single"]).sum()),
        "same": int((finite["width_sets"] == finite["width_single"]).sum()),
        "now_pass": _changed(evidence, False),
        "now_fail": _changed(evidence, True),
    }


def _changed(evidence: pd.DataFrame, passed_before: bool) -> list[str]:
    flipped = (evidence["passed_single"] == passed_before) & (evidence["passed_sets"] != passed_before)
    return evidence.loc[flipped, "id"].tolist()


def not_configured(spec: RunSpec, sets: pd.DataFrame) -> list[str]:
    """The parameters where the best set differs from the configured run: when the sets come from
    the study that made calibrated.yaml, none (its best trial is the calibrated values)."""
    best = sets.iloc[0]
    names = [c for c in sets.columns if c not in META]
    return [
        n for n in names if not math.isclose(float(best[n]), float(getattr(spec.params, n)), rel_tol=1e-9)
    ]


def sets_facts(
    spec: RunSpec, sets: pd.DataFrame, per_set: int, file_name: str, digest: str
) -> dict[str, object]:
    """What the manifest records of the sets: the file, its checksum, the trials, the split, and
    how many parameters of the best set differ from the configured run."""
    return {
        "file": file_name,
        "sha256": digest,
        "sets": len(sets),
        "replicates_per_set": per_set,
        "trials": [int(t) for t in sets["trial"]],
        "search_loss": [round(float(sets["loss"].min()), 6), round(float(sets["loss"].max()), 6)],
        "best_set_differs_from_configured": len(not_configured(spec, sets)),
    }
