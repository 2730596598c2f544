"""The names of a sweep's cell folders: Hydra names each after its overrides
(``hydra.sweep.subdir: ${hydra.job.override_dirname}``) but for the keys it leaves out
(``exclude_keys``), and a file system takes at most ``NAME_MAX`` bytes in one name.

Two cells with one name share a folder, one job's files overwriting the other's; a name too long
failed every job with a traceback and removed the sweep folder. Both are known before any job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from omegaconf import DictConfig, OmegaConf

from hedgesim.config.errors import ConfigError

NAME_MAX = 255
"""Bytes in one file name on Linux's and macOS's file systems."""


@dataclass(frozen=True)
class CellName:
    """One override as it names the cells: a plain one (``lines`` empty: its input line), or a
    sweep with its values and each value's ``key=value`` line."""

    line: str
    key: str
    values: Sequence[str] = field(default_factory=list)
    lines: Sequence[str] = field(default_factory=list)

    def longest(self) -> int:
        return max(len(text.encode()) for text in (self.lines or [self.line]))


def check_cell_names(overrides: Sequence[CellName], cfg: DictConfig) -> None:
    """Refuse a sweep whose cells would share a folder (a value listed twice, a key swept and then
    given again, several values of a key left out of the names) or whose longest name would pass
    ``NAME_MAX`` bytes.

    Args:
        overrides: the task's overrides, plain and swept.
        cfg: the config composed with Hydra's part (its subdir and left-out keys).

    Raises:
        ConfigError: naming the override or the length, and what is allowed.
    """
    _check_each_key_once(overrides)
    named = cfg.hydra.job.config.override_dirname
    unnamed = {str(key) for key in (named.exclude_keys or [])}
    for override in overrides:
        _check_one_folder_each(override, override.key.lstrip("+~") in unnamed)
    subdir = OmegaConf.to_container(cfg.hydra.sweep, resolve=False).get("subdir", "")
    if not any(o.values for o in overrides) or "override_dirname" not in str(subdir):
        return  # a single run's folder, or cells named otherwise
    parts = [o.longest() for o in overrides if o.key.lstrip("+~") not in unnamed]
    longest = sum(parts) + len(str(named.item_sep)) * max(len(parts) - 1, 0)
    if longest > NAME_MAX:
        raise ConfigError(
            f"the sweep's cell folders would be named by their overrides, up to {longest} bytes; "
            f"allowed: at most {NAME_MAX} bytes in a name: fewer overrides, or "
            "hydra.sweep.subdir='${hydra.job.num}' (cells named by number)"
        )


def _check_one_folder_each(override: CellName, unnamed: bool) -> None:
    repeated = sorted({v for v in override.values if list(override.values).count(v) > 1})
    if repeated:
        listed = ", ".join(repeated)
        raise ConfigError(f"{override.line} lists {listed} twice; allowed: each value once")
    key = override.key.lstrip("+~")
    if unnamed and len(set(override.values)) > 1:
        raise ConfigError(
            f"{override.line}: {key} is left out of the cells' folder names "
            f"(hydra.job.config.override_dirname.exclude_keys), so its cells would share one folder; "
            f"allowed: one value of {key} per sweep"
        )


def _check_each_key_once(overrides: Sequence[CellName]) -> None:
    """A key swept and then given again: Hydra gives every cell the later value, so the sweep
    collapses (a plain value and then a sweep of it is a sweep: the sweep's values win)."""
    swept: dict[str, CellName] = {}
    for override in overrides:
        key = override.key.lstrip("+~")
        if key in swept:
            raise ConfigError(
                f"{override.line}: {key} is swept by {swept[key].line} before it, and every cell would "
                f"take the later value; allowed: one value or one sweep of {key}"
            )
        if override.values:
            swept[key] = override
