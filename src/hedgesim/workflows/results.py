"""Writing a run's results: Parquet tables, the resolved config, a manifest; never half-written.

Every file is written to a temporary name in its folder and renamed into place, and the
manifest comes last: a folder with a manifest holds a complete run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

MANIFEST = "manifest.json"
TRAJECTORIES = "trajectories.parquet"
EVENTS = "events.parquet"
PACKAGES = ("hedgesim", "mesa", "numpy", "pandas", "pyarrow", "hydra-core", "omegaconf", "matplotlib")


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a temporary path beside ``path``, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp, engine="pyarrow", index=False))


def write_text(text: str, path: Path) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(start: Path | None = None) -> str | None:
    """The source tree's commit when hedgesim runs from a git checkout, else None."""
    where = start or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def write_manifest(folder: Path, **facts) -> Path:
    """The manifest: the facts given plus versions, commit and time; written last."""
    manifest = {
        **facts,
        "versions": package_versions(),
        "git_commit": git_commit(),
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", folder / MANIFEST)


def is_complete(folder: Path) -> bool:
    """A run folder is complete when its manifest and every file it lists exist."""
    manifest = Path(folder) / MANIFEST
    if not manifest.is_file():
        return False
    try:
        files = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
    except (OSError, json.JSONDecodeError):
        return False
    return all((Path(folder) / name).is_file() for name in files)


def save_figure(figure: Any, path: Path, dpi: int = 110) -> Path:
    """Write a matplotlib figure as PNG (atomically) and close it, even when saving fails, so a
    long sweep or a calibration holds no figures open."""
    import matplotlib.pyplot as plt

    try:
        atomic_write(path, lambda tmp: figure.savefig(tmp, dpi=dpi, format="png"))
    finally:
        plt.close(figure)
    return path
