"""The search space: which parameters the calibration frees, over which ranges, with which settings.

conf/calibration/search.yaml names each free parameter with its range (and whether it is
searched on a log scale), the study's settings and optional starting points. Everything is
checked against ModelParameters' allowed ranges before a single trial runs, so a typo costs a
one-line error rather than a study on the wrong space.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hedgesim.config.compose import CONF_DIR
from hedgesim.core.parameters import ModelParameters, ParameterError, allowed_range
from hedgesim.workflows.targets_file import InputError, read_yaml

SEARCH_FILE = CONF_DIR / "calibration" / "search.yaml"


MAX_SEED = 2**32 - 1
"""The largest seed the study's TPE sampler takes (numpy's legacy seeding)."""


class CalibrationError(InputError):
    """A user's mistake in the calibration settings: one line, no traceback."""


@dataclass(frozen=True)
class Dimension:
    """One free parameter: its search range and scale."""

    name: str
    low: float
    high: float
    log: bool = False

    def unit(self, value: float) -> float:
        """Position of a value in the range, 0..1 (on the log scale when searched so)."""
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def value_at(self, unit: float) -> float:
        """The value at a position 0..1 of the range (the inverse of :meth:`unit`), clipped into
        the range: exp(log(x)) can land one rounding step past a bound."""
        if self.log:
            low, high = math.log(self.low), math.log(self.high)
            return self.clipped(math.exp(low + unit * (high - low)))
        return self.clipped(self.low + unit * (self.high - self.low))

    def clipped(self, value: float) -> float:
        """``value`` moved into the range: a value computed on a log scale can land one rounding
        step past a bound, which a range ending at a parameter's own limit must not pass on."""
        return min(max(value, self.low), self.high)


@dataclass(frozen=True)
class Settings:
    """What a calibration runs: trials, ensemble sizes, seed, scenario, how many trials run
    side by side as one ensemble (``batch``; 1: one trial at a time), and whether a second
    search follows the first with the parameters its profile leaves flat fixed (``fix_flat``,
    hedgesim.workflows.calibration.refine)."""

    trials: int = 1500
    replicates: int = 64
    final_replicates: int = 400
    seed: int = 20101219
    scenario: str = "reproduce"
    batch: int = 1
    fix_flat: bool = False


def read_search(path: Path = SEARCH_FILE) -> tuple[list[Dimension], Settings]:
    """The free parameters (validated against ModelParameters) and the settings.

    Raises:
        CalibrationError: naming the parameter, its value and what is allowed.
    """
    data = read_yaml(path, "search")
    raw = data.get("parameters")
    if not isinstance(raw, dict) or not raw:
        raise CalibrationError(
            f"search.parameters in {path.name} is missing or empty; allowed: a mapping "
            "of parameter name to {low, high, log}"
        )
    known = {f.name: f for f in dataclasses.fields(ModelParameters)}
    dims = [_dimension(name, spec, known) for name, spec in raw.items()]
    settings = _settings(data.get("settings") or {})
    return dims, settings


def read_starts(path: Path, dims: Sequence[Dimension]) -> list[dict[str, float]]:
    """Starting points the study tries right after the configured baseline (``starts:``).

    Each is a partial mapping of free parameters to values inside their search ranges; the
    parameters it leaves out keep the configured values.

    Raises:
        CalibrationError: for a name that is not a free parameter or a value outside its range.
    """
    raw = read_yaml(path, "search").get("starts") or []
    if not isinstance(raw, list):
        raise CalibrationError(f"search.starts={raw!r}; allowed: a list of mappings parameter: value")
    ranges = {d.name: d for d in dims}
    return [_start(k, point, ranges) for k, point in enumerate(raw)]


def _start(k: int, point: Any, ranges: Mapping[str, Dimension]) -> dict[str, float]:
    """One validated starting point, the ``k``-th of the list."""
    if not isinstance(point, dict):
        raise CalibrationError(f"search.starts[{k}]={point!r}; allowed: a mapping parameter: value")
    for name, value in point.items():
        d = ranges.get(name)
        if d is None:
            raise CalibrationError(
                f"search.starts[{k}].{name}: not a free parameter; allowed: {', '.join(ranges)}"
            )
        if not isinstance(value, (int, float)) or not d.low <= value <= d.high:
            raise CalibrationError(
                f"search.starts[{k}].{name}={value!r}; allowed: a number in [{d.low}, {d.high}]"
            )
    return {name: float(v) for name, v in point.items()}


def _dimension(name: str, spec: Any, known: Mapping[str, dataclasses.Field]) -> Dimension:
    """One free parameter, its range inside the one ModelParameters allows."""
    if name not in known:
        raise CalibrationError(
            f"search.parameters.{name}: unknown parameter; allowed: {', '.join(sorted(known))}"
        )
    if not isinstance(spec, dict) or not {"low", "high"} <= set(spec):
        raise CalibrationError(
            f"search.parameters.{name}={spec!r}; allowed: {{low: <number>, high: <number>}}"
        )
    extra = set(spec) - {"low", "high", "log"}
    if extra:
        raise CalibrationError(
            f"search.parameters.{name}: unknown key(s) {sorted(extra)}; allowed: low, high, log"
        )
    low, high, log = spec["low"], spec["high"], spec.get("log", False)
    if not isinstance(log, bool):  # `log: no` is false, `log: "no"` would have been true
        raise CalibrationError(f"search.parameters.{name}.log={log!r}; allowed: true or false")
    try:
        lo_ok, hi_ok = allowed_range(ModelParameters, name)
    except ParameterError:
        lo_ok, hi_ok = -math.inf, math.inf
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high))
    if not numbers or not lo_ok <= low < high <= hi_ok:
        raise CalibrationError(
            f"search.parameters.{name}: range [{low}, {high}]; allowed: low < high inside [{lo_ok}, {hi_ok}]"
        )
    if log and low <= 0:
        raise CalibrationError(f"search.parameters.{name}: log scale needs low > 0, got low={low}")
    return Dimension(name, float(low), float(high), log)


def _settings(raw: Mapping[str, Any]) -> Settings:
    """The ``settings:`` block: known keys only, counts >= 1."""
    allowed = {f.name: f.type for f in dataclasses.fields(Settings)}
    unknown = set(raw) - set(allowed)
    if unknown:
        raise CalibrationError(
            f"search.settings: unknown key(s) {sorted(unknown)}; allowed: {', '.join(allowed)}"
        )
    settings = Settings(**raw)
    for key in ("trials", "replicates", "final_replicates", "batch"):
        value = getattr(settings, key)
        if not isinstance(value, int) or value < 1:
            raise CalibrationError(f"search.settings.{key}={value!r}; allowed: an integer >= 1")
    seed = settings.seed
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise CalibrationError(f"search.settings.seed={seed!r}; allowed: an integer in [0, {MAX_SEED}]")
    if not isinstance(settings.fix_flat, bool):
        raise CalibrationError(f"search.settings.fix_flat={settings.fix_flat!r}; allowed: true or false")
    return settings
