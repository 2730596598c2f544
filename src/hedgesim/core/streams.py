"""Per-replicate random streams that stay vectorised.

Each draw is a pure function of (run seed, replicate index, step, channel): a counter-based
generator built from the SplitMix64 mixer. Replicate k therefore sees the same numbers whatever
the ensemble size, the worker count or the machine, and a month of draws for all replicates is
a handful of array operations instead of a Python loop over replicates.

The per-replicate keys come from numpy's SeedSequence, so the run seed is the only source of
randomness.
"""

from __future__ import annotations

import copy

import numpy as np

from hedgesim.core import kernels

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = kernels.MIX1, kernels.MIX2
_SHIFT1, _SHIFT2, _SHIFT3 = kernels.SHIFT1, kernels.SHIFT2, kernels.SHIFT3
_TO_UNIT = kernels.TO_UNIT


def _splitmix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijective 64-bit mixer with full avalanche."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


def _splitmix_in_place(x: np.ndarray) -> np.ndarray:
    """``_splitmix`` overwriting ``x`` (a month of draws is large: no temporaries but one)."""
    shifted = np.empty_like(x)
    for shift, multiplier in ((_SHIFT1, _MIX1), (_SHIFT2, _MIX2)):
        x ^= np.right_shift(x, shift, out=shifted)
        x *= multiplier
    x ^= np.right_shift(x, _SHIFT3, out=shifted)
    return x


def replicate_keys(seed: int, replicate_ids: np.ndarray) -> np.ndarray:
    """64-bit key of each replicate, from the run seed and the replicate index."""
    root = np.random.SeedSequence(int(seed)).generate_state(2, dtype=np.uint64)
    ids = np.asarray(replicate_ids, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _splitmix(_splitmix(root[0] ^ (ids * _GOLDEN)) + root[1])


class ReplicateStreams:
    """Uniform and normal draws indexed by (replicate, step, channel).

    Args:
        seed: the run seed.
        replicate_ids: the replicate indices this ensemble holds (not necessarily 0..R-1).
        channels: names of the independent draw channels used each step.
        steps: the steps a run will draw for: each one's mixed channel counters are made at once
            here (the same integers a step would make alone), not a few numpy calls a step.
    """

    def __init__(self, seed: int, replicate_ids: np.ndarray, channels: tuple[str, ...], steps: int = 0):
        self.keys = replicate_keys(seed, replicate_ids)[None, :]
        self.channels = {name: i for i, name in enumerate(channels)}
        self._offsets = np.arange(len(channels), dtype=np.uint64)[:, None]
        self._mixed = self._mixed_counters(np.arange(steps, dtype=np.uint64)[:, None, None])[..., 0]

    def taken(self, index: np.ndarray) -> ReplicateStreams:
        """The streams of the replicates at positions ``index`` (repeats allowed), for an ensemble
        forked from this one (``core.fork``): each replicate keeps its own key, so its draws."""
        taken = copy.copy(self)
        taken.keys = self.keys[:, index]
        return taken

    def _mixed_counters(self, step: np.ndarray) -> np.ndarray:
        """Each channel's counter at ``step``, mixed (the part of a draw shared by all replicates)."""
        counter = step * np.uint64(len(self.channels)) + self._offsets
        with np.errstate(over="ignore"):
            return _splitmix(counter + np.uint64(1)) * _GOLDEN

    def uniforms(self, step: int) -> np.ndarray:
        """All channels' uniforms in [0, 1) for one step, shape (channels, replicates): a channel's
        draws are one contiguous row."""
        mixed = self._mixed[step] if step < len(self._mixed) else self._mixed_counters(np.uint64(step))[:, 0]
        if kernels.compiled():
            draws = np.empty((len(self.channels), self.keys.shape[1]))
            kernels.uniforms_into(self.keys[0], mixed, draws)
            return draws
        with np.errstate(over="ignore"):
            bits = _splitmix_in_place(self.keys + mixed[:, None])
        bits >>= np.uint64(11)
        draws = bits.astype(np.float64)
        draws *= _TO_UNIT
        return draws

    def column(self, draws: np.ndarray, channel: str) -> np.ndarray:
        """One channel's uniforms out of a step's draws."""
        return draws[self.channels[channel]]

    def columns(self, draws: np.ndarray, channels: tuple[str, ...]) -> np.ndarray:
        """Several channels' uniforms out of a step's draws, one row per channel."""
        return draws[[self.channels[name] for name in channels]]

    def normal_pair(self, draws: np.ndarray, channel_a: str, channel_b: str) -> tuple[np.ndarray, np.ndarray]:
        """Two independent standard normals by Box-Muller from two uniform channels."""
        radius = np.sqrt(-2.0 * np.log(1.0 - self.column(draws, channel_a)))
        angle = 2.0 * np.pi * self.column(draws, channel_b)
        return radius * np.cos(angle), radius * np.sin(angle)
