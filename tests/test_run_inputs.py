"""A run folder written again, and the inputs of hedgesim-reproduce: what is kept, what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hedgesim import cli
from hedgesim.workflows import reproduction as rep
from hedgesim.workflows import reproduction_options as rep_options
from hedgesim.workflows.results import is_complete

ROOT = Path(__file__).resolve().parents[1]


def listed(out: Path) -> list[str]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]


def test_a_rerun_into_the_same_folder_leaves_only_its_own_files(tmp_path, monkeypatch):
    """The events and figure of an earlier run go when the rerun writes none; a file the user
    put there, or one changed since the earlier run wrote it, stays."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    cli.main(["replicates=2", f"hydra.run.dir={out}", "output.events=true", "output.figure=true"])
    assert {"events.parquet", "relations.png"} <= set(listed(out))
    (out / "notes.txt").write_text("mine")
    cli.main(["replicates=2", f"hydra.run.dir={out}", "output.events=false", "output.figure=false"])
    files = sorted(p.name for p in out.iterdir() if p.is_file())
    assert files == sorted(["cli.log", "config.yaml", "manifest.json", "notes.txt", "trajectories.parquet"])
    assert listed(out) == ["trajectories.parquet", "config.yaml"] and is_complete(out)
    cli.main(["replicates=2", f"hydra.run.dir={out}", "output.events=true", "output.figure=false"])
    (out / "events.parquet").write_bytes(b"changed since")  # no longer the file the run wrote
    cli.main(["replicates=2", f"hydra.run.dir={out}", "output.events=false", "output.figure=false"])
    assert (out / "events.parquet").read_bytes() == b"changed since"
    assert (out / "notes.txt").read_text() == "mine" and is_complete(out)


def refused(capsys, argv: list[str]) -> str:
    """hedgesim-reproduce's one line for ``argv``, checked to be a usage error and one line."""
    assert rep.main(argv) == rep.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hedgesim-reproduce: error: "), err
    return err[0].removeprefix("hedgesim-reproduce: error: ")


def never_simulate(*args, **kwargs):
    raise AssertionError("simulated before the inputs were checked")


def test_a_run_ending_before_the_targets_months_is_refused_before_simulating(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(rep, "run_spec", never_simulate)
    out = tmp_path / "baseline"
    line = refused(capsys, ["scenario.end=2015-12", "--replicates", "2", "--out", str(out)])
    assert line == (
        "scenario.end=2015-12: the run ends before 2020-01, and the targets are judged on "
        "2008-01..2020-01; allowed: scenario.end >= 2020-01"
    )
    assert not out.exists()


def test_the_report_gives_the_period_the_run_covered(tmp_path):
    out = tmp_path / "baseline"
    rep.main(["scenario.end=2020-06", "--replicates", "3", "--seed", "7", "--out", str(out)])
    command = (out / "report.md").read_text(encoding="utf-8").splitlines()[2]
    assert "scenario `reproduce`: 2008-01..2020-06, the configured calibrated parameters)" in command
    assert "2020-12" not in command


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (None, "no such file"),
        ("not json", "not a validation summary (JSONDecodeError"),
        ('{"x": 1}', "not a validation summary (it lacks 'split')"),
        ("[]", "not a validation summary (TypeError: it holds no mapping of results)"),
    ],
)
def test_a_validation_summary_given_that_is_missing_or_bad_is_refused(
    tmp_path, capsys, monkeypatch, content, why
):
    monkeypatch.setattr(rep, "run_spec", never_simulate)
    given = tmp_path / "summary.json"
    if content is not None:
        given.write_text(content, encoding="utf-8")
    line = refused(capsys, ["--validation", str(given), "--replicates", "2", "--out", str(tmp_path / "b")])
    assert line.startswith(f"--validation={given}: {why}")
    assert line.endswith(
        "; allowed: the summary.json hedgesim-validate writes (default results/validation/summary.json)"
    )


def test_without_a_validation_given_a_missing_default_means_none_has_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert rep.validation_headline(None) is None
    committed = json.loads((ROOT / rep.VALIDATION_SUMMARY).read_text(encoding="utf-8"))
    assert rep.validation_headline(ROOT / rep.VALIDATION_SUMMARY) == committed


def test_a_sets_file_without_parameter_sets_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(rep, "run_spec", never_simulate)
    sets = tmp_path / "sets.csv"
    sets.write_text("trial,loss\n", encoding="utf-8")
    line = refused(capsys, ["--sets-file", str(sets), "--replicates", "2", "--out", str(tmp_path / "b")])
    assert line == (
        f"--sets-file={sets}: needs --parameter-sets (only it uses the sets); "
        "allowed: --parameter-sets --sets-file CSV, or no --sets-file"
    )
    assert not (tmp_path / "b").exists()
    assert rep.parse_args(["--parameter-sets"]).sets_file == rep_options.PLAUSIBLE_FILE


def test_failing_fitted_targets_are_listed_apart_from_the_evidence(tmp_path, capsys, monkeypatch):
    facts = {"summary": [], "passed": 1, "targets": 2, "loss": 0.5, "fitted_passed": 0, "fitted_targets": 1}
    facts |= {"seconds": 1.0, "failed": ["eu_peak"], "fitted_failed": ["set_by_a_parameter"]}
    monkeypatch.setattr(rep, "reproduce", lambda args: facts)
    assert rep.main(["--out", str(tmp_path / "b")]) == rep.EXIT_FAILED
    assert capsys.readouterr().err.splitlines() == [
        "failing: eu_peak",
        "fitted targets failing (not evidence): set_by_a_parameter",
    ]
    facts["failed"] = []  # only a fitted target fails: nothing under "failing", still exit 1
    assert rep.main(["--out", str(tmp_path / "b")]) == rep.EXIT_FAILED
    fitted_only = capsys.readouterr().err.splitlines()
    assert fitted_only == ["fitted targets failing (not evidence): set_by_a_parameter"]
