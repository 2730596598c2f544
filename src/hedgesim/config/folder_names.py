"""The names of a sweep's cell folders: Hydra names each after its overrides
(``hydra.sweep.subdir: ${hydra.job.override_dirname}``), and a file system takes at most
``NAME_MAX`` bytes in one name.

A sweep with many overrides once failed at its first job, with a traceback for every cell and the
whole sweep folder gone; the longest name is known before any job runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig, OmegaConf

from hedgesim.config.errors import ConfigError

NAME_MAX = 255
"""Bytes in one file name on Linux's and macOS's file systems."""


def check_cell_names(plain: Sequence[str], sweeps: Sequence[Sequence[str]], cfg: DictConfig) -> None:
    """Refuse a sweep whose longest cell folder name would be longer than ``NAME_MAX`` bytes.

    Args:
        plain: the task's plain overrides (``key=value``).
        sweeps: each swept key's cells, as ``key=value`` lines.
        cfg: the config composed with Hydra's part (its subdir and excluded keys).

    Raises:
        ConfigError: naming the length and what is allowed.
    """
    subdir = OmegaConf.to_container(cfg.hydra.sweep, resolve=False).get("subdir", "")
    if not sweeps or "override_dirname" not in str(subdir):  # a single run's folder is not so named
        return
    named = cfg.hydra.job.config.override_dirname
    excluded = set(named.exclude_keys or [])
    choices = [[line] for line in plain] + [list(values) for values in sweeps if values]
    parts = [max(len(c.encode()) for c in items) for items in choices if _key(items[0]) not in excluded]
    longest = sum(parts) + len(str(named.item_sep)) * max(len(parts) - 1, 0)
    if longest > NAME_MAX:
        raise ConfigError(
            f"the sweep's cell folders would be named by their overrides, up to {longest} bytes; "
            f"allowed: at most {NAME_MAX} bytes in a name: fewer overrides, or "
            "hydra.sweep.subdir='${hydra.job.num}' (cells named by number)"
        )


def _key(line: str) -> str:
    return line.split("=", 1)[0].lstrip("+~")
