"""Dates as Sentinel RMS's lsmon prints them: C's ctime, `Sat Nov 19 23:59:59 2022`."""

from __future__ import annotations

from datetime import datetime, tzinfo

from lmconsole.numbers import read_int

MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# The years a printed time may name: a datetime in them converts to any zone and back.
YEARS = range(1970, 9999)


class BadDate(ValueError):
    pass


def parse_ctime(text: str, tz: tzinfo) -> datetime:
    """`Tue Nov  3 11:34:40 2020` (the day padded with a space or a zero) in zone `tz`."""
    parts = text.split()
    if len(parts) != 5:
        raise BadDate(f"not a ctime date: {text!r}")
    _, month_name, day_text, clock, year_text = parts
    month, day = MONTHS.get(month_name.lower()), read_int(day_text, 31)
    year = read_int(year_text, 9999)
    hms = [read_int(part, 59) for part in clock.split(":")]
    if month is None or day is None or year is None or len(hms) != 3 or None in hms:
        raise BadDate(f"not a ctime date: {text!r}")
    if year not in YEARS:
        raise BadDate(f"year out of range: {year}")
    try:
        return datetime(year, month, day, hms[0], hms[1], hms[2], tzinfo=tz)
    except ValueError:
        raise BadDate(f"no such date: {text!r}") from None
