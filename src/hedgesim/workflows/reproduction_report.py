"""The report hedgesim-reproduce writes: evidence first, fitted and context rows apart.

Only evidence targets (behaviour the mechanisms must produce) make the headline: a fitted
target passes because a parameter was set from it or an input dictates it, so counting it would
credit the mechanisms with what the calibration or the timeline did. Fitted targets and context
rows are listed in their own sections, each with its reason, and an evidence target whose
ensemble band is a single value is flagged: nothing random in the model moves its statistic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from hedgesim.analysis.naive import summary_lines
from hedgesim.analysis.pass_rules import loss, of_class, pass_count, single_value_bands
from hedgesim.analysis.targets import Target
from hedgesim.workflows.markdown import markdown_table

RECORD_GROUPS = (
    ("targets file", lambda i: not i.startswith(("bfpi", "trade_share_"))),
    ("Foreign Policy Index (coded)", lambda i: i.startswith("bfpi")),
    ("trade shares (coded)", lambda i: i.startswith("trade_share_")),
)
FILES = (
    "- `targets.csv`: every judged target (evidence and fitted, column `class`) with every statistic\n"
    "- `context.csv`: the context rows and why they are not judged\n"
    "- `bands.csv`, `observed.csv`: the tables behind `targets.png`\n"
    "- `comparison.csv`: standardised errors of the model and the naive forecasts per target\n"
    "- `trajectories_summary.parquet`: median and 5-95% band of every series per month\n"
    "- `manifest.json`: seed, the evidence counts, each file's sha256, and the duration, versions and "
    "commit of the run that made these numbers (written last; kept as it is when a re-run agrees)"
)

UNCERTAINTY_FILE = (
    "\n- `uncertainty.csv`: every judged target's median, band and result with the configured "
    "parameters alone and with the parameter sets pooled, and the ratio of the band widths"
)


def fmt(value: float) -> str:
    """A statistic for a table cell: three significant digits, ``never`` for +inf."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "never" if value > 0 else "-inf"
    return f"{value:.3g}"


def report_table(
    table: pd.DataFrame, flagged: Sequence[str] = (), units: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The reviewer's table: target, source, observed, the unit of the simulated statistic, its
    median and band, the rule in words, result."""
    bands = [
        f"{fmt(a)} .. {fmt(b)}" + (" (single value)" if i in flagged else "")
        for i, a, b in zip(table["id"], table["q05"], table["q95"], strict=True)
    ]
    return pd.DataFrame(
        {
            "target": table["id"],
            "period": table["period"],
            "source": table["source"],
            "observed": table["observed"],
            "unit": table["id"].map(units or {}).fillna(table["unit"].str.replace("_", " ")),
            "simulated median": table["median"].map(fmt),
            "90% band": bands,
            "share": table["share"].map(lambda v: "" if math.isnan(v) else f"{v:.0%}"),
            "tolerance": table["tolerance"].map(lambda v: f"{v:g}"),
            "rule": table["rule"],
            "result": table["passed"].map({True: "pass", False: "**FAIL**"}),
        }
    )


def failure_lines(table: pd.DataFrame) -> list[str]:
    """One line per failing target: by how much and in which direction."""
    lines = []
    for row in table[~table["passed"]].itertuples():
        if math.isnan(row.share):
            side = "above" if row.z > 0 else "below"
            lines.append(
                f"- `{row.id}`: simulated median {fmt(row.median)} lies {side} the observed "
                f"{row.observed} by more than the tolerance {row.tolerance:g} (z = {row.z:.2f})."
            )
        else:
            lines.append(
                f"- `{row.id}`: the observed fact holds in {row.share:.0%} of replicates; the rule "
                f"asks for {1 - row.tolerance:.0%}."
            )
    return lines


def by_record(evidence: pd.DataFrame) -> pd.DataFrame:
    """Evidence passed per part of the record: the targets file, the coded index, the trade shares."""
    rows = []
    for name, belongs in RECORD_GROUPS:
        part = evidence[evidence["id"].map(belongs)]
        rows.append({"evidence from": name, "passed": int(part["passed"].sum()), "targets": len(part)})
    return pd.DataFrame(rows)


def headline(facts: Mapping[str, Any]) -> str:
    """The result in two sentences: evidence passed and its loss; fitted and context apart."""
    failed = facts["failed"]
    verdict = (
        "Every evidence target passes."
        if not failed
        else f"{len(failed)} evidence target(s) fail (listed under *Failing evidence targets*)."
    )
    return (
        f"**{facts['passed']}/{facts['targets']} evidence targets pass; loss {facts['loss']:.3f}** "
        "(mean squared standardised error over the evidence targets; a target passes when its "
        f"|z| <= 1). {verdict} Apart from the headline: {facts['fitted_passed']}/{facts['fitted_targets']} "
        f"fitted targets pass, and {facts['context_rows']} context rows are reported, not judged."
    )


def report_markdown(
    table: pd.DataFrame,
    targets: Sequence[Target],
    context: pd.DataFrame,
    naive: Mapping[str, pd.DataFrame],
    facts: Mapping[str, Any],
    validation: Mapping[str, Any] | None = None,
    uncertainty: str = "",
    period: str = "",
) -> str:
    """The folder's report.md (see the module docstring for what is counted where); ``uncertainty``
    is the section comparing the ensemble with and without the parameter sets, if they were used;
    ``period`` the months the run covered (``scenario.*`` may have moved them)."""
    evidence, fitted = of_class(table, "evidence"), of_class(table, "fitted")
    naive_evidence = {name: of_class(frame) for name, frame in naive.items()}
    units = {t.id: t.statistic_unit() for t in targets}
    sets = facts.get("parameter_sets")
    parameters = parameters_used(sets, facts.get("overrides", ()))
    parts = [
        "# hedgesim baseline: reproduction of the 2011-2019 targets"
        + (" with parameter uncertainty" if sets else ""),
        f"Command: `{facts['command']}` ({facts['replicates']} replicates, seed {facts['seed']}, "
        f"scenario `{facts['scenario']}`" + (f": {period}" if period else "") + f", {parameters}).",
        headline(facts),
        uncertainty,
        out_of_sample(validation),
        "Classes: *evidence* is behaviour the mechanisms must produce; *fitted* means a parameter is "
        "set from the fact, or the fact is an accounting identity of inputs, so its pass says nothing "
        "about the mechanisms (the calibration still fits both); *context* is reported, never judged. "
        "Pass rules, always over the ensemble: *level* targets pass when the ensemble median lies within "
        "the tolerance of the observed value; *share* targets pass when the observed fact holds in at "
        "least (1 - tolerance) of the replicates. Tolerances follow each source's confidence; the "
        "Foreign Policy Index and trade-share targets are coded from the evidence record by the rule in "
        "docs/calibration.md. The *unit* column says what the simulated median and band are in; a date "
        "is counted in months after the observed date (negative: before it; never: not in the run).",
        "## Evidence by part of the record\n\n" + markdown_table(by_record(evidence)),
        "## Evidence targets\n\n"
        + markdown_table(report_table(evidence, facts["single_value_bands"], units)),
        _single_value_section(facts["single_value_bands"]),
    ]
    if len(evidence) and not evidence["passed"].all():
        parts.append("## Failing evidence targets\n\n" + "\n".join(failure_lines(evidence)))
    parts += [
        "## Fitted targets (judged and fitted by the calibration, not counted as evidence)\n\n"
        + markdown_table(_with_reason(report_table(fitted, units=units), targets)),
        "## What the mechanisms add\n\nThe evidence targets judged on naive forecasts: the fitted naive "
        "baseline (a line in time through the stated EU and Russia levels, trade as a line in the Brent "
        "price, 'a crackdown lists, a release delists', other series constant at their observed mean; "
        "fitted to every evidence target, so in sample like the model; docs/calibration.md), and two "
        "forecasts made from each replicate's state at the end of 2010 (persistence: every series "
        "frozen; linear trend: every series extended along its 2008-2010 line; agreements held):\n\n"
        + "\n".join(f"- {line}" for line in summary_lines(evidence, naive_evidence)),
        "## Context rows (reported, not judged)\n\n" + markdown_table(context),
        "## Files\n\n" + FILES + (UNCERTAINTY_FILE if sets else ""),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def parameters_used(sets: Mapping[str, Any] | None, overrides: Sequence[str]) -> str:
    """The parameters the run used, for the report's first line, with the command's ``params``
    overrides: without them a run on ``params=default`` would read as the calibrated baseline."""
    changed = [o for o in overrides if o.lstrip("+~").split("=", 1)[0].strip().split(".")[0] == "params"]
    with_changes = ", ".join(f"`{o}`" for o in changed)
    if sets:
        used = f"the {sets['sets']} plausible parameter sets of `{sets['file']}`"
        each = f", {sets['replicates_per_set']} replicates each"
        return used + each + (f", with {with_changes}" if changed else "")
    if changed:
        return f"the configured parameters with {with_changes}, not the calibrated parameters alone"
    return "the configured calibrated parameters"


def out_of_sample(validation: Mapping[str, Any] | None) -> str:
    """The out-of-sample headline of hedgesim-validate beside the in-sample one, naming the
    summary quoted when it is not the default (``quoted_from``)."""
    if not validation:
        return "Out of sample: no validation has been run (`hedgesim-validate` writes results/validation/)."
    lines = []
    for origin, entry in validation.get("origins", {validation["split"]: validation}).items():
        model, prior, naive = entry["model"], entry["prior_draws"], entry["naive"]
        lines.append(
            f"- calibrated on the evidence up to {origin}, scored on the {model['total']} evidence targets "
            f"after it: {model['passed']}/{model['total']} pass, held-out loss {model['loss']:.3g} "
            f"(random prior draws: median {prior['median_passed']:g}/{model['total']} pass, loss "
            f"{prior['median_loss']:.3g}; fitted naive baseline: {naive['passed']}/{model['total']} pass, "
            f"loss {naive['loss']:.3g})"
        )
    verdict = (
        "beats both benchmarks at every origin"
        if validation.get("beats_both_at_every_origin")
        else "does NOT beat both benchmarks at every origin"
    )
    return (
        f"**Out of sample ({validation.get('quoted_from', 'hedgesim-validate, results/validation/')}): "
        "on the pre-registered criterion, "
        f"the held-out loss, the model {verdict}.**\n\n" + "\n".join(lines)
    )


def _single_value_section(ids: Sequence[str]) -> str:
    """The evidence targets whose 90% band is one value, and what that means."""
    if not ids:
        return ""
    return (
        "## Evidence with a single-value band\n\nThe ensemble's 90% band of these evidence targets is a "
        "single value (q05 == q95): for a level, nothing random in the model moves the statistic, so the "
        "band says nothing about uncertainty; for a 0/1 statistic (an agreement's state), at least 95% of "
        "the replicates agree.\n\n" + "\n".join(f"- `{i}`" for i in ids)
    )


def _with_reason(frame: pd.DataFrame, targets: Sequence[Target]) -> pd.DataFrame:
    """A report table with each target's reason for its class."""
    reasons = {t.id: t.reason for t in targets}
    return frame.assign(reason=frame["target"].map(reasons))


def evidence_facts(table: pd.DataFrame, context: pd.DataFrame) -> dict[str, Any]:
    """The manifest's counts: the headline over evidence, fitted and context apart."""
    evidence, fitted = of_class(table, "evidence"), of_class(table, "fitted")
    return {
        "targets": len(evidence),
        "passed": pass_count(evidence),
        "loss": round(loss(evidence), 6) if len(evidence) else math.nan,
        "failed": evidence.loc[~evidence["passed"], "id"].tolist(),
        "fitted_targets": len(fitted),
        "fitted_passed": pass_count(fitted),
        "fitted_failed": fitted.loc[~fitted["passed"], "id"].tolist(),
        "context_rows": len(context),
        "loss_judged": round(loss(table), 6) if len(table) else math.nan,
        "single_value_bands": single_value_bands(evidence),
    }


def uncertainty_section(facts: Mapping[str, Any], compared: pd.DataFrame) -> str:
    """ "With parameter uncertainty": the pooled ensemble against the configured parameters alone
    on the same replicates, in counts, loss and band widths."""
    sets, single, wide = (
        facts["parameter_sets"],
        facts["without_parameter_uncertainty"],
        facts["band_widening"],
    )
    low, high = sets["search_loss"]
    counts = pd.DataFrame(
        [
            _result_row("configured parameters only", single),
            _result_row(f"{sets['sets']} plausible sets pooled", facts),
        ]
    )
    evidence = compared[compared["class"] == "evidence"]
    changes = [
        f"{label}: " + (", ".join(f"`{i}`" for i in ids) if ids else "none")
        for label, ids in (("now pass", wide["now_pass"]), ("now fail", wide["now_fail"]))
    ]
    return (
        "## With parameter uncertainty\n\n"
        f"The {facts['replicates']} replicates are split across the {sets['sets']} plausible parameter "
        f"sets of `{sets['file']}` ({sets['replicates_per_set']} each; calibration trials whose search "
        f"loss is {low:.3f}..{high:.3f}, docs/calibration.md) and judged pooled: the headline above. Beside "
        "them, the configured parameters alone on the same replicate ids (the same random draws), so the "
        "difference is the parameters' alone."
        + _other_study(sets)
        + "\n\n"
        + markdown_table(counts)
        + f"\n\nEvidence bands (q95 - q05): the pooled band is {fmt(wide['median_width_ratio'])} times as "
        f"wide as the configured parameters' in the median of the {wide['ratios']} evidence targets whose "
        f"band has a width; wider in {wide['wider']}, narrower in {wide['narrower']}, the same in "
        f"{wide['same']}. Results changed by the parameter uncertainty: {'; '.join(changes)}.\n\n"
        + markdown_table(_band_rows(evidence))
    )


def _other_study(sets: Mapping[str, Any]) -> str:
    """A warning when the best set is not the configured parameters: the sets and calibrated.yaml
    then come from different studies, and the comparison mixes them."""
    differ = sets.get("best_set_differs_from_configured", 0)
    if not differ:
        return ""
    return (
        f" **The best set (trial {sets['trials'][0]}) differs from the configured parameters in {differ} "
        "values: the sets come from another calibration study than the configured parameters, so this "
        "comparison mixes two studies (regenerate the sets from the study that made them, "
        "docs/calibration.md).**"
    )


def _result_row(label: str, facts: Mapping[str, Any]) -> dict[str, str]:
    return {
        "ensemble": label,
        "evidence passed": f"{facts['passed']}/{facts['targets']}",
        "evidence loss": f"{facts['loss']:.3f}",
        "fitted passed": f"{facts['fitted_passed']}/{facts['fitted_targets']}",
        "loss, all judged": f"{facts['loss_judged']:.3f}",
    }


def _band_rows(evidence: pd.DataFrame) -> pd.DataFrame:
    """Per evidence target: both bands, the ratio of their widths, both results."""
    result = {True: "pass", False: "FAIL"}
    return pd.DataFrame(
        {
            "target": evidence["id"],
            "90% band, configured only": [
                f"{fmt(a)} .. {fmt(b)}"
                for a, b in zip(evidence["q05_single"], evidence["q95_single"], strict=True)
            ],
            "90% band, with parameter uncertainty": [
                f"{fmt(a)} .. {fmt(b)}"
                for a, b in zip(evidence["q05_sets"], evidence["q95_sets"], strict=True)
            ],
            "width ratio": evidence["width_ratio"].map(fmt),
            "result, configured only": evidence["passed_single"].map(result),
            "result, with": evidence["passed_sets"].map(result),
        }
    )
