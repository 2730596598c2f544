"""Shocks: the dated timeline the model takes as given, and the stochastic processes after it.

A shock has a date, a kind, the actors it hits and a size in [0, 1]. The dated timeline holds
inputs only (wars, elections, disputes, releases, NPP milestones, summits, venues); sanctions,
agreements, trust and the hedge are outcomes of the rules and never appear here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from hedgesim.core.calendar import DateError, Month, RunCalendar
from hedgesim.core.parameters import check_ranges, knob


class ShockKind(Enum):
    """Kinds of shock; each value's docstring in EFFECTS says which state it moves."""

    WAR = "war"
    ELECTION = "election"
    CONCESSION = "concession"
    OIL_DISPUTE = "oil_dispute"
    GAS_DISPUTE = "gas_dispute"
    AUTONOMY_SIGNAL = "autonomy_signal"
    INSTITUTIONAL = "institutional"
    VENUE = "venue"
    DIPLOMATIC = "diplomatic"
    NPP = "npp"
    NPP_START = "npp_start"


EFFECTS: dict[ShockKind, str] = {
    ShockKind.WAR: "tension += size * war_impact (fades at tension_decay); a war naming UKR "
    "puts Ukraine at war",
    ShockKind.ELECTION: "crackdown of severity size: political prisoners rise to at least size; "
    "conflict of size with the EU (trust falls both ways); size 0 is a calm election",
    ShockKind.CONCESSION: "share size of political prisoners released; cooperation with the EU",
    ShockKind.OIL_DISPUTE: "Russian crude to refineries cut by size while active; Russia payoff "
    "variance up; conflict with Russia",
    ShockKind.GAS_DISPUTE: "Russia payoff variance up and conflict with Russia while active",
    ShockKind.AUTONOMY_SIGNAL: "cooperation with the EU, conflict with Russia, of size",
    ShockKind.INSTITUTIONAL: "contact with the EU: cooperation of size both ways",
    ShockKind.VENUE: "Belarus as neutral venue: cooperation of size with Ukraine and the EU",
    ShockKind.DIPLOMATIC: "contact with the EU: cooperation of size both ways",
    ShockKind.NPP: "Lithuania's NPP concern += size; conflict of size with Lithuania",
    ShockKind.NPP_START: "the plant runs: Lithuania's concern starts to soften (npp_softening)",
}

KINDS = tuple(k.value for k in ShockKind)
MAGNITUDES = {"low": 0.25, "medium": 0.5, "high": 1.0}
_ACTOR = re.compile(r"^[A-Z]{2,3}$")
_ID = re.compile(r"^[a-z0-9_\-]+$")


class ShockError(ValueError):
    """A malformed shock or timeline; the message names the field, the value and what is allowed."""


@dataclass(frozen=True)
class Shock:
    """One dated shock. ``end`` is the last month it is active (its start month by default)."""

    id: str
    date: Month
    kind: ShockKind
    size: float
    actors: tuple[str, ...]
    end: Month
    label: str = ""

    @property
    def duration(self) -> int:
        return self.end - self.date + 1

    @classmethod
    def from_record(cls, record: Mapping[str, Any], where: str) -> Shock:
        """Build and validate a shock from a mapping (YAML or CSV row)."""
        get = record.get
        kind_text = str(get("kind", ""))
        if kind_text not in KINDS:
            raise ShockError(f"{where}.kind={kind_text!r} is unknown; allowed: {', '.join(KINDS)}")
        date = _month(get("date"), f"{where}.date")
        end_text = _first(record, "end", "end_date")
        end = _month(end_text, f"{where}.end") if end_text not in (None, "") else date
        if end < date:
            raise ShockError(f"{where}.end={end} is before its date {date}; allowed: end >= date")
        size = _size(_first(record, "size", "magnitude_hint"), f"{where}.size")
        actors = _actors(get("actors"), f"{where}.actors")
        shock_id = str(get("id") or f"{date}-{kind_text}").replace("_", "-").lower()
        if not _ID.match(shock_id):
            raise ShockError(f"{where}.id={shock_id!r} is malformed; allowed: a-z, 0-9, '-', '_'")
        label = str(_first(record, "label", "description") or "")
        return cls(shock_id, date, ShockKind(kind_text), size, actors, end, label)


def _first(record: Mapping[str, Any], *keys: str) -> Any:
    """The first of ``keys`` the record fills; the later ones are the events table's names
    (end_date, magnitude_hint, description), so that table can be read as it is."""
    for key in keys:
        if record.get(key) not in (None, ""):
            return record[key]
    return None


def _month(value: Any, key: str) -> Month:
    try:
        return Month.parse(value)
    except DateError as err:
        raise ShockError(f"{key}={value!r}: {err}") from None


def _size(value: Any, key: str) -> float:
    if isinstance(value, str) and value in MAGNITUDES:
        return MAGNITUDES[value]
    try:
        size = float(value)
    except (TypeError, ValueError):
        size = float("nan")
    if not 0.0 <= size <= 1.0:
        raise ShockError(
            f"{key}={value!r} is not allowed; allowed: a number in [0, 1] or one of low, medium, high"
        )
    return size


def _actors(value: Any, key: str) -> tuple[str, ...]:
    items = value.split(";") if isinstance(value, str) else list(value or [])
    actors = tuple(str(a).strip() for a in items if str(a).strip())
    bad = [a for a in actors if not _ACTOR.match(a)]
    if not actors or bad:
        raise ShockError(f"{key}={value!r} is not allowed; allowed: country codes like BLR;EU;RUS;LTU;UKR")
    return actors


@dataclass(frozen=True)
class Timeline:
    """A validated, date-sorted sequence of shocks with unique ids."""

    shocks: tuple[Shock, ...] = ()

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]], where: str = "shocks") -> Timeline:
        shocks = [Shock.from_record(r, f"{where}[{i}]") for i, r in enumerate(records)]
        seen: set[str] = set()
        for shock in shocks:
            if shock.id in seen:
                raise ShockError(f"{where}: id {shock.id!r} appears twice; allowed: unique ids")
            seen.add(shock.id)
        return cls(tuple(sorted(shocks, key=lambda s: (s.date, s.id))))

    def check_within(self, calendar: RunCalendar, where: str = "shocks") -> None:
        """Dated shocks must start inside the run (they may run on past its end)."""
        for shock in self.shocks:
            if not calendar.contains(shock.date):
                raise ShockError(
                    f"{where} {shock.id!r}: date {shock.date} is outside the run; "
                    f"allowed: {calendar.start}..{calendar.end}"
                )

    def before_end_of(self, calendar: RunCalendar) -> Timeline:
        """The shocks that start before the run ends (one timeline serves runs of any length)."""
        return Timeline(tuple(s for s in self.shocks if s.date <= calendar.end))

    def without(self, kinds: Iterable[str] = (), ids: Iterable[str] = ()) -> Timeline:
        """The timeline with some kinds or some shocks switched off."""
        kinds, ids = set(kinds), set(ids)
        return Timeline(tuple(s for s in self.shocks if s.kind.value not in kinds and s.id not in ids))

    def records(self) -> list[dict[str, Any]]:
        """One plain row per shock (for tables, figures and the classroom page)."""
        return [
            {
                "id": s.id,
                "date": s.date.to_date(),
                "end": s.end.to_date(),
                "kind": s.kind.value,
                "size": s.size,
                "actors": ";".join(s.actors),
                "label": s.label,
            }
            for s in self.shocks
        ]

    @property
    def last_month(self) -> Month | None:
        return max((s.date for s in self.shocks), default=None)

    def starting_at(self, calendar: RunCalendar) -> dict[int, list[Shock]]:
        """Shocks grouped by the step at which they start."""
        by_step: dict[int, list[Shock]] = {}
        for shock in self.shocks:
            by_step.setdefault(calendar.step_of(shock.date), []).append(shock)
        return by_step


@dataclass
class StochasticShocks:
    """Hazards of the shocks drawn after the dated timeline ends (projections)."""

    enabled: bool = True
    start: str | None = None
    presidential_election: str = "2025-01"
    election_every_years: int = 5
    crackdown_probability: float = knob(
        0.6,
        0.0,
        1.0,
        "chance that an election ends in a crackdown",
        "two of the three elections 2010-2020 ended in one",
    )
    crackdown_size: float = knob(1.0, 0.0, 1.0, "severity of a drawn crackdown")
    release_rate: float = knob(
        0.03, 0.0, 1.0, "monthly hazard of a prisoner release per unit of Belarus's EU weight"
    )
    energy_dispute_rate: float = knob(
        0.025,
        0.0,
        1.0,
        "monthly hazard of an oil dispute at zero Russian pressure",
        "disputes in 2010, 2016-17, 2019, 2020: about one in 40 months",
    )
    energy_dispute_size: float = knob(0.4, 0.0, 1.0, "supply cut of a drawn dispute")
    energy_dispute_months: int = 4
    war_rate: float = knob(0.01, 0.0, 1.0, "monthly hazard of a war at tension 1 (scales with tension)")
    war_size: float = knob(1.0, 0.0, 1.0, "size of a drawn war (tension += size * war_impact)")

    def validate(self) -> None:
        check_ranges(self, "shocks.stochastic")
        for key in ("start", "presidential_election"):
            value = getattr(self, key)
            if value is not None:
                _month(value, f"shocks.stochastic.{key}")
        if self.election_every_years < 1:
            raise ShockError(
                f"shocks.stochastic.election_every_years={self.election_every_years}; allowed: >= 1"
            )
        if self.energy_dispute_months < 1:
            raise ShockError(
                f"shocks.stochastic.energy_dispute_months={self.energy_dispute_months}; allowed: >= 1"
            )


STOCHASTIC_CHANNELS = ("crackdown", "release", "dispute", "war")


@dataclass
class DrawnShocks:
    """Per-replicate shocks drawn for one month (boolean masks)."""

    crackdown: np.ndarray
    release: np.ndarray
    dispute: np.ndarray
    war: np.ndarray


@dataclass
class StochasticProcess:
    """Draws elections, releases, energy disputes and wars after the dated timeline."""

    settings: StochasticShocks
    first_step: int
    election_steps: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def for_run(
        cls, settings: StochasticShocks, calendar: RunCalendar, timeline: Timeline
    ) -> StochasticProcess:
        if settings.start is not None:
            first = Month.parse(settings.start)
        elif timeline.last_month is not None:
            first = timeline.last_month + 1
        else:
            first = calendar.start
        anchor = Month.parse(settings.presidential_election)
        every = 12 * settings.election_every_years
        steps = {
            calendar.step_of(anchor + every * k)
            for k in range(-20, 20)
            if calendar.contains(anchor + every * k) and anchor + every * k >= first
        }
        return cls(settings, calendar.step_of(first), frozenset(steps))

    def draw(
        self,
        step: int,
        uniforms: dict[str, np.ndarray],
        *,
        tension: np.ndarray,
        pressure: np.ndarray,
        eu_weight: np.ndarray,
        prisoners: np.ndarray,
    ) -> DrawnShocks | None:
        """This month's drawn shocks, or None before the stochastic period."""
        s = self.settings
        if not s.enabled or step < self.first_step:
            return None
        election = step in self.election_steps
        crackdown = (uniforms["crackdown"] < s.crackdown_probability) & election
        release = (uniforms["release"] < s.release_rate * eu_weight) & (prisoners > 0.05)
        dispute = uniforms["dispute"] < s.energy_dispute_rate * (1.0 + pressure)
        war = uniforms["war"] < s.war_rate * tension
        return DrawnShocks(crackdown, release, dispute, war)
