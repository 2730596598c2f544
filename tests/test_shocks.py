"""Dates and the shock timeline: validation, ordering, switches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hedgesim.core.calendar import DateError, Month, RunCalendar
from hedgesim.core.shocks import (
    STOCHASTIC_CHANNELS,
    ShockError,
    StochasticProcess,
    StochasticShocks,
    Timeline,
)


def record(**kw):
    return {"date": "2014-03", "kind": "war", "actors": ["RUS", "UKR"], "size": 1.0, **kw}


@given(st.integers(1900, 2100), st.integers(1, 12), st.integers(-500, 500))
def test_month_arithmetic_round_trips(year, month, shift):
    m = Month(year, month)
    assert (m + shift) - m == shift
    assert Month.parse(str(m + shift)) == m + shift


@pytest.mark.parametrize("bad", ["2014-13", "2014/03", "14-03", "2014-02-30", "", "soon"])
def test_malformed_dates_are_rejected(bad):
    with pytest.raises(DateError):
        Month.parse(bad)


def test_timeline_is_sorted_and_ids_unique():
    timeline = Timeline.from_records([record(date="2015-01", id="b"), record(date="2009-05", id="a")])
    assert [s.id for s in timeline.shocks] == ["a", "b"]
    with pytest.raises(ShockError, match="appears twice"):
        Timeline.from_records([record(id="x"), record(id="x", date="2015-01")])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "meteor"}, r"kind='meteor' is unknown; allowed: war, election"),
        ({"size": 1.5}, r"size=1.5 is not allowed; allowed: a number in \[0, 1\]"),
        ({"size": "huge"}, r"size='huge'"),
        ({"actors": ["Russia"]}, r"actors=\['Russia'\]"),
        ({"date": "2014-13"}, r"date='2014-13'"),
        ({"end": "2013-01"}, r"end=2013-01 is before its date 2014-03"),
    ],
)
def test_bad_shocks_name_key_value_and_allowed(change, message):
    with pytest.raises(ShockError, match=message):
        Timeline.from_records([record(**change)])


def test_magnitude_words_map_to_sizes():
    timeline = Timeline.from_records([record(size="medium")])
    assert timeline.shocks[0].size == 0.5


def test_dates_outside_the_run_are_rejected():
    calendar = RunCalendar(Month(2008, 1), Month(2019, 12))
    with pytest.raises(ShockError, match="outside the run; allowed: 2008-01..2019-12"):
        Timeline.from_records([record(date="2005-01")]).check_within(calendar)


def test_switching_off_kinds_and_ids():
    timeline = Timeline.from_records([record(id="w"), record(id="e", kind="election", date="2010-12")])
    assert [s.id for s in timeline.without(kinds=["war"]).shocks] == ["e"]
    assert [s.id for s in timeline.without(ids=["e"]).shocks] == ["w"]


def test_stochastic_elections_follow_the_constitutional_calendar():
    calendar = RunCalendar(Month(2008, 1), Month(2030, 12))
    timeline = Timeline.from_records([record(date="2020-10")])
    process = StochasticProcess.for_run(StochasticShocks(), calendar, timeline)
    assert process.first_step == calendar.step_of(Month(2020, 11))
    months = sorted(str(calendar.month_at(s)) for s in process.election_steps)
    assert months == ["2025-01", "2030-01"]


def test_draws_start_after_the_timeline_and_follow_their_hazards():
    calendar = RunCalendar(Month(2008, 1), Month(2030, 12))
    process = StochasticProcess.for_run(
        StochasticShocks(), calendar, Timeline.from_records([record(date="2020-10")])
    )
    state = {"tension": np.ones(3)}
    assert process.draw(process.first_step - 1, {}, **state) is None
    election, other = calendar.step_of(Month(2025, 1)), calendar.step_of(Month(2025, 2))
    low = {k: np.zeros(3) for k in STOCHASTIC_CHANNELS}
    high = {k: np.full(3, 0.999) for k in STOCHASTIC_CHANNELS}
    everything = process.draw(election, low, **state)
    assert everything.election.all() and everything.dispute.all() and everything.war.all()
    assert not process.draw(other, low, **state).election.any()  # elections follow the cycle
    nothing = process.draw(other, high, **state)
    assert not (nothing.dispute.any() or nothing.war.any())
    mobilised = process.draw(election, {**low, "election": np.full(3, 0.5)}, **state)
    np.testing.assert_allclose(mobilised.mobilisation, 0.5 * StochasticShocks().mobilisation_max)
    calm = process.draw(election, low, tension=np.zeros(3))
    assert not calm.war.any()  # no tension, no war


def test_active_months_mark_the_onset_and_stop_at_the_run_end():
    calendar = RunCalendar(Month(2014, 1), Month(2014, 4))
    timeline = Timeline.from_records(
        [record(id="a", date="2014-02", end="2014-06", kind="institutional"), record(id="b")]
    )
    active = timeline.active_by_step(calendar)
    rows = {step: [(a.shock.id, a.index, a.onset) for a in shocks] for step, shocks in active.items()}
    assert rows == {1: [("a", 0, True)], 2: [("a", 0, False), ("b", 1, True)], 3: [("a", 0, False)]}
