"""A sweep's jobs composed as Hydra composes them, but once per distinct set of group overrides.

Hydra composes every job's config from scratch (``load_sweep_config``); a 125-cell sweep spends
most of a minute there, twice (the sweeper's up-front check, then the launcher). A job's plain
value overrides (``challenges.trust=0.25``) do not change which configs are composed, so here
one composition per distinct set of config-group overrides is kept, and each job's values are
applied to it by Hydra's own override rules, its override list, folder name, id and number set
as Hydra's launchers set them.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from hedgesim.config import shared_parts
from hedgesim.workflows.ensembles import PER_REPLICATE

_SHARED: dict[str, CellComposer] = {}
"""The last sweep's composer (:meth:`CellComposer.of`)."""


@dataclass(frozen=True)
class Job:
    """One job of the sweep: its number, its override lines, and how they split."""

    num: int
    lines: tuple[str, ...]
    structural: tuple[str, ...]
    """Config-group, hydra and +/~ overrides: jobs that share them share a composition."""
    values: tuple[str, ...]
    """Plain value overrides, applied to a copy of the composition."""

    def ensemble_key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Jobs with equal keys differ at most in what the model takes per replicate."""
        shared = tuple(
            sorted(v for v in self.values if v.partition("=")[0].split(".")[0] not in PER_REPLICATE)
        )
        return self.structural, shared


@dataclass
class _Scratch:
    """A group's configs, reused by its jobs in turn: the whole one and the application's part."""

    config: DictConfig
    task: DictConfig
    keys: frozenset[str]


class CellComposer:
    """Composes a sweep's jobs as ``load_sweep_config`` does, but once per distinct set of group
    overrides: a job's plain value overrides are applied by Hydra's own rules to a config kept
    per group, which each job then reuses in turn (a job's own files are written from it).

    Args:
        loader: Hydra's config loader (``hydra_context.config_loader``).
        master: the sweep's config.
    """

    def __init__(self, loader: Any, master: DictConfig):
        self.loader = loader
        self.master = master
        self.parser = OverridesParser.create()
        self._bases: dict[tuple[str, ...], DictConfig] = {}
        self._scratch: dict[tuple[str, ...], _Scratch] = {}
        self._overrides: dict[str, Override] = {}
        self.sweep: str | None = None
        shared_parts.forget()  # the configs an earlier composer registered are not used again

    @classmethod
    def of(cls, loader: Any, master: DictConfig, sweep: str | None = None) -> CellComposer:
        """The composer of this sweep: the last one made for the same loader and config, or for
        the same ``sweep`` (an id the launcher gives each chunk of a sweep), else a new one.

        The sweeper's up-front check and the launcher compose the same jobs, and so do the chunks
        a worker process runs one after the other (each arrives with its own copy of the loader
        and config): sharing spares composing each group again, a third of a second each time.
        """
        held = _SHARED.get("composer")
        same = held is not None and (held.loader is loader and held.master is master)
        if not (same or (held is not None and sweep is not None and held.sweep == sweep)):
            held = _SHARED["composer"] = cls(loader, master)
            held.sweep = sweep
        return held

    def job(self, lines: Sequence[str], num: int) -> Job:
        """A job, its overrides parsed and split."""
        parsed = self._parsed(lines)
        plain = [is_value_override(o, self.loader) for o in parsed]
        return Job(
            num,
            tuple(lines),
            tuple(o.input_line for o, p in zip(parsed, plain, strict=True) if not p),
            tuple(o.input_line for o, p in zip(parsed, plain, strict=True) if p),
        )

    def check(self, batch: Sequence[Sequence[str]]) -> None:
        """Raise Hydra's error for the first job that does not compose.

        A job composes when its group does and each of its value overrides applies to the
        group's config, whatever the job's other values (Hydra checks a value against its own
        key's type). So only the jobs that bring a group or a value line not seen before are
        composed: the first job that does not compose is among them, since no job before it
        held its bad line. A grid of n values on each of k keys composes about n x k jobs, not
        n^k."""
        seen: dict[tuple[str, ...], set[str]] = {}
        for num, lines in enumerate(batch):
            job = self.job(lines, num)
            known = seen.get(job.structural)
            if known is not None and known.issuperset(job.values):
                continue
            self.configure(job)
            seen.setdefault(job.structural, set()).update(job.values)

    def configure(self, job: Job) -> DictConfig:
        """The job's config, as ``load_sweep_config`` composes it with the override list, folder
        name, id and number Hydra's launchers set. It is the group's config, reused: valid until
        the next call for the same group."""
        scratch = self._group(job)
        values = self._parsed(job.values)
        ConfigLoaderImpl._apply_overrides_to_config(values, scratch.config)
        ConfigLoaderImpl._apply_overrides_to_config(values, scratch.task)
        cfg = scratch.config
        task = [o for o in self._parsed(job.lines) if not o.is_hydra_override()]
        dirname = cfg.hydra.job.config.override_dirname
        with read_write(cfg.hydra), open_dict(cfg.hydra):
            cfg.hydra.overrides.task = [o.input_line for o in task]
            cfg.hydra.job.override_dirname = get_overrides_dirname(
                overrides=task,
                kv_sep=dirname.kv_sep,
                item_sep=dirname.item_sep,
                exclude_keys=dirname.exclude_keys,
            )
            cfg.hydra.job.id = f"{cfg.hydra.job.name}_{job.num}"
            cfg.hydra.job.num = job.num
        OmegaConf.copy_cache(from_config=self.master, to_config=cfg)
        return cfg

    def task_config(self, job: Job) -> DictConfig:
        """The application's part of the job's config (what its task function receives), as of
        the last :meth:`configure` of the job's group."""
        return self._scratch[job.structural].task

    def _group(self, job: Job) -> _Scratch:
        """The group's reusable configs: fresh copies when this job sets other keys than the last."""
        keys = frozenset(line.partition("=")[0] for line in job.values)
        held = self._scratch.get(job.structural)
        if held is None or held.keys != keys:
            if job.structural not in self._bases:
                self._bases[job.structural] = self.loader.load_sweep_config(self.master, list(job.structural))
            base = self._bases[job.structural]
            task = copy.deepcopy(base)
            with read_write(task), open_dict(task):
                del task["hydra"]
            held = self._scratch[job.structural] = _Scratch(copy.deepcopy(base), task, keys)
            _share(held)
        return held

    def _parsed(self, lines: Sequence[str]) -> list[Override]:
        """Each line parsed once: a sweep's jobs share most of their lines (Hydra's parser takes
        a tenth of a millisecond a line, and each job is composed up to three times)."""
        missing = [line for line in dict.fromkeys(lines) if line not in self._overrides]
        if missing:
            self._overrides.update(zip(missing, self.parser.parse_overrides(missing), strict=True))
        return [self._overrides[line] for line in lines]


def _share(scratch: _Scratch) -> None:
    """Convert the parts the group's jobs share once for all of them (``shared_parts``): only
    the parts their values set differ, and in the Hydra node what ``configure`` sets per job
    (its overrides and job) and the job sets itself (its runtime output folder)."""
    varying = {key.split(".")[0] for key in scratch.keys}
    shared_parts.share(scratch.task, varying)
    shared_parts.share(scratch.config, {*varying, "hydra"})
    shared_parts.share(scratch.config.hydra, {"overrides", "job", "runtime"})


def is_value_override(override: Override, loader: Any) -> bool:
    """A plain ``key=value`` on the application's config: no group, no hydra key, no +/~."""
    return (
        override.type == OverrideType.CHANGE
        and override.package is None
        and not override.is_hydra_override()
        and not override.is_sweep_override()
        and not loader.repository.group_exists(override.key_or_group)
    )
