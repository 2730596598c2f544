"""The classroom page, second round: what a class sees while the page works, and the page's logic."""

from __future__ import annotations

import json
import os

import classroom_browser as browser
import pytest

BUSY_TEXT = "Working: please wait…"  # the sign docs/teaching.md names


def _chromium_or_skip() -> None:
    if browser.CHROMIUM.exists():
        return
    message = f"{browser.CHROMIUM} is missing: scripts/setup-extras installs Debian's chromium"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


BUSY_SIGN = "() => getComputedStyle(document.querySelector('.v-application.v-layout'), '::after').content"
"""The text of the page's busy sign ('none' when none is shown)."""


@pytest.mark.slow
def test_reset_shows_a_busy_sign_until_the_new_run_is_shown(tmp_path):
    """Reset builds the runs and draws every chart's frame (seconds): the page says it is busy."""
    _chromium_or_skip()
    with (
        browser.serving() as (url, server),
        browser.chromium(tmp_path / "profile", width=1280, height=800) as context,
    ):
        page = context.new_page()
        ui = browser.ClassroomPage(page, server=server)
        ui.open(url)
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

    from hedgesim.app.page import PlaybackCard

    @solara.component
    def Card():
        PlaybackCard(solara.use_reactive(150), solara.use_reactive(months))

    note = f"Step now moves {months} months at a time; set Months per redraw to 1 to step month by month."
    assert (note in _texts(Card())) == (months > 1)
