"""Sweeps of odd but legal values and grids of odd shapes: what the summary, the dataset and the
figures make of them."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from omegaconf import OmegaConf

from conftest import run_cli
from hedgesim.workflows.sweep import callback, figures, plan

HUGE_SEED = "99999999999999999999"  # past 64 bits; a seed is any integer >= 0


def test_a_seed_past_64_bits_is_aggregated_as_its_digits(tmp_path):
    """The cells ran, then the aggregation failed (OverflowError) and left no summary."""
    folder = tmp_path / "mr"
    given = [f"seed=1,{HUGE_SEED}", "replicates=1", "scenario.end=2008-03", "output.events=false"]
    result = run_cli("-m", *given, "hydra/launcher=basic", f"hydra.sweep.dir={folder}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    table = pd.read_parquet(folder / "summary.parquet")
    assert table["status"].tolist() == ["complete", "complete"]
    assert table["seed"].tolist() == ["1", HUGE_SEED]
    assert table["replicates"].tolist() == [1, 1]
    dataset = pd.read_parquet(folder / "dataset", filters=[("seed", "==", HUGE_SEED)])
    assert dataset["cell"].astype(int).unique().tolist() == [1] and len(dataset) == 3
    assert json.loads((folder / "aggregate.json").read_text())["status"] == {"complete": 2}


def summary(cells: list[tuple[float, float, float]], **other: list) -> pd.DataFrame:
    """A summary of complete cells at these (trust, vested interests, tension)."""
    trust, vested, tension = zip(*cells, strict=True)
    return pd.DataFrame(
        {"cell": range(len(cells)), "status": "complete", "trust": trust, "vested_interests": vested}
        | {"tension": tension, "replicates": 4, "p_framework_by_2030": 0.5, **other}
    )


def test_cells_that_fill_only_some_squares_of_their_grid_draw_no_heatmap():
    """``challenges=baseline,high_tension,optimistic``: 3 cells were drawn as 3 panels of 2 x 2,
    9 blank grey squares among them, read as cells that never ran."""
    options = summary([(0.5, 0.5, 0.3), (0.5, 0.5, 0.7), (0.8, 0.2, 0.2)])
    options["challenges"] = ["baseline", "high_tension", "optimistic"]
    layout, why = figures.heatmap_layout(options, ["challenges"])
    assert layout is None
    assert why == (
        "the 3 cells fill 3 of the 12 squares of trust x vested interests x tension "
        "(challenges sets them together); read them from summary.csv"
    )
    full = summary([(t, 0.5, x) for t in (0.5, 0.8) for x in (0.3, 0.7)])
    layout, why = figures.heatmap_layout(full, ["challenges", "challenges.trust"])
    assert layout == ("trust", "tension", None)
    assert why == "trust x tension, vested interests held at 0.5, 4 replicates per cell"


def test_one_fan_cell_given_to_the_sweep_as_a_string_is_that_cell(tmp_path, capsys):
    """``'hydra.callbacks.aggregate.fans=\\'challenges.trust=1\\''`` was read letter by letter and
    refused before any cell ran (``fans='c': no key=value``)."""
    sweep = callback.AggregateSweep("challenges.trust=1", n_jobs=1)
    assert sweep.fans == ["challenges.trust=1"]
    task = ["challenges.trust=0,1", "replicates=2"]
    sweeper = {"_target_": plan.BASIC_SWEEPERS[1], "params": None}
    config = OmegaConf.create({"hydra": {"sweeper": sweeper, "overrides": {"task": task}}})
    sweep.on_multirun_start(config)  # the plan's keys allow it: no exit
    assert capsys.readouterr().err == ""
    with pytest.raises(SystemExit) as stop:
        callback.AggregateSweep("challenges.trus=1").on_multirun_start(config)
    assert stop.value.code == 2
    assert "fans='challenges.trus=1': 'challenges.trus' is not a key" in capsys.readouterr().err


def test_a_fine_grid_is_drawn_by_colour_with_ticks_evenly_spaced():
    """A 51 x 51 sweep (``range(0,1.01,0.02)`` twice) drew 2,601 labels and 51 ticks an axis on a
    figure 4.5 inches wide: one smear. A grid of up to 12 a side keeps its labels and ticks."""
    import matplotlib.pyplot as plt

    from hedgesim.plots import sweep as sweep_plots

    levels = [round(k / 50, 2) for k in range(51)]
    fine = summary([(t, 0.5, x) for t in levels for x in levels], p_visa_by_2025=0.25)
    figure = sweep_plots.HeatmapFigure(fine, "trust", "tension", None).show("p_visa_by_2025")
    (ax,) = [a for a in figure.axes if a.get_xlabel() == "tension"]
    assert [t.get_text() for t in ax.texts] == []
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"]
    assert len(ax.get_yticklabels()) == 11
    plt.close(figure)
    coarse = summary([(t, 0.5, x) for t in levels[:12] for x in levels[:3]], p_visa_by_2025=0.25)
    figure = sweep_plots.HeatmapFigure(coarse, "trust", "tension", None).show("p_visa_by_2025")
    (ax,) = [a for a in figure.axes if a.get_xlabel() == "tension"]
    assert [t.get_text() for t in ax.texts] == ["0.25"] * 36
    assert len(ax.get_yticklabels()) == 12
    plt.close(figure)


def test_the_challenge_with_the_fewest_values_makes_the_panels():
    """2 x 2 x 300 cells drew 300 panels side by side, a figure 872 inches wide that took minutes;
    the two values of trust make the panels now, and with more than 12 values each none is drawn."""
    long = [round(k / 299, 4) for k in range(300)]
    cells = summary([(t, v, x) for t in (0, 1) for v in (0, 1) for x in long])
    layout, why = figures.heatmap_layout(cells)
    assert layout == ("vested_interests", "tension", "trust")
    assert why == "vested interests x tension, one panel per trust value (2), 4 replicates per cell"
    grid = summary([(t, 0.5, x) for t in (0, 0.5, 1) for x in (0, 1)])
    assert figures.heatmap_layout(grid)[0] == ("trust", "tension", None)
    dense = summary([(t, v, x) for t in range(13) for v in range(13) for x in range(13)])
    assert figures.heatmap_layout(dense) == (
        None,
        "each challenge takes more than 12 values, so one panel per value of any would be too many "
        "to read; read them from summary.csv",
    )


def test_a_fan_cell_that_is_not_text_is_refused_before_any_cell_runs(capsys):
    """``'hydra.callbacks.aggregate.fans=[1]'`` passed the check before the cells (Hydra made its
    TypeError a warning), ran every cell, then failed the aggregation and left no summary."""
    sweeper = {"_target_": plan.BASIC_SWEEPERS[1], "params": None}
    task = ["challenges.trust=0,1"]
    config = OmegaConf.create({"hydra": {"sweeper": sweeper, "overrides": {"task": task}}})
    for fans, shown in (([1], "1"), ({"a": 1}, "{'a': 1}")):
        with pytest.raises(SystemExit) as stop:
            callback.AggregateSweep(OmegaConf.create(fans)).on_multirun_start(config)
        assert stop.value.code == 2
        assert capsys.readouterr().err == (
            f"hedgesim: error: hydra.callbacks.aggregate.fans={shown}: not a cell; "
            "allowed: key=value pairs joined by commas, as text\n"
        )


def test_an_aggregation_removes_its_own_figures_only(tmp_path):
    """It removed every PNG of ``figures/``: a figure of the user's kept there was lost."""
    from hedgesim.workflows.sweep import aggregate as aggregation
    from test_sweep import hand_made_multirun

    folder = hand_made_multirun(tmp_path / "mr")
    drawn = folder / "figures"
    drawn.mkdir()
    for name in ("mine.png", "heatmap_p_old.png", "fans.png"):
        (drawn / name).write_bytes(b"png")
    aggregation.aggregate(folder, figures=False)
    assert sorted(p.name for p in drawn.iterdir()) == ["mine.png"]
    assert (drawn / "mine.png").read_bytes() == b"png"


def test_a_damaged_multirun_yaml_is_one_line_and_the_summary_stays(tmp_path, capsys):
    """An empty or unparsable ``multirun.yaml`` failed as ``AttributeError: 'dict' object has no
    attribute '_is_none'`` (exit 1), the line claiming the folder held no current summary."""
    from hedgesim.workflows.sweep import aggregate as aggregation
    from hedgesim.workflows.sweep import command
    from test_sweep import hand_made_multirun

    folder = hand_made_multirun(tmp_path / "mr")
    aggregation.aggregate(folder, figures=False)
    before = (folder / "summary.parquet").read_bytes()
    path = folder / "multirun.yaml"
    for text, why in (("", "holds no hydra settings"), ("hydra: [", "cannot be read (ParserError: ")):
        path.write_text(text)
        with pytest.raises(SystemExit) as stop:
            command.main([str(folder), "--jobs", "1"])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith(f"hedgesim-aggregate: error: {path}: {why}") and len(err.splitlines()) == 1
        assert err.endswith("; allowed: the multirun.yaml Hydra wrote when the sweep started\n")
        assert (folder / "summary.parquet").read_bytes() == before


def test_the_default_fans_say_when_every_cell_has_the_same_p_framework():
    """Runs to 2019-12 (the default scenario) have P(framework agreement) 0 in every cell, yet the
    fans claimed the cells with the lowest, middle and highest of it."""
    cells = summary([(t, 0.5, 0.3) for t in (0, 0.5, 1, 1.5)], p_framework_by_2030=0.0)
    assert figures.choose_fan_cells(cells, None) == [0, 2, 3]
    assert figures.default_fans(cells) == (
        "the first, middle and last cells (P(framework agreement) is 0 in every cell)"
    )
    cells["p_framework_by_2030"] = [0.1, 0.0, 0.3, 0.2]
    assert figures.choose_fan_cells(cells, None) == [1, 3, 2]
    assert figures.default_fans(cells) == "the lowest, middle and highest P(framework agreement)"
    cells["p_framework_by_2030"] = float("nan")
    assert figures.default_fans(cells).endswith("(P(framework agreement) is undefined in every cell)")


def test_a_null_beside_text_stays_null_and_a_fan_cell_can_name_it():
    """``parameter_sets=null,plausible``: the null cells' value must read back as null, and
    ``--fan parameter_sets=null`` must find them (it matched no cell)."""
    rows = [{"parameter_sets": None, "seed": 1}, {"parameter_sets": "plausible", "seed": HUGE_SEED}]
    table = plan.mixed_as_text(pd.DataFrame(rows))
    assert pd.isna(table["parameter_sets"].iloc[0]) and table["parameter_sets"].iloc[1] == "plausible"
    assert table["seed"].tolist() == ["1", HUGE_SEED]
    cells = summary([(0.5, 0.5, 0.3)] * 2)
    cells["parameter_sets"] = table["parameter_sets"]
    assert figures._matching(cells, "parameter_sets=null").tolist() == [True, False]
    assert figures._label(cells.iloc[0], ["parameter_sets"]) == "cell 0: parameter sets null"
