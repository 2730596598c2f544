"""The model: outputs, determinism, replicate independence, mechanisms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgesim import simulate, simulate_run
from hedgesim.config.compose import compose_config
from hedgesim.config.spec import build_run
from hedgesim.core.agents import updated_trust
from hedgesim.core.model import HedgingModel

REQUIRED = [
    "date",
    "replicate",
    "relations_eu",
    "relations_russia",
    "relations_ukraine",
    "relations_lithuania",
    "trust_blr_eu",
    "trust_eu_blr",
    "trust_blr_russia",
    "hedge_eu",
    "hedge_russia",
    "sanctions_persons",
    "tension",
    "trade_eu_turnover",
    "visa_facilitation",
    "partnership_priorities",
    "framework_agreement",
]


def test_tidy_table_has_one_row_per_replicate_and_month(small_run):
    df = small_run.trajectories
    assert set(REQUIRED) <= set(df.columns)
    assert len(df) == 40 * 144
    assert not df.duplicated(["replicate", "date"]).any()
    assert df["date"].min() == pd.Timestamp("2008-01-01") and df["date"].max() == pd.Timestamp("2019-12-01")
    assert df.select_dtypes("number").notna().all().all()


def test_outputs_stay_in_their_domains(small_run):
    df = small_run.trajectories
    hedge = df[["hedge_eu", "hedge_russia", "hedge_ukraine", "hedge_other"]]
    np.testing.assert_allclose(hedge.sum(axis=1), 1.0, atol=1e-9)
    assert (hedge >= 0).all().all()
    assert (df["hedge_russia"] >= df["russia_floor"] - 1e-9).all()
    for col in ("trust_blr_eu", "trust_eu_blr", "trust_blr_russia", "tension"):
        assert df[col].between(0, 1).all()
    assert df["sanctions_persons"].between(0, 243 + 1e-9).all()
    for col in ("relations_eu", "relations_russia"):
        assert (df[col] / 1.5 == (df[col] / 1.5).round()).all()  # whole events times the score


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = simulate(replicates=5, seed=3)
    b = simulate(replicates=5, seed=3)
    c = simulate(replicates=5, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["relations_eu"], c["relations_eu"])


@pytest.mark.parametrize("scenario", ["baseline", "forward_2030"])
def test_replicate_k_is_the_same_in_any_ensemble(scenario):
    big = simulate([f"scenario={scenario}"], replicates=300, seed=21)
    for k in (0, 137, 299):
        alone = simulate([f"scenario={scenario}", f"first_replicate={k}"], replicates=1, seed=21)
        mine = big[big["replicate"] == k].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone.reset_index(drop=True))


def test_crackdown_fills_the_sanctions_list():
    overrides = ["params.listing_rate=0.65", "params.repression_persistence=0.996"]
    df = simulate(overrides, replicates=5, seed=1).groupby("date").median(numeric_only=True)
    assert df.loc["2010-11-01", "sanctions_persons"] < 20
    assert df.loc["2011-06-01", "sanctions_persons"] > 200
    assert df.loc["2016-03-01", "sanctions_persons"] < 10


def test_switching_off_the_2010_crackdown_keeps_sanctions_low():
    df = simulate(["shocks.disabled_ids=[election-2010]"], replicates=10, seed=1)
    assert df["sanctions_persons"][df["date"] >= "2011-01-01"].max() < 50


def test_wars_raise_tension_and_the_russia_floor():
    overrides = ["params.war_impact=0.2", "params.tension_decay=0.01", "params.neutrality_threshold=0.5"]
    df = simulate(overrides, replicates=5, seed=1).groupby("date").median(numeric_only=True)
    before, after = df.loc["2013-12-01"], df.loc["2014-06-01"]
    assert after["tension"] > before["tension"] + 0.35
    assert after["russia_floor"] > before["russia_floor"] + 0.1


def test_oil_dispute_cuts_supply_and_trade():
    df = (
        simulate(["params.supply_recovery=0.15"], replicates=5, seed=1)
        .groupby("date")
        .median(numeric_only=True)
    )
    assert df.loc["2016-10-01", "oil_supply"] < 0.6
    assert df.loc["2016-10-01", "trade_eu_turnover"] < df.loc["2016-06-01", "trade_eu_turnover"]


def test_lithuania_blocks_partnership_priorities_when_concerned():
    spec = build_run(
        compose_config(
            [
                "params.priorities_open_offer=0.0",
                "params.priorities_months=12",
                "params.npp_concern_initial=0.9",
            ]
        )
    )
    model = HedgingModel(
        spec.calendar,
        spec.timeline,
        spec.params,
        spec.challenges,
        spec.stochastic,
        spec.oil_prices,
        seed=1,
        replicates=20,
    ).run()
    assert (model.trajectories()["partnership_priorities"].iloc[-20:] == "blocked").all()


def test_trust_falls_faster_than_it_grows():
    t = np.array([0.5])
    up = updated_trust(t, np.array([1.0]), np.array([0.0]), 0.035, 0.35, 0.05) - t
    down = t - updated_trust(t, np.array([0.0]), np.array([1.0]), 0.035, 0.35, 0.05)
    assert down[0] > 5 * up[0]


def test_more_vested_interests_mean_more_spoilers():
    calm = simulate(["challenges.vested_interests=0.0"], replicates=30, seed=2)
    spoiled = simulate(["challenges.vested_interests=1.0"], replicates=30, seed=2)
    late = lambda df: df[df["date"] >= "2017-01-01"]["trust_eu_blr"].mean()
    assert late(spoiled) < late(calm)


def test_event_log_names_a_driver_each_month(small_run):
    log = small_run.events
    assert len(log) == len(small_run.trajectories)
    assert set(log["driver"].cat.categories) == {"trust", "benefit", "risk", "floor"}
    crackdown = log[log["date"] == "2010-12-01"]["shock"]
    assert (crackdown == "the crackdown after the December 2010 election").all()


def test_stochastic_shocks_only_after_the_timeline():
    run = simulate_run(["scenario=forward_2030"], replicates=50, seed=5)
    log = run.events
    drawn = log[log["shock"].isin(["election ends in a crackdown", "oil dispute with Russia"])]
    assert not drawn.empty
    assert drawn["date"].min() > pd.Timestamp("2020-10-01")


def test_datacollector_keeps_ensemble_means_each_month(small_run):
    frame = small_run.model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 144
    assert frame["date"].iloc[0] == "2008-01" and frame["date"].iloc[-1] == "2019-12"
    monthly = small_run.trajectories.groupby("date")["hedge_eu"].mean().to_numpy()
    np.testing.assert_allclose(frame["mean_hedge_eu"].to_numpy(), monthly)
