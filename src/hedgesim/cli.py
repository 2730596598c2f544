"""Thin Hydra entry points: ``hedgesim`` runs one scenario (or a sweep with -m).

Overrides are checked before Hydra starts any job, so a mistake costs one line on stderr,
exit code 2, and no run folder.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import hydra
import matplotlib
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from hedgesim.config.errors import ConfigError
from hedgesim.config.overrides import check_overrides, user_overrides
from hedgesim.config.schema import register_configs
from hedgesim.config.spec import build_run
from hedgesim.workflows.results import write_text
from hedgesim.workflows.run import ERROR, already_done, run_into

EXIT_USAGE = 2
log = logging.getLogger(__name__)
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
    matplotlib.use("Agg")  # a command writes figures to files; it never opens a window
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
    except Exception as err:
        write_text(f"{type(err).__name__}: {err}\n\n{traceback.format_exc()}", out / ERROR)
        log.error("cell %s failed: %s: %s", out.name, type(err).__name__, err)
        return "failed"
    return "complete"
