"""hedgesim-reproduce: the folder it writes, its exit status, and the committed baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hedgesim.workflows import reproduction as rep
from hedgesim.workflows.results import is_complete
from hedgesim.workflows.targets_file import read_targets

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "results" / "baseline"
TABLES = ("targets.csv", "context.csv", "bands.csv", "observed.csv", "comparison.csv")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("repro") / "baseline"
    code = rep.main(["--replicates", "24", "--seed", "7", "--out", str(out)])
    return code, out


def test_folder_is_complete_with_every_table_and_figure(small):
    _, out = small
    assert is_complete(out)
    assert sorted(p.name for p in out.iterdir()) == sorted([*rep.FILES, "manifest.json"])
    assert not list(out.parent.glob(".baseline.*"))  # no staging folder left behind
    assert (out / "targets.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_lists_every_evaluated_target_with_source_and_result(small):
    _, out = small
    report = (out / "report.md").read_text(encoding="utf-8")
    evaluated = [t for t in read_targets() if t.evaluate]
    for t in evaluated:
        line = next(ln for ln in report.splitlines() if ln.startswith(f"| {t.id} |"))
        assert t.source.split(" (")[0] in line and ("pass" in line or "FAIL" in line)
    assert "naive persistence" in report and "Context rows" in report
    table = pd.read_csv(out / "targets.csv")
    assert table["id"].tolist() == [t.id for t in evaluated]


def test_exit_status_says_whether_every_target_passes(small):
    code, out = small
    table = pd.read_csv(out / "targets.csv")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert code == (0 if table["passed"].all() else rep.EXIT_FAILED)
    assert manifest["passed"] == int(table["passed"].sum()) and manifest["replicates"] == 24
    assert manifest["failed"] == table.loc[~table["passed"], "id"].tolist()


def test_rerun_replaces_the_folder_whole(small, tmp_path):
    out = tmp_path / "baseline"
    out.mkdir()
    (out / "stale.txt").write_text("from an older run")
    rep.main(["--replicates", "5", "--seed", "7", "--out", str(out)])
    assert not (out / "stale.txt").exists() and is_complete(out)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--replicates", "0"], "--replicates=0"), (["params.no_such_knob=1"], "no_such_knob")],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert rep.main([*args, "--out", str(tmp_path / "x")]) == rep.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("hedgesim-reproduce: error:")
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_fresh_run_matches_the_committed_baseline(tmp_path):
    """The committed results/baseline/ is what hedgesim-reproduce produces on this source tree."""
    manifest = json.loads((COMMITTED / "manifest.json").read_text(encoding="utf-8"))
    out = tmp_path / "baseline"
    code = rep.main(
        [
            *manifest["overrides"],
            "--replicates",
            str(manifest["replicates"]),
            "--seed",
            str(manifest["seed"]),
            "--out",
            str(out),
        ]
    )
    for name in TABLES:
        fresh, committed = pd.read_csv(out / name), pd.read_csv(COMMITTED / name)
        pd.testing.assert_frame_equal(fresh, committed, check_exact=False, rtol=1e-7, atol=1e-9, obj=name)
    assert code == (0 if not manifest["failed"] else rep.EXIT_FAILED)
