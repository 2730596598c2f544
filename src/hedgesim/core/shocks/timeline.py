"""The dated shock timeline the model takes as given: kinds, their effects, parsing, validation.

A shock has a date, a kind, the actors it hits and a size in [0, 1]. The dated timeline holds
inputs only (wars, elections, disputes, NPP milestones, summits, coercion of EU members, the
break with the Eastern Partnership, territory lent to a war); what a modelled actor decides
(crackdowns, releases, autonomy signals, venues, sanctions, vetoes, agreements, the hedge) is a
rule in its agent and never a row of the historical timeline. The decision kinds (concession,
autonomy_signal, venue, crackdown) stay available to impose a decision in a counterfactual
timeline or observed history (``decisions.mode=observed``). How each kind
becomes a month's impulses is in ``impulses``; EFFECTS says it in words.
"""

from __future__ import annotations

import datetime as dt
import itertools
import numbers
import re
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from hedgesim.core.calendar import DateError, Month, RunCalendar


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
    CRACKDOWN = "crackdown"
    COERCION = "coercion"
    EAP_SUSPENSION = "eap_suspension"
    TERRITORY_USED = "territory_used"


EFFECTS: dict[ShockKind, str] = {
    ShockKind.WAR: "tension += size * war_impact (fades at tension_decay); a war naming UKR "
    "puts Ukraine at war",
    ShockKind.ELECTION: "a presidential election with opposition mobilisation of size (0: calm); "
    "whether it ends in a crackdown is Belarus's decision (its crackdown rule)",
    ShockKind.CONCESSION: "an imposed release (not in the historical timeline: Belarus's releases "
    "are its rule): share size of political prisoners released; cooperation with the EU",
    ShockKind.OIL_DISPUTE: "Russian crude to refineries cut by size while active; Russia payoff "
    "variance up; conflict with Russia",
    ShockKind.GAS_DISPUTE: "Russia payoff variance up and conflict with Russia while active",
    ShockKind.AUTONOMY_SIGNAL: "cooperation with the EU, conflict with Russia, of size",
    ShockKind.INSTITUTIONAL: "contact with the EU: cooperation of size both ways",
    ShockKind.VENUE: "Belarus as neutral venue: cooperation of size with Ukraine and the EU",
    ShockKind.DIPLOMATIC: "contact with the EU: cooperation of size both ways",
    ShockKind.NPP: "Lithuania's NPP concern += size; conflict of size with Lithuania",
    ShockKind.NPP_START: "the plant runs: Lithuania's concern starts to soften (npp_softening)",
    ShockKind.CRACKDOWN: "an imposed crackdown (observed history or a counterfactual; Belarus's "
    "own crackdowns are its rule): political prisoners rise to at least size; conflict of size "
    "with the EU",
    ShockKind.COERCION: "coercion against EU members: coercion and conflict with the EU and with "
    "Lithuania of size, spread over the active months (the EU's sectoral rule reads coercion)",
    ShockKind.EAP_SUSPENSION: "institutional break with the EU: eap_suspended at onset; conflict "
    "of size with the EU",
    ShockKind.TERRITORY_USED: "Belarusian territory used for a war: territory_used at onset; "
    "conflict of size with Ukraine and with the EU",
}

KINDS = tuple(k.value for k in ShockKind)

DECISIONS_WITHOUT_RULE = (
    ShockKind.EAP_SUSPENSION.value,
    ShockKind.TERRITORY_USED.value,
)
"""Kinds that are Belarus's decisions but have no rule yet: dated history before a branch, absent
after it (from the branch on Belarus's decisions come from its rules)."""
MAGNITUDES = {"low": 0.25, "medium": 0.5, "high": 1.0}
_ACTOR = re.compile(r"^[A-Z]{2,3}$")
_ID = re.compile(r"^[a-z0-9_\-]+$")
MAX_SHOCKS = 10_000
"""The most dated shocks a run takes. The event log codes a shock as a 16-bit integer (the dated
shocks, then the drawn kinds), and 10,000 shocks build and run in about a second."""


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
        """Months the shock is active, its first and last included."""
        return self.end - self.date + 1

    @classmethod
    def from_record(cls, record: Mapping[str, Any], where: str) -> Shock:
        """Build and validate a shock from a mapping (YAML or CSV row).

        ``where`` prefixes the key an error names: ``shocks[3]`` gives ``shocks[3].size=...``,
        and a prefix ending in a colon, ``my.csv line 4:``, gives ``my.csv line 4: size=...``.
        """
        if not isinstance(record, Mapping):
            raise ShockError(
                f"{where.rstrip(':')}: {show(record)} is not a shock; allowed: a mapping with "
                "date, kind, actors and size"
            )
        _check_values(record, where)
        for name, allowed in _REQUIRED.items():
            if all(record.get(n) is None for n in (name, *_OTHER_NAMES.get(name, ()))):
                raise ShockError(f"{_key(where, name)} is missing; allowed: {allowed}")
        get = record.get
        kind_text = str(get("kind", ""))
        if kind_text not in KINDS:
            kinds = ", ".join(KINDS)
            raise ShockError(f"{_key(where, 'kind')}={show(kind_text)} is unknown; allowed: {kinds}")
        date = parse_month(get("date"), _key(where, "date"))
        end_text = _first(record, "end", "end_date")
        end = parse_month(end_text, _key(where, "end")) if end_text not in (None, "") else date
        if end < date:
            raise ShockError(f"{_key(where, 'end')}={end} is before its date {date}; allowed: end >= date")
        size = _size(_first(record, "size", "magnitude_hint"), _key(where, "size"))
        actors = _actors(get("actors"), _key(where, "actors"))
        shock_id = str(get("id") or f"{date}-{kind_text}").replace("_", "-").lower()
        if not _ID.match(shock_id):
            allowed = "a-z, 0-9, '-', '_'"
            raise ShockError(f"{_key(where, 'id')}={show(shock_id)} is malformed; allowed: {allowed}")
        label = str(_first(record, "label", "description") or "")
        if label and not label.strip():  # it would show blank in the event log and the figure
            name = "label" if record.get("label") not in (None, "") else "description"
            raise ShockError(
                f"{_key(where, name)}={show(label)} is blank; allowed: a label with text, or none"
            )
        return cls(shock_id, date, ShockKind(kind_text), size, actors, end, label)


def _key(where: str, name: str) -> str:
    """The key an error names: ``where.name``, or ``where name`` after a colon."""
    return f"{where} {name}" if where.endswith(":") else f"{where}.{name}"


def show(value: Any) -> str:
    """``repr(value)`` cut short (strings, lists and nesting), so an error stays one short line."""
    return _SHORT.repr(value)


_SHORT = reprlib.Repr(maxstring=60, maxother=60, maxlist=5, maxtuple=5, maxdict=5, maxlevel=1)

_SCALARS = (str, numbers.Number, dt.date, type(None))
_REQUIRED = {
    "date": "a date written YYYY-MM or YYYY-MM-DD",
    "kind": f"one of {', '.join(KINDS)}",
    "actors": "country codes like BLR;EU;RUS;LTU;UKR",
    "size": "a number in [0, 1] or one of low, medium, high",
}
_OTHER_NAMES = {"size": ("magnitude_hint",)}
"""The events table's name for a required field."""


def _check_values(record: Mapping[str, Any], where: str) -> None:
    """Every value a single one (actors: one or a list of them), every key a string."""
    for name, value in record.items():
        if not isinstance(name, str):
            raise ShockError(f"{where.rstrip(':')}: key {show(name)} is not a name; allowed: date, kind, ...")
        listed = isinstance(value, Sequence) and not isinstance(value, str | bytes)
        items = value if name == "actors" and listed else [value]
        if not all(isinstance(item, _SCALARS) for item in items):
            raise ShockError(
                f"{_key(where, name)}={show(value)} is not allowed; allowed: a single value"
                + (" or a list of country codes" if name == "actors" else "")
            )


def _first(record: Mapping[str, Any], *keys: str) -> Any:
    """The first of ``keys`` the record fills; the later ones are the events table's names
    (end_date, magnitude_hint, description), so that table can be read as it is."""
    for key in keys:
        if record.get(key) not in (None, ""):
            return record[key]
    return None


def parse_month(value: Any, key: str) -> Month:
    """A month, or a ShockError that names the key."""
    try:
        return Month.parse(value)
    except DateError as err:
        if value is None:
            raise ShockError(f"{key} is missing; allowed: a date written YYYY-MM or YYYY-MM-DD") from None
        raise ShockError(f"{key}={show(value)}: {date_problem(err)}") from None


def date_problem(err: DateError) -> str:
    """A DateError's text, ending in what is allowed."""
    text = str(err).replace("; write ", "; allowed: ")
    return text if "allowed:" in text else f"{text}; allowed: a real date, YYYY-MM or YYYY-MM-DD"


def _size(value: Any, key: str) -> float:
    """A number in [0, 1], or a magnitude word of the events table."""
    if isinstance(value, str) and value in MAGNITUDES:
        return MAGNITUDES[value]
    try:
        size = float(value)
    except (TypeError, ValueError):
        size = float("nan")
    if not 0.0 <= size <= 1.0:
        comma = isinstance(value, str) and value.count(",") == 1 and _decimal(value.replace(",", "."))
        raise ShockError(
            f"{key}={show(value)} is not allowed; allowed: a number in [0, 1] or one of low, medium, high"
            + (f" (with a decimal point: {value.replace(',', '.')})" if comma else "")
        )
    return size


def _decimal(text: str) -> bool:
    """Whether ``text`` reads as a number in [0, 1] (a size written with a decimal comma)."""
    try:
        return 0.0 <= float(text) <= 1.0
    except ValueError:
        return False


def _actors(value: Any, key: str) -> tuple[str, ...]:
    """Country codes, from a list or the CSV form ``BLR;EU``."""
    items = value.split(";") if isinstance(value, str) else list(value or [])
    actors = tuple(str(a).strip() for a in items if str(a).strip())
    bad = [a for a in actors if not _ACTOR.match(a)]
    if not actors or bad:
        allowed = "country codes like BLR;EU;RUS;LTU;UKR"
        raise ShockError(f"{key}={show(value)} is not allowed; allowed: {allowed}")
    return actors


@dataclass(frozen=True)
class Timeline:
    """A validated, date-sorted sequence of shocks with unique ids."""

    shocks: tuple[Shock, ...] = ()

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any]],
        where: str = "shocks",
        places: Sequence[str] | None = None,
    ) -> Timeline:
        """Validate every record; ``where`` prefixes the key an error names (``shocks[3].size``).

        ``places`` says where each record is (``line 4``), for errors in a file's words:
        ``my.csv line 4: size=...``. More than MAX_SHOCKS records are refused before any is read.
        """
        records = list(itertools.islice(records, MAX_SHOCKS + 1))
        if len(records) > MAX_SHOCKS:
            raise ShockError(
                f"{where}: more than {MAX_SHOCKS:,} shocks; allowed: at most {MAX_SHOCKS:,} dated shocks"
            )
        if places:
            wheres = [f"{where} {p}:" for p in places]
        else:
            wheres = [f"{where}[{i}]" for i in range(len(records))]
        shocks = [Shock.from_record(r, w) for r, w in zip(records, wheres, strict=True)]
        seen: dict[str, str] = {}
        for i, (shock, record) in enumerate(zip(shocks, records, strict=True)):
            if shock.id in seen:
                made = not record.get("id")
                raise ShockError(
                    f"{wheres[i].rstrip(':')}: id {shock.id!r}{' (made from its date and kind)' * made} "
                    f"appears twice, here and at {seen[shock.id]}; allowed: unique ids"
                    + (" (give two shocks of one kind and month an id each)" if made else "")
                )
            seen[shock.id] = places[i] if places else wheres[i]
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

    def before_branch(self, branch: Month, kinds: Iterable[str]) -> Timeline:
        """The timeline with the shocks of some kinds kept only before the branch month."""
        kinds = set(kinds)
        return Timeline(tuple(s for s in self.shocks if s.kind.value not in kinds or s.date < branch))

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
        """The latest start, after which the stochastic shocks take over (None if empty)."""
        return max((s.date for s in self.shocks), default=None)

    def active_by_step(self, calendar: RunCalendar) -> dict[int, list[ActiveShock]]:
        """For each step, the shocks active then, in timeline order; the run's end cuts them."""
        active: dict[int, list[ActiveShock]] = {}
        for index, shock in enumerate(self.shocks):
            first = calendar.step_of(shock.date)
            for step in range(first, min(first + shock.duration, calendar.n_steps)):
                active.setdefault(step, []).append(ActiveShock(shock, index, step == first))
        return active


@dataclass(frozen=True)
class ActiveShock:
    """A dated shock in one of its active months.

    ``index`` is its position in the timeline, the code the event log names it by; ``onset``
    marks its first month, when one-off effects happen.
    """

    shock: Shock
    index: int
    onset: bool
