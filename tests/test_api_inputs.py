"""The Python API's inputs: what the command line refuses, the API refuses too, in one line."""

from __future__ import annotations

import pytest

import hedgesim
from hedgesim.config.errors import ConfigError


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
