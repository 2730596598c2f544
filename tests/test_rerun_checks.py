"""A rerun from a run's saved config.yaml gets the checks a run gets, before Hydra starts."""

from __future__ import annotations

import pytest

from hedgesim import cli
from hedgesim.config.command_line import check_command_line
from hedgesim.config.compose import compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.rerun import as_rerun
from hedgesim.config.spec import build_run
from hedgesim.workflows.run import recorded_yaml


@pytest.fixture
def saved(tmp_path, monkeypatch):
    """A run folder holding only the config.yaml a short run of 2 replicates would save."""
    monkeypatch.chdir(tmp_path)
    cfg = compose_config(["replicates=2", "seed=5", "scenario.end=2009-06", "challenges.trust=0.7"])
    (tmp_path / "first").mkdir()
    (tmp_path / "first" / "config.yaml").write_text(recorded_yaml(cfg, build_run(cfg)))
    return tmp_path / "first"


def _refused(capsys, *args: str, code: int = 2) -> str:
    with pytest.raises(SystemExit) as stop:
        cli.main(list(args))
    err = capsys.readouterr().err.strip()
    assert stop.value.code == code and len(err.splitlines()) == 1, err
    return err.removeprefix("hedgesim: error: ")


def test_a_bad_override_of_a_rerun_is_refused_before_any_folder_is_made(saved, tmp_path, capsys):
    """It was refused only once Hydra's job built the run: the folder, its .hydra and its log stayed."""
    again = tmp_path / "again"
    rerun = ["--config-dir", str(saved), "--config-name", "config"]
    message = _refused(capsys, *rerun, "challenges.trust=2", f"hydra.run.dir={again}")
    assert message == "challenges.trust=2.0 is out of range; allowed: a number in [0.0, 1.0]"
    assert not again.exists()
    blocked = saved / "config.yaml" / "again"
    message = _refused(capsys, *rerun, f"hydra.run.dir={blocked}", code=1)
    allowed = "allowed: hydra.run.dir=<a folder you can write>"
    assert message == f"cannot write {blocked} (Not a directory); {allowed}"


def test_every_cell_of_a_rerun_sweep_is_checked_up_front(saved, tmp_path):
    rerun = as_rerun(["--config-dir", str(saved), "--config-name", "config", "-m"])
    with pytest.raises(ConfigError, match=r"^challenges\.trust=2\.0 is out of range; allowed: "):
        check_command_line([*rerun, "challenges.trust=0.5,2", f"hydra.sweep.dir={tmp_path / 's'}"])
    with pytest.raises(ConfigError, match=r"^challenges\.trust=0\.5,0\.5 lists 0\.5 twice; allowed: each"):
        check_command_line([*rerun, "challenges.trust=0.5,0.5"])
    checked = check_command_line([*rerun, "challenges.trust=0.5,0.6", f"hydra.sweep.dir={tmp_path / 's'}"])
    assert (checked.checked, checked.multirun, checked.folder) == (3, True, str(tmp_path / "s"))


def test_a_good_rerun_is_checked_and_its_folder_resolved(saved, tmp_path):
    rerun = as_rerun(["--config-dir", str(saved), "--config-name", "config"])
    checked = check_command_line([*rerun, "replicates=3", f"hydra.run.dir={tmp_path / 'again'}"])
    assert (checked.checked, checked.multirun, checked.folder) == (1, False, str(tmp_path / "again"))
    timed = check_command_line(rerun)  # the default folder is timestamped: resolved once, pinned
    assert timed.folder is not None and timed.pin == [f"hydra.run.dir={timed.folder}"]
    with pytest.raises(ConfigError, match=r"^nokey: unknown key; allowed: challenges, "):
        check_command_line([*rerun, "nokey=1"])
