"""A run's trajectories as an Arrow table, built from its record with no pandas frame between.

A sweep writes a table per cell, and building a pandas frame to convert it to Arrow took a third
of the time of writing it. Read back with pandas, the table is the frame
``core.tables.trajectories`` gives, with its tags as columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from hedgesim.core import tables
from hedgesim.core.calendar import RunCalendar
from hedgesim.core.record import EnsembleRecord
from hedgesim.core.vocabulary import AGREEMENTS, MILESTONE_NAMES

MILESTONES = pa.array(list(MILESTONE_NAMES), type=pa.large_string())
"""An agreement column's categories, as pyarrow stores a pandas categorical's."""


def trajectories(
    record: EnsembleRecord,
    calendar: RunCalendar,
    replicate_ids: np.ndarray,
    months: slice = tables.ALL_MONTHS,
    tags: Mapping[str, Any] | None = None,
) -> pa.Table:
    """The trajectories of some months (``core.tables.trajectories``), each tag a column that
    holds its one value on every row."""
    arrays = tables.trajectory_arrays(record, calendar, replicate_ids, months)
    columns = {name: _column(name, values) for name, values in arrays.items()}
    rows = len(arrays["replicate"])
    for name, value in (tags or {}).items():
        columns[name] = pa.array(np.full(rows, value))
    return pa.table(columns)


def _column(name: str, values: np.ndarray) -> pa.Array:
    if name in AGREEMENTS:
        return pa.DictionaryArray.from_arrays(pa.array(values.astype(np.int8, copy=False)), MILESTONES)
    return pa.array(values)
