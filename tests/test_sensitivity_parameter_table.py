"""``python -m hedgesim.workflows.parameter_table --write DOC`` refreshes the block between its
markers and nothing else: a document without both markers is left as it was, with one line."""

from __future__ import annotations

import pytest

from hedgesim.workflows import parameter_table as pt


def _document(tmp_path, text):
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_write_replaces_the_block_and_keeps_the_text_around_it(tmp_path):
    path = _document(tmp_path, f"intro\n{pt.BEGIN}\nold\n{pt.END}\nafter\n")
    pt.main(["--write", str(path)])
    assert path.read_text(encoding="utf-8") == f"intro\n{pt.markdown_table()}\nafter\n"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.md"]  # no temporary left


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("intro\nno block here\n", "begin marker 0 time(s), its end marker 0"),
        (f"intro\n{pt.BEGIN}\nold\nthe rest of the document\n", "begin marker 1 time(s), its end marker 0"),
        (f"{pt.END}\nold\n{pt.BEGIN}\n", "begin marker 1 time(s), its end marker 1"),
        (f"{pt.BEGIN}\n{pt.END}\n{pt.BEGIN}\n{pt.END}\n", "begin marker 2 time(s), its end marker 2"),
    ],
)
def test_a_document_without_its_markers_is_left_as_it_was(tmp_path, capsys, text, counts):
    path = _document(tmp_path, text)
    with pytest.raises(SystemExit) as stop:
        pt.main(["--write", str(path)])
    assert stop.value.code == 2
    assert path.read_text(encoding="utf-8") == text  # a missing end marker deleted all after the begin
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--write={path}: the document holds the table's {counts}" in err


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--write", "missing.md"], 1, "--write=missing.md: No such file or directory"),
        (["--write"], 2, "arguments '--write': unknown; allowed: none (print), or --write PATH"),
        (["--wirte", "docs/ODD.md"], 2, "arguments '--wirte docs/ODD.md': unknown"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path, monkeypatch, capsys, args, code, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        pt.main(args)
    assert stop.value.code == code
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and words in captured.err
