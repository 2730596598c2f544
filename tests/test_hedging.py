"""Belarus's hedging rule: properties over random states, plus exact checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize

from hedgesim.core import hedging, kernels
from hedgesim.core.terms import hedge_move

utility = arrays(np.float64, (5, 4), elements=st.floats(-1.0, 3.0))
variance = arrays(np.float64, (5, 4), elements=st.floats(0.0, 2.0))
costs = arrays(np.float64, (5,), elements=st.floats(0.0, 100.0))
commitment = st.floats(0.0, 0.95)
eta = st.floats(0.02, 2.0)
lam = st.floats(0.0, 10.0)


def objective(w, u, v, lam_, eta_, c=0.0, cost=0.0):
    w = np.clip(w, 1e-300, None)
    shortfall = max(c - w[hedging.RUSSIA], 0.0)
    return u @ w - lam_ * (v * w * w).sum() - eta_ * (w * np.log(w)).sum() - cost * shortfall**2 / 2


@settings(max_examples=200, deadline=None)
@given(utility, variance, lam, eta, commitment, costs)
def test_weights_are_a_distribution(u, v, lam_, eta_, c, cost):
    w = hedging.optimal_hedge(u, v, lam_, eta_, c, cost)
    assert np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(utility, variance, lam, eta, commitment, costs)
def test_a_dearer_shortfall_never_lowers_the_russia_weight(u, v, lam_, eta_, c, cost):
    cheap = hedging.optimal_hedge(u, v, lam_, eta_, c, cost)
    dear = hedging.optimal_hedge(u, v, lam_, eta_, c, cost * 2.0 + 1.0)
    free = hedging.optimal_hedge(u, v, lam_, eta_, c, np.zeros(5))
    assert np.all(dear[:, hedging.RUSSIA] >= cheap[:, hedging.RUSSIA] - 1e-9)
    assert np.all(cheap[:, hedging.RUSSIA] >= free[:, hedging.RUSSIA] - 1e-9)
    short = free[:, hedging.RUSSIA] < c
    assert np.all(cheap[short, hedging.RUSSIA] <= c + 1e-9)  # the penalty never overshoots


def test_a_shortfall_costs_but_is_not_forbidden():
    u = np.array([[2.0, 0.2, 0.5, 0.5]] * 3)
    cost = np.array([0.0, 2.0, 1e6])
    w = hedging.optimal_hedge(u, np.full((3, 4), 0.2), 1.0, 0.2, 0.4, cost)
    free, chosen, forced = w[:, hedging.RUSSIA]
    assert free < chosen < 0.4  # an interior choice between the free optimum and the commitment
    assert forced == pytest.approx(0.4, abs=1e-4)  # a prohibitive cost acts as the old floor


@settings(max_examples=200, deadline=None)
@given(utility, variance, lam, lam, eta, commitment, costs)
def test_more_risk_aversion_never_raises_exposure(u, v, lam_a, lam_b, eta_, c, cost):
    low, high = sorted((lam_a, lam_b))
    w_low = hedging.optimal_hedge(u, v, low, eta_, c, cost)
    w_high = hedging.optimal_hedge(u, v, high, eta_, c, cost)
    exposure = lambda w: (v * w * w).sum(axis=1)
    assert np.all(exposure(w_high) <= exposure(w_low) + 1e-9)


@settings(max_examples=200, deadline=None)
@given(utility, st.floats(0.01, 2.0), lam, lam, eta)
def test_more_risk_aversion_never_concentrates_equally_risky_partners(u, var, lam_a, lam_b, eta_):
    low, high = sorted((lam_a, lam_b))
    v = np.full((5, 4), var)
    none = np.zeros(5)
    hhi_low = hedging.herfindahl(hedging.optimal_hedge(u, v, low, eta_, 0.0, none))
    hhi_high = hedging.herfindahl(hedging.optimal_hedge(u, v, high, eta_, 0.0, none))
    assert np.all(hhi_high <= hhi_low + 1e-9)


@settings(max_examples=60, deadline=None)
@given(utility, variance, lam, eta, commitment, costs)
def test_optimum_beats_a_general_solver(u, v, lam_, eta_, c, cost):
    w = hedging.optimal_hedge(u, v, lam_, eta_, c, cost)
    for i in range(2):
        other = minimize(
            lambda x, i=i: -objective(x, u[i], v[i], lam_, eta_, c, cost[i]),
            np.full(4, 0.25),
            bounds=[(1e-12, 1.0)] * 4,
            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0}],
            method="SLSQP",
            options={"ftol": 1e-12, "maxiter": 500},
        )
        ours = objective(w[i], u[i], v[i], lam_, eta_, c, cost[i])
        assert ours >= objective(other.x, u[i], v[i], lam_, eta_, c, cost[i]) - 1e-8


def solved_by_the_rule(u, v, lam_, eta_, c, cost, start):
    """The documented rule, solve by solve: the optimum without the penalty, then the rows short
    of the commitment solved again with its quadratic active."""
    a = 2.0 * lam_ * v
    weights = hedging._solve_simplex(u, a, eta_, start)[0].T
    short = (weights[:, hedging.RUSSIA] < c) & (cost > 0)
    u_short, a_short = u[short].copy(), a[short].copy()
    u_short[:, hedging.RUSSIA] += cost[short] * c
    a_short[:, hedging.RUSSIA] += cost[short]
    again = None if start is None else start[short]
    weights[short] = hedging._solve_simplex(u_short, a_short, eta_, again)[0].T
    return weights


@settings(max_examples=200, deadline=None)
@given(
    utility, variance, lam, eta, commitment, costs, arrays(np.float64, (5, 4), elements=st.floats(0.01, 1.0))
)
def test_skipping_the_free_solve_of_rows_surely_short_changes_no_bit(u, v, lam_, eta_, c, cost, raw):
    """On the numpy reference path, which is exact to the bit; the compiled kernel is held to the
    reference in tests/test_kernels.py."""
    start = raw / raw.sum(axis=1, keepdims=True)  # some rows guessed short wrongly, some rightly
    for begin in (None, start):
        with kernels.use_compiled(False):
            skipped = hedging.optimal_hedge(u, v, lam_, eta_, c, cost, start=begin)
        np.testing.assert_array_equal(skipped, solved_by_the_rule(u, v, lam_, eta_, c, cost, begin))


def test_higher_utility_draws_weight():
    u = np.array([[1.0, 1.0, 0.5, 0.5], [2.0, 1.0, 0.5, 0.5]])
    w = hedging.optimal_hedge(u, np.full((2, 4), 0.2), 1.0, 0.2, 0.4, np.ones(2))
    assert w[1, hedging.EU] > w[0, hedging.EU]


def test_commitment_cost_rises_past_the_neutrality_threshold_and_with_territory_used():
    tension = np.array([0.2, 0.75, 0.95, 0.2])
    used = np.array([False, False, False, True])
    cost = hedging.commitment_cost(tension, used, 2.0, 202.0, 0.75, 0.04, 0.5)
    assert cost[0] == pytest.approx(2.0, abs=0.01)
    assert cost[1] == pytest.approx(102.0)
    assert cost[2] == pytest.approx(2.0 + 200.0 / (1 + np.exp(-5)))
    assert cost[3] == pytest.approx(102.0, abs=0.01)


def test_result_of_a_replicate_does_not_depend_on_its_neighbours():
    rng = np.random.default_rng(3)
    u, v, k = rng.uniform(0, 2, (500, 4)), rng.uniform(0, 1, (500, 4)), rng.uniform(0, 20, 500)
    together = hedging.optimal_hedge(u, v, 2.0, 0.1, 0.4, k)
    alone = np.vstack(
        [
            hedging.optimal_hedge(u[i : i + 1], v[i : i + 1], 2.0, 0.1, 0.4, k[i : i + 1])
            for i in range(0, 500, 37)
        ]
    )
    np.testing.assert_array_equal(together[::37], alone)


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, (5, 4), elements=st.floats(0.01, 1.0)), st.floats(0.0, 1.0))
def test_inertia_keeps_a_distribution_between_start_and_target(raw, inertia):
    start = raw / raw.sum(axis=1, keepdims=True)
    target = start[::-1].copy()
    per_row = np.full(5, inertia)
    moved, *_ = hedge_move(start, target, np.ones((5, 4)), per_row, per_row, per_row, per_row)
    np.testing.assert_allclose(moved.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(moved >= np.minimum(start, target) - 1e-12)
    assert np.all(moved <= np.maximum(start, target) + 1e-12)
