"""The hedgesim command: refusals before Hydra starts (fast), and runs end to end (slow)."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from conftest import run_cli
from hedgesim import cli


@pytest.mark.slow
def test_run_writes_a_complete_folder(tmp_path):
    out = tmp_path / "run"
    result = run_cli("replicates=12", "seed=7", "challenges.trust=0.3", f"hydra.run.dir={out}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("trajectories.parquet", "events.parquet", "config.yaml", "manifest.json", "relations.png"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["replicates"] == 12 and manifest["rows"] == 12 * 144
    assert manifest["versions"]["mesa"].startswith("3.")
    df = pd.read_parquet(out / "trajectories.parquet")
    assert df["replicate"].nunique() == 12
    assert "trust: 0.3" in (out / "config.yaml").read_text()
    assert not list(out.glob(".*.tmp"))


@pytest.mark.slow
def test_cli_matches_the_python_api(tmp_path):
    from hedgesim import simulate

    out = tmp_path / "run"
    assert run_cli("replicates=3", "seed=9", f"hydra.run.dir={out}", cwd=tmp_path).returncode == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "trajectories.parquet"), simulate(replicates=3, seed=9), check_categorical=False
    )


BAD_INPUT = [
    (["challenges.trust=1.5"], "challenges.trust=1.5 is out of range"),
    (["challenges.nope=1"], "challenges.nope: unknown key"),
    (["scenario.end=2019-14"], "scenario.end='2019-14'"),
    (["shocks.timeline.0.kind=meteor"], "kind='meteor' is unknown"),
    (["-m", "challenges.trust=0.2,1.4"], "challenges.trust=1.4 is out of range"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_is_refused_before_hydra_starts(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        cli.main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hedgesim: error: ") and message in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_is_one_line_and_leaves_nothing(tmp_path, args, message):
    """The same refusals through the console script: no traceback, no folder."""
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_local_ray_is_kept_on_loopback(monkeypatch):
    monkeypatch.delenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", raising=False)
    cli.keep_local_ray_on_loopback(["-m", "challenges.trust=0,1"])
    assert "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER" not in os.environ
    cli.keep_local_ray_on_loopback(["-m", "hydra/launcher=ray_local"])
    assert os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] == "0"


# --- the run folder: prepared before Hydra starts, removed when the command fails ----------


def test_the_timestamped_folder_is_resolved_once_and_written_complete(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    cli.main(["replicates=1", "output.figure=false", "output.events=false"])
    (run,) = (tmp_path / "results" / "runs").iterdir()
    assert (run / "manifest.json").is_file() and not list(run.glob(".hedgesim-probe-*"))
    assert f"hedgesim: wrote {run}" in capsys.readouterr().err


def test_the_pin_joins_the_other_overrides():
    from hedgesim.config.command_line import CheckedCommand

    checked = CheckedCommand(1, ["a=1", "b=2"], "out", ["hydra.run.dir=out"])
    assert cli.pinned(["a=1", "b=2", "-m"], checked) == ["a=1", "b=2", "hydra.run.dir=out", "-m"]
    assert cli.pinned(["-m", "a=1", "b=2"], checked) == ["-m", "a=1", "b=2", "hydra.run.dir=out"]
    assert cli.pinned(["-m"], CheckedCommand(1, [], "out", ["x=1"])) == ["-m", "x=1"]


def test_an_interrupted_run_in_an_existing_folder_keeps_it_without_a_manifest(tmp_path, monkeypatch, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    (out / "notes.txt").write_text("kept")

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("hedgesim.workflows.run.run_model", interrupt)
    with pytest.raises(SystemExit) as stop:
        cli.main(["replicates=1", f"hydra.run.dir={out}"])
    assert stop.value.code == 130
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"hedgesim: interrupted; {out} is left without manifest.json")
    assert (out / "notes.txt").read_text() == "kept" and not (out / "manifest.json").exists()


def test_a_config_dir_is_searched_by_the_checks(tmp_path):
    from hedgesim.config.command_line import check_command_line

    (tmp_path / "shocks").mkdir()
    (tmp_path / "shocks" / "calm.yaml").write_text(
        "name: calm\ntimeline:\n  - {date: '2009-03', kind: institutional, actors: [EU, BLR], size: 0.5}\n"
    )
    assert check_command_line(["-cd", str(tmp_path), "shocks=calm"]).checked == 1


def test_a_ctrl_c_swallowed_on_the_way_still_stops_the_command(tmp_path, monkeypatch, capsys):
    """A Ctrl-C raised inside a finaliser is swallowed by Python; the command must not then
    report success: it exits 130 with one line, and what it made is removed."""

    def swallowed() -> None:
        cli.CtrlC.seen = True  # the handler ran, but its KeyboardInterrupt was swallowed

    monkeypatch.setattr(cli, "run_app", swallowed)
    monkeypatch.setattr(cli.CtrlC, "seen", False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        cli.main(["replicates=2"])
    assert stop.value.code == 130
    assert capsys.readouterr().err.strip().startswith("hedgesim: interrupted;")
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_a_command_freezes_its_objects_at_exit_once_whatever_the_calls():
    """The commands skip the interpreter's last collection (hedgesim.workflows.process_exit): at
    exit the collector's objects are frozen, by one handler however often a command is called."""
    import subprocess
    import sys

    script = (
        "import atexit, gc\n"
        "calls, freeze = [], gc.freeze\n"
        "gc.freeze = lambda: (calls.append(1), freeze())[1]  # counts the handler's runs\n"
        "from hedgesim.workflows.process_exit import skip_final_collection\n"
        "skip_final_collection(); skip_final_collection()\n"
        "frozen = gc.get_freeze_count()\n"
        "atexit._run_exitfuncs()\n"
        "print(len(calls), gc.get_freeze_count() > frozen + 1000)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1", "True"]
