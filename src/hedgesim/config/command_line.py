"""The command line as a whole: options read by Hydra's own parser, overrides checked, and the
folder the command will write resolved, so that it can be made, probed and pinned before Hydra
starts (a timestamped folder is resolved once, here, and handed to Hydra as an override).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from hydra._internal.utils import get_args_parser
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config.compose import describe_config_error
from hedgesim.config.errors import ConfigError
from hedgesim.config.overrides import check_with_hydra
from hedgesim.config.rerun import check_rerun, is_rerun
from hedgesim.core.shocks.timeline import show

OPTIONS = (
    "-m/--multirun, --cfg job|hydra|all, --resolve, -p/--package, -i/--info, -h/--help, "
    "--hydra-help, --version, -cn/--config-name, -cp/--config-path, -cd/--config-dir"
)
_ONLY_NOW = re.compile(r"^(?:[^$]|\$\{now:[^${}]*\})*$")
_PLAIN_PATH = re.compile(r"^[\w./\-+@%~]+$")


@dataclass
class CommandLine:
    """A command line as Hydra's parser reads it."""

    overrides: list[str]
    multirun: bool = False
    runs_a_job: bool = True
    config_dir: str | None = None
    expert: bool = False
    """A primary config of the user's own (--config-path, --config-name): the checks stand aside."""
    rerun: bool = False
    """A run's saved config.yaml (``rerun.as_rerun``): checked on the saved values."""


@dataclass
class CheckedCommand:
    """What the checks learned: configurations checked, and the folder the command will write."""

    checked: int
    overrides: list[str] = field(default_factory=list)
    """The command line's overrides, as given."""
    folder: str | None = None
    """The run (or sweep) folder, resolved; None when it depends on what only Hydra knows."""
    pin: list[str] = field(default_factory=list)
    """Overrides that fix the folder to ``folder`` (its timestamp resolved once, here)."""
    multirun: bool = False
    for_hydra: list[str] = field(default_factory=list)
    """The overrides as Hydra is to read them (a group's glob as the options it matches); empty:
    as given."""


def parse_command_line(argv: Sequence[str]) -> CommandLine:
    """Hydra's reading of a command line; a ConfigError in one line where Hydra would print usage.

    Raises:
        ConfigError: an unknown option, a bad --cfg choice, an unknown config name, overrides
            split by an option.
    """
    parser = get_args_parser()

    def refuse(message: str) -> None:
        if message.startswith("unrecognized arguments:"):
            tokens = message.split(":", 1)[1].split()
            if tokens and not tokens[0].startswith("-"):
                raise ConfigError(
                    f"{show(tokens[0])}: overrides are split by an option; allowed: the options, "
                    "then all the overrides together (hedgesim -m a=1 b=2)"
                )
            raise ConfigError(f"{message}; allowed options: {OPTIONS}")
        head, choices = (message.rsplit(" (choose from ", 1) + [""])[:2]
        raise ConfigError(f"{head}; allowed: {choices.rstrip(')')}" if choices else message)

    parser.error = refuse  # type: ignore[method-assign]
    args = parser.parse_args(list(argv))
    modes = [args.run, args.multirun, args.cfg, args.info, args.shell_completion]
    if sum(bool(m) for m in modes) > 1:
        raise ConfigError(
            "more than one of -r/--run, -m/--multirun, --cfg, --info, --shell-completion; allowed: one"
        )
    shown = args.help or args.hydra_help or args.info or args.cfg or args.shell_completion
    own_primary = args.config_name not in (None, "config")
    expert = args.config_path is not None or args.experimental_rerun is not None
    rerun = is_rerun(args.config_name) and not expert
    if own_primary and not expert and not rerun and args.config_dir is None:
        raise ConfigError(f"--config-name={args.config_name}: no such config; allowed: config")
    return CommandLine(
        overrides=list(args.overrides),
        multirun=bool(args.multirun),
        runs_a_job=not shown and args.experimental_rerun is None,
        config_dir=args.config_dir,
        expert=expert or (own_primary and not rerun),
        rerun=rerun,
    )


def check_command_line(argv: Sequence[str]) -> CheckedCommand:
    """Check a whole command line, options and overrides, and find the folder it will write.

    Raises:
        ConfigError: for the first bad option, key or value.
    """
    line = parse_command_line(argv)
    if line.expert:
        return CheckedCommand(0, line.overrides)
    if line.rerun:
        (checked, hydra_cfg), globs = check_rerun(line.overrides), {}
    else:
        overrides = list(line.overrides)
        if line.config_dir is not None and not any(o.startswith("hydra.searchpath") for o in overrides):
            overrides.append(f"hydra.searchpath=[file://{os.path.abspath(line.config_dir)}]")
        checked, hydra_cfg, globs = check_with_hydra(overrides)
    for_hydra = [globs.get(o, o) for o in line.overrides] if globs else []
    if not line.runs_a_job:
        return CheckedCommand(checked, line.overrides, for_hydra=for_hydra)
    mode = str(OmegaConf.select(hydra_cfg, "hydra.mode", default=""))
    multirun = line.multirun or mode.endswith("MULTIRUN")
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    folder, pin = _resolved_folder(hydra_cfg, key)
    return CheckedCommand(checked, line.overrides, folder, pin, multirun, for_hydra)


def _resolved_folder(cfg: DictConfig, key: str) -> tuple[str | None, list[str]]:
    """The folder ``key`` names, resolved, and an override that pins it for Hydra.

    A timestamp (``${now:...}``) is resolved here once and pinned, so Hydra writes the very
    folder prepared; a folder that names Hydra's own values (the job's name, its overrides)
    is left to Hydra, and None returned.

    Raises:
        ConfigError: an empty folder, or one whose ``${...}`` names nothing.
    """
    parent, name = key.rsplit(".", 1)
    node = OmegaConf.select(cfg, parent)
    raw = node._get_node(name)._value() if node is not None else None
    if not isinstance(raw, str):
        return None, []
    if "${" in raw and not _ONLY_NOW.match(raw) and "hydra" in raw:
        return None, []  # Hydra's own values, known when its job starts
    try:
        folder = str(OmegaConf.select(cfg, key, throw_on_resolution_failure=True))
    except OmegaConfBaseException as err:
        problem = describe_config_error(err).split("; allowed:")[0].removeprefix(f"{key}: ")
        raise ConfigError(f"{key}={show(raw)}: {problem}; allowed: a folder path") from None
    if not folder.strip():
        raise ConfigError(f"{key}={raw!r}; allowed: a folder path")
    if "${" not in raw:
        return folder, []
    if not _ONLY_NOW.match(raw) or not _PLAIN_PATH.match(folder):
        return None, []  # Hydra resolves it again; a timestamp may be a second later
    return folder, [f"{key}={folder}"]
