"""The model's knobs: the mechanism parameters (the challenges live in ``core.challenges``).

Plain dataclasses, so the domain core needs no configuration framework. Every field carries
its meaning, its allowed range and where its default comes from in ``metadata``; validation
and docs/ODD.md read the same metadata.
"""

from __future__ import annotations

from dataclasses import dataclass

from hedgesim.core.knobs import HAND, ParameterError, allowed_range, check_ranges, knob

__all__ = [
    "HAND",
    "ModelParameters",
    "ParameterError",
    "allowed_range",
    "check_ranges",
    "knob",
]


@dataclass
class ModelParameters:
    """Mechanism parameters; see docs/ODD.md for the equations they enter.

    Any field may also hold one value per replicate (``knobs.per_replicate``), so a batched
    calibration or sweep runs several settings as one ensemble, each exactly as its own run.
    """

    # --- trust ------------------------------------------------------------------------
    trust_gain: float = knob(
        0.025, 0.0, 1.0, "monthly share of the gap to full trust closed by one unit of cooperation"
    )
    trust_loss: float = knob(
        0.2,
        0.0,
        1.0,
        "monthly share of trust lost per unit of conflict (faster down than up)",
        "DESIGN: trust collapses quickly after a betrayal; ratio to trust_gain ~10",
    )
    trust_floor: float = knob(0.05, 0.0, 0.5, "trust never falls below this (contacts persist)")
    trust_drift: float = knob(
        0.02,
        0.0,
        0.5,
        "monthly share of the gap to its starting level that trust closes without news "
        "(broken trust is rebuilt slowly, built trust erodes unless renewed)",
    )
    trust_challenge_shift: float = knob(
        0.3,
        0.0,
        1.0,
        "how far the mutual-trust challenge moves the baselines of the Western dyads (EU and "
        "Belarus in each other, Lithuania in Belarus) per unit away from its reference 0.5",
        "scenario scale: the challenges keep their reference before the branch, so no "
        "2011-2019 target can set it",
    )
    trust_init_blr_eu: float = knob(0.25, 0.0, 1.0, "Belarus's trust in the EU in 2008-01")
    trust_init_eu_blr: float = knob(0.15, 0.0, 1.0, "EU's trust in Belarus in 2008-01")
    trust_init_blr_russia: float = knob(0.6, 0.0, 1.0, "Belarus's trust in Russia in 2008-01")
    trust_init_russia_blr: float = knob(0.65, 0.0, 1.0, "Russia's trust in Belarus in 2008-01")
    trust_init_ukraine_blr: float = knob(0.5, 0.0, 1.0, "Ukraine's trust in Belarus in 2008-01")
    trust_init_blr_ukraine: float = knob(0.55, 0.0, 1.0, "Belarus's trust in Ukraine in 2008-01")
    trust_other: float = knob(
        0.5, 0.0, 1.0, "Belarus's (fixed) trust in the outside option (China and others)"
    )
    trust_init_lithuania_blr: float = knob(0.35, 0.0, 1.0, "Lithuania's trust in Belarus in 2008-01")

    # --- Belarus's hedging rule -------------------------------------------------------
    risk_aversion: float = knob(1.5, 0.0, 20.0, "weight of payoff variance w'Σw in the hedge")
    room_value: float = knob(
        0.15, 0.001, 5.0, "value of room for manoeuvre: weight of the entropy of the hedge"
    )
    hedge_inertia: float = knob(0.12, 0.0, 1.0, "share of the gap to the optimal hedge closed each month")
    alliance_commitment: float = knob(
        0.4,
        0.0,
        1.0,
        "Russia weight the alliance commitments ask for: below it Belarus pays commitment_cost",
        "Union State, EAEU, CSTO commitments (policy paper)",
    )
    commitment_cost: float = knob(
        1.0,
        0.0,
        100.0,
        "cost of falling short of the commitment: lost security guarantees and discounts, "
        "cost x shortfall^2 / 2 in the hedging objective",
    )
    commitment_cost_max: float = knob(
        200.0,
        0.0,
        1000.0,
        "commitment cost once neutrality is impossible (tension far past the threshold)",
        "policy paper, challenge 3: past some level neutrality becomes impossible",
    )
    neutrality_threshold: float = knob(
        0.8,
        0.0,
        1.0,
        "tension past which the commitment cost rises steeply",
        "policy paper, challenge 3: past some level neutrality becomes impossible",
    )
    commitment_steepness: float = knob(
        0.04, 0.001, 1.0, "width of the commitment cost's logistic rise in tension"
    )
    territory_commitment: float = knob(
        0.5,
        0.0,
        1.0,
        "share of the way to commitment_cost_max the cost jumps once Belarusian territory is used for a war",
    )
    benefit_russia: float = knob(1.0, 0.0, 5.0, "Russia's benefit to Belarus: energy and market")
    benefit_eu: float = knob(2.0, 0.0, 5.0, "EU benefit to Belarus at a full offer")
    benefit_ukraine: float = knob(0.2, 0.0, 5.0, "Ukraine's benefit to Belarus: trade, transit")
    benefit_other: float = knob(0.2, 0.0, 5.0, "benefit of the outside option (China and others)")
    support_gain: float = knob(
        1.0,
        0.0,
        5.0,
        "Russia's support to the regime (credit, energy prices) per unit of Western isolation "
        "(the sanctions list as a share of sanctions_full, and sectoral measures)",
        "policy paper: Russia props the regime up when the West isolates it (2011, 2020-21)",
    )
    support_rate: float = knob(0.1, 0.0, 1.0, "monthly share of the gap to its target support closed")
    support_benefit: float = knob(1.0, 0.0, 5.0, "Russia's benefit to Belarus per unit of support")
    integration_cost: float = knob(
        0.6, 0.0, 5.0, "loss of Russia's benefit per unit of Russia's integration pressure"
    )
    sanction_cost: float = knob(0.4, 0.0, 5.0, "loss of EU benefit at the full sanctions list")
    neutrality_value: float = knob(
        0.5, 0.0, 5.0, "value to Belarus of Ukraine's regard for its neutrality, per unit tension"
    )
    var_russia: float = knob(0.15, 0.0, 5.0, "base variance of Russia's payoff (energy leverage)")
    var_russia_dispute: float = knob(0.6, 0.0, 5.0, "added variance during an energy dispute")
    var_russia_tension: float = knob(1.0, 0.0, 5.0, "added Russia variance per unit tension")
    var_eu: float = knob(0.2, 0.0, 5.0, "base variance of the EU payoff (conditionality)")
    var_eu_sanctions: float = knob(0.4, 0.0, 5.0, "added EU variance at the full sanctions list")
    var_ukraine: float = knob(0.2, 0.0, 5.0, "base variance of Ukraine's payoff")
    var_ukraine_war: float = knob(0.5, 0.0, 5.0, "added Ukraine variance while it is at war")
    var_other: float = knob(0.3, 0.0, 5.0, "variance of the outside option's payoff")

    # --- EU conditionality ------------------------------------------------------------
    offer_rate: float = knob(0.1, 0.0, 1.0, "share of the gap to the EU's target offer closed monthly")
    security_interest: float = knob(
        1.0,
        0.0,
        5.0,
        "EU's interest in a neutral Belarus per unit tension, in its offer (not conditional)",
        "policy paper: tension raises the EU's interest in a neutral Belarus",
    )
    sanctions_full: float = knob(
        243.0,
        0.0,
        1000.0,
        "persons the EU lists when repression is at its peak",
        "calibrated (search.yaml); the 2012 peak of 243 is a target, not its source",
    )
    sanctions_core: float = knob(
        4.0,
        0.0,
        100.0,
        "persons the EU keeps listed whatever the concessions",
        "calibrated (search.yaml); the February 2016 list is a target, not its source",
    )
    sanctions_initial: float = knob(
        41.0,
        0.0,
        1000.0,
        "persons listed in 2008-01",
        "EU travel bans of 2004-2006 (about 41 persons)",
    )
    listing_rate: float = knob(
        0.65, 0.0, 1.0, "monthly chance that the Council agrees (by consensus) to list after repression"
    )
    sectoral_listing: float = knob(
        1.0,
        0.0,
        5.0,
        "sectoral measures and further listings after coercion against EU members, in units of "
        "sanctions_full per unit of coercion",
        "policy paper: sectoral measures answer coercion and severe repression",
    )
    sectoral_max: float = knob(
        1.0,
        0.0,
        5.0,
        "ceiling of the measures answering coercion, in units of sanctions_full (the Council "
        "runs out of targets it agrees on)",
        "assumption: at most one full list again; no 2008-2019 event sets it",
    )
    delisting_share: float = knob(
        1.0,
        0.0,
        1.0,
        "chance that a review (February, October) lowers the list to what repression calls for",
        "EU reviews its Belarus measures each February and October",
    )
    repression_persistence: float = knob(
        0.996, 0.9, 1.0, "monthly persistence of political prisoners without a release (pardons)"
    )
    repression_initial: float = knob(0.15, 0.0, 1.0, "political prisoners in 2008-01, share of peak")

    sanctions_friction: float = knob(
        3.0, 0.0, 20.0, "conflict with the EU from new listings, per full list added in a month"
    )
    repression_friction: float = knob(
        0.03,
        0.0,
        5.0,
        "the EU's monthly condemnation while all political prisoners are held: conflict in the "
        "EU dyad (negative events, and lost trust on both sides)",
        "policy paper: relations hinge on political prisoners",
    )
    condemnation_fade: float = knob(
        0.0,
        0.0,
        0.5,
        "monthly share of the political prisoners still held that the EU's condemnation gets "
        "used to (0: it condemns the stock for as long as it is held); a release resets it",
    )
    conditionality: float = knob(
        0.7,
        0.0,
        1.0,
        "share of the trust-based EU offer withheld while all political prisoners are held",
        "policy paper: engagement only in return for progress on human rights",
    )

    engagement_scale: float = knob(
        3.0,
        0.0,
        20.0,
        "routine cooperation with a partner per unit of hedge weight times the partner's openness",
    )
    alliance_routine: float = knob(
        0.5, 0.0, 5.0, "share of Russia's routine (alliance) contact that shows as cooperation events"
    )
    pressure_friction: float = knob(1.0, 0.0, 10.0, "conflict with Russia per unit of pressure")
    dispute_friction: float = knob(
        2.0, 0.0, 10.0, "conflict with Russia per month per unit of crude or gas cut in a dispute"
    )
    npp_friction: float = knob(0.3, 0.0, 5.0, "conflict with Lithuania per unit of its NPP concern")
    alignment_friction: float = knob(
        0.5, 0.0, 5.0, "conflict with Ukraine per month while Belarus reads as aligned with Russia"
    )

    # --- Belarus's decisions -----------------------------------------------------------
    crackdown_bias: float = knob(
        -2.0, -10.0, 10.0, "log-odds of a crackdown at a calm election without Russian backing"
    )
    crackdown_threat: float = knob(
        5.0, 0.0, 20.0, "log-odds of a crackdown per unit of the opposition's mobilisation"
    )
    crackdown_backing: float = knob(
        2.0, 0.0, 20.0, "log-odds of a crackdown per unit of Russian support times trust in Russia"
    )
    release_rate: float = knob(
        0.05, 0.0, 1.0, "monthly chance of a release per unit of need for the EU beyond its cost"
    )
    release_cost: float = knob(
        0.5,
        0.0,
        5.0,
        "the regime's cost of releasing its political prisoners, in units of need for the EU",
    )
    release_threat: float = knob(
        1.0,
        0.0,
        5.0,
        "added cost of a release per unit of the threat the regime still remembers (the "
        "mobilisation it last cracked down on): freed opponents could mobilise again",
    )
    threat_fade: float = knob(
        0.03, 0.0, 1.0, "monthly share of the remembered threat that fades after a crackdown"
    )
    coercion_rate: float = knob(
        0.05, 0.0, 1.0, "monthly chance of coercing EU members per unit of threat x Russian backing"
    )
    coercion_size: float = knob(
        0.5, 0.0, 2.0, "conflict with the EU and Lithuania of a month of coercion (read by the EU)"
    )
    signal_rate: float = knob(
        0.05, 0.0, 1.0, "monthly chance of an autonomy signal per unit of tension above signal_tension"
    )
    signal_tension: float = knob(
        0.3, 0.0, 1.0, "tension above which autonomy signals (non-recognition, refusing a base) pay"
    )
    signal_size: float = knob(0.5, 0.0, 1.0, "cooperation with the EU and conflict with Russia of a signal")
    venue_rate: float = knob(
        0.1, 0.0, 1.0, "monthly chance of hosting talks in a war, if neutral, x (1 - prisoners condemned)"
    )
    venue_size: float = knob(0.75, 0.0, 1.0, "cooperation with Ukraine and the EU of hosting talks")

    # --- agreements -------------------------------------------------------------------
    visa_open_offer: float = knob(0.3, 0.0, 1.0, "EU offer at which visa facilitation talks open")
    visa_months: float = knob(
        70.0,
        1.0,
        240.0,
        "months of negotiation visa facilitation needs at full engagement",
        "talks opened 2014, signed January 2020 (policy paper)",
    )
    priorities_open_offer: float = knob(0.4, 0.0, 1.0, "EU offer at which partnership priorities talks open")
    priorities_months: float = knob(30.0, 1.0, 240.0, "months partnership priorities need")
    framework_open_trust: float = knob(
        0.75,
        0.0,
        1.0,
        "EU trust in Belarus needed to open a framework agreement",
        "policy paper: the EU lacks the political will (trust) for it",
    )
    framework_months: float = knob(48.0, 1.0, 240.0, "months a framework agreement needs")
    veto_threshold: float = knob(
        0.5,
        0.0,
        1.0,
        "Lithuania's distrust-weighted NPP concern, concern x (1 - trust), above which it "
        "blocks by consensus",
    )

    # --- Russia -----------------------------------------------------------------------
    pressure_gain: float = knob(2.0, 0.0, 10.0, "integration pressure per unit EU weight above tolerance")
    pressure_tolerance: float = knob(0.25, 0.0, 1.0, "EU weight Russia tolerates without pressure")
    pressure_decay: float = knob(0.1, 0.0, 1.0, "monthly share of pressure that fades")
    dispute_pressure_rate: float = knob(
        0.02, 0.0, 1.0, "monthly chance Russia opens an oil dispute per unit of its pressure"
    )
    dispute_size: float = knob(0.4, 0.0, 1.0, "crude supply cut of a dispute Russia opens")
    dispute_months: float = knob(3.0, 1.0, 24.0, "months a dispute Russia opens lasts")

    # --- Lithuania and Ukraine --------------------------------------------------------
    npp_concern_initial: float = knob(0.2, 0.0, 1.0, "Lithuania's NPP concern in 2008-01")
    npp_softening: float = knob(
        0.02,
        0.0,
        1.0,
        "monthly share of the concern that fades once the plant runs",
        "policy paper: Lithuania may soften once the plant runs",
    )
    alignment_threshold: float = knob(
        0.7, 0.0, 1.0, "Russia weight above which Ukraine reads Belarus as aligned, not neutral"
    )

    # --- vested interests -------------------------------------------------------------
    spoiler_rate: float = knob(
        0.05, 0.0, 1.0, "monthly spoiler hazard at full rapprochement and reference vested interests"
    )
    spoiler_trust_hit: float = knob(0.15, 0.0, 1.0, "conflict a spoiler event causes")
    spoiler_setback: float = knob(0.15, 0.0, 1.0, "share of negotiation progress a spoiler undoes")
    success_wear: float = knob(0.5, 0.0, 5.0, "how much each concluded agreement wears vested interests")
    status_quo_rent: float = knob(
        0.5,
        0.0,
        2.0,
        "cost per unit of EU weight that status-quo groups (enterprises living on Russian energy "
        "rents) add to Belarus's engagement with the EU at full vested interests, relative to "
        "the reference 0.5 (negative below it); success stories wear it down",
        "scenario scale: the challenges keep their reference before the branch, so no "
        "2011-2019 target can set it",
    )

    # --- tension ----------------------------------------------------------------------
    war_impact: float = knob(0.15, 0.0, 1.0, "tension a war of size 1 adds")
    tension_decay: float = knob(0.01, 0.0, 1.0, "monthly share of war-driven tension that fades")

    # --- observation: event analysis ---------------------------------------------------
    events_positive: float = knob(
        9.0, 0.0, 100.0, "positive events per month with a partner at full engagement"
    )
    events_negative: float = knob(
        9.0, 0.0, 100.0, "negative events per month with a partner at full friction"
    )
    event_score: float = knob(
        1.5,
        0.0,
        10.0,
        "mean absolute score of one event, in index points",
        "Belarus Foreign Policy Index scores events -3..+3",
    )

    # --- trade ------------------------------------------------------------------------
    trade_non_oil: float = knob(6.0, 0.0, 100.0, "EU turnover not tied to oil, USD bn per year")
    trade_oil: float = knob(
        16.0, 0.0, 100.0, "oil-linked EU turnover at full supply and the reference price, USD bn"
    )
    oil_price_reference: float = knob(100.0, 1.0, 500.0, "Brent price at which trade_oil holds, USD/bbl")
    oil_price_elasticity: float = knob(0.8, 0.0, 3.0, "elasticity of oil-linked turnover to the price")
    supply_recovery: float = knob(
        0.15, 0.0, 1.0, "monthly share of a crude supply cut that recovers after a dispute"
    )

    def validate(self) -> None:
        check_ranges(self, "params")
