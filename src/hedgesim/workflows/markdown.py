"""Markdown tables for the reports the workflows write (calibration, reproduction)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".3g") -> str:
    """A GitHub markdown table of ``frame``, without the optional ``tabulate`` dependency.

    Missing floats are left blank and ``|`` inside a cell is escaped, so the table never breaks.
    """
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = [
        "| " + " | ".join(_cell(v, floatfmt) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, rule, *rows])


def _cell(value: Any, floatfmt: str) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else format(value, floatfmt)
    return str(value).replace("|", "\\|")
