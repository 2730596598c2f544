"""The fan cells a sweep configures (``hydra.callbacks.aggregate.fans``) are checked before any
cell runs, as ``hedgesim-aggregate --fan`` is."""

from __future__ import annotations

import pytest
from omegaconf import DictConfig, OmegaConf

from conftest import run_cli
from hedgesim.workflows.sweep import callback

FAST = ["replicates=2", "scenario.end=2010-12", "output.events=false", "output.figure=false"]
ALLOWED = (
    "allowed: the swept keys challenges.trust, or challenges.vested_interests, challenges.tension, "
    "seed, replicates"
)


def test_a_misspelt_fan_override_is_refused_before_any_cell_runs(tmp_path):
    """The sweep ran every cell, then its aggregation refused the fan (exit 1, no summary)."""
    fans = "hydra.callbacks.aggregate.fans=['challenges.trus=0.5']"
    result = run_cli(
        "-m", "challenges.trust=0,1", *FAST, fans, f"hydra.sweep.dir={tmp_path / 'mr'}", cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "hedgesim: error: hydra.callbacks.aggregate.fans='challenges.trus=0.5': 'challenges.trus' is "
        f"not a key of the sweep's cells; {ALLOWED}"
    ]
    assert not (tmp_path / "mr").exists()


def test_a_misspelt_fan_of_an_experiment_is_refused_before_any_cell_runs(tmp_path):
    conf = tmp_path / "conf" / "experiment"
    conf.mkdir(parents=True)
    (conf / "fanned.yaml").write_text(
        "# @package _global_\nhydra:\n  sweeper:\n    params:\n      challenges.trust: 0,1\n"
        "  callbacks:\n    aggregate:\n      fans:\n        - challenges.trust=1,challenges.tenson=0\n"
    )
    line = [f"hydra.searchpath=[file://{conf.parent}]", "+experiment=fanned", *FAST]
    result = run_cli("-m", *line, f"hydra.sweep.dir={tmp_path / 'mr'}", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "hedgesim: error: hydra.callbacks.aggregate.fans='challenges.trust=1,challenges.tenson=0': "
        f"'challenges.tenson' is not a key of the sweep's cells; {ALLOWED}"
    )
    assert not (tmp_path / "mr").exists()
    assert "cells finished" not in result.stderr


def multirun_config(fans: list[str], *task: str) -> DictConfig:
    """A multirun config as Hydra hands it to the callback: the sweep's overrides and its fans."""
    return OmegaConf.create(
        {
            "hydra": {
                "sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"},
                "overrides": {"task": list(task)},
                "callbacks": {"aggregate": {"fans": fans}},
            }
        }
    )


@pytest.mark.parametrize(
    "fan", ["params.trust_loss=0.2,challenges.trust=1", "challenges.tension=0.5", "seed=3,replicates=2"]
)
def test_fans_on_the_swept_keys_and_the_challenges_start_the_sweep(fan):
    config = multirun_config([fan], "params.trust_loss=0.1,0.2", "challenges.trust=0,1", "replicates=2")
    callback.AggregateSweep(fans=[fan]).on_multirun_start(config)  # no SystemExit


def test_the_start_check_names_the_swept_keys_allowed(capsys):
    config = multirun_config(["params.trust_los=0.2"], "params.trust_loss=0.1,0.2")
    with pytest.raises(SystemExit) as stop:
        callback.AggregateSweep(fans=["params.trust_los=0.2"]).on_multirun_start(config)
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "hedgesim: error: hydra.callbacks.aggregate.fans='params.trust_los=0.2': 'params.trust_los' is "
        "not a key of the sweep's cells; allowed: the swept keys params.trust_loss, or challenges.trust, "
        "challenges.vested_interests, challenges.tension, seed, replicates\n"
    )


def test_a_sweeper_without_a_plan_leaves_the_fans_to_the_aggregation():
    config = multirun_config(["params.x=1"], "params.x=1,2")
    config.hydra.sweeper._target_ = "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper"
    callback.AggregateSweep(fans=["params.x=1"]).on_multirun_start(config)  # no SystemExit
