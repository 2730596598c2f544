"""The sweep's figures: outcome heatmaps and trajectory fans, saved under ``figures/``.

The plots themselves (hedgesim.plots.sweep) only draw from tables; this module picks the
cells, reads their rows from the dataset, saves each figure atomically and closes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgesim.analysis import outcomes as summary
from hedgesim.workflows import processes
from hedgesim.workflows.results import save_figure
from hedgesim.workflows.sweep.plan import (
    CHALLENGES,
    COMPLETE,
    SweepError,
    column_name,
    dataset_part,
    override_value,
    read_yaml,
    select,
)

FIGURES = "figures"
DPI = 110
HEATMAP_DRAWINGS = 2
"""Figures the heatmaps are drawn on side by side (each redrawn for its share of the outcomes):
with the fans, three drawings for two processes of about the same length."""
ADD_CHALLENGE = "sweep a second challenge too, e.g. challenges.{name}=0,0.5,1"


@dataclass(frozen=True)
class FigureNote:
    """A figure drawn and what it shows, or one left out and why: one line of the sweep's output."""

    name: str
    drawn: bool
    why: str

    def line(self) -> str:
        """``drew figures/fans.png: ...`` or ``skipped heatmaps: ...``."""
        return f"{'drew' if self.drawn else 'skipped'} {self.name}: {self.why}"


def draw_figures(
    folder: Path,
    table: pd.DataFrame,
    fans: Sequence[str] | None,
    swept: Sequence[str] = (),
    n_jobs: int = 1,
) -> list[FigureNote]:
    """Heatmaps of each probability over the swept challenges, and the trajectory fans.

    Args:
        folder: the multirun folder; figures go to its ``figures/``.
        table: the summary, one row per planned cell.
        fans: the cells asked for (``key=value`` pairs joined by commas), or None.
        swept: the config keys the sweep varies (named when they keep a heatmap from being drawn).
        n_jobs: processes drawing the figures side by side (joblib; 1 draws them here). Each
            figure is one, saved and closed where it is drawn.

    Returns:
        One note per figure drawn (named relative to ``folder``, for ``aggregate.json``) and
        per figure or fan cell left out, saying why.
    """
    done = table[table["status"] == COMPLETE]
    if done.empty:
        return [FigureNote("figures", False, "no cell is complete, so there is nothing to draw")]
    drawings: list[tuple[Callable[..., list[FigureNote]], tuple]] = []
    skipped = []
    months = run_months(folder, done)
    ends = {end for end, _ in months.values()}
    layout, why = heatmap_layout(table, swept)
    if layout is None:
        skipped.append(FigureNote("heatmaps", False, why))
    else:
        outcomes = summary.PROBABILITIES
        per_figure = len(outcomes) if n_jobs == 1 else -(-len(outcomes) // HEATMAP_DRAWINGS)
        end = ends.pop() if len(ends) == 1 else None  # one end: a square is one cell
        drawings += [
            (_heatmaps, (folder, table, outcomes[first : first + per_figure], (*layout, end), why))
            for first in range(0, len(outcomes), per_figure)
        ]
    unmatched = [FigureNote(what, False, why) for what, why in unmatched_fans(table, fans)]
    chosen = choose_fan_cells(done, fans)
    if chosen:
        labels = {c: _label(done.loc[done["cell"] == c].iloc[0], swept) for c in chosen}
        how = "the cells asked for" if fans else default_fans(done)
        what = f"EU relations and hedge, {how}: {'; '.join(labels.values())}"
        known = [months[c] for c in chosen if months[c] != UNKNOWN]
        branches = sorted({pd.Timestamp(b) for _, b in known if b is not None}) if known else None
        drawings.append((_fans, (folder, labels, what, branches)))
    else:
        unmatched.append(FigureNote("fans", False, "none of the cells asked for is complete"))
    return [*skipped, *_draw(drawings, n_jobs), *unmatched]


def _draw(drawings: list[tuple[Callable[..., list[FigureNote]], tuple]], n_jobs: int) -> list[FigureNote]:
    """Each drawing's notes, in order; drawn here or, with ``n_jobs`` other than 1, side by side."""
    if n_jobs == 1 or len(drawings) < 2:
        return [note for draw, args in drawings for note in draw(*args)]
    from joblib import effective_n_jobs

    workers = min(effective_n_jobs(n_jobs), len(drawings))
    drawn = processes.starmap(_draw_to_file, [(draw, args) for draw, args in drawings], workers)
    return [note for notes in drawn for note in notes]


def _draw_to_file(draw: Callable[..., list[FigureNote]], args: tuple) -> list[FigureNote]:
    """A drawing in a worker process: to a file, so with Agg whatever backend it would choose."""
    import matplotlib

    matplotlib.use("Agg")
    return draw(*args)


def _heatmaps(
    folder: Path, table: pd.DataFrame, outcomes: Sequence[str], layout: tuple, why: str
) -> list[FigureNote]:
    """Each outcome's heatmaps, one file each, drawn on one figure in turn
    (``plots.sweep.HeatmapFigure``): laid out once, for the first."""
    # Imported here, not at the top: job workers load this package for the running count of
    # cells and have no figure to draw.
    from hedgesim.plots import sweep as sweep_plots

    drawing = sweep_plots.HeatmapFigure(table, *layout)
    notes = []
    try:
        for outcome in outcomes:
            figure = drawing.show(outcome)
            notes.append(FigureNote(_save(figure, folder, f"heatmap_{outcome}.png", close=False), True, why))
            figure.set_layout_engine("none")  # the next outcome keeps this one's layout
    finally:
        import matplotlib.pyplot as plt

        plt.close(drawing.figure)
    return notes


def _fans(
    folder: Path, labels: dict[int, str], what: str, branches: list[pd.Timestamp] | None = None
) -> list[FigureNote]:
    """The fans of the cells ``labels`` names, split at their ``branches`` (None: not known)."""
    from hedgesim.plots import sweep as sweep_plots

    read = ["date", "replicate", *sweep_plots.FAN_SERIES]  # the fans' columns only
    frames = {
        label: pd.read_parquet(dataset_part(folder, cell), columns=read) for cell, label in labels.items()
    }
    figure = sweep_plots.fans(frames) if branches is None else sweep_plots.fans(frames, branches)
    return [FigureNote(_save(figure, folder, "fans.png"), True, what)]


UNKNOWN = (None, None)
"""The months of a cell whose config does not say (a folder made by hand)."""


def run_months(folder: Path, cells: pd.DataFrame) -> dict[int, tuple[str | None, str | None]]:
    """Each cell's last month and branch (``scenario.end``, ``scenario.branch``, ``YYYY-MM``) as
    it ran, from its config: the heatmaps' titles name the month the outcomes were read at, and
    the fans split where the challenges start to apply."""
    months = {}
    places = cells["folder"] if "folder" in cells else [""] * len(cells)
    for cell, where in zip(cells["cell"], places, strict=True):
        path = folder / str(where) / ".hydra" / "config.yaml"
        scenario = select(read_yaml(path, {"scenario"}), "scenario") if where and path.is_file() else None
        if not isinstance(scenario, dict) or "end" not in scenario:
            months[int(cell)] = UNKNOWN
            continue
        branch = scenario.get("branch")
        months[int(cell)] = (str(scenario["end"]), None if branch in (None, "") else str(branch))
    return months


def heatmap_layout(table: pd.DataFrame, swept: Sequence[str] = ()) -> tuple[tuple | None, str]:
    """(rows, columns, panels) of the heatmaps and what they show, or None and why not.

    Any two swept challenges make a map; a third gives one panel per value (the one with the
    fewest values when the third has more than a row of panels can show). Each square must be
    one cell: when another key is swept too, a square would mix several, so none is drawn; and
    every square must have one: cells that set several challenges at once (``challenges=baseline,
    optimistic``) fill only a few squares of their grid, so none is drawn either.
    """
    varied = [c for c in CHALLENGES if table[c].nunique() > 1]
    if len(varied) < 2:
        fixed = next(c for c in CHALLENGES if c not in varied)
        said = f"only {_words(varied[0])} is swept" if varied else "no challenge is swept"
        return None, f"{said}; a heatmap needs two ({ADD_CHALLENGE.format(name=fixed)})"
    if table.duplicated(subset=varied).any():
        others = [k for k in swept if column_name(k) not in CHALLENGES] or ["another key"]
        return None, (
            f"{', '.join(others)} is swept as well as {' and '.join(varied)}, so a square would "
            "hold several cells; read them from summary.csv"
        )
    squares = int(np.prod([table[c].nunique() for c in varied]))
    if len(table) < squares:  # a group option sets several challenges at once
        how = [k for k in swept if not k.startswith("challenges.")] or ["another key"]
        return None, (
            f"the {len(table)} cells fill {len(table)} of the {squares} squares of "
            f"{' x '.join(map(_words, varied))} ({', '.join(how)} sets them together); "
            "read them from summary.csv"
        )
    from hedgesim.plots.sweep import LABELLED, replicate_count

    rows, columns, *rest = varied
    panels = rest[0] if rest else None
    if panels is not None and table[panels].nunique() > LABELLED:  # a row of panels too long to read
        panels = min(varied, key=lambda c: table[c].nunique())  # the fewest values make the panels
        rows, columns = (c for c in varied if c != panels)
        if table[panels].nunique() > LABELLED:
            return None, (
                f"each challenge takes more than {LABELLED} values, so one panel per value of any "
                "would be too many to read; read them from summary.csv"
            )
    if panels is None:
        held = next(c for c in CHALLENGES if c not in varied)
        values = table[held].dropna()
        where = f"{_words(held)} held at {_number(values.iloc[0])}" if len(values) else ""
    else:
        where = f"one panel per {_words(panels)} value ({table[panels].nunique()})"
    shown = f"{_words(rows)} x {_words(columns)}, {where}, {replicate_count(table)} per cell"
    return (rows, columns, panels), shown


def check_fans(fans: Sequence[str] | None, swept: Sequence[str], name: str = "fan") -> None:
    """Refuse a fan cell that names a key the cells have no value of (a misspelt key would
    otherwise match no cell and be skipped as if the sweep lacked the values).

    Args:
        name: what the fans were given as, for the message (``--fan``'s ``fan``, or the
            callback's ``hydra.callbacks.aggregate.fans``).

    Raises:
        SweepError: naming the fan, the key and the keys allowed (the swept ones first).
    """
    keys = [k for k in swept if not k.startswith("hydra.")]
    others = [f"challenges.{c}" for c in CHALLENGES] + ["seed", "replicates"]
    allowed = keys + [k for k in others if column_name(k) not in map(column_name, keys)]
    columns = {column_name(k) for k in allowed}
    swept_ones = f"the swept keys {', '.join(keys)}, or " if keys else ""
    for spec in fans or ():
        if not isinstance(spec, str):  # a number or a mapping would fail only once the cells ran
            allowed = "key=value pairs joined by commas, as text"
            raise SweepError(f"{name}={spec!r}: not a cell; allowed: {allowed}")
        for pair in fan_pairs(spec):
            key, equals, _ = pair.partition("=")
            if equals and column_name(key.strip().lstrip("+~")) in columns:
                continue
            wrong = f"{key.strip()!r} is not a key of the sweep's cells" if equals else "no key=value"
            others = ", ".join(allowed[len(keys) :])
            raise SweepError(f"{name}={spec!r}: {wrong}; allowed: {swept_ones}{others}")


def fan_pairs(spec: str) -> list[str]:
    """The ``key=value`` pairs of a fan cell: split at the commas outside brackets, so a list or
    mapping value (``shocks.disabled_ids=[crimea,donbas-war]``) stays whole."""
    pairs, depth, start = [], 0, 0
    for at, char in enumerate(spec + ","):
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(char, 0)
        if char == "," and depth <= 0:
            pairs.append(spec[start:at])
            start = at + 1
    return [pair for pair in pairs if pair]


def unmatched_fans(table: pd.DataFrame, fans: Sequence[str] | None) -> list[tuple[str, str]]:
    """(what, why) for each requested fan cell left out: no such cell, a cell not complete, or
    the other cells a request matches (the fan shows the first)."""
    out = []
    for spec in fans or ():
        matching = table[_matching(table, spec)]
        complete = matching[matching["status"] == COMPLETE]
        if matching.empty:
            out.append((f"fan {spec!r}", "no cell of the sweep has these values"))
        elif complete.empty:
            states = ", ".join(
                f"cell {c} {s}" for c, s in zip(matching["cell"], matching["status"], strict=True)
            )
            out.append((f"fan {spec!r}", f"its cell is not complete ({states})"))
        elif len(complete) > 1:
            first, others = complete["cell"].iloc[0], ", ".join(map(str, complete["cell"].iloc[1:]))
            why = f"{spec!r} matches {len(complete)} cells and the fan shows the first, cell {first}"
            cells = "cell" if len(complete) == 2 else "cells"
            out.append((f"{cells} {others} from the fans", f"{why}; name every swept key to pick one"))
    return out


def choose_fan_cells(done: pd.DataFrame, fans: Sequence[str] | None) -> list[int]:
    """Cells for the fan chart: the ones asked for, or the extremes and the middle.

    Without a choice, the lowest, middle and highest P(framework agreement) show the spread
    of where a rapprochement leads; a requested cell that matches nothing is left out (and
    :func:`unmatched_fans` says so).
    """
    if fans:
        picked = [
            int(done.loc[_matching(done, spec), "cell"].iloc[0])
            for spec in fans
            if _matching(done, spec).any()
        ]
        return list(dict.fromkeys(picked))
    outcome = summary.PROBABILITIES[2]
    ordered = done.sort_values([outcome, "cell"], kind="stable")["cell"].tolist()
    picks = [ordered[0], ordered[len(ordered) // 2], ordered[-1]]
    return list(dict.fromkeys(picks))


def default_fans(done: pd.DataFrame) -> str:
    """What the default fan cells are: the spread of P(framework agreement), or, when every cell
    has the same (a run that ends before any can conclude), the first, middle and last cells."""
    shares = done[summary.PROBABILITIES[2]].dropna().unique()
    if len(shares) > 1:
        return "the lowest, middle and highest P(framework agreement)"
    same = f"is {_number(shares[0])} in every cell" if len(shares) else "is undefined in every cell"
    return f"the first, middle and last cells (P(framework agreement) {same})"


def _save(figure: Any, folder: Path, name: str, close: bool = True) -> str:
    """Save into ``figures/``; returns the name relative to the multirun folder."""
    save_figure(figure, folder / FIGURES / name, dpi=DPI, close=close)
    return str(Path(FIGURES) / name)


def _matching(done: pd.DataFrame, spec: str) -> pd.Series:
    """Cells that have every ``key=value`` pair of ``spec``; none when a key is not a column."""
    mask = pd.Series(True, index=done.index)
    for pair in fan_pairs(spec):
        key, _, value = pair.partition("=")
        column = column_name(key.strip().lstrip("+~"))
        if column not in done:
            return pd.Series(False, index=done.index)
        mask &= _equals(done[column], override_value(value.strip()))
    return mask


def _equals(column: pd.Series, value: Any) -> pd.Series:
    """Cells whose value is ``value``: numerically when both are numbers (1 == 1.0); null is a
    missing value (``parameter_sets=null``)."""
    if value is None:
        return column.isna()
    numbers = pd.to_numeric(column, errors="coerce")
    if isinstance(value, (int, float)) and numbers.notna().all():
        return pd.Series(np.isclose(numbers, value), index=column.index)
    return column.astype(str) == str(value)


def _label(row: pd.Series, swept: Sequence[str] = ()) -> str:
    """A fan's legend entry: the cell and its values of the swept keys (challenges if none)."""
    columns = [column_name(k) for k in swept if column_name(k) in row.index]
    names = [c for c in CHALLENGES if c in columns] + [c for c in columns if c not in CHALLENGES]
    names = names or [c for c in CHALLENGES if c in row.index]
    values = ", ".join(f"{_words(n)} {'null' if pd.isna(row[n]) else _number(row[n])}" for n in names)
    return f"cell {row['cell']}: {values}" if values else f"cell {row['cell']}"


def _words(column: str) -> str:
    return column.replace("_", " ")


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float, np.number)) else str(value)
