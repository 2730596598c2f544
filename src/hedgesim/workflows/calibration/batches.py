"""Trials in batches: proposed from an in-memory copy of the study, stored a whole batch at once.

Going through optuna's SQLite storage for every step of a trial costs far more than the trial's
model run: each suggested value is its own checked write and commit (52 of them a trial), and
the sampler reads the study back. So a batched calibration copies the stored study into memory
once (:class:`Mirror`), lets the sampler propose each batch there, and when the batch is scored
stores its finished trials in one transaction (:func:`store_batch`): a batch is in the study file
whole or not at all. An interrupted batch leaves nothing behind, and a resumed study proposes
it again.

The sampler of each batch is seeded from the study's seed and the number of trials before the
batch, so the proposals depend on the seed and the stored trials alone: a study resumed after an
interruption makes the very trials an uninterrupted one makes.

:func:`store_batch` writes the rows optuna's own SQLite storage writes for a trial, through
optuna's table definitions (``optuna.storages._rdb.models``); optuna reads them back as its own
(tests/test_calibrate.py checks the round trip, so an optuna release that changes its tables
fails there, not in a user's study).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import numpy as np

MirrorSampler = Callable[[int], object]
"""Makes the study's sampler from a seed (hedgesim.workflows.calibration.study.sampler)."""


def batch_seed(seed: int, first: int) -> int:
    """The sampler's seed for the batch whose first trial is number ``first``."""
    return int(np.random.SeedSequence([seed, first]).generate_state(1)[0])


class Mirror:
    """An in-memory copy of a stored study, where batches are proposed and told.

    Args:
        study: the stored (SQLite) study; every trial of it is copied, numbers kept, so the
            sampler sees what it would see in the stored study, and a trial waiting there (a
            starting point) is run from here.
        seed: the study's seed.
        sampler: makes the study's sampler from a seed.
    """

    def __init__(self, study, seed: int, sampler: MirrorSampler):
        import optuna

        self.stored = study
        self.seed = seed
        self.sampler = sampler
        self.study = optuna.create_study(direction=study.direction, sampler=sampler(seed))
        self.study.add_trials(study.get_trials(deepcopy=False))

    def ask(self, count: int) -> list:
        """The next ``count`` trials, proposed by a sampler seeded for this batch."""
        first = len(self.study.get_trials(deepcopy=False))
        self.study.sampler = self.sampler(batch_seed(self.seed, first))
        return [self.study.ask() for _ in range(count)]

    def tell(self, trials: Sequence, scored: Sequence[tuple[float, int]]) -> list:
        """Finish the batch here with each trial's loss and passes, then store it in the study
        file in one transaction; the finished trials."""
        finished = []
        for trial, (value, passed) in zip(trials, scored, strict=True):
            trial.set_user_attr("passed", passed)
            finished.append(self.study.tell(trial, value))
        store_batch(self.stored, finished)
        return finished


def store_batch(study, finished: Sequence) -> None:
    """Write finished trials into the study's SQLite file in one transaction, numbers kept.

    A trial numbered past the stored ones is added; one the file holds must be waiting there
    (a starting point the batch ran), and is finished in place.

    Raises:
        RuntimeError: when the file's trials are not the ones the batch was proposed from
            (another process wrote to the study meanwhile).
    """
    from optuna.storages._rdb import models
    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    with Session(_engine(study)) as session, session.begin():
        study_id = session.scalars(
            select(models.StudyModel.study_id).filter_by(study_name=study.study_name)
        ).one()
        count = session.query(models.TrialModel).filter_by(study_id=study_id).count()
        rows = []
        for trial in finished:
            rows.append(_trial_row(session, models, study_id, count, trial))
            count = max(count, trial.number + 1)
        session.flush()  # the new rows' ids
        children = _children(
            session, models, [(row.trial_id, trial) for row, trial in zip(rows, finished, strict=True)]
        )
        for model, values in children.items():
            if values:
                session.execute(insert(model), values)


def _trial_row(session, models, study_id: int, count: int, trial):
    """The row of a finished trial, state and times set: a new one for the trial after the
    ``count`` trials stored or added, the waiting one for a trial the file holds."""
    import optuna

    if trial.intermediate_values:
        raise RuntimeError(f"trial {trial.number} reported intermediate values; a batch stores none")
    if trial.number < count:
        row = session.query(models.TrialModel).filter_by(study_id=study_id, number=trial.number).one()
        if row.state != optuna.trial.TrialState.WAITING:
            raise RuntimeError(f"trial {trial.number} is {row.state.name} in the study file, not waiting")
    elif trial.number == count:
        row = models.TrialModel(study_id=study_id, number=trial.number)
        session.add(row)
    else:
        raise RuntimeError(f"trial {trial.number} would follow {count} trials in the study file")
    row.state = trial.state
    row.datetime_start = trial.datetime_start
    row.datetime_complete = trial.datetime_complete
    return row


def _children(session, models, rows: Sequence[tuple[int, object]]) -> dict:
    """The values, parameters and attributes of each (trial id, finished trial), as rows of
    their tables; an attribute a waiting row already holds (its fixed values) is kept."""
    from optuna.distributions import distribution_to_json

    ids = [trial_id for trial_id, _ in rows]
    user, system = models.TrialUserAttributeModel, models.TrialSystemAttributeModel
    held = {model: _held_keys(session, model, ids) for model in (user, system)}
    tables = {models.TrialValueModel: [], models.TrialParamModel: [], user: [], system: []}
    for trial_id, trial in rows:
        for objective, value in enumerate(trial.values or ()):
            stored, kind = models.TrialValueModel.value_to_stored_repr(value)
            tables[models.TrialValueModel].append(
                {"trial_id": trial_id, "objective": objective, "value": stored, "value_type": kind}
            )
        tables[models.TrialParamModel].extend(
            {
                "trial_id": trial_id,
                "param_name": name,
                "param_value": trial.distributions[name].to_internal_repr(value),
                "distribution_json": distribution_to_json(trial.distributions[name]),
            }
            for name, value in trial.params.items()
        )
        for model, attributes in ((user, trial.user_attrs), (system, trial.system_attrs)):
            tables[model].extend(
                {"trial_id": trial_id, "key": key, "value_json": json.dumps(value)}
                for key, value in attributes.items()
                if (trial_id, key) not in held[model]
            )
    return tables


def _held_keys(session, model, ids: Sequence[int]) -> set[tuple[int, str]]:
    """The (trial id, key) pairs an attribute table already holds for these trials."""
    from sqlalchemy import select

    return set(session.execute(select(model.trial_id, model.key).where(model.trial_id.in_(ids))))


def _engine(study):
    """The SQLAlchemy engine of a study stored by optuna's RDB storage."""
    from optuna.storages import RDBStorage

    storage = getattr(study._storage, "_backend", study._storage)  # optuna wraps it in a cache
    if not isinstance(storage, RDBStorage):
        raise TypeError(f"a batched study needs optuna's RDB (SQLite) storage, not {type(storage).__name__}")
    return storage.engine
