"""The panel of settings beside the classroom page's charts: what a teacher sets, before Reset.

The model's controls come first, each slider with its value, the dated shocks grouped by kind,
and Mesa's playback speed last. Every card edits one dict of inputs (``default_inputs``), whose
keys are ClassroomModel arguments; nothing here runs the model: the page's Reset does.
"""

from __future__ import annotations

import solara

from hedgesim.app.comparisons import KIND_NAMES
from hedgesim.app.settings import (
    MAX_REPLICATES,
    NO_COMPARISON,
    comparison_note,
    comparisons,
    events_by_kind,
    lent_off_note,
    lent_with_wars_off,
)
from hedgesim.core.challenges import Challenges

DEFAULT_REPLICATES = 50
DEFAULT_SEED = 20101219
CHALLENGES = (("trust", "Trust"), ("vested_interests", "Vested interests"), ("tension", "Tension"))
SLIDER_STEP = 0.05
NO_B_NOTE = f"B is not run: with “{NO_COMPARISON}” above, B's challenges do nothing. Choose a second"
NO_B_NOTE += " scenario (“the same shocks” compares the challenges alone)."


def default_inputs() -> dict:
    """What the page holds when it opens; every key is a ClassroomModel argument."""
    c = Challenges()
    inputs = {
        "trust": c.trust,
        "vested_interests": c.vested_interests,
        "tension": c.tension,
        "replicates": str(DEFAULT_REPLICATES),
        "seed": str(DEFAULT_SEED),
        "log_replicate": "0",
        "compare": NO_COMPARISON,
        "b_own_challenges": False,
        **{f"b_{name}": getattr(c, name) for name, _ in CHALLENGES},
        "stochastic": True,
        "parameter_uncertainty": False,
    }
    for group in events_by_kind().values():
        inputs |= {event.key: True for event in group}
    return inputs


def _switched_off(inputs: dict) -> tuple[str, ...]:
    """Ids of the dated events switched off in ``inputs``: by their own switch, or with the war
    their territory was lent to (as the run will have them)."""
    ids = tuple(e.id for group in events_by_kind().values() for e in group if not inputs.get(e.key, True))
    return ids + tuple(e.id for e in lent_with_wars_off((), ids) if e.id not in ids)


def _off_with_war(inputs: dict) -> set[str]:
    """Keys of the switches that a war switched off overrules: the territory lent to it."""
    ids = _switched_off(inputs)
    return {e.key for e in lent_with_wars_off((), ids)}


@solara.component
def LabelledSlider(label: str, value: float, on_value, low: float, high: float, step: float, shown: str):
    """A slider with its name and value above a full-width track, marked at both ends and the middle.

    Every slider of the panel has the same track length, so the middle mark sits at the same place.
    """
    middle = (low + high) / 2
    ticks = {low: f"{low:g}", middle: f"{middle:g}", high: f"{high:g}"}
    with solara.Column(gap="0px", classes=["hedgesim-slider"]):
        with solara.Row(justify="space-between", classes=["hedgesim-slider-head"]):
            solara.Text(label, classes=["hedgesim-slider-label"])
            solara.Text(shown, classes=["hedgesim-slider-value"])
        solara.v.Slider(
            v_model=value,
            on_v_model=on_value,
            min=low,
            max=high,
            step=step,
            ticks=ticks,
            show_ticks="always",
            tick_size=4,
            thumb_label=False,
            hide_details=True,
            class_="hedgesim-slider-track",
            attributes={"aria-label": label},
        )


@solara.component
def ValueSlider(label: str, key: str, inputs: solara.Reactive[dict]):
    """A challenge slider, from 0 to 1 in steps of 0.05."""
    value = float(inputs.value[key])

    def set_value(new) -> None:
        inputs.set({**inputs.value, key: round(float(new), 2)})

    LabelledSlider(label, value, set_value, 0.0, 1.0, SLIDER_STEP, f"{value:.2f}")


@solara.component
def TextInput(label: str, key: str, inputs: solara.Reactive[dict]):
    """A typed value (seed, replicates): checked on Reset, where a bad one is named."""
    solara.InputText(
        label,
        value=str(inputs.value[key]),
        on_value=lambda text: inputs.set({**inputs.value, key: text}),
    )


@solara.component
def Switch(label: str, key: str, inputs: solara.Reactive[dict], off_with_war: bool = False):
    """A switch of the panel; ``off_with_war``: territory lent to a war switched off, shown off and
    greyed (the run leaves it out whatever its switch says, and the card's note says why)."""
    solara.Checkbox(
        label=label + (" (off with its war)" if off_with_war else ""),
        value=bool(inputs.value[key]) and not off_with_war,
        on_value=lambda on: inputs.set({**inputs.value, key: bool(on)}),
        disabled=off_with_war,
    )


@solara.component
def ChallengeCard(inputs: solara.Reactive[dict]):
    with solara.Card("Challenges (scenario A)", classes=["hedgesim-card"]):
        for key, label in CHALLENGES:
            ValueSlider(label, key, inputs)


@solara.component
def EnsembleCard(inputs: solara.Reactive[dict]):
    with solara.Card("Runs", classes=["hedgesim-card"]):
        TextInput(f"Replicates (1 to {MAX_REPLICATES})", "replicates", inputs)
        TextInput("Seed (integer >= 0)", "seed", inputs)
        TextInput("Replicate told in the log", "log_replicate", inputs)
        solara.Checkbox(
            label="Parameter uncertainty: replicates spread over the plausible parameter sets",
            value=inputs.value["parameter_uncertainty"],
            on_value=lambda on: inputs.set({**inputs.value, "parameter_uncertainty": bool(on)}),
        )


@solara.component
def SideBySideCard(inputs: solara.Reactive[dict]):
    """The second scenario B: same seed and switches; fewer shocks and/or its own challenges."""
    values = inputs.value

    def own_challenges(on: bool) -> None:
        copied = {f"b_{name}": values[name] for name, _ in CHALLENGES} if on else {}
        inputs.set({**inputs.value, **copied, "b_own_challenges": bool(on)})

    with solara.Card("Side by side (scenario B)", classes=["hedgesim-card"]):
        solara.Select(
            "Side by side: second scenario B (same seed)",
            value=values["compare"],
            values=list(comparisons()),
            on_value=lambda name: inputs.set({**inputs.value, "compare": name}),
        )
        note = comparison_note(values["compare"], _switched_off(values))
        if note:
            solara.Text(note, classes=["hedgesim-compare-note"])
        solara.Checkbox(
            label="B has challenges of its own",
            value=bool(values["b_own_challenges"]),
            on_value=own_challenges,
        )
        if values["b_own_challenges"]:
            if values["compare"] == NO_COMPARISON:
                solara.Text(NO_B_NOTE, classes=["hedgesim-compare-note"])
            for key, label in CHALLENGES:
                ValueSlider(f"B: {label.lower()}", f"b_{key}", inputs)


@solara.component
def ShockGroup(kind: str, inputs: solara.Reactive[dict]):
    """The dated shocks of one kind: collapsed by default, with all on / all off."""
    events = events_by_kind()[kind]
    expanded = solara.use_reactive(False)
    overruled = _off_with_war(inputs.value)
    on = sum(bool(inputs.value[e.key]) and e.key not in overruled for e in events)

    def set_all(state: bool) -> None:
        inputs.set({**inputs.value, **{e.key: state for e in events}})

    name = KIND_NAMES.get(kind, kind.replace("_", " ").capitalize())  # a kind added to the model
    with solara.Column(gap="0px", classes=["hedgesim-shock-group", f"hedgesim-shock-group-{kind}"]):
        with solara.Row(gap="4px", classes=["hedgesim-shock-group-head"]):
            solara.Button(
                f"{'▾' if expanded.value else '▸'} {name} ({on} of {len(events)} on)",
                text=True,
                on_click=lambda: expanded.set(not expanded.value),
                classes=["hedgesim-group-toggle"],
            )
            solara.Button("all on", text=True, on_click=lambda: set_all(True), classes=["hedgesim-group-all"])
            solara.Button(
                "all off", text=True, on_click=lambda: set_all(False), classes=["hedgesim-group-all"]
            )
        if expanded.value:
            for event in events:
                Switch(f"{event.date} {event.label}", event.key, inputs, event.key in overruled)


@solara.component
def ShocksCard(inputs: solara.Reactive[dict]):
    with solara.Card("Shocks (in A and B)", classes=["hedgesim-card"]):
        Switch("Drawn shocks after the dated history (elections, disputes, wars)", "stochastic", inputs)
        for kind in events_by_kind():
            ShockGroup(kind, inputs)
        note = lent_off_note((), _switched_off(inputs.value))
        if note:
            solara.Text(note, classes=["hedgesim-compare-note", "hedgesim-shocks-note"])


@solara.component
def PlaybackCard(play_interval: solara.Reactive[int], render_interval: solara.Reactive[int]):
    """Mesa's playback speed, last: the pause between months and the months per redraw (Mesa's
    Step moves as many, and a class expects one: the card says so)."""
    with solara.Card("Playback speed", classes=["hedgesim-card"]):
        pause, months = play_interval.value, render_interval.value
        LabelledSlider(
            "Pause between months", pause, lambda v: play_interval.set(int(v)), 0, 500, 10, f"{pause} ms"
        )
        LabelledSlider(
            "Months per redraw", months, lambda v: render_interval.set(int(v)), 1, 25, 1, str(months)
        )
        if months > 1:
            note = f"Step now moves {months} months at a time; set Months per redraw to 1 to step month"
            solara.Text(note + " by month.", classes=["hedgesim-hint", "hedgesim-step-note"])
