"""Shocks that start in one month, dated or drawn: the event log and the classroom log name them all."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from hedgesim.app.eventlog import month_shocks
from hedgesim.app.narration import narrate, replicate_log, shock_kinds
from hedgesim.config.spec import run_of_size
from hedgesim.core.calendar import Month, RunCalendar
from hedgesim.core.model import HedgingModel
from hedgesim.core.shocks import StochasticShocks, Timeline
from hedgesim.workflows.run import build_model
from mesa_anchor import anchor_model

DISPUTE, WAR = "oil dispute with Russia", "a new war raises tension"
BOTH = f"{DISPUTE} + {WAR}"
TERRITORY, INVASION = (
    "Belarusian territory used for the invasion of Ukraine",
    "Russia's full-scale invasion of Ukraine",
)
ASTRAVETS = "unit 1 of Astravets in commercial operation"
EAP = "Belarus suspending its Eastern Partnership participation"


@pytest.fixture(scope="module")
def drawn_often() -> HedgingModel:
    """Two years of drawn shocks only, disputes and wars frequent enough to start together."""
    stochastic = StochasticShocks(
        start="2021-01", presidential_election="2021-06", energy_dispute_rate=0.5, war_rate=1.0
    )
    calendar = RunCalendar(Month(2021, 1), Month(2022, 12))
    model = HedgingModel(calendar, Timeline(), stochastic=stochastic, replicates=12, seed=5)
    while not model.finished:
        model.step()
    return model


def _both_start(model: HedgingModel) -> np.ndarray:
    """(month, replicate) of every month a drawn dispute and a drawn war start together, from
    the month's own states: a dispute starts when supply falls from full, a war when tension jumps."""
    supply = model.record.series("oil_supply")
    tension = model.record.series("tension")
    started = np.diff(supply, axis=0, prepend=1.0) < 0
    war = np.diff(tension, axis=0, prepend=tension[:1]) > 0.05
    return started & war


def test_the_event_log_names_a_dispute_and_a_war_of_one_month_both(drawn_often):
    log = drawn_often.event_log()
    assert drawn_often.record.series("shock").dtype == np.int8  # still a byte a replicate-month
    months, replicates = np.nonzero(_both_start(drawn_often))
    assert months.size > 0
    dates = drawn_often.calendar.dates()[months]
    rows = log.set_index(["date", "replicate"]).loc[list(zip(dates, replicates, strict=True))]
    assert set(rows["shock"]) == {BOTH}
    assert BOTH in log["shock"].cat.categories
    june = log[log["date"] == pd.Timestamp("2021-06")]  # the election month: every replicate has it
    assert all(str(label).startswith("a presidential election") for label in june["shock"])


def test_the_page_log_tells_each_of_them(drawn_often):
    months, replicates = np.nonzero(_both_start(drawn_often))
    month, position = int(months[-1]), int(replicates[-1])
    frame = replicate_log(drawn_often, position)
    assert frame["shocks"].iloc[month] == (DISPUTE, WAR)
    assert month_shocks(drawn_often, pd.Series([BOTH, None])) == [(DISPUTE, WAR), ()]
    date = f"{drawn_often.calendar.month_at(month)}:"
    (line,) = [x for x in narrate(frame, shock_kinds(drawn_often)) if x.startswith(date)]
    assert re.search(f"Russian crude deliveries fell [0-9]+% in an {DISPUTE}; {WAR} to 1.00;", line)
    without_shocks = frame.drop(columns="shocks")  # a log read from events.parquet
    (line_too,) = [x for x in narrate(without_shocks, shock_kinds(drawn_often)) if x.startswith(date)]
    assert line_too == line


@pytest.fixture(scope="module")
def history_overlapping() -> HedgingModel:
    """The dated history to 2024 with drawn shocks from 2021 on, beside the dated ones."""
    overrides = ["scenario=history_2024", "shocks.stochastic.start=2021-01"]
    overrides += ["shocks.stochastic.war_rate=1.0", "shocks.stochastic.energy_dispute_rate=0.5"]
    return build_model(run_of_size(overrides, 12, 5)).run()


def test_dated_shocks_of_one_month_are_named_together(history_overlapping):
    history = build_model(run_of_size(["scenario=history_2024"], 2, 5)).run()
    log = history.event_log()
    named = lambda month: set(log.loc[log["date"] == pd.Timestamp(month), "shock"])
    assert named("2021-06") == {f"{ASTRAVETS} + {EAP}"}
    assert named("2022-02") == {f"{TERRITORY} + {INVASION}"}
    frame = replicate_log(history, 0)
    month = history.calendar.step_of(Month(2022, 2))
    assert frame["shocks"].iloc[month] == (TERRITORY, INVASION)  # each once, in timeline order
    assert history.shock_codes.parts[f"{TERRITORY} + {INVASION}"] == (TERRITORY, INVASION)


def test_drawn_shocks_beside_dated_ones_are_named_with_them(history_overlapping):
    log = history_overlapping.event_log()
    invasion = log.loc[log["date"] == pd.Timestamp("2022-02"), "shock"]
    assert f"{TERRITORY} + {INVASION} + {WAR}" in set(invasion)
    assert all(label.startswith(f"{TERRITORY} + {INVASION}") for label in invasion)  # never hidden
    quiet = log.loc[log["date"] == pd.Timestamp("2021-03"), "shock"]
    assert set(quiet.dropna()) <= {DISPUTE, WAR, BOTH}  # no dated start: the drawn codes alone
    (position,) = np.nonzero((invasion == f"{TERRITORY} + {INVASION} + {WAR}").to_numpy())[0][:1]
    frame = replicate_log(history_overlapping, int(position))
    month = history_overlapping.calendar.step_of(Month(2022, 2))
    assert frame["shocks"].iloc[month] == (TERRITORY, INVASION, WAR)


def test_the_mesa_anchor_logs_the_same_codes(history_overlapping):
    spec = run_of_size(
        [
            "scenario=history_2024",
            "shocks.stochastic.start=2021-01",
            "shocks.stochastic.war_rate=1.0",
            "shocks.stochastic.energy_dispute_rate=0.5",
        ],
        4,
        5,
    )
    ensemble = build_model(spec).run()
    for k in range(4):
        table = anchor_model(spec, k).run().table()
        np.testing.assert_array_equal(table["shock"].to_numpy(), ensemble.record.series("shock")[:, k])
    labels = {ensemble.shock_labels[c] for c in ensemble.record.series("shock").ravel() if c >= 0}
    assert f"{TERRITORY} + {INVASION} + {WAR}" in labels or f"{ASTRAVETS} + {EAP} + {WAR}" in labels
