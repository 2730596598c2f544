"""Drawn shocks that start in one month: the event log and the classroom log name them all."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from hedgesim.app.eventlog import month_shocks
from hedgesim.app.narration import narrate, replicate_log, shock_kinds
from hedgesim.core.calendar import Month, RunCalendar
from hedgesim.core.model import HedgingModel
from hedgesim.core.shocks import StochasticShocks, Timeline

DISPUTE, WAR = "oil dispute with Russia", "a new war raises tension"
BOTH = f"{DISPUTE} + {WAR}"


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
