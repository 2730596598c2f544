"""The second scenarios the page offers, built from the dated timeline, and what to know of them.

A comparison B leaves out dated events (a war, a kind, one event) and the drawn shocks of a kind;
its note tells a teacher what B keeps that A's war brought (events after it, or none of the talks
Belarus hosts by its own rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hedgesim.app.channels import STOCHASTIC_KINDS
from hedgesim.config.compose import compose_config
from hedgesim.config.spec import build_run
from hedgesim.config.timeline_files import load_timeline
from hedgesim.core import vocabulary
from hedgesim.core.shocks import KINDS
from hedgesim.core.shocks.stochastic import DRAWN_LABELS

DECISIONS: dict[str, str] = getattr(vocabulary, "DECISIONS", {})
"""The decisions the agents take by their rules (none in models where all are dated shocks)."""

SCENARIO = "forward_2030"
NO_COMPARISON = "no second scenario"
SAME_SHOCKS = "the same shocks"
"""The comparison whose B differs from A only in its challenges."""
FOLLOWED = "and what followed it"
LENT = "territory_used"
"""The kind of the rows that lend Belarusian territory to a war (see ``lent_to``)."""
DRAWN_OFF: dict[str, tuple[str, ...]] = {
    "war": ("shocks.stochastic.war_rate=0",),
    "oil_dispute": ("shocks.stochastic.energy_dispute_rate=0",),
    # drawn elections fall on a five-year cycle from this month: none within any run
    "election": ("shocks.stochastic.presidential_election='9999-01'",),
}
"""Overrides that leave the drawn shocks of a kind out of B (the kinds the model draws)."""
KIND_NAMES = {
    "war": "Wars",
    "election": "Elections",
    "concession": "Prisoner releases",
    "oil_dispute": "Oil disputes",
    "gas_dispute": "Gas disputes",
    "autonomy_signal": "Signals of autonomy from Russia",
    "institutional": "EU institutional steps",
    "venue": "Minsk as a venue for talks",
    "diplomatic": "Diplomatic events",
    "npp": "Nuclear plant disputes",
    "npp_start": "Nuclear plant start",
    "eap_suspension": "EaP suspension",
    "territory_used": "Belarusian territory lent to a war",
}
"""How the page names each group of dated shocks."""
KIND_WORDS = {
    "npp": "NPP",
    "npp_start": "NPP start",
    "eap_suspension": "EaP suspension",
    "territory_used": "territory-lent",
}
"""How a comparison's name spells a kind whose key does not read as words ("without any NPP shocks")."""
DRAWN_KINDS = tuple(STOCHASTIC_KINDS[name] for name in DRAWN_LABELS)
"""The kinds of the shocks the model draws after the dated history."""


@dataclass(frozen=True)
class EventSwitch:
    """A switch on the page for one dated historical event."""

    id: str
    key: str
    label: str
    date: str
    kind: str
    actors: tuple[str, ...] = ()

    @property
    def named(self) -> str:
        """The event as a sentence names it: its label and month."""
        return f"{self.label} ({self.date})"


def kind_key(kind: str) -> str:
    """Name of the page's switch for one kind of shock (a keyword argument of the model)."""
    return f"kind_{kind}"


def event_key(shock_id: str) -> str:
    """Name of the page's switch for one dated event (ids may hold dashes; keywords may not)."""
    return "event_" + shock_id.replace("-", "_")


@cache
def historical_events() -> tuple[EventSwitch, ...]:
    """The dated events of the page's scenario, in date order, one switch each."""
    cfg = compose_config([f"scenario={SCENARIO}"])
    spec = build_run(cfg)
    switches = []
    for row in load_timeline(cfg.shocks).before_end_of(spec.calendar).records():
        date = f"{row['date']:%Y-%m}"
        actors = tuple(a for a in str(row["actors"]).split(";") if a)
        label = row["label"] or row["id"]
        switches.append(EventSwitch(row["id"], event_key(row["id"]), label, date, row["kind"], actors))
    return tuple(switches)


def events_by_kind() -> dict[str, tuple[EventSwitch, ...]]:
    """The dated events grouped by kind (kinds in the model's order, those with events only)."""
    events = historical_events()
    groups = {kind: tuple(e for e in events if e.kind == kind) for kind in KINDS}
    return {kind: group for kind, group in groups.items() if group}


def followers(war: EventSwitch) -> tuple[EventSwitch, ...]:
    """The events that followed a war: later rows, not wars, between (at least) the same parties,
    up to the next war between them (what comes with that one is its own).

    They are rows of their own in the timeline (the Minsk Protocol after the 2014 war), so
    switching the war off leaves them in place.
    """
    parties = set(war.actors)
    later = [e for e in historical_events() if e.date > war.date and parties <= set(e.actors)]
    until = min((e.date for e in later if e.kind == "war"), default="9999-12")
    return tuple(e for e in later if e.kind != "war" and e.date < until)


def lent_to(war: EventSwitch) -> tuple[EventSwitch, ...]:
    """Belarusian territory lent to a war: rows of their own in the timeline (Belarus's decision,
    with no rule), in the war's month, between (at least) the war's parties. A B without the war
    has no war to lend it to, so a comparison that leaves the war out leaves them out too."""
    parties = set(war.actors) - {"BLR"}
    return tuple(
        e for e in historical_events() if e.kind == LENT and e.date == war.date and parties <= set(e.actors)
    )


def lent_with_wars_off(kinds: tuple[str, ...], ids: tuple[str, ...]) -> tuple[EventSwitch, ...]:
    """The territory lent to the wars switched off under Shocks (every war when ``kinds`` holds
    "war"): off with them, whatever its own switch says, as a comparison leaves it out with its
    war, so that no log tells Belarus lending its territory to a war that did not happen."""
    if LENT in kinds:
        return ()
    return _lent(_wars_off(kinds, ids))


def lent_off_note(kinds: tuple[str, ...], ids: tuple[str, ...]) -> str:
    """What a teacher should know when a switch leaves out a war territory was lent to: that row
    is off too, in A and B, until the war is switched on again ('' when no such war is off)."""
    notes = []
    for lent in lent_with_wars_off(kinds, ids):
        wars = [w for w in _wars_off(kinds, ids) if lent in lent_to(w)]
        are = "is" if len(wars) == 1 else "are"
        notes.append(
            f"{lent.named} is off too, in A and B alike, while {_listed(wars)} {are} switched off: it is "
            "a row of its own in the timeline, but lent to that war, and there is no war to lend the "
            "territory to. Its own switch counts again once the war is switched on."
        )
    return " ".join(notes)


def _wars_off(kinds: tuple[str, ...], ids: tuple[str, ...]) -> list[EventSwitch]:
    return [e for e in historical_events() if e.kind == "war" and ("war" in kinds or e.id in ids)]


@dataclass(frozen=True)
class Comparison:
    """A second scenario B the page offers: the kinds and dated events switched off in B.

    A kind switched off leaves out its drawn shocks too (``DRAWN_OFF``), not only its dated ones.
    """

    kinds: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()

    def drawn_overrides(self) -> list[str]:
        """Overrides that leave out the drawn shocks of the kinds B switches off."""
        return [line for kind in self.kinds for line in DRAWN_OFF.get(kind, ())]

    def removed(self) -> tuple[EventSwitch, ...]:
        """The dated events B leaves out."""
        return tuple(e for e in historical_events() if e.id in self.ids or e.kind in self.kinds)

    def kept_followers(self, switched_off: tuple[str, ...] = ()) -> tuple[EventSwitch, ...]:
        """Events that followed a war B leaves out, and that stay in B (and are on in A)."""
        removed = self.removed()
        gone = {e.id for e in removed} | set(switched_off)
        kept: dict[str, EventSwitch] = {}
        for war in (e for e in removed if e.kind == "war"):
            kept |= {e.id: e for e in followers(war) if e.id not in gone}
        return tuple(e for e in historical_events() if e.id in kept)


@cache
def comparisons() -> dict[str, Comparison]:
    """Second scenarios the page offers, by name.

    Built from the timeline itself: the same shocks (B differs in its challenges only), each
    year's wars with the territory lent to them (alone, and with the events that followed them),
    each kind of shock that has dated or drawn shocks (the decisions Belarus takes by its rules
    are no shocks to leave out; the wars go with the territory lent to them), each dated event.
    """
    events = historical_events()
    offers = {NO_COMPARISON: Comparison(), SAME_SHOCKS: Comparison()}
    war_years = sorted({e.date[:4] for e in events if e.kind == "war"})
    for year in war_years:
        wars = tuple(e for e in events if e.kind == "war" and e.date.startswith(year))
        with_lent = tuple(e.id for e in (*wars, *_lent(wars)))
        offers[f"without the {year} war"] = Comparison(ids=with_lent)
        after = Comparison(ids=with_lent).kept_followers()
        if after:
            ids = (*with_lent, *(e.id for e in after))
            offers[f"without the {year} war {FOLLOWED}"] = Comparison(ids=ids)
    for kind in (k for k in KINDS if k in events_by_kind() or k in DRAWN_KINDS):
        words = KIND_WORDS.get(kind, kind.replace("_", " "))
        lent = tuple(e.id for e in _lent(events)) if kind == "war" else ()
        offers[f"without any {words} shocks"] = Comparison(kinds=(kind,), ids=lent)
    for e in events:
        offers[f"without {e.date} {e.label}"] = Comparison(ids=(e.id,))
    return offers


def _lent(events) -> tuple[EventSwitch, ...]:
    """The territory lent to the wars among ``events``, in timeline order."""
    lent = {e.id for war in events if war.kind == "war" for e in lent_to(war)}
    return tuple(e for e in historical_events() if e.id in lent)


def comparison_note(compare: str, switched_off: tuple[str, ...] = ()) -> str:
    """What a teacher should know about a comparison: what B would leave out but A lacks too
    (switched off), the events after a war that B keeps, and the territory lent to a war B leaves
    out (left out with it, or kept as a row of its own).

    Args:
        compare: a name from ``comparisons()``.
        switched_off: ids of the dated events switched off on the page (in A and B alike).

    Returns:
        A plain paragraph, or '' when B leaves out no war A has, keeps nothing that followed
        one, and leaves out nothing switched off.
    """
    comparison = comparisons()[compare]
    wars = [e for e in comparison.removed() if e.kind == "war" and e.id not in switched_off]
    lent = _lent_note(comparison, wars, switched_off)
    followed = _followers_note(comparison, wars, switched_off) if wars else ""
    return " ".join(note for note in (_off_in_a(comparison, switched_off), followed, lent) if note)


def _off_in_a(comparison: Comparison, switched_off: tuple[str, ...]) -> str:
    """The events B leaves out that A lacks too (switched off under Shocks): there B is A."""
    off = [e for e in comparison.removed() if e.id in switched_off]
    if not off:
        return ""
    one = len(off) == 1
    note = (
        f"{_listed(off)} {'is' if one else 'are'} off in A too (switched off under Shocks, in A and B "
        "alike), so there B does not differ from A."
    )
    if len(off) == len(comparison.removed()) and not comparison.kinds:
        note += f" B has the same dated shocks as A: switch {'it' if one else 'them'} on to compare."
    return note


def _followers_note(comparison: Comparison, wars: list[EventSwitch], switched_off: tuple[str, ...]) -> str:
    """The note on what followed the wars B leaves out: the events B keeps, or the talks."""
    kept = comparison.kept_followers(switched_off)
    if not kept:
        return _talks_by_rule(wars, {e.id for e in comparison.removed()} | set(switched_off))
    tied = [name for name in comparisons() if name.endswith(FOLLOWED) and _ties(name, wars)]
    one = len(kept) == 1
    they, stay, are = (
        ("it", "stays", "It is a separate event") if one else ("they", "stay", "They are separate events")
    )
    note = (
        f"B leaves out {_listed(wars)}, but not what followed: {_listed(kept)} {stay} in B. {are} in "
        f"the timeline, so {they} {stay} unless switched off too (a switch under Shocks turns an "
        "event off in A and B alike)."
    )
    if tied:
        note += f' To leave {"it" if one else "them"} out of B only, choose "{tied[0]}".'
    return note


def _lent_note(comparison: Comparison, wars: list[EventSwitch], switched_off: tuple[str, ...]) -> str:
    """Whether B leaves out the territory lent to the wars it leaves out, or keeps it (a row of
    its own, switched on): either way the log of B tells the truth only if the note says which."""
    removed = {e.id for e in comparison.removed()}
    lent = [e for e in _lent(wars) if e.id not in switched_off]
    out = [e for e in lent if e.id in removed]
    kept = [e for e in lent if e.id not in removed]
    notes = []
    if out:
        notes.append(
            f"B leaves out {_listed(out)} too: a row of its own in the timeline, but lent to a war B "
            "leaves out, so B has no war to lend the territory to."
        )
    if kept:
        tied = [f'"{name}"' for name, c in comparisons().items() if _leaves_out(c, wars, kept)]
        choose = f", or choose {tied[0]} to leave it out of B only" if tied else ""
        notes.append(
            f"B keeps {_listed(kept)}, lent to the war B leaves out: it is a row of its own in the "
            "timeline, so B's log still tells it and its effects stay in B (conflict with Ukraine and the "
            "EU, a steeper cost of falling short of the alliance commitment, no talks hosted after it). "
            "Switch it off "
            f"under Shocks (in A and B alike){choose}."
        )
    return " ".join(notes)


def _leaves_out(comparison: Comparison, wars: list[EventSwitch], lent: list[EventSwitch]) -> bool:
    """The comparison leaves out these wars and this territory lent to them, and no other event."""
    return {e.id for e in comparison.removed()} == {e.id for e in (*wars, *lent)} and not comparison.kinds


def _talks_by_rule(wars: list[EventSwitch], gone: set[str]) -> str:
    """For models where hosting talks is Belarus's decision (not a dated event): say so, and
    whether B keeps another war in Ukraine (ids ``gone`` are out of B) to host talks about."""
    dated_talks = any(e.kind == "venue" for e in historical_events())
    if "venue" not in DECISIONS or dated_talks or not any("UKR" in w.actors for w in wars):
        return ""
    note = (
        f"B leaves out {_listed(wars)}. Talks such as the Minsk Protocol and Minsk II are not dated "
        "events in this model: Belarus decides to host talks by its own rule, only while a war in "
        "Ukraine is on"
    )
    return note + _talks_left(wars, gone)


def _talks_left(wars: list[EventSwitch], gone: set[str]) -> str:
    """The rest of the note on talks: the wars in Ukraine B keeps (ids ``gone`` are out of B),
    up to the month Belarusian territory is lent to a war, after which Belarus reads as aligned
    and hosts no talks in A or B."""
    events = [e for e in historical_events() if e.id not in gone]
    lent = min((e.date for e in events if e.kind == "territory_used"), default="9999-12")
    in_ukraine = [e for e in events if e.kind == "war" and "UKR" in e.actors]
    kept = [e for e in in_ukraine if e.date < lent]
    lending = f"Belarusian territory is lent to a war ({lent})"
    if not in_ukraine:
        return ". B has no war in Ukraine left, so it hosts no talks at all."
    if not kept:
        before = f"no war in Ukraine that starts before {lending}, which ends its neutrality"
        return f". B keeps {before}, so it hosts no talks at all."
    until = f" until {lending}" if lent < "9999" else ""
    while_on = "that war is" if len(kept) == 1 else "those wars are"
    return (
        f". B still has {_listed(kept)}: it may host talks while {while_on} on"
        f"{' and' + until if until else ''}, but none that only {_listed(wars)} would have brought."
    )


def _ties(name: str, wars: list[EventSwitch]) -> bool:
    """The comparison ``name`` leaves out exactly these wars (and what followed them)."""
    tied = {e.id for e in comparisons()[name].removed() if e.kind == "war"}
    return tied == {w.id for w in wars}


def _listed(events) -> str:
    named = [e.named for e in events]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
