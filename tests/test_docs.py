"""The docs stay true to the code and to the committed results: docs/ODD.md's tables, and the
figures README.md and docs/calibration.md quote from results/ and the calibrated parameters."""

from __future__ import annotations

import json
import math
import re
from dataclasses import fields
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from hedgesim.analysis.pass_rules import loss
from hedgesim.config.compose import CONF_DIR
from hedgesim.core.parameters import ModelParameters
from hedgesim.core.shocks import KINDS
from hedgesim.workflows.calibration.search import read_search
from hedgesim.workflows.parameter_table import BEGIN, END, markdown_table
from hedgesim.workflows.reproduction_report import RECORD_GROUPS, by_record

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


def test_parameter_tables_are_current():
    text = ODD.read_text(encoding="utf-8")
    block = BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END
    assert block == markdown_table(), "run: python -m hedgesim.workflows.parameter_table --write docs/ODD.md"


def test_every_parameter_and_shock_kind_is_described():
    text = ODD.read_text(encoding="utf-8")
    for f in fields(ModelParameters):
        assert f"`params.{f.name}`" in text
    for kind in KINDS:
        assert f"| {kind} " in text or f", {kind} " in text or f"| {kind}," in text, kind


# --- the figures the docs quote agree with the committed results -------------------------------
#
# Each check reads a figure from README.md or docs/*.md and the same figure from results/ (or the
# calibrated parameters), so a regenerated result the docs do not follow fails here. A regex that
# no longer matches fails too: the sentence was reworded, so the check needs the new wording.

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CALIBRATION = ROOT / "docs" / "calibration.md"
BASELINE = ROOT / "results" / "baseline"
NUMBER = r"(-?\d+(?:\.\d+)?)"


def agrees(quoted: str, actual: float) -> bool:
    """A figure agrees when it is the result rounded to the digits quoted (1.83 for 1.8278)."""
    decimals = len(quoted.split(".")[1]) if "." in quoted else 0
    return abs(float(quoted) - actual) <= 0.5 * 10**-decimals + 1e-9


def quoted(path: Path, pattern: str) -> tuple[str, ...]:
    """The figures one sentence of a doc quotes (the regex's groups), whitespace and line breaks
    read as one space."""
    text = " ".join(path.read_text(encoding="utf-8").split())
    found = re.search(pattern, text)
    assert found, f"{path.name} no longer says {pattern!r}: update the doc or this check"
    return found.groups()


def check(figures: tuple[str, ...], actual: tuple[float, ...]) -> None:
    assert len(figures) == len(actual)
    wrong = [(q, a) for q, a in zip(figures, actual, strict=True) if not agrees(q, a)]
    assert not wrong, f"the docs quote {wrong} (quoted, committed result)"


@cache
def baseline() -> dict:
    """The committed reproduction: its manifest, its judged targets and the naive comparison."""
    table = pd.read_csv(BASELINE / "targets.csv")
    comparison = pd.read_csv(BASELINE / "comparison.csv").merge(table[["id", "class"]], on="id")
    return {
        "manifest": json.loads((BASELINE / "manifest.json").read_text(encoding="utf-8")),
        "table": table,
        "evidence": table[table["class"] == "evidence"],
        "comparison": comparison[comparison["class"] == "evidence"],
    }


def naive(name: str) -> tuple[float, int]:
    """Loss and passes of one forecast over the evidence targets, from comparison.csv."""
    rows = baseline()["comparison"]
    return loss(rows.rename(columns={f"z_{name}": "z"})), int(rows[f"pass_{name}"].sum())


def held_out() -> dict:
    return json.loads((ROOT / "results" / "validation" / "summary.json").read_text(encoding="utf-8"))


def calibrated() -> dict[str, float]:
    return yaml.safe_load((CONF_DIR / "params" / "calibrated.yaml").read_text(encoding="utf-8"))


def test_the_readme_quotes_the_committed_baseline():
    m = baseline()["manifest"]
    figures = quoted(
        README,
        rf"not imposed\): {NUMBER} of {NUMBER} evidence targets pass \(loss {NUMBER}\)\*\*; {NUMBER} of "
        rf"{NUMBER} fitted targets pass",
    )
    check(figures, (m["passed"], m["targets"], m["loss"], m["fitted_passed"], m["fitted_targets"]))
    fitted_loss, fitted_passed = naive("fitted_naive")
    figures = quoted(README, rf"passes more: {NUMBER}/{NUMBER}, at a loss of {NUMBER}")
    check(figures, (fitted_passed, m["targets"], fitted_loss))


def test_the_readme_and_calibration_doc_quote_the_committed_validation():
    summary = held_out()
    first, second = summary["origins"].values()

    def entry(e: dict) -> tuple[float, ...]:
        model, prior, naive_ = e["model"], e["prior_draws"], e["naive"]
        return (
            model["passed"],
            model["total"],
            model["loss"],
            prior["median_passed"],
            model["total"],
            prior["median_loss"],
            naive_["passed"],
            model["total"],
            naive_["loss"],
        )

    figures = quoted(
        README,
        rf"passes {NUMBER}/{NUMBER} with a held-out loss of {NUMBER}, against a median of {NUMBER}/{NUMBER} "
        rf"and {NUMBER} for {NUMBER} random parameter draws and {NUMBER}/{NUMBER} and {NUMBER} for the "
        rf"fitted naive baseline; from (\d{{4}}-\d{{2}}), {NUMBER}/{NUMBER} and {NUMBER} against "
        rf"{NUMBER}/{NUMBER} and {NUMBER}, and {NUMBER}/{NUMBER} and {NUMBER}",
    )
    assert figures[10] == second["split"]
    check(figures[:6] + figures[7:10], entry(first))
    check(figures[6:7], (first["prior_draws"]["draws"],))
    check(figures[11:], entry(second))
    assert quoted(README, r"calibrated on the evidence up to (\d{4}-\d{2})") == (first["split"],)
    says_it_passes = "model 2.0 fails the test" not in " ".join(README.read_text(encoding="utf-8").split())
    verdict = summary["beats_both_at_every_origin"]
    assert says_it_passes == verdict, "the README's verdict is not the summary's"
    for e in summary["origins"].values():
        model, prior, naive_, full = e["model"], e["prior_draws"], e["naive"], e["full_calibration"]
        figures = quoted(
            CALIBRATION,
            rf"\| {e['split']} \| {NUMBER} \| {NUMBER}/\d+ pass, loss {NUMBER} \| {NUMBER}/\d+, "
            rf"loss {NUMBER} \({NUMBER}% of draws lower\) \| {NUMBER}/\d+, loss {NUMBER} \| {NUMBER}/\d+, "
            rf"loss {NUMBER} \|",
        )
        actual = (
            model["total"],
            model["passed"],
            model["loss"],
            prior["median_passed"],
            prior["median_loss"],
            100 * prior["share_below_model"],
            naive_["passed"],
            naive_["loss"],
            full["passed"],
            full["loss"],
        )
        check(figures, actual)


def test_the_calibration_doc_quotes_the_committed_baseline():
    m, evidence = baseline()["manifest"], baseline()["evidence"]
    figures = quoted(
        CALIBRATION,
        rf"\*\*{NUMBER}/{NUMBER} evidence targets pass, loss {NUMBER}\*\*\. {NUMBER} of the {NUMBER} fitted "
        rf"targets pass; {NUMBER} context rows",
    )
    facts = (m["passed"], m["targets"], m["loss"], m["fitted_passed"], m["fitted_targets"], m["context_rows"])
    check(figures, facts)
    parts = by_record(evidence).set_index("evidence from")
    figures = quoted(
        CALIBRATION,
        rf"the {NUMBER} evidence rows of the targets file pass {NUMBER}/{NUMBER}, the {NUMBER} coded "
        rf"Foreign Policy Index targets {NUMBER}/{NUMBER}, the (\w+) trade shares {NUMBER}/{NUMBER}",
    )
    rows = [parts.loc[name] for name in parts.index]
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    trade = rows[2]["targets"]
    assert figures[6] == (words[trade] if trade < len(words) else str(trade))
    check(
        figures[:6] + figures[7:],
        (
            rows[0]["targets"],
            rows[0]["passed"],
            rows[0]["targets"],
            rows[1]["targets"],
            rows[1]["passed"],
            rows[1]["targets"],
            rows[2]["passed"],
            rows[2]["targets"],
        ),
    )
    for label, name in (
        ("model, calibrated", "model"),
        ("naive persistence from 2010-12", "persistence"),
        ("naive linear trend from 2010-12", "linear_trend"),
    ):
        figures = quoted(CALIBRATION, rf"\| {re.escape(label)} \| {NUMBER} \| {NUMBER}/{NUMBER} \|")
        check(figures, (*naive(name), len(evidence)))
    table = baseline()["table"]
    rows_of_the_file = table[table["id"].map(RECORD_GROUPS[0][1])]
    figures = quoted(CALIBRATION, rf"reach {NUMBER}/{NUMBER} \(loss {NUMBER} in the reproduction\)")
    check(figures, (int(rows_of_the_file["passed"].sum()), len(rows_of_the_file), loss(rows_of_the_file)))
    directions = evidence[evidence["kind"] == "direction"]
    figures = quoted(CALIBRATION, rf"{NUMBER} of the {NUMBER} directions pass")
    check(figures, (int(directions["passed"].sum()), len(directions)))


def test_the_calibration_doc_quotes_the_targets_it_names():
    """Every ``id`` the doc quotes a z or a share for, with the committed figure."""
    text = " ".join(CALIBRATION.read_text(encoding="utf-8").split())
    table = baseline()["table"].set_index("id")
    quotes = re.findall(rf"`(\w+)`[^`]{{0,12}}`?z = {NUMBER}", text)
    shares = re.findall(rf"`(\w+)` passes, {NUMBER}%", text)
    assert len(quotes) >= 3 and shares, "the doc's quoted targets are gone: update this check"
    for target, figure in quotes:
        check((figure,), (table.loc[target, "z"],))
    for target, figure in shares:
        assert table.loc[target, "passed"], target
        check((figure,), (100 * table.loc[target, "share"],))


def test_the_calibrated_values_table_matches_the_parameters_and_ranges():
    """Each row: the calibrated value of conf/params/calibrated.yaml, the search range of
    search.yaml, and a loss-profile range that holds the calibrated value."""
    values, (dims, _) = calibrated(), read_search()
    text = CALIBRATION.read_text(encoding="utf-8")
    rows = re.findall(
        rf"^\| (\w+) \| {NUMBER} \| (.+?) \| {NUMBER}\.\.{NUMBER} \| {NUMBER}\.\.{NUMBER} \|",
        text,
        re.MULTILINE,
    )
    by_name = {row[0]: row for row in rows if row[0] in values}
    assert set(by_name) == set(values), "every calibrated parameter has its row"
    for d in dims:
        _, value, search, _, _, low, high = by_name[d.name]
        check((value,), (values[d.name],))
        assert search == f"{d.low:.3g}..{d.high:.3g}" + (" (log)" if d.log else ""), d.name
        half = [0.5 * 10 ** -(len(q.split(".")[1]) if "." in q else 0) for q in (low, high)]
        assert float(low) - half[0] <= values[d.name] <= float(high) + half[1], (
            f"{d.name}: the profile range {low}..{high} leaves out the calibrated {values[d.name]}"
        )
    # the study's figures, from the header hedgesim-calibrate wrote, as the doc quotes them
    trials, loss_, passed, judged = quoted(
        CONF_DIR / "params" / "calibrated.yaml",
        rf"best of {NUMBER} trials .* loss {NUMBER}, {NUMBER}/{NUMBER} targets pass",
    )
    figures = quoted(CALIBRATION, rf"Calibrated values and their spread \(best {NUMBER} trials\)")
    check(figures, (math.ceil(0.05 * int(trials)),))
    figures = quoted(
        CALIBRATION, rf"re-checked on \d+ replicates: loss {NUMBER}, {NUMBER}/{NUMBER} targets pass"
    )
    check(figures, (float(loss_), int(passed), int(judged)))
