"""A scholar's own shock files read as they are written: odd but legal YAML, impossible dates and
keys a shock file cannot carry, each refused in one line naming the file, the line and the key."""

from __future__ import annotations

import pytest

from test_config_inputs import one_line


def _file_refused(name: str, text: str, tmp_path, monkeypatch, capsys) -> str:
    """The one line ``hedgesim shocks.file=NAME`` gives for a file holding ``text``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    return one_line(capsys, f"shocks.file={name}", "replicates=1")


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        (
            "- {date: 2012-06, kind: war, actors: [RUS], size: 0.5}\n- {date: 2012-02-30, kind: war, "
            "actors: [RUS], size: 0.5}\n",
            "shocks.file bad.yaml line 2: date='2012-02-30': '2012-02-30' is not a real date (day is out "
            "of range for month); allowed: a real date, YYYY-MM or YYYY-MM-DD",
        ),
        (
            "- {date: 2012-06, end: 2013-02-29, kind: oil_dispute, actors: [RUS, BLR], size: 0.5}\n",
            "shocks.file bad.yaml line 1: end='2013-02-29': '2013-02-29' is not a real date (day is out "
            "of range for month); allowed: a real date, YYYY-MM or YYYY-MM-DD",
        ),
        (
            "- {date: 2012-06-31 10:00:00, kind: war, actors: [RUS], size: 0.5}\n",
            "shocks.file bad.yaml line 1: date='2012-06-31 10:00:00': '2012-06-31 10:00:00' is not a date",
        ),
        (
            "- {date: 2012-06, kind: war, actors: [RUS], size: !!float half}\n",
            "shocks.file bad.yaml line 1, column 51: 'half' cannot be read as float (could not convert "
            "string to float: 'half'); allowed: a list of shocks like",
        ),
    ],
)
def test_a_date_that_is_no_real_one_in_a_yaml_file_is_one_line(text, expect, tmp_path, monkeypatch, capsys):
    """YAML reads 2012-02-30 as a date, and PyYAML failed on it with a ValueError: a traceback
    instead of the line a CSV file gets for the same date."""
    message = _file_refused("bad.yaml", text, tmp_path, monkeypatch, capsys)
    assert message.startswith(expect), message
    assert not (tmp_path / "outputs").exists()


KEEP = "timeline:\n  - {date: 2012-06, kind: war, actors: [RUS], size: 0.5}\n"


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        (
            f"name: calm\n{KEEP}disabled_ids: [2012-06-war]\n",
            "shocks.file mine.yaml line 4: key 'disabled_ids' is not read from a shock file, which gives "
            "only the timeline; allowed: shocks.disabled_ids=... on the command line, or the whole config "
            "as a shocks option on Hydra's search path",
        ),
        (f"{KEEP}stochastic:\n  start: 2030-01\n", "shocks.file mine.yaml line 3: key 'stochastic' is not"),
        (f"disabled_kinds: [war]\n{KEEP}", "shocks.file mine.yaml line 1: key 'disabled_kinds' is not"),
    ],
)
def test_a_shocks_key_beside_the_timeline_is_refused_not_ignored(text, expect, tmp_path, monkeypatch, capsys):
    """A copy of the shocks config given as shocks.file kept its disabled_ids or stochastic start:
    the run read the timeline alone and ignored them without a word."""
    message = _file_refused("mine.yaml", text, tmp_path, monkeypatch, capsys)
    assert message.startswith(expect), message


def test_a_timeline_with_a_name_is_read(tmp_path):
    """The layout of a shocks option on Hydra's search path (name and timeline) is a shock file too."""
    from hedgesim.config.schema import ShocksConfig
    from hedgesim.config.timeline_files import load_timeline

    path = tmp_path / "calm.yaml"
    path.write_text(  # a name, and a key of the file's own that holds an anchor
        "base: &b {kind: institutional, actors: [EU, BLR]}\n"
        "name: calm\ntimeline:\n  - {<<: *b, date: '2009-03', size: 0.5}\n"
    )
    timeline = load_timeline(ShocksConfig(file=str(path)))
    assert [(str(s.date), s.kind.value, s.size) for s in timeline.shocks] == [
        ("2009-03", "institutional", 0.5)
    ]


def test_a_merged_key_written_over_is_yaml_not_a_duplicate(tmp_path):
    """YAML lets a mapping write over a key it merges in (<<: *war, date: ...): the strict loader
    merged first and refused the file, saying the key 'date' appeared twice."""
    from hedgesim.config.schema import ShocksConfig
    from hedgesim.config.timeline_files import load_timeline

    path = tmp_path / "wars.yaml"
    path.write_text(
        "- &war {date: 2012-06, kind: war, actors: [RUS, UKR], size: 0.5}\n"
        "- <<: *war\n  date: 2013-06\n  size: 0.25\n"
    )
    timeline = load_timeline(ShocksConfig(file=str(path)))
    assert [(str(s.date), s.kind.value, s.actors, s.size) for s in timeline.shocks] == [
        ("2012-06", "war", ("RUS", "UKR"), 0.5),
        ("2013-06", "war", ("RUS", "UKR"), 0.25),
    ]


def test_a_shock_after_the_runs_end_may_be_switched_off():
    """One setting serves runs of any length: shocks.disabled_ids=[crimea] in a run that ends in
    2013 was refused as naming no shock, so a sweep over scenario.end with it failed whole."""
    from hedgesim.config.compose import compose_config
    from hedgesim.config.errors import ConfigError
    from hedgesim.config.spec import build_run

    short = build_run(compose_config(["scenario.end=2013-12", "shocks.disabled_ids=[crimea]"]))
    assert short.timeline == build_run(compose_config(["scenario.end=2013-12"])).timeline
    assert "crimea" not in {
        s.id for s in build_run(compose_config(["shocks.disabled_ids=[crimea]"])).timeline.shocks
    }
    with pytest.raises(
        ConfigError,
        match=r"names no shock in the run; allowed: assistance-protocol, .*"
        r"oil-dispute-2010, or a shock after the run's end$",
    ):
        build_run(compose_config(["scenario.end=2013-12", "shocks.disabled_ids=[crimean]"]))


LABEL_ALLOWED = "allowed: a label with text, or none"


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        (
            "blank.csv",
            'date,kind,actors,size,label\n2012-06,war,RUS,high,ok\n2013-06,war,RUS,0.5,"   "\n',
            "line 3",
        ),
        ("blank.yaml", '- {date: 2012-06, kind: war, actors: [RUS], size: 0.5, label: "\\t "}\n', "line 1"),
        ("table.csv", "date,kind,actors,magnitude_hint,description\n2012-06,war,RUS,high, \n", "line 2"),
    ],
)
def test_a_blank_label_is_refused_with_its_file_and_line(name, text, where, tmp_path, monkeypatch, capsys):
    """A label of only spaces was taken, and the shock showed blank in events.parquet."""
    message = _file_refused(name, text, tmp_path, monkeypatch, capsys)
    key = "description" if name == "table.csv" else "label"
    blank = {"blank.csv": "'   '", "blank.yaml": "'\\t '", "table.csv": "' '"}[name]
    assert (
        message == f"shocks.file {name} {where}: {key}={blank} is blank; allowed: a label with text, or none"
    )


def test_a_blank_label_on_the_command_line_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    message = one_line(capsys, "shocks.timeline.0.label=' '")
    assert message == f"shocks.timeline[0].label=' ' is blank; {LABEL_ALLOWED}"


COMMAS = (
    "allowed: commas between the values (a spreadsheet's 'CSV UTF-8 (comma delimited)'), as in "
    "date,kind,actors,size"
)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            "date;kind;actors;size\n2012-06;war;RUS;0,5\n",
            "semicolon-separated (line 1: 'date;kind;actors;size')",
        ),
        ("sep=;\ndate;kind;actors;size\n2012-06;war;RUS;0,5\n", "semicolon-separated (line 1: 'sep=;')"),
        (
            "date,kind,actors,size\n2012-06;war;RUS;0.5\n",
            "semicolon-separated (line 2: '2012-06;war;RUS;0.5')",
        ),
        (
            "date\tkind\tactors\tsize\n2012-06\twar\tRUS\t0.5\n",
            "tab-separated (line 1: 'date\\tkind\\tactors\\tsize')",
        ),
    ],
)
def test_a_csv_file_with_another_separator_says_commas_are_expected(
    text, found, tmp_path, monkeypatch, capsys
):
    """A file saved by a spreadsheet with semicolons read as one unknown column
    ('date;kind;actors;size') or too few values, with no word of the separator."""
    message = _file_refused("excel.csv", text, tmp_path, monkeypatch, capsys)
    assert message == f"shocks.file excel.csv looks {found}; {COMMAS}"


def test_a_row_of_too_few_values_with_semicolon_actors_is_no_separator_case(tmp_path, monkeypatch, capsys):
    text = "date,kind,actors,size\n2012-06,war,RUS;UKR;EU;BLR\n"
    message = _file_refused("few.csv", text, tmp_path, monkeypatch, capsys)
    assert message.startswith("shocks.file few.csv line 2: 3 values for 4 columns; allowed: one value"), (
        message
    )


@pytest.mark.parametrize(
    ("name", "text", "expect"),
    [
        (
            "two.csv",
            "date,kind,actors,size\n2012-06,war,RUS,0.5\n2013-01,npp,LTU,0.5\n2012-06,war,UKR,0.5\n",
            "shocks.file two.csv line 4: id '2012-06-war' (made from its date and kind) appears twice, here "
            "and at line 2; allowed: unique ids (give two shocks of one kind and month an id each)",
        ),
        (
            "ids.yaml",
            "- {date: 2012-06, kind: war, actors: [RUS], size: 0.5, id: x}\n"
            "- {date: 2013-06, kind: war, actors: [RUS], size: 0.5, id: x}\n",
            "shocks.file ids.yaml line 2: id 'x' appears twice, here and at line 1; allowed: unique ids",
        ),
    ],
)
def test_a_repeated_id_names_both_lines(name, text, expect, tmp_path, monkeypatch, capsys):
    """It named neither line ('shocks.file two.csv: id ... appears twice'), nor that an id the file
    never wrote was made from a shock's date and kind."""
    assert _file_refused(name, text, tmp_path, monkeypatch, capsys) == expect


def test_a_repeated_id_inline_names_both_entries(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    war = "{date: 2015-01, kind: war, actors: [RUS], size: 0.5}"
    assert one_line(capsys, f"shocks.timeline=[{war},{war}]") == (
        "shocks.timeline[1]: id '2015-01-war' (made from its date and kind) appears twice, here and at "
        "shocks.timeline[0]; allowed: unique ids (give two shocks of one kind and month an id each)"
    )


COLUMNS_ALLOWED = (
    "allowed: date, end, kind, actors, size, id, label, source (or the events table's end_date, "
    "magnitude_hint, description)"
)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("date,kind,actors,size,\n2012-06,war,RUS,0.5,\n", "column 5 has no name (a comma too many?)"),
        ("Date,Kind,Actors,Size\n2012-06,war,RUS,0.5\n", "unknown column 'Date' (did you mean date?)"),
    ],
)
def test_a_header_a_spreadsheet_wrote_says_what_is_wrong(text, problem, tmp_path, monkeypatch, capsys):
    """A trailing comma read "unknown column ''", and a capitalised name got no hint."""
    message = _file_refused("sheet.csv", text, tmp_path, monkeypatch, capsys)
    assert message == f"shocks.file sheet.csv line 1: {problem}; {COLUMNS_ALLOWED}"


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("comma.csv", 'date,kind,actors,size\n2012-06,war,RUS,"0,5"\n', "line 2"),
        ("comma.yaml", "- {date: 2012-06, kind: war, actors: [RUS], size: '0,5'}\n", "line 1"),
    ],
)
def test_a_size_with_a_decimal_comma_is_shown_with_a_point(name, text, where, tmp_path, monkeypatch, capsys):
    """'0,5' (a spreadsheet's decimal comma) was refused with no word of the comma."""
    assert _file_refused(name, text, tmp_path, monkeypatch, capsys) == (
        f"shocks.file {name} {where}: size='0,5' is not allowed; allowed: a number in [0, 1] or one of low, "
        "medium, high (with a decimal point: 0.5)"
    )


@pytest.mark.parametrize(
    ("name", "text"), [("none.csv", "date,kind,actors,size\n"), ("none.yaml", "timeline: []\n")]
)
def test_an_extra_file_without_shocks_is_refused(name, text, tmp_path, monkeypatch, capsys):
    """It was taken without a word, and the user believed shocks had been added."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    assert one_line(capsys, f"shocks.extra={name}") == (
        f"shocks.extra='{name}' holds no shocks, so it would add nothing; allowed: a file with at least one "
        "shock, or shocks.extra=null"
    )
    assert list(tmp_path.iterdir()) == [tmp_path / name]
