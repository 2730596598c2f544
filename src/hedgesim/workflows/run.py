"""One run: build the model from a validated spec, step it with progress, write its folder.

A folder gets its tables, its resolved config, its figure and, written last, its manifest with
each file's checksum. A run is written whole beside the folder's earlier run and then moved in
(``run_files``), so a folder holds one run and the manifest listing it, or none; it is complete
only while its manifest matches its files, and only then is a sweep cell written from the same
config skipped; a cell whose files were damaged since is recomputed.

The command line prepares its folder before Hydra starts (:class:`RunFolder`): made and probed
with a test file, so a folder it cannot write costs one line, and removed again when the
command fails or is interrupted, if the command made it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from hedgesim.analysis import outcomes as summary
from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import RunSpec, build_run, recorded_yaml
from hedgesim.core import tables
from hedgesim.core.calendar import RunCalendar
from hedgesim.core.record import EnsembleRecord
from hedgesim.workflows import arrow_tables
from hedgesim.workflows.results import (
    EVENTS,
    MANIFEST,
    OUTCOMES,
    TRAJECTORIES,
    clean_temporaries,
    is_complete,
    month_blocks,
    save_figure,
    write_manifest,
    write_outcomes,
    write_parquet_blocks,
    write_text,
)
from hedgesim.workflows.run_files import EarlierRun, move_in, staging, written_before

if TYPE_CHECKING:
    from hedgesim.core.model import HedgingModel


class Ensemble(Protocol):
    """What a run's folder is written from: a model, or one cell's part of a batched one."""

    record: EnsembleRecord
    calendar: RunCalendar
    replicate_ids: np.ndarray

    def trajectories(self, months: slice = ...) -> pd.DataFrame: ...

    def event_log(self, months: slice = ...) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Ready:
    """A cell a batched launcher has simulated already: its run, its part of the ensemble, and
    its share of the simulation's seconds."""

    spec: RunSpec
    ensemble: Ensemble
    seconds: float


READY: dict[Path, Ready] = {}
"""Cells a batched launcher has simulated in this process already, by resolved output folder;
``sweep_cell`` writes such a cell from here instead of building and running it again."""
ERROR = "error.txt"
"""The file a failed sweep cell leaves in its folder, with the error and its traceback."""
CHALLENGES = ("trust", "vested_interests", "tension")
"""The challenges; a sweep cell's trajectories carry each one's level (:func:`challenge_tags`)."""
log = logging.getLogger(__name__)


@dataclass
class SimulationResult:
    """A finished run: its tables, its config and the model it came from."""

    trajectories: pd.DataFrame
    events: pd.DataFrame
    config: DictConfig
    model: HedgingModel


def model_inputs(spec: RunSpec) -> dict[str, Any]:
    """The core model's keyword arguments for a validated spec (one mapping for every builder)."""
    return {
        "calendar": spec.calendar,
        "timeline": spec.timeline,
        "params": spec.params,
        "challenges": spec.challenges,
        "stochastic": spec.stochastic,
        "oil_prices": spec.oil_prices,
        "seed": spec.seed,
        "replicate_ids": spec.replicate_ids,
        "branch": spec.branch,
        "rules_from": spec.rules_from,
        "precision": spec.precision,
    }


def quiet_mesa() -> None:
    """Keep Mesa's own log (a line per step) out of a run's output: every process that simulates
    calls this (a command, a sweep's worker, a sensitivity worker)."""
    logging.getLogger("MESA").setLevel(logging.WARNING)


def build_model(spec: RunSpec) -> HedgingModel:
    """The model of a validated spec, not yet stepped."""
    from hedgesim.core.model import HedgingModel  # here: a sweep's driver never builds one

    return HedgingModel(**model_inputs(spec))


def run_spec(spec: RunSpec) -> HedgingModel:
    """Build the model from a validated spec and run it to the end."""
    return build_model(spec).run()


def run_config(cfg: DictConfig) -> SimulationResult:
    """Run a composed config; both tables come back."""
    model = run_spec(build_run(cfg))
    return SimulationResult(model.trajectories(), model.event_log(), cfg, model)


def already_done(cfg: DictConfig, out: Path) -> bool:
    """A complete folder (its files match its manifest) written from the very same resolved config
    and timeline (a shock file changed since makes the cell run again).

    The folder is the job's own, so temporaries a killed job left in it are removed first. A
    config that no longer builds is not done: the cell runs, fails and says why.
    """
    clean_temporaries(out)
    saved = out / "config.yaml"
    if not (is_complete(out) and saved.is_file()):
        return False
    try:
        expected = recorded_yaml(cfg, build_run(cfg))
    except ConfigError:
        return False
    return saved.read_text(encoding="utf-8") == expected


def run_model(spec: RunSpec, label: str = "run", every: float = 0.25) -> HedgingModel:
    """Build and step the model, logging its progress every ``every`` of the run."""
    model = build_model(spec)
    steps = spec.calendar.n_steps
    marks = {max(1, round(steps * k * every)) for k in range(1, round(1 / every) + 1)}
    while not model.finished:
        model.step()
        done = model.steps
        if done in marks:
            log.info("%s: %3d%% (%s)", label, round(100 * done / steps), model.month)
    return model


def challenge_column(name: str) -> str:
    """The column that tags a sweep's rows with a challenge's level (the trajectories hold the
    model's own ``tension`` already)."""
    return f"challenge_{name}"


def challenge_tags(cfg: DictConfig) -> dict[str, Any]:
    """A sweep cell's challenge levels, as the columns its trajectories carry.

    They are the columns the sweep's dataset tags each cell's rows with, so a cell's table is its
    partition of the dataset as it stands: the aggregation copies it instead of rewriting it.
    """
    return {challenge_column(name): cfg.challenges[name] for name in CHALLENGES}


def run_into(
    cfg: DictConfig, spec: RunSpec, out: Path, label: str = "run", tags: dict[str, Any] | None = None
) -> list[str]:
    """Run and write the folder: tables, config, figure, then the manifest (:func:`write_run`).

    An earlier run's manifest stays while this run simulates: stopped before it is written, the
    run leaves the earlier one as it was. A manifest that lists no run file describes no run,
    and goes first; so do temporaries a killed run left.
    """
    started = time.perf_counter()
    if not written_before(out):
        (out / MANIFEST).unlink(missing_ok=True)
    clean_temporaries(out)
    model = run_model(spec, label)
    return write_run(cfg, spec, model, out, started, time.perf_counter() - started, tags)


def write_run(
    cfg: DictConfig,
    spec: RunSpec,
    ensemble: Ensemble,
    out: Path,
    started: float,
    simulated: float,
    tags: dict[str, Any] | None = None,
) -> list[str]:
    """Write a simulated run's folder: tables, config, figure and manifest, written whole in a
    staging folder first and then moved in, replacing an earlier run's (``run_files.move_in``).

    config.yaml is the config with the timeline the run used (``recorded_yaml``); the manifest
    says where that timeline came from (``timeline``: mode, files and their sha256, the month
    the stochastic shocks started).

    Args:
        ensemble: the run's model, or its replicates' part of a batched ensemble.
        started: ``time.perf_counter()`` when the run started (for the manifest's wall time).
        simulated: seconds the simulation took.
        tags: columns added to the trajectories, one value each (a sweep cell's challenge levels);
            a run with tags is a sweep cell and also writes its outcomes (``outcomes.json``).
    """
    earlier = written_before(out)
    clean_temporaries(out)
    with staging(out) as stage:
        files = write_files(cfg, spec, ensemble, stage, tags)
        write_manifest(
            stage,
            seed=spec.seed,
            replicates=len(spec.replicate_ids),
            first_replicate=spec.replicate_ids[0],
            scenario=cfg.scenario.name,
            start=str(spec.calendar.start),
            end=str(spec.calendar.end),
            rows=len(spec.replicate_ids) * spec.calendar.n_steps,
            timeline=spec.timeline_facts(),
            files=files,
            wall_time_s=round(time.perf_counter() - started, 3),
            simulate_s=round(simulated, 3),
            **({"parameter_sets": spec.sets_used} if spec.sets_used else {}),
        )
        move_in(stage, out, files, earlier)
    print(f"hedgesim: wrote {out}", file=sys.stderr)
    return files


def write_files(
    cfg: DictConfig, spec: RunSpec, ensemble: Ensemble, out: Path, tags: dict[str, Any] | None
) -> list[str]:
    """Write a run's files into ``out`` (all but the manifest); returns their names."""
    files = [TRAJECTORIES]
    blocks = month_blocks(len(spec.replicate_ids), spec.calendar.n_steps)
    table = lambda months: arrow_tables.trajectories(
        ensemble.record, ensemble.calendar, ensemble.replicate_ids, months, tags
    )
    write_parquet_blocks(table, blocks, out / TRAJECTORIES)
    if cfg.output.events:
        write_parquet_blocks(ensemble.event_log, blocks, out / EVENTS)
        files.append(EVENTS)
    if tags:  # a sweep cell: its summary row, while its ensemble is in memory
        read = tables.trajectories(
            ensemble.record, ensemble.calendar, ensemble.replicate_ids, columns=summary.COLUMNS
        )
        write_outcomes(summary.cell_outcomes(read), out / OUTCOMES)
        files.append(OUTCOMES)
    write_text(recorded_yaml(cfg, spec), out / "config.yaml")
    files.append("config.yaml")
    if cfg.output.figure:
        from hedgesim.plots import relations  # matplotlib only when a figure is drawn, not on import

        drawn = ensemble.trajectories()[["date", "replicate", *relations.RELATIONS]]  # sorted: few columns
        figure = relations.relations_figure(drawn, pd.DataFrame(spec.timeline.records()))
        save_figure(figure, out / "relations.png")
        files.append("relations.png")
    return files


def sweep_cell(cfg: DictConfig, out: Path, label: str) -> str:
    """One cell of a sweep, whichever launcher runs it: skipped when its folder is complete for
    the same config (that is how an interrupted sweep resumes); a cell that fails records its
    error in ``error.txt`` instead of stopping the others (the aggregation lists it). A cell a
    batched launcher simulated already (``READY``) is written from its ensemble. Its
    trajectories carry its challenge levels (:func:`challenge_tags`).

    Returns:
        ``complete``, ``skipped`` or ``failed``.
    """
    if already_done(cfg, out):
        log.info("cell %s: complete already, skipped", out.name)
        return "skipped"
    (out / ERROR).unlink(missing_ok=True)
    try:
        ready = READY.pop(out.resolve(), None)
        if ready is None:
            run_into(cfg, build_run(cfg), out, label, challenge_tags(cfg))
        else:  # its wall time: its share of the simulation, then writing
            log.info("%s: simulated beside other cells in %.2f s (its share), writing", label, ready.seconds)
            started = time.perf_counter() - ready.seconds
            write_run(cfg, ready.spec, ready.ensemble, out, started, ready.seconds, challenge_tags(cfg))
    except Exception as err:
        write_text(f"{type(err).__name__}: {err}\n\n{traceback.format_exc()}", out / ERROR)
        log.error("cell %s failed: %s: %s", out.name, type(err).__name__, err)
        return "failed"
    return "complete"


@dataclass
class RunFolder:
    """The folder a command will write, made and probed before Hydra starts.

    ``made`` lists the folders the command made, innermost first, so a failed or interrupted
    command removes the run folder if it made it, then each parent it made that is empty again,
    and nothing else. ``earlier`` is the run a folder it did not make held: a run stopped before
    it is whole leaves that run as its manifest lists it, Hydra's record of it included.
    """

    path: Path
    made: tuple[Path, ...] = ()
    sweep: bool = False
    earlier: EarlierRun = field(default_factory=EarlierRun)

    @classmethod
    def prepare(cls, path: Path, sweep: bool = False) -> RunFolder:
        """Make ``path`` (and its missing parents) and write a test file in it.

        Raises:
            OSError: the folder cannot be made or written (nothing made is left behind).
        """
        path = Path(path)
        made = tuple(p for p in (path, *path.parents) if not p.exists() and not p.is_symlink())
        folder = cls(path, made, sweep, EarlierRun() if sweep else EarlierRun.read(path))
        try:
            if path.exists() and not path.is_dir():
                raise NotADirectoryError(20, "a file is in the way", str(path))
            path.mkdir(parents=True, exist_ok=True)
            handle, probe = tempfile.mkstemp(prefix=".hedgesim-probe-", dir=path)
            os.close(handle)
            os.unlink(probe)
        except BaseException:
            folder.discard()
            raise
        return folder

    def discard(self) -> str:
        """Remove what the command made, unless a sweep has complete cells in it.

        Returns:
            What is left, in words, for the one line the command prints.
        """
        if self.path in self.made and not (self.sweep and any(self.path.rglob(MANIFEST))):
            with contextlib.suppress(OSError):
                shutil.rmtree(self.path)
            for parent in self.made[1:]:
                try:
                    parent.rmdir()  # only if empty: another command may be writing beside
                except OSError:
                    break
            return "nothing was kept"
        if self.sweep:
            return f"complete cells are kept in {self.path}; add hydra.sweep.dir={self.path} to resume"
        if self.earlier.put_back(self.path):
            return f"{self.path} keeps the earlier run its {MANIFEST} lists, as it was"
        if (self.path / MANIFEST).is_file():
            return f"{self.path} holds the run its {MANIFEST} lists"
        return f"{self.path} is left without {MANIFEST}, so it does not count as a complete run"


def describe_write_error(err: OSError, path: Path | str, key: str = "hydra.run.dir") -> str:
    """One line for a folder that cannot be written: where, why, and what is allowed."""
    where = err.filename if isinstance(err.filename, str) and err.filename else str(path)
    reason = err.strerror or type(err).__name__
    return f"cannot write {where} ({reason}); allowed: {key}=<a folder you can write>"
