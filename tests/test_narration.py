"""The classroom page's narration: why Belarus moved, told from a replicate's event log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgesim.app.narration import MonthRecord, narrate, replicate_log, sentence, shock_kinds
from hedgesim.app.settings import settings_from_inputs
from hedgesim.workflows.run import run_spec


def _record(**changes) -> MonthRecord:
    quiet = dict(
        date="2014-03",
        shock=None,
        kind=None,
        partner="eu",
        change=0.0,
        driver="risk",
        tension=0.3,
        tension_change=0.0,
        supply=1.0,
        supply_change=0.0,
        sanctions=4.0,
        sanctions_change=0.0,
        prisoners_change=0.0,
    )
    return MonthRecord(**{**quiet, **changes})


# --- narration: why did Belarus move -------------------------------------------------------


def test_sentence_follows_the_log_and_the_state():
    war = _record(shock="the annexation of Crimea", kind="war", tension_change=0.3, change=0.008)
    assert sentence(war) == (
        "2014-03: tension rose after the annexation of Crimea; "
        "Belarus raised its EU weight to spread risk (+0.8 points)"
    )
    calm_war = _record(shock="the annexation of Crimea", kind="war", tension_change=0.0, change=0.008)
    assert sentence(calm_war).startswith("2014-03: the annexation of Crimea;")
    trust = _record(partner="russia", change=-0.02, driver="trust")
    assert (
        sentence(trust)
        == "2014-03: Belarus lowered its Russia weight as its trust in Russia fell (-2.0 points)"
    )
    floor = _record(partner="russia", change=0.015, driver="floor")
    assert "as the alliance floor rose with tension" in sentence(floor)
    assert sentence(_record(change=0.001)) is None  # a quiet month is not told
    sanctions = _record(sanctions=159.0, sanctions_change=155.0)
    assert sentence(sanctions) == "2014-03: the EU widened its sanctions to 159 persons"
    dispute = _record(
        shock="a dispute",
        kind="oil_dispute",
        supply=0.5,
        supply_change=-0.5,
        change=-0.01,
        driver="benefit",
        partner="russia",
    )
    assert sentence(dispute) == (
        "2014-03: Russian crude deliveries fell 50% with a dispute; "
        "Belarus lowered its Russia weight as ties with Russia paid less (-1.0 points)"
    )


@pytest.fixture(scope="module")
def small_page_run():
    settings = settings_from_inputs(0.5, 0.5, 0.3, "3", "20101219")
    ((_, spec),) = settings.runs()
    return run_spec(spec)


def test_replicate_log_is_the_models_own_event_log(small_page_run):
    model = small_page_run
    ours = replicate_log(model, 1)
    log = model.event_log()
    theirs = log[log["replicate"] == model.replicate_ids[1]].reset_index(drop=True)
    assert len(ours) == len(theirs) == model.calendar.n_steps
    for column in ("moved_partner", "driver"):
        assert list(ours[column]) == list(theirs[column].astype(str))
    np.testing.assert_allclose(ours["weight_change"], theirs["weight_change"])
    assert list(ours["shock"].fillna("-")) == list(theirs["shock"].astype(object).fillna("-"))
    state = model.trajectories()
    state = state[state["replicate"] == model.replicate_ids[1]].reset_index(drop=True)
    np.testing.assert_allclose(ours["tension"], state["tension"])


def test_narration_tells_every_logged_shock_in_date_order(small_page_run):
    model = small_page_run
    frame = replicate_log(model, 0)
    lines = narrate(frame, shock_kinds(model))
    dates = [line[:7] for line in lines]
    assert dates == sorted(dates) and len(lines) > 10
    shocks = frame.iloc[1:].dropna(subset=["shock"])
    for row in shocks.itertuples():
        told = [line for line in lines if line.startswith(f"{row.date:%Y-%m}:")]
        assert told and row.shock in told[0]
    crimea = next(line for line in lines if "the annexation of Crimea" in line)
    assert crimea.startswith("2014-02: tension rose after the annexation of Crimea; Belarus ")


def test_steady_months_are_told_as_one_stretch():
    dates = pd.date_range("2016-01-01", periods=6, freq="MS")
    frame = pd.DataFrame(
        {
            "date": dates,
            "replicate": 0,
            "moved_partner": "eu",
            "driver": "benefit",
            "weight_change": [0.0, 0.02, 0.02, 0.02, -0.02, 0.02],
            "shock": [None, None, None, "a summit", None, None],
            "tension": 0.3,
            "oil_supply": 1.0,
            "sanctions_persons": 4.0,
            "political_prisoners": 0.0,
        }
    )
    lines = narrate(frame, {"a summit": "institutional"})
    assert lines == [
        "2016-02 to 2016-03: Belarus kept raising its EU weight as ties with the EU paid more "
        "(+4.0 points over 2 months)",
        "2016-04: a summit; Belarus raised its EU weight as ties with the EU paid more (+2.0 points)",
        "2016-05: Belarus lowered its EU weight as ties with the EU paid less (-2.0 points)",
        "2016-06: Belarus raised its EU weight as ties with the EU paid more (+2.0 points)",
    ]


def test_narration_changes_with_the_replicate_log(small_page_run):
    frame = replicate_log(small_page_run, 0)
    kinds = shock_kinds(small_page_run)
    moved = frame.copy()
    moved.loc[100, ["weight_change", "moved_partner", "driver"]] = [0.05, "ukraine", "trust"]
    line = next(x for x in narrate(moved, kinds) if x.startswith(f"{moved.loc[100, 'date']:%Y-%m}"))
    assert "Belarus raised its Ukraine weight as its trust in Ukraine grew (+5.0 points)" in line
