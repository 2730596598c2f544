"""The Python API: compose a config with Hydra overrides, run the model, get tidy tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config import ConfigError, HedgesimConfig, RunSpec, build_run, register_configs
from hedgesim.model import HedgingModel

CONFIG_MODULE = "hedgesim.conf"


@dataclass
class SimulationResult:
    """A finished run: its tables, its config and the model it came from."""

    trajectories: pd.DataFrame
    events: pd.DataFrame
    config: DictConfig
    model: HedgingModel


def compose_config(overrides: Sequence[str] = (), config_name: str = "config") -> DictConfig:
    """Compose conf/ with Hydra overrides, outside any Hydra app.

    Raises:
        ConfigError: when an override names an unknown key or a value of the wrong type.
    """
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
            return compose(config_name=config_name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(describe_config_error(err)) from None
    finally:
        GlobalHydra.instance().clear()


def describe_config_error(err: BaseException) -> str:
    """One line from Hydra's or OmegaConf's multi-line message."""
    cause = err.__cause__ if err.__cause__ is not None else err
    text = str(cause).strip() or str(err).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    key = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("full_key:")), None)
    head = lines[0] if lines else type(err).__name__
    if "not in struct" in text or ("Key '" in head and "not in" in head):
        return f"{key or head}: unknown key; allowed: {', '.join(allowed_keys(key or ''))}"
    offered = [i for i, ln in enumerate(lines) if ln.startswith("Available options")]
    if offered:
        after = lines[offered[0] + 1 :]
        options = after[: next((i for i, ln in enumerate(after) if ln.endswith(":")), len(after))]
        return f"{head}; allowed: {', '.join(options)}"
    if key and key not in head:
        return f"{key}: {head}"
    return head


def allowed_keys(full_key: str) -> list[str]:
    """The keys the schema allows beside ``full_key`` (the keys of its parent node)."""
    node = OmegaConf.structured(HedgesimConfig)
    for part in full_key.split(".")[:-1]:
        if not isinstance(node, DictConfig) or part not in node:
            break
        node = node[part]
    return sorted(str(k) for k in node) if isinstance(node, DictConfig) else []


def build_model(spec: RunSpec) -> HedgingModel:
    """The model of a validated spec, not yet stepped."""
    return HedgingModel(
        calendar=spec.calendar,
        timeline=spec.timeline,
        params=spec.params,
        challenges=spec.challenges,
        stochastic=spec.stochastic,
        oil_prices=spec.oil_prices,
        seed=spec.seed,
        replicate_ids=spec.replicate_ids,
    )


def run_spec(spec: RunSpec) -> HedgingModel:
    """Build the model from a validated spec and run it to the end."""
    return build_model(spec).run()


def run_config(cfg: DictConfig) -> SimulationResult:
    """Run a composed config; both tables come back."""
    model = run_spec(build_run(cfg))
    return SimulationResult(model.trajectories(), model.event_log(), cfg, model)


def simulate(
    overrides: Sequence[str] = (), replicates: int | None = None, seed: int | None = None
) -> pd.DataFrame:
    """Run hedgesim and return one row per replicate and month.

    Args:
        overrides: Hydra overrides, e.g. ``["challenges.trust=0.3", "scenario=forward_2030"]``.
        replicates: ensemble size (overrides the config's ``replicates``).
        seed: run seed (overrides the config's ``seed``).

    Example:
        >>> df = simulate(["challenges.tension=0.6"], replicates=50, seed=7)
    """
    return simulate_run(overrides, replicates, seed).trajectories


def simulate_run(
    overrides: Sequence[str] = (), replicates: int | None = None, seed: int | None = None
) -> SimulationResult:
    """Like :func:`simulate`, with the event log, the config and the model as well."""
    extra = []
    if replicates is not None:
        extra.append(f"replicates={replicates}")
    if seed is not None:
        extra.append(f"seed={seed}")
    cfg = compose_config([*overrides, *extra])
    return run_config(cfg)


def resolved_yaml(cfg: DictConfig) -> str:
    """The config as YAML, all interpolations resolved."""
    return OmegaConf.to_yaml(cfg, resolve=True)
