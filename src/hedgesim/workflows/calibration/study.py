"""The optuna study: stored in SQLite, resumable, and refused when its inputs changed.

A study's trials are only comparable while everything they depend on stays the same: a
fingerprint of all of it (hedgesim.workflows.calibration.fingerprint) is stored with the study;
resuming with another one is an error rather than a silent mix of incomparable trials.

One calibration at a time works in a run folder (hedgesim.workflows.calibration.lock). Holding
its lock, a calibration knows that a trial still marked RUNNING was left by a killed process:
:func:`fail_stale_trials` marks it failed (it is not a result, and its values may be tried
again). The wall time spent searching is kept in the study (user attribute ``seconds``) and
grows after every trial (every batch), so it adds up across interruptions and resumes.

Trials in batches are proposed from an in-memory copy of the study and each finished batch is
stored in one transaction (hedgesim.workflows.calibration.batches); one at a time, a trial goes
through optuna's SQLite storage step by step, as it always did.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from hedgesim.analysis.pass_rules import loss, pass_count
from hedgesim.workflows.calibration.batches import Mirror
from hedgesim.workflows.calibration.objective import Objective
from hedgesim.workflows.calibration.search import CalibrationError, Dimension

STUDY_NAME = "hedgesim-baseline"
STARTUP_TRIALS = 40
SECONDS = "seconds"
"""The study's user attribute holding the wall time spent searching, over every run of it."""
SEED = "seed"
"""The study's user attribute holding its seed: batches seed their sampler from it."""


def open_study(run_dir: Path, seed: int, stamp: str, name: str = STUDY_NAME):
    """Create or resume the SQLite-backed study in ``run_dir``.

    Raises:
        CalibrationError: when the stored study was made for other settings.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    run_dir.mkdir(parents=True, exist_ok=True)
    storage = f"sqlite:///{(run_dir / 'study.db').resolve()}"
    study = optuna.create_study(
        study_name=name, storage=storage, sampler=sampler(seed), direction="minimize", load_if_exists=True
    )
    stored = study.user_attrs.get("fingerprint")
    if stored is None:
        study.set_user_attr("fingerprint", stamp)
    elif stored != stamp:
        raise CalibrationError(
            f"run folder {str(run_dir)!r} holds a study made with other settings or mechanics (fingerprint "
            f"{stored}, now {stamp}); allowed: the same settings and model, or a new --run-dir"
        )
    if study.user_attrs.get(SEED, seed) != seed:
        raise CalibrationError(
            f"run folder {str(run_dir)!r} holds a study of seed {study.user_attrs[SEED]}, now {seed}; "
            "allowed: the same seed, or a new --run-dir"
        )
    if SEED not in study.user_attrs:  # also a study made before the seed was kept
        study.set_user_attr(SEED, seed)
    return study


def drop_outgrown(run_dir: Path, stamp: str, name: str = STUDY_NAME) -> int:
    """Delete a second-stage study made after an earlier state of the first search; how many
    trials it held (0: none there, or it matches ``stamp``).

    Call it once the first search's study was resumed: its fingerprint covers every setting
    the second's does, so the second can differ only in what the first search fixed, which
    changes when the first search has grown (more ``--trials``, a resume after ``--timeout``).
    Its trials, made with other fixed values, are no results of this calibration.
    """
    import optuna

    path = run_dir / "study.db"
    if not path.is_file():
        return 0
    storage = f"sqlite:///{path.resolve()}"
    if name not in {s.study_name for s in optuna.get_all_study_summaries(storage)}:
        return 0
    study = optuna.load_study(study_name=name, storage=storage)
    if study.user_attrs.get("fingerprint") in (None, stamp):
        return 0
    held = len(study.trials)
    optuna.delete_study(study_name=name, storage=storage)
    return held


def sampler(seed: int):
    """The study's sampler: optuna's multivariate TPE, random for the first trials."""
    import optuna

    return optuna.samplers.TPESampler(seed=seed, multivariate=True, n_startup_trials=STARTUP_TRIALS)


def fail_stale_trials(study) -> list[int]:
    """Mark the trials a killed calibration left RUNNING as failed; returns their numbers.

    Call it only while holding the run folder's lock (``lock.hold_lock``): then no live process
    runs a trial of this study. A stale trial that was a starting point (an enqueued, fixed set
    of values) is enqueued again, so it is still tried; a sampled one is simply not counted.
    """
    import optuna

    stale = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for trial in stale:
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        fixed = trial.system_attrs.get("fixed_params")
        if fixed:
            study.enqueue_trial(dict(fixed))
    return [trial.number for trial in stale]


def searched_seconds(study) -> float:
    """Wall time spent searching this study, over all its runs (until the last finished trial
    of a run that was killed)."""
    return float(study.user_attrs.get(SECONDS, 0.0))


def suggest(trial, dims: Sequence[Dimension]) -> dict[str, float]:
    """The trial's values of the free parameters, drawn by the sampler and clipped into their
    ranges (a log-scale draw can land one rounding step past a bound: 5.000000000000001 for 5)."""
    return {d.name: d.clipped(trial.suggest_float(d.name, d.low, d.high, log=d.log)) for d in dims}


def completed(study) -> list:
    """The study's completed trials (failed or pruned ones are not results)."""
    import optuna

    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))


def run_trials(
    study,
    objective: Objective,
    dims: Sequence[Dimension],
    n_trials: int,
    starts: Sequence[Mapping[str, float]],
    timeout: float | None,
    progress: bool,
    desc: str = "calibrating",
    on_trial: Callable[[], None] | None = None,
    batch: int = 1,
) -> int:
    """Run the trials a (possibly resumed) study still lacks; returns how many ran.

    A fresh study first tries ``starts`` (the configured baseline first), so a calibration never
    ends worse than where it started. The wall time spent here is added to the study's
    ``seconds`` after every trial (every batch) and when the search stops, whatever stops it.
    ``desc`` labels the progress bar; ``on_trial`` is called after each trial (a study run in
    another process reports its progress through it).

    With ``batch`` > 1 the sampler proposes that many trials at once (its TPE sampler counts the
    ones still running as bad, so it spreads them) and the objective runs them as one ensemble
    (:meth:`Objective.scores`); each trial's result is the one it would get alone. A batch is
    proposed from an in-memory copy of the study and stored whole once scored, in one
    transaction (:class:`~hedgesim.workflows.calibration.batches.Mirror`): a killed calibration
    leaves no trial of its batch behind, and the resumed study proposes that batch again, the
    same values as an uninterrupted study. One at a time, a killed calibration leaves its trial
    RUNNING, for :func:`fail_stale_trials`.
    """
    from tqdm.auto import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: scoring workers may be forked after this bar
    done = len(completed(study))
    remaining = max(n_trials - done, 0)
    if remaining == 0:
        return 0
    before = searched_seconds(study)
    started = time.perf_counter()

    def clock() -> None:
        study.set_user_attr(SECONDS, before + time.perf_counter() - started)

    if done == 0:
        for point in starts:
            study.enqueue_trial(dict(point), skip_if_exists=True)
    ran: list[int] = []
    bar = tqdm(total=remaining, desc=desc, unit="trial", disable=not progress, file=sys.stderr)

    def score(trial) -> float:
        table = objective.table(suggest(trial, dims))
        trial.set_user_attr("passed", pass_count(table))
        return loss(table)

    def tick(study, trials: Sequence) -> None:
        """After a trial (a batch) is stored: the clock, the count, the progress."""
        clock()
        for trial in trials:
            ran.append(trial.number)
            bar.update(1)
            if on_trial is not None:
                on_trial()
        if study.best_trial is not None:
            bar.set_postfix(best=f"{study.best_value:.3f}", passed=study.best_trial.user_attrs.get("passed"))

    try:
        if batch <= 1:
            _optimize_quietly(
                study,
                score,
                n_trials=remaining,
                timeout=timeout,
                callbacks=[lambda study, trial: tick(study, [trial])],
            )
        else:
            _run_batches(study, objective, dims, remaining, timeout, batch, tick)
    finally:
        bar.close()
        with contextlib.suppress(Exception):  # never hide why the search stopped
            clock()
    return len(ran)


def _optimize_quietly(study, score: Callable, **options) -> None:
    """``study.optimize`` one trial at a time, without optuna's warning of a failed trial: on
    Ctrl-C or an error it printed the trial's values and a traceback, where the command says one
    line (the exception itself still stops the search). A Ctrl-C is raised as itself wherever it
    lands; the trial it cut off stays RUNNING, for :func:`fail_stale_trials`."""
    import optuna

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        study.optimize(score, gc_after_trial=False, **options)
    except Exception as err:  # a Ctrl-C while optuna stores a trial: its clean-up fails on it
        stop = _interruption(err)
        if stop is None:
            raise
        raise stop from None
    finally:
        optuna.logging.set_verbosity(verbosity)


def _interruption(err: BaseException) -> BaseException | None:
    """The Ctrl-C (or a worker's stop) ``err`` was raised while handling, if any: optuna's
    clean-up of a trial whose storing a Ctrl-C cut off raises UnboundLocalError instead."""
    cause = err.__context__
    while cause is not None:
        if isinstance(cause, KeyboardInterrupt | SystemExit):
            return cause
        cause = cause.__context__
    return None


def _run_batches(
    study,
    objective: Objective,
    dims: Sequence[Dimension],
    n_trials: int,
    timeout: float | None,
    batch: int,
    tick: Callable,
) -> None:
    """``study.optimize`` by batches: propose up to ``batch`` trials from an in-memory copy of
    the study, score them as one ensemble, store them at once; no batch starts after ``timeout``
    seconds. A failure (or an interruption) stores nothing of its batch and is raised."""
    mirror = Mirror(study, study.user_attrs[SEED], sampler)
    started = time.perf_counter()
    left = n_trials
    while left > 0 and (timeout is None or time.perf_counter() - started < timeout):
        trials = mirror.ask(min(batch, left))
        finished = mirror.tell(trials, objective.scores([suggest(trial, dims) for trial in trials]))
        tick(mirror.study, finished)
        left -= len(trials)


def trials_table(study, dims: Sequence[Dimension]) -> pd.DataFrame:
    """Completed trials, best first: number, loss, passes and the parameter values."""
    rows = [
        {
            "trial": t.number,
            "loss": t.value,
            "passed": t.user_attrs.get("passed"),
            **{d.name: t.params.get(d.name, math.nan) for d in dims},
        }
        for t in completed(study)
    ]
    frame = pd.DataFrame(rows, columns=["trial", "loss", "passed", *(d.name for d in dims)])
    return frame.sort_values(["loss", "trial"]).reset_index(drop=True)
