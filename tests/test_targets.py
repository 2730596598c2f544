"""The observed targets: their file, each measure on hand-made trajectories, the pass rules,
the ensemble bands and the naive forecasts."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import yaml

from hedgesim.analysis import measures
from hedgesim.analysis.bands import median_band, monthly_bands, observed_points, series_bands
from hedgesim.analysis.measures import Panel, statistic
from hedgesim.analysis.naive import naive_forecast
from hedgesim.analysis.pass_rules import Z_CAP, evaluate, judge, loss, pass_count
from hedgesim.analysis.targets import MEASURES, Target, TargetError, targets_from_mapping
from hedgesim.core.vocabulary import MILESTONE_NAMES
from hedgesim.workflows.targets_file import TARGETS_FILE, read_targets
from target_rows import level_row

MONTHS = pd.date_range("2008-01-01", "2020-12-01", freq="MS")


def frame(replicates: int = 4, **columns) -> pd.DataFrame:
    """Trajectories with every month of the reproduction run; a column is a function of (rep, date)."""
    rows = pd.DataFrame([(r, d) for r in range(replicates) for d in MONTHS], columns=["replicate", "date"])
    for name, fill in columns.items():
        rows[name] = [fill(r, d) for r, d in zip(rows["replicate"], rows["date"], strict=True)]
        if isinstance(rows[name].iloc[0], str):
            rows[name] = pd.Categorical(rows[name], categories=list(MILESTONE_NAMES))
    return rows


def target(**overrides) -> Target:
    return targets_from_mapping({"targets": [level_row("t", **overrides)]})[0]


def stat(traj: pd.DataFrame, **overrides) -> np.ndarray:
    return statistic(Panel(traj), target(**overrides))


# --- the targets file ------------------------------------------------------------------------


def test_targets_file_keeps_every_observed_row_with_its_source():
    data = yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8"))
    rows = data["targets"]
    assert len(rows) == 31  # the 30 rows of the observed table; one row names two facts
    assert len({(str(r["series"]), str(r["period"]), str(r["observed"])) for r in rows}) == 30
    assert all(r["source"] and r["confidence"] in ("high", "medium") for r in rows)
    loaded = read_targets()[: len(rows)]  # the file's rows first, then those coded from the record
    assert [t.id for t in loaded] == [r["id"] for r in rows]
    context = [t for t in loaded if not t.evaluate]
    assert {t.id for t in context} == {"trade_2000", "trade_2005", "trade_balance_2010", "trade_balance_2011"}
    assert all(t.reason for t in context) and all(t.role == "context" for t in context)


def test_tolerances_follow_confidence():
    by_id = {t.id: t for t in read_targets()}
    assert by_id["eu_2014_09"].tolerance < by_id["russia_2014_09"].tolerance  # high vs medium
    assert by_id["sanctions_2014_10"].tolerance < by_id["sanctions_2011_01"].tolerance
    shares = [t for t in by_id.values() if t.rule == "share"]
    assert all(t.tolerance == (0.33 if t.confidence == "high" else 0.5) for t in shares)


# --- measures ----------------------------------------------------------------------------------


def test_every_measure_a_target_may_name_has_a_statistic():
    assert set(measures.FUNCTIONS) == set(MEASURES)


def test_bimonthly_sums_two_months_of_the_period():
    traj = frame(relations_eu=lambda r, d: float(d.month + r))
    # Sep-Oct: (9 + r) + (10 + r)
    assert stat(traj).tolist() == [19.0, 21.0, 23.0, 25.0]
    # a span of two periods is their mean: Sep-Oct and Nov-Dec -> (19 + 23) / 2 for r = 0
    assert stat(traj, period="2012-09..2012-12")[0] == 21.0


def test_bimonthly_takes_the_lowest_of_several_series():
    traj = frame(relations_eu=lambda r, d: 5.0, relations_russia=lambda r, d: -1.0 * r)
    values = stat(traj, series=["relations_eu", "relations_russia"], reduce_series="min")
    assert values.tolist() == [0.0, -2.0, -4.0, -6.0]


def test_annual_mean_and_year_on_year_change():
    traj = frame(trade_eu_turnover=lambda r, d: 10.0 if d.year == 2014 else 7.5)
    assert stat(traj, series="trade_eu_turnover", measure="annual_mean", period="2014")[0] == 10.0
    change = stat(traj, series="trade_eu_turnover", measure="yoy_change", period="2015")
    assert change[0] == pytest.approx(-25.0)


def test_month_value_and_window_max():
    traj = frame(sanctions_persons=lambda r, d: float(d.year - 2000 + d.month))
    assert stat(traj, series="sanctions_persons", measure="month_value", period="2014-10-30")[0] == 24.0
    peak = stat(traj, series="sanctions_persons", measure="window_max", period="2012-03..2012-12")
    assert peak[0] == 24.0


class _NoMatmul(np.ndarray):
    """An array whose matrix product fails: BLAS's last bits differ between builds and processors."""

    def __matmul__(self, other):
        raise AssertionError("a measure called BLAS")


def test_row_slopes_are_exact_least_squares_without_blas():
    rng = np.random.default_rng(3)
    values = rng.integers(-40, 40, size=(5, 8)).astype(float) / 2  # half-points, as the index
    x = np.arange(8, dtype=float)
    slopes = measures.row_slopes(values.view(_NoMatmul), x)
    for row, slope in zip(values, slopes, strict=True):
        mean_y = sum(Fraction(v) for v in row) / 8
        exact = sum((Fraction(i) - Fraction(7, 2)) * (Fraction(v) - mean_y) for i, v in enumerate(row))
        assert slope == float(exact / sum((Fraction(i) - Fraction(7, 2)) ** 2 for i in range(8)))


def test_share_positive_and_slope():
    traj = frame(relations_eu=lambda r, d: float(d.year - 2015))  # negative before 2015, rising
    share = stat(
        traj,
        measure="share_positive",
        period="2013-01..2019-12",
        observed=">0",
        target_value=1.0,
        tolerance=0.1,
    )
    assert share[0] == pytest.approx(24 / 42)  # 2016-2019 periods are positive
    slope = stat(
        traj,
        measure="slope",
        period="2013-01..2019-12",
        rule="share",
        condition="> 0",
        observed=">0",
        tolerance=0.33,
    )
    assert slope[0] == pytest.approx(2.0 / 6.0, rel=0.05)  # 2 points a year per two-month sum


def test_lowest_year_and_peak_since():
    traj = frame(
        relations_eu=lambda r, d: (
            -5.0 if d.year == 2011 else (9.0 if d == pd.Timestamp("2015-01-01") else 1.0)
        )
    )
    lowest = stat(
        traj,
        measure="lowest_year",
        period="2011-01..2011-12",
        rule="share",
        condition="< 0",
        observed="lowest",
        tolerance=0.33,
    )
    assert lowest[0] == pytest.approx(-10.0 - 2.0)  # 2011 two-month sums -10 vs 2 elsewhere
    peak = stat(
        traj,
        measure="peak_since",
        period="2015-01..2015-02",
        since="2011-01",
        rule="share",
        condition="> 0",
        observed="peak",
        tolerance=0.5,
    )
    assert peak[0] == pytest.approx(10.0 - 2.0)


def test_most_positive_counts_periods_where_the_first_series_leads():
    traj = frame(
        relations_eu=lambda r, d: 3.0,
        relations_russia=lambda r, d: 5.0 if d.year < 2018 else -1.0,
        relations_ukraine=lambda r, d: 0.0,
    )
    share = stat(
        traj,
        series=["relations_eu", "relations_russia", "relations_ukraine"],
        measure="most_positive",
        period="2015-10..2019-12",
        rule="share",
        condition=">= 0.25",
        observed="some",
        tolerance=0.33,
    )
    assert share[0] == pytest.approx(12 / 26)  # 2018-2019 of the 26 periods Sep-Oct 2015 .. Nov-Dec 2019


def test_milestone_date_and_state():
    concluded_from = {0: "2019-07-01", 1: "2020-01-01", 2: "2021-01-01", 3: "2020-06-01"}

    def visa(r, d):
        return "concluded" if d >= pd.Timestamp(concluded_from[r]) else "negotiating"

    traj = frame(
        visa_facilitation=visa, partnership_priorities=lambda r, d: "blocked" if r < 3 else "negotiating"
    )
    months = stat(
        traj,
        series="visa_facilitation",
        measure="months_to_state",
        state="concluded",
        period="2020-01-08",
        observed="signed",
        target_value=0,
        tolerance=12,
    )
    assert months.tolist() == [-6.0, 0.0, math.inf, 5.0]
    blocked = stat(
        traj,
        series="partnership_priorities",
        measure="state_in",
        states=["blocked"],
        period="2020-01",
        rule="share",
        condition="> 0",
        observed="not_concluded",
        tolerance=0.33,
    )
    assert blocked.tolist() == [1.0, 1.0, 1.0, 0.0]


# --- judging -------------------------------------------------------------------------------------


def test_level_rule_passes_within_tolerance_of_the_median_only():
    t = target()
    assert judge(t, np.array([10.0, 16.0, 17.0]))["passed"]  # median 16, |16 - 22| = 6
    row = judge(t, np.array([10.0, 15.0, 40.0]))  # median 15: one lucky replicate does not help
    assert not row["passed"] and row["z"] == pytest.approx(-7 / 6)
    assert row["q05"] < row["median"] < row["q95"]


def test_share_rule_needs_the_share_of_replicates():
    t = target(rule="share", condition="> 0", observed=">0", tolerance=0.33)
    assert judge(t, np.array([1.0, 1.0, 1.0, -1.0]))["passed"]  # 75% >= 67%
    row = judge(t, np.array([1.0, 1.0, -1.0]))  # 66.7% < 67%
    assert not row["passed"] and row["share"] == pytest.approx(2 / 3)
    assert row["z"] == pytest.approx((1 - 2 / 3) / 0.33)


def test_rules_read_as_words_with_their_units():
    index = "index_pts_per_2_months"
    assert target(unit=index).describe_rule() == "median index within 6 of 22 points per two months"
    share = target(
        rule="share",
        condition="< 0",
        observed="down",
        tolerance=0.5,
        measure="change_since",
        previous="2014-07..2014-08",
        unit=index,
    )
    assert share.describe_rule() == (
        "change since 2014-07..2014-08 < 0 points per two months in at least 50% of replicates"
    )
    visa = target(
        series="visa_facilitation",
        measure="months_to_state",
        observed="signed",
        target_value=0,
        tolerance=12,
        period="2020-01",
        unit="date",
    )
    assert visa.describe_rule() == "median month concluded within 12 months of 2020-01"
    assert visa.statistic_unit().startswith("months after 2020-01 (the observed date")
    rules = [t.describe_rule() for t in read_targets()]
    assert not [r for r in rules if "statistic" in r or "|median" in r], "every rule says what it measures"


def test_never_reached_milestone_fails_with_infinite_error_and_capped_loss():
    t = target(
        series="visa_facilitation",
        measure="months_to_state",
        observed="signed",
        target_value=0,
        tolerance=12,
        period="2020-01",
    )
    row = judge(t, np.array([math.inf, math.inf, 3.0]))
    assert not row["passed"] and math.isinf(row["z"])
    assert loss(pd.DataFrame([row])) == Z_CAP**2


def test_loss_and_pass_count_on_a_hand_built_table():
    share = target(rule="share", condition="> 0", observed=">0", tolerance=0.5)
    never = target(
        series="visa_facilitation",
        measure="months_to_state",
        observed="signed",
        target_value=0,
        tolerance=12,
        period="2020-01",
    )
    rows = [
        judge(target(), np.array([20.0, 25.0, 30.0])),  # median 25: z = 3 / 6 = 0.5, passes
        judge(target(), np.array([16.0, 16.0, 16.0])),  # z = -1: on the edge, passes
        judge(target(), np.array([34.0, 34.0, 40.0])),  # z = 2, fails
        judge(share, np.array([1.0, -1.0, -1.0, -1.0])),  # share 0.25: z = 0.75 / 0.5 = 1.5, fails
        judge(never, np.array([math.inf, math.inf, 3.0])),  # z = inf, capped at 10, fails
    ]
    table = pd.DataFrame(rows)
    assert table["z"].tolist() == [0.5, -1.0, 2.0, 1.5, math.inf]
    assert table["passed"].tolist() == [True, True, False, False, False]
    assert pass_count(table) == 2
    assert loss(table) == pytest.approx((0.5**2 + 1.0 + 2.0**2 + 1.5**2 + Z_CAP**2) / 5)  # 21.5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"measure": "median_of_everything"}, "measure='median_of_everything'"),
        ({"rule": "vibes"}, "rule='vibes'"),
        ({"tolerance": 0}, "tolerance=0"),
        ({"rule": "share", "condition": "> 0", "tolerance": 1.5}, "tolerance=1.5"),
        ({"rule": "share", "condition": "about zero", "tolerance": 0.5}, "condition='about zero'"),
        ({"period": "autumn 2014"}, "period='autumn 2014'"),
        ({"observed": "high"}, "observed='high'"),
        ({"colour": "red"}, "unknown key"),
    ],
)
def test_bad_target_definitions_name_the_key(change, message):
    with pytest.raises(TargetError, match=message.replace("(", r"\(")):
        target(**change)


def test_duplicated_ids_are_refused():
    row = {
        "id": "a",
        "series": "relations_eu",
        "period": "2014-09",
        "observed": 1,
        "source": "s",
        "confidence": "high",
        "measure": "bimonthly",
        "rule": "level",
        "tolerance": 1,
    }
    with pytest.raises(TargetError, match="duplicated"):
        targets_from_mapping({"targets": [row, dict(row)]})


def test_a_month_outside_the_run_is_a_clear_error():
    traj = frame(sanctions_persons=lambda r, d: 1.0)
    with pytest.raises(TargetError, match="outside the run"):
        stat(traj, series="sanctions_persons", measure="month_value", period="2023-01")


# --- naive forecasts and the figure's tables -------------------------------------------------------


def test_persistence_freezes_and_trend_extends_each_replicate():
    traj = frame(
        trade_eu_turnover=lambda r, d: 1.0 + r + 0.5 * ((d.year - 2008) * 12 + d.month - 1),
        visa_facilitation=lambda r, d: "negotiating" if d.year < 2015 else "concluded",
    )
    held = naive_forecast(traj, "persistence")
    after = held[held["date"] > "2010-12-01"]
    assert (after.groupby("replicate")["trade_eu_turnover"].nunique() == 1).all()
    assert set(after["visa_facilitation"]) == {"negotiating"}
    trend = naive_forecast(traj, "linear_trend")
    pd.testing.assert_series_equal(trend["trade_eu_turnover"], traj["trade_eu_turnover"], check_exact=False)
    with pytest.raises(ValueError, match="method='magic'"):
        naive_forecast(traj, "magic")


def test_median_band_interpolates_and_takes_order_statistics_past_infinity():
    median, low, high = median_band(np.arange(101.0))
    assert (median, low, high) == (50.0, 5.0, 95.0)
    assert median_band(np.arange(101.0), 0.1, 0.9)[1:] == (10.0, 90.0)
    # a milestone never reached: no interpolation towards infinity, the band's values are replicates'
    median, low, high = median_band(np.array([1.0, 2.0, 3.0, math.inf]))
    assert (median, low, high) == (2.5, 1.0, math.inf)
    matrix = np.array([[0.0, 10.0], [1.0, 20.0], [2.0, 30.0]])  # replicate x month
    assert [m.tolist() for m in median_band(matrix, 0.0, 1.0)] == [[1.0, 20.0], [0.0, 10.0], [2.0, 30.0]]


def test_monthly_bands_follow_each_month_over_the_replicates_in_any_row_order():
    traj = frame(replicates=5, hedge_eu=lambda r, d: r + d.year - 2008.0)
    shuffled = traj.sample(frac=1.0, random_state=1)
    bands = monthly_bands(shuffled, ["hedge_eu"], 0.25, 0.75)
    assert bands.columns.tolist() == ["series", "date", "median", "low", "high"]
    assert bands["date"].tolist() == list(MONTHS)
    years = bands["date"].dt.year - 2008.0
    assert (bands["median"] == years + 2).all()  # replicates 0..4: median 2, quartiles 1 and 3
    assert (bands["low"] == years + 1).all() and (bands["high"] == years + 3).all()


def test_bands_and_observed_points_share_their_dates():
    traj = frame(
        relations_eu=lambda r, d: float(r),
        sanctions_persons=lambda r, d: 10.0 * r,
        trade_eu_turnover=lambda r, d: 20.0,
    )
    bands = series_bands(traj)
    assert set(bands["series"]) == {"relations_eu", "sanctions_persons", "trade_eu_turnover"}
    eu = bands[bands["series"] == "relations_eu"]
    assert len(eu) == 13 * 6  # two-month sums 0, 2, 4, 6 over the four replicates, every period
    assert eu["median"].eq(3.0).all()
    assert np.allclose(eu["q05"], 0.3) and np.allclose(eu["q95"], 5.7)
    sanctions = bands[bands["series"] == "sanctions_persons"]
    assert len(sanctions) == len(MONTHS) and sanctions["median"].eq(15.0).all()
    points = observed_points(read_targets())
    eu_points = points[points["series"] == "relations_eu"]
    assert set(eu_points["start"]).issubset(set(eu["date"]))
    trade = bands[bands["series"] == "trade_eu_turnover"]
    assert set(points.loc[points["series"] == "trade_eu_turnover", "start"]).issubset(set(trade["date"]))


# --- on the model --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_runs():
    from hedgesim.api import simulate

    base = simulate(["scenario=reproduce"], replicates=30, seed=3)
    richer = simulate(["scenario=reproduce", "params.trade_non_oil=9"], replicates=30, seed=3)
    return base, richer


def test_every_evaluated_target_gets_one_row_on_a_model_run(model_runs):
    base, _ = model_runs
    targets = read_targets()
    table = evaluate(base, targets)
    assert table["id"].tolist() == [t.id for t in targets if t.evaluate]
    assert table["passed"].dtype == bool
    level = table["share"].isna()
    assert level.tolist() == [t.rule == "level" for t in targets if t.evaluate]
    assert ((table["q05"] <= table["median"]) & (table["median"] <= table["q95"])).all()


def test_a_parameter_moves_its_target(model_runs):
    from hedgesim.config.compose import compose_config

    base, richer = model_runs
    configured = compose_config(["scenario=reproduce"]).params.trade_non_oil
    targets = [t for t in read_targets() if t.id == "trade_2010"]
    low = evaluate(base, targets)["median"].iloc[0]
    high = evaluate(richer, targets)["median"].iloc[0]
    assert high - low == pytest.approx(9.0 - configured, abs=1e-6)  # non-oil turnover adds one for one
