"""docs/ODD.md stays true to the code."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from hedgesim.core.parameters import ModelParameters
from hedgesim.core.shocks import KINDS
from hedgesim.workflows.parameter_table import BEGIN, END, markdown_table

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


def test_parameter_tables_are_current():
    text = ODD.read_text(encoding="utf-8")
    block = BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END
    assert block == markdown_table(), "run: python -m hedgesim.workflows.parameter_table --write docs/ODD.md"


def test_every_parameter_and_shock_kind_is_described():
    text = ODD.read_text(encoding="utf-8")
    for f in fields(ModelParameters):
        assert f"`params.{f.name}`" in text
    for kind in KINDS:
        assert f"| {kind} " in text or f", {kind} " in text or f"| {kind}," in text, kind
