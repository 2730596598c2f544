"""Each shock kind's impulses: what one shock does in each month of a run, and nothing more."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hedgesim.config.compose import compose_config
from hedgesim.config.spec import build_run
from hedgesim.core.calendar import Month, RunCalendar
from hedgesim.core.model import HedgingModel
from hedgesim.core.parameters import ModelParameters
from hedgesim.core.shocks import (
    EFFECTS,
    ONSET_KINDS,
    SPREAD_KINDS,
    STOCHASTIC_CHANNELS,
    STOCHASTIC_LABELS,
    DrawnMonth,
    DrawnShocks,
    EnergyDisputes,
    Impulses,
    ShockCodes,
    ShockKind,
    StochasticShocks,
    Timeline,
    month_impulses,
)
from hedgesim.core.shocks.impulses import BREAK_KINDS, HELD_KINDS
from hedgesim.workflows.run import build_model

CALENDAR = RunCalendar(Month(2020, 1), Month(2020, 8))
ONSET, LAST = 2, 4  # the shock runs 2020-03..2020-05
SIZE, MONTHS = 0.6, 3
WAR_IMPACT = ModelParameters().war_impact
QUIET = StochasticShocks(enabled=False)
NO_DECISIONS = ModelParameters(
    crackdown_bias=-10.0,
    crackdown_threat=0.0,
    crackdown_backing=0.0,
    release_rate=0.0,
    signal_rate=0.0,
    venue_rate=0.0,
    dispute_pressure_rate=0.0,
)
"""Agents that take no discrete decision, so a month's impulses are its shocks' alone."""
DECISION_FIELDS = (
    "crackdown_bias",
    "crackdown_threat",
    "crackdown_backing",
    "release_rate",
    "signal_rate",
    "venue_rate",
    "dispute_pressure_rate",
)

# Per kind: what moves in the onset month only, and what moves in every active month.
EXPECTED: dict[ShockKind, tuple[dict, dict]] = {
    ShockKind.WAR: ({"war": SIZE * WAR_IMPACT, "war_on_ukraine": True}, {}),
    ShockKind.ELECTION: ({"election": SIZE, "election_held": True}, {}),
    ShockKind.CRACKDOWN: ({"crackdown": SIZE, "conflict.eu": SIZE}, {}),
    ShockKind.CONCESSION: ({"release": SIZE}, {"coop.eu": SIZE / MONTHS}),
    ShockKind.OIL_DISPUTE: ({}, {"supply_cut": SIZE}),
    ShockKind.GAS_DISPUTE: ({}, {"gas_dispute": SIZE}),
    ShockKind.AUTONOMY_SIGNAL: ({}, {"coop.eu": SIZE / MONTHS, "conflict.russia": SIZE / MONTHS}),
    ShockKind.INSTITUTIONAL: ({}, {"coop.eu": SIZE / MONTHS}),
    ShockKind.VENUE: ({}, {"coop.ukraine": SIZE / MONTHS, "coop.eu": SIZE / MONTHS}),
    ShockKind.DIPLOMATIC: ({}, {"coop.eu": SIZE / MONTHS}),
    ShockKind.NPP: ({"npp": SIZE, "conflict.lithuania": SIZE}, {}),
    ShockKind.NPP_START: ({"npp_start": True}, {}),
    ShockKind.COERCION: (
        {},
        {"coercion": SIZE / MONTHS, "conflict.eu": SIZE / MONTHS, "conflict.lithuania": SIZE / MONTHS},
    ),
    ShockKind.EAP_SUSPENSION: ({"eap_suspended": True, "conflict.eu": SIZE}, {}),
    ShockKind.TERRITORY_USED: (
        {"territory_used": True, "conflict.ukraine": SIZE, "conflict.eu": SIZE},
        {},
    ),
}


def flat(impulses: Impulses) -> dict[str, np.ndarray]:
    """Every impulse array by name, per dyad as ``coop.eu``."""
    out = {f"{k}.{d}": v for k in ("coop", "conflict") for d, v in getattr(impulses, k).items()}
    fields = (f.name for f in dataclasses.fields(impulses) if f.name not in ("coop", "conflict"))
    return out | {name: getattr(impulses, name) for name in fields}


def moved(impulses: Impulses) -> dict[str, float]:
    """The impulses that differ from a quiet month, by name; all replicates must agree."""
    quiet = flat(Impulses.quiet(impulses.shock.size))
    out = {}
    for name, values in flat(impulses).items():
        assert (values == values[0]).all(), f"{name} differs between replicates"
        if values[0] != quiet[name][0]:
            out[name] = values[0].item()
    return out


def monthly_impulses(timeline: Timeline, stochastic: StochasticShocks = QUIET, replicates: int = 2):
    """The model's impulses in each month of the run."""
    model = HedgingModel(
        CALENDAR, timeline, params=NO_DECISIONS, stochastic=stochastic, replicates=replicates, seed=3
    )
    months = []
    while not model.finished:
        model.step()
        months.append(model.impulses)
    return months


def one_shock(kind: ShockKind, actors: str = "RUS;UKR;BLR") -> Timeline:
    record = {"id": "only", "date": "2020-03", "end": "2020-05", "kind": kind.value}
    return Timeline.from_records([{**record, "size": SIZE, "actors": actors}])


def test_every_kind_is_documented_and_tested():
    assert set(EFFECTS) == set(EXPECTED) == set(ShockKind)


@pytest.mark.parametrize("kind", list(ShockKind), ids=lambda k: k.value)
def test_one_shock_moves_what_its_kind_documents_and_nothing_else(kind):
    onset, every = EXPECTED[kind]
    months = monthly_impulses(one_shock(kind))
    assert len(months) == CALENDAR.n_steps
    for step, impulses in enumerate(months):
        expected = {}
        if ONSET <= step <= LAST:
            expected |= every
        if step == ONSET:
            expected |= onset | {"shock": 0}
        assert moved(impulses) == pytest.approx(expected), f"step {step}"


@pytest.mark.parametrize("kind", sorted(SPREAD_KINDS, key=lambda k: k.value), ids=lambda k: k.value)
def test_spread_kinds_deliver_their_size_over_their_duration(kind):
    months = monthly_impulses(one_shock(kind))
    delivered = sum(m.coop["eu"] + m.coop["ukraine"] for m in months)
    shares = 2 if kind is ShockKind.VENUE else 1
    np.testing.assert_allclose(delivered, shares * SIZE)


@pytest.mark.parametrize("kind", sorted(ONSET_KINDS, key=lambda k: k.value), ids=lambda k: k.value)
def test_onset_kinds_act_once_however_long_they_last(kind):
    active = [moved(m) for m in monthly_impulses(one_shock(kind))]
    assert [bool(a) for a in active] == [step == ONSET for step in range(CALENDAR.n_steps)]


def test_the_break_kinds_are_onset_kinds_but_coercion():
    onset_breaks = BREAK_KINDS & ONSET_KINDS
    assert onset_breaks == {ShockKind.EAP_SUSPENSION, ShockKind.TERRITORY_USED}
    assert set(HELD_KINDS) == {ShockKind.COERCION} and not HELD_KINDS & ONSET_KINDS


def test_coercion_totals_its_size_spread_over_its_months_and_overlaps_add():
    coercion = {"kind": "coercion", "actors": "BLR;LTU"}
    records = [
        {**coercion, "id": "long", "date": "2020-02", "end": "2020-05", "size": 0.8},
        {**coercion, "id": "short", "date": "2020-03", "size": 0.5},
    ]
    months = monthly_impulses(Timeline.from_records(records))
    np.testing.assert_allclose(sum(m.conflict["lithuania"] for m in months), [1.3, 1.3])
    np.testing.assert_allclose(sum(m.conflict["eu"] for m in months), [1.3, 1.3])
    np.testing.assert_allclose([m.coercion[0] for m in months], [0.0, 0.2, 0.7, 0.2, 0.2, 0.0, 0.0, 0.0])


@pytest.fixture(scope="module")
def history_months():
    """Each month's impulses in the history_2024 scenario with the decisions actually taken
    imposed (the 2021 coercion is Belarus's decision), no draws, and the run's spec."""
    overrides = ["scenario=history_2024", "shocks.stochastic.enabled=false", "decisions.mode=observed"]
    spec = build_run(compose_config(overrides))
    quiet = {name: getattr(NO_DECISIONS, name) for name in DECISION_FIELDS}
    model = build_model(
        dataclasses.replace(spec, replicate_ids=(0, 1), params=dataclasses.replace(spec.params, **quiet))
    )
    months = {}
    while not model.finished:
        model.step()
        months[str(model.month)] = moved(model.impulses)
    return months, spec


def test_the_dated_history_to_2022_gives_each_new_kind_in_its_month(history_months):
    months, spec = history_months
    code = {s.id: k for k, s in enumerate(spec.timeline.shocks)}
    codes = ShockCodes.of(spec.timeline, spec.calendar, None)
    together = {str(spec.calendar.month_at(t)): a[0].index for t, a in codes.dated.items() if a[0].onset}
    assert months["2021-05"] == pytest.approx(
        {"coercion": 1.0, "conflict.eu": 1.0, "conflict.lithuania": 1.0, "shock": code["ryanair-landing"]}
    )
    assert months["2021-06"] == pytest.approx(
        {
            "coercion": 1 / 6,
            "conflict.eu": 1 / 6 + 0.5,  # the migrant crisis spread over six months; the EaP suspension
            "conflict.lithuania": 1 / 6 + 0.1,  # and the plant's commercial operation
            "npp": 0.1,
            "eap_suspended": True,
            "shock": together["2021-06"],  # the plant, the suspension and the crisis, one code
        }
    )
    for month in ("2021-07", "2021-08", "2021-09", "2021-10", "2021-11"):
        held = {"coercion": 1 / 6, "conflict.eu": 1 / 6, "conflict.lithuania": 1 / 6}
        assert months[month] == pytest.approx(held), month
    assert months["2021-12"] == months["2022-01"] == {}
    assert months["2022-02"] == pytest.approx(
        {
            "war": spec.params.war_impact,
            "war_on_ukraine": True,
            "territory_used": True,
            "conflict.ukraine": 1.0,
            "conflict.eu": 1.0,
            "shock": together["2022-02"],  # the territory lent and the invasion, one code
        }
    )
    assert all(m == {} for month, m in months.items() if month > "2022-02")


def test_a_war_not_naming_ukraine_leaves_it_at_peace():
    months = monthly_impulses(one_shock(ShockKind.WAR, actors="RUS;GEO"))
    assert moved(months[ONSET]) == pytest.approx({"war": SIZE * WAR_IMPACT, "shock": 0})


def test_the_run_end_cuts_a_spread_shock():
    record = {"date": "2020-08", "end": "2020-11", "kind": "institutional", "size": SIZE, "actors": "EU"}
    months = monthly_impulses(Timeline.from_records([record]))
    assert moved(months[-1]) == pytest.approx({"coop.eu": SIZE / 4, "shock": 0})


def test_energy_disputes_run_their_months_and_never_stack():
    draws = [True, True, False, False, True, False]
    disputes, seen = EnergyDisputes.none(1), []
    for drawn in draws:
        disputes = disputes.advanced(np.array([drawn]), 3)
        seen.append((bool(disputes.started[0]), bool(disputes.active[0]), int(disputes.months_left[0])))
    assert seen == [
        (True, True, 2),
        (False, True, 1),
        (False, True, 0),
        (False, False, 0),
        (True, True, 2),
        (False, True, 1),
    ]


def test_each_drawn_shock_gives_its_impulse():
    eye = np.eye(3, dtype=bool)  # replicate k draws shock k: election, dispute, war
    drawn = DrawnShocks(eye[0], np.where(eye[0], 0.7, 0.0), eye[1], eye[2])
    settings = StochasticShocks(energy_dispute_size=0.4, war_size=0.5)
    disputes = EnergyDisputes.none(3).advanced(drawn.dispute, settings.energy_dispute_months)
    impulses = month_impulses(3, (), DrawnMonth(drawn, disputes, settings, first_code=9), WAR_IMPACT)
    expected = [
        {"election": 0.7, "election_held": True, "shock": 9},
        {"supply_cut": 0.4, "shock": 10},
        {"war": 0.5 * WAR_IMPACT, "shock": 11},
    ]
    quiet = flat(Impulses.quiet(3))
    for k, name in enumerate(STOCHASTIC_CHANNELS):
        mine = {key: v[k].item() for key, v in flat(impulses).items() if v[k] != quiet[key][k]}
        assert mine == pytest.approx(expected[k]), name


def test_drawn_shocks_starting_in_one_month_are_all_named_by_one_code():
    """Replicate k draws the shocks of bit mask k (election 1, dispute 2, war 4): each set that
    starts together has its code, labelled with every shock in it, and the effects add up."""
    masks = np.arange(8)
    election, dispute, war = ((masks >> bit) & 1 == 1 for bit in range(3))
    drawn = DrawnShocks(election, np.where(election, 0.7, 0.0), dispute, war)
    settings = StochasticShocks(energy_dispute_size=0.4, war_size=0.5)
    disputes = EnergyDisputes.none(8).advanced(drawn.dispute, settings.energy_dispute_months)
    impulses = month_impulses(8, (), DrawnMonth(drawn, disputes, settings, first_code=9), WAR_IMPACT)
    labels = [None, *STOCHASTIC_LABELS.values()]
    named = [labels[code - 8] if code >= 0 else None for code in impulses.shock.tolist()]
    assert named == [
        None,
        "a presidential election",
        "oil dispute with Russia",
        "a presidential election + oil dispute with Russia",
        "a new war raises tension",
        "a presidential election + a new war raises tension",
        "oil dispute with Russia + a new war raises tension",
        "a presidential election + oil dispute with Russia + a new war raises tension",
    ]
    np.testing.assert_array_equal(impulses.supply_cut, np.where(dispute, 0.4, 0.0))
    np.testing.assert_array_equal(impulses.war, np.where(war, 0.5 * WAR_IMPACT, 0.0))
    np.testing.assert_array_equal(impulses.election, np.where(election, 0.7, 0.0))


def test_a_running_dispute_cuts_supply_in_months_without_a_draw():
    settings = StochasticShocks()
    none = DrawnShocks(*np.zeros((4, 1), dtype=bool))  # no election, no mobilisation, no dispute, no war
    started = EnergyDisputes.none(1).advanced(np.array([True]), settings.energy_dispute_months)
    running = started.advanced(none.dispute, settings.energy_dispute_months)
    impulses = month_impulses(1, (), DrawnMonth(none, running, settings, first_code=0), WAR_IMPACT)
    assert moved(impulses) == {"supply_cut": settings.energy_dispute_size}  # it started earlier


def test_drawn_disputes_in_the_model_last_their_months_and_never_stack():
    only_disputes = {"mobilisation_max": 0.0, "war_rate": 0.0}
    stochastic = StochasticShocks(
        start="2020-01", energy_dispute_rate=0.3, energy_dispute_months=3, **only_disputes
    )
    months = monthly_impulses(Timeline(), stochastic, replicates=60)
    with_dispute = [k for k, key in enumerate(STOCHASTIC_LABELS) if "dispute" in key.split("+")]
    starts = np.array([np.isin(m.shock, with_dispute) for m in months])  # 2020-01 holds an election
    cuts = np.array([m.supply_cut for m in months])
    running = np.array([starts[max(t - 2, 0) : t + 1].any(axis=0) for t in range(len(months))])
    assert starts.any() and not running.all()
    np.testing.assert_array_equal(cuts, np.where(running, stochastic.energy_dispute_size, 0.0))
    for t in range(1, len(months)):
        assert not (starts[t] & starts[max(t - 2, 0) : t].any(axis=0)).any(), f"stacked at step {t}"
