"""The plan of a sweep and its cells on disk: what should have run, what did, with what values.

The plan comes from ``multirun.yaml``, which Hydra writes before any job starts, so a cell that
never ran is listed as missing rather than silently dropped. Cells are matched to folders by
their overrides (``.hydra/overrides.yaml``), not by job number, so the summary is the same
whichever launcher ran the cells and in what order.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config.errors import ConfigError
from hedgesim.config.hydra_part import expand_globs, group_option
from hedgesim.workflows.results import MANIFEST, first_line, incomplete_because
from hedgesim.workflows.run import CHALLENGES, ERROR

if TYPE_CHECKING:
    import pandas as pd

MULTIRUN = "multirun.yaml"
DATASET = "dataset"
COMPLETE, FAILED, MISSING = "complete", "failed", "missing"

BASIC_SWEEPERS = ("core_plugins.basic_sweeper.BasicSweeper", "grouped_sweeper.GroupedBasicSweeper")
"""Sweepers that launch the basic sweeper's grid (Hydra's own, and hedgesim's default)."""

CellKey = tuple[str, ...]  # a cell as its sorted override lines: the same whatever ran it


class SweepError(ValueError):
    """A folder that cannot be aggregated: one line for the user."""


def planned_cells(multirun_cfg: DictConfig) -> list[CellKey] | None:
    """The cells a basic-sweeper multirun launches, each as its sorted override lines.

    Returns:
        None when the sweep was not run by Hydra's basic sweeper (another sweeper decides its
        cells as it goes, so only the folders it wrote can be aggregated).

    Raises:
        SweepError: when Hydra cannot expand the sweep.
    """
    hydra_cfg = multirun_cfg.get("hydra", {})
    target = str(OmegaConf.select(hydra_cfg, "sweeper._target_", default=""))
    if not target.endswith(BASIC_SWEEPERS):
        return None
    params = OmegaConf.select(hydra_cfg, "sweeper.params", default=None) or {}
    lines = [f"{key}={value}" for key, value in params.items()]
    lines += list(OmegaConf.select(hydra_cfg, "overrides.task", default=[]) or [])
    sources = OmegaConf.select(hydra_cfg, "runtime.config_sources", default=None) or []
    try:  # a glob is expanded with the config sources the sweep had (hydra.runtime.config_sources)
        parsed, _ = expand_globs(OverridesParser.create().parse_overrides(lines), sources)
        batches = BasicSweeper.split_arguments(parsed, None)
    except (HydraException, ConfigError) as err:
        raise SweepError(f"{MULTIRUN}: cannot expand the sweep: {str(err).splitlines()[0]}") from None
    return [cell_key(cell) for cell in batches[0]]


def cell_key(overrides: Sequence[str]) -> CellKey:
    """A cell's identity: its overrides sorted, so their order on the command line is moot."""
    return tuple(sorted(str(o) for o in overrides))


def load_plan(folder: Path) -> list[CellKey] | None:
    """The planned cells of a multirun folder; None without ``multirun.yaml`` or a basic sweeper."""
    path = folder / MULTIRUN
    if not path.is_file():
        return None
    allowed = f"allowed: the {MULTIRUN} Hydra wrote when the sweep started"
    try:
        cfg = OmegaConf.load(path)
    except (OSError, yaml.YAMLError, OmegaConfBaseException) as err:  # damaged: before anything is removed
        raise SweepError(f"{path}: cannot be read ({first_line(err)}); {allowed}") from None
    if not isinstance(cfg, DictConfig) or not isinstance(cfg.get("hydra"), DictConfig):
        raise SweepError(f"{path}: holds no hydra settings; {allowed}")
    return planned_cells(cfg)


def cell_folders(folder: Path) -> dict[CellKey, Path]:
    """Folders under a multirun folder that Hydra started a job in, keyed by their overrides."""
    found = {}
    for overrides in sorted(folder.rglob(".hydra/overrides.yaml")):
        cell = overrides.parent.parent
        if DATASET in cell.relative_to(folder).parts:
            continue
        found[cell_key(read_yaml(overrides) or [])] = cell
    return found


def check_one_multirun(folder: Path, found: dict[CellKey, Path]) -> None:
    """Refuse a folder that is not one multirun before an aggregation clears and writes in it:
    one holding other multirun folders (a parent of several sweeps), or, without Hydra's
    ``multirun.yaml``, runs that are not jobs of a multirun (single runs somewhere below it).

    Raises:
        SweepError: naming the folder, what is in it that does not belong, and what is allowed.
    """
    inner = sorted({a for cell in found.values() for a in _inner_multiruns(folder, cell)})
    if inner:
        more = f" and {len(inner) - 3} more" if len(inner) > 3 else ""
        named = ", ".join(str(p) for p in inner[:3]) + more
        raise SweepError(
            f"folder={str(folder)!r} holds other multirun folders ({named}); "
            "allowed: one multirun folder (the hydra.sweep.dir of one sweep)"
        )
    if (folder / MULTIRUN).is_file():
        return
    single = sorted(cell.relative_to(folder) for cell in found.values() if not _multirun_job(cell))
    if single:
        raise SweepError(
            f"folder={str(folder)!r} holds no {MULTIRUN} and runs that are not jobs of a multirun "
            f"(e.g. {single[0]}); allowed: a multirun folder"
        )


def _inner_multiruns(folder: Path, cell: Path) -> list[Path]:
    """The folders between ``folder`` and one of its cells (relative to ``folder``) that hold a
    ``multirun.yaml`` of their own: a look at the cells found, not another walk of the tree."""
    between = cell.relative_to(folder).parents[:-1]  # the last parent is "." (the folder itself)
    return [a for a in between if (folder / a / MULTIRUN).is_file()]


def _multirun_job(cell: Path) -> bool:
    """Hydra recorded the run as a job of a multirun (``mode: MULTIRUN`` in its hydra.yaml)."""
    try:
        return "mode: MULTIRUN" in (cell / ".hydra" / "hydra.yaml").read_text(encoding="utf-8")
    except OSError:
        return False


def cell_status(cell: Path | None) -> str:
    """complete (its files match its manifest), failed (error.txt, or damaged files) or missing."""
    return cell_state(cell)[0]


def cell_state(cell: Path | None) -> tuple[str, str]:
    """A cell's status and, when it failed, why (one line).

    Complete: its manifest lists files that are all there and unchanged (sizes, checksums, row
    counts). Failed: it left ``error.txt``, or it has a manifest its files no longer match (a
    truncated or replaced table; re-running the sweep recomputes the cell). Missing: it never
    ran, or it was stopped before it finished.
    """
    if cell is None:
        return MISSING, ""
    problem = incomplete_because(cell)
    if problem is None:
        return COMPLETE, ""
    if (cell / ERROR).is_file():
        lines = (cell / ERROR).read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return FAILED, lines[0] if lines else ERROR
    if (cell / MANIFEST).is_file():
        return FAILED, f"damaged: {problem}; re-run the sweep to recompute the cell"
    return MISSING, ""


def dataset_part(folder: Path, cell: int) -> Path:
    """Where one cell's rows live in the sweep's partitioned dataset."""
    return partition(folder / DATASET, cell)


def partition(dataset: Path, cell: int) -> Path:
    """One cell's file in a partitioned dataset folder (the sweep's, or one being built)."""
    return dataset / f"cell={cell}" / "part-0.parquet"


def swept_keys(cells: Sequence[CellKey]) -> list[str]:
    """Keys whose value differs between cells (``+experiment`` and the like left out)."""
    values: dict[str, set[str]] = {}
    for cell in cells:
        for line in cell:
            key, _, value = line.partition("=")
            values.setdefault(key.lstrip("+~"), set()).add(value)
    if len(cells) == 1:
        return sorted(k for k in values if "." in k)
    return sorted(k for k, v in values.items() if len(v) > 1)


def cell_values(cell: CellKey, folder: Path | None, base: dict | None, keys: list[str]) -> dict[str, Any]:
    """Challenge and swept values of one cell, and its seed and replicates.

    Each value comes from the cell's resolved config when it ran, else from its overrides,
    else from the sweep's base config, so a missing cell still shows where it sits. A list or
    mapping (``shocks.disabled_ids=[crimea]``, a config group such as ``challenges=high_tension``)
    is its override's text, so every cell's value is one string a table column can hold.
    """
    names = (*[f"challenges.{c}" for c in CHALLENGES], *keys, "seed", "replicates")
    cfg = None
    if folder is not None and (folder / ".hydra" / "config.yaml").is_file():
        cfg = read_yaml(folder / ".hydra" / "config.yaml", {name.split(".")[0] for name in names})
    given = {line.partition("=")[0].lstrip("+~"): line.partition("=")[2] for line in cell}
    chosen = _chosen_options(given, base) if cfg is None else {}
    row: dict[str, Any] = {}
    for name in names:
        value = select(cfg, name, ABSENT)
        if value is ABSENT and name in given:
            value = override_value(given[name])
        group, _, key = name.partition(".")
        if value is ABSENT and group in chosen:
            value = select(chosen[group], key, ABSENT)
        if value is ABSENT:
            value = select(base, name)
        if isinstance(value, (list, dict)):
            value = given[name] if name in given else override_text(value)
        elif isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
            value = str(value)  # Parquet holds no wider integer, and a float changes the digits
        row[column_name(name)] = value
    return row


INT64 = (-(2**63), 2**63 - 1)


def mixed_as_text(table: pd.DataFrame) -> pd.DataFrame:
    """Every column that mixes text with other values as text (null stays null): an integer
    past 64 bits is its digits (``seed=1,99999999999999999999``), so its column is the digits of
    every cell's, and the summary can be written."""
    for name in table.columns:
        values = table[name].tolist()
        given = [v for v in values if not _null(v)]
        if any(isinstance(v, str) for v in given) and not all(isinstance(v, str) for v in given):
            table[name] = [None if _null(v) else str(v) for v in values]
    return table


def _null(value: Any) -> bool:
    """None, or the NaN a table puts for it (``parameter_sets=null``)."""
    return value is None or (isinstance(value, float) and value != value)


def _chosen_options(given: dict[str, str], base: dict | None) -> dict[str, dict]:
    """The values of the config group options a cell that never ran chose (``challenges=
    high_tension``), read from the config sources the sweep recorded: without them its row
    would show the sweep's base values (the baseline's tension) for another option's."""
    sources = select(base, "hydra.runtime.config_sources") or []
    chosen = {}
    for group, option in given.items():
        if "." not in group and _PLAIN_OPTION.match(option):
            with contextlib.suppress(HydraException, OSError):  # sources moved: the base's values
                values = group_option(sources, group, option)
                if values is not None:
                    chosen[group] = values
    return chosen


_PLAIN_OPTION = re.compile(r"^[\w\-]+$")


def read_yaml(path: Path, only: Collection[str] | None = None) -> Any:
    """Plain YAML (the C loader when present).

    A resolved config needs no OmegaConf, and one is read per cell, so otherwise this is most
    of the aggregation's reading time.

    Args:
        only: read just these top-level keys of a mapping laid out in blocks, as hedgesim and
            Hydra write configs (a cell's config has some 500 lines; the summary needs a few of
            them); the file is read whole when it is laid out otherwise.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = path.read_text(encoding="utf-8")
    if only is not None:
        part = _entries(text, only)
        if part is not None:
            with contextlib.suppress(yaml.YAMLError):  # an alias to a part left out, say
                found = yaml.load(part, Loader=loader) if part else {}
                if isinstance(found, dict):
                    return found
    return yaml.load(text, Loader=loader)


_TOP_KEY = re.compile(r"[A-Za-z_][\w-]*")


def _entries(text: str, keys: Collection[str]) -> str | None:
    """The lines of the top-level entries ``keys`` of a block mapping; None when the text is not
    one (a flow mapping, a document marker, a key that is quoted or complex)."""
    kept, keep, started = [], False, False
    for line in text.splitlines(keepends=True):
        first = line[:1]
        if first in ("", " ", "\t", "\n", "\r", "#") or line.startswith(("- ", "-\n")):
            if first in (" ", "\t", "-") and not started:
                return None  # a value before any key: not a mapping laid out in blocks
        else:
            key, colon, _ = line.partition(":")
            if not colon or not _TOP_KEY.fullmatch(key):
                return None
            keep, started = key in keys, True
        if keep:
            kept.append(line)
    return "".join(kept)


ABSENT = object()
"""What :func:`select` returns for a key that is not there, when asked to tell it from null."""


def select(tree: Any, dotted: str, absent: Any = None) -> Any:
    """``tree[a][b]`` for ``"a.b"``, or ``absent`` when any part is not there (plain dicts)."""
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return absent
        tree = tree[part]
    return tree


def column_name(key: str) -> str:
    """The summary column of a config key: the challenges go by their bare names."""
    return key.removeprefix("challenges.")


def override_value(text: str) -> Any:
    """An override's value as Hydra reads it (``0.5``, ``false``, ``null``, ``'a b'``); a list or
    mapping is its text as a cell's overrides spell it (see :func:`cell_values`: ``[a, b]`` reads
    ``[a,b]``); anything Hydra cannot read stays the text."""
    try:
        value = _parser().parse_override(f"v={text}").value()
    except HydraException:
        return text
    return override_text(value) if isinstance(value, (list, dict)) else value


@functools.cache
def _parser() -> OverridesParser:
    return OverridesParser.create()


def override_text(value: Any) -> str:
    """A list or mapping as Hydra writes it in a cell's overrides: ``[a,b]``, ``{k:v}``."""
    if isinstance(value, list):
        return "[" + ",".join(map(override_text, value)) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{override_text(v)}" for k, v in value.items()) + "}"
    return "null" if value is None else str(value)
