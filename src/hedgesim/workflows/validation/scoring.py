"""Held-out scores, the comparison with the benchmarks and the verdict.

Each forecast is scored on an origin's held-out targets with the calibration's own pass rules
and loss (:mod:`hedgesim.analysis.pass_rules`): targets passed, their number, and the mean
squared standardised error. The model beats a benchmark when its held-out loss is strictly
lower: than the median loss of the prior draws, and than the fitted naive baseline's. The
verdict asks that of every pre-registered origin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hedgesim.analysis.pass_rules import loss, pass_count
from hedgesim.analysis.targets import Target

DIGITS = 6
HELD_OUT_COLUMNS = (
    "origin",
    "id",
    "period",
    "observed",
    "rule",
    "tolerance",
    "model_median",
    "model_q05",
    "model_q95",
    "model_share",
    "model_z",
    "model_passed",
    "naive_value",
    "naive_z",
    "naive_passed",
    "full_median",
    "full_z",
    "full_passed",
)


def score(table: pd.DataFrame) -> dict[str, Any]:
    """Passed, total and loss of one evaluation (rounded, so a re-score gives the same JSON)."""
    return {"passed": pass_count(table), "total": len(table), "loss": round(loss(table), DIGITS)}


def draws_scores(judged: pd.DataFrame, held_out: Sequence[Target]) -> pd.DataFrame:
    """Per draw, loss and passes over one origin's held-out targets (from :func:`judge_draws`)."""
    ids = {t.id for t in held_out}
    part = judged[judged["id"].isin(ids)]
    rows = [
        {"draw": draw, "loss": loss(group), "passed": pass_count(group), "total": len(group)}
        for draw, group in part.groupby("draw", sort=True)
    ]
    return pd.DataFrame(rows, columns=["draw", "loss", "passed", "total"])


def draws_summary(per_draw: pd.DataFrame, model_loss: float) -> dict[str, Any]:
    """How the prior draws did: their count, median passes and loss, the model's place among them."""
    losses = per_draw["loss"].to_numpy(dtype=float)
    return {
        "draws": len(per_draw),
        "median_passed": float(np.median(per_draw["passed"])),
        "median_loss": round(float(np.median(losses)), DIGITS),
        "best_loss": round(float(losses.min()), DIGITS),
        "share_below_model": round(float((losses < model_loss).mean()), DIGITS),
    }


def origin_summary(
    origin: str,
    model: pd.DataFrame,
    training: pd.DataFrame,
    per_draw: pd.DataFrame,
    naive: pd.DataFrame,
    full: pd.DataFrame,
) -> dict[str, Any]:
    """summary.json's entry for one origin; each argument is an evaluation of its held-out targets
    (``training``: the model's best on its training targets, the in-sample fit)."""
    model_score = score(model)
    entry = {
        "split": origin,
        "model": model_score,
        "training": score(training),
        "prior_draws": draws_summary(per_draw, model_score["loss"]),
        "naive": score(naive),
        "full_calibration": score(full),
        "held_out": model["id"].tolist(),
    }
    entry["beats"] = beats(entry)
    return entry


def beats(entry: Mapping[str, Any]) -> dict[str, bool]:
    """Does the model's held-out loss lie strictly below the prior draws' median and the naive's?"""
    own = entry["model"]["loss"]
    return {
        "prior_draws": bool(own < entry["prior_draws"]["median_loss"]),
        "naive": bool(own < entry["naive"]["loss"]),
    }


def verdict(entries: Mapping[str, Mapping[str, Any]]) -> bool:
    """The pre-registered verdict: the model beats both benchmarks at every origin."""
    return all(all(e["beats"].values()) for e in entries.values())


def summary(entries: Mapping[str, Mapping[str, Any]], primary: str, settings: Mapping[str, Any]) -> dict:
    """summary.json: the primary origin at the top, every origin under ``origins``."""
    head = {k: v for k, v in entries[primary].items() if k != "held_out"}
    return {
        **head,
        "beats_both_at_every_origin": verdict(entries),
        "origins": {o: dict(e) for o, e in entries.items()},
        "settings": dict(settings),
    }


def held_out_table(origin: str, model: pd.DataFrame, naive: pd.DataFrame, full: pd.DataFrame) -> pd.DataFrame:
    """Per held-out target: observed, the model's median, band and pass, the naive's, the full's."""
    frame = model[["id", "period", "observed", "rule", "tolerance"]].copy()
    frame.insert(0, "origin", origin)
    for prefix, table, columns in (
        ("model", model, {"median": "median", "q05": "q05", "q95": "q95", "share": "share"}),
        ("naive", naive, {"median": "value"}),
        ("full", full, {"median": "median"}),
    ):
        picked = table[["id", *columns, "z", "passed"]].rename(
            columns={**{k: f"{prefix}_{v}" for k, v in columns.items()}, "z": f"{prefix}_z"}
            | {"passed": f"{prefix}_passed"}
        )
        frame = frame.merge(picked, on="id", how="left")
    return frame[list(HELD_OUT_COLUMNS)]
