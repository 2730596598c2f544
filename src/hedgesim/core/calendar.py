"""Months as dates: the model steps monthly, users speak in dates.

A month is written ``YYYY-MM`` (a day may follow, ``YYYY-MM-DD``, and is kept only for
display). Step 0 is the scenario's first month.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


class DateError(ValueError):
    """A malformed date or one outside the run."""


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; ordering and arithmetic are in whole months."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str | dt.date | Month) -> Month:
        """Read ``YYYY-MM`` or ``YYYY-MM-DD`` (or a date) into a Month.

        Raises:
            DateError: when the text is not a real date in one of those forms.
        """
        if isinstance(text, Month):
            return text
        if isinstance(text, dt.date):
            return cls(text.year, text.month)
        match = _MONTH.match(str(text).strip())
        if not match:
            raise DateError(f"{text!r} is not a date; write YYYY-MM or YYYY-MM-DD")
        year, month, day = match.groups()
        try:
            dt.date(int(year), int(month), int(day or 1))
        except ValueError as err:
            raise DateError(f"{text!r} is not a real date ({err})") from None
        return cls(int(year), int(month))

    @property
    def ordinal(self) -> int:
        """Months since year 0, so that differences are month counts."""
        return self.year * 12 + self.month - 1

    def __add__(self, months: int) -> Month:
        total = self.ordinal + int(months)
        return Month(total // 12, total % 12 + 1)

    def __sub__(self, other: Month) -> int:
        return self.ordinal - other.ordinal

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def to_date(self) -> dt.date:
        """First day of the month."""
        return dt.date(self.year, self.month, 1)


@dataclass(frozen=True)
class RunCalendar:
    """The months of one run, from ``start`` to ``end`` inclusive."""

    start: Month
    end: Month

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise DateError(f"the run ends ({self.end}) before it starts ({self.start})")

    @property
    def n_steps(self) -> int:
        return self.end - self.start + 1

    def step_of(self, month: Month) -> int:
        """Step index of a month; the month may lie outside the run."""
        return month - self.start

    def month_at(self, step: int) -> Month:
        return self.start + step

    def contains(self, month: Month) -> bool:
        return self.start <= month <= self.end

    def dates(self) -> np.ndarray:
        """First day of each month of the run, as datetime64[ns]."""
        first = np.datetime64(f"{self.start}", "M")
        return (first + np.arange(self.n_steps)).astype("datetime64[ns]")
