"""docs/tutorial.ipynb: committed without outputs, and runs from top to bottom (slow)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"


def test_the_tutorial_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the tutorial has no code"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def outputs_text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.slow
def test_the_tutorial_runs_from_top_to_bottom(tmp_path):
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, when a cell fails
    text = outputs_text(notebook)
    assert "20 replicates, 2008-01 to 2019-12" in text
    assert "hedgesim: aggregated 4/4 cells" in text
    assert "hedgesim: drew figures/heatmap_p_collapse.png: trust x tension" in text
    images = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) >= 3  # the ensemble, the comparison, the sweep's heatmap
    assert list(tmp_path.iterdir()) == []  # the sweep went to a temporary folder, not the working one


def test_the_tutorial_says_when_the_forward_scenarios_dated_shocks_end_and_its_branch():
    from hedgesim.api import base_spec

    spec = base_spec("forward_2030")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    (comparison,) = [c.source for c in notebook.cells if c.source.startswith("## 3. Compare")]
    text = " ".join(comparison.split())
    assert f"the dated shocks to {spec.timeline.shocks[-1].date}" in text
    assert f"the model draws itself from {spec.stochastic.start}" in text
    assert f"branch, {spec.branch}" in text
    assert "2019" not in text  # the dated history runs past 2019: only the challenges start in 2020
