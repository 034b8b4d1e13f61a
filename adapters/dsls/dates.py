"""Dates as the DS License Server prints them: `2025-01-01 00:59:00` (its CSV) and the date
alone (`2025-01-01`, dslsstat's expiry column)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from lmconsole.numbers import read_int

# The years a printed time may name: a datetime in them converts to any zone and back.
YEARS = range(1970, 9999)


class BadDate(ValueError):
    pass


def parse_day(text: str) -> date:
    """`2025-01-01` or `2025/01/01`, a time after it ignored."""
    day_text = text.strip().split(" ", 1)[0]
    parts = day_text.replace("/", "-").split("-")
    if len(parts) != 3:
        raise BadDate(f"not a date: {text!r}")
    year, month, day = read_int(parts[0], 9999), read_int(parts[1], 12), read_int(parts[2], 31)
    if year is None or month is None or day is None:
        raise BadDate(f"not a date: {text!r}")
    if year not in YEARS:
        raise BadDate(f"year out of range: {year}")
    try:
        return date(year, month, day)
    except ValueError:
        raise BadDate(f"no such date: {text!r}") from None


def parse_stamp(text: str, tz: tzinfo) -> datetime:
    """`2024-09-17 17:59:34` (seconds optional) in zone `tz`."""
    day_text, _, clock = text.strip().partition(" ")
    day = parse_day(day_text)
    parts = clock.strip().split(":")
    hms = [read_int(part, 59) for part in parts]
    if len(parts) not in (2, 3) or None in hms or hms[0] > 23:
        raise BadDate(f"not a time: {text!r}")
    hour, minute, second = (hms + [0])[:3]
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz)
