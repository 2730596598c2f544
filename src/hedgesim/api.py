"""The Python API: runs as tidy tables, and entry points for the wider ABM ecosystem.

``simulate`` composes the Hydra config for every call, so it accepts any override. The
ecosystem entry points are called thousands of times with a few numbers changed, so they
compose each scenario once per process (:func:`base_spec`) and then only replace values in
that validated spec (:func:`vary`), checking each value as the config would:

- :func:`outcomes` is a plain function of keyword numbers returning a dict of scalars, which is
  what the EMA Workbench's ``Model(name, function=...)`` calls;
- :class:`HedgingModel` is the domain model with every input defaulted, constructed from scalar
  keywords and Mesa's ``rng``, which is what ``mesa.batch_run`` constructs.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from typing import Any

import numpy as np
import pandas as pd

from hedgesim.analysis.outcomes import cell_outcomes
from hedgesim.config.compose import compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.overrides import as_override_list, check_single_run, parse_overrides
from hedgesim.config.parameter_sets import read_sets, set_parameters, sets_file
from hedgesim.config.spec import (
    RunSpec,
    build_run,
    check_branch_in_run,
    check_replicates,
    check_size,
)
from hedgesim.core import model as core
from hedgesim.core.knobs import other_length
from hedgesim.core.parameters import ModelParameters, ParameterError
from hedgesim.workflows.run import SimulationResult, model_inputs, run_config, run_spec

FORWARD = "forward_2030"
"""The scenario :func:`outcomes` runs: the sweep's outcomes are read in 2030."""
BASELINE = "baseline"
"""The scenario :class:`HedgingModel` runs by default: the calibrated history, 2008-2019."""
PARAMETERS = tuple(f.name for f in fields(ModelParameters))


def simulate(
    overrides: str | Sequence[str] | None = (), replicates: int | None = None, seed: int | None = None
) -> pd.DataFrame:
    """Run hedgesim and return one row per replicate and month.

    Args:
        overrides: Hydra overrides, e.g. ``["challenges.trust=0.3", "scenario=forward_2030"]``,
            or one of them as a string (``"challenges.trust=0.3"``); of Hydra's own settings
            only ``hydra.searchpath``, as no Hydra job runs and no folder is written.
        replicates: ensemble size (overrides the config's ``replicates``).
        seed: run seed (overrides the config's ``seed``).

    Raises:
        ConfigError: any bad override or value (the command line's checks), in one line.

    Example:
        >>> df = simulate(["challenges.tension=0.6"], replicates=50, seed=7)
    """
    return simulate_run(overrides, replicates, seed).trajectories


NO_FIGURE = "output.figure=false"
"""A Python run draws no figure: its memory estimate leaves the figure's out, and its config says so."""


def simulate_run(
    overrides: str | Sequence[str] | None = (), replicates: int | None = None, seed: int | None = None
) -> SimulationResult:
    """Like :func:`simulate`, with the event log, the config and the model as well."""
    given = check_single_run(as_override_list(overrides))
    extra = [] if any(o.lstrip("+~").startswith("output.figure=") for o in given) else [NO_FIGURE]
    if replicates is not None:
        extra.append(f"replicates={_as_text('replicates', replicates, 1)}")
    if seed is not None:
        extra.append(f"seed={_as_text('seed', seed, 0)}")
    cfg = compose_config([*given, *extra])  # a misspelt key or option says so first
    _refuse_hydra_settings(given)
    _check_set_overrides(cfg.get("parameter_sets"), given)
    return run_config(cfg)


def _refuse_hydra_settings(given: Sequence[str]) -> None:
    """Refuse Hydra's settings but its search path: a Python run starts no Hydra job and writes
    no folder, so a launcher, a run folder or a job name would be ignored without a word."""
    for override in parse_overrides(given):
        key = override.get_key_element().lstrip("+~")
        if key.startswith(("hydra.", "hydra/")) and key != "hydra.searchpath":
            raise ConfigError(
                f"{override.input_line}: the Python API runs no Hydra job and writes no folder, so "
                "Hydra's settings would be ignored; allowed: overrides of the run, "
                "hydra.searchpath (where config options are found), or the hedgesim command"
            )


def _check_set_overrides(choice: str | None, given: Sequence[str]) -> None:
    """Refuse ``params.X=v`` for a parameter the chosen sets give each replicate, as the command
    line does: the sets' values would replace it without a word."""
    if choice in (None, ""):
        return
    listed = set(set_parameters(read_sets(sets_file(choice))))
    for override in parse_overrides(given):
        key = override.get_key_element().lstrip("+~")
        if key.startswith("params.") and key.removeprefix("params.") in listed:
            raise ConfigError(
                f"{override.input_line}: parameter_sets={choice} gives {key} a value per set; allowed: "
                "overrides of parameters the sets do not list, or parameter_sets=null"
            )


# --- the ecosystem entry points -----------------------------------------------------------


@functools.cache
def base_spec(scenario: str = FORWARD) -> RunSpec:
    """The validated run of a scenario's shipped config, composed once per process.

    Hydra composition costs about as much as a small run; callers vary the cached spec with
    :func:`vary`, which copies what it changes, so the cached spec is never altered.
    """
    if not isinstance(scenario, str):
        raise ConfigError(f"scenario={scenario!r}; allowed: a scenario's name, e.g. {FORWARD!r}")
    return build_run(compose_config([f"scenario={scenario}"]))


def vary(
    base: RunSpec,
    challenges: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    replicates: Any = None,
    seed: Any = None,
) -> RunSpec:
    """``base`` with some values replaced; a value left out (or None) keeps the config's.

    Args:
        base: a validated spec, e.g. :func:`base_spec`.
        challenges: new values of ``Challenges`` fields, by name.
        params: new values of ``ModelParameters`` fields, by name.
        replicates: ensemble size (replicates are numbered from the base's first one).
        seed: the run seed.

    Raises:
        ConfigError: one line naming the key, the value and what is allowed.
    """
    if not isinstance(base, RunSpec):
        raise ConfigError(f"base={base!r}; allowed: a RunSpec, e.g. hedgesim.api.base_spec()")
    first = base.replicate_ids[0]
    count = len(base.replicate_ids) if replicates is None else _integer("replicates", replicates, 1)
    check_size(count, base.calendar.n_steps, precision=base.precision, figure=False)  # Python draws none
    check_replicates(count, first)
    knobs = {
        "challenges": _replaced(base.challenges, "challenges", challenges or {}),
        "params": _replaced(base.params, "params", params or {}),
    }
    _check_per_replicate(knobs, count)
    check_branch_in_run(base.branch, base.calendar, knobs["challenges"])
    return replace(
        base,
        **knobs,
        seed=base.seed if seed is None else _integer("seed", seed, 0),
        replicate_ids=tuple(range(first, first + count)),
        oil_prices=dict(base.oil_prices),
    )


def _check_per_replicate(knobs: Mapping[str, Any], count: int) -> None:
    """Refuse another ensemble size for values given per replicate (plausible parameter sets):
    each belongs to one of the base's replicates, and the model would refuse them only when built."""
    for prefix, part in knobs.items():
        found = other_length(part, count)
        if found is not None:
            name, size = found
            raise ConfigError(
                f"replicates={count}: the base gives {prefix}.{name} one value for each of its {size} "
                f"replicates; allowed: replicates={size}, or a base built with {count} replicates"
            )


def _replaced(knobs: Any, prefix: str, values: Mapping[str, Any]) -> Any:
    """A validated copy of a parameter dataclass with ``values`` set (None keeps a value)."""
    limits = {f.name: f.metadata for f in fields(knobs)}
    if not isinstance(values, Mapping):
        raise ConfigError(
            f"{prefix}={values!r}; allowed: a mapping of names ({', '.join(limits)}) to numbers"
        )
    given = {name: value for name, value in values.items() if value is not None}
    for name, value in given.items():
        if name not in limits:
            raise ConfigError(f"{prefix}.{name}={value!r}: unknown key; allowed: {', '.join(limits)}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            low, high = limits[name]["min"], limits[name]["max"]
            raise ConfigError(f"{prefix}.{name}={value!r}; allowed: a number in [{low}, {high}]")
    copy = replace(knobs, **{name: float(value) for name, value in given.items()})
    try:
        copy.validate()
    except ParameterError as err:
        raise ConfigError(str(err)) from None
    return copy


def _as_text(key: str, value: Any, low: int) -> str:
    """An integer keyword as override text; a string is left for the config to check."""
    return value if isinstance(value, str) else str(_integer(key, value, low))


def _integer(key: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ConfigError(f"{key}={value!r}; allowed: an integer >= {low}")
    return int(value)


def _known(names: Mapping[str, Any], keywords: str) -> dict[str, Any]:
    """Keyword arguments that must all be ModelParameters fields; the error lists the keywords too."""
    for name, value in names.items():
        if name not in PARAMETERS:
            raise ConfigError(
                f"{name}={value!r}: unknown parameter; allowed: {keywords} or a ModelParameters "
                f"field ({', '.join(PARAMETERS)})"
            )
    return dict(names)


def outcomes(
    trust: float | None = None,
    vested_interests: float | None = None,
    tension: float | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    **params: float,
) -> dict[str, float]:
    """The sweep summary's outcomes of one setting, run from 2008 to 2030 (``forward_2030``).

    The same numbers as the cell of ``hedgesim -m`` with the same values, replicates and seed,
    so an EMA Workbench model is ``Model("hedgesim", function=hedgesim.outcomes)`` with its
    uncertainties named as these keywords. Left out (or None), a value is the config's.

    Args:
        trust, vested_interests, tension: the three challenges, each in [0, 1].
        replicates: ensemble size (config: 200, as in the sweep).
        seed: run seed, an integer >= 0.
        **params: ``ModelParameters`` fields by name, e.g. ``spoiler_rate=0.1``.

    Returns:
        Outcome name -> value, as :func:`hedgesim.analysis.outcomes.cell_outcomes` defines them
        (``p_visa_by_2025``, ``p_collapse``, ``median_hedge_eu_2030``... and ``replicates``).

    Raises:
        ConfigError: a value out of range or an unknown parameter name, in one line.
    """
    given = {"trust": trust, "vested_interests": vested_interests, "tension": tension}
    chosen = _known(params, "trust, vested_interests, tension, replicates, seed")
    spec = vary(base_spec(FORWARD), given, chosen, replicates, seed)
    return cell_outcomes(run_spec(spec).trajectories())


def seed_from_rng(rng: Any) -> int:
    """The integer run seed of Mesa's ``rng`` argument, derived as ``mesa.Model`` derives ``_seed``.

    An integer is the seed itself; anything else (None, a SeedSequence, a Generator) seeds a
    numpy Generator that draws it, so ``rng=None`` gives a fresh seed kept in ``model._seed``.
    """
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return _integer("rng", rng, 0)
    try:
        return int(np.random.default_rng(rng).integers(np.iinfo(np.int32).max))
    except (TypeError, ValueError):
        raise ConfigError(
            f"rng={rng!r}; allowed: an integer >= 0, a SeedSequence, a numpy Generator or None"
        ) from None


class HedgingModel(core.HedgingModel):
    """The hedging model with everything defaulted, for ``mesa.batch_run`` and notebooks.

    Defaults are the shipped baseline: its calendar (2008-01 to 2019-12), its historical
    timeline, oil prices and calibrated parameters, one replicate. The core model takes those
    objects; this one takes scalars, so a batch run can sweep any of them by name::

        mesa.batch_run(hedgesim.HedgingModel, {"trust": [0.1, 0.9]}, rng=[1, 2], max_steps=60)

    Args:
        trust, vested_interests, tension: the three challenges, each in [0, 1].
        replicates: ensemble size (each Mesa step advances every replicate one month).
        rng: Mesa's seed argument; an integer gives the same numbers every time, None a fresh
            seed (read it back from ``model._seed``).
        **params: ``ModelParameters`` fields by name.

    Raises:
        ConfigError: a value out of range or an unknown parameter name, in one line.
    """

    def __init__(
        self,
        trust: float | None = None,
        vested_interests: float | None = None,
        tension: float | None = None,
        replicates: int = 1,
        rng: Any = None,
        **params: float,
    ):
        given = {"trust": trust, "vested_interests": vested_interests, "tension": tension}
        chosen = _known(params, "trust, vested_interests, tension, replicates, rng")
        spec = vary(base_spec(BASELINE), given, chosen, replicates, seed_from_rng(rng))
        super().__init__(**model_inputs(spec))
