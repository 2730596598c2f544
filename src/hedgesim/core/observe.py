"""What an observer of the model sees: event counts, the relations index, trade, milestones.

The relations index imitates the event analysis behind the Belarus Foreign Policy Index and the
Minsk Barometer: each month the model generates positive and negative interaction events
between Belarus and a partner, at rates set by that month's cooperation and conflict; the index
is the sum of their signed scores (the published two-month figures are sums of two months).
"""

from __future__ import annotations

import numpy as np

from hedgesim.core import kernels

_TAIL_LOG_MASS = 110 * np.log(2.0)
"""The CDF table reaches the count whose probability beyond is below e^-this (2^-110, by
Bernstein's bound for the Poisson tail, ``tail_length``): negligible next to the survival a
uniform is compared with (its distance to 1, at least 2^-53), to its last digit. A table cut at
rate + 9 sd left out about 2e-19 at rate 365, and with it the count of a uniform of 1 - 2^-53."""
_NEAR_ONE = 1.0 - 1e-9
"""Uniforms above this take the tabulated path, whose survival function is exact in the tail."""
_LARGE_RATE = 600.0
"""Rates above this take the tabulated path: e^-rate underflows past about 745."""
_TABLE_CELLS = 1 << 22
"""The tabulated path's table holds at most this many terms at a time (32 MiB of doubles an array):
a few thousand draws at a rate of hundreds would otherwise ask for gigabytes at once."""
_CARRY_SHARE = 0.25
"""The inverted path drops the draws that are done once no more than this share is still going."""
_FEW_DRAWS = 16
"""Up to this many draws, the inverted path runs draw by draw in plain floats."""


def event_count(rate: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Events in a month: an exact Poisson(rate) draw by inverting its CDF at ``uniform``.

    One uniform per draw keeps replicate k's count independent of the ensemble. The CDF is built
    term by term (p_k = p_(k-1) rate / k), each draw counting the terms whose CDF is still below
    its uniform, so the cost follows the counts drawn, not the largest rate. Uniforms within 1e-9
    of 1 and rates past 600 (whose e^-rate would underflow) take the tabulated path instead.
    """
    rate = np.maximum(np.asarray(rate, dtype=float), 0.0)
    shape = rate.shape
    rate = rate.reshape(-1)
    uniform = np.asarray(uniform, dtype=float)
    if uniform.shape != shape:
        uniform = np.broadcast_to(uniform, shape)
    uniform = uniform.reshape(-1)
    counts = np.zeros(rate.size)
    far = (uniform > _NEAR_ONE) | (rate > _LARGE_RATE)
    if far.any():
        counts[far] = _tabulated_count(rate[far], uniform[far])
        near = np.flatnonzero(~far)
        counts[near] = _inverted_count(rate[near], uniform[near])
    else:
        counts = _inverted_count(rate, uniform)
    return counts.reshape(shape)


def _inverted_count(rate: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """The Poisson inverse CDF by the running sum of its terms, for rates whose e^-rate is normal.

    A draw's CDF never falls as terms are added, so its count is the number of terms at which the
    CDF is still below its uniform. Draws that are done keep being summed (harmlessly) until three
    quarters of those carried are done; only the rest are then carried forward, which costs less
    than dropping the done ones at every term.
    """
    if kernels.compiled():
        rate, uniform = np.ascontiguousarray(rate), np.ascontiguousarray(uniform)
        counts = np.empty(rate.size)
        kernels.inverted_counts(rate, np.exp(-rate), uniform, counts)
        return counts
    if rate.size <= _FEW_DRAWS:
        return _inverted_count_one_by_one(rate, uniform)
    counts = np.zeros(rate.size)
    rows = np.arange(rate.size)
    r, u = rate, uniform
    pmf = np.exp(-r)
    cdf = pmf.copy()
    below = np.empty(rate.size, dtype=bool)
    found = np.zeros(rate.size, dtype=np.int32)
    k = 0
    while True:
        np.less(cdf, u, out=below)
        found += below
        going = np.count_nonzero(below)
        if going == 0:
            break
        if going <= _CARRY_SHARE * below.size:
            counts[rows] = found
            keep = np.flatnonzero(below)
            rows, r, u, pmf, cdf, found = rows[keep], r[keep], u[keep], pmf[keep], cdf[keep], found[keep]
            below = np.empty(going, dtype=bool)
        k += 1
        pmf *= r
        pmf /= k
        cdf += pmf
    counts[rows] = found
    return counts


def _inverted_count_one_by_one(rate: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """``_inverted_count`` draw by draw, for the few draws of a small ensemble, where numpy's cost
    per call would dominate: the same operations on the same doubles (e^-rate from numpy too),
    so the same counts."""
    first = np.exp(-rate)
    counts = np.zeros(rate.size)
    for i, (r, u, pmf) in enumerate(zip(rate.tolist(), uniform.tolist(), first.tolist(), strict=True)):
        cdf, k = pmf, 0
        while cdf < u:
            k += 1
            pmf = pmf * r / k
            cdf = cdf + pmf
        counts[i] = k
    return counts


def _tabulated_count(rate: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Poisson inverse CDF from a table of probabilities up to the largest rate's far tail.

    Up to the median the test reads the CDF in logs: at large rates the head's probabilities are
    subnormal (e^-817 is below 1e-323) and lose their digits as plain floats. Past the median it
    reads the survival function summed from the tail: a CDF summed from the head rounds to
    1 - 1e-16 and would let a uniform near 1 run off the table, giving counts that depend on the
    table's length and fall as the rate rises. Rates whose e^-rate is a normal float build the
    table term by term (p_k = p_(k-1) rate / k): a probability read back from its logarithm
    (about 36 for e^-36) keeps only 15 digits, too few to tell a survival of rate - rate^2 / 2
    from a uniform's distance to 1 at the smallest rates; larger rates build it in logs.
    """
    counts = np.empty(rate.size)
    normal = rate <= _LARGE_RATE
    for chosen, in_logs in ((normal, False), (~normal, True)):
        if chosen.any():
            counts[chosen] = _table_count(rate[chosen], uniform[chosen], in_logs)
    return counts


def _table_count(rate: np.ndarray, uniform: np.ndarray, in_logs: bool) -> np.ndarray:
    """The counts of :func:`_tabulated_count` from one table, its probabilities built from logs
    (``in_logs``) or term by term. The table has a column per draw, so it is built for a block of
    draws at a time (at most ``_TABLE_CELLS`` cells): every block gets the length the largest
    rate of all the draws calls for, and each column is summed on its own, so a draw's count does
    not depend on the blocks."""
    size = tail_length(float(rate.max(initial=0.0)))
    width = max(1, _TABLE_CELLS // size)
    counts = np.empty(rate.size)
    for first in range(0, rate.size, width):
        block = slice(first, first + width)
        counts[block] = _table_block(rate[block], uniform[block], in_logs, size)
    return counts


def tail_length(rate: float) -> int:
    """Terms of a Poisson(rate) table whose probability beyond is below e^-``_TAIL_LOG_MASS``:
    Bernstein's inequality, P(X - rate >= x) <= exp(-x^2 / (2 (rate + x / 3))), solved for x."""
    a = _TAIL_LOG_MASS
    return int(np.ceil(rate + a / 3.0 + np.sqrt(a * a / 9.0 + 2.0 * a * rate))) + 12


def _table_block(rate: np.ndarray, uniform: np.ndarray, in_logs: bool, size: int) -> np.ndarray:
    """:func:`_table_count` for one block of draws, from a table of ``size`` terms."""
    k = np.arange(size, dtype=float)[:, None]
    if in_logs:
        log_factorial = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, size)))))[:, None]
        log_rate = np.log(np.where(rate > 0, rate, 1.0))
        log_pmf = k * log_rate - rate - log_factorial
        log_pmf[1:, rate == 0] = -np.inf
        log_cdf = np.logaddexp.accumulate(log_pmf, axis=0)
        pmf = np.exp(log_pmf)
    else:
        ratios = np.ones((size, rate.size))
        ratios[1:] = rate / k[1:]
        pmf = np.exp(-rate) * np.cumprod(ratios, axis=0)
        with np.errstate(divide="ignore"):
            log_cdf = np.log(np.cumsum(pmf, axis=0))
    survival = np.zeros_like(pmf)
    survival[:-1] = np.cumsum(pmf[::-1], axis=0)[::-1][1:]
    with np.errstate(divide="ignore"):
        log_uniform = np.log(uniform)
    head = log_cdf <= np.log(0.5)
    below = np.where(head, log_cdf < log_uniform, survival > 1.0 - uniform)
    return below.sum(axis=0).astype(float)


def relations_index(
    cooperation: np.ndarray,
    conflict: np.ndarray,
    uniform_pos: np.ndarray,
    uniform_neg: np.ndarray,
    positive_rate: float,
    negative_rate: float,
    score: float,
) -> np.ndarray:
    """Signed index points of one dyad in one month."""
    positive = event_count(positive_rate * cooperation, uniform_pos)
    negative = event_count(negative_rate * conflict, uniform_neg)
    return score * (positive - negative)


def relations_indices(
    cooperation: list[np.ndarray],
    conflict: list[np.ndarray],
    uniforms: np.ndarray,
    scales: tuple[float, float, float],
) -> np.ndarray:
    """Signed index points of several dyads at once: one Poisson call for every count.

    Args:
        cooperation: each dyad's cooperation this month.
        conflict: each dyad's conflict this month.
        uniforms: the positive events' uniforms of every dyad, then the negative events'.
        scales: events per unit of cooperation, events per unit of conflict, points per event;
            each one number or one per replicate.
    """
    positive, negative, score = scales
    n = len(cooperation)
    rates = np.stack(cooperation + conflict)
    rates[:n] *= positive  # one number, or one per replicate
    rates[n:] *= negative
    counts = event_count(rates, uniforms)
    return score * (counts[:n] - counts[n:])


def trade_turnover(
    supply: np.ndarray,
    oil_price: float,
    non_oil: float,
    oil_linked: float,
    price_reference: float,
    elasticity: float,
) -> np.ndarray:
    """Annualised EU turnover, USD bn: non-oil trade plus refined products from Russian crude.

    Exports of petroleum products scale with the crude that reaches the refineries (``supply``
    in [0, 1]) and with the oil price through a constant elasticity.
    """
    return non_oil + oil_linked * supply * _power(oil_price / price_reference, elasticity)


def _power(base: float | np.ndarray, exponent: float | np.ndarray) -> float | np.ndarray:
    """``base ** exponent`` by the C library's pow, also for one value per replicate.

    numpy's array power may take a vectorised path that differs from the scalar one in the last
    bit; a setting batched per replicate must give the very value its own run gives, so each
    distinct pair is raised as a scalar.
    """
    if np.ndim(base) == 0 and np.ndim(exponent) == 0:
        return base**exponent
    base, exponent = np.broadcast_arrays(base, exponent)
    pairs = np.empty(base.shape, dtype=complex)  # one number per pair, for a fast unique
    pairs.real, pairs.imag = base, exponent
    distinct, where = np.unique(pairs, return_inverse=True)
    powers = np.array([pair.real**pair.imag for pair in distinct.tolist()])
    return powers[where]
