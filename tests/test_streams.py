"""Counter-based per-replicate streams: uniform, independent of ensemble size."""

from __future__ import annotations

import numpy as np
from scipy import stats

from hedgesim.core.streams import ReplicateStreams, _splitmix, replicate_keys


def test_draws_are_uniform():
    streams = ReplicateStreams(5, np.arange(20000), ("a", "b"))
    u = streams.uniforms(3)
    assert u.shape == (2, 20000)
    assert stats.kstest(u.ravel(), "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u[0], u[1])[0, 1]) < 0.03


def test_steps_and_replicates_are_uncorrelated():
    streams = ReplicateStreams(5, np.arange(5000), ("a",))
    a, b = streams.uniforms(0)[0], streams.uniforms(1)[0]
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.05
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 0.05


def test_replicate_draws_do_not_depend_on_the_ensemble():
    big = ReplicateStreams(9, np.arange(1000), ("a", "b", "c"))
    one = ReplicateStreams(9, np.array([417]), ("a", "b", "c"))
    for step in (0, 7, 143):
        np.testing.assert_array_equal(big.uniforms(step)[:, 417], one.uniforms(step)[:, 0])


def test_seed_changes_every_draw():
    a = ReplicateStreams(1, np.arange(100), ("a",)).uniforms(0)
    b = ReplicateStreams(2, np.arange(100), ("a",)).uniforms(0)
    assert not np.any(a == b)


def test_normals_are_standard():
    streams = ReplicateStreams(4, np.arange(50000), ("x", "y"))
    z1, z2 = streams.normal_pair(streams.uniforms(2), "x", "y")
    for z in (z1, z2):
        assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
        assert stats.kstest(z, "norm").pvalue > 1e-3
        assert np.isfinite(z).all()
    assert abs(np.corrcoef(z1, z2)[0, 1]) < 0.03


def test_draws_are_splitmix_of_key_plus_mixed_counter():
    """The month's draws, computed in place, are the plain formula's: SplitMix64 of the
    replicate's key plus the golden-ratio multiple of the mixed (step, channel) counter."""
    ids = np.array([0, 3, 41, 2**40])
    streams = ReplicateStreams(11, ids, ("a", "b", "c"))
    keys = replicate_keys(11, ids)[None, :]
    step = 57
    counter = np.uint64(step * 3) + np.arange(3, dtype=np.uint64)[:, None]
    with np.errstate(over="ignore"):
        bits = _splitmix(keys + _splitmix(counter + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15))
    expected = (bits >> np.uint64(11)).astype(np.float64) / 2.0**53
    np.testing.assert_array_equal(streams.uniforms(step), expected)


def test_counters_made_up_front_are_the_ones_a_step_makes():
    """A run makes every step's mixed counters when it starts; a step's draws are the same as
    without them, within the steps given and past them."""
    ids = np.arange(3, 40)
    ahead = ReplicateStreams(9, ids, ("a", "b", "c"), steps=10)
    alone = ReplicateStreams(9, ids, ("a", "b", "c"))
    for step in (0, 1, 9, 10, 500):
        np.testing.assert_array_equal(ahead.uniforms(step), alone.uniforms(step))
