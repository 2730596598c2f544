"""A results folder replaced whole: its new files are written beside it, then swapped in.

A command that rewrites a folder of files (a reproduction, a validation, a sensitivity analysis)
must never leave a mix of old and new files behind, whatever stops it (an error, a full disk,
Ctrl-C): the folder is its old self until the new one is complete, then the new one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from hedgesim.config.errors import ConfigError
from hedgesim.workflows.results import MANIFEST, TEMPORARY, current_umask, first_line


@contextlib.contextmanager
def replaced_whole(out: Path, keep: Sequence[str] = ()) -> Iterator[Path]:
    """A staging folder beside ``out`` to write into; on success it becomes ``out``.

    Args:
        out: the folder to replace (made if it does not exist).
        keep: files of the old folder that the new one starts with (validation's calibrations,
            which a re-scoring reads and keeps); linked, not copied, so the block must write a
            new file in their place (as ``results.write_text`` does), never into them.

    Yields:
        The staging folder. When the block raises, ``out`` is left as it was and the staging
        folder is removed.
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        for name in keep:  # a file written again replaces its link (by rename), not the old file
            if (out / name).is_file():
                os.link(out / name, staging / name)
        yield staging
        swap(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def check_replaceable(out: Path, owned: Iterable[str], command: str, option: str = "--out") -> None:
    """Refuse, before any work, a folder that replacing whole would lose something in: one
    holding files that neither the command writes nor an earlier run of the same ``command``
    lists in its manifest (a user's own folder, another command's results), or the working
    folder.

    Raises:
        ConfigError: naming the option, the folder and what is in the way.
    """
    out = Path(out)
    check_writable(out, option)
    if not out.exists():
        return
    if not out.is_dir():
        raise ConfigError(f"{option}={out} is a file; allowed: a folder (new, or one this command wrote)")
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise ConfigError(f"{option}={out} holds the working folder; allowed: a folder of its own")
    listed = foreign_files(out, owned, written_by(command))
    if listed:
        raise ConfigError(
            f"{option}={out} holds files this command does not write ({listed}), which replacing the "
            f"folder would delete; allowed: a new folder, or one this command wrote"
        )


class UnwritablePath(OSError):
    """An output path that cannot be written, found before any work: its message is the one line
    the command prints (exit 1, as for any output it cannot write)."""


def error_line(err: OSError) -> str:
    """The one line a command prints for an output it could not write."""
    return str(err) if isinstance(err, UnwritablePath) else first_line(err)


def check_writable(path: Path, option: str, into: bool = False) -> None:
    """Refuse, before any work, a path whose folder cannot be made or written: the nearest
    folder that exists must take a new entry (tried, not read from the permissions, which a
    file system such as /proc or a read-only mount does not honour for root).

    Args:
        path: a file or a folder replaced whole (written beside it, in its parent), or with
            ``into``, a folder written into.
        option: the option that named it, for the message.

    Raises:
        UnwritablePath: naming the option, the folder and why.
    """
    existing = Path(path).resolve() if into else Path(path).resolve().parent
    while not existing.exists():
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
        os.rmdir(tempfile.mkdtemp(prefix=".hedgesim-probe.", suffix=".tmp", dir=existing))
    except OSError as err:
        raise UnwritablePath(
            f"{option}={path}: cannot write {existing} ({err.strerror or type(err).__name__}); "
            "allowed: a path in a folder you can write"
        ) from None


def foreign_files(folder: Path, owned: Iterable[str], wrote: Callable[[dict], bool]) -> str | None:
    """The files in ``folder`` that a command may not overwrite or delete, as its one line names
    them ("a, b, c and 2 more"); None when there is none. A file is the command's when it is in
    ``owned``, is the manifest, is listed in a manifest that ``wrote`` says the same command made
    (an older hedgesim may have written other files than today's), or is a temporary a killed
    run left."""
    known = {*owned, MANIFEST, *_listed(folder / MANIFEST, wrote)}
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in known and not p.match(TEMPORARY))
    if not foreign:
        return None
    return ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")


def written_by(command: str) -> Callable[[dict], bool]:
    """Whether a manifest's facts say ``command`` wrote it (its ``command``, options aside)."""
    return lambda facts: str(facts.get("command", "")).split()[:1] == [command]


def _listed(manifest: Path, wrote: Callable[[dict], bool]) -> list[str]:
    """The files a manifest lists, when ``wrote`` says the same command made it; none when there
    is no readable manifest, or another command wrote it: its list says nothing of what this
    command may replace."""
    try:
        facts = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(facts, dict) or not isinstance(facts.get("files"), list) or not wrote(facts):
        return []
    return [str(name) for name in facts["files"]]


def swap(staging: Path, out: Path) -> None:
    """``staging`` becomes ``out``, with a new folder's permissions; the old one is removed.

    Two renames: the old folder is moved aside (into a temporary ``.tmp`` folder, removed
    afterwards, or by the next command's clean-up if this one is killed), then the new one takes
    its place. If the second is interrupted, the old folder comes back.
    """
    os.chmod(staging, 0o777 & ~current_umask())
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", suffix=".tmp", dir=out.parent))
        os.replace(out, old / out.name)
    try:
        os.replace(staging, out)
    except BaseException:
        if old is not None and not out.exists():
            os.replace(old / out.name, out)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def what_is_left(out: Path) -> Callable[[], str]:
    """What an interrupted command says of ``out``, told when asked: as it was, unless a new
    folder has taken its place since now (a swap gives ``out`` another inode)."""
    before = _inode(out)
    return lambda: f"{out} is as it was" if _inode(out) == before else f"{out} was written in full"


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except (FileNotFoundError, NotADirectoryError):  # nothing there (a file on the way: refused later)
        return None
