"""A sweep's up-front check composes each config group once and each value line once."""

from __future__ import annotations

import itertools

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.utils import create_config_search_path
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode

from hedgesim.config.schema import register_configs
from hedgesim.workflows.sweep.jobs import CellComposer

LEVELS = ("0", "0.25", "0.5", "0.75", "1")


@pytest.fixture(scope="module")
def composing():
    """Hydra's loader and the sweep's config, as the batched launcher gets them."""
    register_configs()
    loader = ConfigLoaderImpl(config_search_path=create_config_search_path("pkg://hedgesim.conf"))
    overrides = ["hydra/launcher=batched"]
    master = loader.load_configuration("config", overrides=overrides, run_mode=RunMode.MULTIRUN)
    return loader, master


def grid() -> list[list[str]]:
    """The three challenges at five levels each: 125 jobs."""
    keys = ("challenges.trust", "challenges.vested_interests", "challenges.tension")
    cells = itertools.product(LEVELS, repeat=3)
    return [[f"{k}={v}" for k, v in zip(keys, cell, strict=True)] for cell in cells]


def counted(composer: CellComposer) -> list[int]:
    """The numbers of the jobs ``composer`` composes from now on."""
    composed, configure = [], composer.configure
    composer.configure = lambda job: composed.append(job.num) or configure(job)
    return composed


def test_a_grid_is_checked_by_composing_each_value_once(composing):
    composer = CellComposer(*composing)
    composed = counted(composer)
    composer.check(grid())
    assert composed == [0, 1, 2, 3, 4, 5, 10, 15, 20, 25, 50, 75, 100]


@pytest.mark.parametrize("where", [0, 77, 124])
def test_the_first_job_with_a_bad_value_is_refused_wherever_it_is(composing, where):
    jobs = grid()
    jobs[where][1] = "challenges.vested_interests=lots"
    composer = CellComposer(*composing)
    composed = counted(composer)
    with pytest.raises(ConfigCompositionException, match="challenges.vested_interests=lots"):
        composer.check(jobs)
    assert composed[-1] == where


def test_a_structural_override_composes_its_group(composing):
    jobs = [[*cell, "scenario=forward_2030"] for cell in grid()[:3]] + grid()[:3]
    composer = CellComposer(*composing)
    composed = counted(composer)
    composer.check(jobs)
    assert composed == [0, 1, 2, 3, 4, 5]
