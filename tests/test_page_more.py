"""The classroom page, second round: what a class sees while the page works, and the page's logic."""

from __future__ import annotations

import json

import classroom_browser as browser
import pytest

from test_app import _chromium_or_skip

BUSY_TEXT = "Working: please wait…"  # the sign docs/teaching.md names


BUSY_SIGN = "() => getComputedStyle(document.querySelector('.v-application.v-layout'), '::after').content"
"""The text of the page's busy sign ('none' when none is shown)."""


@pytest.mark.slow
def test_reset_shows_a_busy_sign_until_the_new_run_is_shown(tmp_path):
    """Reset builds the runs and draws every chart's frame (seconds): the page says it is busy."""
    _chromium_or_skip()
    with browser.classroom(tmp_path / "profile") as ui:
        page = ui.page
        assert page.evaluate(BUSY_SIGN) == "none"
        ui.type_into("Seed (integer >= 0)", "5")
        ui.type_into("Replicates (1 to 500)", "500")
        page.wait_for_timeout(500)
        ui.button("Reset")
        shown = json.dumps(f'"{BUSY_TEXT}"')  # CSS gives the content with its quotes
        page.wait_for_function(f"() => ({BUSY_SIGN})() === {shown}", timeout=3_000)
        sign = page.evaluate(
            "() => { const b = document.querySelector('.v-application__wrap > .v-progress-linear');"
            " const r = b.getBoundingClientRect(); const top = document.elementFromPoint(r.width / 2, 2);"
            " return [r.height, b.contains(top)]; }"
        )
        assert sign[0] >= 6 and sign[1], sign  # the busy bar is drawn over the app bar, not under it
        page.locator(".hedgesim-status", has_text="seed 5").first.wait_for(timeout=60_000)
        page.wait_for_function(f"() => ({BUSY_SIGN})() === 'none'", timeout=10_000)
        assert ui.month() == ""


# --- the page's logic, rendered without a browser ----------------------------------------------


def _texts(component) -> list[str]:
    """Every text the rendered ``component`` shows."""
    import ipyvuetify as v
    import solara

    _, rc = solara.render(component, handle_error=False)
    return [str(child) for found in rc.find(v.Html).widgets for child in found.children]


@pytest.mark.parametrize("months", [1, 5])
def test_the_playback_card_says_step_moves_months_per_redraw(months):
    """Mesa's Step moves as many months as a redraw: with 5, 2008-01 went to 2008-06 unannounced."""
    import solara

    from hedgesim.app.panel import PlaybackCard

    @solara.component
    def Card():
        PlaybackCard(solara.use_reactive(150), solara.use_reactive(months))

    note = f"Step now moves {months} months at a time; set Months per redraw to 1 to step month by month."
    assert (note in _texts(Card())) == (months > 1)


# --- the log's truth ---------------------------------------------------------------------------


def _month(**changes):
    from test_narration import quiet_month

    return quiet_month(**{"date": "2020-01", "partner": "russia", **changes})


@pytest.mark.parametrize(
    ("shock", "kind", "told"),
    [
        ("the halt", "oil_dispute", "2020-01: Russian crude deliveries fell 54% with the halt"),
        (None, None, "2020-01: Russian crude deliveries fell 54%"),
        ("oil dispute with Russia", None, "2020-01: Russian crude deliveries fell 54% in an oil dispute"),
    ],
)
def test_a_cut_in_crude_is_told_as_a_fall_of_what_flowed_the_month_before(shock, kind, told):
    """From 87% to 40% of normal deliveries is a fall of 54%: the log said 47% (points of normal)."""
    from hedgesim.app.narration import sentence

    cut = _month(shock=shock, kind=kind, supply=0.40, supply_change=-0.47)
    assert sentence(cut).startswith(told)
    from_full = _month(shock=shock, kind=kind, supply=0.6, supply_change=-0.4)
    assert "deliveries fell 40%" in sentence(from_full)


def test_the_page_log_tells_the_2020_halt_of_crude_as_the_fall_it_was():
    """Seed 7, replicate 0: the halt of 2020-01 took deliveries from 87% to 40% of normal."""
    from hedgesim.app.narration import narrate, replicate_log, shock_kinds
    from hedgesim.app.session import ClassroomModel

    model = ClassroomModel(replicates="1", seed="7")
    while model.date < "2020-01":
        model.step()
    run = model.runs[0].model
    frame = replicate_log(run, 0).set_index("date")
    supply = frame["oil_supply"].to_numpy()[-2:]
    line = narrate(replicate_log(run, 0), shock_kinds(run))[-1]
    assert line.startswith("2020-01: Russian crude deliveries fell"), line
    assert f"fell {100 * (1 - supply[1] / supply[0]):.0f}%" in line, (supply, line)


@pytest.mark.parametrize(("compare", "noted"), [("no second scenario", True), ("the same shocks", False)])
def test_b_challenges_without_a_second_scenario_say_b_is_not_run(compare, noted):
    """Ticking "B has challenges of its own" with no second scenario ran A alone, without a word."""
    import solara

    from hedgesim.app.panel import SideBySideCard, default_inputs

    @solara.component
    def Card():
        inputs = solara.use_reactive({**default_inputs(), "compare": compare, "b_own_challenges": True})
        SideBySideCard(inputs)

    texts = _texts(Card())
    assert any(text.startswith("B is not run:") for text in texts) == noted, texts


def test_the_settings_line_says_which_shocks_are_off():
    """A run with shocks switched off read "A: as set" like the full history."""
    from hedgesim.app.page import _settings_line
    from hedgesim.app.session import ClassroomModel
    from hedgesim.app.settings import events_by_kind

    wars = events_by_kind()["war"]
    full = ClassroomModel(replicates="2")
    assert "shocks off" not in _settings_line(full) and "no drawn shocks" not in _settings_line(full)
    one = ClassroomModel(replicates="2", **{wars[0].key: False})
    assert "seed 20101219 · 1 dated shock off · shown: A: as set" in _settings_line(one)
    fewer = ClassroomModel(replicates="2", stochastic=False, **{e.key: False for e in wars})
    line = _settings_line(fewer)
    lent = 1  # the territory lent to the 2022 invasion goes off with it
    assert f" · {len(wars) + lent} dated shocks off · no drawn shocks · shown: " in line, line


def test_the_month_shown_says_when_the_run_has_ended():
    """At 2030-12 Mesa's play button stays a greyed pause sign: the page says the run is over."""
    import solara

    from hedgesim.app.page import Status
    from hedgesim.app.session import ClassroomModel

    def month_shown() -> str:
        _, rc = solara.render(Status(model, None), handle_error=False)
        return rc.find(tag="h2").widget.unsafe_innerHTML

    model = ClassroomModel(replicates="1", stochastic=False)
    model.step()
    assert month_shown() == "Month shown: 2008-01"
    while model.running:
        model.step()
    assert model.date == "2030-12"
    assert month_shown() == "Month shown: 2030-12, the last month of the run (Reset runs it again)"


@pytest.mark.parametrize(("replicates", "said"), [("1", "1 replicate ·"), ("2", "2 replicates ·")])
def test_the_settings_line_counts_replicates_in_words_that_agree(replicates, said):
    """One replicate read "1 replicates" on the page."""
    from hedgesim.app.page import _settings_line
    from hedgesim.app.session import ClassroomModel

    line = _settings_line(ClassroomModel(replicates=replicates, seed="7"))
    assert f" · {said} seed 7 · shown: A: as set" in line, line


def test_the_page_and_its_panel_are_modules_well_under_the_line_limit():
    """page.py stood at exactly 400 lines, the most a module may have: no fix could land in it."""
    from hedgesim.app import page, panel

    for module in (page, panel):
        with open(module.__file__, encoding="utf-8") as source:
            assert len(source.readlines()) <= 300, module.__name__
    assert page.ShocksCard is panel.ShocksCard and page.default_inputs is panel.default_inputs
    assert panel.default_inputs()["seed"] == "20101219" and panel.default_inputs()["replicates"] == "50"


def test_the_teaching_guide_gives_the_drawing_time_measured_and_its_replicates():
    """The guide promised "well under a tenth of a second" with hundreds of replicates; measured
    with experiments/bench_app.py, a month takes about a tenth of a second of processor time."""
    from pathlib import Path

    guide = (Path(__file__).parents[1] / "docs" / "teaching.md").read_text(encoding="utf-8")
    tip = " ".join(guide.split("## Tips", 1)[1].split("\n- ")[1].split())
    assert "well under" not in tip
    assert tip.startswith("A month takes about a tenth of a second to draw with 200 or with 500 replicates")
    assert "experiments/bench_app.py --replicates 200 500` on a 2-core machine" in tip
