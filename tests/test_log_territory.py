"""Side by side without a war: the territory lent to that war goes with it, and the note says so."""

from __future__ import annotations

import pytest

from hedgesim.app.narration import narrate, replicate_log, shock_kinds
from hedgesim.app.settings import comparison_note, comparisons, settings_from_inputs
from hedgesim.workflows.run import build_model

WAR_2022 = "without the 2022 war"
INVASION = "without 2022-02 Russia's full-scale invasion of Ukraine"
LENT = "Belarusian territory used for the invasion of Ukraine"


def _b_ids(compare: str) -> set[str]:
    """Ids of the dated shocks B runs with."""
    ((_, _), (_, b)) = settings_from_inputs(0.5, 0.5, 0.3, "1", "1", compare=compare).runs()
    return {s.id for s in b.timeline.shocks}


@pytest.mark.parametrize("compare", [WAR_2022, "without any war shocks"])
def test_leaving_out_a_war_leaves_out_the_territory_lent_to_it(compare):
    b = _b_ids(compare)
    assert "ukraine-invasion" not in b and "territory-used-2022" not in b
    assert {"election-2020", "eap-suspension"} <= b  # the rest of 2020-2021 stays
    assert comparison_note(compare).endswith(
        f"B leaves out {LENT} (2022-02) too: a row of its own in the timeline, but lent to a war B "
        "leaves out, so B has no war to lend the territory to."
    )


def test_leaving_out_the_invasion_alone_says_plainly_that_b_keeps_the_territory_row():
    assert {"territory-used-2022"} <= _b_ids(INVASION) - {"ukraine-invasion"}
    note = comparison_note(INVASION)
    assert note.endswith(
        f"B keeps {LENT} (2022-02), lent to the war B leaves out: it is a row of its own in the "
        "timeline, so B's log still tells it and its effects stay in B (conflict with Ukraine and the "
        "EU, a steeper cost of falling short of the alliance commitment, no talks hosted after it). "
        f'Switch it off under Shocks (in A and B alike), or choose "{WAR_2022}" to leave it out of '
        "B only."
    )
    assert LENT not in comparison_note(INVASION, ("territory-used-2022",))  # switched off in A too
    assert LENT not in comparison_note("without the 2014 war")


def test_the_log_of_b_without_the_2022_war_tells_no_territory_lent():
    a, b = settings_from_inputs(0.5, 0.5, 0.3, "1", "20101219", compare=WAR_2022).runs()
    lines = []
    for _, spec in (a, b):
        model = build_model(spec)
        while str(model.calendar.month_at(model.steps)) <= "2022-03":
            model.step()
        lines.append([x for x in narrate(replicate_log(model, 0), shock_kinds(model)) if "2022-02" in x])
    assert any(LENT in line for line in lines[0])  # A: the invasion and the territory lent to it
    assert not any(LENT in line or "invasion" in line for line in lines[1])
    assert set(comparisons()[WAR_2022].ids) == {"ukraine-invasion", "territory-used-2022"}
