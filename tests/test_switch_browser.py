"""The Shocks switches in a real browser: a war switched off greys the territory lent to it."""

from __future__ import annotations

import classroom_browser as browser
import pytest

from test_app import _chromium_or_skip

INVASION = "2022-02 Russia's full-scale invasion of Ukraine"
TERRITORY = "2022-02 Belarusian territory used for the invasion of Ukraine"


@pytest.mark.slow
def test_switching_the_invasion_off_greys_the_territory_and_says_why(tmp_path):
    _chromium_or_skip()
    from playwright.sync_api import expect  # the browser driver, only with a browser

    with browser.classroom(tmp_path / "profile") as ui:
        page = ui.page
        ui.expand_shocks("Belarusian territory lent to a war")
        expect(page.get_by_label(TERRITORY, exact=True)).to_be_checked()
        ui.expand_shocks("Wars")
        ui.switch(INVASION)
        lent = page.get_by_label(f"{TERRITORY} (off with its war)", exact=True)
        expect(lent).not_to_be_checked()
        expect(lent).to_be_disabled()
        page.locator(".hedgesim-group-toggle", has_text="lent to a war (0 of 1 on)").wait_for()
        panel_note = page.locator(".hedgesim-panel .hedgesim-shocks-note")
        expect(panel_note).to_contain_text("is off too, in A and B alike, while Russia's full-scale")
        assert ui.layout_problems() == []
        ui.type_into("Replicates (1 to 500)", "1")
        page.wait_for_timeout(500)
        ui.reset(expect="2 dated shocks off")
        status_note = page.locator(".hedgesim-main .hedgesim-shocks-note")
        expect(status_note).to_contain_text("there is no war to lend the territory to")
        ui.switch(INVASION)  # on again: the territory's own switch counts again
        expect(page.get_by_label(TERRITORY, exact=True)).to_be_checked()
        expect(panel_note).to_have_count(0)
