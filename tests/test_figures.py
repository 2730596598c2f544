"""Figures a user reads: one unit for the relations indices, shocks told apart, sweeps that say
what they drew and what they left out."""

from __future__ import annotations

import json

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from conftest import run_cli
from hedgesim.analysis import outcomes as summary
from hedgesim.analysis.bands import bimonthly_bands
from hedgesim.core.shocks import KINDS
from hedgesim.plots import relations, sweep
from hedgesim.workflows.sweep import aggregate, figures, plan

matplotlib.use("Agg")  # figures go to files; never a window

DATES = pd.date_range("2008-01-01", "2009-12-01", freq="MS")


def monthly(values_by_replicate: dict[int, np.ndarray]) -> pd.DataFrame:
    """A trajectories table whose four relations indices all take the given monthly values."""
    parts = []
    for replicate, values in values_by_replicate.items():
        frame = pd.DataFrame({"date": DATES, "replicate": replicate})
        for column in relations.RELATIONS:
            frame[column] = values
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


# --- one unit: points per two months -----------------------------------------------------


def test_bimonthly_bands_are_two_month_sums_dated_by_the_period_start():
    months = np.arange(len(DATES), dtype=float)  # 0, 1, 2, ... points in each month
    bands = bimonthly_bands(monthly({0: months, 1: months + 2}), ["relations_eu"])
    assert list(bands["date"][:2]) == [pd.Timestamp("2008-01-01"), pd.Timestamp("2008-03-01")]
    assert len(bands) == len(DATES) // 2
    # Jan + Feb of replicate 0 is 0 + 1, of replicate 1 is 2 + 3: median 3
    assert bands["median"].iloc[0] == 3.0
    assert bands["low"].iloc[0] == pytest.approx(1 + 0.05 * 4)
    assert bands["median"].iloc[-1] == (22 + 23 + 24 + 25) / 2


def test_relations_figure_draws_the_indices_in_points_per_two_months():
    flat = monthly({0: np.full(len(DATES), 8.0), 1: np.full(len(DATES), 8.0)})
    fig = relations.relations_figure(flat)
    try:
        panels = fig.axes[: len(relations.RELATIONS)]
        for ax in panels:
            assert "points per two months" in ax.get_ylabel()
            steps = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
            assert set(np.asarray(steps[0].get_ydata(), float)) == {16.0}  # 8 a month
        assert "points per two months" in fig.get_suptitle() and "2 replicates" in fig.get_suptitle()
    finally:
        plt.close(fig)


def test_the_sweep_summary_reports_eu_relations_per_two_months():
    trajectories = pd.DataFrame(
        {
            "date": np.tile(pd.date_range("2030-01-01", "2030-12-01", freq="MS"), 2),
            "replicate": np.repeat([0, 1], 12),
            "relations_eu": 4.0,
            "hedge_eu": 0.2,
            "hedge_russia": 0.5,
        }
    )
    per = summary.replicate_outcomes(
        trajectories.assign(**{m: pd.Categorical(["concluded"] * 24) for m in summary.MILESTONES}),
        summary.Horizons(low_year=2030, collapse_after=2029),
    )
    assert (per["relations_eu_2030"] == 8.0).all()
    assert "points per two months" in summary.DEFAULT.names()["median_relations_eu_2030"]


def test_fans_draw_eu_relations_per_two_months():
    fig = sweep.fans({"cell 0": monthly({0: np.full(len(DATES), 3.0)}).assign(hedge_eu=0.25)})
    try:
        top = fig.axes[0]
        assert "points per two months" in top.get_ylabel()
        assert set(np.asarray(top.get_lines()[0].get_ydata(), float)) == {6.0}
    finally:
        plt.close(fig)


# --- shock kinds told apart --------------------------------------------------------------


def test_every_shock_kind_has_its_own_colour_and_marker():
    assert set(relations.SHOCK_STYLES) == set(KINDS)
    colours = [c for c, _ in relations.SHOCK_STYLES.values()]
    markers = [m for _, m in relations.SHOCK_STYLES.values()]
    assert len(set(colours)) == len(colours) and len(set(markers)) == len(markers)


def test_the_shock_strip_has_a_row_per_kind_and_names_the_largest_shocks():
    shocks = pd.DataFrame(
        [
            {"date": "2008-03-01", "end": "2008-03-01", "kind": "institutional", "size": 0.25,
             "label": "a protocol", "id": "p"},
            {"date": "2008-08-01", "end": "2008-08-01", "kind": "election", "size": 1.0,
             "label": "the crackdown after the election (many arrests)", "id": "e"},
            {"date": "2009-01-01", "end": "2009-06-01", "kind": "oil_dispute", "size": 0.5,
             "label": "a dispute", "id": "d"},
        ]
    )  # fmt: skip
    fig = relations.relations_figure(monthly({0: np.zeros(len(DATES))}), shocks)
    try:
        strip = fig.axes[0]
        assert [t.get_text() for t in strip.get_yticklabels()] == ["election", "oil dispute", "institutional"]
        colours = {t.get_text(): t.get_color() for t in strip.get_yticklabels()}
        assert colours["election"] == relations.SHOCK_STYLES["election"][0]
        names = [t.get_text() for t in strip.texts]
        assert names == ["crackdown after the election"]  # only the size-1 shock; no article
        for ax in fig.axes:
            assert ax.get_legend() is None  # the legend sits outside every panel
        assert len(fig.legends) == 1
    finally:
        plt.close(fig)


@pytest.mark.parametrize("label", [r"$\foo$", "a price of $5 and $6"])
def test_a_shock_label_with_dollar_signs_is_drawn_as_written(label, tmp_path):
    """A label from the user's own shock file is text: "$" neither fails the figure (mathtext
    cannot parse it) nor typesets the words between two of them as a formula."""
    shocks = pd.DataFrame(
        [{"date": "2008-08-01", "end": "2008-08-01", "kind": "war", "size": 1.0, "label": label, "id": "w"}]
    )
    fig = relations.relations_figure(monthly({0: np.zeros(len(DATES))}), shocks)
    try:
        fig.savefig(tmp_path / "relations.png")
        assert [t.get_text() for t in fig.axes[0].texts] == [label]
        assert [t.get_parse_math() for t in fig.axes[0].texts] == [False]
    finally:
        plt.close(fig)


# --- sweeps say what they drew -----------------------------------------------------------


def summary_table(grid: dict[str, list[float]], status: list[str] | None = None) -> pd.DataFrame:
    """A sweep summary over the product of ``grid``; the other challenges held at 0.5."""
    index = pd.MultiIndex.from_product(list(grid.values()), names=list(grid))
    table = index.to_frame(index=False)
    for name in plan.CHALLENGES:
        if name not in table:
            table[name] = 0.5
    table.insert(0, "cell", range(len(table)))
    table["status"] = status or ["complete"] * len(table)
    table["replicates"] = 10
    for i, outcome in enumerate(summary.PROBABILITIES):
        table[outcome] = np.linspace(0, 1, len(table))[::-1] if i % 2 else np.linspace(0, 1, len(table))
    table.loc[table["status"] != "complete", list(summary.PROBABILITIES)] = np.nan
    return table


def write_parts(folder, table: pd.DataFrame) -> None:
    frame = monthly({0: np.ones(len(DATES)), 1: np.ones(len(DATES))}).assign(hedge_eu=0.3)
    for cell in table.loc[table["status"] == "complete", "cell"]:
        part = plan.dataset_part(folder, int(cell))
        part.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(part)


def test_two_swept_challenges_give_heatmaps_whichever_they_are(tmp_path):
    table = summary_table({"trust": [0.0, 1.0], "tension": [0.2, 0.8]})
    write_parts(tmp_path, table)
    notes = figures.draw_figures(tmp_path, table, None, ["challenges.tension", "challenges.trust"])
    drawn = [n.name for n in notes if n.drawn]
    assert drawn == [f"figures/heatmap_{p}.png" for p in summary.PROBABILITIES] + ["figures/fans.png"]
    assert notes[0].line() == (
        f"drew figures/heatmap_{summary.PROBABILITIES[0]}.png: trust x tension, "
        "vested interests held at 0.5, 10 replicates per cell"
    )
    for name in drawn:
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert plt.get_fignums() == []


def test_three_swept_challenges_give_a_panel_per_value_of_the_third():
    table = summary_table({"trust": [0, 1], "vested_interests": [0, 0.5, 1], "tension": [0, 0.5, 1, 2]})
    layout, shown = figures.heatmap_layout(table)
    assert layout == ("trust", "vested_interests", "tension")
    assert "one panel per tension value (4)" in shown
    fig = sweep.heatmaps(table, "p_collapse", *layout)
    try:
        panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        assert [ax.get_title() for ax in panels] == ["tension 0", "tension 0.5", "tension 1", "tension 2"]
        assert panels[0].get_images()[0].get_array().shape == (2, 3)
        assert "(10 replicates per cell)" in fig.get_suptitle()
        assert fig.get_suptitle().startswith("Share whose EU relations fell below")
    finally:
        plt.close(fig)


def test_a_heatmap_square_of_a_failed_or_missing_cell_says_so():
    table = summary_table({"trust": [0, 1], "tension": [0, 1]}, ["complete", "failed", "complete", "missing"])
    fig = sweep.heatmaps(table, "p_visa_by_2025", "trust", "tension", None)
    try:
        texts = sorted(t.get_text() for t in fig.axes[0].texts)
        assert texts == sorted(["0.00", "failed", "0.67", "not run"])
        assert fig.axes[0].get_title() == "vested interests 0.5"
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    "grid, swept, why",
    [
        ({"trust": [0, 0.5, 1]}, ["challenges.trust"], "only trust is swept; a heatmap needs two"),
        ({"seed": [1, 2]}, ["seed"], "no challenge is swept; a heatmap needs two"),
        (
            {"trust": [0, 1], "tension": [0, 1], "params.trust_loss": [0.1, 0.2]},
            ["challenges.tension", "challenges.trust", "params.trust_loss"],
            "params.trust_loss is swept as well as trust and tension, so a square would hold several",
        ),
    ],
)
def test_heatmaps_left_out_say_why(tmp_path, grid, swept, why):
    table = summary_table(grid)
    write_parts(tmp_path, table)
    notes = figures.draw_figures(tmp_path, table, None, swept)
    skipped = [n.line() for n in notes if not n.drawn]
    assert len(skipped) == 1 and skipped[0].startswith("skipped heatmaps: ") and why in skipped[0]
    assert not list(tmp_path.glob("figures/heatmap_*"))
    assert [n.name for n in notes if n.drawn] == ["figures/fans.png"]


def test_fan_cells_left_out_are_named(tmp_path):
    states = ["complete", "failed", "complete", "complete"]
    table = summary_table({"trust": [0, 1], "tension": [0, 1]}, states)
    write_parts(tmp_path, table)
    asked = ["challenges.trust=0,challenges.tension=1", "challenges.trust=0.3", "challenges.tension=0"]
    notes = figures.draw_figures(tmp_path, table, asked, ["challenges.tension", "challenges.trust"])
    lines = [n.line() for n in notes if "heatmap" not in n.name]
    assert lines[0] == (
        "drew figures/fans.png: EU relations and hedge, the cells asked for: cell 0: trust 0, tension 0"
    )
    assert lines[1:] == [
        "skipped fan 'challenges.trust=0,challenges.tension=1': its cell is not complete (cell 1 failed)",
        "skipped fan 'challenges.trust=0.3': no cell of the sweep has these values",
        "skipped cell 2 from the fans: 'challenges.tension=0' matches 2 cells and the fan shows the "
        "first, cell 0; name every swept key to pick one",
    ]


def test_the_sweeps_output_lists_what_was_drawn_and_skipped(tmp_path, capsys):
    table = summary_table({"trust": [0, 1]})
    write_parts(tmp_path, table)
    notes = figures.draw_figures(tmp_path, table, None, ["challenges.trust"])
    (tmp_path / aggregate.RECORD).write_text(json.dumps({"figure_notes": [n.line() for n in notes]}))
    aggregate.report(tmp_path, table)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"hedgesim: aggregated 2/2 cells into {tmp_path}"
    assert err[1].startswith("hedgesim: skipped heatmaps: only trust is swept")
    assert err[2].startswith("hedgesim: drew figures/fans.png: ")
    assert len(err) == 3


@pytest.mark.slow
def test_a_sweep_of_trust_and_tension_draws_heatmaps_and_says_so(tmp_path):
    folder = tmp_path / "mr"
    args = ["challenges.trust=0,1", "challenges.tension=0.2,0.8", "replicates=10", "scenario=forward_2030"]
    result = run_cli("-m", *args, "hydra/launcher=basic", f"hydra.sweep.dir={folder}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    heatmaps = sorted(p.name for p in (folder / "figures").glob("*heatmap*"))
    assert heatmaps == sorted(f"heatmap_{p}.png" for p in summary.PROBABILITIES)
    for name in heatmaps:
        line = f"hedgesim: drew figures/{name}: trust x tension, vested interests held at 0.5, 10 replicates"
        assert line in result.stderr
    assert "hedgesim: drew figures/fans.png: EU relations and hedge" in result.stderr
    record = json.loads((folder / "aggregate.json").read_text())
    assert record["figures"] == [
        f"figures/{n}" for n in (*[f"heatmap_{p}.png" for p in summary.PROBABILITIES], "fans.png")
    ]


def test_a_heatmap_figure_redrawn_for_another_outcome_shows_that_outcome_alone():
    """The sweep draws its four heatmaps on one figure in turn: each must show its own outcome's
    shares, labels, label colours and title, nothing left of the one before."""
    table = summary_table({"trust": [0, 1], "tension": [0, 1]}, ["complete", "failed", "complete", "missing"])
    table.loc[0, "p_collapse"], table.loc[2, "p_collapse"] = 0.9, 0.1
    drawing = sweep.HeatmapFigure(table, "trust", "tension", None)
    try:
        for outcome in ("p_collapse", "p_visa_by_2025", "p_collapse"):
            shown = drawing.show(outcome)
            done = table[table["status"] == "complete"]
            expected = {(f"{v:.2f}", "white" if v < 0.5 else "black") for v in done[outcome]}
            expected |= {("failed", "0.3"), ("not run", "0.3")}
            labels = {(t.get_text(), t.get_color()) for t in shown.axes[0].texts if t.get_text()}
            assert labels == expected
            squares = shown.axes[0].get_images()[0].get_array()
            grid = table.set_index(["trust", "tension"])[outcome].unstack().to_numpy(float)
            np.testing.assert_array_equal(np.ma.filled(squares, np.nan), grid)
            assert shown.get_suptitle() == sweep.heatmap_title(table, outcome)
    finally:
        plt.close(drawing.figure)


def test_a_timeline_of_thousands_of_shocks_draws_a_collection_per_kind_not_an_artist_per_shock():
    """A run with 10,000 dated shocks spent eight minutes drawing relations.png, an artist per shock
    and panel; the lines and markers are now one collection per kind and strength."""
    n = 2_000
    kinds = ["war", "election", "oil_dispute"]
    shocks = pd.DataFrame(
        {
            "date": pd.date_range("2008-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "kind": [kinds[i % 3] for i in range(n)],
            "size": [1.0 if i % 10 == 0 else 0.25 for i in range(n)],
            "label": [f"shock {i}" for i in range(n)],
        }
    )
    fig = relations.relations_figure(monthly({0: np.zeros(len(DATES))}), shocks)
    try:
        strip, panel = fig.axes[0], fig.axes[1]
        assert len(panel.lines) <= 2 and len(panel.collections) <= 2 * len(kinds) + 1  # + the band
        widths = sorted({float(c.get_linewidth()[0]) for c in panel.collections[1:]})
        assert widths == [0.6, 1.0]  # the large shocks stronger, the others not
        assert len(strip.collections) <= 2 * len(kinds)
    finally:
        plt.close(fig)
