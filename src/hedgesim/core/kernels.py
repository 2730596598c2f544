"""Compiled (numba) kernels for the engine's hottest loops, one replicate at a time, and the
machinery of compilable rules. The numpy functions in ``hedging``, ``observe`` and ``streams``
stay the reference the tests compare the kernels with. A kernel works on each replicate alone.
The Poisson counts, the streams and the event log's drivers give the reference's numbers bit for
bit; the hedging solve (``hedge_kernel``) agrees to about 1e-15. ``use_compiled(False)`` (the
tests), or a machine without numba, runs the reference path; kernels compile at first call.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from hedgesim.core import hedge_kernel
from hedgesim.core.vocabulary import RUSSIA

_state = {"compiled": importlib.util.find_spec("numba") is not None, "jitted": False}
_JITTING = threading.Lock()
"""Kernels are compiled (or loaded) once per process: threads running models wait for the first."""


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


_INLINED = ("_most_moved", "_strongest")
"""Kernels compiled into their callers: a call per weight and step would cost more than the step."""


def _jit_all() -> None:
    if _state["jitted"]:
        return
    with _JITTING:
        if not _state["jitted"]:
            _jit_each()


def _jit_each() -> None:
    import numba

    here = globals()
    for names, inlined, space in (
        (hedge_kernel.KERNELS, hedge_kernel.INLINED, vars(hedge_kernel)),
        (_KERNELS, _INLINED, here),
    ):
        for name in names:
            inline = "always" if name in inlined else "never"
            options = {"cache": True, "nogil": True, "error_model": "numpy", "inline": inline}
            space[name] = numba.njit(**options)(space[name])
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
                with _JITTING:
                    if not jitted:
                        import numba

                        jitted.append(numba.njit(cache=True, nogil=True, error_model="numpy")(rule))
            return jitted[0]

        @functools.wraps(rule)
        def run(*args, **kwargs):
            try:
                return (compiled_rule() if _state["compiled"] else rule)(*args, **kwargs)
            except SystemError as err:  # numba's dispatcher returns a Ctrl-C as a SystemError
                stop = _stop_under(err)
                if stop is None:
                    raise
                raise stop from None

        run.compiled = compiled_rule
        _RULES.append((run, examples))
        return run

    return mark


def _stop_under(err: BaseException | None) -> BaseException | None:
    """The KeyboardInterrupt (or a worker's SystemExit on Ctrl-C) at the root of ``err``'s chain
    of causes, or None: numba wraps one raised in its Python code, loading a cached kernel, in a
    SystemError for each call level."""
    while err is not None:
        if isinstance(err, KeyboardInterrupt | SystemExit):
            return type(err)(*err.args)
        err = err.__cause__
    return None


def warm() -> None:
    """Load every kernel and compilable rule now, for the argument types the engine passes (from
    numba's on-disk cache, else compiling it): a process that forks workers does it once for all
    of them, where each worker would otherwise pay about a second for it. Nothing without numba."""
    if importlib.util.find_spec("numba") is None:
        return
    _jit_all()
    one, two = np.full(1, 0.5), np.full((1, 4), 0.25)
    rows = (one, one.copy(), one.copy(), one.copy())  # twice the risk aversion, eta, commitment, cost
    hedge_kernel._optimal_hedge_rows(two, two.copy(), *rows, two.copy(), True, two.copy())
    _inverted_counts(one, np.exp(-one), one.copy(), np.empty(1))
    _uniforms_into(np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64), np.empty((1, 1)))
    terms = (two.copy(), two.copy(), two.copy(), two.copy(), one.copy())
    codes = np.empty(1, dtype=np.int8)
    _explained_moves(two, terms, tuple(t.copy() for t in terms), True, codes, codes.copy(), one.copy())
    for rule, examples in _RULES:
        for example in examples:
            rule.compiled()(*example())


def optimal_hedge_rows(*arrays) -> None:
    """``hedging.optimal_hedge`` replicate by replicate (see ``hedge_kernel``)."""
    _jit_all()
    hedge_kernel._optimal_hedge_rows(*arrays)


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
