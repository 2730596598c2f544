"""Every conf group composes; bad values get one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hedgesim.config.compose import compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import HedgesimConfig
from hedgesim.config.spec import build_run, recorded_yaml
from hedgesim.core.calendar import Month
from hedgesim.core.shocks import DECISIONS_WITHOUT_RULE, StochasticProcess

CONF = Path(__file__).resolve().parents[1] / "src" / "hedgesim" / "conf"
GROUPS = ["scenario", "shocks", "challenges", "params"]


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


@pytest.mark.parametrize(("group", "option"), [(g, o) for g in GROUPS for o in options(g)])
def test_every_group_option_composes_and_validates(group, option):
    spec = build_run(compose_config([f"{group}={option}"]))
    assert spec.calendar.n_steps > 0


def test_baseline_defaults():
    spec = build_run(compose_config())
    assert str(spec.calendar.start) == "2008-01" and str(spec.calendar.end) == "2019-12"
    assert spec.challenges.trust == 0.5
    assert len(spec.timeline.shocks) > 20
    assert all(s.date <= spec.calendar.end for s in spec.timeline.shocks)


def test_forward_scenario_keeps_the_2020_shocks():
    spec = build_run(compose_config(["scenario=forward_2030"]))
    assert str(spec.calendar.end) == "2030-12"
    assert "astravets-start" in {s.id for s in spec.timeline.shocks}


def first_drawn_month(spec) -> Month:
    process = StochasticProcess.for_run(spec.stochastic, spec.calendar, spec.timeline)
    return spec.calendar.month_at(process.first_step)


def test_forward_scenario_draws_after_the_2022_invasion():
    spec = build_run(compose_config(["scenario=forward_2030"]))
    assert {"election-2020", "ukraine-invasion"} <= {s.id for s in spec.timeline.shocks}
    assert str(spec.timeline.last_month) == "2022-02"
    assert first_drawn_month(spec) == Month(2022, 3)


def test_history_2024_runs_the_dated_history_with_brent_to_2024():
    spec = build_run(compose_config(["scenario=history_2024"]))
    assert (str(spec.calendar.start), str(spec.calendar.end)) == ("2008-01", "2024-12")
    kinds = {s.id: s.kind.value for s in spec.timeline.shocks if s.date >= Month(2020, 8)}
    assert kinds == {
        "election-2020": "election",
        "astravets-start": "npp_start",
        "astravets-commercial": "npp",
        "eap-suspension": "eap_suspension",
        "territory-used-2022": "territory_used",
        "ukraine-invasion": "war",
    }
    # coercion is Belarus's rule: the 2021 rows are the decisions actually taken, imposed on request
    observed = build_run(compose_config(["scenario=history_2024", "decisions.mode=observed"]))
    crisis = next(s for s in observed.timeline.shocks if s.id == "migrant-crisis")
    assert (str(crisis.date), str(crisis.end), crisis.duration) == ("2021-06", "2021-11", 6)
    assert {s.id for s in observed.timeline.shocks} - {s.id for s in spec.timeline.shocks} >= {
        "ryanair-landing",
        "migrant-crisis",
    }
    prices = {year: spec.oil_prices[year] for year in range(2020, 2025)}
    assert prices == {2020: 41.96, 2021: 70.86, 2022: 100.93, 2023: 82.49, 2024: 80.53}
    assert first_drawn_month(spec) == Month(2022, 3)


def test_rows_after_the_2020_election_are_inputs_not_evidence():
    rows = compose_config().shocks.timeline
    inputs = {r.id for r in rows if r.source == "event date (public record); an input, not evidence"}
    later = {r.id for r in rows if Month.parse(r.date) >= Month(2020, 8)}
    assert len(inputs) == 5 and inputs == later - {"astravets-start"}  # its row predates them
    decided = compose_config().decisions.observed
    later = {r.id for r in decided if Month.parse(r.date) >= Month(2020, 8)}
    assert later == {"crackdown-2020", "ryanair-landing", "migrant-crisis"}
    assert all("never evidence for a target" in r.source for r in decided if r.id in later)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("challenges.trust=1.2", r"challenges.trust=1.2 is out of range; allowed: a number in \[0.0, 1.0\]"),
        ("challenges.tension=-0.1", r"challenges.tension=-0.1 is out of range"),
        ("params.risk_aversion=99", r"params.risk_aversion=99.0 is out of range; allowed"),
        ("challenges.foo=1", r"challenges.foo: unknown key; allowed: tension, trust, vested_interests"),
        ("scenario.end=2019-13", r"scenario.end='2019-13'.*not a real date"),
        ("scenario.start=2020-01", r"ends \(2019-12\) before it starts \(2020-01\)"),
        ("replicates=0", r"replicates=0; allowed: an integer >= 1"),
        ("seed=abc", r"seed: Value 'abc'"),
        ("shocks.disabled_kinds=[meteor]", r"names unknown kinds; allowed: war"),
        ("shocks.disabled_ids=[nope]", r"disabled_ids=\['nope'\] names no shock in the run"),
        ("scenario=nope", r"Could not find 'scenario/nope'; allowed: baseline, forward_2030"),
        ("shocks.timeline.0.kind=meteor", r"kind='meteor' is unknown"),
        ("shocks.timeline.0.date=2001-05", r"date 2001-05 is outside the run; allowed: 2008-01..2019-12"),
    ],
)
def test_bad_values_are_one_line_errors(override, message):
    with pytest.raises(ConfigError, match=message) as info:
        build_run(compose_config([override]))
    assert "\n" not in str(info.value)


def test_timeline_from_a_users_file(tmp_path):
    path = tmp_path / "my_timeline.csv"
    path.write_text(
        "date,end,kind,actors,size,label\n"
        "2012-06,,war,RUS;UKR,high,an imagined early war\n"
        "2010-12-19,,election,BLR;EU,0.0,a calm election\n"
    )
    spec = build_run(compose_config([f"shocks.file={path}"]))
    assert [s.kind.value for s in spec.timeline.shocks] == ["election", "war"]
    path.write_text("date,kind,actors,size\n2012-06,flood,BLR,0.5\n")
    with pytest.raises(ConfigError, match="kind='flood' is unknown"):
        build_run(compose_config([f"shocks.file={path}"]))


def test_timeline_from_a_users_searchpath(tmp_path):
    group = tmp_path / "shocks"
    group.mkdir()
    (group / "calm.yaml").write_text(
        "name: calm\ntimeline:\n  - {date: '2009-03', kind: institutional, actors: [EU, BLR], size: 0.5}\n"
    )
    spec = build_run(compose_config([f"hydra.searchpath=[file://{tmp_path}]", "shocks=calm"]))
    assert [s.kind.value for s in spec.timeline.shocks] == ["institutional"]


def test_a_file_in_the_events_table_layout_is_read_as_it_is(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "date,end_date,kind,actors,magnitude_hint,description,source\n"
        "2010-01-01,2010-01-31,oil_dispute,RUS;BLR,medium,Dispute over crude duties,seed paper\n"
        "2014-02-20,2014-03-18,war,RUS;UKR,high,Crisis in Ukraine,seed paper\n"
    )
    spec = build_run(compose_config([f"shocks.file={path}"]))
    oil, war = spec.timeline.shocks
    assert (oil.size, str(oil.end), oil.label) == (0.5, "2010-01", "Dispute over crude duties")
    assert (war.size, str(war.end)) == (1.0, "2014-03")


def test_a_spreadsheets_byte_order_mark_is_read_as_utf8(tmp_path):
    plain, marked = tmp_path / "plain.csv", tmp_path / "marked.csv"
    text = "date,kind,actors,size,label\n2012-06,war,RUS;UKR,high,Крым\n"
    plain.write_text(text, encoding="utf-8")
    marked.write_text(text, encoding="utf-8-sig")
    assert build_run(compose_config([f"shocks.file={marked}"])) == build_run(
        compose_config([f"shocks.file={plain}"])
    )


def test_a_yaml_file_names_the_line_of_a_bad_shock(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "# my timeline\ntimeline:\n"
        "  - {date: 2012-06, kind: war, actors: [RUS, UKR], size: 0.5}\n"
        "  - date: 2013-06\n    kind: flood\n    actors: [RUS]\n    size: 0.5\n"
    )
    with pytest.raises(
        ConfigError, match=r"^shocks.file mine.yaml line 4: kind='flood' is unknown; allowed: war"
    ):
        build_run(compose_config([f"shocks.file={path}"]))


EXTRA = (
    "date,kind,actors,size,label\n"
    '2025-06,war,"RUS, UKR",high,an imagined war\n'
    "2026-01,election,BLR EU,0.5,a calm election\n"
    "2027-03,concession,BLR;EU,low,a release\n"
)


def test_a_file_replaces_the_history_and_extra_adds_to_it(tmp_path):
    extra = tmp_path / "extra.csv"
    extra.write_text(EXTRA)
    history = build_run(compose_config(["scenario=forward_2030"]))
    added = build_run(compose_config(["scenario=forward_2030", f"shocks.extra={extra}"]))
    assert [s for s in added.timeline.shocks if s.date < Month(2025, 1)] == list(history.timeline.shocks)
    new = [s for s in added.timeline.shocks if s.date >= Month(2025, 1)]
    assert [(str(s.date), s.kind.value, s.actors) for s in new] == [
        ("2025-06", "war", ("RUS", "UKR")),
        ("2026-01", "election", ("BLR", "EU")),
        ("2027-03", "concession", ("BLR", "EU")),
    ]
    replaced = build_run(compose_config(["scenario=forward_2030", f"shocks.file={extra}"]))
    assert [s.id for s in replaced.timeline.shocks] == [s.id for s in new]
    assert (added.shocks_used.mode, replaced.shocks_used.mode) == ("inline+extra", "file")


def test_the_stochastic_shocks_start_after_the_history_unless_set(tmp_path):
    extra = tmp_path / "extra.csv"
    extra.write_text(EXTRA)
    start = {
        "history, to 2030": ["scenario=forward_2030"],
        "history, to 2019": [],  # the 2020-22 shocks lie past the run's end: the start does not move
        "extra rows": ["scenario=forward_2030", f"shocks.extra={extra}"],
        "a shock switched off": ["scenario=forward_2030", "shocks.disabled_ids=[ukraine-invasion]"],
        "a file replacing the history": ["scenario=forward_2030", f"shocks.file={extra}"],
        "set": ["scenario=forward_2030", "shocks.stochastic.start=2023-04"],
    }
    months = {name: build_run(compose_config(o)).stochastic.start for name, o in start.items()}
    assert months == {
        "history, to 2030": "2022-03",
        "history, to 2019": "2022-03",
        "extra rows": "2022-03",
        "a shock switched off": "2022-03",
        "a file replacing the history": "2027-04",
        "set": "2023-04",
    }


def test_the_run_records_the_timeline_it_used(tmp_path):
    extra = tmp_path / "extra.csv"
    extra.write_text(EXTRA)
    cfg = compose_config(["scenario=forward_2030", f"shocks.extra={extra}"])
    spec = build_run(cfg)
    text = recorded_yaml(cfg, spec)
    assert "shocks.extra=" in text.splitlines()[1] and "added to the history" in text.splitlines()[1]
    facts = spec.timeline_facts()
    assert facts["mode"] == "inline+extra" and facts["stochastic_start"] == "2022-03"
    assert facts["extra"]["name"] == "extra.csv" and facts["extra"]["shocks"] == 3
    assert len(facts["extra"]["sha256"]) == 64 and facts["shocks_in_run"] == len(spec.timeline.shocks)
    # read, but not in the run: the two decisions without a rule dated after the 2020-01 branch
    assert facts["shocks"] - facts["shocks_in_run"] == 2
    # the recorded config alone reruns the run: the rows are in it, the file is not needed
    extra.unlink()
    recorded = OmegaConf.merge(OmegaConf.structured(HedgesimConfig), OmegaConf.create(text))
    assert recorded.shocks.extra is None and recorded.shocks.stochastic.start == "2022-03"
    rerun = build_run(recorded)
    assert rerun.timeline == spec.timeline and rerun.stochastic == spec.stochastic
    plain = compose_config(["scenario=forward_2030"])
    assert "start: 2022-03" in recorded_yaml(plain, build_run(plain))


def test_the_memory_limit_is_half_the_machine(monkeypatch):
    from hedgesim.config import spec

    monkeypatch.setattr(spec, "machine_memory", lambda: 5_600_000_000)
    spec.check_size(10_000, 800)  # 2.8 GB at 350 bytes a replicate-month: at the limit
    with pytest.raises(
        ConfigError, match=r"replicates=10001 x 800 months needs about 2.8 GB; allowed: runs under 2.8 GB"
    ):
        spec.check_size(10_001, 800)
    spec.check_size(14_000, 800, figure=False)  # 240 bytes without the figure: 2.7 GB
    with pytest.raises(ConfigError, match="needs about 3.9 GB"):
        spec.check_size(14_000, 800)
    spec.check_size(26_000, 800, precision="float32", figure=False)  # 130 bytes: 2.7 GB


def test_decisions_without_a_rule_are_history_only_before_the_branch():
    """The EaP suspension and territory lent are Belarus's choices with no rule yet: a run with a
    branch keeps them before it and has none after it; a run without one keeps them. Coercion has
    its rule: its rows are observed decisions, never in the timeline."""
    unruled = {"eap_suspension", "territory_used"}
    assert set(DECISIONS_WITHOUT_RULE) == unruled
    forward = build_run(compose_config(["scenario=forward_2030"]))
    after = [s for s in forward.timeline.shocks if s.kind.value in unruled and s.date >= forward.branch]
    assert after == [] and any(s.kind.value == "war" and s.date.year == 2022 for s in forward.timeline.shocks)
    history = build_run(compose_config(["scenario=history_2024"]))
    assert history.branch is None
    assert {s.kind.value for s in history.timeline.shocks} >= unruled
    assert "coercion" not in {s.kind.value for s in history.timeline.shocks}
    late = build_run(compose_config(["scenario=forward_2030", "scenario.branch=2023-01"]))
    assert {s.kind.value for s in late.timeline.shocks} >= unruled


def test_shared_parts_convert_as_omegaconf_does_while_the_varying_part_changes():
    """A sweep group's node converts its shared parts once; what callers get must still be what
    OmegaConf gives for the node as it stands, a copy of its own, and fresh for interpolations."""
    from omegaconf import OmegaConf

    from hedgesim.config import shared_parts

    cfg = compose_config(["+experiment=three_challenges"])
    cfg.scenario.name = "cell ${challenges.trust}"  # a shared part that reads the varying one
    shared_parts.share(cfg, {"challenges"})
    try:
        for trust in (0.0, 0.25, 1.0):
            cfg.challenges.trust = trust
            for resolve in (False, True):
                for enum_to_str in (False, True):
                    got = shared_parts.to_container(cfg, resolve, enum_to_str)
                    assert got == OmegaConf.to_container(cfg, resolve=resolve, enum_to_str=enum_to_str)
            assert shared_parts.to_container(cfg, resolve=True)["scenario"]["name"] == f"cell {trust}"
            assert shared_parts.to_object(cfg, "challenges").trust == trust
        changed = shared_parts.to_container(cfg, resolve=True)
        changed["shocks"]["name"] = "edited by a caller"
        assert shared_parts.to_container(cfg, resolve=True)["shocks"]["name"] != "edited by a caller"
        first, again = shared_parts.to_object(cfg, "params"), shared_parts.to_object(cfg, "params")
        assert first == again and first is not again
    finally:
        shared_parts.forget()


def test_a_branch_after_the_end_is_refused_only_when_challenges_are_set():
    """Challenges set away from the reference with a branch after the run's end would never
    apply (every setting the same run), so the run is refused; at the reference it is the
    historical run, and runs as before."""
    shortened = ["scenario=forward_2030", "scenario.end=2019-12"]
    assert build_run(compose_config(shortened)).branch == Month(2020, 1)
    with pytest.raises(ConfigError, match=r"challenges.vested_interests=0 would never apply"):
        build_run(compose_config([*shortened, "challenges.vested_interests=0"]))
    inside = build_run(compose_config(["scenario=forward_2030", "challenges.vested_interests=0"]))
    assert inside.branch == Month(2020, 1)
