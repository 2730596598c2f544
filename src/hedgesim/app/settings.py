"""What a teacher sets on the page, checked and turned into one or two validated runs.

Every value goes through the same Hydra composition and validation as the command line, so the
page accepts exactly what ``hedgesim`` accepts; text typed into the page (seed, replicate count)
is parsed here first, and any mistake becomes a one-line ConfigError that the page shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from hedgesim.app.channels import STOCHASTIC_KINDS
from hedgesim.config.compose import compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import RunSpec, build_run
from hedgesim.config.timeline_files import load_timeline
from hedgesim.core import vocabulary
from hedgesim.core.challenges import Challenges
from hedgesim.core.shocks import KINDS, STOCHASTIC_LABELS

DECISIONS: dict[str, str] = getattr(vocabulary, "DECISIONS", {})
"""The decisions the agents take by their rules (none in models where all are dated shocks)."""

SCENARIO = "forward_2030"
MAX_REPLICATES = 500
NO_COMPARISON = "no second scenario"
SAME_SHOCKS = "the same shocks"
"""The comparison whose B differs from A only in its challenges."""
FOLLOWED = "and what followed it"
DRAWN_OFF: dict[str, tuple[str, ...]] = {
    "war": ("shocks.stochastic.war_rate=0",),
    "oil_dispute": ("shocks.stochastic.energy_dispute_rate=0",),
    # drawn elections fall on a five-year cycle from this month: none within any run
    "election": ("shocks.stochastic.presidential_election='9999-01'",),
}
"""Overrides that leave the drawn shocks of a kind out of B (the kinds the model draws)."""
DRAWN_KINDS = tuple(STOCHASTIC_KINDS[name] for name in STOCHASTIC_LABELS)
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
    year's wars (alone, and with the events that followed them), each kind of shock that has dated
    or drawn shocks (the decisions Belarus takes by its rules are no shocks to leave out), each
    dated event.
    """
    events = historical_events()
    offers = {NO_COMPARISON: Comparison(), SAME_SHOCKS: Comparison()}
    war_years = sorted({e.date[:4] for e in events if e.kind == "war"})
    for year in war_years:
        wars = tuple(e for e in events if e.kind == "war" and e.date.startswith(year))
        offers[f"without the {year} war"] = Comparison(ids=tuple(e.id for e in wars))
        after = Comparison(ids=tuple(e.id for e in wars)).kept_followers()
        if after:
            ids = tuple(e.id for e in (*wars, *after))
            offers[f"without the {year} war {FOLLOWED}"] = Comparison(ids=ids)
    for kind in (k for k in KINDS if k in events_by_kind() or k in DRAWN_KINDS):
        offers[f"without any {kind.replace('_', ' ')} shocks"] = Comparison(kinds=(kind,))
    for e in events:
        offers[f"without {e.date} {e.label}"] = Comparison(ids=(e.id,))
    return offers


def comparison_note(compare: str, switched_off: tuple[str, ...] = ()) -> str:
    """What a teacher should know about a comparison: the events after a war that B keeps.

    Args:
        compare: a name from ``comparisons()``.
        switched_off: ids of the dated events switched off on the page (in A and B alike).

    Returns:
        A plain paragraph, or '' when B leaves out no war or keeps nothing that followed one.
    """
    comparison = comparisons()[compare]
    kept = comparison.kept_followers(switched_off)
    wars = [e for e in comparison.removed() if e.kind == "war"]
    if not kept:
        return _talks_by_rule(wars)
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


def _talks_by_rule(wars: list[EventSwitch]) -> str:
    """For models where hosting talks is Belarus's decision (not a dated event): say so."""
    dated_talks = any(e.kind == "venue" for e in historical_events())
    if "venue" not in DECISIONS or dated_talks or not any("UKR" in w.actors for w in wars):
        return ""
    return (
        f"B leaves out {_listed(wars)}. Talks such as the Minsk Protocol and Minsk II are not dated "
        "events in this model: Belarus decides to host talks by its own rule, only while a war in "
        "Ukraine is on, so B hosts none that the war would have brought."
    )


def _ties(name: str, wars: list[EventSwitch]) -> bool:
    """The comparison ``name`` leaves out exactly these wars (and what followed them)."""
    tied = {e.id for e in comparisons()[name].removed() if e.kind == "war"}
    return tied == {w.id for w in wars}


def _listed(events) -> str:
    named = [e.named for e in events]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def parse_seed(text: object) -> int:
    """The run seed from what was typed: an integer >= 0."""
    value = _integer(text)
    if value is None or value < 0:
        raise ConfigError(f"seed={str(text).strip()!r}; allowed: an integer >= 0")
    return value


def parse_replicates(text: object) -> int:
    """The ensemble size from what was typed: an integer from 1 to MAX_REPLICATES."""
    value = _integer(text)
    if value is None or not 1 <= value <= MAX_REPLICATES:
        raise ConfigError(f"replicates={str(text).strip()!r}; allowed: an integer from 1 to {MAX_REPLICATES}")
    return value


def _integer(text: object) -> int | None:
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    stripped = str(text).strip().replace("_", "")
    if re.fullmatch(r"[+-]?[0-9]+", stripped):  # ASCII digits: "²" is a digit to str.isdigit, not to int
        return int(stripped)
    return None


@dataclass(frozen=True)
class ClassroomSettings:
    """A validated page setting: the challenges, the ensemble, the shocks, the comparison."""

    challenges: Challenges
    replicates: int
    seed: int
    stochastic: bool = True
    disabled_kinds: tuple[str, ...] = ()
    disabled_ids: tuple[str, ...] = ()
    compare: str = NO_COMPARISON
    log_replicate: int = 0
    compare_challenges: Challenges | None = None
    parameter_uncertainty: bool = False
    """Replicates spread over the calibration's plausible parameter sets (``parameter_sets``)."""

    @property
    def b_challenges(self) -> Challenges:
        """The challenges of the second scenario: its own if set, else A's."""
        return self.compare_challenges or self.challenges

    def overrides(
        self, kinds: tuple[str, ...] = (), ids: tuple[str, ...] = (), challenges: Challenges | None = None
    ) -> list[str]:
        """Hydra overrides for this setting, with some more kinds or events switched off.

        ``challenges`` replaces the setting's own (for the second scenario).
        """
        c = challenges or self.challenges
        off_kinds = sorted({*self.disabled_kinds, *kinds})
        off_ids = sorted({*self.disabled_ids, *ids})
        return [
            *scenario_overrides(),
            f"seed={self.seed}",
            f"replicates={self.replicates}",
            f"challenges.trust={c.trust}",
            f"challenges.vested_interests={c.vested_interests}",
            f"challenges.tension={c.tension}",
            f"shocks.stochastic.enabled={str(self.stochastic).lower()}",
            "shocks.disabled_kinds=[" + ",".join(f"'{k}'" for k in off_kinds) + "]",
            "shocks.disabled_ids=[" + ",".join(f"'{i}'" for i in off_ids) + "]",
            *(["parameter_sets=plausible"] if self.parameter_uncertainty else []),
        ]

    def runs(self) -> list[tuple[str, RunSpec]]:
        """The scenarios to show, titled: this setting, and the comparison if one is chosen.

        B has A's seed, A's switches and A's ensemble; it leaves out what the comparison names
        and takes its own challenges when they are set.
        """
        first = ("A: as set", _spec(self.overrides()))
        if self.compare == NO_COMPARISON:
            return [first]
        off = comparisons()[self.compare]
        second = _spec(self.overrides(off.kinds, off.ids, self.b_challenges) + off.drawn_overrides())
        return [first, (self.b_title(), second)]

    def b_title(self) -> str:
        """The second scenario's title: what differs from A (shocks left out, challenges)."""
        parts = [] if self.compare == SAME_SHOCKS else [self.compare]
        a, b = self.challenges, self.b_challenges
        for name in ("trust", "vested_interests", "tension"):
            if getattr(a, name) != getattr(b, name):
                parts.append(f"{name.replace('_', ' ')} {getattr(b, name):.2f}")
        return "B: " + (", ".join(parts) if parts else "the same as A")


@cache
def scenario_overrides() -> tuple[str, ...]:
    """The page's scenario, with the challenges in force from its first month.

    A scenario with a branch month applies the challenges only from that month (so that the
    cells of a sweep share their history); on the page the sliders shape the whole run, as the
    lessons need, so the branch is cleared where the scenario has one.
    """
    scenario = f"scenario={SCENARIO}"
    has_branch = "branch" in compose_config([scenario]).scenario
    return (scenario, "scenario.branch=null") if has_branch else (scenario,)


def _spec(overrides: list[str]) -> RunSpec:
    return build_run(compose_config(overrides))


def settings_from_inputs(
    trust: float,
    vested_interests: float,
    tension: float,
    replicates: object,
    seed: object,
    stochastic: bool = True,
    compare: str = NO_COMPARISON,
    log_replicate: object = 0,
    switches: Mapping[str, bool] | None = None,
    compare_challenges: tuple[float, float, float] | None = None,
    parameter_uncertainty: bool = False,
) -> ClassroomSettings:
    """Check what the page holds and build the setting.

    Args:
        compare_challenges: B's own (trust, vested interests, tension), or None for A's.
        parameter_uncertainty: spread the replicates over the plausible parameter sets.

    Raises:
        ConfigError: one line naming the first bad value and what is allowed.
    """
    count = parse_replicates(replicates)
    challenges = _challenges(trust, vested_interests, tension, "")
    b_challenges = _challenges(*compare_challenges, "b_") if compare_challenges is not None else None
    if compare not in comparisons():
        raise ConfigError(f"compare={compare!r}; allowed: one of the page's comparisons")
    shown = _integer(log_replicate)
    if shown is None or not 0 <= shown < count:
        raise ConfigError(f"log_replicate={str(log_replicate).strip()!r}; allowed: 0 to {count - 1}")
    kinds, ids = _switched_off(switches or {})
    return ClassroomSettings(
        challenges,
        count,
        parse_seed(seed),
        bool(stochastic),
        kinds,
        ids,
        compare,
        shown,
        b_challenges,
        bool(parameter_uncertainty),
    )


def _challenges(trust: object, vested_interests: object, tension: object, prefix: str) -> Challenges:
    """Challenges from the page's sliders; ``prefix`` names B's (``b_trust=...``) in a message."""
    values = {"trust": trust, "vested_interests": vested_interests, "tension": tension}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{prefix}{name}={value!r}; allowed: a number from 0 to 1")
    challenges = Challenges(**{name: float(value) for name, value in values.items()})
    try:
        challenges.validate()
    except ValueError as err:
        message = str(err)
        raise ConfigError(message.replace("challenges.", prefix) if prefix else message) from None
    return challenges


def _switched_off(switches: Mapping[str, bool]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    by_kind = {kind_key(k): k for k in KINDS}
    by_event = {e.key: e.id for e in historical_events()}
    unknown = sorted(set(switches) - set(by_kind) - set(by_event))
    if unknown:
        raise ConfigError(
            f"{unknown[0]}: unknown switch; allowed: kind_<shock kind> or event_<dated event id>"
        )
    kinds = tuple(by_kind[k] for k, on in switches.items() if k in by_kind and not on)
    ids = tuple(by_event[k] for k, on in switches.items() if k in by_event and not on)
    return kinds, ids
