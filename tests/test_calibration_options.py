"""hedgesim-calibrate's options: what each one refuses, and when it has nothing to refuse."""

from __future__ import annotations

from test_calibrate import calibrate


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
