"""A run written again into a folder an earlier run wrote: the earlier run stands until the new
one is whole.

The new run's files and manifest are written into a staging folder inside the run's folder
(``.run.<random>.tmp``, a temporary the next writer removes if a kill left it), then moved in
with Ctrl-C held back: the earlier manifest goes, the new files and manifest come in, and the
files the earlier manifest lists and the new run does not write are removed. Whatever stops a
rerun before that (Ctrl-C, an error, a full disk) leaves the earlier run as its manifest lists
it; Hydra's record of the earlier run (``.hydra/``), which Hydra rewrites as a job starts, is
put back too (:class:`EarlierRun`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hedgesim.workflows.interrupt import deferred
from hedgesim.workflows.results import (
    EVENTS,
    INTEGRITY,
    MANIFEST,
    OUTCOMES,
    TRAJECTORIES,
    atomic_write,
    sha256,
)

RUN_FILES = (TRAJECTORIES, EVENTS, OUTCOMES, "config.yaml", "relations.png")
"""Every file a run writes in its folder: a rerun removes only these, of what an earlier run wrote."""
HYDRA_RECORD = ".hydra"
"""The folder Hydra writes its record of a job into (config, overrides, its own settings)."""


def written_before(out: Path) -> dict[str, str]:
    """The run files the manifest in ``out`` lists, with the sha256 it records (none unreadable)."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        listed, recorded = manifest.get("files", []), manifest.get(INTEGRITY, {})
        return {name: str(recorded[name]["sha256"]) for name in listed if name in RUN_FILES}
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        return {}


def remove_left_over(out: Path, earlier: Mapping[str, str], files: Sequence[str]) -> None:
    """Remove the files an earlier run in ``out`` wrote and this run did not (its events, its
    figure), so the folder holds one run's files; each only while it is the very file the earlier
    manifest recorded (a file put there since is the user's, and kept).
    """
    for name in sorted(set(earlier) - set(files)):
        path = out / name
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink() and sha256(path) == earlier[name]:
                path.unlink()


@contextlib.contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A staging folder inside ``out`` for a run's files and manifest; removed when the block
    ends, whether :func:`move_in` took its files or something stopped the writing."""
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".run.", suffix=".tmp", dir=out))
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def move_in(stage: Path, out: Path, files: Sequence[str], earlier: Mapping[str, str]) -> None:
    """Replace the run in ``out`` by the one written whole in ``stage``: its ``files``, its
    manifest, then the files only the earlier run wrote removed (:func:`remove_left_over`), with
    Ctrl-C held back until the folder holds one run and its manifest again."""
    with deferred():
        (out / MANIFEST).unlink(missing_ok=True)
        for name in files:
            os.replace(stage / name, out / name)
        os.replace(stage / MANIFEST, out / MANIFEST)
        remove_left_over(out, earlier, files)


@dataclass
class EarlierRun:
    """What a command found in its run folder before Hydra started: the manifest and Hydra's
    record of the run there, so that a command stopped before its run is whole gives the folder
    back its record of the run its manifest still lists."""

    manifest: bytes | None = None
    record: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> EarlierRun:
        """The run in ``folder``: its manifest and Hydra's record (nothing without a manifest)."""
        try:
            manifest = (folder / MANIFEST).read_bytes()
            found = sorted((folder / HYDRA_RECORD).glob("*.yaml"))
            return cls(manifest, {p.name: p.read_bytes() for p in found if p.is_file()})
        except OSError:
            return cls()

    def put_back(self, folder: Path) -> bool:
        """Hydra's record of the earlier run back in place, if its manifest still stands.

        Returns:
            Whether the folder holds the earlier run's manifest.
        """
        try:
            if self.manifest is None or (folder / MANIFEST).read_bytes() != self.manifest:
                return False
            for name, data in self.record.items():
                atomic_write(folder / HYDRA_RECORD / name, lambda tmp, data=data: tmp.write_bytes(data))
        except OSError:
            return False
        return True
