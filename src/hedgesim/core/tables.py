"""The tidy tables of a run, built from its ensemble record: trajectories and the event log.

Rows are month-major (all replicates of the first month, then the next), the order in which
``EnsembleRecord.flat`` lays the arrays out, so no table is ever sorted or stacked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hedgesim.core.calendar import RunCalendar
from hedgesim.core.memory import fresh_array, fresh_copy, repeated, tiled
from hedgesim.core.record import EnsembleRecord
from hedgesim.core.vocabulary import AGREEMENTS, DRIVERS, MILESTONE_NAMES, PARTNERS, SERIES

ALL_MONTHS = slice(None)


def row_index(
    record: EnsembleRecord, calendar: RunCalendar, replicate_ids: np.ndarray, months: slice = ALL_MONTHS
) -> dict:
    """The replicate and date of every row, for the months recorded so far (or some of them)."""
    dates = calendar.dates()[: record.steps_done][months]
    return {
        "replicate": tiled(np.asarray(replicate_ids), dates.size),
        "date": repeated(dates, len(replicate_ids)),
    }


TRAJECTORY_COLUMNS = ("replicate", "date", *SERIES, *AGREEMENTS)
"""The trajectories' columns, in order."""


def trajectories(
    record: EnsembleRecord,
    calendar: RunCalendar,
    replicate_ids: np.ndarray,
    months: slice = ALL_MONTHS,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per replicate and month, every observed series a column, agreements categorical.

    ``months`` (a slice of the months recorded) gives those rows only: a table too large to hold
    twice is written a block of months at a time. ``columns`` builds only those columns, in that
    order (a sweep cell's outcomes read a few of them)."""
    arrays = trajectory_arrays(record, calendar, replicate_ids, months, columns)
    for name in AGREEMENTS:
        if name in arrays:
            arrays[name] = pd.Categorical.from_codes(arrays[name], categories=list(MILESTONE_NAMES))
    return pd.DataFrame(arrays, copy=False)


def trajectory_arrays(
    record: EnsembleRecord,
    calendar: RunCalendar,
    replicate_ids: np.ndarray,
    months: slice = ALL_MONTHS,
    columns: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """The trajectories' columns as arrays, each agreement as its milestone codes (indices into
    ``MILESTONE_NAMES``): what :func:`trajectories` makes a table of, for a writer that needs
    no pandas frame between."""
    index = row_index(record, calendar, replicate_ids, months)
    names = TRAJECTORY_COLUMNS if columns is None else columns
    return {name: index[name] if name in index else record.flat(name, months) for name in names}


def event_log(
    record: EnsembleRecord,
    calendar: RunCalendar,
    replicate_ids: np.ndarray,
    shock_labels: Sequence[str],
    decision_labels: Sequence[str],
    months: slice = ALL_MONTHS,
) -> pd.DataFrame:
    """Why Belarus moved: per replicate and month, the partner, the driver, the shock that struck
    and the decision an actor took, each of the last two missing in a month without one
    (``months``: those months' rows only).

    Shock codes index ``shock_labels`` (shocks that share a label share a category); decision
    codes index ``decision_labels``. The two are separate columns so a decision never hides the
    month's shock.
    """
    own = lambda name: fresh_copy(record.flat(name, months))  # the log's own columns, no view of the record
    codes = lambda name, categories: pd.Categorical.from_codes(own(name), categories=list(categories))
    return pd.DataFrame(
        {
            **row_index(record, calendar, replicate_ids, months),
            "moved_partner": codes("moved_partner", PARTNERS),
            "weight_change": own("moved_by"),
            "driver": codes("driver", DRIVERS),
            "shock": _labelled(record.flat("shock", months), shock_labels),
            "decision": _labelled(record.flat("decision", months), decision_labels),
        },
        copy=False,  # every column above is its own array already
    )


def _labelled(codes: np.ndarray, labels: Sequence[str]) -> pd.Categorical:
    """Codes into ``labels`` (-1 for none) as a categorical of the distinct labels."""
    unique = list(dict.fromkeys(labels))
    dtype = np.int8 if len(unique) < np.iinfo(np.int8).max else np.int32  # pandas's own code size
    to_unique = np.array([unique.index(label) for label in labels] + [-1], dtype=dtype)
    unique_codes = np.take(to_unique, codes, out=fresh_array(codes.shape, dtype))
    return pd.Categorical.from_codes(unique_codes, categories=unique)


@dataclass
class EnsemblePart:
    """Some replicates of an ensemble (one cell of a batched sweep) with the tables of a run."""

    record: EnsembleRecord
    calendar: RunCalendar
    replicate_ids: np.ndarray
    shock_labels: Sequence[str]
    decision_labels: Sequence[str]

    def trajectories(self, months: slice = ALL_MONTHS) -> pd.DataFrame:
        """The part's trajectories, as its own run would give them."""
        return trajectories(self.record, self.calendar, self.replicate_ids, months)

    def event_log(self, months: slice = ALL_MONTHS) -> pd.DataFrame:
        """The part's event log, as its own run would give it."""
        return event_log(
            self.record, self.calendar, self.replicate_ids, self.shock_labels, self.decision_labels, months
        )
