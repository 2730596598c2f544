"""Hydra's own part of a command line (launcher, callbacks), composed with the task's config and
checked before any job starts: a launcher or callback that would fail only once the sweep is
under way (a traceback per job, or after the summary was removed) is refused in one line."""

from __future__ import annotations

from collections.abc import Sequence

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config.batching import BatchSettings
from hedgesim.config.compose import CONFIG_MODULE, describe_config_error
from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import register_configs

JOBLIB = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
"""The joblib launcher's class, as ``hydra.launcher._target_`` names it."""


def compose_with_hydra(overrides: Sequence[str]) -> DictConfig:
    """conf/ composed with ``overrides``, Hydra's part included.

    Raises:
        ConfigError: an override that does not compose, in one line.
    """
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
            return compose(config_name="config", overrides=list(overrides), return_hydra_config=True)
    except (HydraException, OmegaConfBaseException, ValueError) as err:
        raise ConfigError(describe_config_error(err)) from None
    finally:
        GlobalHydra.instance().clear()


def check_hydra_part(cfg: DictConfig) -> None:
    """The launcher's and the aggregation's settings of a config composed with Hydra's part.

    Raises:
        ConfigError: the first setting that would fail once the sweep runs.
    """
    launcher = OmegaConf.select(cfg, "hydra.launcher", default=None)
    BatchSettings.of(launcher)
    if launcher is not None and launcher.get("_target_") == JOBLIB:
        n_jobs = launcher.get("n_jobs")
        if not _a_count(n_jobs):
            raise ConfigError(f"hydra.launcher.n_jobs={n_jobs}; allowed: -1 (one per core) or a count >= 1")
    _check_aggregation(cfg)


def _a_count(n: object) -> bool:
    """A count of workers: an integer >= 1, or -1 for one per core."""
    return isinstance(n, int) and not isinstance(n, bool) and (n >= 1 or n == -1)


def _check_aggregation(cfg: DictConfig) -> None:
    """Refuse, before any job, settings the aggregation at the sweep's end would fail on (after
    it had removed the previous summary)."""
    n_jobs = OmegaConf.select(cfg, "hydra.callbacks.aggregate.n_jobs", default=-1)
    if not _a_count(n_jobs):
        raise ConfigError(
            f"hydra.callbacks.aggregate.n_jobs={n_jobs}; allowed: a count >= 1, or -1 (one per core)"
        )
    figures = OmegaConf.select(cfg, "hydra.callbacks.aggregate.figures", default=True)
    if not isinstance(figures, bool):
        raise ConfigError(f"hydra.callbacks.aggregate.figures={figures!r}; allowed: true or false")
