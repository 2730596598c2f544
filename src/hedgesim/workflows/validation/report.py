"""What hedgesim-validate leaves in results/validation/: report, summary, tables, figure, parameters.

Every file is written atomically and the manifest last. ``calibrations.yaml`` (each origin's best
parameters and how the search found them) is written only by a search, so ``--score-only`` can
re-score it and reproduce summary.json exactly. What differs from one run of the same numbers to
the next (timings, the command, versions, commit, time) is in the manifest only, and the manifest
is kept as it was when nothing else in it changes, so a re-score that agrees changes no file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hedgesim.analysis.naive_fitted import NaiveFit
from hedgesim.workflows.markdown import markdown_table
from hedgesim.workflows.results import MANIFEST, save_figure, write_manifest, write_text
from hedgesim.workflows.targets_file import read_yaml
from hedgesim.workflows.validation.split import Split
from hedgesim.workflows.whole_folders import replaced_whole

CALIBRATIONS = "calibrations.yaml"
VOLATILE = ("command", "seconds", "seconds_search", "searches")
"""The manifest facts that differ between runs of the same numbers (a full run and a
``--score-only`` re-score, durations): alone they do not rewrite the manifest."""
FILES = ("report.md", "summary.json", "held_out.csv", "prior_draws.csv", "validation.png", CALIBRATIONS)
HEADER = (
    "Best parameters of each origin's split calibration (hedgesim-validate): hedgesim-calibrate's",
    "search over conf/calibration/search.yaml, fed only the evidence targets that end by the",
    "origin (conf/calibration/validation.yaml). `hedgesim-validate --score-only` re-scores them.",
)


SEARCH_TIMES = ("trials_run_now", "seconds_now", "seconds_study")
"""Facts of a search that change when the same study is resumed: the run's sidecar keeps them."""


def calibrations_yaml(calibrations: Mapping[str, Mapping[str, Any]]) -> str:
    """The best parameters per origin with the facts of their search (not its timings, which
    differ from run to run: the manifest has them), under a header."""
    kept = {o: {k: v for k, v in c.items() if k not in SEARCH_TIMES} for o, c in calibrations.items()}
    body = yaml.safe_dump(kept, sort_keys=False)
    return "".join(f"# {line}\n" for line in HEADER) + body


def read_calibrations(out: Path) -> dict[str, Any]:
    """The committed calibrations.yaml of an output folder."""
    return read_yaml(Path(out) / CALIBRATIONS, "calibrations")


def write_folder(
    out: Path,
    texts: Mapping[str, str],
    figure,
    calibrations: Mapping[str, Any] | None,
    facts: Mapping[str, Any],
) -> None:
    """The folder's files, replaced whole (old and new never mix); calibrations.yaml written when
    given, else kept as it is (a re-scoring reads it); the manifest last."""
    out = Path(out)
    with replaced_whole(out, keep=(CALIBRATIONS,)) as staging:
        for name, text in texts.items():
            write_text(text, staging / name)
        save_figure(figure, staging / "validation.png")
        if calibrations is not None:
            write_text(calibrations_yaml(calibrations), staging / CALIBRATIONS)
        write_manifest(staging, files=list(FILES), volatile=VOLATILE, previous=out / MANIFEST, **facts)


def summary_json(summary: Mapping[str, Any]) -> str:
    return json.dumps(summary, indent=2, sort_keys=False) + "\n"


def verdict_line(entries: Mapping[str, Mapping[str, Any]], passed: bool) -> str:
    """The report's first line: at each origin, does the model beat each benchmark?"""
    parts = []
    for origin, e in entries.items():
        draws, naive = e["beats"]["prior_draws"], e["beats"]["naive"]
        parts.append(
            f"at {origin} the model (held-out loss {e['model']['loss']:.3f}) "
            f"{_beats(draws)} the prior draws (median {e['prior_draws']['median_loss']:.3f}) and "
            f"{_beats(naive)} the fitted naive baseline ({e['naive']['loss']:.3f})"
        )
    result = "passes" if passed else "fails"
    return f"**Verdict:** {'; '.join(parts)}; the model {result} the pre-registered test."


def _beats(flag: bool) -> str:
    return "beats" if flag else "does not beat"


PACKAGED_PLAN = "conf/calibration/validation.yaml"
"""How the report names the packaged pre-registration (the default ``--plan``)."""


def report_markdown(
    summary: Mapping[str, Any],
    splits: Mapping[str, Split],
    calibrations: Mapping[str, Mapping[str, Any]],
    held_out: pd.DataFrame,
    fits: Mapping[str, NaiveFit],
    plan_name: str = PACKAGED_PLAN,
) -> str:
    """report.md: the verdict first, then the settings, the scores and each origin's targets
    (``plan_name``: the pre-registration the run read, as the report names it)."""
    entries = summary["origins"]
    s = summary["settings"]
    parts = [
        verdict_line(entries, summary["beats_both_at_every_origin"]),
        "# hedgesim out-of-sample validation",
        f"Pre-registered in {plan_name}: origins {', '.join(entries)} (the first is "
        f"primary), held-out targets scored up to {s['score_end']}. At each origin hedgesim-calibrate's "
        f"search ({s['trials']} trials of {s['replicates']} replicates, seed {s['seed']}, from the "
        "uncalibrated defaults) is fed only the evidence targets that end by the origin; its best "
        f"parameters, {s['prior_draws']} uniform draws from the search ranges, the fitted naive baseline "
        f"and the full-period calibration are then judged on the held-out evidence targets "
        f"({s['score_replicates']} replicates each). The model beats a benchmark when its held-out loss "
        "is strictly lower; the test asks it to beat the prior draws' median and the naive at every "
        "origin. Method: docs/calibration.md, 'Out-of-sample validation'.",
        "## Scores\n\n" + markdown_table(scores_table(entries)),
    ]
    for origin, entry in entries.items():
        parts.append(
            origin_section(origin, entry, splits[origin], calibrations[origin], held_out, fits[origin])
        )
    parts.append(
        "## Files\n\n- `summary.json`: the scores above\n- `held_out.csv`: every held-out target, model, "
        "naive and full calibration\n- `prior_draws.csv`: each draw's values and held-out scores\n"
        "- `calibrations.yaml`: each origin's best parameters (re-scored by `hedgesim-validate "
        "--score-only`)\n- `validation.png`: held-out series against the bands\n- `manifest.json`: "
        "the verdict, each file's sha256, and the timings, command, versions and commit of the run that "
        "made these numbers (written last; kept when a re-run agrees)"
    )
    return "\n\n".join(parts) + "\n"


def scores_table(entries: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per origin and forecast: targets passed and loss on the held-out targets."""
    rows = []
    for origin, e in entries.items():
        total = e["model"]["total"]
        draws = e["prior_draws"]
        rows += [
            (origin, "model, split calibration", f"{e['model']['passed']}/{total}", e["model"]["loss"]),
            (
                origin,
                f"prior draws (median of {draws['draws']}; {draws['share_below_model']:.0%} below the model)",
                f"{draws['median_passed']:g}/{total}",
                draws["median_loss"],
            ),
            (origin, "fitted naive baseline", f"{e['naive']['passed']}/{total}", e["naive"]["loss"]),
            (
                origin,
                "full-period calibration (saw these targets)",
                f"{e['full_calibration']['passed']}/{total}",
                e["full_calibration"]["loss"],
            ),
            (
                origin,
                "model on its training targets (in sample)",
                f"{e['training']['passed']}/{e['training']['total']}",
                e["training"]["loss"],
            ),
        ]
    return pd.DataFrame(rows, columns=["origin", "forecast", "passed", "loss"])


def origin_section(
    origin: str,
    entry: Mapping[str, Any],
    split: Split,
    calibration: Mapping[str, Any],
    held_out: pd.DataFrame,
    fit: NaiveFit,
) -> str:
    """One origin: its targets, its calibration, the held-out table and the naive rules."""
    lines = [
        f"## Origin {origin}",
        f"Training ({len(split.training)}): {_ids(split.training)}.\n\n"
        f"Held out ({len(split.held_out)}): {_ids(split.held_out)}.\n\n"
        f"Neither (their period or their measure spans the origin): {_ids(split.straddling) or 'none'}."
        + (f"\n\nAfter the score window: {_ids(split.later)}." if split.later else ""),
        f"Calibration: best of {calibration['trials']} trials (trial {calibration['best_trial']}), "
        f"training loss {calibration['training_loss_search']:.3f} with "
        f"{calibration['training_passed_search']}/{calibration['training_targets']} training targets "
        "passing on the search ensemble.",
        "### Held-out targets\n\n" + markdown_table(report_rows(held_out[held_out["origin"] == origin])),
        "### The fitted naive baseline\n\n" + naive_lines(fit),
    ]
    return "\n\n".join(lines)


def report_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The held-out table as the report prints it."""
    return pd.DataFrame(
        {
            "target": frame["id"],
            "period": frame["period"],
            "observed": frame["observed"],
            "model median": frame["model_median"].map(_fmt),
            "model 90% band": [
                f"{_fmt(a)} .. {_fmt(b)}" for a, b in zip(frame["model_q05"], frame["model_q95"], strict=True)
            ],
            "model share": frame["model_share"].map(lambda v: "" if math.isnan(v) else f"{v:.0%}"),
            "model": frame["model_passed"].map(_pass),
            "naive": frame["naive_value"].map(_fmt),
            "naive result": frame["naive_passed"].map(_pass),
            "full calibration": frame["full_median"].map(_fmt),
            "full result": frame["full_passed"].map(_pass),
            "rule": frame["rule"],
        }
    )


def naive_lines(fit: NaiveFit) -> str:
    """The fitted rules in words."""
    items = [
        f"- {name}: {level:.3g} points per two months at the origin, {12 * slope:+.3g} per year"
        for name, (level, slope) in fit.lines.items()
    ]
    if fit.trade is not None:
        items.append(f"- trade_eu_turnover: {fit.trade[0]:.3g} + {fit.trade[1]:.3g} x Brent (USD bn)")
    else:
        items.append("- trade_eu_turnover: no training trade level, no forecast")
    items.append(
        f"- sanctions_persons: {fit.listed:.3g} listed after a crackdown, {fit.delisted:.3g} after a release"
    )
    items += [f"- {name}: constant {value:.3g}" for name, value in fit.constants.items()]
    items += [
        f"- {name}: {state}" + (f" from {since:%Y-%m}" if since is not None else "")
        for name, (state, since) in fit.states.items()
    ]
    return "\n".join(items)


def _ids(targets: Sequence) -> str:
    return ", ".join(f"`{t.id}`" for t in targets)


def _pass(value: Any) -> str:
    return {True: "pass", False: "**FAIL**"}.get(value, "")


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "never" if value > 0 else "-inf"
    return f"{value:.3g}"
