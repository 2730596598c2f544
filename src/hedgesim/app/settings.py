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

from hedgesim.app.comparisons import (
    DECISIONS,
    DRAWN_KINDS,
    DRAWN_OFF,
    NO_COMPARISON,
    SAME_SHOCKS,
    SCENARIO,
    EventSwitch,
    comparison_note,
    comparisons,
    event_key,
    events_by_kind,
    historical_events,
    kind_key,
    lent_off_note,
    lent_with_wars_off,
)
from hedgesim.config.compose import compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import RunSpec, build_run
from hedgesim.core.challenges import Challenges
from hedgesim.core.shocks import KINDS

__all__ = [
    "DECISIONS",
    "DRAWN_KINDS",
    "DRAWN_OFF",
    "MAX_REPLICATES",
    "NO_COMPARISON",
    "SAME_SHOCKS",
    "ClassroomSettings",
    "EventSwitch",
    "comparison_note",
    "comparisons",
    "event_key",
    "events_by_kind",
    "historical_events",
    "kind_key",
    "lent_off_note",
    "lent_with_wars_off",
    "parse_replicates",
    "parse_seed",
    "scenario_overrides",
    "settings_from_inputs",
]

MAX_REPLICATES = 500
PLAIN = "digits 0-9 only"
"""How a typed number must be written: Python's int() would read "1__0" or "+5" too."""


def parse_seed(text: object) -> int:
    """The run seed from what was typed: an integer >= 0."""
    value = _integer(text)
    if value is None or value < 0:
        raise ConfigError(f"seed={str(text).strip()!r}; allowed: an integer >= 0, {PLAIN}")
    return value


def parse_replicates(text: object) -> int:
    """The ensemble size from what was typed: an integer from 1 to MAX_REPLICATES."""
    value = _integer(text)
    if value is None or not 1 <= value <= MAX_REPLICATES:
        raise ConfigError(
            f"replicates={str(text).strip()!r}; allowed: an integer from 1 to {MAX_REPLICATES}, {PLAIN}"
        )
    return value


def _integer(text: object) -> int | None:
    """A whole number typed in plain digits, or None; a sign, "_" or any other digit is refused
    ("²" is a digit to str.isdigit, "1__0" read as 10 hid a typo in the seed)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    stripped = str(text).strip()
    return int(stripped) if re.fullmatch(r"[0-9]+", stripped) else None


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
        raise ConfigError(f"log_replicate={str(log_replicate).strip()!r}; allowed: 0 to {count - 1}, {PLAIN}")
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
    """The kinds and dated events switched off; a war switched off takes the territory lent to it
    along (``lent_with_wars_off``), as the comparisons that leave a war out do."""
    by_kind = {kind_key(k): k for k in KINDS}
    by_event = {e.key: e.id for e in historical_events()}
    unknown = sorted(set(switches) - set(by_kind) - set(by_event))
    if unknown:
        raise ConfigError(
            f"{unknown[0]}: unknown switch; allowed: kind_<shock kind> or event_<dated event id>"
        )
    kinds = tuple(by_kind[k] for k, on in switches.items() if k in by_kind and not on)
    ids = tuple(by_event[k] for k, on in switches.items() if k in by_event and not on)
    lent = tuple(e.id for e in lent_with_wars_off(kinds, ids) if e.id not in ids)
    return kinds, ids + lent
