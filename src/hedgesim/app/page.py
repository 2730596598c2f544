"""The classroom page: Mesa's SolaraViz with the hedging model's sliders, switches and charts.

``Page`` is what the solara server shows (``hedgesim-app`` starts it). SolaraViz gives the
step, play/pause and reset controls and the parameter panel; settings apply on Reset, as in
every Mesa page. Each browser session gets its own ClassroomModel.
"""

from __future__ import annotations

import html

import solara
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from hedgesim.app import charts
from hedgesim.app.narration import narrate, replicate_log, shock_kinds
from hedgesim.app.session import ClassroomModel
from hedgesim.app.settings import (
    MAX_REPLICATES,
    NO_COMPARISON,
    comparisons,
    historical_events,
    kind_key,
)
from hedgesim.core.parameters import Challenges
from hedgesim.core.shocks import KINDS

TITLE = "hedgesim: Belarus hedging between the EU and Russia"
LOG_LINES = 60
DEFAULT_REPLICATES = 50


def model_params() -> dict:
    """The page's inputs, in the order they appear; every key is a ClassroomModel argument."""
    c = Challenges()
    params = {
        "trust": Slider("Trust", c.trust, 0.0, 1.0, 0.05),
        "vested_interests": Slider("Vested interests", c.vested_interests, 0.0, 1.0, 0.05),
        "tension": Slider("Tension", c.tension, 0.0, 1.0, 0.05),
        "replicates": {
            "type": "InputText",
            "value": str(DEFAULT_REPLICATES),
            "label": f"Replicates (1 to {MAX_REPLICATES})",
        },
        "seed": {"type": "InputText", "value": "20101219", "label": "Seed (integer >= 0)"},
        "log_replicate": {"type": "InputText", "value": "0", "label": "Replicate told in the log"},
        "compare": {
            "type": "Select",
            "value": NO_COMPARISON,
            "values": list(comparisons()),
            "label": "Side by side: second scenario (same seed)",
        },
        "stochastic": {
            "type": "Checkbox",
            "value": True,
            "label": "Drawn shocks after the dated history (elections, disputes, wars)",
        },
    }
    for kind in KINDS:
        params[kind_key(kind)] = {
            "type": "Checkbox",
            "value": True,
            "label": f"All {kind.replace('_', ' ')} shocks",
        }
    for event in historical_events():
        params[event.key] = {"type": "Checkbox", "value": True, "label": f"{event.date} {event.label}"}
    return params


def _figure(model: ClassroomModel, name: str, width: str = "100%") -> None:
    """A chart, redrawn when the month shown changes (every displayed step, after Reset)."""
    update_counter.get()
    steps = model.runs[0].history.steps if model.runs else -1
    chart = solara.use_memo(lambda: charts.CHARTS[name](model.runs) if model.runs else None, [id(model)])
    png = solara.use_memo(lambda: chart.render() if chart else None, [id(model), steps])
    if png is not None:
        solara.Image(png, width=width, classes=[f"hedgesim-chart-{name}"])


@solara.component
def Status(model: ClassroomModel):
    """The month shown, what runs, and any bad input, in plain view."""
    update_counter.get()
    if model.error:
        solara.Error(f"Not run: {model.error}. Fix the value and press Reset.", classes=["hedgesim-error"])
        return
    s = model.settings
    c = s.challenges
    shown = model.date if model.started else "not started (press Step or play)"
    solara.HTML(tag="h2", unsafe_innerHTML=f"Month shown: {html.escape(shown)}", classes=["hedgesim-date"])
    solara.Text(
        classes=["hedgesim-status"],
        text=f"Trust {c.trust:.2f} · vested interests {c.vested_interests:.2f} · tension {c.tension:.2f} · "
        f"{s.replicates} replicates · seed {s.seed} · shown: "
        + " | ".join(run.title for run in model.runs)
        + ". Changed settings apply on Reset.",
    )


@solara.component
def Relations(model: ClassroomModel):
    _figure(model, "relations")


@solara.component
def Hedge(model: ClassroomModel):
    _figure(model, "hedge")


@solara.component
def TrustNetwork(model: ClassroomModel, width: str = "100%"):
    _figure(model, "network", width)


@solara.component
def Pressure(model: ClassroomModel):
    _figure(model, "pressure")


@solara.component
def WhyDidBelarusMove(model: ClassroomModel):
    """The event log of the chosen replicate, newest first, in plain sentences."""
    update_counter.get()
    if not model.runs:
        return
    k = model.settings.log_replicate
    with solara.Column(classes=["hedgesim-log"]):
        solara.HTML(tag="h3", unsafe_innerHTML=f"Why did Belarus move? (replicate {k})")
        with solara.Row():
            for run in model.runs:
                lines = narrate(replicate_log(run.model, k), shock_kinds(run.model)) if model.started else []
                items = "".join(f"<li>{html.escape(line)}</li>" for line in reversed(lines[-LOG_LINES:]))
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML=f"<b>{html.escape(run.title)}</b>"
                    f"<ul class='hedgesim-log-entries'>{items or '<li>no entries yet</li>'}</ul>",
                    style={"max-height": "340px", "overflow-y": "auto", "flex": "1"},
                )


@solara.component
def Charts(model: ClassroomModel):
    """The charts and the log, laid out for a projector.

    One scenario: relations beside the trust network, then the hedge beside sanctions and
    tension. Two scenarios: each chart holds both side by side, so each takes the full width.
    """
    with solara.Column(classes=["hedgesim-main"]):
        Status(model)
        if len(model.runs) < 2:
            with solara.Columns([3, 2]):
                Relations(model)
                TrustNetwork(model)
            with solara.Columns([1, 1]):
                Hedge(model)
                Pressure(model)
        else:
            Relations(model)
            Hedge(model)
            TrustNetwork(model, width="70%")
            Pressure(model)
        WhyDidBelarusMove(model)


@solara.component
def Page():
    """One ClassroomModel per browser session, shown by SolaraViz.

    SolaraViz gives the app bar, the controls (step, play/pause, reset) and the parameter
    panel, and swaps the model on Reset; the charts are laid out here rather than in its
    draggable grid, which does not load with the Vue 3 widgets that solara ships.
    """
    model = solara.use_reactive(solara.use_memo(lambda: ClassroomModel(replicates=DEFAULT_REPLICATES), []))
    params = solara.use_memo(model_params, dependencies=[])
    SolaraViz(model, components=[], model_params=params, name=TITLE, play_interval=150)
    Charts(model.value)
