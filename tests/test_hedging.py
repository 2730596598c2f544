"""Belarus's hedging rule: properties over random states, plus exact checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize

from hedgesim.core import hedging

utility = arrays(np.float64, (5, 4), elements=st.floats(-1.0, 3.0))
variance = arrays(np.float64, (5, 4), elements=st.floats(0.0, 2.0))
floors = arrays(np.float64, (5,), elements=st.floats(0.0, 0.95))
eta = st.floats(0.02, 2.0)
lam = st.floats(0.0, 10.0)


def objective(w, u, v, lam_, eta_):
    w = np.clip(w, 1e-300, None)
    return u @ w - lam_ * (v * w * w).sum() - eta_ * (w * np.log(w)).sum()


@settings(max_examples=200, deadline=None)
@given(utility, variance, lam, eta, floors)
def test_weights_are_a_distribution_above_the_floor(u, v, lam_, eta_, floor):
    w = hedging.optimal_hedge(u, v, lam_, eta_, floor)
    assert np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(w[:, hedging.RUSSIA] >= floor - 1e-12)


@settings(max_examples=200, deadline=None)
@given(utility, variance, lam, lam, eta, floors)
def test_more_risk_aversion_never_raises_exposure(u, v, lam_a, lam_b, eta_, floor):
    low, high = sorted((lam_a, lam_b))
    w_low = hedging.optimal_hedge(u, v, low, eta_, floor)
    w_high = hedging.optimal_hedge(u, v, high, eta_, floor)
    exposure = lambda w: (v * w * w).sum(axis=1)
    assert np.all(exposure(w_high) <= exposure(w_low) + 1e-9)


@settings(max_examples=200, deadline=None)
@given(utility, st.floats(0.01, 2.0), lam, lam, eta, floors)
def test_more_risk_aversion_never_concentrates_equally_risky_partners(u, var, lam_a, lam_b, eta_, floor):
    low, high = sorted((lam_a, lam_b))
    v = np.full((5, 4), var)
    hhi_low = hedging.herfindahl(hedging.optimal_hedge(u, v, low, eta_, floor))
    hhi_high = hedging.herfindahl(hedging.optimal_hedge(u, v, high, eta_, floor))
    assert np.all(hhi_high <= hhi_low + 1e-9)


@settings(max_examples=60, deadline=None)
@given(utility, variance, lam, eta, floors)
def test_optimum_beats_a_general_solver(u, v, lam_, eta_, floor):
    w = hedging.optimal_hedge(u, v, lam_, eta_, floor)
    for i in range(2):
        constraints = [
            {"type": "eq", "fun": lambda x: x.sum() - 1.0},
            {"type": "ineq", "fun": lambda x, i=i: x[hedging.RUSSIA] - floor[i]},
        ]
        other = minimize(
            lambda x, i=i: -objective(x, u[i], v[i], lam_, eta_),
            np.full(4, 0.25),
            bounds=[(1e-12, 1.0)] * 4,
            constraints=constraints,
            method="SLSQP",
            options={"ftol": 1e-12, "maxiter": 500},
        )
        assert objective(w[i], u[i], v[i], lam_, eta_) >= objective(other.x, u[i], v[i], lam_, eta_) - 1e-8


def test_higher_utility_draws_weight():
    u = np.array([[1.0, 1.0, 0.5, 0.5], [2.0, 1.0, 0.5, 0.5]])
    w = hedging.optimal_hedge(u, np.full((2, 4), 0.2), 1.0, 0.2, np.zeros(2))
    assert w[1, hedging.EU] > w[0, hedging.EU]


def test_floor_binds_past_the_neutrality_threshold():
    floor = hedging.russia_floor(np.array([0.2, 0.75, 0.95]), 0.4, 0.9, 0.75, 0.04)
    assert floor[0] == pytest.approx(0.4, abs=1e-4)
    assert floor[1] == pytest.approx(0.65)
    assert floor[2] == pytest.approx(0.4 + 0.5 / (1 + np.exp(-5)))


def test_result_of_a_replicate_does_not_depend_on_its_neighbours():
    rng = np.random.default_rng(3)
    u, v, f = rng.uniform(0, 2, (500, 4)), rng.uniform(0, 1, (500, 4)), rng.uniform(0, 0.8, 500)
    together = hedging.optimal_hedge(u, v, 2.0, 0.1, f)
    alone = np.vstack(
        [hedging.optimal_hedge(u[i : i + 1], v[i : i + 1], 2.0, 0.1, f[i : i + 1]) for i in range(0, 500, 37)]
    )
    np.testing.assert_array_equal(together[::37], alone)


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, (5, 4), elements=st.floats(0.01, 1.0)), st.floats(0.0, 1.0), floors)
def test_inertia_keeps_a_distribution_and_the_floor(raw, inertia, floor):
    start = raw / raw.sum(axis=1, keepdims=True)
    target = start[::-1].copy()
    moved = hedging.move_toward(start, target, inertia, floor)
    np.testing.assert_allclose(moved.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(moved >= 0)
    assert np.all(moved[:, hedging.RUSSIA] >= floor - 1e-12)
