"""The compiled kernels against the numpy reference they replace.

The engine runs the kernels by default; ``kernels.use_compiled(False)`` runs the numpy
reference. Integer work (random streams, Poisson counts from numpy's e^-rate) must agree bit for
bit; the hedging solve within a few units in the last place (``exp`` and ``log`` round
differently from numpy's SIMD versions, and the kernel grows weights by a series where a Newton
step is small).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hedgesim.config.compose import compose_config
from hedgesim.config.spec import build_run
from hedgesim.core import hedge_kernel, kernels
from hedgesim.core.hedging import RUSSIA, explained_moves, optimal_hedge
from hedgesim.core.observe import event_count
from hedgesim.core.streams import ReplicateStreams
from hedgesim.workflows.run import build_model

pytestmark = pytest.mark.skipif(not kernels.compiled(), reason="numba is not installed")

CLOSE = 1e-12


def both(work):
    """``work()`` on the compiled kernels, then on the numpy reference."""
    with kernels.use_compiled(True):
        fast = work()
    with kernels.use_compiled(False):
        reference = work()
    return fast, reference


def hedging_inputs(rows: int, seed: int):
    """Utilities, variances and per-replicate settings spread over the ranges runs reach,
    with some rows priced at zero and others far short of the commitment."""
    rng = np.random.default_rng(seed)
    utility = rng.normal(0.0, 2.0, (rows, 4))
    variance = rng.uniform(0.0, 3.0, (rows, 4))
    cost = np.where(rng.uniform(size=rows) < 0.2, 0.0, rng.lognormal(2.0, 1.5, rows))
    risk = rng.uniform(0.3, 6.0, rows)
    room = rng.uniform(0.03, 1.0, rows)
    commitment = rng.uniform(0.25, 0.6, rows)
    return utility, variance, risk, room, commitment, cost


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_hedge_kernel_finds_the_reference_optimum(seed):
    utility, variance, risk, room, commitment, cost = hedging_inputs(3000, seed)
    solve = lambda start=None: optimal_hedge(utility, variance, risk, room, commitment, cost, start=start)
    fast, reference = both(solve)
    assert np.abs(fast - reference).max() < CLOSE
    assert np.allclose(fast.sum(axis=1), 1.0) and (fast >= 0).all()
    short = reference[:, RUSSIA] < commitment
    assert 0.1 < short.mean() < 0.9, "both sides of the commitment are exercised"
    start = np.roll(reference, 1, axis=0)  # last month's optimum of another row: a poor start
    warm, warm_reference = both(lambda: solve(start))
    assert np.abs(warm - warm_reference).max() < CLOSE
    assert np.abs(warm - fast).max() < 1e-9, "the start changes only the last bits"


@pytest.mark.parametrize("warm_start", [False, True])
def test_a_row_solved_side_by_side_is_the_row_solved_alone(warm_start):
    """The kernel solves rows a block at a time, each to its own convergence: a replicate's
    weights are bit for bit the same alone, in another order or beside other rows."""
    utility, variance, risk, room, commitment, cost = hedging_inputs(203, 4)
    start = np.random.default_rng(6).dirichlet(np.ones(4), 203) if warm_start else None
    solve = lambda rows: optimal_hedge(
        utility[rows],
        variance[rows],
        risk[rows],
        room[rows],
        commitment[rows],
        cost[rows],
        start=None if start is None else start[rows],
    )
    with kernels.use_compiled(True):
        together = solve(np.arange(203))
        order = np.random.default_rng(7).permutation(203)
        np.testing.assert_array_equal(solve(order), together[order])
        for row in (0, 7, 8, 101, 202):
            np.testing.assert_array_equal(solve(np.array([row])), together[[row]])
        np.testing.assert_array_equal(solve(np.arange(5, 200, 3)), together[5:200:3])


def test_a_weight_grown_by_the_series_is_grown_by_exp():
    """Below ``SERIES_STEP`` the kernel's series stands in for ``exp``: within a unit in the last
    place, on both sides of the switch."""
    kernels.warm()
    small = np.geomspace(1e-16, 2e-3, 400)
    steps = np.concatenate([small, -small, [0.0, 0.5, -3.0]])
    weights = np.random.default_rng(5).uniform(1e-12, 1.0, steps.size)
    grown = np.array([hedge_kernel._grown(w, s) for w, s in zip(weights, steps, strict=True)])
    exact = weights * np.exp(steps)
    assert (np.abs(grown - exact) <= 2 * np.spacing(exact)).all()
    assert (np.abs(steps) < hedge_kernel.SERIES_STEP).sum() > 700, "the series is what is tested"


def test_the_hedge_kernel_takes_one_number_or_one_per_replicate():
    utility, variance, _, _, _, cost = hedging_inputs(50, 4)
    scalar = optimal_hedge(utility, variance, 2.0, 0.2, 0.4, cost)
    spread = optimal_hedge(utility, variance, np.full(50, 2.0), np.full(50, 0.2), np.full(50, 0.4), cost)
    np.testing.assert_array_equal(scalar, spread)


def test_the_driver_kernel_names_the_references_driver():
    """Ties in the move and in the terms' changes, partners that did not move, and Russia's
    commitment term: the kernel, which computes the changes for the most-moved partner only,
    picks what the reference picks, row by row, and the same partner and move; without last
    month's terms the driver is 0 on both paths."""
    rng = np.random.default_rng(9)
    rows = 5000
    moved = rng.choice([-0.02, -0.01, 0.0, 0.01, 0.02], size=(rows, 4))
    moved[:500] = 0.0
    levels = lambda shape: rng.choice([0.0, 0.5, 1.0], size=shape)  # equal terms give ties
    terms = tuple([levels((rows, 4)) for _ in range(4)] + [levels(rows)])
    previous = tuple([levels((rows, 4)) for _ in range(4)] + [levels(rows)])
    for before in (previous, None):
        fast, reference = both(lambda before=before: explained_moves(moved, terms, before))
        for got, expected in zip(fast, reference, strict=True):
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)
    assert len(np.unique(fast[1])) == 4 and not fast[0].any()
    driver, *_ = explained_moves(moved, terms, previous)
    assert driver.dtype == np.int8 and len(np.unique(driver)) == 4


def test_poisson_counts_are_the_references_exactly():
    rng = np.random.default_rng(5)
    rates = np.concatenate([rng.uniform(0.0, 3.0, 5000), rng.lognormal(2.0, 1.5, 5000), [0.0, 700.0]])
    uniforms = np.concatenate([rng.uniform(size=rates.size - 2), [0.5, 1.0 - 1e-12]])
    fast, reference = both(lambda: event_count(rates, uniforms))
    np.testing.assert_array_equal(fast, reference)
    assert fast.max() > 50 and (fast == 0).any()


def test_uniforms_are_the_references_bit_for_bit():
    streams = ReplicateStreams(20101219, np.arange(7, 4007), ("a", "b", "c"))
    for step in (0, 1, 143, 10**6):
        fast, reference = both(lambda step=step: streams.uniforms(step))
        np.testing.assert_array_equal(fast, reference)
        assert fast.min() >= 0.0 and fast.max() < 1.0


@pytest.mark.slow
def test_a_run_to_2030_is_the_references_run():
    """The forward scenario under high tension (drawn shocks and every decision rule): every
    discrete series (counts, milestones, decisions, the log) equal, the rest to rounding."""
    spec = build_run(compose_config(["scenario=forward_2030", "challenges=high_tension"]))
    run = lambda: build_model(dataclasses.replace(spec, replicate_ids=tuple(range(300)))).run().record
    fast, reference = both(run)
    for name, values in fast._arrays.items():
        expected = reference.series(name)
        if values.dtype.kind == "f":
            scale = max(1.0, float(np.abs(expected).max()))
            assert np.abs(fast.series(name) - expected).max() <= 1e-9 * scale, name
        else:
            np.testing.assert_array_equal(fast.series(name), expected, err_msg=name)


def test_warming_loads_each_kernel_for_the_types_a_run_passes():
    """A sweep's driver warms the kernels before forking its workers: a run afterwards must find
    every kernel ready for its argument types, not compile another version of it."""
    kernels.warm()
    names = ("_inverted_counts", "_uniforms_into", "_explained_moves")
    signatures = lambda: {
        **{name: list(getattr(kernels, name).signatures) for name in names},
        "hedge": list(hedge_kernel._optimal_hedge_rows.signatures),
        **{rule.__qualname__: list(rule.compiled().signatures) for rule, _ in kernels._RULES},
    }
    warmed = signatures()
    assert len(kernels._RULES) >= 2 and all(len(found) >= 1 for found in warmed.values())
    spec = build_run(compose_config(["scenario=forward_2030", "challenges=high_tension"]))
    with kernels.use_compiled(True):
        build_model(dataclasses.replace(spec, replicate_ids=tuple(range(5)))).run()
    assert signatures() == warmed


@pytest.mark.parametrize("seed", [1, 2])
def test_the_compiled_rules_are_their_own_source_run_by_numpy(seed):
    """A compilable rule gives its reference's numbers bit for bit, on the examples' types and
    with every parameter given per replicate (a batched sweep's cells)."""
    kernels.warm()
    rng = np.random.default_rng(seed)
    for rule, examples in kernels._RULES:
        for example in examples:
            args = [_spread_like(rng, a) if np.ndim(a) else a for a in example()]
            spread = [rng.uniform(0.0, 1.0, 200) if isinstance(a, float) else a for a in args]
            for given in (args, spread):
                fast, reference = both(lambda rule=rule, given=given: rule(*given))
                pairs = zip(fast, reference, strict=True) if isinstance(fast, tuple) else [(fast, reference)]
                for got, expected in pairs:
                    assert got.dtype == expected.dtype, rule.__qualname__
                    np.testing.assert_array_equal(got, expected, err_msg=rule.__qualname__)


def _spread_like(rng: np.random.Generator, example: np.ndarray) -> np.ndarray:
    """Random values of an example array's dtype, for 200 replicates: examples hold one, on the
    axis of length 1 (the other axis is partners or agreements)."""
    shape = tuple(200 if size == 1 else size for size in np.shape(example))
    dtype = np.asarray(example).dtype
    if dtype.kind == "b":
        return rng.uniform(0.0, 1.0, shape) < 0.5
    if dtype.kind == "i":  # codes (agreement states) or months, -1 for none
        return rng.integers(-1, 4, shape).astype(dtype)
    return rng.uniform(0.0, 1.0, shape)
