"""Times printed without their year (`M/D H:MM`), as licence managers print a seat's start."""

from __future__ import annotations

from datetime import datetime, tzinfo


def latest_such_time(month: int, day: int, hour: int, minute: int, *, reference: datetime,
                     tz: tzinfo) -> datetime:
    """The most recent such time not after `reference`'s date (the status's own date). A 29
    February falls back to the last leap year. ValueError for a date no year has."""
    year = reference.year
    if (month, day) > (reference.month, reference.day):
        year -= 1
    for candidate in range(year, year - 8, -1):
        try:
            return datetime(candidate, month, day, hour, minute, tzinfo=tz)
        except ValueError:
            continue
    raise ValueError(f"no such date: {month}/{day}")
