"""The page's model: one or two hedging ensembles stepped side by side, month by month.

ClassroomModel is the mesa.Model that SolaraViz creates from the page's inputs and steps. It
wraps a HedgingModel per scenario (same seed, so the second is a true counterfactual) and keeps,
month by month, the ensemble summaries the charts draw, so a displayed step costs the same in
2030 as in 2008. A bad input does not raise: the model keeps the message, stops, and the page
shows it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import mesa
import numpy as np

from hedgesim.analysis.bands import median_band
from hedgesim.app.settings import NO_COMPARISON, ClassroomSettings, settings_from_inputs
from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import RunSpec
from hedgesim.core.calendar import RunCalendar
from hedgesim.core.model import HedgingModel
from hedgesim.core.vocabulary import DYADS, EU, PARTNERS, RUSSIA, SERIES, TRUST, UKRAINE
from hedgesim.workflows.run import build_model

COMMITMENT = "russia_commitment" if "russia_commitment" in SERIES else "russia_floor"
"""The series of the Russia weight the alliance commitment asks for: a soft commitment in models
that record ``russia_commitment``, a hard floor (rising with tension) in those that record
``russia_floor``."""
HARD_FLOOR = COMMITMENT == "russia_floor"
DRAW_WAIT_S = 30.0
"""How long a step waits at most for the page to draw the last month."""
BANDED = (*(f"relations2_{d}" for d in DYADS), "sanctions_persons", "tension", COMMITMENT)
MEANS = (*(f"hedge_{p}" for p in PARTNERS), *TRUST)
LOW, HIGH = 0.1, 0.9


def initial_trust(model: HedgingModel) -> dict[str, float]:
    """Mean trust of each TRUST pair before the first month: what the network shows at the start."""
    b = model.belarus
    state = {
        "trust_blr_eu": b.trust[EU],
        "trust_eu_blr": model.eu.trust,
        "trust_blr_russia": b.trust[RUSSIA],
        "trust_russia_blr": model.russia.trust,
        "trust_blr_ukraine": b.trust[UKRAINE],
        "trust_ukraine_blr": model.ukraine.trust,
        "trust_lithuania_blr": model.lithuania.trust,
    }
    return {name: float(np.mean(state[name])) for name in TRUST}


class EnsembleHistory:
    """Month by month: median and 10-90% band of the banded series, mean of the others.

    ``relations2_*`` is the relations index summed over this and last month, the unit of the
    observed two-month index. ``initial`` holds the means before the first month (trust).
    """

    def __init__(self, calendar: RunCalendar, initial: Mapping[str, float] | None = None):
        self.dates = calendar.dates()
        self.steps = 0
        n = calendar.n_steps
        self.band = {name: np.full((n, 3), np.nan) for name in BANDED}
        self.mean = {name: np.full(n, np.nan) for name in MEANS}
        self.initial = dict(initial or {})
        self._last_relations: dict[str, np.ndarray] = {}

    def latest(self, name: str) -> float:
        """The mean of ``name`` at the month shown, or its initial value before the first month."""
        if self.steps:
            return float(self.mean[name][self.steps - 1])
        return self.initial.get(name, float("nan"))

    def record(self, step: int, observed: Mapping[str, np.ndarray]) -> None:
        """Summarise one month of the ensemble."""
        values = {name: observed[name] for name in ("sanctions_persons", "tension", COMMITMENT)}
        for d in DYADS:
            now = observed[f"relations_{d}"]
            values[f"relations2_{d}"] = now + self._last_relations.get(d, 0.0)
            self._last_relations[d] = now
        for name, array in values.items():
            self.band[name][step] = median_band(array, LOW, HIGH)
        for name in MEANS:
            self.mean[name][step] = float(np.mean(observed[name]))
        self.steps = step + 1


class EnsembleRun:
    """One scenario on the page: its title, its model and its running summaries."""

    def __init__(self, title: str, spec: RunSpec):
        self.title = title
        self.model = build_model(spec)
        self.history = EnsembleHistory(spec.calendar, initial_trust(self.model))

    def step(self) -> None:
        if self.model.finished:
            return
        self.model.step()
        self.history.record(self.model.month_index, self.model.observed)


class ClassroomModel(mesa.Model):
    """What the page runs: the setting's scenario and, if chosen, a counterfactual beside it.

    Args:
        trust, vested_interests, tension: the three challenges, each in [0, 1].
        replicates: ensemble size, as typed (an integer from 1 to 500).
        seed: run seed, as typed (an integer >= 0); both scenarios share it.
        stochastic: draw elections, disputes, releases and wars after the dated timeline.
        compare: the second scenario (see settings.comparisons), or none.
        b_own_challenges: the second scenario takes b_trust, b_vested_interests and b_tension
            instead of A's challenges.
        b_trust, b_vested_interests, b_tension: the second scenario's own challenges.
        log_replicate: which replicate's months the log tells, as typed.
        parameter_uncertainty: replicate r runs plausible parameter set r mod K (the sets of
            the calibration study that fit almost as well as the best) instead of the
            calibrated parameters.
        scenario: what Mesa's page passes on Reset (its empty experiment scenario); the page's
            own settings are the scenario here, so it is not used.
        **switches: ``kind_<kind>`` and ``event_<id>`` booleans; False switches a shock off.
    """

    def __init__(
        self,
        trust: float = 0.5,
        vested_interests: float = 0.5,
        tension: float = 0.3,
        replicates: object = 20,
        seed: object = 20101219,
        stochastic: bool = True,
        compare: str = NO_COMPARISON,
        log_replicate: object = 0,
        b_own_challenges: bool = False,
        b_trust: float = 0.5,
        b_vested_interests: float = 0.5,
        b_tension: float = 0.3,
        parameter_uncertainty: bool = False,
        scenario: object = None,
        **switches: bool,
    ):
        self.lock = threading.RLock()
        """Held while a month is stepped and while the page reads the runs: Mesa's player steps
        in a thread of its own, and a page drawn from a half-stepped month fails."""
        self.paced = threading.Condition()
        """Guards the two counts below: the player's steps wait on it for the page's drawings."""
        self.months_stepped = 0
        self.months_drawn: int | None = None
        """How many months the page had drawn when it last drew the model (:meth:`shown`); None
        until a page draws it (a model stepped without a page never waits)."""
        self.months_per_redraw = 1
        """How many months the player steps between two drawings of the page (its "Months per
        redraw"): a step waits for the page only once that many have gone undrawn."""
        self.error: str | None = None
        self.settings: ClassroomSettings | None = None
        self.runs: list[EnsembleRun] = []
        try:
            self.settings = settings_from_inputs(
                trust,
                vested_interests,
                tension,
                replicates,
                seed,
                stochastic,
                compare,
                log_replicate,
                switches,
                (b_trust, b_vested_interests, b_tension) if b_own_challenges else None,
                parameter_uncertainty,
            )
            self.runs = [EnsembleRun(title, spec) for title, spec in self.settings.runs()]
        except ConfigError as err:
            self.error = str(err)
        super().__init__(rng=self.settings.seed if self.settings else None)
        self.running = self.error is None

    @property
    def date(self) -> str:
        """The month shown: the last one simulated (the first one before any step)."""
        return str(self.runs[0].model.month) if self.runs else "-"

    @property
    def started(self) -> bool:
        return bool(self.runs) and self.runs[0].history.steps > 0

    def _may_step(self) -> bool:
        return self.months_stepped - self.months_drawn < self.months_per_redraw

    def shown(self) -> None:
        """The page has drawn the model as it stands: the next step may go."""
        with self.paced:
            self.months_drawn = self.months_stepped
            self.paced.notify_all()

    def step(self) -> None:
        """One month in every scenario, once the page has drawn the months it was to draw.

        Mesa's player steps every pause interval whatever the page does; a page that takes
        longer to draw a month (a busy machine) would otherwise be redrawn for ever, each pass
        overtaken by the next month, until Solara gives up with "Too many renders". So a step
        waits when ``months_per_redraw`` months have gone undrawn (the page draws once after
        that many), and at most ``DRAW_WAIT_S``, so a page that stopped drawing cannot hold the
        model.
        """
        with self.paced:
            if self.months_drawn is not None and not self.paced.wait_for(self._may_step, DRAW_WAIT_S):
                self.months_drawn = self.months_stepped  # the page stopped drawing: go on
        with self.lock:
            for run in self.runs:
                run.step()
        with self.paced:  # counted once stepped: a page drawn meanwhile drew the month before
            self.months_stepped += 1
        self.running = bool(self.runs) and not all(run.model.finished for run in self.runs)
