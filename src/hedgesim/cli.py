"""Thin Hydra entry points: ``hedgesim`` runs one scenario (or a sweep with -m).

Overrides are checked before Hydra starts any job, so a mistake costs one line on stderr,
exit code 2, and no run folder.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import hydra
import matplotlib.pyplot as plt
import pandas as pd
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hedgesim import plots
from hedgesim.config import ConfigError, RunSpec, build_run, register_configs
from hedgesim.model import HedgingModel
from hedgesim.results import (
    EVENTS,
    TRAJECTORIES,
    atomic_write,
    is_complete,
    write_manifest,
    write_parquet,
    write_text,
)
from hedgesim.simulate import CONFIG_MODULE, build_model, compose_config, resolved_yaml

EXIT_USAGE = 2
ERROR = "error.txt"
log = logging.getLogger(__name__)
_VALUE_OPTIONS = {
    "--config-name",
    "-cn",
    "--config-path",
    "-cp",
    "--config-dir",
    "-cd",
    "--package",
    "-p",
    "--cfg",
    "-c",
    "--experimental-rerun",
}


def user_overrides(argv: Sequence[str]) -> list[str]:
    """The key=value overrides in a Hydra command line (options and their values left out)."""
    found, skip = [], False
    for token in argv:
        if skip:
            skip = False
            continue
        if token in _VALUE_OPTIONS:
            skip = True
            continue
        if not token.startswith("-") and "=" in token:
            found.append(token)
    return found


def check_overrides(overrides: Sequence[str]) -> int:
    """Compose and validate every value a command line asks for, sweeps expanded per key.

    Returns:
        How many configurations were checked.

    Raises:
        ConfigError: for the first bad key or value.
    """
    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as err:
        raise ConfigError(str(err).splitlines()[0]) from None
    basic = not any(o.get_key_element() == "hydra/sweeper" for o in parsed)
    parsed = _with_configured_sweeps(parsed)
    plain, sweeps = [], []
    for override in parsed:
        if override.get_key_element().startswith("hydra"):
            continue
        if override.is_sweep_override():
            if basic and not override.is_discrete_sweep():
                raise ConfigError(
                    f"{override.input_line}: the basic sweeper runs only listed values; "
                    "allowed: a,b,c or range(start,stop,step) or choice(a,b)"
                )
            values = _sweep_values(override)
            sweeps.append([f"{override.get_key_element()}={v}" for v in values])
        else:
            plain.append(override.input_line)
    checks = [[]] + [[choice] for choice in itertools.chain.from_iterable(sweeps)]
    for extra in checks:
        build_run(compose_config([*plain, *extra]))
    return len(checks)


def _with_configured_sweeps(parsed: list) -> list:
    """The command line plus the sweep a named experiment sets in ``hydra.sweeper.params``.

    A key swept on the command line replaces the experiment's sweep of it, as in Hydra.
    """
    plain = [o.input_line for o in parsed if not o.is_sweep_override()]
    plain = [line for line in plain if not line.lstrip("+~").startswith("hydra")]
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
            cfg = compose(config_name="config", overrides=plain, return_hydra_config=True)
    except (HydraException, OmegaConfBaseException):
        return parsed  # the regular check below reports what is wrong
    finally:
        GlobalHydra.instance().clear()
    params = OmegaConf.select(cfg, "hydra.sweeper.params", default=None) or {}
    given = {o.get_key_element().lstrip("+~") for o in parsed}
    lines = [f"{key}={value}" for key, value in params.items() if key not in given]
    return [*OverridesParser.create().parse_overrides(lines), *parsed] if lines else parsed


def _sweep_values(override) -> list[str]:
    try:
        return list(override.sweep_string_iterator())
    except (HydraException, TypeError, ValueError):
        return []


LOOPBACK_RAY = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def keep_local_ray_on_loopback(args: Sequence[str]) -> None:
    """With ``hydra/launcher=ray_local``, make Ray's servers listen on 127.0.0.1 only.

    Ray swaps a loopback node address for the machine's own unless this variable is set, and
    its servers then listen on every interface; a single-machine sweep needs none of that.
    """
    if any(a.endswith("hydra/launcher=ray_local") for a in args):
        for key, value in LOOPBACK_RAY.items():
            os.environ.setdefault(key, value)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: validate overrides, then hand the command line to Hydra."""
    args = list(sys.argv[1:] if argv is None else argv)
    keep_local_ray_on_loopback(args)
    if not any(a in ("--help", "-h", "--hydra-help", "--info", "-i") for a in args):
        try:
            check_overrides(user_overrides(args))
        except ConfigError as err:
            print(f"hedgesim: error: {err}", file=sys.stderr)
            raise SystemExit(EXIT_USAGE) from None
    sys.argv = [sys.argv[0], *args]
    register_configs()
    run_app()


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def run_app(cfg: DictConfig) -> str:
    """One Hydra job: run the configured scenario into the job's output folder.

    In a multirun, a cell whose folder is already complete for the same config is skipped
    (that is how an interrupted sweep resumes), and a cell that fails records its error in
    ``error.txt`` instead of stopping the other cells; the aggregation lists it.
    """
    logging.getLogger("MESA").setLevel(logging.WARNING)
    hydra_cfg = HydraConfig.get()
    out = Path(hydra_cfg.runtime.output_dir)
    if hydra_cfg.mode != RunMode.MULTIRUN:
        try:
            spec = build_run(cfg)
        except ConfigError as err:
            print(f"hedgesim: error: {err}", file=sys.stderr)
            raise SystemExit(EXIT_USAGE) from None
        run_into(cfg, spec, out)
        return "complete"
    if already_done(cfg, out):
        log.info("cell %s: complete already, skipped", out.name)
        return "skipped"
    (out / ERROR).unlink(missing_ok=True)
    try:
        run_into(cfg, build_run(cfg), out, label=f"cell {hydra_cfg.job.num} [{out.name}]")
    except Exception as err:  # noqa: BLE001 - one failed cell must not stop the sweep
        write_text(f"{type(err).__name__}: {err}\n\n{traceback.format_exc()}", out / ERROR)
        log.error("cell %s failed: %s: %s", out.name, type(err).__name__, err)
        return "failed"
    return "complete"


def already_done(cfg: DictConfig, out: Path) -> bool:
    """A complete folder written from the very same resolved config."""
    saved = out / "config.yaml"
    return is_complete(out) and saved.is_file() and saved.read_text(encoding="utf-8") == resolved_yaml(cfg)


def run_model(spec: RunSpec, label: str = "run", every: float = 0.25) -> HedgingModel:
    """Build and step the model, logging its progress every ``every`` of the run."""
    model = build_model(spec)
    steps = spec.calendar.n_steps
    marks = {max(1, round(steps * k * every)) for k in range(1, round(1 / every) + 1)}
    while not model.finished:
        model.step()
        done = model.step_index + 1
        if done in marks:
            log.info("%s: %3d%% (%s)", label, round(100 * done / steps), model.month)
    return model


def run_into(cfg: DictConfig, spec, out: Path, label: str = "run") -> list[str]:
    """Run and write the folder: tables, config, figure, then the manifest."""
    started = time.perf_counter()
    model = run_model(spec, label)
    simulated = time.perf_counter() - started
    files = [TRAJECTORIES]
    trajectories = model.trajectories()
    write_parquet(trajectories, out / TRAJECTORIES)
    if cfg.output.events:
        write_parquet(model.event_log(), out / EVENTS)
        files.append(EVENTS)
    write_text(resolved_yaml(cfg), out / "config.yaml")
    files.append("config.yaml")
    if cfg.output.figure:
        figure = plots.relations_figure(trajectories, pd.DataFrame(spec.timeline.records()))
        atomic_write(out / "relations.png", lambda tmp: figure.savefig(tmp, dpi=110, format="png"))
        plt.close(figure)
        files.append("relations.png")
    write_manifest(
        out,
        seed=spec.seed,
        replicates=len(spec.replicate_ids),
        first_replicate=spec.replicate_ids[0],
        scenario=cfg.scenario.name,
        start=str(spec.calendar.start),
        end=str(spec.calendar.end),
        rows=len(trajectories),
        files=files,
        wall_time_s=round(time.perf_counter() - started, 3),
        simulate_s=round(simulated, 3),
    )
    print(f"hedgesim: wrote {out}", file=sys.stderr)
    return files
