"""The ensemble record: what a run keeps of every month, and how little memory it takes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from hedgesim.core import record as record_module
from hedgesim.core.record import EnsembleRecord, code_dtype
from hedgesim.workflows.run import build_model


def _run(spec, replicates: int = 6, precision: str = "float64"):
    return build_model(replace(spec, replicate_ids=tuple(range(replicates)), precision=precision)).run()


def _bytes_per_replicate_month(record: EnsembleRecord) -> int:
    """What the record's arrays take a replicate-month, held series (one row for all months) and
    uniform ones (one value a month) aside."""
    return sum(array.itemsize for array in record._arrays.values() if 0 not in array.strides)


def test_a_held_series_is_kept_once_and_read_in_every_month():
    record = EnsembleRecord(n_steps=5, n_replicates=3)
    record.hold("commitment", np.array([0.4, 0.5, 0.6]))
    for step in range(5):
        record.record(step, {"commitment": np.full(3, -1.0), "tension": np.full(3, step / 10)})
    held = record.series("commitment")
    assert held.shape == (5, 3) and held.strides[0] == 0  # one row, whatever the months
    np.testing.assert_array_equal(held, np.tile([0.4, 0.5, 0.6], (5, 1)))  # record() skipped it
    np.testing.assert_array_equal(record.flat("commitment", slice(1, 3)), [0.4, 0.5, 0.6] * 2)
    part, taken = record.replicates(slice(1, 3)), record.taken(np.array([2, 2, 0]))
    np.testing.assert_array_equal(part.series("commitment"), np.tile([0.5, 0.6], (5, 1)))
    np.testing.assert_array_equal(taken.series("commitment")[:1], [[0.6, 0.6, 0.4]])
    assert taken.series("commitment").strides[0] == 0
    taken.record(5 - 1, {"commitment": np.zeros(3), "tension": np.zeros(3)})  # still skipped
    np.testing.assert_array_equal(taken.series("commitment")[-1], [0.6, 0.6, 0.4])


def test_a_held_series_takes_the_records_precision():
    record = EnsembleRecord(n_steps=2, n_replicates=2, precision="float32")
    record.hold("commitment", 0.55)
    assert record.series("commitment").dtype == np.float32
    np.testing.assert_array_equal(record.series("commitment"), np.float32(0.55))


def test_a_series_all_replicates_share_is_one_value_a_month_until_one_departs(monkeypatch):
    monkeypatch.setattr(record_module, "UNIFORM_FROM", 0)
    record = EnsembleRecord(n_steps=4, n_replicates=3, precision="float32")
    months = [np.full(3, 0.5), np.full(3, 0.7), np.array([0.7, 0.9, 0.7]), np.full(3, 0.1)]
    record.record(0, {"tension": months[0], "trust": np.array([0.1, 0.2, np.nan])})
    record.record(1, {"tension": months[1], "trust": np.full(3, np.nan)})
    assert record.series("tension").strides == (4, 0)  # one float32 a month
    assert record.series("trust").strides[1] != 0  # NaN agrees with nothing
    forked = record.taken(np.array([2, 0]))
    for step in (2, 3):
        record.record(step, {"tension": months[step], "trust": np.zeros(3)})
    assert 0 not in record.series("tension").strides  # month 2 departed: every replicate kept
    np.testing.assert_array_equal(record.series("tension"), np.array(months, dtype=np.float32))
    forked.record(2, {"tension": np.full(2, 0.3), "trust": np.zeros(2)})
    assert forked.series("tension").strides == (4, 0)  # the fork keeps its own column
    np.testing.assert_array_equal(forked.series("tension")[:, 0], np.float32([0.5, 0.7, 0.3]))
    np.testing.assert_array_equal(
        record.replicates(slice(1, 3)).series("tension")[:2], np.float32([[0.5] * 2, [0.7] * 2])
    )


def test_codes_are_kept_in_the_narrowest_integers_that_hold_them():
    assert code_dtype(0) == code_dtype(127) == np.int8
    assert code_dtype(128) == code_dtype(30_000) == np.int16
    record = EnsembleRecord(n_steps=2, n_replicates=2, dtypes={"shock": np.int8})
    month = {"shock": np.array([-1, 100], dtype=np.int16), "count": np.array([1, 2], dtype=np.int16)}
    record.record(0, month)
    assert record.series("shock").dtype == np.int8 and record.series("count").dtype == np.int16
    np.testing.assert_array_equal(record.series("shock"), [[-1, 100]])


def test_a_run_keeps_its_commitment_once_and_its_codes_in_bytes(baseline_spec):
    model = _run(baseline_spec)
    record = model.record
    assert record.series("russia_commitment").strides[0] == 0
    table = model.trajectories()
    assert (table["russia_commitment"] == model.params.alliance_commitment).all()
    assert record.series("shock").dtype == record.series("decision").dtype == np.int8
    log = model.event_log()
    assert log["shock"].notna().any() and log["decision"].notna().any()  # codes still name their labels


@pytest.mark.parametrize(
    ("replicates", "precision", "expected"),
    [(1000, "float64", 189), (1000, "float32", 97), (6, "float64", 215), (6, "float32", 111)],
)
def test_a_runs_record_takes_its_bytes_per_replicate_month(baseline_spec, replicates, precision, expected):
    """26 real-valued series and 7 one-byte codes and states a replicate-month; the commitment,
    a parameter, once. In a large ensemble, the series no replicate departs from in sample (the
    dated tension and NPP concern, the commitment's cost, the shock struck, the framework
    agreement) one value a month; a small one does not check (the benchmarks' peak memory adds
    the tables and the process around it)."""
    record = _run(baseline_spec, replicates, precision=precision).record
    assert _bytes_per_replicate_month(record) == expected


def test_a_record_kept_one_value_a_month_gives_the_same_tables(baseline_spec, monkeypatch):
    model = _run(baseline_spec, 1000, precision="float32")
    monkeypatch.setattr(record_module, "UNIFORM_FROM", np.inf)
    every = _run(baseline_spec, 1000, precision="float32")
    assert _bytes_per_replicate_month(every.record) == 111
    pd.testing.assert_frame_equal(model.trajectories(), every.trajectories())
    pd.testing.assert_frame_equal(model.event_log(), every.event_log())
