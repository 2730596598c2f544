"""The sweep's figures say what the cells ran: heatmap titles name the month the outcomes were
read at, and the fans split at the cells' own branch."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.dates as mdates
import pandas as pd
import pytest

from hedgesim.workflows.sweep import aggregate as aggregation
from hedgesim.workflows.sweep import figures
from test_sweep import synthetic

GRID = {"trust": (0.2, 0.9), "tension": (0.1, 0.8)}


def scenario_multirun(folder: Path, end: str, branch: str | None) -> Path:
    """A 2 x 2 multirun written by hand whose cells ran to ``end`` and branched at ``branch``."""
    folder.mkdir()
    plan = [f"challenges.{k}={','.join(map(str, v))}" for k, v in GRID.items()]
    (folder / "multirun.yaml").write_text(
        "hydra:\n  sweeper:\n    _target_: hydra._internal.core_plugins.basic_sweeper.BasicSweeper\n"
        f"    params: null\n  overrides:\n    task: {json.dumps(plan)}\n"
    )
    table = synthetic()
    table = table[table["date"] <= pd.Timestamp(end)]
    shown = "null" if branch is None else branch
    for trust in GRID["trust"]:
        for tension in GRID["tension"]:
            cell = folder / f"trust={trust},tension={tension}"
            (cell / ".hydra").mkdir(parents=True)
            lines = [f"challenges.tension={tension}", f"challenges.trust={trust}"]
            (cell / ".hydra" / "overrides.yaml").write_text("".join(f"- {x}\n" for x in lines))
            (cell / ".hydra" / "config.yaml").write_text(
                f"scenario:\n  name: forward_2030\n  start: 2008-01\n  end: {end}\n  branch: {shown}\n"
                f"challenges: {{trust: {trust}, vested_interests: 0.5, tension: {tension}}}\n"
                "seed: 5\nreplicates: 4\n"
            )
            table.to_parquet(cell / "trajectories.parquet")
            (cell / "manifest.json").write_text(json.dumps({"files": ["trajectories.parquet"]}))
    return folder


def drawn(folder: Path, monkeypatch) -> dict[str, tuple[str, list[pd.Timestamp]]]:
    """Aggregate ``folder``; each figure's title and the dates of its dashed lines, by file name."""
    import matplotlib.pyplot as plt

    seen = {}

    def save(figure, where, name, close=True):
        dashed = {
            mdates.num2date(line.get_xydata()[0][0]).strftime("%Y-%m")
            for ax in figure.axes
            for line in ax.get_lines()
            if line.get_linestyle() == "--"
        }
        seen[name] = (figure.get_suptitle(), sorted(dashed))
        if close:
            plt.close(figure)
        return f"figures/{name}"

    monkeypatch.setattr(figures, "_save", save)
    aggregation.aggregate(folder, n_jobs=1)
    return seen


CASES = [  # (end, branch, visa read at, framework read at, the fans' dashed lines, their title's span)
    ("2016-12", "2014-01", "2016-12", "2016-12", ["2014-01"], "history to 2013-12, then projection"),
    ("2024-12", None, "2024-12", "2024-12", [], "runs without a branch (scenario.branch): no projection"),
    ("2030-12", "2020-01", "2025-12", "2030-12", ["2020-01"], "history to 2019-12, then projection"),
]


@pytest.mark.parametrize(("end", "branch", "visa", "framework", "lines", "span"), CASES)
def test_heatmap_titles_name_the_month_the_outcome_was_read_at(
    tmp_path, monkeypatch, end, branch, visa, framework, lines, span
):
    """A sweep of runs to 2019-12 had heatmaps titled 'concluded by 2030-12': the outcome's name
    carries its horizon, but the runs were read at their last month."""
    seen = drawn(scenario_multirun(tmp_path / "mr", end, branch), monkeypatch)
    title, _ = seen["heatmap_p_visa_by_2025.png"]
    assert title.startswith(f"Share of replicates with visa facilitation concluded by {visa}\n(")
    title, _ = seen["heatmap_p_framework_by_2030.png"]
    assert title.startswith(f"Share with a framework agreement concluded by {framework}\n(")
    if framework != "2030-12":
        assert "2030" not in title.splitlines()[0]
        assert title.endswith(f"(the runs end at {end}, before 2030-12; 4 replicates per cell)")
    else:
        assert title.endswith("\n(4 replicates per cell)")


@pytest.mark.parametrize(("end", "branch", "visa", "framework", "lines", "span"), CASES)
def test_fans_split_at_the_cells_own_branch(tmp_path, monkeypatch, end, branch, visa, framework, lines, span):
    """Fans of cells branching at 2014-01 drew the split at forward_2030's 2020-01, or none (and
    'no projection') when the runs ended before 2020; runs without a branch drew it at 2020-01."""
    title, dashed = drawn(scenario_multirun(tmp_path / "mr", end, branch), monkeypatch)["fans.png"]
    assert dashed == lines
    assert title.endswith(f"({span}{' from ' + branch if branch else ''})")
