"""Aggregation of a multirun folder: one summary row per planned cell, one dataset of all rows.

Cells are read independently (in parallel with ``n_jobs``), each into its partition of a new
dataset built beside the old one (``.dataset.<random>.tmp``) and swapped into place once whole,
so the dataset holds exactly the cells of the summary: a partition of an earlier, wider sweep
into the same folder does not survive. A cell counts only when its files match its manifest. A
sweep cell's table carries its challenge levels, so it is copied into its partition as it
stands; only the columns the outcomes need are decoded.

``aggregate.json`` is written last: a folder that has it was aggregated to the end. An
aggregation first removes the previous one's ``aggregate.json`` and summary and any temporary
a killed aggregation left, and removes its own temporaries when it fails, so a failed
aggregation leaves no summary that could pass for current.
"""

from __future__ import annotations

import contextlib
import json
import numbers
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hedgesim.analysis import outcomes as summary
from hedgesim.workflows.results import (
    MANIFEST,
    OUTCOMES,
    TRAJECTORIES,
    clean_temporaries,
    first_line,
    parquet_options,
    read_outcomes,
    write_parquet,
    write_text,
)
from hedgesim.workflows.run import challenge_column
from hedgesim.workflows.sweep.figures import FIGURES, FigureNote, check_fans, draw_figures
from hedgesim.workflows.sweep.plan import (
    CHALLENGES,
    COMPLETE,
    DATASET,
    MULTIRUN,
    CellKey,
    SweepError,
    cell_folders,
    cell_state,
    cell_values,
    check_one_multirun,
    load_plan,
    mixed_as_text,
    partition,
    read_yaml,
    select,
    swept_keys,
)
from hedgesim.workflows.whole_folders import swap

EXIT_INCOMPLETE = 1
EXIT_FAILED = 1
SUMMARY = ("summary.parquet", "summary.csv")
RECORD = "aggregate.json"
SERIAL_CELLS = 8
"""Up to this many cells are read in this process: starting worker processes (each imports
pandas and pyarrow) takes longer than reading a few cells."""
CELL_TAGS = tuple(challenge_column(name) for name in CHALLENGES)
"""The tag columns a sweep cell's table carries itself (``workflows.run.challenge_tags``)."""
UNTAGGED = ("seed", "replicates")
"""Values of the summary that tag the dataset's rows only when swept (the same in every cell else)."""
NOT_ASKED = FigureNote("figures", False, "not asked for (--no-figures, or the callback's figures: false)")


def aggregate(
    folder: Path | str, fans: Sequence[str] | None = None, figures: bool = True, n_jobs: int = 1
) -> pd.DataFrame:
    """Aggregate a multirun folder: dataset, summary, figures, then aggregate.json.

    Args:
        folder: the multirun folder (``hydra.sweep.dir``).
        fans: cells to draw trajectory fans for, each as ``key=value`` pairs joined by commas
            (a cell matches when it has all of them; a string is one cell); None takes the
            sweep's own choice (``hydra.callbacks.aggregate.fans``), else the cells with the
            lowest, middle and highest P(framework agreement).
        figures: draw the figures (heatmaps and fans).
        n_jobs: threads reading cells and processes drawing figures in parallel (1 does both
            here, and a sweep of at most ``SERIAL_CELLS`` cells is read here).

    Returns:
        The summary table, one row per planned cell.

    Raises:
        SweepError: when the folder holds no multirun, or ``n_jobs`` or ``figures`` is not allowed.
        OSError: when a file cannot be read or written (a full disk, a read-only folder); the
            folder is then left with no summary, no ``aggregate.json`` and no temporary.
    """
    started = time.perf_counter()
    folder = Path(folder)
    fans = [fans] if isinstance(fans, str) else fans  # one cell, given alone
    _check_options(figures, n_jobs)
    found, cells = _cells(folder)
    keys = [k for k in swept_keys(cells) if not k.startswith("hydra.")]
    base = read_yaml(folder / MULTIRUN) if (folder / MULTIRUN).is_file() else None
    fans = fans or select(base, "hydra.callbacks.aggregate.fans")  # the sweep's own choice
    check_fans(fans, keys)  # before anything of the folder is removed
    start_over(folder)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{DATASET}.", suffix=".tmp", dir=folder))
        table = mixed_as_text(pd.DataFrame(summary_rows(folder, cells, found, base, keys, n_jobs, staging)))
        one_schema(staging)
        swap(staging, folder / DATASET)
        write_parquet(table, folder / SUMMARY[0])
        write_text(table.to_csv(index=False), folder / SUMMARY[1])
        notes = draw_figures(folder, table, fans, keys, n_jobs) if figures else [NOT_ASKED]
        _write_record(folder, table, keys, notes, time.perf_counter() - started)
    except BaseException:
        for path in _current(folder):  # nothing half-done passes for an aggregation
            with contextlib.suppress(OSError):  # never hide why it failed
                path.unlink(missing_ok=True)
        clean_up(folder)
        raise
    return table


def _check_options(figures: Any, n_jobs: Any) -> None:
    """Refuse, before the summary is removed, what fails only once the figures are drawn."""
    count = isinstance(n_jobs, numbers.Integral) and not isinstance(n_jobs, bool)
    if not (count and (n_jobs >= 1 or n_jobs == -1)):
        raise SweepError(f"n_jobs={n_jobs!r}; allowed: a count >= 1, or -1 (one per core)")
    if not isinstance(figures, bool | np.bool_):
        raise SweepError(f"figures={figures!r}; allowed: True or False")


def start_over(folder: Path) -> None:
    """Clear what an earlier or killed aggregation left: its record first, summary, figures and
    temporaries, so until this one writes its record no summary or figure passes for current
    (a figure of an earlier, wider sweep, or one drawn by an aggregation that failed after)."""
    for path in _current(folder):
        path.unlink(missing_ok=True)
    clean_up(folder)


def _current(folder: Path) -> list[Path]:
    """What an aggregation writes that tells of the cells: the record first, summary, figures."""
    drawn = folder / FIGURES  # only the figures it draws: a file of the user's there is kept
    figures = sorted([*drawn.glob("heatmap_*.png"), *drawn.glob("fans.png")])
    return [folder / RECORD, *(folder / name for name in SUMMARY), *figures]


def clean_up(folder: Path) -> None:
    """Remove the temporaries of aggregations in the folders they write (a failed or killed one's)."""
    clean_temporaries(folder)
    clean_temporaries(folder / DATASET, recursive=True)
    clean_temporaries(folder / FIGURES)


def _cells(folder: Path) -> tuple[dict[CellKey, Path], list[CellKey]]:
    """The cell folders found, and the cells to summarise: the plan, else what ran (without a
    plan, from a sweeper other than the basic one, only the folders written are known)."""
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise SweepError(f"folder={str(folder)!r} {what}; allowed: a multirun folder")
    found = cell_folders(folder)
    check_one_multirun(folder, found)
    plan = load_plan(folder)
    if plan is None and (not found or folder in found.values()):  # none, or one cell given alone
        what = (
            f"is one cell of a sweep, without its {MULTIRUN}" if found else f"holds no {MULTIRUN} and no cell"
        )
        raise SweepError(f"folder={str(folder)!r} {what}; allowed: a multirun folder")
    return found, (list(plan) if plan is not None else sorted(found))


def summary_rows(
    folder: Path,
    cells: Sequence[CellKey],
    found: dict[CellKey, Path],
    base: dict | None,
    keys: list[str],
    n_jobs: int,
    dataset: Path | None = None,
) -> list[dict[str, Any]]:
    """One summary row per cell, in plan order; reading cells is the slow part, so parallel.

    Each complete cell's rows go to its partition under ``dataset`` (default: the folder's own).
    Cells are read on threads: checking a cell's checksums and copying its table happen outside
    Python's lock, and the outcomes are mostly the cell's own already (:func:`recorded_outcomes`),
    so threads need none of the start-up and imports of worker processes.
    """
    dataset = dataset if dataset is not None else folder / DATASET
    tasks = [(index, cell, found.get(cell)) for index, cell in enumerate(cells)]
    if n_jobs == 1 or len(tasks) <= SERIAL_CELLS:
        return [_row(folder, dataset, base, keys, task) for task in tasks]
    from concurrent.futures import ThreadPoolExecutor

    from joblib import effective_n_jobs

    with ThreadPoolExecutor(effective_n_jobs(n_jobs)) as pool:
        return list(pool.map(lambda task: _row(folder, dataset, base, keys, task), tasks))


def _row(folder: Path, dataset: Path, base: dict | None, keys: list[str], task: tuple) -> dict[str, Any]:
    index, cell, where = task
    return _one_cell(folder, dataset, index, cell, where, cell_values(cell, where, base, keys), keys)


def _one_cell(
    folder: Path,
    dataset: Path,
    index: int,
    cell: CellKey,
    where: Path | None,
    values: dict[str, Any],
    keys: Sequence[str] = (),
) -> dict[str, Any]:
    """Summary row of one cell; a complete cell's rows go to its partition of ``dataset``, tagged
    with its challenges and swept keys (seed and replicates only when swept)."""
    status, error = cell_state(where)
    row: dict[str, Any] = {
        "cell": index,
        "status": status,
        **values,
        "folder": str(where.relative_to(folder)) if where is not None else "",
        "overrides": ",".join(cell),
        "error": error,
    }
    outcomes = dict.fromkeys(summary.OUTCOMES, np.nan)
    if status == COMPLETE:
        part = partition(dataset, index)
        tagged = {name: v for name, v in values.items() if name not in UNTAGGED or name in keys}
        outcomes.update(into_dataset(where / TRAJECTORIES, part, tagged, recorded_outcomes(where)))
    return {**row, **outcomes}


def recorded_outcomes(where: Path) -> dict[str, Any] | None:
    """A complete cell's ``outcomes.json`` when its manifest lists it (checked with its other files)
    and holds today's outcomes; None for a cell written before cells kept them, or with others."""
    manifest = json.loads((where / MANIFEST).read_text(encoding="utf-8"))
    if OUTCOMES not in manifest.get("files", []):
        return None
    recorded = read_outcomes(where / OUTCOMES)
    return recorded if recorded.keys() == {*summary.OUTCOMES, "replicates"} else None


def into_dataset(
    source: Path, part: Path, values: dict[str, Any], recorded: dict[str, Any] | None = None
) -> dict[str, float]:
    """A complete cell's outcomes, its rows put in its partition of the dataset on the way.

    A cell's table that carries exactly the tags its partition needs, as a sweep cell carries
    its challenge levels (``workflows.run.challenge_tags``), is its partition as it stands: it is
    copied, not decoded and encoded again. Any other table (another key swept too, a cell
    written before cells carried tags) is read whole and written with its tags. The outcomes
    are the cell's ``recorded`` ones when it has them (computed from the same numbers when the
    cell was written); otherwise only the columns they need are read.
    """
    with pq.ParquetFile(source) as table:
        names = table.schema_arrow.names
        own = [name for name in names if name not in CELL_TAGS]
        tags = dataset_tags(values, own)
        needed = [] if recorded is not None else list(summary.COLUMNS)
        read = table.read(columns=[*needed, *(name for name in tags if name in names)])
        carries = names == [*own, *tags] and all(_holds(read.column(n), v) for n, v in tags.items())
        whole = None if carries else table.read(columns=own)
    outcomes = recorded if recorded is not None else summary.cell_outcomes(read.select(needed).to_pandas())
    part.parent.mkdir(parents=True, exist_ok=True)
    if whole is None:
        shutil.copyfile(source, part)  # in the kernel; a copy, not a link: neither spoils the other
    else:
        for name, value in tags.items():
            whole = whole.append_column(name, tag_column(value, whole.num_rows))
        pq.write_table(whole, part, **parquet_options(whole.schema))
    return outcomes


def _holds(column: pa.ChunkedArray, value: Any) -> bool:
    """The column is ``value`` on every row, typed as the dataset would type it."""
    expected = tag_column(value, len(column))
    return column.type == expected.type and column.combine_chunks().equals(expected)


def one_schema(dataset: Path) -> None:
    """Give every partition the same columns, typed alike, so the dataset reads back right.

    A reader takes one partition's schema for all (pyarrow's the first's): beside a float32 cell
    (``output.precision=float32``) a float64 cell read as float32. A column typed differently in
    some cells takes the widest type: float64 for numbers (int64 when all are integers), else
    text; a column some cell lacks is null there. Partitions already alike are left as written.
    """
    schemas = {part: pq.read_schema(part) for part in sorted(dataset.glob("cell=*/*.parquet"))}
    if len({str(s.remove_metadata()) for s in schemas.values()}) < 2:
        return
    names = list(dict.fromkeys(name for s in schemas.values() for name in s.names))
    fields = [[s.field(n) for s in schemas.values() if n in s.names] for n in names]
    target = pa.schema(
        pa.field(
            n, _widest([f.type for f in found]), len(found) < len(schemas) or any(f.nullable for f in found)
        )
        for n, found in zip(names, fields, strict=True)
    )
    for part, schema in schemas.items():
        if schema.remove_metadata().equals(target):
            continue
        table = pq.ParquetFile(part).read()
        columns = [table[f.name] if f.name in schema.names else pa.nulls(len(table), f.type) for f in target]
        table = pa.table(columns, names=names).cast(target)
        pq.write_table(table, part, **parquet_options(target))


def _widest(types: list[pa.DataType]) -> pa.DataType:
    """One type that holds every value of ``types`` (see :func:`one_schema`)."""
    known = list(dict.fromkeys(t for t in types if not pa.types.is_null(t)))
    if len(known) < 2:
        return known[0] if known else pa.null()
    if all(pa.types.is_integer(t) for t in known):
        return pa.int64()
    if all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in known):
        return pa.float64()
    return pa.string()


def tag_column(value: Any, rows: int) -> pa.Array:
    """A tag's column: a number, a boolean, or text (a list or mapping's override text), on
    every row; a null tag is a column of nulls."""
    return pa.nulls(rows) if value is None else pa.repeat(pa.scalar(value), rows)


def dataset_tags(values: dict[str, Any], taken: Sequence[str]) -> dict[str, Any]:
    """Columns that tag a cell's rows in the dataset: ``challenge_<name>`` and other swept keys.

    The challenges get a prefix because the trajectories already hold the model's ``tension``;
    any other name the trajectories hold gets ``cell_``.
    """
    tags = {}
    for name, value in values.items():
        column = challenge_column(name) if name in CHALLENGES else name
        tags[column if column not in taken else f"cell_{column}"] = value
    return tags


def _write_record(
    folder: Path, table: pd.DataFrame, keys: list[str], notes: list[FigureNote], seconds: float
) -> None:
    """``aggregate.json``, last: what was aggregated, for scripts and benchmarks; ``figure_notes``
    says what each figure drawn shows and what was left out and why (what :func:`report` prints)."""
    record = {
        "cells": len(table),
        "status": table["status"].value_counts().to_dict(),
        "swept": keys,
        "figures": [n.name for n in notes if n.drawn],
        "figure_notes": [n.line() for n in notes],
        "outcomes": summary.DEFAULT.names(),
        "seconds": round(seconds, 3),
    }
    write_text(json.dumps(record, indent=2) + "\n", folder / RECORD)


def figure_notes(folder: Path) -> list[str]:
    """What the folder's last aggregation drew and left out, one line each (from its record)."""
    try:
        return list(json.loads((folder / RECORD).read_text(encoding="utf-8")).get("figure_notes", []))
    except (OSError, ValueError):
        return []


def report(folder: Path, table: pd.DataFrame) -> None:
    """The count of cells aggregated and a line per figure drawn or left out, on stderr; then
    SystemExit(1) when a cell failed or is missing, so scripts notice and a re-run fills the gaps."""
    bad = table[table["status"] != COMPLETE]
    print(
        f"hedgesim: aggregated {len(table) - len(bad)}/{len(table)} cells into {folder}",
        file=sys.stderr,
        flush=True,
    )
    for line in figure_notes(folder):
        print(f"hedgesim: {line}", file=sys.stderr, flush=True)
    if len(bad):
        listed = ", ".join(f"cell {c} ({s})" for c, s in zip(bad["cell"], bad["status"], strict=True))
        print(
            f"hedgesim: error: {len(bad)} cells failed or missing: {listed}; see {folder / 'summary.csv'}",
            file=sys.stderr,
            flush=True,
        )
        raise SystemExit(EXIT_INCOMPLETE)


def failure(prog: str, folder: Path, err: BaseException) -> str:
    """The one line a failed aggregation prints: where, why, and that no summary there is current."""
    return (
        f"{prog}: error: aggregating {folder} failed ({first_line(err)}); it holds no current "
        f"summary: fix the cause, then run hedgesim-aggregate {folder}"
    )
