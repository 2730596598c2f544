"""The Shocks switches without a war: the territory lent to that war goes with it, and the page says so."""

from __future__ import annotations

import pytest

from hedgesim.app.narration import narrate, replicate_log, shock_kinds
from hedgesim.app.settings import (
    comparison_note,
    events_by_kind,
    kind_key,
    settings_from_inputs,
)
from hedgesim.workflows.run import build_model

INVASION = "event_ukraine_invasion"
TERRITORY = "event_territory_used_2022"
LENT = "Belarusian territory used for the invasion of Ukraine"
INVASION_ONLY = "without 2022-02 Russia's full-scale invasion of Ukraine"
NOTE = (
    f"{LENT} (2022-02) is off too, in A and B alike, while Russia's full-scale invasion of Ukraine "
    "(2022-02) is switched off: it is a row of its own in the timeline, but lent to that war, and there "
    "is no war to lend the territory to. Its own switch counts again once the war is switched on."
)
WARS_OFF = {e.key: False for e in events_by_kind()["war"]}
"""The Wars group's *all off*."""


def lent_off_note(kinds: tuple[str, ...], ids: tuple[str, ...]) -> str:
    """The page's note on territory off with its war (imported here, so that the runs' tests
    before it read as failures of behaviour, not of an import)."""
    from hedgesim.app.settings import lent_off_note as note

    return note(kinds, ids)


def _ids(switches: dict, compare: str = "the same shocks") -> list[set[str]]:
    """Ids of the dated shocks A and B run with."""
    runs = settings_from_inputs(0.5, 0.5, 0.3, "1", "1", compare=compare, switches=switches).runs()
    return [{s.id for s in spec.timeline.shocks} for _, spec in runs]


@pytest.mark.parametrize(
    "switches", [{INVASION: False}, WARS_OFF, {kind_key("war"): False}, {INVASION: False, TERRITORY: True}]
)
def test_a_war_switched_off_takes_the_territory_lent_to_it_out_of_a_and_b(switches):
    for ids in _ids(switches):
        assert "ukraine-invasion" not in ids and "territory-used-2022" not in ids
        assert {"election-2020", "eap-suspension"} <= ids  # the rest of 2020-2021 stays
    settings = settings_from_inputs(0.5, 0.5, 0.3, "1", "1", switches=switches)
    assert "territory-used-2022" in settings.disabled_ids
    assert lent_off_note(settings.disabled_kinds, settings.disabled_ids) == NOTE


def test_the_territory_stays_while_its_war_is_on():
    assert all("territory-used-2022" in ids for ids in _ids({"event_crimea": False}))
    assert all("territory-used-2022" in ids for ids in _ids({}))  # the default runs keep every row
    assert settings_from_inputs(0.5, 0.5, 0.3, "1", "1").disabled_ids == ()
    assert lent_off_note((), ("crimea",)) == "" and lent_off_note(("territory_used", "war"), ()) == ""
    only = settings_from_inputs(0.5, 0.5, 0.3, "1", "1", switches={TERRITORY: False})
    assert only.disabled_ids == ("territory-used-2022",)  # its own switch still works alone


def test_the_comparison_note_reads_the_territory_as_off_in_a_when_its_war_is():
    off = settings_from_inputs(0.5, 0.5, 0.3, "1", "1", switches={INVASION: False}).disabled_ids
    note = comparison_note(INVASION_ONLY, off)
    assert LENT not in note  # B cannot keep a row A and B both leave out


@pytest.mark.parametrize(
    ("compare", "same"),
    [("without the 2022 war", True), (INVASION_ONLY, True), ("without any war shocks", False)],
)
def test_a_comparison_does_not_claim_to_leave_out_a_war_switched_off_in_a(compare, same):
    """B "left out" the invasion, and told of talks it "would have brought", with A lacking it too."""
    off = settings_from_inputs(0.5, 0.5, 0.3, "1", "1", switches={INVASION: False}).disabled_ids
    note = comparison_note(compare, off)
    invasion = "Russia's full-scale invasion of Ukraine (2022-02)"
    named = invasion if compare == INVASION_ONLY else f"{LENT} (2022-02) and {invasion}"
    are = "is" if compare == INVASION_ONLY else "are"
    assert note.startswith(
        f"{named} {are} off in A too (switched off under Shocks, in A and B alike), so there B does not "
        "differ from A."
    ), note
    assert f"only {invasion} would have brought" not in note and f"B leaves out {invasion}" not in note
    it = "it" if compare == INVASION_ONLY else "them"
    assert (f"B has the same dated shocks as A: switch {it} on to compare." in note) == same
    if not same:
        assert "B leaves out the Russo-Georgian war (2008-08), the annexation of Crimea" in note
    assert comparison_note(compare, ()) == comparison_note(compare)  # nothing off: as before


def test_the_log_tells_no_territory_lent_to_a_war_switched_off():
    runs = settings_from_inputs(0.5, 0.5, 0.3, "1", "20101219", switches={INVASION: False}).runs()
    ((_, spec),) = runs
    model = build_model(spec)
    while str(model.calendar.month_at(model.steps)) <= "2022-03":
        model.step()
    lines = [x for x in narrate(replicate_log(model, 0), shock_kinds(model)) if x.startswith("2022-02")]
    assert lines and not any(LENT in line or "invasion" in line for line in lines), lines


def _rendered(component):
    """The texts and the checkboxes that ``component`` shows."""
    import ipyvuetify as v
    import solara

    _, rc = solara.render(component, handle_error=False)
    texts = [str(child) for found in rc.find(v.Html).widgets for child in found.children]
    return texts, rc


def test_the_shocks_card_shows_the_territory_off_with_its_war_and_says_why():
    import ipyvuetify as v
    import solara

    from hedgesim.app.panel import ShocksCard, default_inputs

    @solara.component
    def Card():
        ShocksCard(solara.use_reactive({**default_inputs(), INVASION: False}))

    texts, rc = _rendered(Card())
    assert NOTE in texts, texts
    heads = [str(b.children[0]) for b in rc.find(v.Btn).widgets if "lent to a war" in str(b.children[0])]
    assert heads == ["▸ Belarusian territory lent to a war (0 of 1 on)"], heads
    rc.find(v.Btn, children=heads).widget.click()  # unfold the territory group
    (box,) = [c for c in rc.find(v.Checkbox).widgets if LENT in c.label]
    assert box.label == f"2022-02 {LENT} (off with its war)"
    assert box.v_model is False and box.disabled is True


def test_the_shocks_card_says_nothing_while_every_war_is_on():
    import solara

    from hedgesim.app.panel import ShocksCard, default_inputs

    @solara.component
    def Card():
        ShocksCard(solara.use_reactive({**default_inputs(), "event_crimea": False}))

    texts, _ = _rendered(Card())
    assert not any("off too" in text for text in texts), texts


def test_the_page_status_says_the_territory_is_off_with_its_war():
    from hedgesim.app.page import Status, _settings_line
    from hedgesim.app.session import ClassroomModel

    model = ClassroomModel(replicates="1", **{INVASION: False})
    texts, _ = _rendered(Status(model, None))
    assert NOTE in texts, texts
    assert " · 2 dated shocks off · " in _settings_line(model)


@pytest.mark.parametrize(("switches", "off"), [({kind_key("war"): False}, 5), ({kind_key("npp"): False}, 3)])
def test_the_settings_line_counts_the_dated_shocks_of_a_kind_switched_off(switches, off):
    """A kind switched off counted none of its events ("A: as set" with every war gone)."""
    from hedgesim.app.page import _settings_line
    from hedgesim.app.session import ClassroomModel

    kind = next(iter(switches)).removeprefix("kind_")
    assert off == len(events_by_kind()[kind]) + (kind == "war")  # the wars, and the territory lent
    line = _settings_line(ClassroomModel(replicates="1", **switches))
    assert f" · seed 20101219 · {off} dated shocks off · shown: A: as set" in line, line
