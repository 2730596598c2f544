"""The evidence record as targets: the Foreign Policy Index coder, the trade-share mapping, how
both join the targets file (one judged target per fact, unique ids), the change measure they
need, and the classes that decide what counts as evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from hedgesim.analysis.bfpi import FLAT, bfpi_targets
from hedgesim.analysis.measures import Panel, statistic
from hedgesim.analysis.pass_rules import judge, loss, of_class, pass_count, single_value_bands
from hedgesim.analysis.record import by_class, record_targets
from hedgesim.analysis.targets import Target, TargetError, required_span, targets_from_mapping
from hedgesim.analysis.trade_shares import trade_share_targets
from hedgesim.workflows.targets_file import TARGETS_FILE, InputError, read_targets
from target_rows import level_row


def row(issue: int, period: str, vector: str, **fields) -> dict:
    return {"issue": issue, "period": period, "vector": vector, "status": "found", "basis": "b"} | fields


BFPI = {
    "bfpi": [
        row(1, "2011-01..2011-03", "eu", zone="negative_zone", zone_basis="from No7", confidence="medium"),
        row(1, "2011-01..2011-03", "russia", zone="positive_zone", confidence="low"),
        {"issue": 1, "period": "2011-01..2011-03", "vector": "ukraine", "status": "not_found"},
        row(2, "2011-04..2011-05", "eu", direction="down", zone="negative_zone", confidence="medium"),
        row(2, "2011-04..2011-05", "other", direction="up", confidence="medium"),
        {"issue": 3, "period": "2011-06..2011-08", "vector": "eu", "status": "not_found"},
        row(4, "2011-09..2011-10", "eu", level=22, direction="up", zone="positive_zone", confidence="high"),
        row(4, "2011-09..2011-10", "russia", direction="flat", confidence="medium"),
        row(4, "2011-09..2011-10", "ukraine", direction="mixed", confidence="medium"),
        row(5, "2011-11..2011-12", "eu", direction="break_even", confidence="medium"),
        row(5, "2011-11..2011-12", "russia", direction="peak_since", since="2010-12", confidence="medium"),
        row(5, "2011-11..2011-12", "ukraine", direction="record_high", confidence="high"),
        row(6, "2012-01..2012-02", "eu", level=-15, direction="down", confidence="high"),
    ]
}


@pytest.fixture(scope="module")
def coded():
    return {t.id: t for t in bfpi_targets(BFPI, covered={(6, "eu")})}


def test_every_found_fact_becomes_one_target_and_not_found_rows_none(coded):
    assert list(coded) == [
        "bfpi01_eu_negative",
        "bfpi01_russia_positive",
        "bfpi02_eu_down",
        "bfpi02_eu_negative",
        "bfpi02_other_up",
        "bfpi04_eu_level",
        "bfpi04_eu_up",  # no zone target: the stated level fixes the sign
        "bfpi04_russia_flat",
        "bfpi04_ukraine_mixed",
        "bfpi05_eu_break_even",
        "bfpi05_russia_peak_since",
        "bfpi05_ukraine_record_high",
        "bfpi06_eu_down",  # the level is judged by a targets-file row (covered)
    ]


def test_a_stated_level_is_a_level_rule_with_the_tolerance_of_its_confidence(coded):
    level = coded["bfpi04_eu_level"]
    assert (level.series, level.measure, level.rule) == (("relations_eu",), "bimonthly", "level")
    assert level.reference == 22
    assert level.tolerance == 6 and level.role == "evidence" and level.period.label == "2011-09..2011-10"
    even = coded["bfpi05_eu_break_even"]
    assert (even.rule, even.reference, even.tolerance) == ("level", 0.0, 8)


def test_directions_compare_with_the_previous_issue_even_when_it_was_not_found(coded):
    down = coded["bfpi02_eu_down"]
    assert (down.measure, down.condition, down.tolerance) == ("change_since", "< 0", 0.5)
    assert down.options["previous"] == "2011-01..2011-03"
    up = coded["bfpi04_eu_up"]
    assert (up.condition, up.tolerance, up.options["previous"]) == ("> 0", 0.33, "2011-06..2011-08")
    flat = coded["bfpi04_russia_flat"]
    assert flat.options["absolute"] is True and flat.condition == f"<= {FLAT:g}"


def test_zones_are_the_sign_of_the_period_index(coded):
    negative = coded["bfpi01_eu_negative"]
    assert (negative.measure, negative.rule, negative.condition) == ("bimonthly", "share", "< 0")
    assert "from No7" in negative.source  # a sign implied by another issue names it


def test_extremes_use_the_peak_measure_over_the_index_span(coded):
    peak, record = coded["bfpi05_russia_peak_since"], coded["bfpi05_ukraine_record_high"]
    assert peak.measure == record.measure == "peak_since"
    assert peak.options["since"] == record.options["since"] == "2011-01"  # BFPI has no value before No1
    assert record.tolerance == 0.33 and peak.tolerance == 0.5


def test_low_confidence_other_vector_and_mixed_rows_are_context_with_a_reason(coded):
    context = {i: t for i, t in coded.items() if t.role == "context"}
    assert set(context) == {"bfpi01_russia_positive", "bfpi02_other_up", "bfpi04_ukraine_mixed"}
    assert all(not t.evaluate for t in context.values())
    assert "low confidence" in context["bfpi01_russia_positive"].reason
    assert "no relations index" in context["bfpi02_other_up"].reason
    assert "opposite movements" in context["bfpi04_ukraine_mixed"].reason


def test_a_covered_pair_must_have_a_fact_to_cover():
    with pytest.raises(TargetError, match="No3 eu"):
        bfpi_targets(BFPI, covered={(3, "eu")})  # not found
    with pytest.raises(TargetError, match="No4 russia"):
        bfpi_targets(BFPI, covered={(4, "russia")})  # only a direction


TRADE = {
    "trade_shares": [
        {"year": 2012, "status": "not_found"},
        {
            "year": 2013,
            "measure": "turnover",
            "shares": {"russia": 49, "eu": 27, "ukraine": None, "rest": None},
            "basis": "Russia 49%, EU 27%",
            "source": "https://www.example.org/a",
            "confidence": "medium",
            "status": "found",
        },
        {
            "year": 2014,
            "measure": "exports",
            "shares": {"russia": [40, 45]},
            "basis": "Russia 40-45% of exports",
            "source": "https://example.org/b",
            "confidence": "low",
            "status": "found",
        },
        {
            "year": 2017,
            "measure": "turnover",
            "shares": {"russia": 51.1, "ukraine": 7.2},
            "derived": {"shares": {"eu": 22.9, "rest": 18.8}, "confidence": "low"},
            "basis": "Russia 51.1%",
            "source": "http://example.org/c",
            "confidence": "high",
            "status": "found",
        },
    ]
}


def test_turnover_shares_are_levels_on_the_engagement_weights():
    shares = {t.id: t for t in trade_share_targets(TRADE)}
    evidence = {i: t for i, t in shares.items() if t.role == "evidence"}
    assert set(evidence) == {
        "trade_share_2013_turnover_russia",
        "trade_share_2013_turnover_eu",
        "trade_share_2017_turnover_russia",
        "trade_share_2017_turnover_ukraine",
    }
    russia = evidence["trade_share_2013_turnover_russia"]
    assert (russia.series, russia.measure, russia.rule) == (("hedge_russia",), "annual_mean", "level")
    assert russia.reference == pytest.approx(0.49) and russia.tolerance == 0.08
    assert russia.period.label == "2013-01..2013-12" and "example.org" in russia.source
    assert evidence["trade_share_2017_turnover_ukraine"].tolerance == 0.05


def test_export_shares_and_derived_shares_are_context():
    shares = {t.id: t for t in trade_share_targets(TRADE)}
    exports = shares["trade_share_2014_exports_russia"]
    assert exports.role == "context" and "exports only" in exports.reason
    assert exports.reference == pytest.approx(0.425)  # a range is read at its middle
    rest = shares["trade_share_2017_turnover_rest_derived"]
    assert rest.series == ("hedge_other",) and rest.role == "context" and "derived" in rest.reason


FILE = {
    "targets": [
        {
            "id": "eu_2012_01",
            "series": "relations_eu",
            "period": "2012-01..2012-02",
            "observed": -15,
            "source": "Belarus Foreign Policy Index No6",
            "confidence": "high",
            "bfpi": ["No6 eu"],
            "measure": "bimonthly",
            "rule": "level",
            "tolerance": 6,
        }
    ]
}


def test_the_record_joins_the_file_and_counts_a_covered_fact_once():
    targets = record_targets(FILE, BFPI, TRADE)
    ids = [t.id for t in targets]
    assert ids[0] == "eu_2012_01" and "bfpi06_eu_level" not in ids and "bfpi06_eu_down" in ids
    assert len(ids) == len(set(ids)) == 1 + 13 + 7
    groups = by_class(targets)
    assert len(groups["evidence"]) == 1 + 10 + 4 and len(groups["context"]) == 3 + 3
    clash = {"targets": [FILE["targets"][0] | {"id": "bfpi06_eu_down", "bfpi": []}]}
    with pytest.raises(TargetError, match="duplicated"):
        record_targets(clash, BFPI)


def test_a_targets_file_names_its_record_files_beside_it(tmp_path):
    (tmp_path / "index.yaml").write_text(yaml.safe_dump(BFPI))
    (tmp_path / "targets.yaml").write_text(yaml.safe_dump(FILE | {"record": {"bfpi": "index.yaml"}}))
    assert len(read_targets(tmp_path / "targets.yaml")) == 1 + 13
    (tmp_path / "bare.yaml").write_text(yaml.safe_dump(FILE))
    assert [t.id for t in read_targets(tmp_path / "bare.yaml")] == ["eu_2012_01"]
    (tmp_path / "odd.yaml").write_text(yaml.safe_dump(FILE | {"record": {"polls": "x.yaml"}}))
    with pytest.raises(InputError, match="record="):
        read_targets(tmp_path / "odd.yaml")


def test_the_shipped_record_judges_each_fact_once():
    targets = read_targets()
    ids = {t.id for t in targets}
    assert len(ids) == len(targets)
    for duplicate in (
        "bfpi07_eu_break_even",  # eu_breaks_even_2012
        "bfpi08_eu_positive",  # all_vectors_positive_2012
        "bfpi22_eu_level",  # eu_2014_09
        "bfpi24_eu_peak_since",  # eu_peak_2015_01
        "bfpi34_eu_level",  # eu_2016_09
        "bfpi34_russia_level",  # russia_2016_09
    ):
        assert duplicate not in ids
    assert {"bfpi22_eu_up", "bfpi34_russia_down", "bfpi10_ukraine_level"} <= ids
    other = [t for t in targets if t.series == ("relations_other",)]
    assert other and all(t.role == "context" for t in other)
    assert all(t.role == "context" for t in targets if t.confidence == "low")
    assert TARGETS_FILE.name == "targets.yaml"


# --- the change measure and the classes ------------------------------------------------------------

MONTHS = pd.date_range("2008-01-01", "2020-12-01", freq="MS")


def frame(replicates: int = 4, **columns) -> pd.DataFrame:
    """Trajectories with every month of the reproduction run; a column is a function of (rep, date)."""
    rows = pd.DataFrame([(r, d) for r in range(replicates) for d in MONTHS], columns=["replicate", "date"])
    for name, fill in columns.items():
        rows[name] = [fill(r, d) for r, d in zip(rows["replicate"], rows["date"], strict=True)]
    return rows


def target(**overrides) -> Target:
    return targets_from_mapping({"targets": [level_row("t", **overrides)]})[0]


def stat(traj: pd.DataFrame, **overrides) -> np.ndarray:
    return statistic(Panel(traj), target(**overrides))


def test_the_file_classes_the_targets_a_parameter_is_set_from_as_fitted():
    by_id = {t.id: t for t in read_targets()}
    fitted = {i for i, t in by_id.items() if t.role == "fitted"}
    # the October 2015 count is evidence of Belarus's release rule (no parameter is set from it)
    sanctions = {i for i in by_id if i.startswith("sanctions_")} - {"sanctions_2015_10"}
    trade = {i for i, t in by_id.items() if t.series == ("trade_eu_turnover",) and t.evaluate}
    assert fitted == sanctions | trade | {"visa_signed_2020_01", "priorities_blocked_2020_01"}
    assert all(by_id[i].reason and by_id[i].evaluate for i in fitted)
    assert by_id["framework_not_started_2020_01"].role == "evidence"
    assert by_id["eu_2014_09"].role == "evidence" and by_id["eu_2014_09"].reason == ""


def test_change_since_compares_two_periods_in_points_per_two_months():
    traj = frame(relations_eu=lambda r, d: float(d.month * (r + 1)))  # replicate 0: 1 .. 12 a month
    change = stat(
        traj,
        measure="change_since",
        period="2013-05..2013-06",
        previous="2013-03..2013-04",
        rule="share",
        condition="> 0",
        observed="up",
        tolerance=0.5,
    )
    assert change.tolist() == [4.0, 8.0, 12.0, 16.0]  # (5 + 6) - (3 + 4) = 4 for replicate 0
    size = stat(
        traj,
        measure="change_since",
        period="2013-01..2013-02",
        previous="2012-11..2012-12",
        absolute=True,
        rule="share",
        condition="<= 6",
        observed="flat",
        tolerance=0.5,
    )
    assert size.tolist() == [20.0, 40.0, 60.0, 80.0]  # |(1 + 2) - (11 + 12)|
    with pytest.raises(TargetError, match="previous=None"):
        target(measure="change_since", rule="share", condition="> 0", observed="up", tolerance=0.5)


def test_the_run_must_cover_the_period_a_change_is_taken_against():
    change = target(
        measure="change_since",
        period="2011-04..2011-05",
        previous="2011-01..2011-03",
        rule="share",
        condition="< 0",
        observed="down",
        tolerance=0.5,
    )
    assert required_span([change, target()]) == (pd.Timestamp("2011-01-01"), pd.Timestamp("2014-10-01"))


def test_a_period_off_the_two_month_grid_is_read_from_its_own_months():
    traj = frame(relations_eu=lambda r, d: float(d.month))
    # No1 covers January-March 2011: (1 + 2 + 3) / 3 months, scaled to two months = 4
    assert stat(traj, period="2011-01..2011-03")[0] == pytest.approx(4.0)
    # No2 covers April-May: 4 + 5, not the mean of the Mar-Apr and May-Jun sums
    assert stat(traj, period="2011-04..2011-05")[0] == pytest.approx(9.0)
    with pytest.raises(TargetError, match="not fully simulated"):
        stat(traj, period="2020-11..2021-02")


@pytest.mark.parametrize(
    ("change", "role", "evaluated"),
    [
        ({}, "evidence", True),
        ({"class": "fitted", "reason": "a parameter is set from it"}, "fitted", True),
        ({"class": "context", "reason": "outside the run"}, "context", False),
        ({"evaluate": False, "reason": "outside the run"}, "context", False),
    ],
)
def test_a_class_says_whether_a_target_is_judged(change, role, evaluated):
    t = target(**change)
    assert (t.role, t.evaluate) == (role, evaluated)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"class": "anecdote"}, "class='anecdote'"),
        ({"class": "fitted"}, "reason: missing"),
        ({"class": "context", "evaluate": True, "reason": "r"}, "class context with evaluate: True"),
        ({"class": "evidence", "evaluate": False}, "class evidence with evaluate: False"),
    ],
)
def test_bad_classes_name_the_key(change, message):
    with pytest.raises(TargetError, match=message):
        target(**change)


def test_evidence_counts_and_single_value_bands_on_a_hand_built_table():
    fitted = target(id="f", **{"class": "fitted", "reason": "r"})
    rows = [
        judge(target(id="a"), np.array([20.0, 22.0, 24.0])),  # passes, a spread band
        judge(target(id="b"), np.array([40.0, 40.0, 40.0])),  # fails, one value
        judge(fitted, np.array([22.0, 22.0, 22.0])),  # passes, one value, not evidence
    ]
    table = pd.DataFrame(rows)
    evidence = of_class(table)
    assert evidence["id"].tolist() == ["a", "b"] and pass_count(evidence) == 1
    assert of_class(table, "fitted")["id"].tolist() == ["f"]
    assert single_value_bands(table) == ["b", "f"] and single_value_bands(evidence) == ["b"]
    assert loss(evidence) == pytest.approx((0**2 + 3**2) / 2)
