"""The classroom log tells the truth: every shock of a month, each credited through its own channel."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from hedgesim.app.channels import KIND_CHANNELS
from hedgesim.app.eventlog import month_shocks
from hedgesim.app.narration import MonthRecord, narrate, replicate_log, sentence, shock_kinds
from hedgesim.app.settings import (
    DECISIONS,
    comparison_note,
    comparisons,
    events_by_kind,
    settings_from_inputs,
)
from hedgesim.core.calendar import Month
from hedgesim.core.shocks import KINDS, STOCHASTIC_CHANNELS, STOCHASTIC_LABELS, StochasticProcess
from hedgesim.workflows.run import build_model, run_spec
from test_narration import quiet_month


def _record(**changes) -> MonthRecord:
    return quiet_month(**{"date": "2022-02", **changes})


@pytest.fixture(scope="module")
def to_2022():
    """One replicate of the page's scenario, stepped to 2022-03 (the dated history's end)."""
    ((_, spec),) = settings_from_inputs(0.5, 0.5, 0.3, "1", "20101219").runs()
    model = build_model(spec)
    while str(model.calendar.month_at(model.steps)) <= "2022-03":
        model.step()
    return model


def _line(lines: list[str], month: str) -> str:
    (line,) = [x for x in lines if x.startswith(f"{month}:")]
    return line


def test_every_kind_of_shock_has_its_channels():
    """A kind missing from the table is never credited with a move, whatever it did."""
    assert set(KINDS) <= set(KIND_CHANNELS)


def test_two_shocks_of_one_month_are_both_told_and_each_credited_by_its_channel():
    month = _record(
        shock="Belarusian territory used for the invasion of Ukraine",
        kind="territory_used",
        others=(("Russia's full-scale invasion of Ukraine", "war"),),
        tension=0.9,
        tension_change=0.5,
        partner="ukraine",
        change=-0.02,
        driver="trust",
    )
    assert sentence(month) == (
        "2022-02: Belarusian territory used for the invasion of Ukraine; tension rose after "
        "Russia's full-scale invasion of Ukraine; in answer to Belarusian territory used for the "
        "invasion of Ukraine, Belarus lowered its Ukraine weight as its trust in Ukraine fell (-2.0 points)"
    )
    by_risk = dataclasses.replace(month, driver="risk")
    assert sentence(by_risk).endswith(
        "in answer to Russia's full-scale invasion of Ukraine, Belarus lowered its Ukraine weight "
        "to cut its exposure to risk (-2.0 points)"
    )


def test_the_page_log_names_both_shocks_of_2021_06_and_2022_02(to_2022):
    lines = narrate(replicate_log(to_2022, 0), shock_kinds(to_2022))
    june = _line(lines, "2021-06")
    assert june.startswith(
        "2021-06: unit 1 of Astravets in commercial operation; "
        "Belarus suspending its Eastern Partnership participation; "
    )
    assert (
        "in answer to Belarus suspending its Eastern Partnership participation, "
        "Belarus lowered its EU weight as its trust in the EU fell" in june
    )
    invasion = _line(lines, "2022-02")
    assert invasion.startswith(
        "2022-02: Belarusian territory used for the invasion of Ukraine; "
        "tension rose after Russia's full-scale invasion of Ukraine; "
    )
    assert (
        "in answer to Belarusian territory used for the invasion of Ukraine and Russia's full-scale "
        "invasion of Ukraine, Belarus raised its Russia weight as its alliance commitment to Russia rose"
        in invasion
    )


def test_the_record_names_the_months_two_shocks_with_one_code(to_2022):
    """The record keeps one code for the month's two shocks; the log tells each of them."""
    frame = replicate_log(to_2022, 0)
    month = frame[frame["date"] == "2022-02-01"].iloc[0]
    territory = "Belarusian territory used for the invasion of Ukraine"
    both = (territory, "Russia's full-scale invasion of Ukraine")
    assert month["shock"] == " + ".join(both)
    assert month["shocks"] == both


# --- side by side: every choice changes what it says -----------------------------------------


def _b_spec(compare: str):
    (_, a), (_, b) = settings_from_inputs(0.5, 0.5, 0.3, "1", "1", compare=compare).runs()
    return a, b


def _drawn(spec) -> tuple[list[int], float, float]:
    process = StochasticProcess.for_run(spec.stochastic, spec.calendar, spec.timeline)
    return sorted(process.election_steps), spec.stochastic.war_rate, spec.stochastic.energy_dispute_rate


def test_side_by_side_offers_only_kinds_that_have_shocks_to_leave_out():
    """Crackdowns, releases, autonomy signals, talks and coercion are Belarus's own decisions:
    leaving out their (absent) dated shocks changed nothing."""
    offered = {name for name in comparisons() if name.startswith("without any ")}
    for kind in ("concession", "autonomy_signal", "venue", "crackdown", "coercion"):
        assert f"without any {kind.replace('_', ' ')} shocks" not in offered
    for name in offered:
        (kind,) = comparisons()[name].kinds
        a, b = _b_spec(name)
        fewer = len(b.timeline.shocks) < len(a.timeline.shocks)
        assert fewer or _drawn(b) != _drawn(a), name
    from hedgesim.app.settings import DRAWN_KINDS, DRAWN_OFF

    assert set(DRAWN_KINDS) <= set(DRAWN_OFF)  # every kind the model draws can be left out


@pytest.mark.parametrize(
    ("compare", "without"),
    [
        ("without any election shocks", ([], 0.01, 0.025)),
        ("without any war shocks", ([204, 264], 0.0, 0.025)),
        ("without any oil dispute shocks", ([204, 264], 0.01, 0.0)),
    ],
)
def test_leaving_out_a_kind_leaves_out_its_drawn_shocks_too(compare, without):
    a, b = _b_spec(compare)
    assert _drawn(a) == ([204, 264], 0.01, 0.025)  # A keeps its drawn elections (2025-01, 2030-01)
    assert _drawn(b) == without
    assert a.stochastic.start == b.stochastic.start == "2022-03"
    kind = comparisons()[compare].kinds[0]
    assert not [s for s in b.timeline.shocks if s.kind.value == kind]


# --- the note on talks when B leaves out a war in Ukraine ------------------------------------


def _talks(compare: str) -> tuple[int, int]:
    """How many times A and B host talks (2 replicates, the whole run)."""
    counts = []
    for _, spec in settings_from_inputs(0.5, 0.5, 0.3, "2", "20101219", compare=compare).runs():
        log = run_spec(spec).event_log()
        counts.append(int((log["decision"] == DECISIONS["venue"]).sum()))
    return counts[0], counts[1]


def test_the_note_on_talks_says_what_b_keeps():
    crimea = comparison_note("without 2014-02 the annexation of Crimea")
    assert "Belarus decides to host talks by its own rule, only while a war in Ukraine is on" in crimea
    assert crimea.endswith(
        "B still has the war in Donbas (2014-04): it may host talks while that war is on and until "
        "Belarusian territory is lent to a war (2022-02), but none that only the annexation of Crimea "
        "(2014-02) would have brought."
    )
    a, b = _talks("without 2014-02 the annexation of Crimea")
    assert a > 0 and b > 0  # the war in Donbas brings talks in B too
    both = comparison_note("without the 2014 war")
    assert both.endswith(
        "B keeps no war in Ukraine that starts before Belarusian territory is lent to a war (2022-02), "
        "which ends its neutrality, so it hosts no talks at all."
    )
    a, b = _talks("without the 2014 war")
    assert a > 0 and b == 0  # the 2022 invasion comes with the territory lent: no talks after it
    lent_kept = comparison_note("without the 2014 war", ("territory-used-2022",))
    assert "B still has Russia's full-scale invasion of Ukraine (2022-02): it may host talks" in lent_kept
    assert "B has no war in Ukraine left, so it hosts no talks at all." in comparison_note(
        "without any war shocks"
    )


# --- the drawn shocks' labels read as English -------------------------------------------------


def test_drawn_shocks_are_told_as_english_sentences():
    war = _record(
        date="2027-03", shock="a new war raises tension", kind="war", tension=0.85, tension_change=0.5
    )
    assert sentence(dataclasses.replace(war, change=0.02)) == (
        "2027-03: a new war raises tension to 0.85; in answer, Belarus raised its EU weight to "
        "spread risk (+2.0 points)"
    )
    calm = dataclasses.replace(war, tension_change=0.0, change=0.02)
    assert sentence(calm).startswith("2027-03: a new war raises tension; in answer, Belarus")
    dispute = _record(
        date="2024-05",
        shock="oil dispute with Russia",
        kind="oil_dispute",
        supply=0.6,
        supply_change=-0.4,
        partner="russia",
        change=-0.01,
    )
    assert sentence(dispute) == (
        "2024-05: Russian crude deliveries fell 40% in an oil dispute with Russia; in answer, "
        "Belarus lowered its Russia weight to cut its exposure to risk (-1.0 points)"
    )
    held = dataclasses.replace(dispute, supply_change=0.0)
    assert sentence(held).startswith("2024-05: an oil dispute with Russia; in answer, Belarus")
    election = _record(
        date="2030-01",
        shock="a presidential election",
        kind="election",
        prisoners_change=0.4,
        sanctions=300.0,
        sanctions_change=100.0,
        change=-0.01,
        driver="trust",
    )
    assert sentence(election) == (
        "2030-01: political prisoners rose with a presidential election; the EU widened its sanctions "
        "to 300 persons; in answer to the presidential election and the wider sanctions, Belarus "
        "lowered its EU weight as its trust in the EU fell (-1.0 points)"
    )


def test_every_drawn_shock_has_its_sentence_and_its_name_as_a_cause():
    from hedgesim.app import channels

    labels = {STOCHASTIC_LABELS[name] for name in STOCHASTIC_CHANNELS}  # one each; sets are split
    assert labels <= set(getattr(channels, "DRAWN_NEWS", {}))
    assert labels <= set(getattr(channels, "DRAWN_CAUSES", {}))


# --- the log says when it leaves out its oldest lines -----------------------------------------


def test_the_log_says_how_many_earlier_lines_it_does_not_show():
    from hedgesim.app import page

    lines = [f"line {i}" for i in range(page.LOG_LINES + 28)]
    html = page.log_column("A: as set", lines)
    assert html.count("<li>") == page.LOG_LINES
    assert html.index(f"<li>line {page.LOG_LINES + 27}</li>") < html.index("<li>line 28</li>")  # newest first
    assert "<li>line 27</li>" not in html
    note = f"(28 earlier lines not shown: the log keeps the newest {page.LOG_LINES})"
    assert html.endswith(f"<p class='hedgesim-log-hidden'>{note}</p>")
    assert "not shown" not in page.log_column("A: as set", lines[: page.LOG_LINES])
    assert "(1 earlier line not shown" in page.log_column("A: as set", lines[: page.LOG_LINES + 1])


# --- every group of shocks has a proper name --------------------------------------------------


def test_every_group_of_dated_shocks_has_a_proper_name():
    from hedgesim.app.comparisons import KIND_NAMES as names

    assert set(events_by_kind()) <= set(names)  # none falls back to its raw key
    assert names["eap_suspension"] == "EaP suspension"
    assert names["territory_used"] == "Belarusian territory lent to a war"
    offered = set(comparisons())
    assert {"without any EaP suspension shocks", "without any territory-lent shocks"} <= offered
    assert "without any NPP shocks" in offered and "without any npp shocks" not in offered


def test_a_drawn_election_is_told_when_a_drawn_dispute_starts_in_its_month():
    """The record keeps the dispute (the last drawn shock to start); the election is on its cycle."""
    ((_, spec),) = settings_from_inputs(0.5, 0.5, 0.3, "1", "20101219").runs()
    model = build_model(spec)
    step = model.calendar.step_of(Month.parse("2025-01"))
    logged = pd.Series([None] * model.calendar.n_steps, dtype=object)
    logged[step] = "oil dispute with Russia"
    shocks = month_shocks(model, logged)
    assert shocks[step] == ("a presidential election", "oil dispute with Russia")
    logged[step] = "a presidential election"
    assert month_shocks(model, logged)[step] == ("a presidential election",)
    assert shocks[step - 1] == ()
