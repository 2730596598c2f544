"""The calibration's objective: parameter values in, the ensemble's targets table out.

Every trial runs the same base run (scenario, shocks, challenges, seed) and changes only the
free parameters, so two trials differ by their parameters alone (common random numbers).

A batch of trials runs as one ensemble: each trial's parameter values are held per replicate,
side by side, every trial reusing the base run's replicate ids, so each trial comes out exactly
as its own run would; one ensemble of B x R replicates costs far less than B runs of R. Each
trial is then judged on arrays read straight from the run's record (no tidy table), which gives
the very table the tidy path gives.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from hedgesim.analysis.measures import Months, Panel
from hedgesim.analysis.pass_rules import evaluate_panel, loss_of, passes_of, standardised_errors_by_block
from hedgesim.analysis.targets import Target, required_span
from hedgesim.config.compose import compose_config
from hedgesim.config.spec import RunSpec, build_run
from hedgesim.core.knobs import per_replicate
from hedgesim.core.record import EnsembleRecord
from hedgesim.core.vocabulary import AGREEMENTS, MILESTONE_NAMES, SERIES
from hedgesim.workflows.calibration.search import CalibrationError, Dimension, Settings
from hedgesim.workflows.calibration.workers import Scores, scoring
from hedgesim.workflows.run import run_spec


class Objective:
    """Runs the model with given parameter values and scores the ensemble against the targets.

    Args:
        spec: the validated base run (scenario, shocks, challenges, default parameters, seed).
        targets: the observed targets.

    Raises:
        CalibrationError: when the run does not cover the months the targets need.
    """

    def __init__(self, spec: RunSpec, targets: Sequence[Target]):
        self.spec = spec
        self.targets = list(targets)
        _check_covers(spec, self.targets)
        self.months = Months(pd.DatetimeIndex(spec.calendar.dates(), name="date"))
        self._scorer: Scores | None = None

    @contextlib.contextmanager
    def on_workers(self, workers: int) -> Iterator[Objective]:
        """Within the block, :meth:`scores` splits each batch over ``workers`` processes
        (``workers.ScoringPool``): the same scores, sooner."""
        with scoring(self._scores_here, workers) as scores:
            self._scorer = scores
            try:
                yield self
            finally:
                self._scorer = None

    def with_values(self, values: Mapping[str, float], replicates: int | None = None) -> RunSpec:
        """The base run with these parameter values (and, if given, another ensemble size)."""
        params = dataclasses.replace(self.spec.params, **values)
        ids = self.spec.replicate_ids if replicates is None else tuple(range(replicates))
        return dataclasses.replace(self.spec, params=params, replicate_ids=ids)

    def fixing(self, values: Mapping[str, float]) -> Objective:
        """The same targets judged on a base run that holds ``values`` (fixed, no longer searched)."""
        return Objective(self.with_values(values), self.targets)

    def trajectories(self, values: Mapping[str, float], replicates: int | None = None) -> pd.DataFrame:
        """The tidy trajectories of the ensemble run with these values."""
        return run_spec(self.with_values(values, replicates)).trajectories()

    def table(self, values: Mapping[str, float], replicates: int | None = None) -> pd.DataFrame:
        """Every target judged on the ensemble run with these values (as ``evaluate`` judges
        the run's trajectories)."""
        spec = self.with_values(values, replicates)
        return self._judge(run_spec(spec).record, spec.replicate_ids)

    def tables(self, batch: Sequence[Mapping[str, float]]) -> list[pd.DataFrame]:
        """Every target judged for each set of values, the sets run side by side as one
        ensemble; each table equals ``table(values)`` of its set, value for value."""
        return [evaluate_panel(panel, self.targets) for panel in self._batch_panels(batch)]

    def scores(self, batch: Sequence[Mapping[str, float]]) -> list[tuple[float, int]]:
        """The loss and the pass count of each set of values, run as :meth:`tables` runs them:
        each equals ``loss`` and ``pass_count`` of ``table(values)``, without building the table.

        The sets are judged on one panel of the whole ensemble, each target's statistic
        computed once for all of them (``standardised_errors_by_block``); inside
        :meth:`on_workers`, on each worker's share of the sets."""
        return (self._scorer or self._scores_here)(batch)

    def _scores_here(self, batch: Sequence[Mapping[str, float]]) -> list[tuple[float, int]]:
        """:meth:`scores` in this process."""
        record = self._run_side_by_side(batch)
        panel = self._panel(record, self.spec.replicate_ids, blocks=len(batch))
        z = standardised_errors_by_block(panel, self.targets, len(batch))
        return [(loss_of(row), passes_of(row)) for row in z]

    def _run_side_by_side(self, batch: Sequence[Mapping[str, float]]) -> EnsembleRecord:
        """One run of every set of values side by side, each on the base run's replicate ids:
        the record holds set k's replicates in block k."""
        ids = self.spec.replicate_ids
        cells = [dataclasses.replace(self.spec.params, **values) for values in batch]
        params = per_replicate(cells, [len(ids)] * len(cells))
        side_by_side = dataclasses.replace(self.spec, params=params, replicate_ids=ids * len(cells))
        return run_spec(side_by_side).record

    def _batch_panels(self, batch: Sequence[Mapping[str, float]]) -> list[Panel]:
        """One run of every set of values side by side, and each set's panel."""
        record, ids = self._run_side_by_side(batch), self.spec.replicate_ids
        n = len(ids)
        return [self._panel(record.replicates(slice(k * n, (k + 1) * n)), ids) for k in range(len(batch))]

    def _judge(self, record: EnsembleRecord, replicate_ids: Sequence[int]) -> pd.DataFrame:
        """The targets judged on one ensemble's record."""
        return evaluate_panel(self._panel(record, replicate_ids), self.targets)

    def _panel(self, record: EnsembleRecord, replicate_ids: Sequence[int], blocks: int = 1) -> Panel:
        """The panel of a record of ``blocks`` ensembles on the same replicate ids, block by
        block, each block's replicates in id order as the tidy table's panel has them."""
        within = np.argsort(np.asarray(replicate_ids), kind="stable")
        n = len(within)
        order = (np.arange(blocks)[:, None] * n + within[None, :]).reshape(-1)
        names = np.array(MILESTONE_NAMES, dtype=object)

        def floats(name: str):
            return lambda: np.ascontiguousarray(record.series(name).T[order], dtype=float)

        def milestones(name: str):
            return lambda: names[record.series(name).T[order]]

        series = {name: floats(name) for name in SERIES}
        series.update({name: milestones(name) for name in AGREEMENTS})
        return Panel.from_series(self.months, np.tile(np.sort(np.asarray(replicate_ids)), blocks), series)


def _check_covers(spec: RunSpec, targets: Sequence[Target]) -> None:
    """A run that ends before a target's month would fail every trial: refuse it up front."""
    first, last = required_span(targets)
    start, end = spec.calendar.start, spec.calendar.end
    if (start.year, start.month) > (first.year, first.month) or (end.year, end.month) < (
        last.year,
        last.month,
    ):
        raise CalibrationError(
            f"the run {start}..{end} does not cover the targets' months {first:%Y-%m}..{last:%Y-%m}; "
            "allowed: a scenario that does (e.g. scenario=reproduce)"
        )


def base_spec(overrides: Sequence[str], settings: Settings, replicates: int) -> RunSpec:
    """The calibration's base run: default parameters, the settings' scenario and seed."""
    cfg = compose_config(
        [
            f"scenario={settings.scenario}",
            "params=default",
            *overrides,
            f"replicates={replicates}",
            f"seed={settings.seed}",
        ]
    )
    return build_run(cfg)


def current_values(dims: Sequence[Dimension], overrides: Sequence[str]) -> dict[str, float]:
    """The values the configured baseline uses now (a warm start for the study), clipped into
    the search ranges."""
    values = _values(dims, overrides)
    return {d.name: d.clipped(values[d.name]) for d in dims}


def default_values(dims: Sequence[Dimension], overrides: Sequence[str]) -> dict[str, float]:
    """The documented defaults of the free parameters (``params=default`` under ``overrides``),
    as they are, even outside a search range: what the second stage fixes a flat parameter at."""
    return _values(dims, ["params=default", *overrides])


def _values(dims: Sequence[Dimension], overrides: Sequence[str]) -> dict[str, float]:
    """The free parameters' values in the run these overrides compose."""
    params = build_run(compose_config([*overrides, "replicates=1"])).params
    return {d.name: float(getattr(params, d.name)) for d in dims}
