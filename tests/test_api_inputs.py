"""The Python API's inputs: what the command line refuses, the API refuses too, in one line."""

from __future__ import annotations

import numpy as np
import pytest

import hedgesim
from hedgesim import api
from hedgesim.config.compose import compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.parameter_sets import PLAUSIBLE_FILE, read_sets, set_parameters
from hedgesim.config.spec import build_run
from hedgesim.core.parameters import ModelParameters


@pytest.mark.parametrize(
    "overrides",
    [
        ["parameter_sets=plausible", "params.trust_loss=0.2"],
        ["params.trust_loss=0.2", "parameter_sets=plausible"],
    ],
)
def test_a_parameter_the_sets_give_per_replicate_is_refused_not_replaced(overrides):
    with pytest.raises(ConfigError) as err:
        hedgesim.simulate_run(overrides, replicates=2, seed=1)
    assert str(err.value) == (
        "params.trust_loss=0.2: parameter_sets=plausible gives params.trust_loss a value per set; "
        "allowed: overrides of parameters the sets do not list, or parameter_sets=null"
    )


@pytest.mark.parametrize(
    "line",
    [
        ["parameter_sets=null,plausible", "params.trust_loss=0.1,0.3"],
        ["params.trust_loss=0.1", "parameter_sets=plausible,null"],
    ],
)
def test_a_sweep_over_the_sets_refuses_a_parameter_they_give_per_replicate(line, tmp_path):
    """In a sweep over parameter_sets, its plausible cells ran with the sets' values in place of
    the swept ones, so cells that differ only in that parameter were the same, silently."""
    from hedgesim.config.command_line import check_command_line

    with pytest.raises(ConfigError) as err:
        check_command_line(["-m", *line, f"hydra.sweep.dir={tmp_path}"])
    key = "params.trust_loss"
    assert str(err.value).endswith(
        f"parameter_sets=plausible gives {key} a value per set; "
        "allowed: overrides of parameters the sets do not list, or parameter_sets=null"
    )
    assert str(err.value).startswith(next(o for o in line if o.startswith(key)))


def test_a_parameter_the_sets_leave_alone_is_taken_beside_them():
    run = hedgesim.simulate_run(["parameter_sets=plausible", "params.spoiler_rate=0.2"], replicates=2, seed=1)
    assert float(run.model.params.spoiler_rate) == 0.2
    assert len(run.model.params.trust_loss) == 2  # one value per replicate, from the sets
    assert hedgesim.simulate_run(["params.trust_loss=0.2"], replicates=1).model.params.trust_loss == 0.2


def test_vary_refuses_another_size_for_values_given_per_replicate():
    base = build_run(compose_config(["parameter_sets=plausible", "replicates=4", "first_replicate=5"]))
    for count in (2, 10):
        with pytest.raises(ConfigError) as err:
            api.vary(base, replicates=count)
        assert str(err.value) == (
            f"replicates={count}: the base gives params.trust_gain one value for each of its 4 "
            f"replicates; allowed: replicates=4, or a base built with {count} replicates"
        )
    same = api.vary(base, replicates=4, challenges={"trust": 0.2})
    assert same.replicate_ids == (5, 6, 7, 8) and np.shape(same.params.trust_gain) == (4,)
    defaults = ModelParameters()
    listed = {name: getattr(defaults, name) for name in set_parameters(read_sets(PLAUSIBLE_FILE))}
    smaller = api.vary(api.vary(base, params=listed), replicates=2)  # one value each: any size
    assert smaller.replicate_ids == (5, 6) and smaller.params.trust_gain == defaults.trust_gain


@pytest.mark.parametrize(
    "override", ["hydra.run.dir=elsewhere", "hydra/launcher=basic", "hydra.job.chdir=true"]
)
def test_hydras_settings_which_a_python_run_would_ignore_are_refused(override):
    with pytest.raises(ConfigError) as err:
        hedgesim.simulate([override], replicates=1)
    assert str(err.value) == (
        f"{override}: the Python API runs no Hydra job and writes no folder, so Hydra's settings "
        "would be ignored; allowed: overrides of the run, hydra.searchpath (where config options "
        "are found), or the hedgesim command"
    )


def test_hydras_search_path_still_finds_a_users_config_option(tmp_path):
    (tmp_path / "shocks").mkdir()
    (tmp_path / "shocks" / "calm.yaml").write_text(
        "defaults:\n  - historical\n  - _self_\nname: calm\ndisabled_kinds: [war]\n"
    )
    run = hedgesim.simulate_run(
        [f"hydra.searchpath=[file://{tmp_path}]", "shocks=calm"], replicates=1, seed=1
    )
    assert run.config.shocks.name == "calm" and list(run.config.shocks.disabled_kinds) == ["war"]


def test_vary_refuses_challenges_a_branch_after_the_end_would_never_apply():
    base = build_run(compose_config(["scenario=forward_2030", "scenario.end=2015-12"]))
    with pytest.raises(ConfigError) as err:
        api.vary(base, challenges={"trust": 0.2})
    assert str(err.value) == (
        "scenario.branch=2020-01 is after scenario.end=2015-12, so challenges.trust=0.2 would never "
        "apply; allowed: a branch no later than scenario.end, or scenario.branch=null (the "
        "challenges apply from the first month)"
    )
    assert api.vary(base, params={"spoiler_rate": 0.1}).params.spoiler_rate == 0.1


def test_a_python_run_is_not_charged_the_memory_of_a_figure_it_never_draws(monkeypatch):
    """The estimate counted the figure (110 bytes a replicate-month) for runs from Python, which
    draw none: a run that fits without it was refused."""
    from hedgesim.config import spec

    base = api.base_spec()  # composed before the machine shrinks
    one_month = 1000 * (spec.PRECISIONS["float64"] + spec.FIGURE_BYTES_PER_REPLICATE_MONTH // 2)
    monkeypatch.setattr(spec, "machine_memory", lambda: 2 * one_month)  # room for the run, not its figure
    run = hedgesim.simulate_run(["scenario.end=2008-01"], replicates=1000, seed=1)
    assert len(run.trajectories) == 1000 and run.config.output.figure is False
    with pytest.raises(ConfigError, match="needs about"):  # the command line would draw one
        spec.check_size(1000, 1, figure=True)
    months = base.calendar.n_steps
    monkeypatch.setattr(spec, "machine_memory", lambda: 2 * 1000 * months * spec.PRECISIONS["float64"])
    assert len(api.vary(base, replicates=1000).replicate_ids) == 1000


def test_a_scenario_that_is_no_name_is_one_line():
    with pytest.raises(ConfigError) as err:
        api.base_spec(5)
    assert str(err.value) == "scenario=5; allowed: a scenario's name, e.g. 'forward_2030'"


THREADS = """
import threading, hedgesim
out, errors = {}, []
def work(k):
    try:
        out[k] = hedgesim.simulate(["scenario.end=2009-12"], replicates=3, seed=1)
    except Exception as err:
        errors.append(f"{type(err).__name__}: {err}")
threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
assert not errors, errors
assert len(out) == 4 and all(table.equals(out[0]) for table in out.values())
print("same")
"""


def test_runs_from_several_threads_at_once_give_the_same_numbers():
    """Four threads of a fresh process: Hydra's global state ("GlobalHydra is already
    initialized") and the first compilation of the kernels ("a jit decorator was called on an
    already jitted function") failed them; they take turns now, and each run is the same."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", THREADS], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "same", done.stderr[-2000:]
