"""experiments/bench_calibrate.py: the full-search projection counts the sampler's growing cost."""

from __future__ import annotations

import pytest

from bench_calibrate import projected_search_s


def test_a_sampler_of_constant_cost_projects_the_short_studys_pace():
    assert projected_search_s(0.03, 64, 2500, {0: 0.01, 2500: 0.01}) == pytest.approx(2500 * 0.03)


def test_a_growing_proposal_cost_is_added_trial_by_trial():
    """Proposals growing from 0 to 0.1 s over 1,000 trials add their mean (0.05 s) to every trial;
    the short study (10 trials, 0.03 s each) paid almost nothing for its own proposals."""
    projected = projected_search_s(0.03, 10, 1000, {0: 0.0, 1000: 0.1})
    besides = 0.03 - 0.1 * 4.5 / 1000  # the short study's trials less their proposals (mean n = 4.5)
    assert projected == pytest.approx(1000 * besides + 0.1 * 999 * 1000 / 2 / 1000)
    assert projected > 2.5 * 1000 * 0.03
