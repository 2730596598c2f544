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
