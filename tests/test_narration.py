"""The classroom page's narration: why Belarus moved, told from a replicate's event log."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from hedgesim.app.channels import COMMITMENT_DRIVERS, DECISION_CHOICES, KIND_CHANNELS, why
from hedgesim.app.narration import (
    COMMITMENT_NAME,
    MonthRecord,
    _hedge_clause,
    _news,
    causes,
    narrate,
    records,
    replicate_log,
    sentence,
    shock_kinds,
)
from hedgesim.app.session import COMMITMENT
from hedgesim.app.settings import DECISIONS, settings_from_inputs
from hedgesim.workflows.run import run_spec


def quiet_month(**changes) -> MonthRecord:
    """A month of the log in which nothing happened, but for ``changes`` (the tests' one builder)."""
    quiet = dict(
        date="2014-03",
        shock=None,
        kind=None,
        partner="eu",
        change=0.0,
        driver="risk",
        tension=0.3,
        tension_change=0.0,
        supply=1.0,
        supply_change=0.0,
        sanctions=4.0,
        sanctions_change=0.0,
        prisoners_change=0.0,
    )
    return MonthRecord(**{**quiet, **changes})


# --- narration: why did Belarus move -------------------------------------------------------


def test_sentence_follows_the_log_and_the_state():
    war = quiet_month(shock="the annexation of Crimea", kind="war", tension_change=0.3, change=0.008)
    assert sentence(war) == (
        "2014-03: tension rose after the annexation of Crimea; "
        "in answer, Belarus raised its EU weight to spread risk (+0.8 points)"
    )
    calm_war = quiet_month(shock="the annexation of Crimea", kind="war", tension_change=0.0, change=0.008)
    assert sentence(calm_war).startswith("2014-03: the annexation of Crimea; in answer, Belarus")
    trust = quiet_month(partner="russia", change=-0.02, driver="trust")
    assert (
        sentence(trust)
        == "2014-03: Belarus lowered its Russia weight as its trust in Russia fell (-2.0 points)"
    )
    assert sentence(quiet_month(change=0.001)) is None  # a quiet month is not told
    sanctions = quiet_month(sanctions=159.0, sanctions_change=155.0)
    assert sentence(sanctions) == "2014-03: the EU widened its sanctions to 159 persons"
    dispute = quiet_month(
        shock="a dispute",
        kind="oil_dispute",
        supply=0.5,
        supply_change=-0.5,
        change=-0.01,
        driver="benefit",
        partner="russia",
    )
    assert sentence(dispute) == (
        "2014-03: Russian crude deliveries fell 50% with a dispute; "
        "in answer, Belarus lowered its Russia weight as ties with Russia paid less (-1.0 points)"
    )


def test_a_month_with_a_shock_and_a_decision_tells_both():
    """The log once named only the decision, so hosting talks hid the annexation of Crimea."""
    crimea = quiet_month(
        date="2014-02",
        shock="the annexation of Crimea",
        kind="war",
        tension_change=0.3,
        decision="venue",
        partner="ukraine",
        change=-0.011,
    )
    assert sentence(crimea) == (
        "2014-02: tension rose after the annexation of Crimea; Belarus chose to host talks as a "
        "neutral venue; in answer to the annexation of Crimea, Belarus lowered its Ukraine weight "
        "to cut its exposure to risk (-1.1 points)"
    )
    trusted = dataclasses.replace(crimea, driver="trust", change=0.004)  # hosting's own channel
    assert "; in answer to hosting the talks, Belarus raised its Ukraine weight" in sentence(trusted)
    quiet = dataclasses.replace(crimea, change=0.0)  # no move: the news alone
    assert sentence(quiet) == (
        "2014-02: tension rose after the annexation of Crimea; Belarus chose to host talks as a neutral venue"
    )


def test_a_decision_tells_the_change_it_brings_itself():
    """The crackdown jails, not the election it follows; Russia's own dispute cuts the crude."""
    december = quiet_month(
        date="2010-12",
        shock="the December 2010 presidential election",
        kind="election",
        decision="crackdown",
        prisoners_change=1.0,
        change=-0.02,
        driver="trust",
    )
    assert sentence(december) == (
        "2010-12: the December 2010 presidential election; Belarus chose to crack down after the "
        "election, and political prisoners rose; in answer to the December 2010 presidential "
        "election and the crackdown, Belarus lowered its EU weight as its trust in the EU fell "
        "(-2.0 points)"
    )
    dispute = quiet_month(
        decision="russia_dispute",
        supply=0.6,
        supply_change=-0.4,
        partner="russia",
        driver="benefit",
        change=-0.01,
    )
    assert sentence(dispute) == (
        "2014-03: Russia chose to open an oil dispute, and Russian crude deliveries fell 40%; in "
        "answer, Belarus lowered its Russia weight as ties with Russia paid less (-1.0 points)"
    )
    release = quiet_month(decision="release", prisoners_change=-0.9)
    assert sentence(release) == "2014-03: Belarus chose to release political prisoners"


def test_news_the_models_driver_does_not_name_is_only_the_same_month():
    """A summit raises trust in the EU: it cannot be why Belarus cut its EU weight through risk."""
    summit = quiet_month(
        date="2011-09",
        shock="the Eastern Partnership summit in Warsaw",
        kind="institutional",
        change=-0.002,
        driver="risk",
    )
    assert sentence(summit) == (
        "2011-09: the Eastern Partnership summit in Warsaw; in the same month, "
        "Belarus lowered its EU weight to cut its exposure to risk (-0.2 points)"
    )
    assert causes(summit, [("shock", summit.shock, KIND_CHANNELS["institutional"])]) == []
    trusted = dataclasses.replace(summit, change=0.002, driver="trust")  # the summit's own channel
    assert "; in answer, Belarus raised its EU weight as its trust in the EU grew" in sentence(trusted)
    wrong_way = dataclasses.replace(summit, change=-0.002, driver="trust")
    assert "in the same month, Belarus lowered its EU weight" in sentence(wrong_way)


def test_of_several_news_the_cause_is_named():
    month = quiet_month(
        shock="the October 2015 election, without a crackdown",
        kind="election",
        sanctions=4.0,
        sanctions_change=-150.0,
        change=0.049,
        driver="risk",
    )
    assert sentence(month) == (
        "2014-03: the October 2015 election, without a crackdown; the EU eased its sanctions to "
        "4 persons; in answer to the eased sanctions, Belarus raised its EU weight to spread risk "
        "(+4.9 points)"
    )


@pytest.mark.parametrize("driver", ["commitment", "floor"])
def test_the_alliance_commitment_is_named_when_it_moved_belarus(driver):
    rose = quiet_month(partner="russia", change=0.03, driver=driver, tension=0.9, tension_change=0.3)
    assert sentence(rose) == (
        "2014-03: tension rose to 0.90; in answer, Belarus raised its Russia weight "
        "as its alliance commitment to Russia rose (+3.0 points)"
    )
    eased = quiet_month(partner="russia", change=-0.02, driver=driver)
    assert "lowered its Russia weight as its alliance commitment to Russia eased" in sentence(eased)
    squeezed = quiet_month(partner="eu", change=-0.02, driver=driver)
    assert "lowered its EU weight to make room for its alliance commitment to Russia" in sentence(squeezed)
    assert driver in COMMITMENT_DRIVERS and why(driver, "russia", True) != why("risk", "russia", True)


def test_an_unknown_driver_is_shown_not_guessed():
    assert why("meteor", "eu", True) == "(driver: meteor)"


def test_the_russia_weight_on_its_floor_is_said():
    on_floor = quiet_month(
        change=-0.04, driver="benefit", russia_weight=0.4000004, russia_floor=0.4, was_at_floor=True
    )
    assert on_floor.at_floor and not on_floor.floor_moved
    assert sentence(on_floor) == (
        "2014-03: Belarus lowered its EU weight as ties with the EU paid less "
        f"(-4.0 points; Russia stays at {COMMITMENT_NAME}, 0.40)"
    )
    above = dataclasses.replace(on_floor, russia_weight=0.45)
    assert above.floor_moved
    assert f"(-4.0 points; Russia rose above {COMMITMENT_NAME}, 0.40)" in sentence(above)
    reached = dataclasses.replace(on_floor, was_at_floor=False)
    assert f"Russia is now at {COMMITMENT_NAME}, 0.40)" in sentence(reached)
    quiet = dataclasses.replace(on_floor, change=0.0, was_at_floor=False)
    assert sentence(quiet) == f"2014-03: Russia is now at {COMMITMENT_NAME}, 0.40"
    unknown = quiet_month(change=-0.04)  # no floor column: nothing said about it
    assert "floor" not in sentence(unknown)


@pytest.fixture(scope="module")
def small_page_run():
    settings = settings_from_inputs(0.5, 0.5, 0.3, "3", "20101219")
    ((_, spec),) = settings.runs()
    return run_spec(spec)


def test_replicate_log_is_the_models_own_event_log(small_page_run):
    model = small_page_run
    ours = replicate_log(model, 1)
    log = model.event_log()
    theirs = log[log["replicate"] == model.replicate_ids[1]].reset_index(drop=True)
    assert len(ours) == len(theirs) == model.calendar.n_steps
    for column in ("moved_partner", "driver"):
        assert list(ours[column]) == list(theirs[column].astype(str))
    np.testing.assert_allclose(ours["weight_change"], theirs["weight_change"])
    for column in ("shock", "decision"):
        assert list(ours[column].fillna("-")) == list(theirs[column].astype(object).fillna("-"))
    assert ours["decision"].notna().any()
    state = model.trajectories()
    state = state[state["replicate"] == model.replicate_ids[1]].reset_index(drop=True)
    for column in ("tension", "hedge_russia", COMMITMENT):
        np.testing.assert_allclose(ours[column], state[column])


def test_narration_tells_every_logged_shock_in_date_order(small_page_run):
    model = small_page_run
    frame = replicate_log(model, 0)
    lines = narrate(frame, shock_kinds(model))
    dates = [line[:7] for line in lines]
    assert dates == sorted(dates) and len(lines) > 10
    shocks = frame.iloc[1:].dropna(subset=["shock"])
    for row in shocks.itertuples():
        told = [line for line in lines if line.startswith(f"{row.date:%Y-%m}:")]
        parts = model.shock_codes.parts.get(row.shock, (row.shock,))  # shocks of one month: one code
        assert told and all(part in told[0] for part in parts)
    decisions = frame.iloc[1:].dropna(subset=["decision"])
    choices = {label: DECISION_CHOICES[name] for name, label in DECISIONS.items()}
    for row in decisions.itertuples():
        told = [line for line in lines if line.startswith(f"{row.date:%Y-%m}:")]
        assert told and choices[row.decision] in told[0] and row.decision not in told[0]
    answer = r"2014-02: tension rose after the annexation of Crimea; .*in answer[^;]*, Belarus "
    assert any(re.match(answer, line) for line in crimea_lines(model)), "told as a war in some replicate"
    last = lambda line: line.split(": ", 1)[1].split(";")[-1].strip()
    decided = tuple(DECISION_CHOICES.values())  # a decision told last is news, not a move
    told = [x for x in lines if "Belarus" in last(x) and not last(x).startswith(decided)]
    for line in told:  # news and a move: joined as an answer or as the same month, never bare
        body = line.split(": ", 1)[1]
        if ";" in body:
            assert "; in answer" in body or "; in the same month, Belarus" in body, line
    if any(r.at_floor for r in records(frame, shock_kinds(model))):  # the weight sat at it
        assert any(COMMITMENT_NAME in line for line in lines), "and the log says so"


def crimea_lines(model) -> list[str]:
    """The line of each replicate that names the annexation."""
    told = [narrate(replicate_log(model, k), shock_kinds(model)) for k in range(model.n_replicates)]
    return [line for lines in told for line in lines if "the annexation of Crimea" in line]


def test_a_decision_never_hides_the_months_shock(small_page_run):
    """Every replicate tells the annexation in 2014-02, whatever Belarus decided that month, and
    each month with both a shock and a decision names the two."""
    model = small_page_run
    assert [line[:7] for line in crimea_lines(model)] == ["2014-02"] * model.n_replicates
    both = 0
    for k in range(model.n_replicates):
        frame = replicate_log(model, k)
        lines = {line[:7]: line for line in narrate(frame, shock_kinds(model))}
        for row in frame.iloc[1:].dropna(subset=["shock", "decision"]).itertuples():
            line = lines[f"{row.date:%Y-%m}"]
            name = next(name for name, label in DECISIONS.items() if label == row.decision)
            assert row.shock in line and DECISION_CHOICES[name] in line, line
            assert line.index(row.shock) < line.index(DECISION_CHOICES[name])  # the shock first
            both += 1
    assert both > 0


def test_every_move_joined_to_news_follows_the_channels(small_page_run):
    """'In answer' exactly when the model's driver is a channel of the month's news."""
    model = small_page_run
    joined = 0
    for record in records(replicate_log(model, 2), shock_kinds(model)):
        told, news = sentence(record), _news(record)
        if told is None or not news or not told.endswith(_hedge_clause(record)):
            continue  # no move of the hedge joined to the month's news
        joined += 1
        assert ("in answer" in told) == bool(causes(record, news)), told
    assert joined > 0


def test_steady_months_are_told_as_one_stretch():
    dates = pd.date_range("2016-01-01", periods=6, freq="MS")
    frame = pd.DataFrame(
        {
            "date": dates,
            "replicate": 0,
            "moved_partner": "eu",
            "driver": "benefit",
            "weight_change": [0.0, 0.02, 0.02, 0.02, -0.02, 0.02],
            "shock": [None, None, None, "a summit", None, None],
            "tension": 0.3,
            "oil_supply": 1.0,
            "sanctions_persons": 4.0,
            "political_prisoners": 0.0,
        }
    )
    lines = narrate(frame, {"a summit": "institutional"})
    assert lines == [
        "2016-02 to 2016-03: Belarus kept raising its EU weight as ties with the EU paid more "
        "(+4.0 points over 2 months)",
        "2016-04: a summit; in the same month, Belarus raised its EU weight as ties with the EU "
        "paid more (+2.0 points)",
        "2016-05: Belarus lowered its EU weight as ties with the EU paid less (-2.0 points)",
        "2016-06: Belarus raised its EU weight as ties with the EU paid more (+2.0 points)",
    ]
    decided = frame.assign(shock=None, decision=[None, None, DECISIONS["release"], None, None, None])
    assert narrate(decided, {})[:2] == [
        "2016-02: Belarus raised its EU weight as ties with the EU paid more (+2.0 points)",
        "2016-03: Belarus chose to release political prisoners; in answer, Belarus raised its EU "
        "weight as ties with the EU paid more (+2.0 points)",
    ]  # a decision breaks the stretch: it is news


def test_narration_changes_with_the_replicate_log(small_page_run):
    frame = replicate_log(small_page_run, 0)
    kinds = shock_kinds(small_page_run)
    moved = frame.copy()
    moved.loc[100, ["weight_change", "moved_partner", "driver"]] = [0.05, "ukraine", "trust"]
    line = next(x for x in narrate(moved, kinds) if x.startswith(f"{moved.loc[100, 'date']:%Y-%m}"))
    assert "Belarus raised its Ukraine weight as its trust in Ukraine grew (+5.0 points" in line


def test_every_decision_the_agents_take_can_be_told_and_named_as_a_cause():
    """A decision added to the model (coercion in model 2.1) needs its sentence, its name as a
    cause and its kind, or the log falls back to its raw code."""
    from hedgesim.app.channels import DECISION_CAUSES, DECISION_KINDS

    assert set(DECISION_CHOICES) == set(DECISION_CAUSES) == set(DECISION_KINDS) == set(DECISIONS)
    assert set(DECISION_KINDS.values()) <= set(KIND_CHANNELS)
