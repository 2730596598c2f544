"""Configuration inputs checked before anything runs: launchers, group sweeps, unknown and null
keys, shock files and parameter-set paths, and the rerun of a run from its saved config."""

from __future__ import annotations

import pytest

from hedgesim import cli


def one_line(capsys, *args: str, code: int = 2) -> str:
    """The single stderr line ``hedgesim ARGS`` ends with, checked to exit with ``code``."""
    with pytest.raises(SystemExit) as stop:
        cli.main(list(args))
    err = capsys.readouterr().err.strip()
    assert stop.value.code == code, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("hedgesim: error: "), err
    return err.removeprefix("hedgesim: error: ")


@pytest.mark.parametrize("n_jobs", ["0", "-2"])
def test_joblib_launcher_n_jobs_is_checked_before_any_job(n_jobs, tmp_path, monkeypatch, capsys):
    """joblib failed every job with its own traceback for n_jobs=0."""
    monkeypatch.chdir(tmp_path)
    args = ["-m", "hydra/launcher=joblib", f"hydra.launcher.n_jobs={n_jobs}", "challenges.trust=0,1"]
    message = one_line(capsys, *args)
    assert message == f"hydra.launcher.n_jobs={n_jobs}; allowed: -1 (one per core) or a count >= 1"
    assert list(tmp_path.iterdir()) == []
