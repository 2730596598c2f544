"""The classroom page: its settings, its narration, its charts, its server, and a real browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import classroom_browser as browser
import numpy as np
import pandas as pd
import pytest

from hedgesim.app.charts import CHARTS
from hedgesim.app.narration import (
    MonthRecord,
    narrate,
    replicate_log,
    sentence,
    shock_kinds,
)
from hedgesim.app.observed import OBSERVED
from hedgesim.app.server import main as app_main
from hedgesim.app.server import parse_args
from hedgesim.app.session import ClassroomModel
from hedgesim.app.settings import (
    MAX_REPLICATES,
    ClassroomSettings,
    comparisons,
    event_key,
    historical_events,
    kind_key,
    parse_replicates,
    parse_seed,
    settings_from_inputs,
)
from hedgesim.config.errors import ConfigError
from hedgesim.workflows.run import run_spec


def _record(**changes) -> MonthRecord:
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


# --- settings: what a teacher types -------------------------------------------------------


@pytest.mark.parametrize("text", ["abc", "-1", "1.5", "", "7 7", True])
def test_bad_seed_is_one_line_naming_key_value_and_allowed(text):
    with pytest.raises(ConfigError) as err:
        parse_seed(text)
    message = str(err.value)
    assert message.startswith("seed=") and "allowed: an integer >= 0" in message
    assert "\n" not in message


@pytest.mark.parametrize("text", ["0", "x", str(MAX_REPLICATES + 1), "-3", "2.0"])
def test_bad_replicate_count_is_refused(text):
    with pytest.raises(ConfigError, match=rf"^replicates='{text}'; allowed: an integer from 1 to "):
        parse_replicates(text)


def test_typed_numbers_are_parsed():
    assert parse_seed(" 42 ") == 42
    assert parse_replicates("200") == 200
    assert parse_replicates(1) == 1


def test_bad_input_gives_a_stopped_model_with_a_message_not_an_exception():
    model = ClassroomModel(seed="abc")
    assert model.error == "seed='abc'; allowed: an integer >= 0"
    assert not model.running and model.runs == []
    model.step()  # stepping a model that could not be built does nothing, and does not raise
    assert model.runs == []
    assert "log_replicate='9'" in ClassroomModel(replicates="3", log_replicate="9").error
    assert "unknown switch" in ClassroomModel(kind_meteor=False).error


def test_switches_remove_shocks_from_the_run():
    events = historical_events()
    crimea = next(e for e in events if e.id == "crimea")
    assert crimea.key == event_key("crimea") == "event_crimea"
    settings = settings_from_inputs(
        0.5, 0.5, 0.3, "2", "1", switches={crimea.key: False, kind_key("npp"): False}
    )
    ((_, spec),) = settings.runs()
    kinds = {s.kind.value for s in spec.timeline.shocks}
    ids = {s.id for s in spec.timeline.shocks}
    assert "crimea" not in ids and "npp" not in kinds
    assert len(spec.timeline.shocks) < len(events)
    assert str(spec.calendar.end) == "2030-12"


def test_comparison_is_the_same_setting_and_seed_without_the_chosen_shocks():
    assert "without the 2014 war" in comparisons()
    settings = settings_from_inputs(0.4, 0.6, 0.2, "3", "11", compare="without the 2014 war")
    (title_a, a), (title_b, b) = settings.runs()
    assert title_b == "B: without the 2014 war"
    assert a.seed == b.seed == 11 and a.replicate_ids == b.replicate_ids
    assert a.challenges == b.challenges
    dropped = {s.id for s in a.timeline.shocks} - {s.id for s in b.timeline.shocks}
    assert dropped == {e.id for e in historical_events() if e.kind == "war" and e.date.startswith("2014")}


def test_side_by_side_runs_agree_until_the_war_and_part_after_it():
    model = ClassroomModel(replicates="4", seed="5", compare="without the 2014 war")
    while model.running:
        model.step()
    a, b = (run.model.trajectories() for run in model.runs)
    before = a["date"] < pd.Timestamp("2014-02-01")
    pd.testing.assert_frame_equal(a[before], b[before])
    after = a["date"] >= pd.Timestamp("2014-03-01")
    assert (a.loc[after, "tension"].to_numpy() > b.loc[after, "tension"].to_numpy()).any()


def test_page_model_steps_to_the_end_of_the_forward_scenario():
    model = ClassroomModel(replicates="3", seed="2")
    assert model.date == "2008-01" and not model.started
    steps = 0
    while model.running:
        model.step()
        steps += 1
    assert steps == model.runs[0].model.calendar.n_steps == 23 * 12
    assert model.date == "2030-12"
    history = model.runs[0].history
    assert history.steps == steps and np.isfinite(history.band["tension"]).all()
    hedge = sum(history.mean[f"hedge_{p}"] for p in ("eu", "russia", "ukraine", "other"))
    np.testing.assert_allclose(hedge, 1.0, atol=1e-9)


def test_a_parameter_set_on_the_page_moves_the_output():
    calm, tense = (ClassroomModel(replicates="5", seed="3", tension=t) for t in (0.1, 0.9))
    for model in (calm, tense):
        for _ in range(24):
            model.step()
    assert (
        tense.runs[0].history.band["tension"][:24, 0].mean()
        > calm.runs[0].history.band["tension"][:24, 0].mean()
    )


# --- narration: why did Belarus move -------------------------------------------------------


def test_sentence_follows_the_log_and_the_state():
    war = _record(shock="the annexation of Crimea", kind="war", tension_change=0.3, change=0.008)
    assert sentence(war) == (
        "2014-03: tension rose after the annexation of Crimea; "
        "Belarus raised its EU weight to spread risk (+0.8 points)"
    )
    calm_war = _record(shock="the annexation of Crimea", kind="war", tension_change=0.0, change=0.008)
    assert sentence(calm_war).startswith("2014-03: the annexation of Crimea;")
    trust = _record(partner="russia", change=-0.02, driver="trust")
    assert (
        sentence(trust)
        == "2014-03: Belarus lowered its Russia weight as its trust in Russia fell (-2.0 points)"
    )
    floor = _record(partner="russia", change=0.015, driver="floor")
    assert "as the alliance floor rose with tension" in sentence(floor)
    assert sentence(_record(change=0.001)) is None  # a quiet month is not told
    sanctions = _record(sanctions=159.0, sanctions_change=155.0)
    assert sentence(sanctions) == "2014-03: the EU widened its sanctions to 159 persons"
    dispute = _record(
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
        "Belarus lowered its Russia weight as ties with Russia paid less (-1.0 points)"
    )


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
    assert list(ours["shock"].fillna("-")) == list(theirs["shock"].astype(object).fillna("-"))
    state = model.trajectories()
    state = state[state["replicate"] == model.replicate_ids[1]].reset_index(drop=True)
    np.testing.assert_allclose(ours["tension"], state["tension"])


def test_narration_tells_every_logged_shock_in_date_order(small_page_run):
    model = small_page_run
    frame = replicate_log(model, 0)
    lines = narrate(frame, shock_kinds(model))
    dates = [line[:7] for line in lines]
    assert dates == sorted(dates) and len(lines) > 10
    shocks = frame.iloc[1:].dropna(subset=["shock"])
    for row in shocks.itertuples():
        told = [line for line in lines if line.startswith(f"{row.date:%Y-%m}:")]
        assert told and row.shock in told[0]
    crimea = next(line for line in lines if "the annexation of Crimea" in line)
    assert crimea.startswith("2014-02: tension rose after the annexation of Crimea; Belarus ")


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
        "2016-04: a summit; Belarus raised its EU weight as ties with the EU paid more (+2.0 points)",
        "2016-05: Belarus lowered its EU weight as ties with the EU paid less (-2.0 points)",
        "2016-06: Belarus raised its EU weight as ties with the EU paid more (+2.0 points)",
    ]


def test_narration_changes_with_the_replicate_log(small_page_run):
    frame = replicate_log(small_page_run, 0)
    kinds = shock_kinds(small_page_run)
    moved = frame.copy()
    moved.loc[100, ["weight_change", "moved_partner", "driver"]] = [0.05, "ukraine", "trust"]
    line = next(x for x in narrate(moved, kinds) if x.startswith(f"{moved.loc[100, 'date']:%Y-%m}"))
    assert "Belarus raised its Ukraine weight as its trust in Ukraine grew (+5.0 points)" in line


# --- charts and observed targets --------------------------------------------------------------


def test_observed_targets_are_in_the_package_with_sources():
    levels = {(p.series, str(p.end)): p.value for p in OBSERVED if p.kind == "level"}
    assert levels[("relations_eu", "2016-10")] == 32.0
    assert levels[("relations_russia", "2016-10")] == -15.0
    assert all(p.source and p.start <= p.end for p in OBSERVED)


@pytest.mark.parametrize("compare", ["no second scenario", "without the 2014 war"])
def test_charts_render_and_change_with_the_month(compare):
    model = ClassroomModel(replicates="6", seed="1", compare=compare)
    charts = {name: make(model.runs) for name, make in CHARTS.items()}
    first = {name: chart.render() for name, chart in charts.items()}
    for _ in range(80):
        model.step()
    later = {name: chart.render() for name, chart in charts.items()}
    for name in CHARTS:
        assert first[name].startswith(b"\x89PNG") and later[name] != first[name]


# --- the server's command line ----------------------------------------------------------------


def test_app_arguments_default_to_loopback():
    args = parse_args([])
    assert args.host == "127.0.0.1" and args.port == 8765
    assert parse_args(["--port", "9000", "--host", "0.0.0.0"]).port == 9000


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--port", "abc"], "--port='abc'; allowed: an integer from 1 to 65535"),
        (["--port", "70000"], "--port='70000'; allowed: an integer from 1 to 65535"),
        (["--host", "not a host"], "--host='not a host'; allowed:"),
        (["--colour", "red"], "unknown argument '--colour'"),
    ],
)
def test_bad_app_arguments_are_one_line_and_exit_2(argv, expected, capsys):
    assert app_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("hedgesim-app: error: ") and expected in err
    assert err.count("\n") == 1


def test_a_taken_port_is_refused_before_serving(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert app_main(["--port", str(port)]) == 2
    assert "cannot be bound" in capsys.readouterr().err


# --- the page in a real browser -----------------------------------------------------------------


def _chromium_or_skip() -> None:
    if browser.CHROMIUM.exists():
        return
    message = f"{browser.CHROMIUM} is missing: scripts/setup-extras installs Debian's chromium"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.slow
def test_page_in_headless_chromium(tmp_path):
    """Open the page, move a slider, step and play, check charts, date, log and bad input."""
    _chromium_or_skip()
    failed: list[str] = []
    with browser.serving() as (url, server), browser.chromium(tmp_path / "profile") as context:
        page = context.new_page()
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("pageerror", lambda e: failed.append(f"page error: {e}"))
        ui = browser.ClassroomPage(page)
        ui.open(url)
        assert ui.month() == ""
        page.screenshot(path=tmp_path / "1-opened.png", full_page=True)

        ui.slide("Tension", 4)  # 0.30 -> 0.50
        ui.reset(expect="tension 0.50")
        before = {name: ui.chart(name).screenshot() for name in CHARTS}
        ui.step(3)
        assert ui.month() == "2008-03"
        ui.play_until("2009-06")
        month = ui.month()
        assert month >= "2009-06"
        page.wait_for_timeout(500)
        assert ui.month() == month or ui.month() > month  # paused: at most one more frame
        after = {name: ui.chart(name).screenshot() for name in CHARTS}
        assert all(after[name] != before[name] for name in CHARTS)
        entries = ui.log_entries()
        assert entries and entries != ["no entries yet"]
        assert all(entry[:4].isdigit() and entry[4] == "-" for entry in entries)
        page.screenshot(path=tmp_path / "2-played.png", full_page=True)

        ui.type_into("Seed (integer >= 0)", "abc")
        ui.type_into("Replicates (1 to 500)", "100")
        ui.button("Reset")
        page.locator(".hedgesim-error").first.wait_for()
        assert "seed='abc'; allowed: an integer >= 0" in ui.error()
        page.screenshot(path=tmp_path / "3-bad-seed.png", full_page=True)
        ui.type_into("Seed (integer >= 0)", "7")
        ui.type_into("Replicates (1 to 500)", "0")
        ui.button("Reset")
        page.locator(".hedgesim-error", has_text="replicates='0'").first.wait_for()

        ui.type_into("Replicates (1 to 500)", "30")
        ui.choose("Side by side", "without the 2014 war")
        ui.reset(expect="B: without the 2014 war")
        assert ui.error() == ""
        ui.play_until("2014-06")
        assert len(page.locator(".hedgesim-log b").all_inner_texts()) == 2
        page.screenshot(path=tmp_path / "4-side-by-side.png", full_page=True)
        assert server.poll() is None
    assert server.poll() is not None  # the server was stopped with the block
    assert not failed, failed[:5]
    port = int(url.rsplit(":", 1)[1].strip("/"))
    with pytest.raises(ConnectionRefusedError):  # nothing listens on its port any more
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "1-opened.png",
        "2-played.png",
        "3-bad-seed.png",
        "4-side-by-side.png",
    ]


def test_app_module_runs_as_a_script_for_help():
    done = subprocess.run(
        [sys.executable, "-m", "hedgesim.app.server", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "--port" in done.stdout and "--host" in done.stdout


def test_settings_are_frozen_and_carry_the_page_scenario():
    settings = settings_from_inputs(0.5, 0.5, 0.3, "2", "3")
    assert isinstance(settings, ClassroomSettings)
    assert "scenario=forward_2030" in settings.overrides()
    with pytest.raises(AttributeError):
        settings.seed = 4  # type: ignore[misc]
