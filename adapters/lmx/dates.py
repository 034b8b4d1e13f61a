"""Dates and times as lmxendutil prints them.

lmxendutil writes `2022-02-17` and `2022-02-18 09:26`, but on a server whose locale is not
English it may print the system's own short form (`17.02.2022`, `17/02/2022`, `2/17/2022`,
`2022/02/17`, `17-Feb-2022`, with `09:26:00` or `9:26 PM`). The order is told from the
text itself: a 4-digit first field is a year (year-month-day), dots mean day-month-year,
and slashes are read month-first unless the first number cannot be a month. `NONE` (no
start date) and the words for a licence that never ends give None.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo

from lmconsole.numbers import read_int

# The years a printed time may name: a datetime in them converts to any zone and back.
YEARS = range(1970, 9999)
KNOWN_MAX = 100_000  # times remembered by known_moment
NEVER = frozenset({"none", "never", "permanent", "unlimited", "no expiration", "n/a", "-"})

_DATE = re.compile(r"([0-9]{1,4})([-./])([0-9]{1,2})\2([0-9]{1,4})")
_NAMED = re.compile(r"([0-9]{1,2})[-. ]([^\W\d_]{3,9})\.?[-. ]([0-9]{4})")  # 17-Feb-2022
MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
MONTHS |= {"jän": 1, "mär": 3, "mai": 5, "okt": 10, "dez": 12}  # German abbreviations
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?")


class BadDate(ValueError):
    pass


def parse_day(text: str) -> date | None:
    """A start or expiry date; None for NONE and the words of a licence that never ends.
    BadDate: not a date, or no such day."""
    text = text.strip()
    if text.lower() in NEVER:
        return None
    return _date_of(text)


def parse_moment(text: str, tz: tzinfo) -> datetime:
    """A login, checkout or borrow-expiry time, `2022-02-18 09:26`, in zone `tz`.
    BadDate: not such a time."""
    text = text.strip()
    day_text, _, clock_text = text.rpartition(" ") if " " in text else text.partition("T")
    if clock_text.upper() in ("AM", "PM", "A.M.", "P.M."):  # `3/4/2026 9:12 PM`
        day_text, _, hours = day_text.rpartition(" ")
        clock_text = f"{hours} {clock_text}"
    clock = _CLOCK.fullmatch(clock_text.strip())
    if clock is None:
        raise BadDate(f"not a date and time: {text!r}")
    day = _date_of(day_text.strip())
    hour, minute = read_int(clock[1], 99), read_int(clock[2], 99)
    second = read_int(clock[3], 99) if clock[3] else 0
    if clock[4]:  # a 12-hour clock
        if not 1 <= hour <= 12:
            raise BadDate(f"no such time: {text!r}")
        hour = hour % 12 + (12 if clock[4] in "Pp" else 0)
    try:
        return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz)
    except ValueError:
        raise BadDate(f"no such time: {text!r}") from None


def known_moment(text: str, tz: tzinfo, known: dict[str, datetime | None]) -> datetime | None:
    """`text` as parse_moment reads it, None when it is no such time (nor one every zone can
    hold); `known` keeps the answers, for an output that repeats the same few minutes."""
    if text in known:
        return known[text]
    try:
        moment = parse_moment(text, tz)
        moment.astimezone(UTC)
    except (BadDate, OverflowError):
        moment = None
    if len(known) < KNOWN_MAX:
        known[text] = moment
    return moment


def _date_of(text: str) -> date:
    if (match := _DATE.fullmatch(text)) is not None:
        return _day(match)
    if (named := _NAMED.fullmatch(text)) is not None:
        month = MONTHS.get(named[2][:3].lower())
        if month is None:
            raise BadDate(f"no such month: {text!r}")
        return _checked(read_int(named[3], 9999), month, read_int(named[1], 99), text)
    raise BadDate(f"not a date: {text!r}")


def _day(match: re.Match) -> date:
    first, separator, middle, last = match.groups()
    numbers = [read_int(part, 9999) for part in (first, middle, last)]
    if len(first) == 4:
        year, month, day = numbers
    elif len(last) == 4:
        a, b, year = numbers
        month_first = separator == "/" and a <= 12
        month, day = (a, b) if month_first else (b, a)
    else:
        raise BadDate(f"a date without a 4-digit year: {match.group()!r}")
    return _checked(year, month, day, match.group())


def _checked(year: int, month: int, day: int, text: str) -> date:
    if year not in YEARS:
        raise BadDate(f"year out of range: {text!r}")
    try:
        return date(year, month, day)
    except ValueError:
        raise BadDate(f"no such date: {text!r}") from None
