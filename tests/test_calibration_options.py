"""hedgesim-calibrate's options: what each one refuses, and when it has nothing to refuse."""

from __future__ import annotations

import dataclasses
import json

import pytest

from hedgesim.workflows.calibration import options, workers
from hedgesim.workflows.calibration.search import read_search
from test_calibrate import TWO, calibrate, search_file


def test_no_write_does_not_check_params_out(tmp_path, capsys):
    """--no-write writes nothing to --params-out, yet a path there that could not be written
    refused the whole calibration (exit 1) before any trial."""
    (tmp_path / "a_file").write_text("not a folder\n", encoding="utf-8")
    unwritable = tmp_path / "a_file" / "calibrated.yaml"
    assert (
        calibrate(tmp_path, "--no-write", "--params-out", str(unwritable), "--no-fix-flat", "--workers", "1")
        == 0
    )
    out = capsys.readouterr().out
    assert "trials: 3 in the study, 3 run now" in out and "calibrated parameters:" not in out
    assert (tmp_path / "run" / "trials.csv").is_file() and not unwritable.parent.is_dir()
    assert calibrate(tmp_path, "--params-out", str(unwritable)) == 1  # writing: refused as before
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith(f"hedgesim-calibrate: error: --params-out={unwritable}: cannot write ")
        and "\n" not in err
    )


@pytest.mark.parametrize(
    ("given", "cpus", "batch", "expected", "noted"),
    [
        ("16", 2, 2, 9, True),  # a profile's 9 points are the largest batch
        ("40", 2, 32, 32, True),
        ("4", 2, 2, 4, False),
        (None, 64, 16, 16, False),  # the CPUs available, the default: capped without a word
        (None, 2, 16, 2, False),
    ],
)
def test_workers_are_capped_at_the_largest_batch(monkeypatch, given, cpus, batch, expected, noted):
    """More workers than a batch has trials (or a profile points) were forked all the same and
    waited idle: --workers 16 with batches of 2 ran 16 processes."""
    monkeypatch.setattr(options, "available_cpus", lambda: cpus)
    args = options.parse_args(["--workers", given] if given else [])
    count, note = options.worker_count(args, dataclasses.replace(read_search()[1], batch=batch))
    assert count == expected and (note is not None) is noted
    if noted:
        assert note == (
            f"--workers={given}: a batch holds {batch} trials and a loss profile 9 points, so "
            f"{expected} workers score them (more would only wait)"
        )


@pytest.mark.skipif(not workers.forking(), reason="workers are forked")
def test_a_capped_calibration_says_so_and_records_the_workers_it_ran(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(options, "PROFILE_POINTS", 1)  # a cap of the batch alone: two workers, not nine
    search = search_file(tmp_path, TWO, batch=2)
    assert calibrate(tmp_path, "--workers", "5", "--no-fix-flat", search=search) == 0
    err = capsys.readouterr().err.strip()
    assert err == (
        "hedgesim-calibrate: note: --workers=5: a batch holds 2 trials and a loss profile 1 points, "
        "so 2 workers score them (more would only wait)"
    )
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["workers"] == 2


@pytest.mark.parametrize("given", ["option", "search.yaml"])
def test_a_final_ensemble_too_big_is_refused_before_any_trial(tmp_path, capsys, monkeypatch, given):
    """The re-check of the best trial runs only after the whole search: an ensemble too big for
    the machine was killed there for want of memory, without a word."""
    monkeypatch.setattr("hedgesim.config.spec.machine_memory", lambda: 2_000_000)  # a 2 MB machine
    if given == "option":
        status, key = calibrate(tmp_path, "--final-replicates", "10000"), "--final-replicates"
    else:
        search = search_file(tmp_path, TWO, final_replicates=10000)
        status, key = calibrate(tmp_path, search=search), "search.settings.final_replicates"
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"hedgesim-calibrate: error: {key}=10000 x 156 months needs about 0.4 GB; allowed: runs under "
        "0.0 GB (half of this machine's 0.0 GB)"
    ]
    assert not (tmp_path / "run").exists()


OWN_FILES = ["report.md", "study.db", "manifest.json", "refined/study.db", "plausible.csv"]


@pytest.mark.parametrize("name", OWN_FILES)
def test_params_out_on_a_file_the_calibration_writes_is_refused(tmp_path, capsys, name):
    """--params-out <run folder>/report.md replaced the report with the parameters (study.db: the
    study), and the sets written beside them made the run folder refused on resume."""
    params_out = tmp_path / "run" / name
    assert calibrate(tmp_path, "--params-out", str(params_out)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"hedgesim-calibrate: error: --params-out={params_out}: a file the calibration writes itself "
        "(one of --run-dir's, or the plausible sets' plausible.csv); allowed: another path, "
        "e.g. calibrated.yaml"
    ]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("given", ["option", "search.yaml"])
def test_a_seed_the_sampler_cannot_take_is_one_line(tmp_path, capsys, given):
    """optuna's TPE sampler takes seeds below 2**32: a larger one was a numpy traceback, after
    the run folder was made."""
    if given == "option":
        status, key = calibrate(tmp_path, "--seed", str(2**32)), "--seed"
    else:
        search = search_file(tmp_path, TWO, seed=2**32)
        status, key = calibrate(tmp_path, search=search), "search.settings.seed"
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"hedgesim-calibrate: error: {key}=4294967296; allowed: an integer in [0, 4294967295]"]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("extra", "side_by_side"), [(["--batch", "400"], 400), (["--batch", "2"], 9)])
def test_trials_side_by_side_too_big_are_refused(tmp_path, capsys, monkeypatch, extra, side_by_side):
    """A batch runs its trials as one ensemble, and a loss profile its 9 points, after the whole
    search: too big for the machine, either was killed for want of memory, without a word."""
    monkeypatch.setattr("hedgesim.config.spec.machine_memory", lambda: 2_000_000)  # a 2 MB machine
    assert calibrate(tmp_path, "--replicates", "6", "--trials", "400", *extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        f"hedgesim-calibrate: error: --replicates=6 with {side_by_side} trials side by side (the batch, "
        f"or a loss profile's 9 points): replicates={6 * side_by_side} x 156 months needs about "
    )
    assert not (tmp_path / "run").exists()
