"""A study's fingerprint: everything its trials depend on, so a resumed study can refuse a change.

A study's trials are only comparable while the search space, the settings, the targets, the
overrides, the starting points and the model's mechanics stay the same. The fingerprint digests
all of these (the mechanics as the source of hedgesim/core and the dated shocks); the study keeps
it (hedgesim.workflows.calibration.study.open_study) and a resume with another one is an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from hedgesim import core
from hedgesim.analysis.targets import Target
from hedgesim.config.compose import CONF_DIR
from hedgesim.workflows.calibration.search import Dimension, Settings

CORE_DIR = Path(core.__file__).resolve().parent
SHOCKS_DIR = CONF_DIR / "shocks"


def mechanics_digest() -> str:
    """A digest of the model's mechanics and dated shocks: trials made on other mechanics are stale.

    Every ``.py`` file under hedgesim/core (subpackages included) and every YAML file of
    conf/shocks, in path order.
    """
    files = sorted(CORE_DIR.rglob("*.py")) + sorted(SHOCKS_DIR.glob("*.yaml"))
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(
    dims: Sequence[Dimension],
    settings: Settings,
    targets: Sequence[Target],
    overrides: Sequence[str],
    starts: Sequence[Mapping[str, float]] = (),
) -> str:
    """What a study's trials depend on; a resumed study must match it."""
    payload = json.dumps(
        {
            "dims": [dataclasses.asdict(d) for d in dims],
            "replicates": settings.replicates,
            "seed": settings.seed,
            "scenario": settings.scenario,
            "targets": [
                (t.id, t.rule, t.tolerance, str(t.observed), t.target_value, t.condition)
                for t in targets
                if t.evaluate
            ],
            "overrides": list(overrides),
            "starts": [dict(sorted(point.items())) for point in starts],
            "mechanics": mechanics_digest(),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
