"""A scholar's own shock files read as they are written: odd but legal YAML, impossible dates and
keys a shock file cannot carry, each refused in one line naming the file, the line and the key."""

from __future__ import annotations

import pytest

from hedgesim import cli


def one_line(capsys, *args: str, code: int = 2) -> str:
    """The single stderr line ``hedgesim ARGS`` ends with, checked to exit with ``code``."""
    with pytest.raises(SystemExit) as stop:
        cli.main(list(args))
    err = capsys.readouterr().err.strip()
    assert stop.value.code == code, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("hedgesim: error: "), err
    return err.removeprefix("hedgesim: error: ")


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
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(text)
    message = one_line(capsys, "shocks.file=bad.yaml", "replicates=1")
    assert message.startswith(expect), message
    assert not (tmp_path / "outputs").exists()
