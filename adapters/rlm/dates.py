"""Dates and durations as RLM prints them: expiry dates, ctime stamps, `15d 11:08:25`
durations and the year-less `MM/DD HH:MM` of a checkout."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from lmconsole.numbers import read_int
from lmconsole.yearless import latest_such_time

MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# The years a printed time may name: a datetime in them converts to any zone and back.
STATUS_YEARS = range(1970, 9999)
_DURATION_MAX_DAYS = 100_000


class BadDate(ValueError):
    pass


def parse_expiry(text: str) -> date | None:
    """`31-jan-2022` -> date; `permanent` and any date of year 0 (`30-nov-0`) -> None, a
    licence that never expires (RLM's own rule)."""
    text = text.strip()
    if text.lower() == "permanent":
        return None
    parts = text.split("-")
    if len(parts) != 3:
        raise BadDate(f"not an RLM date: {text!r}")
    day, month = read_int(parts[0], 99), MONTHS.get(parts[1].lower())
    year = read_int(parts[2], 9999)
    if day is None or month is None or year is None:
        raise BadDate(f"not an RLM date: {text!r}")
    if year == 0:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        raise BadDate(f"no such date: {text!r}") from None


def parse_ctime(text: str, tz: tzinfo) -> datetime:
    """`Tue Nov  2 23:00:06 2021` (C's ctime, the day padded with a space) in zone `tz`."""
    parts = text.split()
    if len(parts) != 5:
        raise BadDate(f"not a ctime date: {text!r}")
    _, month_name, day_text, clock, year_text = parts
    month, day = MONTHS.get(month_name.lower()), read_int(day_text, 31)
    year = read_int(year_text, 9999)
    hms = [read_int(part, 59) for part in clock.split(":")]
    if month is None or day is None or year is None or len(hms) != 3 or None in hms:
        raise BadDate(f"not a ctime date: {text!r}")
    if year not in STATUS_YEARS:
        raise BadDate(f"year out of range: {year}")
    try:
        return datetime(year, month, day, hms[0], hms[1], hms[2], tzinfo=tz)
    except ValueError:
        raise BadDate(f"no such date: {text!r}") from None


def parse_duration(text: str) -> timedelta:
    """`00:16:08`, `15d 11:08:25` -> timedelta."""
    days_text, _, clock = text.strip().rpartition(" ")
    days = 0
    if days_text:
        days = read_int(days_text.removesuffix("d"), _DURATION_MAX_DAYS)
        if days is None or not days_text.endswith("d"):
            raise BadDate(f"not a duration: {text!r}")
    hms = [read_int(part, 59 if i else 99) for i, part in enumerate(clock.split(":"))]
    if len(hms) != 3 or None in hms:
        raise BadDate(f"not a duration: {text!r}")
    return timedelta(days=days, hours=hms[0], minutes=hms[1], seconds=hms[2])


resolve_checkout = latest_such_time  # a seat's start: `M/D H:MM`, its year the latest possible
