"""Writing a run's results: Parquet tables, the resolved config, a manifest; never half-written.

Every file is written to a temporary name in its folder (``.<name>.<random>.tmp``) and renamed
into place, and the manifest comes last. The manifest records each file's size and sha256 (and
a table's row count), so a folder is complete only while its files are the ones it lists: a
file truncated, replaced or lost afterwards makes the folder incomplete, never skipped. A
temporary left by a killed writer is removed by the next one (:func:`clean_temporaries`).

A folder kept in version control (results/baseline/, results/validation/) keeps its manifest
when a re-run would change only the facts that differ between runs of the same numbers (when,
how long, on which commit, with which versions), so a re-run that agrees changes no file.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hedgesim.workflows.interrupt import deferred

MANIFEST = "manifest.json"
INTEGRITY = "integrity"
"""The manifest's record of each listed file: ``{name: {"bytes", "sha256", "rows"}}`` (rows: tables)."""
STAMP = ("versions", "git_commit", "finished_utc")
"""The facts every manifest gets that say when, where and with what it was written."""
TEMPORARY = ".*.tmp"
"""The pattern of the temporaries :func:`atomic_write` (and the sweep's staging folders) use."""
TRAJECTORIES = "trajectories.parquet"
EVENTS = "events.parquet"
OUTCOMES = "outcomes.json"
"""A sweep cell's summary row (``analysis.outcomes.cell_outcomes``), computed where the cell is
written, from its ensemble in memory, so the aggregation need not decode its table again."""
PACKAGES = ("hedgesim", "mesa", "numpy", "pandas", "pyarrow", "hydra-core", "omegaconf", "matplotlib")


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a temporary path beside ``path``, then rename it into place."""
    path = Path(path)
    tmp = _temporary_beside(path)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _temporary_beside(path: Path) -> Path:
    """A new empty file named after ``path`` in its folder (made if missing), matching TEMPORARY."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    return Path(tmp_name)


def current_umask() -> int:
    """The process's umask: what a file made under a temporary name is given when renamed."""
    current = os.umask(0)
    os.umask(current)
    return current


def write_parquet(frame: pd.DataFrame | pa.Table, path: Path) -> Path:
    """A table (pandas or Arrow) as Parquet, written atomically (see :func:`parquet_options`).

    A column with no missing value is stored as required (Parquet's column that cannot be null):
    the writer then stores no definition level per value, a third of its time for a sweep
    cell's trajectories. The values read back are the same.
    """
    table = _arrow(frame)
    fields = [
        f.with_nullable(c.null_count > 0 or pa.types.is_null(f.type))  # an empty text column: null type
        for f, c in zip(table.schema, table.columns, strict=True)
    ]
    table = pa.Table.from_arrays(table.columns, schema=pa.schema(fields, metadata=table.schema.metadata))
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp, **parquet_options(table.schema)))


BLOCK_ROWS = 1 << 18
"""Rows of a table written at a time: a larger table is never whole in memory as a table, only
as the run's record. A quarter of pyarrow's own row group size: at 20,000 replicates to 2050 in
float32 the run's peak memory fell by 4 bytes a replicate-month (bench_memory.py)."""


def month_blocks(replicates: int, months: int) -> list[slice]:
    """The months of a run in blocks of about ``BLOCK_ROWS`` rows (at least one month each)."""
    step = max(1, BLOCK_ROWS // max(replicates, 1))
    return [slice(first, first + step) for first in range(0, months, step)] or [slice(0, 0)]


def write_parquet_blocks(
    block: Callable[[slice], pd.DataFrame | pa.Table], blocks: list[slice], path: Path
) -> Path:
    """A table built and written a block of months at a time into one Parquet file, atomically.

    One block is :func:`write_parquet` of it. With more, each becomes row groups of the same file
    as it is built, so a large run's table never exists whole beside its record; every column
    may then hold missing values (it cannot be known before the last block).
    """
    if len(blocks) == 1:
        return write_parquet(block(blocks[0]), path)

    def write(tmp: Path) -> None:
        writer = None
        try:
            for months in blocks:
                table = _arrow(block(months))
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, **parquet_options(table.schema))
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()

    return atomic_write(path, write)


def _arrow(frame: pd.DataFrame | pa.Table) -> pa.Table:
    return frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """How hedgesim writes Parquet: snappy, with dictionary encoding only where values repeat
    (categories and text). Dictionary-encoding every float column, pyarrow's default, takes most
    of the writing time of a run's tables and makes the file larger, not smaller."""
    repeated = [f.name for f in schema if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)]
    return {"compression": "snappy", "use_dictionary": repeated}


def write_text(text: str, path: Path) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_texts_together(texts: Mapping[Path, str]) -> list[Path]:
    """Write files that belong together (a calibration's parameters and its plausible sets): all
    to temporaries first, then renamed into place one after the other with Ctrl-C held back.

    Anything that stops the writing (an error, a full disk, Ctrl-C) leaves every file as it was;
    a Ctrl-C held during the renames arrives after them.
    """
    staged: dict[Path, Path] = {}
    try:
        for path, text in texts.items():
            tmp = staged[Path(path)] = _temporary_beside(Path(path))
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, 0o666 & ~current_umask())
        with deferred():
            for path, tmp in staged.items():
                os.replace(tmp, path)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    return list(staged)


def package_versions() -> dict[str, str]:
    """The versions of Python and of the packages a run's numbers depend on."""
    return dict(_versions())


@functools.cache
def _versions() -> tuple[tuple[str, str], ...]:
    """Read once per process (every sweep cell's manifest names them)."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return tuple(versions.items())


@functools.cache
def git_commit(start: Path | None = None) -> str | None:
    """The source tree's commit when hedgesim runs from a git checkout, else None.

    Read once per process: the code a process runs is the code it imported when it started.
    """
    where = start or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def write_manifest(
    folder: Path, *, volatile: Sequence[str] = (), previous: Path | None = None, **facts
) -> Path:
    """The manifest: the facts given plus versions, commit and time; written last.

    Each file named in ``facts["files"]`` (relative to ``folder``) gets its size, sha256 and,
    for a Parquet table, its row count under ``integrity``: :func:`is_complete` checks them.

    With ``previous`` (the manifest the folder had before this run), a manifest that differs from
    it only in volatile facts (the names in ``volatile``, such as durations, and the versions,
    commit and time) is not rewritten: the previous one is kept byte for byte. It then says when
    and with what these numbers were first made, and a re-run that agrees changes no file.
    """
    folder = Path(folder)
    manifest = {
        **facts,
        INTEGRITY: {name: file_facts(folder / name) for name in facts.get("files", [])},
        "versions": package_versions(),
        "git_commit": git_commit(),
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    kept = _unchanged(manifest, previous, {*volatile, *STAMP}) if previous is not None else None
    if kept is not None:
        return write_text(kept, folder / MANIFEST)
    return write_json(manifest, folder / MANIFEST)


def _unchanged(manifest: dict[str, Any], previous: Path, volatile: set[str]) -> str | None:
    """The previous manifest's text when it says what ``manifest`` says apart from ``volatile``."""
    try:
        text = Path(previous).read_text(encoding="utf-8")
        old = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    fresh = json.loads(json.dumps(manifest, default=str))  # as it would read back from the file
    if not isinstance(old, dict):
        return None
    lasting = {k: v for k, v in fresh.items() if k not in volatile}
    return text if lasting == {k: v for k, v in old.items() if k not in volatile} else None


def write_json(data: Any, path: Path) -> Path:
    """``data`` as indented JSON with sorted keys (the same data, the same bytes), atomically."""
    return write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", path)


def write_outcomes(outcomes: Mapping[str, float], path: Path) -> Path:
    """A cell's outcomes as strict JSON: an outcome with no value (NaN: a median over no
    replicate) is ``null``, which every JSON reader takes, where NaN is Python's own extension."""
    strict = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in outcomes.items()}
    return write_json(strict, path)


def read_outcomes(path: Path) -> dict[str, Any]:
    """The outcomes :func:`write_outcomes` wrote, ``null`` read back as NaN."""
    recorded = json.loads(path.read_text(encoding="utf-8"))
    return {k: math.nan if v is None else v for k, v in recorded.items()}


def file_facts(path: Path) -> dict[str, Any]:
    """A file's size, sha256 and, for a Parquet table, its row count."""
    facts: dict[str, Any] = {"bytes": path.stat().st_size, "sha256": sha256(path)}
    if path.suffix == ".parquet":
        facts["rows"] = parquet_rows(path)
    return facts


def sha256(path: Path) -> str:
    """The file's sha256, hex."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def parquet_rows(path: Path) -> int:
    """Rows of a Parquet file, from its footer.

    Raises:
        pyarrow.ArrowInvalid (a ValueError) or OSError: when the file is not a whole Parquet file.
    """
    import pyarrow.parquet as pq

    return pq.read_metadata(path).num_rows


def is_complete(folder: Path) -> bool:
    """A folder is complete when its manifest lists files that are all there and unchanged."""
    return incomplete_because(folder) is None


def incomplete_because(folder: Path) -> str | None:
    """Why a folder is not complete (one line), or None when it is.

    Complete: ``manifest.json`` is there and every file it lists has the size, sha256 and row
    count the manifest records. A manifest written before checksums were recorded has only its
    file names: then each file must exist and each Parquet table must be a whole one (its footer
    reads).
    """
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no {MANIFEST}"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return f"{MANIFEST} cannot be read ({type(err).__name__})"
    if not isinstance(manifest, dict):
        return f"{MANIFEST} is not a manifest"
    recorded = manifest.get(INTEGRITY)
    if recorded is not None and not isinstance(recorded, dict):
        return f"{MANIFEST} has no usable {INTEGRITY} record"
    for name in manifest.get("files", []):
        problem = _file_problem(folder / name, None if recorded is None else recorded.get(name, {}))
        if problem:
            return f"{name} {problem}"
    return None


def _file_problem(path: Path, recorded: dict[str, Any] | None) -> str | None:
    """What is wrong with one listed file, or None; ``recorded`` None: a manifest without checksums."""
    if not path.is_file():
        return "is missing"
    try:
        if recorded is None:
            if path.suffix == ".parquet":
                parquet_rows(path)
            return None
        if "sha256" not in recorded:
            return f"has no checksum in {MANIFEST}"
        size = path.stat().st_size
        if size != recorded.get("bytes", size):
            return f"has {size} bytes, {MANIFEST} says {recorded['bytes']}"
        if sha256(path) != recorded["sha256"]:
            return f"does not match its sha256 in {MANIFEST}"
        if "rows" in recorded and parquet_rows(path) != recorded["rows"]:
            return f"does not hold the {recorded['rows']} rows {MANIFEST} says"
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        return f"cannot be read ({first_line(err)})"
    return None


def first_line(err: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(err).strip()
    return f"{type(err).__name__}: {text.splitlines()[0]}" if text else type(err).__name__


def clean_temporaries(folder: Path, recursive: bool = False) -> list[Path]:
    """Remove the temporaries (``.*.tmp`` files and folders) a killed writer left in ``folder``.

    Only call it on a folder no other process is writing: a live writer's temporary would go too.
    Best effort: a temporary that cannot be removed (a read-only folder) is left, and the write
    that follows reports the folder's problem.

    Returns:
        What was removed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = sorted(folder.rglob(TEMPORARY) if recursive else folder.glob(TEMPORARY))
    removed: list[Path] = []
    for path in found:
        if any(path.is_relative_to(gone) for gone in removed):
            continue  # inside a temporary folder removed already
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            pass
        except OSError:
            continue
        removed.append(path)
    return removed


def save_figure(figure: Any, path: Path, dpi: int = 110, close: bool = True) -> Path:
    """Write a matplotlib figure as PNG (atomically) and close it, even when saving fails, so a
    long sweep or a calibration holds no figures open (``close=False``: the caller draws on it
    again, and closes it)."""
    import matplotlib.pyplot as plt

    try:
        atomic_write(path, lambda tmp: figure.savefig(tmp, dpi=dpi, format="png"))
    finally:
        if close:
            plt.close(figure)
    return path
