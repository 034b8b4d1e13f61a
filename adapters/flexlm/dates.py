"""Dates as FlexLM prints them: expiry dates, lmstat status lines and start times."""

from __future__ import annotations

from datetime import date

from lmconsole.numbers import read_int
from lmconsole.yearless import latest_such_time

MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
PERMANENT = "permanent"
# The years a status or log date may name: a datetime in them converts to any zone and back
# (year 1 or 9999 in the wrong zone is beyond what a datetime holds).
STATUS_YEARS = range(1970, 9999)


class BadDate(ValueError):
    pass


def parse_expiry(text: str) -> date | None:
    """`30-dec-2025` -> date; `permanent`, `permanent(no expiration date)`, and any date with
    year 0 (`1-jan-0`, `01-jan-0000`) -> None, meaning the licence never expires."""
    text = text.strip()
    if text.lower().startswith(PERMANENT):
        return None
    parts = text.split("-")
    if len(parts) != 3:
        raise BadDate(f"not a FlexLM date: {text!r}")
    day, month, year = parts
    month_number = MONTHS.get(month.lower())
    year_number, day_number = read_int(year, 9999), read_int(day, 99)
    if month_number is None or year_number is None or day_number is None:
        raise BadDate(f"not a FlexLM date: {text!r}")
    if year_number == 0:
        return None
    if year_number < 100:  # two-digit years of old licence files
        year_number += 2000
    try:
        return date(year_number, month_number, day_number)
    except ValueError:
        raise BadDate(f"no such date: {text!r}") from None


def format_expiry(expiry: date | None) -> str:
    """The inverse of parse_expiry, as lmstat prints it (`1-jan-0` for permanent)."""
    if expiry is None:
        return "1-jan-0"
    return f"{expiry.day}-{tuple(MONTHS)[expiry.month - 1]}-{expiry.year}"


resolve_start = latest_such_time  # a seat's start: `M/D H:MM`, its year the latest possible
