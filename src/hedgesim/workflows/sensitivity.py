"""``hedgesim-sensitivity``: Sobol indices of the sweep outcomes (SALib), with confidence intervals.

Which of the three challenges (by default), or of the parameters the user lists instead, decides
where a rapprochement leads? Saltelli-Sobol sampling (``SALib.sample.sobol``) draws N x (D + 2)
parameter points; each point is one ensemble run to 2030 and is reduced to the cell outcomes
of :mod:`hedgesim.analysis.outcomes`; ``SALib.analyze.sobol`` gives first-order (S1) and total (ST)
indices with bootstrap confidence intervals.

Every point runs with the same seed (common random numbers), so an outcome is a deterministic
function of the parameters and differences between points come from the parameters alone.

The command says in words what the numbers cannot: which outcome was constant or undefined (its
indices are undefined, so it is left out; SALib's own warning is caught), and when the sample is
too small to read the indices (a first-order index above 1, or a 95% interval wider than +-0.1),
with the number of samples that would do: the intervals narrow as 1/sqrt(N).

The command line is :mod:`hedgesim.workflows.sensitivity_command`.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from hedgesim.analysis import outcomes as summary
from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import RunSpec, check_branch_in_run, machine_memory, run_of_size
from hedgesim.core.calendar import Month
from hedgesim.core.challenges import Challenges
from hedgesim.core.parameters import ModelParameters, ParameterError, allowed_range
from hedgesim.workflows import processes
from hedgesim.workflows.ensembles import MAX_CHUNK, simulate
from hedgesim.workflows.run import quiet_mesa, run_spec

CONSTANT_WARNING = "Constant values encountered"
"""The start of SALib's warning for an outcome constant over the base samples."""
PRECISION = 0.1
"""The confidence half-width (of an index in [0, 1]) below which an index is read; wider ones
ask for more samples (sample_size_notes)."""
POINT_BYTES = 1_000
"""Memory a point holds while the analysis runs, besides its factors' values: its outcomes as a
row (a dict of a dozen floats) and as a row of the samples table."""
DEFAULT_PARAMS = ("challenges.trust", "challenges.vested_interests", "challenges.tension")
GROUPS = {"challenges": Challenges, "params": ModelParameters}


@dataclasses.dataclass(frozen=True)
class Factor:
    """One uncertain input: its config key and the bounds it is sampled in."""

    key: str
    low: float
    high: float


def parse_factor(text: str) -> Factor:
    """``key`` (bounds from the parameter's allowed range) or ``key=low:high``.

    Raises:
        ConfigError: for an unknown key or bounds outside the parameter's allowed range.
    """
    key, given, bounds = text.partition("=")
    allowed_low, allowed_high = _allowed_range(key)
    if not given:  # "key=" with nothing after it is a typo, not the whole range
        return Factor(key, allowed_low, allowed_high)
    try:
        low, high = (float(v) for v in bounds.split(":"))
    except ValueError:
        raise ConfigError(f"--param {text}: bounds must read low:high, e.g. {key}=0.2:0.8") from None
    if not allowed_low <= low < high <= allowed_high:
        raise ConfigError(
            f"--param {text}: bounds out of range; allowed: low < high within [{allowed_low}, {allowed_high}]"
        )
    return Factor(key, low, high)


def _allowed_range(key: str) -> tuple[float, float]:
    """The documented range of ``challenges.<name>`` or ``params.<name>``, else a ConfigError."""
    group, _, name = key.partition(".")
    if group in GROUPS:
        try:
            return allowed_range(GROUPS[group], name)
        except ParameterError:
            pass
    allowed = [f"{g}.{f.name}" for g, cls in GROUPS.items() for f in dataclasses.fields(cls)]
    raise ConfigError(f"--param {key}: unknown parameter; allowed: {', '.join(allowed)}")


def check_sample_size(samples: int, n_factors: int, machine: int | None = None) -> None:
    """Refuse a sample whose points cannot be held in half this machine's memory, before any is
    drawn: SALib's draw failed with a numpy MemoryError traceback (``--samples 1099511627776``).

    Raises:
        ConfigError: naming ``--samples``, the points, the memory they need and the largest N
            that fits.
    """
    limit = (machine or machine_memory()) / 2
    per_sample = (n_factors + 2) * (POINT_BYTES + 8 * 3 * n_factors)  # points, SALib's draws, table
    if samples * per_sample <= limit:
        return
    largest = 2 ** max(int(limit // per_sample).bit_length() - 1, 0)
    raise ConfigError(
        f"--samples={samples}: {samples * (n_factors + 2):,} points need about "
        f"{samples * per_sample / 1e9:,.0f} GB; allowed: a power of 2 up to {largest:,} "
        f"(half of this machine's {(machine or machine_memory()) / 1e9:,.0f} GB)"
    )


def problem(factors: Sequence[Factor]) -> dict:
    """The SALib problem definition."""
    return {
        "num_vars": len(factors),
        "names": [f.key for f in factors],
        "bounds": [[f.low, f.high] for f in factors],
    }


def with_values(spec: RunSpec, factors: Sequence[Factor], values: Sequence[float]) -> RunSpec:
    """The base run with the factors set to ``values`` (validated like any config)."""
    changes: dict[str, dict[str, float]] = {group: {} for group in GROUPS}
    for factor, value in zip(factors, values, strict=True):
        group, _, name = factor.key.partition(".")
        changes[group][name] = float(value)
    challenges = dataclasses.replace(spec.challenges, **changes["challenges"])
    params = dataclasses.replace(spec.params, **changes["params"])
    challenges.validate()
    params.validate()
    check_branch_in_run(spec.branch, spec.calendar, challenges)
    return dataclasses.replace(spec, challenges=challenges, params=params)


def evaluate(spec: RunSpec) -> dict[str, float]:
    """One point: run the ensemble, reduce it to the cell outcomes."""
    model = run_spec(spec)
    return summary.cell_outcomes(model.trajectories())


def evaluate_points(spec: RunSpec, factors: Sequence[Factor], points: np.ndarray) -> list[dict]:
    """Several points as one ensemble (``workflows.ensembles``), each reduced to its outcomes:
    a worker starts once per chunk, each month is stepped once for all the chunk's points, and
    points that differ only in the challenges share their months before the branch. Each
    point's numbers are those of its own run (:func:`evaluate`)."""
    quiet_mesa()
    model, slices, _ = simulate([with_values(spec, factors, point) for point in points])
    return [summary.cell_outcomes(model.part(part).trajectories()) for part in slices]


def chunk_count(points: int, replicate_months: int, n_jobs: int) -> int:
    """Chunks for ``points`` points of ``replicate_months`` each: eight per process, more when
    a chunk would hold over ``MAX_CHUNK`` replicate-months, never more than the points."""
    largest = max(1, MAX_CHUNK // max(replicate_months, 1))
    return max(1, min(points, max(8 * max(n_jobs, 1), -(-points // largest))))


def run_points(spec: RunSpec, factors: Sequence[Factor], points: np.ndarray, n_jobs: int) -> pd.DataFrame:
    """Outcomes at every point, in chunks over ``n_jobs`` processes, with a progress line."""
    from joblib import effective_n_jobs

    n_jobs = effective_n_jobs(n_jobs)  # -1: one per CPU this process may use
    size = len(spec.replicate_ids) * spec.calendar.n_steps
    chunks = np.array_split(points, chunk_count(len(points), size, n_jobs))
    tasks = [(spec, factors, chunk) for chunk in chunks]
    if n_jobs == 1:
        done = (evaluate_points(*task) for task in tasks)
    else:
        processes.warm_engine()
        done = processes.imap(evaluate_points, tasks, n_jobs)
    rows: list[dict] = []
    for k, part in enumerate(done, 1):
        rows += part
        _progress(len(rows), len(points), k, len(chunks))
    frame = pd.DataFrame(points, columns=[f.key for f in factors])
    return pd.concat([frame, pd.DataFrame(rows)], axis=1)


def _progress(done: int, total: int, chunk: int, chunks: int) -> None:
    """A line per chunk on stderr, so a long analysis shows it is moving."""
    sys.stderr.write(f"hedgesim-sensitivity: {done}/{total} points ({chunk}/{chunks} chunks)\n")
    sys.stderr.flush()


def sobol_table(
    samples: pd.DataFrame,
    factors: Sequence[Factor],
    outcomes: Sequence[str],
    seed: int,
    conf: float = 0.95,
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """S1 and ST with their confidence half-widths, one row per outcome and parameter.

    An outcome that is undefined at some point (a median over no replicate), the same at every
    point, or the same at every point of the two base samples (SALib then warns "Constant values
    encountered" and returns zeros) has no meaningful index: it is left out, not reported as
    zero, and ``notes`` (when given) gets a sentence saying which outcome and why.
    """
    rows = []
    for outcome in outcomes:
        y = samples[outcome].to_numpy(dtype=float)
        problem_words = _undefined_because(y)
        if problem_words is None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                si = sobol_analyze.analyze(
                    problem(factors), y, calc_second_order=False, conf_level=conf, seed=_bootstrap(seed)
                )
            if any(CONSTANT_WARNING in str(w.message) for w in caught):
                problem_words = (
                    "takes the same value at every point of the two base samples (it varies only "
                    "where one factor is swapped in), so SALib cannot split its variance"
                )
        if problem_words is not None:
            if notes is not None:
                notes.append(f"{outcome} {problem_words}: its Sobol indices are undefined, left out.")
            continue
        for k, factor in enumerate(factors):
            rows.append(
                {
                    "outcome": outcome,
                    "parameter": factor.key,
                    "S1": si["S1"][k],
                    "S1_conf": si["S1_conf"][k],
                    "ST": si["ST"][k],
                    "ST_conf": si["ST_conf"][k],
                }
            )
    table = pd.DataFrame(rows, columns=["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"])
    return table.astype(dict.fromkeys(("S1", "S1_conf", "ST", "ST_conf"), float))  # floats, even empty


def _bootstrap(seed: int) -> np.random.Generator:
    """The bootstrap's generator, fresh for each outcome. SALib takes a seed of 0 (falsy) as no
    seed and draws from numpy's global state, so ``--seed 0`` gave other intervals on every run;
    a generator is used as given, and for any other seed it draws what the integer drew."""
    return np.random.default_rng(seed)


def _undefined_because(y: np.ndarray) -> str | None:
    """Why an outcome has no Sobol index (in words), or None when it has one."""
    undefined = int((~np.isfinite(y)).sum())
    if undefined:
        return f"is undefined at {undefined} of {y.size} points (e.g. a median over no replicate)"
    if np.ptp(y) == 0:
        return f"is {y[0]:g} at every one of the {y.size} points (no factor moves it)"
    return None


def sample_size_notes(table: pd.DataFrame, samples: int, precision: float = PRECISION) -> list[str]:
    """One sentence per outcome whose indices say the sample is too small, with the N that would do.

    A first-order index above 1 (an index is a share of the variance: at most 1), or a confidence
    half-width above ``precision``, means too few samples. The half-widths shrink as 1/sqrt(N), so
    N x (widest / precision)^2, rounded up to a power of 2, brings the widest to ``precision``.
    """
    notes = (
        _sample_note(str(o), rows, samples, precision) for o, rows in table.groupby("outcome", sort=False)
    )
    return [note for note in notes if note is not None]


def _sample_note(outcome: str, rows: pd.DataFrame, samples: int, precision: float) -> str | None:
    """The note of one outcome, or None when its sample is large enough.

    The N named is always larger than the one used: an index above 1 beside narrow (or undefined)
    intervals says the intervals are no guide, so the note then asks for the next power of 2.
    """
    spreads = rows[["S1_conf", "ST_conf"]].to_numpy(dtype=float)
    spreads = spreads[~np.isnan(spreads)]  # all NaN (too few points): no numpy warning on stderr
    widest = float(spreads.max()) if spreads.size else math.nan
    above = rows[rows["S1"] > 1.0]
    wide = bool(np.isfinite(widest) and widest > precision)
    if above.empty and not wide:
        return None
    larger = 2 ** int(samples).bit_length()  # the next power of 2 above N
    needed = max(enough_samples(samples, widest, precision) if wide else larger, larger)
    why = (
        f"S1 of {above['parameter'].iloc[0]} is {above['S1'].iloc[0]:.2f}, above 1 (an index is a "
        "share of the variance, at most 1), and its "
        if not above.empty
        else "its "
    )
    spread = "95% intervals are undefined" if np.isnan(widest) else f"widest 95% interval is +-{widest:.2f}"
    head = f"{outcome}: {why}{spread}: the sample is too small to read these"
    if not wide:
        return f"{head} indices. The intervals, from so few points, are no guide: try N = {needed:,} " + (
            f"(--samples {needed}) or more."
        )
    return (
        f"{head} indices. Intervals narrow as 1/sqrt(N): N = {samples} gives +-{widest:.2f}, so "
        f"about N = {needed:,} (--samples {needed}) would give +-{precision:g}."
    )


def enough_samples(samples: int, widest: float, precision: float = PRECISION) -> int:
    """The power of 2 at which a half-width of ``widest`` at ``samples`` shrinks to ``precision``."""
    wanted = samples * (widest / precision) ** 2
    return samples if wanted <= samples else 2 ** math.ceil(math.log2(wanted))


def analyse(
    overrides: Sequence[str],
    factors: Sequence[Factor],
    samples: int,
    replicates: int,
    seed: int,
    outcomes: Sequence[str] = summary.PROBABILITIES,
    n_jobs: int = 1,
    notes: list[str] | None = None,
    inputs: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sample, run and analyse; returns (samples with outcomes, Sobol table). ``seed`` seeds
    the runs (every point the same: common random numbers), the sample and the bootstrap.

    ``notes`` (when given) gets one sentence per outcome left out and per outcome whose sample
    is too small (see :func:`sobol_table` and :func:`sample_size_notes`). ``inputs`` (when
    given) gets the files the runs read beyond the config: ``parameter_sets`` (file, sha256,
    count) when the overrides name a sets file, whose content the overrides do not pin.
    """
    check_sample_size(samples, len(factors))
    spec = run_of_size(overrides, replicates, seed)  # a count out of bounds names --replicates
    refuse_factors_of_sets(factors, spec.sets_used)
    if inputs is not None and spec.sets_used:
        inputs["parameter_sets"] = dict(spec.sets_used)
    points = sobol_sample.sample(problem(factors), samples, calc_second_order=False, seed=seed)
    for point in points:  # every point's run checked here, before any runs on a worker
        with_values(spec, factors, point)
    if notes is not None:
        notes += horizon_notes(outcomes, spec.calendar.end)
    table = run_points(spec, factors, points, n_jobs)
    indices = sobol_table(table, factors, outcomes, seed, notes=notes)
    if notes is not None:
        notes += sample_size_notes(indices, samples)
    return table, indices


def refuse_factors_of_sets(factors: Sequence[Factor], sets_used: dict | None) -> None:
    """Refuse a sampled ``params.X`` that the parameter sets give a value per replicate: the
    sampled value would replace the sets' values in every replicate, while the manifest says the
    sets vary it (as an override ``params.X=v`` with sets is refused)."""
    listed = set((sets_used or {}).get("parameters", ()))
    for factor in factors:
        group, _, name = factor.key.partition(".")
        if group == "params" and name in listed:
            raise ConfigError(
                f"--param {factor.key}: the parameter sets ({sets_used['file']}) give it a value per "
                "set, which the sampled value would replace; allowed: parameters the sets do not "
                "list, or parameter_sets=null"
            )


def horizon_notes(outcomes: Sequence[str], end: Month, at: summary.Horizons = summary.DEFAULT) -> list[str]:
    """One sentence per outcome whose name reaches past the runs' last month (a short
    ``scenario.end``): it then reads the months up to ``end`` only, and its indices are not
    about what its name says (a collapse "from 2021 on" cannot happen at all before 2021)."""
    reach = {
        f"p_visa_by_{at.visa_by}": Month(at.visa_by, 12),
        f"p_priorities_by_{at.agreements_by}": Month(at.agreements_by, 12),
        f"p_framework_by_{at.agreements_by}": Month(at.agreements_by, 12),
        "p_collapse": Month(at.collapse_after + 1, 1),
        **{
            f"median_{s}_{at.final_year}": Month(at.final_year, 12)
            for s in ("relations_eu", "hedge_eu", "hedge_russia")
        },
    }
    return [
        f"{o} needs the runs to reach {reach[o]}, but they end at {end} (scenario.end): it reads the "
        f"months up to {end} only, not what its name says."
        for o in outcomes
        if o in reach and end < reach[o]
    ]
