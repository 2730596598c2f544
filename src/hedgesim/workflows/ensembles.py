"""Runs that differ only in their challenges and parameters, simulated as one ensemble.

The model takes both per replicate, so such runs sit side by side on the replicate axis, each
with its own replicate ids, and each comes out exactly as its own run would: the batched
launcher's chunks of cells and the sensitivity analysis's points are simulated this way. Runs
with the same replicates and parameters differ only from their branch month; their shared
months are simulated once (``core.fork``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hedgesim.config.spec import RunSpec
from hedgesim.core import fork
from hedgesim.core.knobs import per_replicate
from hedgesim.core.run_inputs import branch_step
from hedgesim.workflows.run import model_inputs

if TYPE_CHECKING:
    from hedgesim.core.model import HedgingModel

PER_REPLICATE = ("challenges", "params")
"""The parts of a run the model takes per replicate: runs differing only there share an ensemble."""
MAX_CHUNK = 1_000_000
"""The most replicate-months one ensemble of runs should hold (about 0.5 GB while it runs): the
batched launcher's chunks and the sensitivity analysis's. Past that an ensemble saves little more
of the fixed cost of each month, and takes memory no earlier ensemble of its process used: its
pages are new, and each costs the system its first write (a worker's 62 cells of the
three-challenges study: 6.7 s as one chunk, 5.1-6.3 s as two to six)."""


def simulate(specs: Sequence[RunSpec]) -> tuple[HedgingModel, list[slice], float]:
    """Simulate runs that differ only in their challenges and parameters as one ensemble.

    Returns:
        The model, each run's slice of its replicates, and the seconds the simulation took.
    """
    from hedgesim.core.model import HedgingModel  # here: a sweep's driver plans, its workers simulate

    started = time.perf_counter()
    counts = [len(s.replicate_ids) for s in specs]
    ends = np.cumsum(counts)
    inputs = model_inputs(specs[0])
    challenges = per_replicate([s.challenges for s in specs], counts)
    if _share_history(specs):
        index = np.tile(np.arange(counts[0]), len(specs))
        model = fork.run_forked(HedgingModel(**inputs), index, challenges)
    else:
        inputs["challenges"] = challenges
        inputs["params"] = per_replicate([s.params for s in specs], counts)
        inputs["replicate_ids"] = [i for s in specs for i in s.replicate_ids]
        model = HedgingModel(**inputs).run()
    slices = [slice(int(end - n), int(end)) for end, n in zip(ends, counts, strict=True)]
    return model, slices, time.perf_counter() - started


def _share_history(specs: Sequence[RunSpec]) -> bool:
    """Whether the runs differ only from a branch month after their first: more than one run,
    the same replicates, the same parameters (one value each, or the same one per replicate)."""
    first = specs[0]
    return (
        len(specs) > 1
        and branch_step(first.branch, first.calendar) > 0
        and all(s.replicate_ids == first.replicate_ids and _same(s.params, first.params) for s in specs)
    )


def _same(settings: Any, other: Any) -> bool:
    """Two settings dataclasses hold the same values, field by field (arrays element by element)."""
    return all(
        np.array_equal(getattr(settings, f.name), getattr(other, f.name))
        for f in dataclasses.fields(settings)
    )
