"""One replicate's event log, read from the model's record, with every shock of each month.

The page reads this every displayed step, so it reads the ensemble record directly instead of
building the whole ensemble's tables; ``hedgesim.app.narration`` turns it into sentences.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from hedgesim.app.channels import STOCHASTIC_KINDS
from hedgesim.app.session import COMMITMENT
from hedgesim.core.model import HedgingModel
from hedgesim.core.shocks.stochastic import DRAWN_LABELS, DRAWN_PARTS
from hedgesim.core.vocabulary import DRIVERS, PARTNERS

STATE_COLUMNS = ("tension", "oil_supply", "sanctions_persons", "political_prisoners")
FLOOR_COLUMNS = ("hedge_russia", COMMITMENT)
"""The Russia weight and the weight the alliance commitment asks for (a floor under it)."""


def shock_kinds(model: HedgingModel) -> dict[str, str]:
    """Kind of each shock label the model can log: its dated shocks and the drawn ones (the
    decisions have a column of their own, see ``DECISION_KINDS``)."""
    kinds = {label: STOCHASTIC_KINDS.get(name, name) for name, label in DRAWN_LABELS.items()}
    kinds |= {(s.label or s.id): s.kind.value for s in model.timeline.shocks}
    return kinds


def replicate_log(model: HedgingModel, position: int) -> pd.DataFrame:
    """One replicate's event log and state so far, read from the model's ensemble record.

    The same columns as ``model.event_log()`` (shock and decision as labels, None for none), with
    ``shocks`` (see ``month_shocks``), joined with ``model.trajectories()`` (the state
    columns and the Russia weight with its floor), for one replicate (``position`` indexes the
    model's replicates), without building the whole ensemble's tables: the page calls this every
    displayed step.
    """
    column = lambda name: model.record.series(name)[:, position]
    steps = model.record.steps_done
    shocks = np.array([*model.shock_labels, None], dtype=object)
    decisions = np.array([*model.decision_labels, None], dtype=object)
    frame = pd.DataFrame(
        {
            "date": model.calendar.dates()[:steps],
            "replicate": np.full(steps, model.replicate_ids[position]),
            "moved_partner": np.array(PARTNERS)[column("moved_partner")],
            "weight_change": column("moved_by"),
            "driver": np.array(DRIVERS)[column("driver")],
            "shock": shocks[column("shock")],
            "decision": decisions[column("decision")],
        }
    )
    for name in (*STATE_COLUMNS, *FLOOR_COLUMNS):
        frame[name] = column(name)
    frame["shocks"] = pd.Series(month_shocks(model, frame["shock"]), index=frame.index, dtype=object)
    return frame


def month_shocks(model: HedgingModel, logged: pd.Series) -> list[tuple[str, ...]]:
    """Every shock of each month, as labels: the dated shocks that start in it, in timeline
    order, a drawn election, then the logged ones not among them (the drawn shocks).

    The model's record keeps one shock code a month, one for each set of shocks that start
    together (``core.shocks.event_codes``); the dated shocks, the same in every replicate, are
    read in timeline order from the run's inputs, and the drawn elections, which fall on a fixed
    cycle, from the stochastic process. A logged set ("oil dispute with Russia + a new war raises
    tension") is told as its shocks, one label each.
    """
    onsets: dict[int, list[str]] = {}
    for step, active in model.timeline.active_by_step(model.calendar).items():
        onsets[step] = [a.shock.label or a.shock.id for a in active if a.onset]
    drawn = model.stochastic
    if drawn.settings.enabled:
        for step in drawn.election_steps:
            if step >= drawn.first_step:
                onsets[step] = [*onsets.get(step, []), DRAWN_LABELS["election"]]
    out = []
    for step, label in enumerate(logged):
        labels = onsets.get(step, [])
        extra = [one for one in logged_shocks(label, model.shock_codes.parts) if one not in labels]
        out.append(tuple(labels + extra))
    return out


def logged_shocks(label: object, parts: Mapping[str, tuple[str, ...]] = DRAWN_PARTS) -> tuple[str, ...]:
    """The shocks a logged label names, one label each: shocks that started in one month are
    logged as one label ("a presidential election + a new war raises tension"); ``parts`` (a
    model's ``shock_codes.parts``) names each label's shocks."""
    if not isinstance(label, str):
        return ()
    return parts.get(label, (label,))
