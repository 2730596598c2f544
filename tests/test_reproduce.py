"""hedgesim-reproduce: the folder it writes, its exit status, and the committed baseline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hedgesim.analysis.pass_rules import context_rows, judge
from hedgesim.analysis.targets import targets_from_mapping
from hedgesim.workflows import reproduction as rep
from hedgesim.workflows import reproduction_report as report
from hedgesim.workflows.results import is_complete, sha256
from hedgesim.workflows.targets_file import TARGETS_FILE, read_targets
from target_rows import level_row

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


def test_a_rerun_with_the_same_numbers_changes_no_file(small, tmp_path):
    """Time, duration, versions and commit alone do not rewrite the manifest: a reproduction
    whose numbers agree leaves every committed file byte for byte, and the folder complete."""
    _, out = small
    again = tmp_path / "baseline"
    shutil.copytree(out, again)
    before = {p.name: sha256(p) for p in again.iterdir()}
    rep.main(["--replicates", "24", "--seed", "7", "--out", str(again)])
    assert {p.name: sha256(p) for p in again.iterdir()} == before and is_complete(again)
    manifest = json.loads((again / "manifest.json").read_text(encoding="utf-8"))
    assert {"seconds", "versions", "git_commit", "finished_utc"} <= set(manifest)
    rep.main(["--replicates", "24", "--seed", "8", "--out", str(again)])  # other numbers: rewritten
    assert json.loads((again / "manifest.json").read_text(encoding="utf-8"))["seed"] == 8


def test_report_lists_every_evaluated_target_with_source_and_result(small):
    _, out = small
    report = (out / "report.md").read_text(encoding="utf-8")
    evaluated = [t for t in read_targets() if t.evaluate]
    for t in evaluated:
        line = next(ln for ln in report.splitlines() if ln.startswith(f"| {t.id} |"))
        assert t.source.split(" (")[0] in line and ("pass" in line or "FAIL" in line)
    assert "naive persistence" in report and "Context rows" in report
    visa = next(ln for ln in report.splitlines() if ln.startswith("| visa_signed_2020_01 |"))
    assert "| months after 2020-01 (the observed date" in visa
    assert "| median month concluded within 12 months of 2020-01 |" in visa
    table = pd.read_csv(out / "targets.csv")
    assert table["id"].tolist() == [t.id for t in evaluated]
    assert table["class"].tolist() == [t.role for t in evaluated]
    context = pd.read_csv(out / "context.csv")
    assert context["id"].tolist() == [t.id for t in read_targets() if not t.evaluate]


def test_exit_status_says_whether_every_target_passes(small):
    code, out = small
    table = pd.read_csv(out / "targets.csv")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert code == (0 if table["passed"].all() else rep.EXIT_FAILED)
    evidence = table[table["class"] == "evidence"]
    assert manifest["targets"] == len(evidence) and manifest["replicates"] == 24
    assert manifest["passed"] == int(evidence["passed"].sum())
    assert manifest["failed"] == evidence.loc[~evidence["passed"], "id"].tolist()
    fitted = table[table["class"] == "fitted"]
    assert manifest["fitted_targets"] == len(fitted)
    assert manifest["fitted_passed"] == int(fitted["passed"].sum())


def test_the_report_counts_evidence_only_and_flags_single_value_bands():
    targets = targets_from_mapping(
        {
            "targets": [
                level_row("moves"),
                level_row("stuck"),
                level_row("fails"),
                level_row(
                    "set_by_a_parameter", **{"class": "fitted", "reason": "sanctions_full is set from it"}
                ),
                level_row("outside", **{"class": "context", "reason": "before 2008"}),
            ]
        }
    )
    values = {
        "moves": np.array([20.0, 22.0, 24.0]),
        "stuck": np.array([23.0, 23.0, 23.0]),
        "fails": np.array([38.0, 40.0, 42.0]),  # z = 3
        "set_by_a_parameter": np.array([50.0, 50.0, 50.0]),  # fails, but is not evidence
    }
    table = pd.DataFrame([judge(t, values[t.id]) for t in targets if t.evaluate])
    context = context_rows(targets)
    facts = {"command": "c", "replicates": 3, "seed": 1, "scenario": "s"}
    facts |= report.evidence_facts(table, context)
    assert (facts["passed"], facts["targets"], facts["failed"]) == (2, 3, ["fails"])
    assert facts["loss"] == pytest.approx((0 + (1 / 6) ** 2 + 3**2) / 3)
    assert (facts["fitted_passed"], facts["fitted_targets"], facts["context_rows"]) == (0, 1, 1)
    assert facts["single_value_bands"] == ["stuck"]
    naive = {"persistence": table}
    text = report.report_markdown(table, targets, context, naive, facts)
    assert "**2/3 evidence targets pass; loss 3.009**" in text
    assert "0/1 fitted targets pass" in text and "1 context rows" in text
    assert "23 .. 23 (single value)" in text and "- `stuck`" in text
    fitted_section = text.split("## Fitted targets", 1)[1].split("##", 1)[0]
    assert "set_by_a_parameter" in fitted_section and "sanctions_full is set from it" in fitted_section
    failing = text.split("## Failing evidence targets", 1)[1].split("##", 1)[0]
    assert "`fails`" in failing and "set_by_a_parameter" not in failing
    assert "2/3 targets pass" in text  # the naive comparison also counts evidence only


def test_rerun_replaces_the_folder_whole(small, tmp_path, capsys):
    out = tmp_path / "baseline"
    out.mkdir()
    (out / "stale.txt").write_text("from an older run")  # one this hedgesim does not write...
    earlier = {"command": "hedgesim-reproduce", "files": ["stale.txt"]}
    (out / "manifest.json").write_text(json.dumps(earlier))  # ...but an earlier run of it did
    rep.main(["--replicates", "5", "--seed", "7", "--out", str(out)])
    assert not (out / "stale.txt").exists() and is_complete(out)
    (out / "mine.txt").write_text("a file no run wrote")
    assert rep.main(["--replicates", "5", "--seed", "7", "--out", str(out)]) == rep.EXIT_USAGE
    assert "holds files this command does not write (mine.txt)" in capsys.readouterr().err
    assert (out / "mine.txt").exists() and is_complete(out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--replicates", "0"], "--replicates=0"),
        (["--replicates", "2000000000"], "--replicates=2000000000 x 156 months needs about"),
        (["params.no_such_knob=1"], "no_such_knob"),
        (["parameter_sets=plausible"], "this command sets parameter_sets itself; allowed: --parameter-sets"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert rep.main([*args, "--out", str(tmp_path / "x")]) == rep.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("hedgesim-reproduce: error:")
    assert not (tmp_path / "x").exists()


def test_the_report_names_the_parameters_an_override_changed(tmp_path):
    """A run on params=default is not reported as the calibrated parameters."""
    out = tmp_path / "default"
    rep.main(["params=default", "params.trust_floor=0.1", "--replicates", "3", "--out", str(out)])
    first = (out / "report.md").read_text(encoding="utf-8").split("\n\n")[1]
    assert "the configured calibrated parameters" not in first
    assert first.endswith(
        "the configured parameters with `params=default`, `params.trust_floor=0.1`, not the calibrated "
        "parameters alone)."
    )
    assert report.parameters_used(None, ["scenario.end=2020-06"]) == "the configured calibrated parameters"


def test_the_record_names_the_targets_and_validation_files_given(tmp_path):
    """Another targets file or validation summary is named in the report and the manifest: the
    folder would read as the committed reproduction's otherwise."""
    for name in ("targets.yaml", "bfpi.yaml", "trade_shares.yaml"):
        shutil.copy(TARGETS_FILE.parent / name, tmp_path / name)
    summary = json.loads((ROOT / rep.VALIDATION_SUMMARY).read_text(encoding="utf-8"))
    (tmp_path / "summary.json").write_text(json.dumps(summary | {"beats_both_at_every_origin": False}))
    out = tmp_path / "out"
    given = ["--targets", str(tmp_path / "targets.yaml"), "--validation", str(tmp_path / "summary.json")]
    rep.main([*given, "--replicates", "3", "--out", str(out)])
    command = " ".join(["hedgesim-reproduce", *given])
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["command"] == command
    text = (out / "report.md").read_text(encoding="utf-8")
    assert f"Command: `{command}` (3 replicates" in text
    assert f"**Out of sample (hedgesim-validate, {tmp_path / 'summary.json'}): on the pre-registered" in text
    assert "the model does NOT beat both benchmarks" in text and "results/validation/" not in text
    default = rep.parse_args(["--validation", str(rep.VALIDATION_SUMMARY), "--targets", str(TARGETS_FILE)])
    assert rep.options_given(default) == []  # the defaults named: the committed record stays as it is


def test_a_targets_file_of_context_rows_only_is_one_line(tmp_path, capsys):
    """Nothing to judge: refused on reading, not with a traceback after the targets are loaded."""
    context = level_row("before_the_run", **{"class": "context", "reason": "before 2008"})
    (tmp_path / "context.yaml").write_text(yaml.safe_dump({"targets": [context]}), encoding="utf-8")
    args = ["--targets", str(tmp_path / "context.yaml"), "--out", str(tmp_path / "x")]
    assert rep.main(args) == rep.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "hedgesim-reproduce: error: targets: no row is judged (all 1 are context); "
        "allowed: at least one evidence or fitted target"
    ]
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
