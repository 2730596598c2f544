"""A multirun as one table: the Hydra callback that aggregates a sweep, and ``hedgesim-aggregate``.

Each cell of a sweep is one Hydra job that writes its own folder (see hedgesim.cli). When the
multirun ends, :class:`AggregateSweep` gathers every cell into

- ``dataset/cell=<k>/part-0.parquet``: one partitioned Parquet dataset of all trajectories,
  each row tagged with its cell and the cell's challenge values (``challenge_trust``,
  ``challenge_vested_interests``, ``challenge_tension``) and any other swept key;
- ``summary.parquet`` and ``summary.csv``: one row per planned cell, its status
  (complete, failed, missing) and its outcomes (hedgesim.analysis.outcomes);
- ``figures/``: heatmaps of the outcome probabilities and trajectory fans;
- ``aggregate.json``: what was aggregated, written last.

The plan of cells comes from ``multirun.yaml``, which Hydra writes before any job starts, so a
cell that never ran is listed as missing rather than silently dropped. Cells are matched to
folders by their overrides (``.hydra/overrides.yaml``), not by job number, so the summary is
the same whichever launcher ran the cells and in what order.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from hedgesim.analysis import outcomes as summary
from hedgesim.workflows.results import (
    MANIFEST,
    TRAJECTORIES,
    atomic_write,
    is_complete,
    write_parquet,
    write_text,
)
from hedgesim.workflows.run import ERROR

log = logging.getLogger(__name__)

MULTIRUN = "multirun.yaml"
DATASET = "dataset"
FIGURES = "figures"
CHALLENGES = ("trust", "vested_interests", "tension")
COMPLETE, FAILED, MISSING = "complete", "failed", "missing"
EXIT_INCOMPLETE = 1


class SweepError(ValueError):
    """A folder that cannot be aggregated: one line for the user."""


# --- the plan ----------------------------------------------------------------------------


def planned_cells(multirun_cfg: DictConfig) -> list[tuple[str, ...]] | None:
    """The cells a basic-sweeper multirun launches, each as its sorted override lines.

    Returns:
        None when the sweep was not run by Hydra's basic sweeper (another sweeper decides its
        cells as it goes, so only the folders it wrote can be aggregated).
    """
    hydra_cfg = multirun_cfg.get("hydra", {})
    target = str(OmegaConf.select(hydra_cfg, "sweeper._target_", default=""))
    if not target.endswith("BasicSweeper"):
        return None
    params = OmegaConf.select(hydra_cfg, "sweeper.params", default=None) or {}
    lines = [f"{key}={value}" for key, value in params.items()]
    lines += list(OmegaConf.select(hydra_cfg, "overrides.task", default=[]) or [])
    try:
        parsed = OverridesParser.create().parse_overrides(lines)
        batches = BasicSweeper.split_arguments(parsed, None)
    except HydraException as err:
        raise SweepError(f"{MULTIRUN}: cannot expand the sweep: {str(err).splitlines()[0]}") from None
    return [_cell_key(cell) for cell in batches[0]]


def _cell_key(overrides: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(str(o) for o in overrides))


def _load_plan(folder: Path) -> list[tuple[str, ...]] | None:
    path = folder / MULTIRUN
    if not path.is_file():
        return None
    return planned_cells(OmegaConf.load(path))


# --- the cells on disk -------------------------------------------------------------------


def cell_folders(folder: Path) -> dict[tuple[str, ...], Path]:
    """Folders under a multirun folder that Hydra started a job in, keyed by their overrides."""
    found = {}
    for overrides in sorted(folder.rglob(".hydra/overrides.yaml")):
        cell = overrides.parent.parent
        if DATASET in cell.relative_to(folder).parts:
            continue
        found[_cell_key(_read_yaml(overrides) or [])] = cell
    return found


def cell_status(cell: Path | None) -> str:
    """complete (manifest and files present), failed (error.txt) or missing."""
    if cell is None:
        return MISSING
    if is_complete(cell):
        return COMPLETE
    return FAILED if (cell / ERROR).is_file() else MISSING


def swept_keys(cells: Sequence[tuple[str, ...]]) -> list[str]:
    """Keys whose value differs between cells (``+experiment`` and the like left out)."""
    values: dict[str, set[str]] = {}
    for cell in cells:
        for line in cell:
            key, _, value = line.partition("=")
            values.setdefault(key.lstrip("+~"), set()).add(value)
    if len(cells) == 1:
        return sorted(k for k in values if "." in k)
    return sorted(k for k, v in values.items() if len(v) > 1)


def _values(cell: tuple[str, ...], folder: Path | None, base: dict | None, keys: list[str]):
    """Challenge and swept values of one cell: from its resolved config, else its overrides."""
    cfg = None
    if folder is not None and (folder / ".hydra" / "config.yaml").is_file():
        cfg = _read_yaml(folder / ".hydra" / "config.yaml")
    given = {line.partition("=")[0].lstrip("+~"): line.partition("=")[2] for line in cell}
    row: dict[str, Any] = {}
    for name in (*[f"challenges.{c}" for c in CHALLENGES], *keys, "seed", "replicates"):
        value = _select(cfg, name)
        if value is None and name in given:
            value = _number(given[name])
        if value is None:
            value = _select(base, name)
        row[_column(name)] = value
    return row


def _read_yaml(path: Path) -> Any:
    """Plain YAML (the C loader when present): a resolved config needs no OmegaConf, and is
    read once per cell, so this is most of the aggregation's reading time otherwise."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def _select(tree: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def dataset_tags(values: dict[str, Any], taken: Sequence[str]) -> dict[str, Any]:
    """Columns that tag a cell's rows in the dataset: ``challenge_<name>`` and other swept keys.

    The challenges get a prefix because the trajectories already hold the model's ``tension``.
    """
    tags = {}
    for name, value in values.items():
        if name in ("seed", "replicates"):
            continue
        column = f"challenge_{name}" if name in CHALLENGES else name
        tags[column if column not in taken else f"cell_{column}"] = value
    return tags


def _column(key: str) -> str:
    return key.removeprefix("challenges.")


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


# --- aggregation -------------------------------------------------------------------------


def aggregate(
    folder: Path | str, fans: Sequence[str] | None = None, figures: bool = True, n_jobs: int = 1
) -> pd.DataFrame:
    """Aggregate a multirun folder: dataset, summary, figures, then aggregate.json.

    Args:
        folder: the multirun folder (``hydra.sweep.dir``).
        fans: cells to draw trajectory fans for, each as ``key=value`` pairs joined by commas
            (a cell matches when it has all of them); None takes the sweep's own choice
            (``hydra.callbacks.aggregate.fans``), else the cells with the lowest, middle and
            highest P(framework agreement).
        figures: draw the figures (heatmaps and fans).
        n_jobs: processes reading cells in parallel (joblib; 1 reads them here).

    Returns:
        The summary table, one row per planned cell.

    Raises:
        SweepError: when the folder holds no multirun.
    """
    started = time.perf_counter()
    folder = Path(folder)
    if not folder.is_dir():
        raise SweepError(f"folder={str(folder)!r} does not exist; allowed: a multirun folder")
    found = cell_folders(folder)
    plan = _load_plan(folder)
    if plan is None and not found:
        raise SweepError(
            f"folder={str(folder)!r} holds no {MULTIRUN} and no cell; allowed: a multirun folder"
        )
    cells = list(plan) if plan is not None else sorted(found)
    cells += sorted(set(found) - set(cells)) if plan is None else []
    keys = [k for k in swept_keys(cells) if not k.startswith("hydra.")]
    base = _read_yaml(folder / MULTIRUN) if (folder / MULTIRUN).is_file() else None
    fans = fans or _select(base, "hydra.callbacks.aggregate.fans")  # the sweep's own choice
    rows = _summary_rows(folder, cells, found, base, keys, n_jobs)
    table = pd.DataFrame(rows)
    write_parquet(table, folder / "summary.parquet")
    write_text(table.to_csv(index=False), folder / "summary.csv")
    drawn = draw_figures(folder, table, fans) if figures else []
    counts = table["status"].value_counts().to_dict()
    write_text(
        json.dumps(
            {
                "cells": len(table),
                "status": counts,
                "swept": keys,
                "figures": drawn,
                "outcomes": summary.DEFAULT.names(),
                "seconds": round(time.perf_counter() - started, 3),
            },
            indent=2,
        )
        + "\n",
        folder / "aggregate.json",
    )
    return table


def _summary_rows(folder, cells, found, base, keys, n_jobs) -> list[dict[str, Any]]:
    tasks = []
    for index, cell in enumerate(cells):
        where = found.get(cell)
        values = _values(cell, where, base, keys)
        tasks.append((index, cell, where, values))
    if n_jobs == 1:
        results = [_one_cell(folder, *task) for task in tasks]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs)(delayed(_one_cell)(folder, *task) for task in tasks)
    return results


def _one_cell(folder: Path, index: int, cell, where: Path | None, values: dict) -> dict[str, Any]:
    """Summary row of one cell; writes (or clears) its partition of the dataset."""
    status = cell_status(where)
    part = folder / DATASET / f"cell={index}" / "part-0.parquet"
    row: dict[str, Any] = {
        "cell": index,
        "status": status,
        **values,
        "folder": str(where.relative_to(folder)) if where is not None else "",
        "overrides": ",".join(cell),
        "error": "",
    }
    outcomes = dict.fromkeys(summary.OUTCOMES, np.nan)
    if status == COMPLETE:
        table = pq.read_table(where / TRAJECTORIES)
        outcomes.update(summary.cell_outcomes(table.to_pandas()))
        for name, value in dataset_tags(values, table.column_names).items():
            table = table.append_column(name, pa.array(np.full(table.num_rows, value)))
        atomic_write(part, lambda tmp: pq.write_table(table, tmp))
    else:
        part.unlink(missing_ok=True)
        if status == FAILED:
            row["error"] = (where / ERROR).read_text(encoding="utf-8").strip().splitlines()[0]
    return {**row, **outcomes}


# --- figures -----------------------------------------------------------------------------


def draw_figures(folder: Path, table: pd.DataFrame, fans: Sequence[str] | None) -> list[str]:
    """Heatmaps of each probability (trust x vested interests, a panel per tension) and fans."""
    from hedgesim.plots import sweep as sweep_plots

    drawn = []
    done = table[table["status"] == COMPLETE]
    if done.empty:
        return drawn
    for outcome in summary.PROBABILITIES:
        figure = sweep_plots.heatmaps(done, outcome)
        if figure is not None:
            drawn.append(_save(figure, folder / FIGURES / f"heatmap_{outcome}.png"))
    chosen = choose_fan_cells(done, fans)
    if chosen:
        frames = {_label(done.loc[done["cell"] == c].iloc[0]): _read_part(folder, c) for c in chosen}
        drawn.append(_save(sweep_plots.fans(frames), folder / FIGURES / "fans.png"))
    return drawn


def choose_fan_cells(done: pd.DataFrame, fans: Sequence[str] | None) -> list[int]:
    """Cells for the fan chart: the ones asked for, or the extremes and the middle."""
    if fans:
        return [
            int(done.loc[_matching(done, spec), "cell"].iloc[0])
            for spec in fans
            if _matching(done, spec).any()
        ]
    outcome = summary.PROBABILITIES[2]
    ordered = done.sort_values([outcome, "cell"], kind="stable")["cell"].tolist()
    picks = [ordered[0], ordered[len(ordered) // 2], ordered[-1]]
    return list(dict.fromkeys(picks))


def _matching(done: pd.DataFrame, spec: str) -> pd.Series:
    mask = pd.Series(True, index=done.index)
    for pair in filter(None, spec.split(",")):
        key, _, value = pair.partition("=")
        column = _column(key.strip())
        if column not in done:
            return pd.Series(False, index=done.index)
        mask &= _equals(done[column], _number(value.strip()))
    return mask


def _equals(column: pd.Series, value: Any) -> pd.Series:
    """Cells whose value is ``value``: numerically when both are numbers (1 == 1.0)."""
    numbers = pd.to_numeric(column, errors="coerce")
    if isinstance(value, (int, float)) and numbers.notna().all():
        return pd.Series(np.isclose(numbers, value), index=column.index)
    return column.astype(str) == str(value)


def _label(row: pd.Series) -> str:
    return ", ".join(f"{c} {row[c]:g}" for c in CHALLENGES if isinstance(row.get(c), (int, float)))


def _read_part(folder: Path, cell: int) -> pd.DataFrame:
    return pd.read_parquet(folder / DATASET / f"cell={cell}" / "part-0.parquet")


def _save(figure, path: Path) -> str:
    import matplotlib.pyplot as plt

    atomic_write(path, lambda tmp: figure.savefig(tmp, dpi=110, format="png"))
    plt.close(figure)
    return str(path.relative_to(path.parent.parent))


# --- progress and the Hydra callback -----------------------------------------------------


def progress(folder: Path) -> tuple[int, int | None]:
    """(finished cells, planned cells or None): for the running count of a sweep."""
    plan = _cached_plan(str(folder / MULTIRUN), (folder / MULTIRUN).stat().st_mtime_ns)
    done = {p.parent for p in folder.rglob(MANIFEST)} | {p.parent for p in folder.rglob(ERROR)}
    return len(done), (len(plan) if plan is not None else None)


@functools.lru_cache(maxsize=4)
def _cached_plan(path: str, mtime: int) -> list[tuple[str, ...]] | None:
    """The plan of a running sweep, read once per worker process (and again if it changes)."""
    return planned_cells(OmegaConf.load(path))


class AggregateSweep(Callback):
    """Hydra callback: counts finished cells as jobs end, aggregates when the multirun ends.

    Configured in conf/hydra/default.yaml under ``hydra.callbacks.aggregate``; its arguments
    are those of :func:`aggregate`. When cells failed or are missing it says so and exits 1
    after aggregating the rest, so scripts notice and a re-run can fill the gaps.
    """

    def __init__(self, fans: Sequence[str] | None = None, figures: bool = True, n_jobs: int = 1):
        self.fans = list(fans) if fans else None
        self.figures = figures
        self.n_jobs = n_jobs

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """Print the count of finished cells (runs in the worker that ran the job)."""
        folder = Path(str(OmegaConf.select(config, "hydra.sweep.dir", default="")))
        if not (folder / MULTIRUN).is_file():
            return
        finished, total = progress(folder)
        sys.stderr.write(f"hedgesim: {finished}/{total if total is not None else '?'} cells finished\n")
        sys.stderr.flush()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        folder = Path(str(config.hydra.sweep.dir))
        table = aggregate(folder, self.fans, self.figures, self.n_jobs)
        report(folder, table)


def report(folder: Path, table: pd.DataFrame) -> None:
    """One line on stderr; exit 1 when some cells failed or are missing."""
    bad = table[table["status"] != COMPLETE]
    print(
        f"hedgesim: aggregated {len(table) - len(bad)}/{len(table)} cells into {folder}",
        file=sys.stderr,
        flush=True,
    )
    if len(bad):
        listed = ", ".join(f"cell {c} ({s})" for c, s in zip(bad["cell"], bad["status"], strict=True))
        print(
            f"hedgesim: error: {len(bad)} cells failed or missing: {listed}; see {folder / 'summary.csv'}",
            file=sys.stderr,
            flush=True,
        )
        raise SystemExit(EXIT_INCOMPLETE)


# --- hedgesim-aggregate --------------------------------------------------------------------


def aggregate_main(argv: Sequence[str] | None = None) -> None:
    """``hedgesim-aggregate <multirun folder>``: re-aggregate a sweep by hand."""
    parser = argparse.ArgumentParser(
        prog="hedgesim-aggregate",
        description="Aggregate a hedgesim multirun folder into dataset/, summary.parquet, "
        "summary.csv and figures/.",
    )
    parser.add_argument("folder", type=Path, help="the multirun folder (hydra.sweep.dir)")
    parser.add_argument(
        "--fan",
        action="append",
        default=None,
        metavar="CELL",
        help="a cell to draw a trajectory fan for, e.g. "
        "'challenges.trust=0.5,challenges.tension=0.75' (repeatable)",
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the heatmaps and fans")
    parser.add_argument(
        "--jobs", type=int, default=-1, help="processes reading cells (default -1: all cores)"
    )
    args = parser.parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    try:
        table = aggregate(args.folder, args.fan, not args.no_figures, args.jobs)
    except SweepError as err:
        print(f"hedgesim-aggregate: error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    report(args.folder, table)
