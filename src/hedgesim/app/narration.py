"""'Why did Belarus move?': the model's event log of one replicate in plain sentences.

Each sentence is assembled from what the model recorded that month, never from the date: the
news (every shock that struck, with its label: the model's record keeps one a month, so
``eventlog`` reads the dated ones from the timeline; the decision an actor took, told as its choice:
"Belarus chose to host talks as a neutral venue"; and what changed in the state: tension, Russian
crude deliveries, EU sanctions, political prisoners), then how Belarus's hedge answered: the
partner whose weight moved most, by how much, and the driver the model records for that move
(trust, benefit, risk, or the alliance commitment that sets a floor under the Russia weight).
A month with both a shock and a decision tells both, the shock first: "2014-02: tension rose after
the annexation of Crimea; Belarus chose to host talks as a neutral venue; ...".

A log read out in class must not suggest causes the model did not find. A move is told as an
answer to the news only when the model's own driver is a channel that news acts through (a
summit raises trust in the EU; it cannot lower the EU weight through risk): "2014-03: tension
rose after the annexation of Crimea; in answer, Belarus raised its EU weight to spread risk".
Otherwise the two are told side by side: "2011-09: the Eastern Partnership summit in Warsaw; in
the same month, Belarus lowered its EU weight to cut its exposure to risk". When the Russia
weight sits on the floor of the alliance commitment, the sentence says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hedgesim.app.channels import (
    DECISION_CAUSES,
    DECISION_CHOICES,
    DECISION_KINDS,
    DECISION_STATES,
    DRAWN_CAUSES,
    DRAWN_NEWS,
    KIND_CHANNELS,
    PARTNER_NAMES,
    STATE_CAUSES,
    STATE_CHANNELS,
    why,
)
from hedgesim.app.eventlog import FLOOR_COLUMNS, STATE_COLUMNS, logged_shocks, replicate_log, shock_kinds
from hedgesim.app.session import HARD_FLOOR
from hedgesim.app.settings import DECISIONS

__all__ = ["MonthRecord", "narrate", "records", "replicate_log", "sentence", "shock_kinds"]

COMMITMENT_NAME = "its alliance floor" if HARD_FLOOR else "its alliance commitment"
MIN_MOVE = 0.01
"""A month without a shock or a decision is told only if a weight moved this much (one point) or
the state jumped."""
TENSION_STEP = 0.02
SUPPLY_STEP = 0.05
FULL_SUPPLY = 0.98
SANCTIONS_STEP = 5.0
PRISONERS_STEP = 0.05
AT_FLOOR = 0.001
"""The Russia weight sits on its floor when it is no more than this above it: a tenth of a point,
the precision the log shows (the weight closes in on a binding floor month by month)."""
DECISION_NAMES = {label: name for name, label in DECISIONS.items()}
"""The name (a key of DECISIONS) of each decision label the event log shows."""


@dataclass(frozen=True)
class MonthRecord:
    """One replicate's month as the narration needs it: the log entry and the state's changes.

    ``shock`` and ``kind`` are the month's first shock (None without one), ``others`` the rest.
    ``russia_weight`` and ``russia_floor`` are the Russia weight and the weight the alliance
    commitment asks for this month (NaN when not known), ``was_at_floor`` whether the weight sat
    at it the month before. ``decision`` is the decision an actor took this month, by its name
    in DECISIONS ("venue"; a label without a name is kept as it is), None without one.
    """

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
    russia_weight: float = math.nan
    russia_floor: float = math.nan
    was_at_floor: bool = False
    decision: str | None = None
    others: tuple[tuple[str, str | None], ...] = ()
    """The month's other shocks after ``shock``, as (label, kind): dated shocks may share a month."""

    @property
    def shocks(self) -> tuple[tuple[str, str | None], ...]:
        """Every shock that struck this month, as (label, kind), ``shock`` first."""
        return ((self.shock, self.kind), *self.others) if self.shock is not None else ()

    @property
    def at_floor(self) -> bool:
        """The Russia weight sits at the alliance commitment's floor this month."""
        return bool(abs(self.russia_weight - self.russia_floor) <= AT_FLOOR)

    @property
    def floor_moved(self) -> bool:
        """The Russia weight reached its floor, or left it, this month."""
        known = not math.isnan(self.russia_weight - self.russia_floor)
        return known and self.at_floor != self.was_at_floor


def sentence(record: MonthRecord, min_move: float = MIN_MOVE) -> str | None:
    """The month in one sentence, or None when nothing worth telling happened."""
    news = _news(record)
    moved = abs(record.change) >= min_move
    if not news and not moved and not record.floor_moved:
        return None
    texts = [text for _, text, _ in news]
    if moved or (news and abs(record.change) >= min_move / 10):
        return f"{record.date}: " + "; ".join([*texts, _answer(record, news)])
    if record.floor_moved:
        texts.append(_floor_note(record))
    return f"{record.date}: " + "; ".join(texts)


def _news(r: MonthRecord) -> list[tuple[str, str, tuple]]:
    """The month's news as (key, text, channels): the shocks first, then the decision taken,
    then changes of the state none of them already tells."""
    decision, decided = _decision_clause(r)
    told = set(decided)
    events = []
    for i, (label, kind) in enumerate(r.shocks):
        event, used = _event_clause(r, label, kind, told)
        events.append((shock_key(i), *event))
        told |= used
    news = [*events, *([decision] if decision else [])]
    return news + [(key, text, STATE_CHANNELS[key]) for key, text in _state_clauses(r) if key not in told]


def shock_key(i: int) -> str:
    """Key of the month's i-th shock among its news: "shock", then "shock2", "shock3", ..."""
    return "shock" if i == 0 else f"shock{i + 1}"


def _event_clause(
    r: MonthRecord, label: str, kind: str | None, told: set[str]
) -> tuple[tuple[str, tuple], set[str]]:
    """One shock, told through the state change its kind brings when the state did change (and
    no news before it, keys ``told``, tells that change already).

    Returns the clause's (text, channels) and the state keys it tells.
    """
    channels = KIND_CHANNELS.get(kind or "", ())
    changed = {key for key, _ in _state_clauses(r)} - told
    if label in DRAWN_NEWS:
        text, used = _drawn_clause(r, label, changed)
        return (text, channels), used
    if kind == "war" and "tension" in changed:
        return (f"tension rose after {label}", channels), {"tension"}
    if kind == "oil_dispute" and "supply_cut" in changed:
        return (f"Russian crude deliveries fell {supply_fall(r):.0f}% with {label}", channels), {"supply_cut"}
    if kind == "election" and "prisoners_up" in changed:
        return (f"political prisoners rose with {label}", channels), {"prisoners_up"}
    if kind == "concession" and "prisoners_down" in changed:
        return (f"political prisoners fell with {label}", channels), {"prisoners_down"}
    return (label, channels), set()


def _drawn_clause(r: MonthRecord, label: str, changed: set[str]) -> tuple[str, set[str]]:
    """A drawn shock, whose label is a phrase of its own ("a new war raises tension"), told as
    English: through the state change it brings (``changed``), else as its headline."""
    key, with_change, headline = DRAWN_NEWS[label]
    if key in changed:
        pct = supply_fall(r)
        return with_change.format(label=label, tension=r.tension, pct=pct), {key}
    return headline.format(label=label), set()


def supply_fall(r: MonthRecord) -> float:
    """By how many percent Russian crude deliveries fell this month, of what flowed the month
    before: a cut from 87% to 40% of normal deliveries is a fall of 54%, not of 47 (the points
    of normal it lost)."""
    before = r.supply - r.supply_change
    return -100 * r.supply_change / before if before > 0 else 0.0


def _decision_clause(r: MonthRecord) -> tuple[tuple[str, str, tuple] | None, set[str]]:
    """The decision taken this month, told as the actor's choice, with the change of the state
    it brings itself (a crackdown jails, a release frees, Russia's dispute cuts crude).

    Returns the clause (None without a decision) and the state keys it already tells.
    """
    if r.decision is None:
        return None, set()
    channels = KIND_CHANNELS.get(DECISION_KINDS.get(r.decision, ""), ())
    text = DECISION_CHOICES.get(r.decision, r.decision)
    brings, tell = DECISION_STATES.get(r.decision, (None, False))
    changes = dict(_state_clauses(r))
    if brings not in changes:
        return ("decision", text, channels), set()
    told = f"{text}, and {changes[brings]}" if tell else text
    return ("decision", told, channels), {brings}


def _state_clauses(r: MonthRecord) -> list[tuple[str, str]]:
    """The changes of the state worth telling, as (key, text); keys index STATE_CHANNELS."""
    clauses = []
    if r.tension_change > TENSION_STEP:
        clauses.append(("tension", f"tension rose to {r.tension:.2f}"))
    if r.supply_change < -SUPPLY_STEP:
        clauses.append(("supply_cut", f"Russian crude deliveries fell {supply_fall(r):.0f}%"))
    elif r.supply_change > 0 and r.supply >= FULL_SUPPLY > r.supply - r.supply_change:
        clauses.append(("supply_back", "Russian crude deliveries were back to normal"))
    if r.sanctions_change > SANCTIONS_STEP:
        clauses.append(("sanctions_up", f"the EU widened its sanctions to {r.sanctions:.0f} persons"))
    elif r.sanctions_change < -SANCTIONS_STEP:
        clauses.append(("sanctions_down", f"the EU eased its sanctions to {r.sanctions:.0f} persons"))
    if r.prisoners_change > PRISONERS_STEP:
        clauses.append(("prisoners_up", "political prisoners rose"))
    elif r.prisoners_change < -PRISONERS_STEP:
        clauses.append(("prisoners_down", "political prisoners were released"))
    return clauses


def causes(record: MonthRecord, news: list[tuple[str, str, tuple]]) -> list[str]:
    """Keys of the news that the model's own driver names as a cause of the month's move."""
    up = +1 if record.change > 0 else -1
    found = []
    for key, _, channels in news:
        for partner, driver, direction in channels:
            if partner == record.partner and driver == record.driver and direction == up:
                found.append(key)
                break
    return found


def _answer(r: MonthRecord, news: list[tuple[str, str, tuple]]) -> str:
    """The hedge clause, joined to the news as its answer or only as the same month's move."""
    move = _hedge_clause(r)
    if not news:
        return move
    found = causes(r, news)
    if not found:
        return f"in the same month, {move}"
    if len(news) == 1:
        return f"in answer, {move}"
    named = [_cause_name(r, key) for key in found]
    return f"in answer to {' and '.join(named)}, {move}"


def _cause_name(r: MonthRecord, key: str) -> str:
    """How a sentence names one piece of news as the cause of the month's move."""
    shocks = {shock_key(i): label for i, (label, _) in enumerate(r.shocks)}
    if key in shocks:
        return DRAWN_CAUSES.get(shocks[key], shocks[key])
    if key == "decision":
        return DECISION_CAUSES.get(str(r.decision), str(r.decision))
    return STATE_CAUSES[key]


def _hedge_clause(r: MonthRecord) -> str:
    up = r.change > 0
    verb = "raised" if up else "lowered"
    points = f"{100 * r.change:+.1f} points"
    floor = _floor_note(r)
    amount = f"({points}; {floor})" if floor else f"({points})"
    return f"Belarus {verb} its {_weight(r.partner)} {why(r.driver, r.partner, up)} {amount}"


def _weight(partner: str) -> str:
    return "weight on outside partners" if partner == "other" else f"{PARTNER_NAMES[partner]} weight"


def _floor_note(r: MonthRecord) -> str | None:
    """Where the Russia weight stands against the floor of the alliance commitment, if known."""
    if math.isnan(r.russia_weight - r.russia_floor):
        return None
    floor = f"{COMMITMENT_NAME}, {r.russia_floor:.2f}"
    if r.at_floor:
        return f"Russia {'stays at' if r.was_at_floor else 'is now at'} {floor}"
    if r.was_at_floor:
        return f"Russia {'rose above' if r.russia_weight > r.russia_floor else 'fell below'} {floor}"
    return None


def records(frame: pd.DataFrame, kinds: Mapping[str, str]) -> list[MonthRecord]:
    """Month records of one replicate from an event log joined with its state columns.

    ``frame`` holds one replicate, in date order, with the event-log columns (date,
    moved_partner, weight_change, driver, shock and, when known, decision and shocks: every
    shock of the month, as the model's record names only one), STATE_COLUMNS and, when known,
    FLOOR_COLUMNS; ``kinds`` maps shock labels to kinds (see ``shock_kinds``). The
    first month is left out: its move is the hedge settling from the equal split the run starts
    from.
    """
    changes = {c: frame[c].diff().to_numpy() for c in STATE_COLUMNS}
    weight, floor = (
        frame[c].to_numpy(float) if c in frame else np.full(len(frame), np.nan) for c in FLOOR_COLUMNS
    )
    on_floor = np.abs(weight - floor) <= AT_FLOOR
    out = []
    for i, row in enumerate(frame.itertuples(index=False)):
        if i == 0:
            continue
        labels = _labels(row)
        decision = getattr(row, "decision", None)
        out.append(
            MonthRecord(
                f"{pd.Timestamp(row.date):%Y-%m}",
                labels[0] if labels else None,
                kinds.get(labels[0]) if labels else None,
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
                float(weight[i]),
                float(floor[i]),
                bool(on_floor[i - 1]),
                DECISION_NAMES.get(decision, decision) if isinstance(decision, str) else None,
                tuple((label, kinds.get(label)) for label in labels[1:]),
            )
        )
    return out


def _labels(row) -> tuple[str, ...]:
    """The labels of the month's shocks: its ``shocks`` when the frame has them, else those its
    logged ``shock`` names (a set of drawn shocks, one label each)."""
    shocks = getattr(row, "shocks", None)
    if isinstance(shocks, tuple):
        return shocks
    return logged_shocks(row.shock)


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
    quiet = r.shock is None and r.decision is None and not _state_clauses(r)
    return quiet and not r.floor_moved and abs(r.change) >= min_move


def _same_move(a: MonthRecord, b: MonthRecord) -> bool:
    return a.partner == b.partner and a.driver == b.driver and (a.change > 0) == (b.change > 0)


def _told(stretch: list[MonthRecord], min_move: float) -> list[str]:
    if len(stretch) < 2:
        return [s for s in (sentence(r, min_move) for r in stretch) if s]
    first, last = stretch[0], stretch[-1]
    total = sum(r.change for r in stretch)
    up = total > 0
    verb = "raising" if up else "lowering"
    amount = f"{100 * total:+.1f} points over {len(stretch)} months"
    if last.at_floor:
        amount += f"; Russia stayed at {COMMITMENT_NAME}, {last.russia_floor:.2f}"
    return [
        f"{first.date} to {last.date}: Belarus kept {verb} its {_weight(first.partner)} "
        f"{why(first.driver, first.partner, up)} ({amount})"
    ]
