"""The EU's talks on its agreements with Belarus as one pure array rule, compiled by numba
(``kernels.compilable``): opening, a month's progress, spoilers' setbacks, and the conclusion,
which Lithuania's veto can block where consensus is needed.

Agreements are rows in ``vocabulary.AGREEMENTS`` order (visa facilitation, partnership
priorities, framework agreement), replicates columns; states are ``Milestone`` codes.
"""

from __future__ import annotations

import numpy as np

from hedgesim.core import kernels
from hedgesim.core.vocabulary import Milestone

VETOABLE = np.array([False, True, True])
"""Which agreements (in ``AGREEMENTS`` order) need the consensus Lithuania's veto can block."""
_NOT_STARTED = np.int8(Milestone.NOT_STARTED)
_NEGOTIATING = np.int8(Milestone.NEGOTIATING)
_BLOCKED = np.int8(Milestone.BLOCKED)
_CONCLUDED = np.int8(Milestone.CONCLUDED)


def _example() -> tuple:
    """Arguments of ``negotiated`` as a run with one value per parameter passes them."""
    status, progress = np.zeros((3, 1), dtype=np.int8), np.zeros((3, 1))
    months_to, one, no = np.full((3, 1), -1, dtype=np.int32), np.full(1, 0.5), np.zeros(1, dtype=bool)
    state = (one, one.copy(), one.copy(), no, no.copy())
    return (status, progress, months_to, *state, 7, *(0.5 for _ in range(7)))


@kernels.compilable(_example)
def negotiated(
    status: np.ndarray,
    progress: np.ndarray,
    months_to: np.ndarray,
    offer: np.ndarray,
    trust: np.ndarray,
    prisoners_seen: np.ndarray,
    spoiled: np.ndarray,
    vetoes: np.ndarray,
    month: int,
    visa_open_offer,
    priorities_open_offer,
    framework_open_trust,
    visa_months,
    priorities_months,
    framework_months,
    spoiler_setback,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The agreements' states, progress and months of conclusion after this month's talks.

    Talks open when the offer (the framework: trust, with no prisoners held) allows, and progress
    a month at a time while it still does (they freeze otherwise); a spoiler sets progress back.
    Talks at their end conclude, in month ``month``, unless Lithuania vetoes one that needs
    consensus (it is blocked until a month without the veto). New arrays; the inputs stay.
    """
    opens = np.stack(
        (
            offer >= visa_open_offer,
            offer >= priorities_open_offer,
            (trust >= framework_open_trust) & (prisoners_seen < 0.05),
        )
    )
    advance = np.stack(
        (
            np.where(opens[0], 1.0 / visa_months, 0.0),
            np.where(opens[1], 1.0 / priorities_months, 0.0),
            np.where(opens[2], 1.0 / framework_months, 0.0),
        )
    )
    status = np.where((status == _NOT_STARTED) & opens, _NEGOTIATING, status)
    talking = (status == _NEGOTIATING) | (status == _BLOCKED)
    if not talking.any():  # no talks anywhere: nothing progresses or concludes
        return status, progress.copy(), months_to.copy()
    setback = np.where(spoiled, spoiler_setback, 0.0)
    progress = np.where(talking, np.minimum(progress * (1.0 - setback) + advance, 1.0), progress)
    ready = talking & (progress >= 1.0)
    if not ready.any():  # no talks at their end this month: nothing to conclude or block
        return status, progress, months_to.copy()
    vetoed = ready & np.expand_dims(VETOABLE, 1) & vetoes
    done = ready & ~vetoed
    status = np.where(done, _CONCLUDED, np.where(vetoed, _BLOCKED, status))
    months_to = np.where(done & (months_to < 0), np.int32(month), months_to)
    return status, progress, months_to
