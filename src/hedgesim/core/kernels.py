"""Compiled (numba) kernels for the engine's hottest loops, one replicate at a time, and the
machinery of compilable rules. The numpy functions in ``hedging``, ``observe`` and ``streams``
stay the reference the tests compare the kernels with. A kernel works on each replicate alone.
The Poisson counts, the streams and the event log's drivers give the reference's numbers bit for
bit; the hedging solve takes its Newton steps but grows each weight by a short series where a
step is small (no ``exp``), so its optimum agrees to about 1e-15. ``use_compiled(False)`` (the
tests), or a machine without numba, runs the reference path; kernels compile at first call.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from hedgesim.core.vocabulary import RUSSIA

NEWTON_STEPS = 60
MAX_LOG_STEP = 4.0
TOLERANCE = 1e-11
SURELY_SHORT = 1e-9
"""Newton's limits, shared with the reference path in ``hedging``."""
SERIES_STEP = 1e-3
"""Below this log step a weight grows by the exponential's series, not by ``exp`` (``_grown``)."""

_state = {"compiled": importlib.util.find_spec("numba") is not None, "jitted": False}


def compiled() -> bool:
    """Whether the engine runs these kernels (else the numpy reference)."""
    return _state["compiled"]


@contextmanager
def use_compiled(enabled: bool) -> Iterator[None]:
    """Run the block with the compiled kernels on or off (off: the numpy reference path)."""
    before = _state["compiled"]
    _state["compiled"] = enabled and importlib.util.find_spec("numba") is not None
    try:
        yield
    finally:
        _state["compiled"] = before


_KERNELS = (
    "_start_row",
    "_grown",
    "_newton_step",
    "_solve_row",
    "_optimal_hedge_rows",
    "_inverted_count_alone",
    "_inverted_counts",
    "_uniforms_into",
    "_most_moved",
    "_strongest",
    "_explained_moves",
)
"""Compiled on first use, callees first: importing numba costs a third of a second, which a run
that never reaches a kernel should not pay. The on-disk cache spares later processes the
compilation itself."""


_INLINED = ("_grown", "_newton_step", "_start_row", "_solve_row", "_most_moved", "_strongest")
"""Kernels compiled into their callers: a call per weight and step would cost more than the step."""


def _jit_all() -> None:
    if _state["jitted"]:
        return
    import numba

    for name in _KERNELS:
        inline = "always" if name in _INLINED else "never"
        options = {"cache": True, "nogil": True, "error_model": "numpy", "inline": inline}
        globals()[name] = numba.njit(**options)(globals()[name])
    _state["jitted"] = True


_RULES: list[tuple[Callable, tuple[Callable[[], tuple], ...]]] = []
"""The compilable rules and how to call each as a run does (for ``warm``)."""


def compilable(*examples: Callable[[], tuple]) -> Callable[[Callable], Callable]:
    """Mark a pure array function whose own source numba compiles: the engine calls the compiled
    version, the reference path (``use_compiled(False)``) the function as written, so one source
    serves both. Meant for rules called every month on small arrays, where numpy's cost per call,
    not per element, dominates.

    Each example returns arguments of the types a run passes: ``warm`` compiles the rule for
    them (other types, such as a parameter swept per replicate, compile on first use; the
    on-disk cache keeps every version for later processes)."""

    def mark(rule: Callable) -> Callable:
        jitted: list[Callable] = []

        def compiled_rule() -> Callable:
            if not jitted:
                import numba

                jitted.append(numba.njit(cache=True, nogil=True, error_model="numpy")(rule))
            return jitted[0]

        @functools.wraps(rule)
        def run(*args, **kwargs):
            return (compiled_rule() if _state["compiled"] else rule)(*args, **kwargs)

        run.compiled = compiled_rule
        _RULES.append((run, examples))
        return run

    return mark


def warm() -> None:
    """Load every kernel and compilable rule now, for the argument types the engine passes (from
    numba's on-disk cache, else compiling it): a process that forks workers does it once for all
    of them, where each worker would otherwise pay about a second for it. Nothing without numba."""
    if importlib.util.find_spec("numba") is None:
        return
    _jit_all()
    one, two = np.full(1, 0.5), np.full((1, 4), 0.25)
    rows = (one, one.copy(), one.copy(), one.copy())  # twice the risk aversion, eta, commitment, cost
    _optimal_hedge_rows(two, two.copy(), *rows, two.copy(), True, two.copy())
    _inverted_counts(one, np.exp(-one), one.copy(), np.empty(1))
    _uniforms_into(np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64), np.empty((1, 1)))
    terms = (two.copy(), two.copy(), two.copy(), two.copy(), one.copy())
    codes = np.empty(1, dtype=np.int8)
    _explained_moves(two, terms, tuple(t.copy() for t in terms), True, codes, codes.copy(), one.copy())
    for rule, examples in _RULES:
        for example in examples:
            rule.compiled()(*example())


def optimal_hedge_rows(*arrays) -> None:
    """``hedging.optimal_hedge`` replicate by replicate (see ``_optimal_hedge_rows``)."""
    _jit_all()
    _optimal_hedge_rows(*arrays)


def inverted_counts(*arrays) -> None:
    """``observe._inverted_count`` draw by draw (see ``_inverted_counts``)."""
    _jit_all()
    _inverted_counts(*arrays)


def uniforms_into(*arrays) -> None:
    """``streams.ReplicateStreams.uniforms`` in one pass (see ``_uniforms_into``)."""
    _jit_all()
    _uniforms_into(*arrays)


def explained_moves(*arrays) -> None:
    """``hedging.explained_moves`` row by row (see ``_explained_moves``)."""
    _jit_all()
    _explained_moves(*arrays)


def _start_row(u, a, eta, start, has_start, y, w, t):
    """Newton's starting point for one row: ``y`` = log w and ``w`` from ``start`` (normalised)
    or from a blend of the risk-neutral optimum and the even split; ``t`` = u - eta. Returns mu."""
    n = u.shape[0]
    for j in range(n):
        t[j] = u[j] - eta
    if has_start:
        total = 0.0
        for j in range(n):
            w[j] = max(start[j], 1e-300)
            total += w[j]
        inverse = 1.0 / total
        for j in range(n):
            w[j] = w[j] * inverse
            y[j] = math.log(w[j])
    else:
        top = u[0] / eta
        for j in range(1, n):
            top = max(top, u[j] / eta)
        total = 0.0
        for j in range(n):
            total += math.exp(u[j] / eta - top)
        log_total = math.log(total)
        even = -math.log(n)
        for j in range(n):
            risk_neutral = (u[j] / eta - top) - log_total
            high, low = max(risk_neutral, even), min(risk_neutral, even)
            y[j] = high + math.log1p(math.exp(low - high)) - math.log(2.0)
            w[j] = math.exp(y[j])
    mu = 0.0
    for j in range(n):
        mu += t[j] - a[j] * w[j] - eta * y[j]
    return mu / n


def _grown(w, step):
    """``w * exp(step)``: for a step under ``SERIES_STEP`` by the exponential's series to the
    fifth power, whose remainder (under 2e-21 of ``w``) is below a double's last bit, so Newton's
    last steps, all small, need no ``exp``."""
    if abs(step) < SERIES_STEP:
        return w + w * (step * (1.0 + step * (0.5 + step * (1.0 / 6.0 + step * (1.0 / 24.0 + step / 120.0)))))
    return w * math.exp(step)


def _newton_step(a, eta, t, y, w, mu, residual, inverse_slope):
    """One Newton step on (log w, mu) of one row, ``y`` and ``w`` = exp(y) in place. Returns the
    new mu and the largest step taken."""
    n = y.shape[0]
    total = 0.0
    weighted_total = 0.0
    ratio_total = 0.0
    for j in range(n):
        inverse_slope[j] = 1.0 / (a[j] * w[j] + eta)
        residual[j] = eta * y[j] + a[j] * w[j] + mu - t[j]
        ratio = w[j] * inverse_slope[j]
        total += w[j]
        weighted_total += ratio * residual[j]
        ratio_total += ratio
    d_mu = (total - 1.0 - weighted_total) / ratio_total
    largest = 0.0
    for j in range(n):
        step = (-d_mu - residual[j]) * inverse_slope[j]
        step = min(max(step, -MAX_LOG_STEP), MAX_LOG_STEP)
        y[j] += step
        w[j] = _grown(w[j], step)
        largest = max(largest, abs(step))
    return mu + d_mu, largest


def _solve_row(u, a, eta, start, has_start, w, scratch):
    """Maximise u.w - sum a_j w_j^2 / 2 + eta H(w) on the simplex for one row by Newton on
    (log w, mu); writes the weights into ``w`` and returns whether it converged. ``scratch`` is
    a (4, P) work array."""
    y, t, residual, inverse_slope = scratch[0], scratch[1], scratch[2], scratch[3]
    mu = _start_row(u, a, eta, start, has_start, y, w, t)
    converged = False
    for _ in range(NEWTON_STEPS):
        mu, largest = _newton_step(a, eta, t, y, w, mu, residual, inverse_slope)
        if largest < TOLERANCE:
            converged = True
            break
    total = 0.0
    for j in range(y.shape[0]):
        total += w[j]
    inverse = 1.0 / total
    for j in range(y.shape[0]):
        w[j] = w[j] * inverse
    return converged


def _optimal_hedge_rows(utility, variance, twice_risk, eta, commitment, cost, start, has_start, out):
    """``hedging.optimal_hedge`` row by row into ``out`` (R, P): the penalised solve first where
    last month was short, the free solve only where that is not surely short, and the penalised
    one after it where the free optimum falls short of the commitment. Each row's curvature is
    its variances times twice its risk aversion, the reference's product."""
    n_rows, n = utility.shape
    free = np.empty(n)
    penalised = np.empty(n)
    u = np.empty(n)
    a = np.empty(n)
    curvature = np.empty(n)
    scratch = np.empty((4, n))
    for i in range(n_rows):
        c = commitment[i]
        priced = cost[i] > 0.0
        guess = priced and (not has_start or start[i, RUSSIA] < c)
        for j in range(n):
            curvature[j] = twice_risk[i] * variance[i, j]
        u[:] = utility[i]
        a[:] = curvature
        u[RUSSIA] += cost[i] * c
        a[RUSSIA] += cost[i]
        if guess:
            converged = _solve_row(u, a, eta[i], start[i], has_start, penalised, scratch)
            if converged and penalised[RUSSIA] < c - SURELY_SHORT:
                out[i] = penalised
                continue
        _solve_row(utility[i], curvature, eta[i], start[i], has_start, free, scratch)
        if priced and free[RUSSIA] < c:
            if not guess:
                _solve_row(u, a, eta[i], start[i], has_start, penalised, scratch)
            out[i] = penalised
        else:
            out[i] = free


def _inverted_counts(rate, first, uniform, counts):
    """``observe._inverted_count`` draw by draw: the Poisson CDF summed term by term from
    ``first`` = e^-rate (taken by numpy, so every term is the reference's double) until it
    reaches the draw's uniform; the count is the number of terms it took.

    Four draws go side by side, each in its own variables: a draw's terms depend on each other,
    not on its neighbours', so the processor overlaps the four chains, and the loop ends once the
    longest is done. A draw that is done goes on adding terms that cannot lower its CDF; only the
    terms while it is below its uniform are counted, so each draw's count (and every double it
    sums until then) is the one it would get alone."""
    n = rate.shape[0]
    paired = n - n % 4
    for i in range(0, paired, 4):
        r0, r1, r2, r3 = rate[i], rate[i + 1], rate[i + 2], rate[i + 3]
        u0, u1, u2, u3 = uniform[i], uniform[i + 1], uniform[i + 2], uniform[i + 3]
        p0, p1, p2, p3 = first[i], first[i + 1], first[i + 2], first[i + 3]
        c0, c1, c2, c3 = p0, p1, p2, p3
        n0 = n1 = n2 = n3 = 0
        k = 0
        while (c0 < u0) | (c1 < u1) | (c2 < u2) | (c3 < u3):
            n0 += c0 < u0
            n1 += c1 < u1
            n2 += c2 < u2
            n3 += c3 < u3
            k += 1
            p0 = p0 * r0 / k
            p1 = p1 * r1 / k
            p2 = p2 * r2 / k
            p3 = p3 * r3 / k
            c0, c1, c2, c3 = c0 + p0, c1 + p1, c2 + p2, c3 + p3
        counts[i], counts[i + 1], counts[i + 2], counts[i + 3] = n0, n1, n2, n3
    for i in range(paired, n):
        counts[i] = _inverted_count_alone(rate[i], first[i], uniform[i])


def _inverted_count_alone(r, pmf, u):
    """One draw's count: terms summed from ``pmf`` = e^-r while the CDF is below ``u``."""
    cdf = pmf
    k = 0
    while cdf < u:
        k += 1
        pmf = pmf * r / k
        cdf = cdf + pmf
    return k


MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
SHIFT1, SHIFT2, SHIFT3 = np.uint64(30), np.uint64(27), np.uint64(31)
"""SplitMix64's constants, shared with the reference in ``streams``."""
_MANTISSA_SHIFT = np.uint64(11)
TO_UNIT = 1.0 / float(1 << 53)


def _uniforms_into(keys, offsets, out):
    """``streams.ReplicateStreams.uniforms`` in one pass: SplitMix64 of each replicate's key plus
    each channel's mixed counter, its top 53 bits scaled to [0, 1). Integer arithmetic, so the
    same bits as the reference. ``out`` is (channels, replicates), each channel's row written in
    turn."""
    for c in range(offsets.shape[0]):
        offset = offsets[c]
        for i in range(keys.shape[0]):
            x = keys[i] + offset
            x ^= x >> SHIFT1
            x *= MIX1
            x ^= x >> SHIFT2
            x *= MIX2
            x ^= x >> SHIFT3
            out[c, i] = float(x >> _MANTISSA_SHIFT) * TO_UNIT


def _explained_moves(moved, terms, previous, has_previous, driver, partner, moved_by):
    """``hedging.explained_moves`` row by row into ``driver``, ``partner`` and ``moved_by``: the
    partner that moved most (the first of equals, as ``np.argmax``) and its move; with last
    month's terms, the first term whose change pushed it furthest its way, each change computed
    for that partner only by the reference's arithmetic (driver 0 without them)."""
    trust, gains, costs, risk, pull = terms
    trust0, gains0, costs0, risk0, pull0 = previous
    for i in range(moved.shape[0]):
        p = _most_moved(moved[i])
        partner[i] = p
        moved_by[i] = moved[i, p]
        if not has_previous:
            driver[i] = 0
            continue
        changes = (
            (trust[i, p] - trust0[i, p]) * gains[i, p],
            trust[i, p] * (gains[i, p] - gains0[i, p]) - (costs[i, p] - costs0[i, p]),
            risk[i, p] - risk0[i, p],
            pull[i] - pull0[i] if p == RUSSIA else 0.0,
        )
        driver[i] = _strongest(moved[i, p], changes)


def _most_moved(row):
    """The partner whose weight moved most in this row (the first of equals, as ``np.argmax``)."""
    partner = 0
    for j in range(1, row.shape[0]):
        if abs(row[j]) > abs(row[partner]):
            partner = j
    return partner


def _strongest(move, terms):
    """The first of the terms that pushed a move of ``move`` furthest its way (the largest
    change either way when the weight did not move)."""
    direction = 1.0 if move > 0.0 else (-1.0 if move < 0.0 else 0.0)
    best, best_score = 0, -math.inf
    for k in range(4):
        score = abs(terms[k]) if direction == 0.0 else terms[k] * direction
        if score > best_score:
            best, best_score = k, score
    return best
