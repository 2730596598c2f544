"""The three challenges of the policy paper and the channels each acts through.

Each challenge is a level in [0, 1]. History is calibrated at the reference levels, which hold
before the branch month; the channels here are pure functions of a level, so the model and the
docs read one definition of what a challenge does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hedgesim.core.knobs import check_ranges, knob

if TYPE_CHECKING:
    from hedgesim.core.parameters import ModelParameters


@dataclass
class Challenges:
    """The three challenges of the policy paper, each a level in [0, 1].

    A level may also be an array with one value per replicate (``knobs.per_replicate``): a
    batched sweep runs its cells as one ensemble.
    """

    trust: float = knob(
        0.5,
        0.0,
        1.0,
        "capacity for mutual trust between Belarus and the West: in the Western dyads it scales "
        "how fast trust grows through contact, trust_gain x (0.2 + 1.6 x trust), and moves the "
        "level trust drifts back to by trust_challenge_shift x (trust - 0.5)",
        "policy paper, challenge 1; 0.5 is the reference scale",
    )
    vested_interests: float = knob(
        0.5,
        0.0,
        1.0,
        "strength of status-quo interests: scales the spoiler hazard, spoiler_rate x 2 x "
        "vested_interests (0 = no spoilers, 1 = twice the historical rate), and adds the rent "
        "status-quo groups defend to Belarus's cost of EU engagement, status_quo_rent x 2 x "
        "(vested_interests - 0.5)",
        "policy paper, challenge 2; 0.5 is the reference scale",
    )
    tension: float = knob(
        0.3,
        0.0,
        1.0,
        "background Russia-West tension before wars add to it; also scales the hazard of "
        "new wars after the dated timeline",
        "policy paper, challenge 3; 0.3 reads 2008 as moderate tension",
    )

    def validate(self) -> None:
        check_ranges(self, "challenges")


def western_trust(p: ModelParameters, trust: float) -> tuple[float, float]:
    """The Western dyads' trust gain (0.2x at 0, the reference at 0.5, 1.8x at 1) and the shift
    of the level their trust drifts back to; the other dyads keep ``trust_gain``."""
    return p.trust_gain * (0.2 + 1.6 * trust), p.trust_challenge_shift * (trust - 0.5)


def spoiler_hazard(p: ModelParameters, vested: float, offer: np.ndarray, successes: np.ndarray) -> np.ndarray:
    """Monthly spoiler chance: none at 0, twice the reference at 1; vested interests strike more
    as rapprochement (the EU's offer) advances, and success stories wear them down."""
    return p.spoiler_rate * 2.0 * vested * offer * _vested_left(p, successes)


def status_quo_rent(p: ModelParameters, vested: float, successes: np.ndarray) -> np.ndarray:
    """What status-quo groups add to Belarus's cost of EU engagement, relative to history: zero
    at the reference 0.5 (so the calibrated past is unmoved), worn down by success stories."""
    return p.status_quo_rent * 2.0 * (vested - 0.5) * _vested_left(p, successes)


def _vested_left(p: ModelParameters, successes: np.ndarray) -> np.ndarray:
    """The share of vested interests that concluded agreements have not yet worn down."""
    return np.exp(-p.success_wear * successes)
