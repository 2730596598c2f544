"""'Why did Belarus move?': the model's event log of one replicate in plain sentences.

Each sentence is assembled from what the model recorded that month, never from the date: the
shock that struck (its label), what it did to the state (tension, Russian crude deliveries, EU
sanctions, political prisoners), and how Belarus's hedge answered: the partner whose weight moved
most, by how much, and the driver of that move (trust, benefit, risk or the alliance floor).
For example: "2014-03: tension rose after the annexation of Crimea; Belarus raised its EU
weight to spread risk (+0.8 points)".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hedgesim.core.model import HedgingModel
from hedgesim.core.shocks import STOCHASTIC_LABELS
from hedgesim.core.vocabulary import DRIVERS, PARTNERS

STATE_COLUMNS = ("tension", "oil_supply", "sanctions_persons", "political_prisoners")
STOCHASTIC_KINDS = {"crackdown": "election", "release": "concession", "dispute": "oil_dispute", "war": "war"}
PARTNER_NAMES = {"eu": "EU", "russia": "Russia", "ukraine": "Ukraine", "other": "outside-option"}
MIN_MOVE = 0.01
"""A month without a shock is told only if a weight moved this much (one point) or the state jumped."""
TENSION_STEP = 0.02
SUPPLY_STEP = 0.05
FULL_SUPPLY = 0.98
SANCTIONS_STEP = 5.0
PRISONERS_STEP = 0.05


@dataclass(frozen=True)
class MonthRecord:
    """One replicate's month as the narration needs it: the log entry and the state's changes."""

    date: str
    shock: str | None
    kind: str | None
    partner: str
    change: float
    driver: str
    tension: float
    tension_change: float
    supply: float
    supply_change: float
    sanctions: float
    sanctions_change: float
    prisoners_change: float


def sentence(record: MonthRecord, min_move: float = MIN_MOVE) -> str | None:
    """The month in one sentence, or None when nothing worth telling happened."""
    clauses, used = _event_clause(record)
    clauses += [c for name, c in _state_clauses(record) if name not in used]
    moved = abs(record.change) >= min_move
    if not clauses and not moved:
        return None
    if moved or (clauses and abs(record.change) >= min_move / 10):
        clauses.append(_hedge_clause(record))
    return f"{record.date}: " + "; ".join(clauses)


def _event_clause(r: MonthRecord) -> tuple[list[str], set[str]]:
    """The shock, told through the state change its kind brings, when the state did change."""
    if r.shock is None:
        return [], set()
    if r.kind == "war" and r.tension_change > TENSION_STEP:
        return [f"tension rose after {r.shock}"], {"tension"}
    if r.kind == "oil_dispute" and r.supply_change < -SUPPLY_STEP:
        return [f"Russian crude deliveries fell {-100 * r.supply_change:.0f}% with {r.shock}"], {"supply"}
    if r.kind == "election" and r.prisoners_change > PRISONERS_STEP:
        return [f"political prisoners rose with {r.shock}"], {"prisoners"}
    if r.kind == "concession" and r.prisoners_change < -PRISONERS_STEP:
        return [f"political prisoners fell with {r.shock}"], {"prisoners"}
    return [r.shock], set()


def _state_clauses(r: MonthRecord) -> list[tuple[str, str]]:
    clauses = []
    if r.tension_change > TENSION_STEP:
        clauses.append(("tension", f"tension rose to {r.tension:.2f}"))
    if r.supply_change < -SUPPLY_STEP:
        clauses.append(("supply", f"Russian crude deliveries fell {-100 * r.supply_change:.0f}%"))
    elif r.supply_change > 0 and r.supply >= FULL_SUPPLY > r.supply - r.supply_change:
        clauses.append(("supply", "Russian crude deliveries were back to normal"))
    if r.sanctions_change > SANCTIONS_STEP:
        clauses.append(("sanctions", f"the EU widened its sanctions to {r.sanctions:.0f} persons"))
    elif r.sanctions_change < -SANCTIONS_STEP:
        clauses.append(("sanctions", f"the EU eased its sanctions to {r.sanctions:.0f} persons"))
    if r.prisoners_change > PRISONERS_STEP:
        clauses.append(("prisoners", "political prisoners rose"))
    elif r.prisoners_change < -PRISONERS_STEP:
        clauses.append(("prisoners", "political prisoners were released"))
    return clauses


def _hedge_clause(r: MonthRecord) -> str:
    up = r.change > 0
    partner = PARTNER_NAMES[r.partner]
    weight = "weight on outside partners" if r.partner == "other" else f"{partner} weight"
    verb = "raised" if up else "lowered"
    return f"Belarus {verb} its {weight} {_why(r.driver, r.partner, up)} ({100 * r.change:+.1f} points)"


def _why(driver: str, partner: str, up: bool) -> str:
    name = {"other": "outside partners", "eu": "the EU"}.get(partner, PARTNER_NAMES[partner])
    if driver == "risk":
        return "to spread risk" if up else "to cut its exposure to risk"
    if driver == "trust":
        return f"as its trust in {name} {'grew' if up else 'fell'}"
    if driver == "benefit":
        return f"as ties with {name} {'paid more' if up else 'paid less'}"
    return "as the alliance floor rose with tension" if up else "as the alliance floor eased"


def shock_kinds(model: HedgingModel) -> dict[str, str]:
    """Kind of each shock label the model can log: its dated shocks and the drawn ones."""
    kinds = {label: STOCHASTIC_KINDS[name] for name, label in STOCHASTIC_LABELS.items()}
    kinds |= {(s.label or s.id): s.kind.value for s in model.timeline.shocks}
    return kinds


def records(frame: pd.DataFrame, kinds: Mapping[str, str]) -> list[MonthRecord]:
    """Month records of one replicate from an event log joined with its state columns.

    ``frame`` holds one replicate, in date order, with the event-log columns (date,
    moved_partner, weight_change, driver, shock) and STATE_COLUMNS; ``kinds`` maps shock labels
    to kinds (see ``shock_kinds``). The first month is left out: its move is the hedge
    settling from the equal split the run starts from.
    """
    changes = {c: frame[c].diff().to_numpy() for c in STATE_COLUMNS}
    out = []
    for i, row in enumerate(frame.itertuples(index=False)):
        if i == 0:
            continue
        shock = row.shock if isinstance(row.shock, str) else None
        out.append(
            MonthRecord(
                f"{pd.Timestamp(row.date):%Y-%m}",
                shock,
                kinds.get(shock) if shock else None,
                str(row.moved_partner),
                float(row.weight_change),
                str(row.driver),
                float(row.tension),
                float(changes["tension"][i]),
                float(row.oil_supply),
                float(changes["oil_supply"][i]),
                float(row.sanctions_persons),
                float(changes["sanctions_persons"][i]),
                float(changes["political_prisoners"][i]),
            )
        )
    return out


def narrate(frame: pd.DataFrame, kinds: Mapping[str, str], min_move: float = MIN_MOVE) -> list[str]:
    """Plain sentences for one replicate's months (see ``records`` for the arguments).

    Months in a row where nothing happened but the same steady move (same partner, same
    direction, same driver) are told as one sentence over the stretch, so a class reads the
    turns, not the same line twelve times.
    """
    lines: list[str] = []
    stretch: list[MonthRecord] = []
    for record in records(frame, kinds):
        if _steady(record, min_move) and stretch and _same_move(stretch[-1], record):
            stretch.append(record)
            continue
        lines += _told(stretch, min_move)
        stretch = [record] if _steady(record, min_move) else []
        if not stretch:
            told = sentence(record, min_move)
            lines += [told] if told else []
    return lines + _told(stretch, min_move)


def _steady(r: MonthRecord, min_move: float) -> bool:
    """A month whose only news is Belarus moving a weight."""
    return r.shock is None and not _state_clauses(r) and abs(r.change) >= min_move


def _same_move(a: MonthRecord, b: MonthRecord) -> bool:
    return a.partner == b.partner and a.driver == b.driver and (a.change > 0) == (b.change > 0)


def _told(stretch: list[MonthRecord], min_move: float) -> list[str]:
    if len(stretch) < 2:
        return [s for s in (sentence(r, min_move) for r in stretch) if s]
    first, last = stretch[0], stretch[-1]
    total = sum(r.change for r in stretch)
    up = total > 0
    weight = (
        "weight on outside partners" if first.partner == "other" else f"{PARTNER_NAMES[first.partner]} weight"
    )
    verb = "raising" if up else "lowering"
    why = _why(first.driver, first.partner, up)
    return [
        f"{first.date} to {last.date}: Belarus kept {verb} its {weight} {why} "
        f"({100 * total:+.1f} points over {len(stretch)} months)"
    ]


def replicate_log(model: HedgingModel, position: int) -> pd.DataFrame:
    """One replicate's event log and state so far, read from the model's ensemble record.

    The same columns as ``model.event_log()`` joined with ``model.trajectories()``, for one
    replicate (``position`` indexes the model's replicates), without building the whole
    ensemble's tables: the page calls this every displayed step.
    """
    column = lambda name: model.record.series(name)[:, position]
    steps = model.record.steps_done
    labels = np.array([*model.shock_labels, None], dtype=object)
    frame = pd.DataFrame(
        {
            "date": model.calendar.dates()[:steps],
            "replicate": np.full(steps, model.replicate_ids[position]),
            "moved_partner": np.array(PARTNERS)[column("moved_partner")],
            "weight_change": column("moved_by"),
            "driver": np.array(DRIVERS)[column("driver")],
            "shock": labels[column("shock")],
        }
    )
    for name in STATE_COLUMNS:
        frame[name] = column(name)
    return frame
