"""The Ray cluster a sweep is to join, probed before any job: an address where nothing listens
costs one line at once, where Ray alone retries it for minutes.

Both ways a sweep joins a running cluster are probed: the batched launcher's
``hydra.launcher.ray_address`` (as it starts, :func:`probe`) and Hydra's Ray launcher's
``hydra.launcher.ray.init.address`` (``hydra/launcher=ray_cluster`` or ``ray``; it is not
hedgesim's code, so the sweep's callback probes its config as the multirun starts,
:func:`check_ray_launcher`). Either falls back to ``RAY_ADDRESS`` where Ray would.
"""

from __future__ import annotations

import os
import socket
import sys

from omegaconf import DictConfig, OmegaConf

RAY_PROBE_S = 3.0
"""How long a Ray address may take to accept a connection before the sweep gives up on it."""
EXIT_NO_CLUSTER = 1
"""The exit status when the Ray cluster named cannot be joined: no job has run."""
RAY_LAUNCHER = "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"
"""Hydra's Ray launcher (``hydra/launcher=ray``, and hedgesim's ``ray_cluster`` and ``ray_local``)."""
RAY_INIT_ADDRESS = "hydra.launcher.ray.init.address"


def unreachable(address: str, timeout: float = RAY_PROBE_S) -> str | None:
    """Why nothing would answer at a ``host:port`` Ray address (``ray://`` too), or None when a
    connection is accepted or the address is not of that form (``auto``, ``local``: Ray's)."""
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not host or not port.isdigit():
        return None
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return None
    except OSError as err:
        why = err.strerror or str(err) or type(err).__name__
        return f"nothing accepts a connection there within {timeout:g} s: {why}"


def no_cluster(key: str, address: str, reason: str, instead: str) -> None:
    """One line saying no cluster answers at ``address`` and what is allowed; exit, no job run."""
    print(
        f"hedgesim: error: {key}={address}: no Ray cluster answers ({reason}); "
        f"allowed: the address of a running cluster (ray start --head, docs/sweeps.md), or {instead}",
        file=sys.stderr,
        flush=True,
    )
    raise SystemExit(EXIT_NO_CLUSTER)


def probe(key: str, address: str | None, instead: str) -> None:
    """Probe the address a launcher gives Ray (``key``'s value): ``auto``, or none, is
    ``RAY_ADDRESS`` when that is set, as Ray reads it; exit with one line if nothing listens."""
    named, value = key, "auto" if address is None else str(address)
    if value == "auto" and os.environ.get("RAY_ADDRESS"):  # where Ray looks first
        named, value = "RAY_ADDRESS", os.environ["RAY_ADDRESS"]
    reason = unreachable(value)
    if reason is not None:
        no_cluster(named, value, reason, instead)


def check_ray_launcher(config: DictConfig) -> None:
    """Probe the cluster Hydra's Ray launcher is to join, when the sweep's launcher is that one."""
    if OmegaConf.select(config, "hydra.launcher._target_", default=None) != RAY_LAUNCHER:
        return
    address = OmegaConf.select(config, RAY_INIT_ADDRESS, default=None)
    probe(RAY_INIT_ADDRESS, address, "hydra/launcher=ray_local (Ray on this machine)")
