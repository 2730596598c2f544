"""What a teacher sets on the page, checked and turned into one or two validated runs.

Every value goes through the same Hydra composition and validation as the command line, so the
page accepts exactly what ``hedgesim`` accepts; text typed into the page (seed, replicate count)
is parsed here first, and any mistake becomes a one-line ConfigError that the page shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from hedgesim.config.compose import compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import RunSpec, build_run
from hedgesim.config.timeline_files import load_timeline
from hedgesim.core.parameters import Challenges
from hedgesim.core.shocks import KINDS

SCENARIO = "forward_2030"
MAX_REPLICATES = 500
NO_COMPARISON = "no second scenario"


@dataclass(frozen=True)
class EventSwitch:
    """A switch on the page for one dated historical event."""

    id: str
    key: str
    label: str
    date: str
    kind: str


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
        switches.append(
            EventSwitch(row["id"], event_key(row["id"]), row["label"] or row["id"], date, row["kind"])
        )
    return tuple(switches)


@cache
def comparisons() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Second scenarios the page offers: name -> (kinds, event ids) switched off in it.

    Built from the timeline itself: each year's wars, each kind of shock, each dated event.
    """
    events = historical_events()
    offers: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {NO_COMPARISON: ((), ())}
    war_years = sorted({e.date[:4] for e in events if e.kind == "war"})
    for year in war_years:
        ids = tuple(e.id for e in events if e.kind == "war" and e.date.startswith(year))
        offers[f"without the {year} war"] = ((), ids)
    for kind in KINDS:
        offers[f"without any {kind.replace('_', ' ')} shocks"] = ((kind,), ())
    for e in events:
        offers[f"without {e.date} {e.label}"] = ((), (e.id,))
    return offers


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
    if stripped.lstrip("+-").isdigit():
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

    def overrides(self, kinds: tuple[str, ...] = (), ids: tuple[str, ...] = ()) -> list[str]:
        """Hydra overrides for this setting, with some more kinds or events switched off."""
        c = self.challenges
        off_kinds = sorted({*self.disabled_kinds, *kinds})
        off_ids = sorted({*self.disabled_ids, *ids})
        return [
            f"scenario={SCENARIO}",
            f"seed={self.seed}",
            f"replicates={self.replicates}",
            f"challenges.trust={c.trust}",
            f"challenges.vested_interests={c.vested_interests}",
            f"challenges.tension={c.tension}",
            f"shocks.stochastic.enabled={str(self.stochastic).lower()}",
            "shocks.disabled_kinds=[" + ",".join(f"'{k}'" for k in off_kinds) + "]",
            "shocks.disabled_ids=[" + ",".join(f"'{i}'" for i in off_ids) + "]",
        ]

    def runs(self) -> list[tuple[str, RunSpec]]:
        """The scenarios to show, titled: this setting, and the comparison if one is chosen."""
        first = ("A: as set", _spec(self.overrides()))
        if self.compare == NO_COMPARISON:
            return [first]
        kinds, ids = comparisons()[self.compare]
        return [first, (f"B: {self.compare}", _spec(self.overrides(kinds, ids)))]


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
) -> ClassroomSettings:
    """Check what the page holds and build the setting.

    Raises:
        ConfigError: one line naming the first bad value and what is allowed.
    """
    count = parse_replicates(replicates)
    challenges = Challenges(
        trust=float(trust), vested_interests=float(vested_interests), tension=float(tension)
    )
    try:
        challenges.validate()
    except ValueError as err:
        raise ConfigError(str(err)) from None
    if compare not in comparisons():
        raise ConfigError(f"compare={compare!r}; allowed: one of the page's comparisons")
    shown = _integer(log_replicate)
    if shown is None or not 0 <= shown < count:
        raise ConfigError(f"log_replicate={str(log_replicate).strip()!r}; allowed: 0 to {count - 1}")
    kinds, ids = _switched_off(switches or {})
    return ClassroomSettings(
        challenges, count, parse_seed(seed), bool(stochastic), kinds, ids, compare, shown
    )


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
