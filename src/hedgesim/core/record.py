"""Preallocated (month, replicate) arrays for everything a run observes.

Mesa's DataCollector keeps one Python list entry per step and reporter; at 10,000 replicates
stacking those lists costs as much as the simulation, so the full ensemble goes here instead
and the DataCollector keeps ensemble summaries.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from hedgesim.core.memory import fresh_array
from hedgesim.core.vocabulary import HEDGE, RELATIONS


def _unwritten(shape: tuple[int, int], dtype: np.dtype, first_step: int) -> np.ndarray:
    """An array for the months still to come, zero before ``first_step``, its pages mapped now
    (``memory.fresh_array``). Nothing reads past ``steps_done``, so months not yet written are
    never seen."""
    array = fresh_array(shape, dtype)
    array[:first_step] = 0
    return array


UNIFORM_FROM = 1000
"""A series is kept one value a month (while all replicates agree) only in ensembles of at least
this many replicates: in smaller ones the saving is small and each month's check of agreement
(a few microseconds a series) costs more than it saves; at one replicate every series agrees."""


def _agreed(values: np.ndarray) -> bool:
    """Whether every replicate has the same value (NaN agrees with nothing)."""
    values = np.asarray(values)
    return values.size == 0 or bool(values.min() == values.max())


def code_dtype(n_codes: int) -> np.dtype:
    """The narrowest integers that hold codes 0..n_codes-1 and -1 (none): what the record keeps
    them in (a byte a replicate-month where the timeline has fewer than 128 shocks)."""
    return np.dtype(np.int8 if n_codes <= np.iinfo(np.int8).max else np.int16)


class EnsembleRecord:
    """Arrays of shape (n_steps, n_replicates), one per observed name, filled step by step.

    Real-valued series are kept in ``precision`` (float64, or float32 for ensembles too large for
    memory otherwise); the others (counts, states, codes) in the dtype of their first month, or
    the one ``dtypes`` names (codes in the narrowest integers that hold them). A series the same
    in every month (``hold``) is kept once; one the same in every replicate, month after month (a
    dated input, an agreement no replicate has moved), one value a month until a month differs.
    """

    def __init__(
        self,
        n_steps: int,
        n_replicates: int,
        precision: str = "float64",
        dtypes: Mapping[str, np.dtype | type] | None = None,
    ):
        self.n_steps = n_steps
        self.n_replicates = n_replicates
        self.steps_done = 0
        self.real = np.dtype(precision)
        self.dtypes = {name: np.dtype(dtype) for name, dtype in (dtypes or {}).items()}
        self._arrays: dict[str, np.ndarray] = {}
        self._held: set[str] = set()
        self._uniform: dict[str, np.ndarray] = {}
        """Per name, its one value a month (shape (n_steps, 1)) while all replicates agree."""

    def record(self, step: int, observed: Mapping[str, np.ndarray]) -> None:
        """Store one month's arrays; each name keeps the dtype of its first month (or ``dtypes``'s).
        Held series are skipped: they are the same every month."""
        for name, values in observed.items():
            if name in self._held:
                continue
            if name in self._uniform:
                self._record_uniform(step, name, values)
            elif name in self._arrays:
                self._arrays[name][step] = values
            else:
                self._start(step, name, values)
        self.steps_done = max(self.steps_done, step + 1)

    def _start(self, step: int, name: str, values: np.ndarray) -> None:
        """The first month of a series: one value a month if all replicates agree, else them all."""
        dtype = self._dtype(name, values)
        if self.n_replicates >= UNIFORM_FROM and _agreed(values):
            self._keep_uniform(name, _unwritten((self.n_steps, 1), dtype, step))
            self._uniform[name][step] = np.asarray(values).flat[0]
        else:
            array = self._arrays[name] = _unwritten((self.n_steps, self.n_replicates), dtype, step)
            array[step] = values

    def _record_uniform(self, step: int, name: str, values: np.ndarray) -> None:
        """A month of a series kept one value a month: still one value, or from now on them all."""
        column = self._uniform[name]
        if _agreed(values):
            column[step] = np.asarray(values).flat[0]
            return
        array = fresh_array((self.n_steps, self.n_replicates), column.dtype)
        array[:step] = column[:step]
        array[step] = values
        self._arrays[name] = array
        del self._uniform[name]

    def _keep_uniform(self, name: str, column: np.ndarray) -> None:
        """Keep ``column`` (one value a month) as the series, read as every replicate's."""
        self._uniform[name] = column
        self._arrays[name] = np.broadcast_to(column, (self.n_steps, self.n_replicates))

    def hold(self, name: str, values: np.ndarray | float) -> None:
        """Keep a series that is the same in every month (a parameter, one value or one per
        replicate) once, not once a month: every month reads these values, and ``record`` skips
        the name. At large ensembles a month's copy of a constant is memory for nothing."""
        row = np.broadcast_to(values, (self.n_replicates,)).astype(self._dtype(name, values))
        self._arrays[name] = np.broadcast_to(row, (self.n_steps, self.n_replicates))
        self._held.add(name)

    def _dtype(self, name: str, values: np.ndarray | float) -> np.dtype:
        """The dtype a series is kept in: ``dtypes``'s, else ``precision`` for real values, else
        the values' own."""
        dtype = np.asarray(values).dtype
        return self.dtypes.get(name, self.real if dtype.kind == "f" else dtype)

    def _like(self, n_replicates: int) -> EnsembleRecord:
        """An empty record of this one's months, precision and dtypes, for other replicates."""
        other = EnsembleRecord(self.n_steps, n_replicates, self.real.name, self.dtypes)
        other.steps_done = self.steps_done
        other._held = set(self._held)
        return other

    def replicates(self, chosen: slice) -> EnsembleRecord:
        """The record of some replicates only (views, no copy): one cell of a batched ensemble."""
        part = self._like(len(range(self.n_replicates)[chosen]))
        part._arrays = {name: array[:, chosen] for name, array in self._arrays.items()}
        return part

    def taken(self, index: np.ndarray) -> EnsembleRecord:
        """The record of the replicates at positions ``index`` (repeats allowed), the months to
        come still unwritten: the start of an ensemble forked from this one (``core.fork``)."""
        taken = self._like(len(index))
        for name, array in self._arrays.items():
            if name in self._held:
                taken.hold(name, array[0, index])
                continue
            if name in self._uniform:
                taken._keep_uniform(name, self._uniform[name].copy())
                continue
            copy = taken._arrays[name] = _unwritten((self.n_steps, len(index)), array.dtype, 0)
            np.take(array[: self.steps_done], index, axis=1, out=copy[: self.steps_done])
        return taken

    def series(self, name: str) -> np.ndarray:
        """The months recorded so far, shape (steps_done, n_replicates)."""
        return self._arrays[name][: self.steps_done]

    def flat(self, name: str, months: slice = slice(None)) -> np.ndarray:
        """Month-major flattening: all replicates of month 0, then month 1, ... (of ``months``,
        a slice of the months recorded)."""
        return self.series(name)[months].reshape(-1)


def _mean(name: str):
    """A DataCollector reporter: the ensemble mean of one observed series."""
    return lambda model: ensemble_mean(model.observed[name])


def ensemble_mean(values: np.ndarray) -> float:
    """``np.mean`` of a series over replicates: its sum and division, without its per-call
    overhead, which counts at small ensembles."""
    return float(np.add.reduce(values, dtype=np.float64) / values.size)


SUMMARY_REPORTERS = {
    "date": lambda model: str(model.month),
    **{
        f"mean_{name}": _mean(name)
        for name in (*RELATIONS, *HEDGE, "trust_blr_eu", "trust_eu_blr", "sanctions_persons", "tension")
    },
}
"""Ensemble means per month in Mesa's DataCollector (``model.datacollector``); the full ensemble
is in ``model.record``."""
