"""A run written again into a folder an earlier run wrote, and stopped before it is whole: the
earlier run stays as its manifest lists it, Hydra's record of it included."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ctrl_c_as_at_a_terminal
from hedgesim import cli
from hedgesim.workflows import run_files
from hedgesim.workflows.results import incomplete_because

FIRST = ["replicates=2", "scenario.end=2009-12", "output.figure=false", "output.events=true"]
"""The earlier run: small, with its events (which the rerun below does not write)."""
AGAIN = ["replicates=3", "scenario.end=2010-06", "output.figure=false", "output.events=false"]


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file below ``out`` but Hydra's job log (appended to by every job), by name."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} | {
        "cli.log": b""
    }


def earlier_run(tmp_path: Path, monkeypatch) -> tuple[Path, dict[str, bytes]]:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    cli.main([*FIRST, f"hydra.run.dir={out}"])
    assert incomplete_because(out) is None
    return out, snapshot(out)


def stopped_rerun(out: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        cli.main([*AGAIN, f"hydra.run.dir={out}"])
    return stop.value.code, capsys.readouterr().err.strip()


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("where", ["run_model", "write_text"], ids=["simulating", "writing"])
def test_an_interrupted_rerun_keeps_the_earlier_run(tmp_path, monkeypatch, capsys, where):
    """Ctrl-C while the rerun simulates, or after it wrote its trajectories (config.yaml comes
    next): the earlier run's files, manifest and .hydra record are as they were."""
    out, before = earlier_run(tmp_path, monkeypatch)
    monkeypatch.setattr(f"hedgesim.workflows.run.{where}", interrupt)
    code, err = stopped_rerun(out, capsys)
    assert code == 130
    assert err == f"hedgesim: interrupted; {out} keeps the earlier run its manifest.json lists, as it was"
    assert snapshot(out) == before  # events, manifest, .hydra/overrides.yaml: the earlier run's
    assert incomplete_because(out) is None


def test_a_rerun_that_cannot_write_keeps_the_earlier_run(tmp_path, monkeypatch, capsys):
    out, before = earlier_run(tmp_path, monkeypatch)

    def full(block, blocks, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("hedgesim.workflows.run.write_parquet_blocks", full)
    code, err = stopped_rerun(out, capsys)
    assert code == 1 and "(No space left on device)" in err and len(err.splitlines()) == 1
    assert snapshot(out) == before and incomplete_because(out) is None


def test_a_ctrl_c_while_the_rerun_moves_in_arrives_after_it(tmp_path, monkeypatch, capsys):
    """The folder holds one run and its manifest whenever the Ctrl-C lands: one held during the
    move stops the command once the new run is in, and the line says so."""
    out, before = earlier_run(tmp_path, monkeypatch)
    rename = os.replace

    def replace(src, dst):
        if Path(dst) == out / "trajectories.parquet":
            os.kill(os.getpid(), signal.SIGINT)  # between the first file and the manifest
        rename(src, dst)

    monkeypatch.setattr(run_files.os, "replace", replace)
    code, err = stopped_rerun(out, capsys)
    assert code == 130 and err == f"hedgesim: interrupted; {out} holds the run its manifest.json lists"
    assert incomplete_because(out) is None
    assert not (out / "events.parquet").exists()  # the earlier run's, gone with it
    assert (out / ".hydra" / "overrides.yaml").read_bytes() != before[".hydra/overrides.yaml"]
    assert "replicates: 3" in (out / "config.yaml").read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_ctrl_c_during_a_rerun_at_a_terminal(tmp_path):
    """The command as a user runs it, sent SIGINT while it simulates."""
    exe = str(Path(sys.executable).with_name("hedgesim"))
    out = tmp_path / "run"
    first = subprocess.run(
        [exe, *FIRST, f"hydra.run.dir={out}"], cwd=tmp_path, capture_output=True, timeout=300
    )
    assert first.returncode == 0, first.stderr[-2000:]
    before, log = snapshot(out), out / "cli.log"
    logged = log.read_text().count("run:")
    process = subprocess.Popen(
        [exe, "replicates=20000", f"hydra.run.dir={out}", "output.figure=false"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )
    deadline = time.monotonic() + 120
    while log.read_text().count("run:") == logged and time.monotonic() < deadline:
        time.sleep(0.05)  # simulating: its progress is in Hydra's job log
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-2000:]
    assert err.strip().splitlines()[-1] == (
        f"hedgesim: interrupted; {out} keeps the earlier run its manifest.json lists, as it was"
    )
    assert snapshot(out) == before and incomplete_because(out) is None
