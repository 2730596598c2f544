"""The lesson plans of docs/teaching.md tell what the page shows.

Every log line a lesson quotes is in the log of the run it describes, and every figure it
names is that run's, as the lesson rounds it. The runs are the page's own (``ClassroomModel``)
with each lesson's settings. A new calibration moves these numbers: the lessons are then
retaken (docs/teaching.md says how), and these tests name the sentences to change.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgesim.app.page import log_lines
from hedgesim.app.session import ClassroomModel, EnsembleRun

DOC = " ".join((Path(__file__).parents[1] / "docs" / "teaching.md").read_text(encoding="utf-8").split())
"""The lesson plans with their line breaks and indents collapsed: a quote may wrap anywhere."""

SEED = "20101219"
LESSON_1 = (("replicates", "1"),)
LESSON_2 = (
    ("replicates", "50"),
    ("trust", 0.1),
    ("compare", "the same shocks"),
    ("b_own_challenges", True),
    ("b_trust", 0.9),
)
LESSON_3_LOW = (("replicates", "50"), ("compare", "without the 2014 war"), ("tension", 0.3))
LESSON_3_HIGH = (("replicates", "50"), ("compare", "without the 2014 war"), ("tension", 0.7))
TIP_VESTED = (
    ("replicates", "50"),
    ("compare", "the same shocks"),
    ("b_own_challenges", True),
    ("vested_interests", 0.0),
    ("b_vested_interests", 1.0),
)
ABOUT = 0.01
"""How far a figure the lessons give "about" to two decimals may lie from the run's."""

ITALIC = re.compile(r"(?<!\*)\*(?!\*)([^*]+?)(?<!\*)\*(?!\*)")
"""Text in single asterisks: the lessons quote the log in italics (bold uses two)."""


@cache
def played(settings: tuple[tuple[str, object], ...]) -> ClassroomModel:
    """The page's model with these settings and the lessons' seed, played to the last month."""
    model = ClassroomModel(seed=SEED, **dict(settings))
    assert model.error is None, model.error
    while not all(run.model.finished for run in model.runs):
        model.step()
    return model


def part(start: str, end: str) -> str:
    """The lesson plans' text from ``start`` up to ``end``."""
    first = DOC.index(start)
    return DOC[first : DOC.index(end, first)]


def quoted_log(text: str) -> list[str]:
    """The log lines ``text`` quotes: italics that start with a month or tell a move in points."""
    quotes = [q.strip().rstrip(".") for q in ITALIC.findall(text)]
    return [q for q in quotes if re.match(r"\d{4}-\d{2}: ", q) or re.search(r"\([+-]\d+\.\d points\)$", q)]


def says(phrase: str) -> None:
    """The lesson plans say ``phrase`` (so a figure checked here is the one a teacher reads)."""
    assert phrase in DOC, f"docs/teaching.md no longer says {phrase!r}; update this test with it"


def trajectories(run: EnsembleRun) -> pd.DataFrame:
    return run.model.trajectories()


def mean_over(run: EnsembleRun, series: str, first_year: int, last_year: int) -> float:
    """Mean over replicates and the months of ``first_year``..``last_year``."""
    table = trajectories(run)
    years = table["date"].dt.year
    return float(table.loc[(years >= first_year) & (years <= last_year), series].mean())


def mean_at(run: EnsembleRun, month: str, series: str) -> float:
    """Mean over replicates in one month (what the trust network's arrows show)."""
    table = trajectories(run)
    return float(table.loc[table["date"] == pd.Timestamp(month), series].mean())


def concluded(run: EnsembleRun, agreement: str) -> int:
    """Replicates in which the agreement is concluded by the run's end."""
    return int((run.model.milestone_months()[agreement] >= 0).sum())


def released_by(run: EnsembleRun, last: str) -> int:
    """Replicates that held no political prisoner in some month of 2011-01..``last``."""
    table = trajectories(run)
    held = table[(table["date"] >= pd.Timestamp("2011-01")) & (table["date"] <= pd.Timestamp(last))]
    return int((held.groupby("replicate")["political_prisoners"].min() < 0.05).sum())


def median_at_core_from(run: EnsembleRun) -> str:
    """The first month from 2012 in which the median sanctions list is the core of 3 persons."""
    median = trajectories(run).groupby("date")["sanctions_persons"].median()
    at_core = median[(median.round() <= 3) & (median.index >= pd.Timestamp("2012-01"))]
    return at_core.index.min().strftime("%Y-%m")


def assert_about(value: float, quoted: float) -> None:
    assert abs(value - quoted) <= ABOUT, f"the run gives {value:.3f}, the lesson says about {quoted}"


def says_shares(phrase: str, series: str, *quoted: tuple[EnsembleRun, float]) -> None:
    """The lesson says ``phrase``, and each run's mean of ``series`` over 2016-2019 is about the
    share it quotes."""
    says(phrase)
    for run, share in quoted:
        assert_about(mean_over(run, series, 2016, 2019), share)


PARTS = {
    "the page's examples and Lesson 1": (("## What is on the page", "## Lesson 2"), LESSON_1),
    "Lesson 3 at tension 0.30": (("## Lesson 3", "2. (5 min) Tension 0.70"), LESSON_3_LOW),
    "Lesson 3 at tension 0.70": (("2. (5 min) Tension 0.70", "3. (5 min) The inverted U"), LESSON_3_HIGH),
}


@pytest.mark.parametrize("name", PARTS)
def test_every_log_line_a_lesson_quotes_is_in_its_runs_log(name):
    (start, end), settings = PARTS[name]
    quotes = quoted_log(part(start, end))
    assert quotes, f"{name}: no quoted log line found; the test no longer reads the lesson"
    lines = [line for run_lines in log_lines(played(settings)) for line in run_lines]
    missing = [q for q in quotes if not any(q in line for line in lines)]
    assert not missing, f"{name}: quoted but not in the page's log: {missing}"


def test_the_quoted_lines_are_found_as_quotes():
    """The quote finder reads italics, not bold, and keeps only log lines."""
    text = "At **2011-06** read *2011-02: the EU widened (-8.7 points)*, as *ties paid more* says."
    assert quoted_log(text) == ["2011-02: the EU widened (-8.7 points)"]
    assert quoted_log("*the EU eased its sanctions; in answer, Belarus raised (+0.3 points)*.") == [
        "the EU eased its sanctions; in answer, Belarus raised (+0.3 points)"
    ]


def test_lesson_1_figures():
    run = played(LESSON_1).runs[0]
    says("the Russia weight that the alliance commitment asks for (0.542 in the calibrated model")
    assert round(float(np.mean(run.model.params.alliance_commitment)), 3) == 0.542
    says("which jumps from about 36 to 271 persons")
    assert round(mean_at(run, "2010-11", "sanctions_persons")) == 36
    assert round(mean_at(run, "2011-06", "sanctions_persons")) == 271
    says("the hedge, down from about 0.30 before the election to 0.14")
    assert_about(mean_at(run, "2010-11", "hedge_eu"), 0.30)
    assert_about(mean_at(run, "2011-06", "hedge_eu"), 0.14)
    says("(Belarus's trust in the EU about 0.24, down from 0.41 before the election; the EU's in Belarus")
    says("about 0.19, down from 0.34)")
    assert_about(mean_at(run, "2011-06", "trust_blr_eu"), 0.24)
    assert_about(mean_at(run, "2010-11", "trust_blr_eu"), 0.41)
    assert_about(mean_at(run, "2011-06", "trust_eu_blr"), 0.19)
    assert_about(mean_at(run, "2010-11", "trust_eu_blr"), 0.34)
    says("the EU delists a few persons at a time, from 271 to 182")
    assert round(mean_at(run, "2016-09", "sanctions_persons")) == 182
    says("when it rose to 0.44 at the end of 2016, Ukraine and the outside partners fell to about 0.03 each")
    assert_about(mean_at(run, "2016-12", "hedge_eu"), 0.44)
    assert_about(mean_at(run, "2016-12", "hedge_ukraine"), 0.03)
    assert_about(mean_at(run, "2016-12", "hedge_other"), 0.03)
    says("in 190 of 200 replicates of this seed the release comes by the end of 2016")
    wide = played((("replicates", "200"),)).runs[0]
    assert released_by(wide, "2016-12") == 190


def test_lesson_2_figures():
    a, b = played(LESSON_2).runs
    says("the EU's trust in Belarus about 0.21, Belarus's in the EU about 0.27")
    assert_about(mean_at(a, "2019-12", "trust_eu_blr"), 0.21)
    assert_about(mean_at(a, "2019-12", "trust_blr_eu"), 0.27)
    says("The EU-Belarus arrows are much thicker (about 0.73 and 0.76)")
    assert_about(mean_at(b, "2019-12", "trust_eu_blr"), 0.73)
    assert_about(mean_at(b, "2019-12", "trust_blr_eu"), 0.76)
    says_shares(
        "over 2016-2019 the EU share is about 0.47 in B against 0.25 in A", "hedge_eu", (b, 0.47), (a, 0.25)
    )
    says("With trust 0.90 the partnership priorities are concluded in all 50 runs")
    assert concluded(b, "partnership_priorities") == 50
    assert concluded(a, "partnership_priorities") == 0
    says("visa facilitation is concluded in most runs of both (50 of B and 40 of A)")
    assert (concluded(b, "visa_facilitation"), concluded(a, "visa_facilitation")) == (50, 40)
    says("A framework agreement is out of reach of both")
    assert concluded(a, "framework_agreement") == concluded(b, "framework_agreement") == 0


def test_lesson_3_figures():
    a, b = played(LESSON_3_LOW).runs
    says_shares("over 2016-2019, an EU share of about 0.43 against 0.30", "hedge_eu", (a, 0.43), (b, 0.30))
    says("almost all release by 2019 either way (50 with the war, 49 without it)")
    assert (released_by(a, "2019-12"), released_by(b, "2019-12")) == (50, 49)
    says("the median drops to the core list of 3 persons in 2015-10 in A and only in 2017-02 in B")
    assert (median_at_core_from(a), median_at_core_from(b)) == ("2015-10", "2017-02")
    a, b = played(LESSON_3_HIGH).runs
    says_shares(
        "The Russia weight climbs towards the dashed line (about 0.52 over 2016-2019, against 0.51 in B)",
        "hedge_russia",
        (a, 0.52),
        (b, 0.51),
    )
    says_shares("The EU share is about 0.42 in A and in B", "hedge_eu", (a, 0.42), (b, 0.42))
    says("the median of the sanctions is at the core list of 3 persons from 2014-02 in A and B alike")
    assert median_at_core_from(a) == median_at_core_from(b) == "2014-02"


def test_the_vested_interests_tip_figures():
    a, b = played(TIP_VESTED).runs
    says_shares(
        "over 2016-2019 the EU share is about 0.45 in A and 0.37 in B", "hedge_eu", (a, 0.45), (b, 0.37)
    )
    says("visa facilitation is concluded in all 50 runs of A (half of them by July 2016) and in 5 of B")
    assert (concluded(a, "visa_facilitation"), concluded(b, "visa_facilitation")) == (50, 5)
    visa = a.model.milestone_months()["visa_facilitation"]
    assert str(a.model.calendar.month_at(int(np.median(visa)))) == "2016-07"
    says("the partnership priorities by 2030 in 50 and 11")
    assert (concluded(a, "partnership_priorities"), concluded(b, "partnership_priorities")) == (50, 11)
