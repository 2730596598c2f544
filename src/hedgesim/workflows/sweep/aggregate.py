"""Aggregation of a multirun folder: one summary row per planned cell, one dataset of all rows.

Cells are read independently (in parallel with ``n_jobs``); each writes or clears its own
partition of the dataset, so re-aggregating a folder after a resume leaves no stale rows.
``aggregate.json`` is written last: a folder that has it was aggregated to the end.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hedgesim.analysis import outcomes as summary
from hedgesim.workflows.results import TRAJECTORIES, atomic_write, write_parquet, write_text
from hedgesim.workflows.run import ERROR
from hedgesim.workflows.sweep.figures import draw_figures
from hedgesim.workflows.sweep.plan import (
    CHALLENGES,
    COMPLETE,
    FAILED,
    MULTIRUN,
    CellKey,
    SweepError,
    cell_folders,
    cell_status,
    cell_values,
    dataset_part,
    load_plan,
    read_yaml,
    select,
    swept_keys,
)

EXIT_INCOMPLETE = 1


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
    found, cells = _cells(folder)
    keys = [k for k in swept_keys(cells) if not k.startswith("hydra.")]
    base = read_yaml(folder / MULTIRUN) if (folder / MULTIRUN).is_file() else None
    fans = fans or select(base, "hydra.callbacks.aggregate.fans")  # the sweep's own choice
    table = pd.DataFrame(summary_rows(folder, cells, found, base, keys, n_jobs))
    write_parquet(table, folder / "summary.parquet")
    write_text(table.to_csv(index=False), folder / "summary.csv")
    drawn = draw_figures(folder, table, fans) if figures else []
    _write_record(folder, table, keys, drawn, time.perf_counter() - started)
    return table


def _cells(folder: Path) -> tuple[dict[CellKey, Path], list[CellKey]]:
    """The cell folders found, and the cells to summarise: the plan, else what ran.

    Without a plan (a sweeper other than the basic one) only the folders written are known.
    """
    if not folder.is_dir():
        raise SweepError(f"folder={str(folder)!r} does not exist; allowed: a multirun folder")
    found = cell_folders(folder)
    plan = load_plan(folder)
    if plan is None and not found:
        raise SweepError(
            f"folder={str(folder)!r} holds no {MULTIRUN} and no cell; allowed: a multirun folder"
        )
    return found, (list(plan) if plan is not None else sorted(found))


def summary_rows(
    folder: Path,
    cells: Sequence[CellKey],
    found: dict[CellKey, Path],
    base: dict | None,
    keys: list[str],
    n_jobs: int,
) -> list[dict[str, Any]]:
    """One summary row per cell, in plan order; reading cells is the slow part, so parallel."""
    tasks = []
    for index, cell in enumerate(cells):
        where = found.get(cell)
        tasks.append((index, cell, where, cell_values(cell, where, base, keys)))
    if n_jobs == 1:
        return [_one_cell(folder, *task) for task in tasks]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs)(delayed(_one_cell)(folder, *task) for task in tasks)


def _one_cell(
    folder: Path, index: int, cell: CellKey, where: Path | None, values: dict[str, Any]
) -> dict[str, Any]:
    """Summary row of one cell; writes (or clears) its partition of the dataset."""
    status = cell_status(where)
    part = dataset_part(folder, index)
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


def dataset_tags(values: dict[str, Any], taken: Sequence[str]) -> dict[str, Any]:
    """Columns that tag a cell's rows in the dataset: ``challenge_<name>`` and other swept keys.

    The challenges get a prefix because the trajectories already hold the model's ``tension``;
    any other name the trajectories hold gets ``cell_``.
    """
    tags = {}
    for name, value in values.items():
        if name in ("seed", "replicates"):
            continue
        column = f"challenge_{name}" if name in CHALLENGES else name
        tags[column if column not in taken else f"cell_{column}"] = value
    return tags


def _write_record(
    folder: Path, table: pd.DataFrame, keys: list[str], drawn: list[str], seconds: float
) -> None:
    """``aggregate.json``, last: what was aggregated, for scripts and benchmarks."""
    record = {
        "cells": len(table),
        "status": table["status"].value_counts().to_dict(),
        "swept": keys,
        "figures": drawn,
        "outcomes": summary.DEFAULT.names(),
        "seconds": round(seconds, 3),
    }
    write_text(json.dumps(record, indent=2) + "\n", folder / "aggregate.json")


def report(folder: Path, table: pd.DataFrame) -> None:
    """One line on stderr; exit 1 when some cells failed or are missing.

    Raises:
        SystemExit: with code 1 when a cell is not complete, so scripts notice and a re-run
            can fill the gaps.
    """
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
