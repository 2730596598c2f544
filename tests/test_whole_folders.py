"""A results folder is replaced whole (hedgesim.workflows.whole_folders): old and new never mix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from hedgesim.config.errors import ConfigError
from hedgesim.workflows import whole_folders
from hedgesim.workflows.calibration.report import check_run_dir
from hedgesim.workflows.calibration.search import CalibrationError
from hedgesim.workflows.results import write_text
from hedgesim.workflows.whole_folders import check_replaceable, replaced_whole, what_is_left


def folder_with(path: Path, **files: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def contents(path: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(path.iterdir())}


def test_the_new_folder_takes_the_old_ones_place_whole(tmp_path):
    out = folder_with(tmp_path / "out", **{"a.csv": "old", "stale.csv": "old"})
    with replaced_whole(out) as staging:
        (staging / "a.csv").write_text("new")
        assert contents(out) == {"a.csv": "old", "stale.csv": "old"}  # untouched while it is written
    assert contents(out) == {"a.csv": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging, no old copy left


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
def test_a_stopped_write_leaves_the_old_folder_as_it_was(tmp_path, stop):
    out = folder_with(tmp_path / "out", **{"a.csv": "old"})
    with pytest.raises(stop), replaced_whole(out) as staging:
        (staging / "a.csv").write_text("new")
        raise stop
    assert contents(out) == {"a.csv": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_that_did_not_exist_is_made_and_not_left_half_made(tmp_path):
    with pytest.raises(KeyboardInterrupt), replaced_whole(tmp_path / "new") as staging:
        (staging / "a.csv").write_text("new")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with replaced_whole(tmp_path / "new") as staging:
        (staging / "a.csv").write_text("new")
    assert contents(tmp_path / "new") == {"a.csv": "new"}


def test_kept_files_are_carried_over_unless_written_again(tmp_path):
    out = folder_with(tmp_path / "out", **{"calibrations.yaml": "fitted", "a.csv": "old"})
    with replaced_whole(out, keep=("calibrations.yaml", "absent.yaml")) as staging:
        assert (staging / "calibrations.yaml").read_text() == "fitted"  # there for the block to read
        (staging / "a.csv").write_text("new")
    assert contents(out) == {"a.csv": "new", "calibrations.yaml": "fitted"}
    with pytest.raises(KeyboardInterrupt), replaced_whole(out, keep=("calibrations.yaml",)) as staging:
        write_text("refitted", staging / "calibrations.yaml")  # a new file in the link's place
        raise KeyboardInterrupt
    assert contents(out) == {"a.csv": "new", "calibrations.yaml": "fitted"}
    with replaced_whole(out, keep=("calibrations.yaml",)) as staging:
        write_text("refitted", staging / "calibrations.yaml")
    assert contents(out) == {"calibrations.yaml": "refitted"}


def test_an_interrupted_swap_puts_the_old_folder_back(tmp_path):
    out = folder_with(tmp_path / "out", **{"a.csv": "old"})
    real = os.replace
    calls = []

    def second_fails(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # the new folder moving into place
            raise KeyboardInterrupt
        return real(src, dst)

    with mock.patch.object(whole_folders.os, "replace", second_fails):
        with pytest.raises(KeyboardInterrupt), replaced_whole(out) as staging:
            (staging / "a.csv").write_text("new")
        assert len(calls) == 3  # aside, in (interrupted), back
    assert contents(out) == {"a.csv": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_what_is_left_tells_an_old_folder_from_a_new_one(tmp_path):
    out = folder_with(tmp_path / "out", **{"a.csv": "old"})
    left = what_is_left(out)
    (out / "b.csv").write_text("a file added is not a new folder")
    assert left() == f"{out} is as it was"
    with replaced_whole(out) as staging:
        (staging / "a.csv").write_text("new")
    assert left() == f"{out} was written in full"
    missing = what_is_left(tmp_path / "missing")
    assert missing() == f"{tmp_path / 'missing'} is as it was"


def test_only_a_new_folder_or_one_the_command_wrote_is_replaced(tmp_path, monkeypatch):
    """Replacing a folder whole deletes what else is in it: refused before any work, in one line."""
    owned = ("report.md", "targets.csv")
    check_replaceable(tmp_path / "new", owned, "hedgesim-reproduce")  # not there yet
    earlier = folder_with(
        tmp_path / "earlier", **{"report.md": "", "manifest.json": "", ".report.md.x.tmp": ""}
    )
    check_replaceable(
        earlier, owned, "hedgesim-reproduce"
    )  # its own files, its manifest, a temporary left by a kill
    older = folder_with(
        tmp_path / "older",
        **{
            "old_name.csv": "",
            "manifest.json": '{"command": "hedgesim-reproduce --parameter-sets", "files": ["old_name.csv"]}',
        },
    )
    check_replaceable(older, owned, "hedgesim-reproduce")  # a file an earlier run wrote, as its manifest says
    other = folder_with(
        tmp_path / "other",
        **{
            "held_out.csv": "",
            "manifest.json": '{"command": "hedgesim-validate", "files": ["held_out.csv"]}',
        },
    )
    with pytest.raises(ConfigError, match=r"does not write \(held_out.csv\)"):
        check_replaceable(other, owned, "hedgesim-reproduce")  # another command's results: not ours to delete
    mine = folder_with(tmp_path / "mine", **{"report.md": "", "thesis.tex": "", "data.csv": ""})
    with pytest.raises(ConfigError) as refused:
        check_replaceable(mine, owned, "hedgesim-reproduce")
    assert str(refused.value) == (
        f"--out={mine} holds files this command does not write (data.csv, thesis.tex), which "
        "replacing the folder would delete; allowed: a new folder, or one this command wrote"
    )
    with pytest.raises(ConfigError, match="is a file; allowed: a folder"):
        check_replaceable(mine / "thesis.tex", owned, "hedgesim-reproduce")
    monkeypatch.chdir(earlier)
    with pytest.raises(ConfigError, match="holds the working folder"):
        check_replaceable(Path("."), owned, "hedgesim-reproduce")
    with pytest.raises(ConfigError, match="holds the working folder"):
        check_replaceable(tmp_path, owned, "hedgesim-reproduce")


@pytest.mark.parametrize("prog", ["hedgesim-reproduce", "hedgesim-validate", "hedgesim-sensitivity"])
def test_a_command_refuses_a_folder_of_someone_elses_files_at_once(tmp_path, prog):
    mine = folder_with(tmp_path / "mine", **{"thesis.tex": "three years of work"})
    result = subprocess.run(
        [str(Path(sys.executable).with_name(prog)), "--out", str(mine)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"{prog}: error: --out={mine} holds files this command does not write (thesis.tex), which "
        "replacing the folder would delete; allowed: a new folder, or one this command wrote\n"
    )
    assert contents(mine) == {"thesis.tex": "three years of work"}


def test_a_path_that_cannot_be_written_is_refused_before_any_work(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(whole_folders.UnwritablePath, match=r"--out=.*/a_file/x/y: cannot write .*/a_file \("):
        whole_folders.check_writable(blocker / "x" / "y", "--out")
    with pytest.raises(whole_folders.UnwritablePath, match=r"--run-dir=.*/a_file: cannot write .*/a_file \("):
        whole_folders.check_writable(blocker, "--run-dir", into=True)
    whole_folders.check_writable(tmp_path / "new" / "deeper", "--out")  # made when written
    whole_folders.check_writable(tmp_path, "--run-dir", into=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]  # the probe leaves nothing


@pytest.mark.parametrize(
    ("prog", "option"),
    [
        ("hedgesim-reproduce", "--out"),
        ("hedgesim-validate", "--out"),
        ("hedgesim-sensitivity", "--out"),
        ("hedgesim-calibrate", "--run-dir"),
        ("hedgesim-calibrate", "--params-out"),
    ],
)
def test_a_command_refuses_an_unwritable_path_with_one_line(tmp_path, prog, option):
    """Before, reproduce and sensitivity ran in full and then printed a traceback; calibrate ran its
    whole search before failing to write its results."""
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    target = blocker / "x"
    result = subprocess.run(
        [str(Path(sys.executable).with_name(prog)), option, str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1  # as for any output a command cannot write
    assert result.stderr == (
        f"{prog}: error: {option}={target}: cannot write {blocker} (Not a directory); "
        "allowed: a path in a folder you can write\n"
    )


def test_a_full_disk_while_writing_is_one_line_exit_1_and_the_old_folder(tmp_path, monkeypatch, capsys):
    """Before, a write that failed after the analysis ran printed a traceback."""
    import errno

    from hedgesim.workflows import sensitivity_command

    out = folder_with(tmp_path / "out", **{"manifest.json": '{"files": []}', "sobol.csv": "old"})

    def full(table, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(sensitivity_command, "write_parquet", full)
    args = ["--samples", "2", "--replicates", "2", "--param", "challenges.trust", "--out", str(out)]
    with pytest.raises(SystemExit) as stop:
        sensitivity_command.main(args)
    assert stop.value.code == 1
    said = [line for line in capsys.readouterr().err.splitlines() if " points (" not in line]  # progress
    assert len(said) == 1
    assert said[0].startswith("hedgesim-sensitivity: error: OSError: [Errno 28] No space left on device")
    assert contents(out) == {"manifest.json": '{"files": []}', "sobol.csv": "old"}


def test_one_check_finds_the_files_a_command_does_not_own_for_every_command(tmp_path):
    """check_replaceable and the calibration's check_run_dir each had their own copy of this
    check (the manifest read, the temporaries skipped, the files named): whole_folders.foreign_files
    is now the one both use, each saying how it knows a manifest of its own."""
    by_reproduce = whole_folders.written_by("hedgesim-reproduce")
    older = folder_with(
        tmp_path / "older",
        **{
            "old_name.csv": "",
            ".report.md.x.tmp": "",
            "manifest.json": '{"command": "hedgesim-reproduce --parameter-sets", "files": ["old_name.csv"]}',
        },
    )
    assert whole_folders.foreign_files(older, ("report.md",), by_reproduce) is None
    by_validate = whole_folders.written_by("hedgesim-validate")
    assert whole_folders.foreign_files(older, (), by_validate) == "old_name.csv"  # not its manifest
    calibrated = folder_with(
        tmp_path / "calibration",
        **{"trials.csv": "", "old.csv": "", "manifest.json": '{"trials_total": 3, "files": ["old.csv"]}'},
    )
    check_run_dir(calibrated, tmp_path / "calibrated.yaml")  # an earlier calibration's own file
    assert whole_folders.foreign_files(calibrated, ("trials.csv",), by_reproduce) == "old.csv"
    crowded = folder_with(tmp_path / "crowded", **{f"{k}.txt": "" for k in "abcde"})
    with pytest.raises(CalibrationError) as refused:
        check_run_dir(crowded, tmp_path / "calibrated.yaml")
    assert str(refused.value).startswith(
        f"--run-dir={crowded} holds files a calibration does not write "
        "(a.txt, b.txt, c.txt and 2 more), beside which"
    )
    for listed in ("[]", '["x"]', "{oops", '{"command": "hedgesim-reproduce", "files": "x"}'):
        (crowded / "manifest.json").write_text(listed)  # unreadable or odd: lists nothing
        assert whole_folders.foreign_files(crowded, (), by_reproduce) == "a.txt, b.txt, c.txt and 2 more"
