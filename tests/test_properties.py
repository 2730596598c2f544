"""Properties over random inputs: trust updates, event counts, shock records."""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import poisson

from hedgesim.core import kernels, observe
from hedgesim.core.agents import updated_trust
from hedgesim.core.calendar import Month
from hedgesim.core.observe import event_count, relations_index
from hedgesim.core.shocks import KINDS, MAGNITUDES, Shock, ShockError, ShockKind, Timeline

N = 6
unit = st.floats(0.0, 1.0)


@pytest.fixture(autouse=True, scope="module")
def loaded_kernels():
    """Load the compiled kernels before the first property runs: loading them takes about half a
    second once per process, which hypothesis would otherwise count against one example's deadline
    (when this file runs on its own). The trust rule is compiled for the six arguments the
    properties pass, too."""
    kernels.warm()
    updated_trust(*(np.full(N, 0.5) for _ in range(3)), 0.1, 0.2, 0.05)


levels = arrays(np.float64, (N,), elements=unit)
amounts = arrays(np.float64, (N,), elements=st.floats(0.0, 10.0))
gains = st.floats(0.0, 1.8)  # trust_gain up to 1 times the trust challenge's factor up to 1.8
losses = unit
floors = st.floats(0.0, 0.5)


# --- trust ------------------------------------------------------------------------------


@given(levels, amounts, amounts, gains, losses, floors)
def test_trust_stays_between_its_floor_and_one(trust, cooperation, conflict, gain, loss, floor):
    new = updated_trust(trust, cooperation, conflict, gain, loss, floor)
    assert np.all((new >= floor) & (new <= 1.0))


@given(levels, amounts, amounts, amounts, gains, losses, floors)
def test_more_cooperation_never_lowers_trust(trust, cooperation, more, conflict, gain, loss, floor):
    low = updated_trust(trust, cooperation, conflict, gain, loss, floor)
    high = updated_trust(trust, cooperation + more, conflict, gain, loss, floor)
    assert np.all(high >= low - 1e-12)


@given(levels, amounts, amounts, amounts, gains, losses, floors)
def test_more_conflict_never_raises_trust(trust, cooperation, conflict, more, gain, loss, floor):
    low = updated_trust(trust, cooperation, conflict + more, gain, loss, floor)
    high = updated_trust(trust, cooperation, conflict, gain, loss, floor)
    assert np.all(low <= high + 1e-12)


@given(levels, amounts, gains, losses, floors)
def test_cooperation_alone_raises_and_conflict_alone_lowers_trust(trust, amount, gain, loss, floor):
    trust = np.maximum(trust, floor)
    none = np.zeros(N)
    assert np.all(updated_trust(trust, amount, none, gain, loss, floor) >= trust)
    assert np.all(updated_trust(trust, none, amount, gain, loss, floor) <= trust)


@given(st.floats(0.01, 1.0), st.floats(0.001, 1.0), losses, st.floats(0.0, 0.05))
def test_trust_falls_faster_than_it_rises_as_the_parameters_say(amount, gain, loss, floor):
    """From even trust, a unit of conflict costs loss/gain times what a unit of cooperation
    brings: trust is lost faster than it is won exactly when trust_loss > trust_gain."""
    half, x, none = np.array([0.5]), np.array([amount]), np.zeros(1)
    assume(0.5 * (1.0 - loss * amount) >= floor)  # the floor does not cut the fall
    up = updated_trust(half, x, none, gain, loss, floor)[0] - 0.5
    down = 0.5 - updated_trust(half, none, x, gain, loss, floor)[0]
    assert down == pytest.approx(loss / gain * up, rel=1e-9, abs=1e-12)


# --- event counts -----------------------------------------------------------------------

rates = arrays(np.float64, (N,), elements=st.floats(0.0, 40.0) | st.floats(0.0, 1000.0))
"""Small rates matter most (counts of 0 and 1); rates past 745 would underflow a naive exp(-r)."""
normals = arrays(np.float64, (N,), elements=st.floats(0.0, 1.0, exclude_max=True))
"""The uniform each count is drawn from (its inverse CDF)."""
steps_up = arrays(np.float64, (N,), elements=st.just(0.0) | st.floats(1e-6, 100.0))


@given(rates, normals)
def test_event_counts_are_non_negative_integers(rate, normal):
    counts = event_count(rate, normal)
    assert np.all(counts >= 0) and np.all(counts == np.round(counts))


@given(rates, steps_up, normals)
def test_event_counts_never_fall_as_the_rate_rises(rate, more, normal):
    """Poisson laws rise in the stochastic order with their rate: for a fixed uniform, more
    interaction never means fewer events."""
    assert np.all(event_count(rate + more, normal) >= event_count(rate, normal))


def exact_poisson_quantile(rate: float, uniform: float) -> int:
    """The smallest k whose Poisson(rate) CDF reaches the uniform, in 60-digit decimals."""
    with localcontext() as ctx:
        ctx.prec = 60
        u, r = Decimal(uniform), Decimal(rate)
        term = cdf = (-r).exp()
        k = 0
        while cdf < u:
            k += 1
            term = term * r / k
            cdf += term
        return k


@given(arrays(np.float64, (N,), elements=st.floats(0.0, 60.0) | st.floats(0.0, 1000.0)), normals)
@example(np.full(N, 817.5), np.full(N, 5e-324))  # a subnormal head: e^-817.5 underflows
@example(np.full(N, 930.0), np.full(N, 1.0 - 2.0**-53))  # the largest uniform below 1
@example(np.full(N, 2.0**-52), np.full(N, 1.0 - 2.0**-52))  # survival r - r^2/2, just below 1 - u
@example(np.full(N, 364.97265625), np.full(N, 1.0 - 2.0**-53))  # P(X > 532) is 1 - u + 0.1%
def test_event_counts_are_the_exact_poisson_quantile(rate, normal):
    """Both paths (term by term, and the table for uniforms near 1 or large rates) give the
    smallest k whose Poisson CDF reaches the uniform, to the last count."""
    expected = [exact_poisson_quantile(r, u) for r, u in zip(rate, normal, strict=True)]
    assert event_count(rate, normal).tolist() == expected


@pytest.mark.parametrize("rate", [0.0, 1e-6, 0.5, 7.0, 60.0, 364.97265625, 600.0, 1000.0, 5000.0])
def test_the_counts_table_leaves_out_less_than_2_to_the_minus_110(rate):
    """Bernstein's bound holds where scipy can tell: the table's last term is past the tail whose
    mass could move a uniform's comparison in its last digit, and not needlessly far past it."""
    size = observe.tail_length(rate)
    beyond = poisson.logsf(size - 1, rate) if rate > 0 else -np.inf
    assert beyond < -110 * np.log(2.0)
    assert size < rate + 12 * np.sqrt(rate) + 90


bulk = arrays(np.float64, (N,), elements=st.floats(1e-9, 1.0 - 1e-9, exclude_min=True, exclude_max=True))
"""Uniforms away from the far tails, drawn there rather than filtered: six draws of ``normals``
all inside are rare enough that Hypothesis once gave up on the filter (9 kept of 59)."""


@given(arrays(np.float64, (N,), elements=st.floats(0.0, 1000.0)), bulk)
def test_event_counts_agree_with_scipy_away_from_the_far_tails(rate, normal):
    """scipy's quantile rounds in the far tails (a uniform of 5e-324 at rate 930 reads 47 where
    the exact count is 48); in the bulk it is a second, independent reference."""
    expected = np.where(rate > 0, poisson.ppf(normal, np.where(rate > 0, rate, 1.0)), 0.0)
    assert np.array_equal(event_count(rate, normal), np.where(normal == 0.0, 0.0, expected))


@given(amounts, amounts, steps_up, normals, normals, st.floats(0.0, 30.0), st.floats(0.0, 30.0))
def test_relations_index_is_whole_events_and_rises_with_cooperation(coop, conflict, more, z1, z2, pos, neg):
    score = 1.5
    index = relations_index(coop, conflict, z1, z2, pos, neg, score)
    assert np.all(index / score == np.round(index / score))
    assert np.all(relations_index(coop + more, conflict, z1, z2, pos, neg, score) >= index)
    assert np.all(relations_index(coop, conflict + more, z1, z2, pos, neg, score) <= index)


@given(
    st.lists(amounts, min_size=8, max_size=8),
    arrays(np.float64, (8, N), elements=st.floats(0.0, 1.0, exclude_max=True)),
    st.one_of(st.floats(0.0, 30.0), arrays(np.float64, (N,), elements=st.floats(0.0, 30.0))),
    st.one_of(st.floats(0.0, 30.0), arrays(np.float64, (N,), elements=st.floats(0.0, 30.0))),
)
def test_all_dyads_at_once_are_each_dyad_alone(levels_given, uniforms, pos, neg):
    """The model's one Poisson call for every dyad gives each dyad's index as its own call would,
    bit for bit, with the event rates one number or one per replicate."""
    cooperation, conflict = levels_given[:4], levels_given[4:]
    together = observe.relations_indices(cooperation, conflict, uniforms, (pos, neg, 1.5))
    for k in range(4):
        alone = relations_index(cooperation[k], conflict[k], uniforms[k], uniforms[4 + k], pos, neg, 1.5)
        np.testing.assert_array_equal(together[k], alone)


# --- shock records ----------------------------------------------------------------------

months = st.builds(Month, st.integers(1990, 2060), st.integers(1, 12))
codes = st.from_regex(r"[A-Z]{2,3}", fullmatch=True)
records = st.fixed_dictionaries(
    {
        "date": months.map(str),
        "kind": st.sampled_from(KINDS),
        "size": unit | st.sampled_from(list(MAGNITUDES)),
        "actors": st.lists(codes, min_size=1, max_size=4),
    },
    optional={
        "id": st.from_regex(r"[a-z0-9][a-z0-9_\-]{0,20}", fullmatch=True),
        "label": st.text(max_size=40).filter(lambda text: not text or text.strip()),  # blank is refused
    },
)


@st.composite
def dated_records(draw):
    """A valid record, its end somewhere from its start to five years later."""
    record = draw(records)
    record["end"] = str(Month.parse(record["date"]) + draw(st.integers(0, 60)))
    return record


@given(dated_records())
def test_a_shock_round_trips_through_its_row(record):
    shock = Shock.from_record(record, "shocks[0]")
    (row,) = Timeline((shock,)).records()
    assert Shock.from_record(row, "shocks[0]") == shock


@given(st.lists(dated_records(), max_size=8, unique_by=lambda r: r.get("id", r["date"] + r["kind"])))
def test_a_timeline_round_trips_through_its_rows(rows):
    assume(len({Shock.from_record(r, "x").id for r in rows}) == len(rows))
    timeline = Timeline.from_records(rows)
    assert Timeline.from_records(timeline.records()) == timeline


DATE_LIKE = re.compile(r"\s*\d{4}-\d{2}(-\d{2})?\s*")


def is_unit_number(text: str) -> bool:
    try:
        return 0.0 <= float(text) <= 1.0
    except ValueError:
        return False


def rejected_with_key(record, key: str) -> None:
    with pytest.raises(ShockError, match=re.escape(f"shocks[0].{key}=")):
        Timeline.from_records([record])


@given(dated_records(), st.text(max_size=12).filter(lambda k: k not in KINDS))
def test_an_unknown_kind_is_refused_naming_the_key(record, kind):
    rejected_with_key({**record, "kind": kind}, "kind")


@given(dated_records(), st.integers(0, 9999), st.integers(13, 99) | st.just(0))
def test_an_impossible_month_is_refused_naming_the_key(record, year, month):
    rejected_with_key({**record, "date": f"{year:04d}-{month:02d}"}, "date")


@given(dated_records(), st.text(max_size=12).filter(lambda t: not DATE_LIKE.fullmatch(t)))
def test_a_malformed_date_is_refused_naming_the_key(record, text):
    rejected_with_key({**record, "date": text}, "date")


@given(dated_records(), st.floats(allow_nan=True).filter(lambda x: not 0.0 <= x <= 1.0))
def test_a_size_outside_zero_to_one_is_refused_naming_the_key(record, size):
    rejected_with_key({**record, "size": size}, "size")


@given(dated_records(), st.text(min_size=1, max_size=12).filter(lambda t: t not in MAGNITUDES))
def test_a_size_that_is_neither_number_nor_magnitude_is_refused(record, text):
    assume(not is_unit_number(text))
    rejected_with_key({**record, "size": text}, "size")


@given(dated_records(), st.integers(1, 60))
def test_an_end_before_the_date_is_refused_naming_the_key(record, months_back):
    end = Month.parse(record["date"]) + -months_back
    rejected_with_key({**record, "end": str(end)}, "end")


def test_every_kind_can_be_written_in_a_record():
    assert set(KINDS) == {k.value for k in ShockKind}


def test_event_counts_are_poisson_in_mean_variance_and_zeros():
    rng = np.random.default_rng(5)
    for rate in (0.2, 3.0, 900.0):
        counts = event_count(np.full(200_000, rate), rng.random(200_000))
        assert counts.mean() == pytest.approx(rate, rel=0.01)
        assert counts.var() == pytest.approx(rate, rel=0.03)
    zeros = (event_count(np.full(200_000, 0.2), rng.random(200_000)) == 0).mean()
    assert zeros == pytest.approx(np.exp(-0.2), abs=0.005)


@pytest.mark.parametrize("cells", [1, 3_000, 1 << 22])
def test_the_tabulated_counts_do_not_depend_on_how_many_draws_share_a_table(cells, monkeypatch):
    """The tabulated path builds its table for a block of draws at a time, bounded in memory; a
    draw's count is the one it gets in a table of all the draws (the same length, its own column),
    whether the blocks hold one draw, some, or all."""
    rng = np.random.default_rng(8)
    rate = np.concatenate([rng.uniform(0.0, 600.0, 400), rng.uniform(600.0, 2_000.0, 400), [0.0, 900.0]])
    uniform = np.concatenate([rng.random(402), 1.0 - rng.random(400) * 1e-10])
    whole = observe._tabulated_count(rate, uniform)
    monkeypatch.setattr(observe, "_TABLE_CELLS", cells)
    assert np.array_equal(observe._tabulated_count(rate, uniform), whole)
    assert np.array_equal(observe._tabulated_count(rate[::-1], uniform[::-1]), whole[::-1])


@given(
    arrays(np.float64, (N,), elements=st.floats(0.0, 600.0)),
    arrays(np.float64, (N,), elements=st.floats(0.0, 1.0 - 1e-9)),
)
@example(np.array([0.0, 1e-300, 5.0, 599.0, 0.3, 40.0]), np.array([0.0, 0.5, 0.999, 1 - 1e-9, 0.7, 1e-300]))
def test_few_draws_one_by_one_count_as_the_vectorised_path(rate, normal):
    """A small ensemble's counts, drawn one by one in plain floats, are the vectorised path's to
    the bit (the vectorised path runs once there are more draws than the few)."""
    many = observe._FEW_DRAWS // N + 1
    vectorised = observe._inverted_count(np.tile(rate, many), np.tile(normal, many))[:N]
    assert np.array_equal(observe._inverted_count_one_by_one(rate, normal), vectorised)
