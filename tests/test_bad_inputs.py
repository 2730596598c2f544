"""A catalogue of bad input: every mistake costs one line, on the command line and in Python.

Each row of CASES is one bad input and a fragment of the one line it must give. A command-line
case runs ``hedgesim.cli.main`` in this process and must exit non-zero (2 for usage, 1 for an
output folder it cannot write, 130 for Ctrl-C) with exactly one line on stderr, leave no folder
behind and take under 15 s; an API case must raise ConfigError with a one-line message. A few
cases run the console script as a user would (slow), and hypothesis fuzzes override values and
shock files.
"""

from __future__ import annotations

import csv
import errno
import io
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ctrl_c_as_at_a_terminal, run_cli
from hedgesim import api, cli
from hedgesim.config.errors import ConfigError
from hedgesim.config.overrides import check_overrides
from hedgesim.config.schema import ShocksConfig
from hedgesim.config.timeline_files import load_timeline
from hedgesim.core.shocks import Timeline

ROW = "2012-06,war,RUS;UKR,high"
BOMB = "".join(
    f"{a}: &{a} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
    for p, a in zip(["", *"abcdefg"], "abcdefgh", strict=True)
)
FILES: dict[str, bytes] = {
    "ok.csv": f"date,kind,actors,size\n{ROW}\n".encode(),
    "unterminated.csv": b'date,kind,actors,size,label\n2012-06,war,RUS,high,"a\n2013-06,war,RUS,0.5,b\n',
    "swallowed.csv": b'date,kind,actors,size,label\n2012-06,war,RUS,high,"one\n2013-06,war,RUS,0.5,two"\n',
    "quote_inside.csv": b'date,kind,actors,size,label\n2012-06,war,RUS,high,"a"b\n',
    "binary.csv": bytes(range(256)) * 4,
    "nul.csv": f"date,kind,actors,size\n{ROW}\x00\n".encode(),
    "latin1.csv": "date,kind,actors,size,label\n2012-06,war,RUS,high,café\n".encode("latin-1"),
    "utf16.csv": f"date,kind,actors,size\n{ROW}\n".encode("utf-16"),
    "bom_bad_kind.csv": b"\xef\xbb\xbfdate,kind,actors,size\n2012-06,flood,RUS,high\n",
    "no_kind.csv": b"date,actors,size\n2012-06,RUS;UKR,high\n",
    "no_size.csv": b"date,kind,actors\n2012-06,war,RUS;UKR\n",
    "no_date.csv": b"kind,actors,size\nwar,RUS,high\n",
    "unknown_column.csv": b"date,knd,kind,actors,size\n2012-06,x,war,RUS,high\n",
    "twice.csv": b"date,kind,actors,size,date\n2012-06,war,RUS,high,2012-07\n",
    "empty.csv": b"",
    "blank.csv": b"\n\n\n",
    "too_many_values.csv": b"date,kind,actors,size,label\n2012-06,war,RUS,high,Crisis, phase 2\n",
    "too_few_values.csv": b"date,kind,actors,size,label\n2012-06,war,RUS\n",
    "bad_date.csv": f"date,kind,actors,size\n{ROW}\n2012-13,war,RUS,high\n".encode(),
    "bad_size.csv": b"date,kind,actors,size\n2012-06,war,RUS,huge\n",
    "bad_actors.csv": b"date,kind,actors,size\n2012-06,war,Russia,high\n",
    "slash_actors.csv": b"date,kind,actors,size\n2012-06,war,RUS/UKR,high\n",
    "history_id.csv": b"date,kind,actors,size,id\n2012-06,war,RUS,high,crimea\n",
    "early.csv": b"date,kind,actors,size\n2001-06,war,RUS,high\n",
    "dup_ids.csv": b"date,kind,actors,size,id\n2012-06,war,RUS,high,x\n2013-06,war,RUS,high,x\n",
    "end_first.csv": b"date,end,kind,actors,size\n2012-06,2011-01,war,RUS,high\n",
    "huge_field.csv": b'date,kind,actors,size,label\n2012-06,war,RUS,high,"' + b"x" * 200_000 + b'"\n',
    "too_many.csv": (
        "date,kind,actors,size,id\n" + "".join(f"2012-06,war,RUS,0.5,s{i}\n" for i in range(10_001))
    ).encode(),
    "too_large.csv": b"date,kind,actors,size\n" + f"{ROW}\n".encode() * 90_000,
    "csv_in.txt": f"date,kind,actors,size\n{ROW}\n".encode(),
    "tabs.tsv": b"date\tkind\tactors\tsize\n2012-06\twar\tRUS\t0.5\n",
    "unclosed.yaml": b"timeline: [{date: 2012-06, kind: war\n",
    "numbers.yaml": b"- 1\n- 2\n",
    "scalar.yaml": b"5\n",
    "no_timeline.yaml": b"name: mine\nshocks: []\n",
    "dup_key.yaml": b"- {date: 2012-06, kind: war, kind: npp, actors: [RUS], size: 0.5}\n",
    "tag.yaml": b"- !!python/object/apply:os.system [ls]\n",
    "two_docs.yaml": b"- {date: 2012-06, kind: war, actors: [RUS], size: 0.5}\n---\n- 1\n",
    "deep.yaml": b"[" * 20_000,
    "bomb.yaml": f"{BOMB}timeline: [{{date: 2012-06, kind: war, actors: *h, size: 0.5}}]\n".encode(),
    "unknown_key.yaml": b"- {date: 2012-06, knd: war, actors: [RUS], size: 0.5}\n",
    "empty.yaml": b"",
    "missing_date.yaml": b"- {kind: war, actors: [RUS], size: 0.5}\n",
    "nested_label.yaml": b"- {date: 2012-06, kind: war, actors: [RUS], size: 0.5, label: {a: 1}}\n",
    "tabs.yaml": b"timeline:\n\t- {date: 2012-06}\n",
    "too_many.yaml": "".join(
        f"- {{date: 2012-06, kind: war, actors: [RUS], size: 0.5, id: s{i}}}\n" for i in range(10_001)
    ).encode(),
}


@dataclass
class Case:
    """One bad input: a command line, or an API call, and a fragment of its one line."""

    kind: str
    call: Any
    expect: str
    code: int = 2
    patch: str | None = None
    name: str = field(default="")


def cli_case(*args: str, expect: str, code: int = 2, patch: str | None = None) -> Case:
    return Case("cli", args, expect, code, patch, "cli " + " ".join(args)[:70])


def api_case(function: str, *args: Any, expect: str, **kwargs: Any) -> Case:
    shown = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    return Case("api", (function, args, kwargs), expect, name=f"api {function}({shown[:60]})")


def file_case(name: str, expect: str) -> Case:
    return cli_case(f"shocks.file={{files}}/{name}", expect=expect)


SHOCK_FILES = [
    file_case("unterminated.csv", "unterminated.csv line 2: a quoted value is never closed"),
    file_case("swallowed.csv", "swallowed.csv line 2: a quoted value runs on to line 3"),
    file_case("quote_inside.csv", "line 2: a quote closes a value that goes on"),
    file_case("binary.csv", "is a binary file, not text; allowed: a YAML or CSV file in UTF-8"),
    file_case("nul.csv", "is a binary file"),
    file_case("latin1.csv", "line 2, column 25: byte 0xe9 is not UTF-8"),
    file_case("utf16.csv", "is UTF-16 text"),
    file_case("bom_bad_kind.csv", "bom_bad_kind.csv line 2: kind='flood' is unknown"),
    file_case("no_kind.csv", "no_kind.csv line 1: no kind column; allowed: a header line"),
    file_case("no_size.csv", "no size column"),
    file_case("no_date.csv", "no date column"),
    file_case("unknown_column.csv", "unknown column 'knd'; allowed: date, end, kind"),
    file_case("twice.csv", "column 'date' appears twice"),
    file_case("empty.csv", "empty.csv is empty; allowed: a header line"),
    file_case("blank.csv", "blank.csv is empty"),
    file_case("too_many_values.csv", "line 2: 6 values for 5 columns; allowed: one value per column"),
    file_case("too_few_values.csv", "line 2: 3 values for 5 columns"),
    file_case("bad_date.csv", "bad_date.csv line 3: date='2012-13'"),
    file_case("bad_size.csv", "line 2: size='huge' is not allowed"),
    file_case("bad_actors.csv", "line 2: actors='Russia' is not allowed"),
    file_case("early.csv", "date 2001-06 is outside the run; allowed: 2008-01..2019-12"),
    file_case("dup_ids.csv", "id 'x' appears twice"),
    file_case("end_first.csv", "end=2011-01 is before its date 2012-06"),
    file_case("huge_field.csv", "field larger than field limit"),
    file_case("too_many.csv", "more than 10,000 shocks; allowed: at most 10,000"),
    file_case("too_large.csv", "is larger than 2 MB"),
    file_case("csv_in.txt", "a CSV file needs the .csv extension"),
    file_case(
        "tabs.tsv",
        "tabs.tsv holds 'date\\tkind\\tactors\\tsize 2012-06\\twar\\tRUS\\t0.5', not a list of shocks "
        "(a CSV file needs the .csv extension)",
    ),
    file_case("unclosed.yaml", "unclosed.yaml line 2, column 1:"),
    file_case("numbers.yaml", "numbers.yaml line 1: 1 is not a shock; allowed: a mapping"),
    file_case("scalar.yaml", "holds 5, not a list of shocks"),
    file_case("no_timeline.yaml", "has no 'timeline:' key"),
    file_case("dup_key.yaml", "line 1, column 30: key 'kind' appears twice in one mapping"),
    file_case("tag.yaml", "could not determine a constructor"),
    file_case("two_docs.yaml", "line 2, column 1: expected a single document"),
    file_case("deep.yaml", "deep.yaml"),
    file_case("bomb.yaml", "actors=[[...], [...]"),
    file_case("unknown_key.yaml", "line 1: unknown key 'knd'"),
    file_case("empty.yaml", "empty.yaml is empty"),
    file_case("missing_date.yaml", "line 1: date is missing"),
    file_case("nested_label.yaml", "line 1: label={'a': 1} is not allowed; allowed: a single value"),
    file_case("tabs.yaml", "tabs.yaml line 2, column 1"),
    file_case("too_many.yaml", "more than 10,000 shocks"),
    file_case("missing.csv", "does not exist; allowed: a YAML or CSV file"),
    cli_case("shocks.file={files}", expect="is a folder; allowed: a YAML or CSV file"),
    cli_case("shocks.file=/dev/null", expect="is not a regular file"),
    file_case("slash_actors.csv", "line 2: actors='RUS/UKR' is not allowed; allowed: country codes"),
    cli_case("shocks.extra={files}/missing.csv", expect="missing.csv' does not exist; allowed: a YAML"),
    cli_case("shocks.extra={files}/bad_date.csv", expect="shocks.extra bad_date.csv line 3: date='2012-13'"),
    cli_case("shocks.extra={files}/bad_actors.csv", expect="shocks.extra bad_actors.csv line 2: actors="),
    cli_case("shocks.extra={files}/early.csv", expect="date 2001-06 is outside the run"),
    cli_case("shocks.extra={files}/history_id.csv", expect="id 'crimea' is in the history too"),
    cli_case("shocks.extra={files}/unclosed.yaml", expect="shocks.extra unclosed.yaml line 2, column 1"),
    cli_case("shocks.stochastic.start=2020-13", expect="shocks.stochastic.start='2020-13'"),
    cli_case("shocks.stochastic.start=soon", expect="'soon' is not a date; allowed: YYYY-MM"),
]

SIZES = [
    cli_case("replicates=1000000000", expect="replicates=1000000000 x 144 months needs about 50,400 GB"),
    cli_case(
        "replicates=10000000", expect="replicates=10000000 x 144 months needs about 504 GB; allowed: runs"
    ),
    cli_case("replicates=10000000", "scenario=forward_2030", expect="x 276 months needs about 966 GB"),
    cli_case(
        "replicates=10000000", "output.precision=float32", expect="x 144 months needs about 346 GB; allowed"
    ),
    cli_case("output.precision=float16", expect="output.precision='float16'; allowed: float64, float32"),
    cli_case("replicates=2000000", "scenario.end=2008-01", expect="at most 1,000,000 replicates"),
    cli_case("replicates=0", expect="replicates=0; allowed: an integer >= 1"),
    cli_case("replicates=-5", expect="replicates=-5; allowed: an integer >= 1"),
    cli_case("first_replicate=18446744073709551616", expect="first_replicate=18446744073709551616; allowed"),
    cli_case("first_replicate=9223372036854775807", "replicates=2", expect="2^63"),
    cli_case("first_replicate=-1", expect="first_replicate=-1"),
    cli_case("scenario.end=9999-12", expect="a run of 95,904 months; allowed: at most 1,200 months"),
    cli_case("scenario.start=0001-01", expect="scenario.start=0001-01, scenario.end=2019-12: a run of"),
    cli_case("seed=-1", expect="seed=-1; allowed: an integer >= 0"),
    cli_case("-m", "challenges.trust=range(0,1,0.0001)", expect="more than 1,000 values"),
    cli_case("-m", "challenges.trust=range(0,1,0)", expect="range(0,1,0): range() arg 3 must not be zero"),
    cli_case(
        "-m",
        "challenges.trust=range(0,1,0.02)",
        "challenges.tension=range(0,1,0.02)",
        "challenges.vested_interests=range(0,1,0.02)",
        expect="the sweep has 125,000 cells; allowed: at most 10,000",
    ),
]

OVERRIDES = [
    cli_case("+challenges.trsut=0.5", expect="'+' adds a key or config group, and challenges.trsut"),
    cli_case("++challenges.trust=0.5", expect="allowed: +experiment=NAME (three_challenges)"),
    cli_case("+seed=1", expect="to change a key, leave out the '+'"),
    cli_case("+params.foo=1", expect="+params.foo=1: '+' adds"),
    cli_case("scenario.oil_price.2010=50", expect="allowed: 'scenario.oil_price={2010:50}'"),
    cli_case("scenario.oil_price.x=5", expect="a year cannot follow a dot"),
    cli_case("scenario.oil_price={2030:50}", expect="allowed: +scenario.oil_price={2030:PRICE}"),
    cli_case("scenario.oil_price={2010:-5}", expect="scenario.oil_price.2010=-5.0; allowed: a price > 0"),
    cli_case("scenario.oil_price={2010:abc}", expect="is 'abc', not a number; allowed: years as integers"),
    cli_case("scenario.oil_price={2010:inf}", expect="scenario.oil_price.2010=inf"),
    cli_case(
        "scenario.start=2010-01",
        "scenario.end=2009-12",
        expect="scenario.start=2010-01, scenario.end=2009-12: the run ends (2009-12) before it starts",
    ),
    cli_case("scenario.start=2010", expect="scenario.start='2010'"),
    cli_case(
        "scenario=forward_2030",
        "scenario.end=2019-12",
        "challenges.trust=0.9",
        expect="scenario.branch=2020-01 is after scenario.end=2019-12, so challenges.trust=0.9 would never",
    ),
    cli_case(
        "-m",
        "scenario=baseline",
        "scenario.branch=2020-01",
        "challenges.tension=0.3,0.7",
        expect="so challenges.tension=0.7 would never apply; allowed: a branch no later than scenario.end",
    ),
    cli_case(
        "hydra/launcher=jobllib",
        expect="Could not find 'hydra/launcher/jobllib'; allowed: basic, batched, joblib",
    ),
    cli_case("-m", "hydra/launcher=jobllib", expect="allowed: basic, batched, joblib"),
    cli_case("hydra/sweeper=optuna", expect="Could not find 'hydra/sweeper/optuna'; allowed: basic"),
    cli_case("hydra.launcher.n_jobs=abc", expect="hydra.launcher.n_jobs: Value 'abc'"),
    cli_case("-m", "hydra.launcher.n_jobs=0", expect="hydra.launcher.n_jobs=0; allowed: -1 (one per core)"),
    cli_case("-m", "hydra.launcher.memory_gb=-1", expect="hydra.launcher.memory_gb=-1.0; allowed: a number"),
    cli_case("-m", "hydra.launcher.backend=spark", expect="backend='spark'; allowed: local, ray"),
    cli_case("hydra.run.dir=${oops}", expect="hydra.run.dir='${oops}': Interpolation key 'oops' not found"),
    cli_case("hydra.run.dir=", expect="hydra.run.dir=''; allowed: a folder path"),
    cli_case("--frobnicate", expect="unrecognized arguments: --frobnicate; allowed options: -m/--multirun"),
    cli_case("--cfg", "jobs", expect="invalid choice: 'jobs'"),
    cli_case("-m", "--cfg", "job", expect="more than one of -r/--run, -m/--multirun, --cfg"),
    cli_case("--config-name", "nope", expect="--config-name=nope: no such config; allowed: config"),
    cli_case("replicates=1", "-m", "seed=2", expect="'seed=2': overrides are split by an option"),
    cli_case("challenges.trust", expect="'challenges.trust' cannot be read (missing EQUAL"),
    cli_case("challenges.trust=(0.5", expect="cannot be read"),
    cli_case("challenges.trust=${oops}", expect="challenges.trust: Interpolation key 'oops' not found"),
    cli_case("experiment=three_challenges", expect="allowed: +experiment=three_challenges"),
    cli_case("+experiment=nope", expect="Could not find 'experiment/nope'; allowed: three_challenges"),
    cli_case("challenges.trust=abc", expect="could not be converted to Float; allowed: a number"),
    cli_case("challenges.trust=nan", expect="challenges.trust=nan is out of range"),
    cli_case("challenges.trust=1e999", expect="challenges.trust=inf is out of range"),
    cli_case("challenges.trust=[1,2]", expect="challenges.trust: Value '[1, 2]'"),
    cli_case("output.figure=maybe", expect="allowed: true or false"),
    cli_case("seed=1.5", expect="seed: Value '1.5'"),
    cli_case("seed=" + "9" * 5000, expect="a number of more than 4,300 digits"),
    cli_case("shocks.disabled_kinds=meteor", expect="allowed: a list in brackets"),
    cli_case("shocks.timeline=[{kind:war}]", expect="shocks.timeline[0].date: Structured config"),
    cli_case("shocks.timeline.0.kind=meteor", expect="kind='meteor' is unknown"),
    cli_case("params.nope=1", expect="params.nope: unknown key; allowed:"),
    cli_case("challenges=nope", expect="Could not find 'challenges/nope'"),
    cli_case("~challenges.trust", expect="does not support deletion; allowed: key=value"),
    cli_case("-m", "challenges.trust=interval(0,1)", expect="the basic sweeper runs only listed values"),
    cli_case("-m", "challenges.trust=0.2,1.4", expect="challenges.trust=1.4 is out of range"),
]

OUTPUT_AND_INTERRUPT = [
    cli_case("hydra.run.dir={files}/ok.csv/run", expect="(Not a directory); allowed: hydra.run.dir=", code=1),
    cli_case("hydra.run.dir={files}/ok.csv", expect="(a file is in the way)", code=1),
    cli_case("hydra.run.dir=/proc/hedgesim-run", expect="cannot write /proc/hedgesim-run", code=1),
    cli_case(
        "replicates=1", expect="(Permission denied); allowed: hydra.run.dir=", code=1, patch="read_only"
    ),
    cli_case("-m", "replicates=1", expect="allowed: hydra.sweep.dir=", code=1, patch="read_only"),
    cli_case(
        "replicates=1", "output.figure=false", expect="(No space left on device)", code=1, patch="disk_full"
    ),
    cli_case(
        "replicates=1",
        "output.figure=false",
        expect="interrupted; nothing was kept",
        code=130,
        patch="ctrl_c",
    ),
    cli_case("replicates=1", expect="interrupted; nothing was written", code=130, patch="ctrl_c_early"),
]

SIMULATE_FILES = [
    "binary.csv",
    "unclosed.yaml",
    "numbers.yaml",
    "unterminated.csv",
    "no_kind.csv",
    "latin1.csv",
]
PYTHON_API = [
    api_case("simulate", "challenges.trust=2", expect="challenges.trust=2.0 is out of range"),
    api_case("simulate", 5, expect="overrides=5; allowed: a string like 'challenges.trust=0.5'"),
    api_case("simulate", {"challenges.trust": 0.5}, expect="or a list of them"),
    api_case("simulate", [5], expect="overrides[0]=5 is not a string"),
    api_case("simulate", b"seed=1", expect="overrides=b'seed=1'"),
    api_case("simulate", "challenges.trust=0.1,0.2", expect="a sweep; allowed: one value per key"),
    api_case("simulate", "+challenges.trsut=0.5", expect="'+' adds a key or config group"),
    api_case("simulate", "scenario.oil_price.2010=50", expect="a year cannot follow a dot"),
    *[api_case("simulate", f"shocks.file={{files}}/{name}", expect=name) for name in SIMULATE_FILES],
    api_case("simulate", "shocks.file={files}", expect="is a folder"),
    api_case("simulate", replicates=10**7, expect="x 144 months needs about 346 GB"),
    api_case("simulate", replicates=10**9, expect="needs about 34,560 GB"),
    api_case("simulate", replicates=1.5, expect="replicates=1.5; allowed: an integer >= 1"),
    api_case("simulate", replicates=True, expect="replicates=True"),
    api_case("simulate", seed=-1, expect="seed=-1; allowed: an integer >= 0"),
    api_case("simulate", "first_replicate=18446744073709551616", expect="replicate ids are 64-bit"),
    api_case("simulate", "scenario.end=9999-12", expect="a run of 95,904 months"),
    api_case("simulate", "hydra/launcher=jobllib", expect="Could not find 'hydra/launcher/jobllib'"),
    api_case("simulate", "challenges.trust=${oops}", expect="Interpolation key 'oops' not found"),
    api_case("simulate", "challenges.trust", expect="cannot be read"),
    api_case("simulate_run", ["challenges.nope=1"], expect="challenges.nope: unknown key"),
    api_case("outcomes", replicates=10**9, expect="x 276 months needs about 66,240 GB"),
    api_case("outcomes", replicates=0, expect="replicates=0; allowed: an integer >= 1"),
    api_case("outcomes", trust=float("nan"), expect="challenges.trust=nan is out of range"),
    api_case("outcomes", trust="high", expect="challenges.trust='high'"),
    api_case("outcomes", bogus=1, expect="bogus=1: unknown parameter"),
    api_case("HedgingModel", replicates=10**8, expect="needs about 3,456 GB"),
    api_case("HedgingModel", rng="abc", expect="rng='abc'; allowed: an integer >= 0"),
    api_case("HedgingModel", tension=float("inf"), expect="challenges.tension=inf is out of range"),
]

CASES = [*SHOCK_FILES, *SIZES, *OVERRIDES, *OUTPUT_AND_INTERRUPT, *PYTHON_API]


def test_the_catalogue_covers_every_class_of_bad_input():
    assert len(CASES) >= 100
    assert {c.code for c in CASES} == {1, 2, 130}
    assert len(PYTHON_API) >= 20 and len(SHOCK_FILES) >= 30


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shock_files")
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    return folder


def _filled(value: Any, files: Path) -> Any:
    if isinstance(value, str):
        return value.replace("{files}", str(files))
    if isinstance(value, list | tuple):
        return type(value)(_filled(v, files) for v in value)
    return value


def _patch(name: str | None, monkeypatch) -> None:
    """Make the failure a case needs: a read-only folder, a full disk, Ctrl-C."""
    if name == "read_only":

        def refuse(*args, dir=None, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))

        monkeypatch.setattr("hedgesim.workflows.run.tempfile.mkstemp", refuse)
    elif name == "disk_full":

        def full(block, blocks, path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

        monkeypatch.setattr("hedgesim.workflows.run.write_parquet_blocks", full)
    elif name in ("ctrl_c", "ctrl_c_early"):

        def interrupt(*args, **kwargs):
            raise KeyboardInterrupt

        where = "hedgesim.workflows.run.run_model" if name == "ctrl_c" else "hedgesim.cli.check_command_line"
        monkeypatch.setattr(where, interrupt)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_costs_one_line(case, files, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _patch(case.patch, monkeypatch)
    if case.kind == "api":
        function, args, kwargs = case.call
        with pytest.raises(ConfigError) as info:
            getattr(api, function)(*_filled(args, files), **kwargs)
        message = str(info.value)
        assert case.expect in message and "\n" not in message, message
        assert "allowed" in message, "an error says what is allowed"
        return
    started = time.perf_counter()
    with pytest.raises(SystemExit) as stop:
        cli.main(list(_filled(case.call, files)))
    took = time.perf_counter() - started
    err = capsys.readouterr().err.strip()
    assert stop.value.code == case.code, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("hedgesim: ") and case.expect in err, err
    assert case.code == 130 or "; allowed" in err, "an error says what is allowed"
    assert list(tmp_path.iterdir()) == [], "a folder was left behind"
    assert took < 15


# --- the console script, as a user runs it ----------------------------------------------------


SUBPROCESS = [
    (["shocks.file={files}/binary.csv"], 2, "is a binary file"),
    (["shocks.file={files}/unclosed.yaml"], 2, "line 2, column 1"),
    (["+challenges.trsut=0.5"], 2, "'+' adds a key"),
    (["hydra/launcher=jobllib"], 2, "allowed: basic, batched, joblib"),
    (["replicates=10000000"], 2, "needs about 504 GB"),
    (["hydra.run.dir=/proc/hedgesim-run"], 1, "cannot write /proc/hedgesim-run"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "code", "expect"), SUBPROCESS)
def test_the_console_script_prints_one_line(files, tmp_path, args, code, expect):
    started = time.perf_counter()
    result = run_cli(*_filled(args, files), cwd=tmp_path)
    assert time.perf_counter() - started < 15
    assert result.returncode == code
    assert len(result.stderr.strip().splitlines()) == 1 and expect in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_ctrl_c_costs_one_line_and_leaves_nothing(tmp_path):
    exe = Path(sys.executable).with_name("hedgesim")
    args = [str(exe), "replicates=20000", "scenario=forward_2030"]
    process = subprocess.Popen(
        args,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.rglob("*.log")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # the run is under way
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.strip() == "hedgesim: interrupted; nothing was kept"
    assert list(tmp_path.iterdir()) == []


# --- fuzzing --------------------------------------------------------------------------------


NUMERIC_KEYS = ["challenges.trust", "params.risk_aversion", "replicates", "seed", "first_replicate"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NUMERIC_KEYS), st.text(max_size=24))
def test_any_text_for_a_number_is_a_value_or_one_line(key, text):
    try:
        check_overrides([f"{key}={text}"])
    except ConfigError as err:
        assert "\n" not in str(err) and str(err)


def _loaded(suffix: str, data: bytes) -> Timeline | None:
    """The timeline of a file holding ``data``, or None after a one-line ConfigError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"shocks{suffix}"
        path.write_bytes(data)
        try:
            return load_timeline(ShocksConfig(file=str(path)))
        except ConfigError as err:
            assert "\n" not in str(err) and "shocks.file" in str(err)
            return None


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([".csv", ".yaml", ".yml", ".txt"]), st.binary(max_size=400))
def test_random_bytes_are_a_timeline_or_one_line(suffix, data):
    timeline = _loaded(suffix, data)
    assert timeline is None or isinstance(timeline, Timeline)


VALUES = st.one_of(
    st.sampled_from(["2012-06", "2014-03-01", "war", "npp", "RUS;UKR", "BLR", "0.5", "high", "", "x"]),
    st.text(max_size=12),
)
COLUMNS = st.lists(
    st.sampled_from(["date", "end", "kind", "actors", "size", "id", "label", "magnitude_hint"])
    | st.text(max_size=6),
    min_size=1,
    max_size=7,
)


@settings(max_examples=150, deadline=None)
@given(COLUMNS, st.lists(st.lists(VALUES, max_size=8), max_size=6), st.booleans())
def test_random_csv_rows_are_a_timeline_or_one_line(header, rows, quoted):
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL)
    writer.writerows([header, *rows])
    timeline = _loaded(".csv", text.getvalue().encode("utf-8", "surrogatepass"))
    assert timeline is None or isinstance(timeline, Timeline)


def test_a_well_formed_row_of_the_fuzzed_kind_loads():
    text = "date,kind,actors,size\n2012-06,war,RUS;UKR,high\n"
    assert [s.kind.value for s in _loaded(".csv", text.encode()).shocks] == ["war"]


# --- what the checks let through ------------------------------------------------------------


def test_one_override_may_be_given_as_a_string():
    pd = pytest.importorskip("pandas")
    one = api.simulate("challenges.trust=0.3", replicates=2, seed=5)
    pd.testing.assert_frame_equal(one, api.simulate(["challenges.trust=0.3"], replicates=2, seed=5))


@pytest.mark.parametrize(
    "overrides",
    [
        [
            "+experiment=three_challenges",
            "challenges.trust=0.5",
            "challenges.tension=0",
            "challenges.vested_interests=0",
        ],
        ["+scenario.oil_price={2030:50}", "scenario=forward_2030"],
        ["scenario.oil_price={2010:50}"],
        ["replicates=20000", "scenario=forward_2030"],
    ],
)
def test_documented_uses_pass_the_checks(overrides):
    assert check_overrides(overrides) == 1


@pytest.mark.parametrize(
    "command",
    [
        "hedgesim.workflows.reproduction",
        "hedgesim.workflows.calibration.command",
        "hedgesim.workflows.sensitivity_command",
    ],
)
def test_an_unreadable_override_of_any_command_says_what_is_allowed(command, tmp_path, capsys, monkeypatch):
    """reproduce, calibrate and sensitivity once said only "Error parsing override 'foo'"."""
    import importlib

    monkeypatch.chdir(tmp_path)
    main = importlib.import_module(command).main
    try:
        code = main(["foo"])
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.endswith(
        "error: 'foo' cannot be read (missing EQUAL at '<EOF>'); allowed: key=value, e.g. "
        "challenges.trust=0.5 (quote a value that holds spaces or special characters)"
    )


@pytest.mark.parametrize(
    "command", ["hedgesim.workflows.reproduction", "hedgesim.workflows.calibration.command"]
)
@pytest.mark.parametrize(
    ("override", "instead"),
    [
        ("seed=5", "--seed S"),
        ("replicates=7", "--replicates N"),
        ("scenario=forward_2030", "scenario.KEY=VALUE"),
    ],
)
def test_an_override_of_what_a_command_sets_itself_is_refused(
    command, override, instead, tmp_path, capsys, monkeypatch
):
    """reproduce and calibrate once put their own seed, replicates and scenario after the user's
    overrides, so these were ignored without a word (and the report named the wrong scenario)."""
    import importlib

    monkeypatch.chdir(tmp_path)
    code = importlib.import_module(command).main([override, "--replicates", "2"])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    key = override.split("=")[0]
    said, _, allowed = err.partition("; allowed: ")
    assert said.endswith(f"error: {override}: this command sets {key} itself") and instead in allowed
    assert len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == [], "nothing is made before the inputs are checked"


@pytest.mark.parametrize(
    ("option", "expect"),
    [
        (["--timeout", "-1"], "--timeout=-1.0; allowed: a number of seconds > 0"),
        (["--timeout", "nan"], "--timeout=nan; allowed: a number of seconds > 0"),
        (["--params-out", "."], "--params-out=. is a folder; allowed: a file path"),
        (["--trials", "0"], "--trials=0; allowed: an integer >= 1"),
    ],
)
def test_calibrate_checks_its_options_before_making_the_run_folder(
    option, expect, tmp_path, capsys, monkeypatch
):
    """These once failed after the search (a folder for --params-out), blamed --trials (a timeout
    that ran nothing), or left the run folder and its lock behind."""
    from hedgesim.workflows.calibration.command import main

    monkeypatch.chdir(tmp_path)
    code = main([*option, "--run-dir", "run"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == f"hedgesim-calibrate: error: {expect}", err
    assert not (tmp_path / "run").exists()
