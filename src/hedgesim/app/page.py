"""The classroom page: the hedging model's controls, its charts and its log, on Mesa's controller.

``Page`` is what the solara server shows (``hedgesim-app`` starts it). The Reset, play/pause and
Step buttons are Mesa's ``ModelController`` (the controller of Mesa's SolaraViz page); settings
apply on Reset, as in every Mesa page. The panel of settings in the sidebar is the page's own,
laid out for a class (``panel``); this module shows what runs: the month, the settings in force,
the charts and the log. Each browser session gets its own ClassroomModel.
"""

from __future__ import annotations

import html

import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from hedgesim.app import charts
from hedgesim.app.narration import narrate, replicate_log, shock_kinds
from hedgesim.app.panel import (
    ChallengeCard,
    EnsembleCard,
    PlaybackCard,
    ShocksCard,
    SideBySideCard,
    default_inputs,
)
from hedgesim.app.session import ClassroomModel
from hedgesim.app.settings import NO_COMPARISON, comparison_note, historical_events, lent_off_note
from hedgesim.app.style import CSS

TITLE = "hedgesim: Belarus hedging between the EU and Russia"
LOG_LINES = 60
PLAY_INTERVAL_MS = 150


# --- the charts and the log --------------------------------------------------------------------


@solara.component
def Status(model: ClassroomModel, shown: ClassroomModel | None):
    """The month shown, what runs, and any bad input, in plain view."""
    update_counter.get()
    if model.error:
        solara.Error(f"Not run: {model.error}. Fix the value and press Reset.", classes=["hedgesim-error"])
        if shown is not None:
            solara.Text(
                "The charts below still show the last run: " + _settings_line(shown),
                classes=["hedgesim-kept"],
            )
        return
    when = "not started (press Step or play)" if not model.started else model.date
    when += "" if model.running else ", the last month of the run (Reset runs it again)"
    solara.HTML(tag="h2", unsafe_innerHTML=f"Month shown: {html.escape(when)}", classes=["hedgesim-date"])
    solara.Text(_settings_line(model) + ". Changed settings apply on Reset.", classes=["hedgesim-status"])
    s = model.settings
    lent = lent_off_note(s.disabled_kinds, s.disabled_ids)
    if lent:
        solara.Text(lent, classes=["hedgesim-compare-note", "hedgesim-shocks-note"])
    note = comparison_note(s.compare, s.disabled_ids) if s.compare != NO_COMPARISON else ""
    if note:
        solara.Text(note, classes=["hedgesim-compare-note"])


def _settings_line(model: ClassroomModel) -> str:
    s = model.settings
    c = s.challenges
    return (
        f"Trust {c.trust:.2f} · vested interests {c.vested_interests:.2f} · tension {c.tension:.2f} · "
        f"{s.replicates} replicate{'s' * (s.replicates != 1)} · seed {s.seed}"
        + (" · over the plausible parameter sets" if s.parameter_uncertainty else "")
        + _shocks_off(s)
        + " · shown: "
        + " | ".join(run.title for run in model.runs)
    )


def _shocks_off(s) -> str:
    """Shocks switched off in A and B, for the settings line: "A: as set" must not hide them (a
    kind switched off, ``kind_war=False``, counts each of its dated events)."""
    n = sum(e.id in s.disabled_ids or e.kind in s.disabled_kinds for e in historical_events())
    dated = f" · {n} dated shock{'s' * (n > 1)} off" if n else ""
    return dated + ("" if s.stochastic else " · no drawn shocks")


@solara.component
def Chart(model: ClassroomModel, name: str):
    """One chart: its title, the image at its natural size, its legend and caption as page text."""
    update_counter.get()
    with model.lock:  # the player's thread steps the model; draw whole months only
        steps = model.runs[0].history.steps
        chart = solara.use_memo(lambda: charts.CHARTS[name](model.runs), [id(model)])
        png = solara.use_memo(chart.render, [id(model), steps])
        heading, legend = chart.heading(), chart.legend()
    width = int(chart.figure.bbox.width)
    with solara.Column(gap="4px", classes=["hedgesim-chart"], style={"max-width": f"{width}px"}):
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(heading), classes=["hedgesim-chart-title"])
        solara.Image(png, format="png", classes=[f"hedgesim-chart-{name}", "hedgesim-chart-image"])
        entries = "".join(_legend_entry(entry) for entry in legend)
        if entries:
            solara.HTML(tag="ul", unsafe_innerHTML=entries, classes=["hedgesim-legend"])
        if chart.caption:
            solara.HTML(tag="p", unsafe_innerHTML=html.escape(chart.caption), classes=["hedgesim-caption"])


def _legend_entry(entry: charts.LegendEntry) -> str:
    mark = f"<span class='hedgesim-mark hedgesim-mark-{entry.mark}' style='--mark: {entry.colour}'></span>"
    return f"<li class='hedgesim-legend-entry'>{mark}<span>{html.escape(entry.label)}</span></li>"


@solara.component
def WhyDidBelarusMove(model: ClassroomModel):
    """The event log of the chosen replicate, newest first, in plain sentences."""
    update_counter.get()
    k = model.settings.log_replicate
    with solara.Column(classes=["hedgesim-log"]):
        solara.HTML(tag="h3", unsafe_innerHTML=f"Why did Belarus move? (replicate {k})")
        solara.Text(
            "“In answer” means the model's own record of the move names that news as its cause; "
            "“in the same month” means it does not.",
            classes=["hedgesim-log-help"],
        )
        with solara.Row(classes=["hedgesim-log-columns"]):
            for run, lines in zip(model.runs, log_lines(model), strict=True):
                solara.HTML(
                    tag="div", unsafe_innerHTML=log_column(run.title, lines), classes=["hedgesim-log-column"]
                )


def log_column(title: str, lines: list[str]) -> str:
    """One run's log as HTML: its title, its newest LOG_LINES lines, newest first, and how many older
    lines are left out (a class must not take the oldest line shown for the start of the run)."""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in reversed(lines[-LOG_LINES:]))
    hidden = len(lines) - LOG_LINES
    more = (
        f"<p class='hedgesim-log-hidden'>({hidden} earlier line{'s' if hidden > 1 else ''} not shown: "
        f"the log keeps the newest {LOG_LINES})</p>"
        if hidden > 0
        else ""
    )
    entries = f"<ul class='hedgesim-log-entries'>{items or '<li>no entries yet</li>'}</ul>"
    return f"<b>{html.escape(title)}</b>{entries}{more}"


def log_lines(model: ClassroomModel) -> list[list[str]]:
    """Each run's log of the chosen replicate in sentences, read under the model's lock (never
    from a month half stepped by the player's thread)."""
    k = model.settings.log_replicate
    with model.lock:
        if not model.started:
            return [[] for _ in model.runs]
        return [narrate(replicate_log(run.model, k), shock_kinds(run.model)) for run in model.runs]


@solara.component
def Charts(model: ClassroomModel):
    """The charts and the log, each at its natural size, wrapping as the screen allows; once
    they are drawn, the model may step again (``ClassroomModel.shown``)."""
    update_counter.get()
    solara.use_effect(model.shown, None)  # after every completed render of the page
    with solara.Row(classes=["hedgesim-charts"]):
        for name in charts.CHARTS:
            Chart(model, name)
    WhyDidBelarusMove(model)


@solara.component
def Page():
    """One ClassroomModel per browser session, its controls in the sidebar, its charts beside.

    Mesa's ModelController steps, plays and resets the model from ``inputs`` (its model
    parameters); a setting that cannot run shows its message while the last good run's charts
    stay in view.
    """
    inputs = solara.use_reactive(solara.use_memo(default_inputs, []))
    model = solara.use_reactive(solara.use_memo(lambda: ClassroomModel(**inputs.value), []))
    last_good = solara.use_ref(model.value)
    if model.value.error is None:
        last_good.current = model.value
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    model.value.months_per_redraw = render_interval.value  # the player waits for a drawing after as many
    threads = solara.use_reactive(False)

    solara.Title(TITLE)
    solara.Style(CSS)
    with solara.AppBarTitle():
        solara.Text(TITLE, classes=["hedgesim-title"])
    with solara.Sidebar(), solara.Column(classes=["hedgesim-panel"]):
        with solara.Card("Run", classes=["hedgesim-card", "hedgesim-run"]):
            ModelController(
                model,
                model_parameters=inputs,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=threads,
            )
            solara.Text("Changed settings apply when you press Reset.", classes=["hedgesim-hint"])
        ChallengeCard(inputs)
        EnsembleCard(inputs)
        SideBySideCard(inputs)
        ShocksCard(inputs)
        PlaybackCard(play_interval, render_interval)
    with solara.Column(classes=["hedgesim-main"]):
        Status(model.value, last_good.current if last_good.current is not model.value else None)
        if last_good.current.runs:
            Charts(last_good.current)
