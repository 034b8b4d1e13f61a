"""What the status parsers of the smaller licence managers share: diagnostics, numbers read
without trusting the text, dates checked against what a datetime holds, and the lines that
say the utility failed rather than reported."""

from __future__ import annotations

import re
from datetime import date, datetime

from lmconsole.adapter import StatusReport
from lmconsole.model import Diagnostic, ServerStatus
from lmconsole.numbers import COUNT_MAX, is_ascii_number, read_int

# Words of a utility that could not report: a connection refused, a server not running.
_FAILURE = re.compile(r"\b(?:error|unable|cannot|can't|could not|couldn't|failed|failure|"
                      r"refused|timed out|timeout|not running|no such host|unknown host|"
                      r"not responding|no license server)\b", re.IGNORECASE)


def says_failure(text: str) -> bool:
    """Whether a line a parser did not understand reads as the utility's error message."""
    return _FAILURE.search(text) is not None


class Reading:
    """The diagnostics of one parse, and whether the text was the manager's output at all."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.diagnostics: list[Diagnostic] = []
        self.recognised = False

    def diagnose(self, number: int, message: str, text: str) -> None:
        self.diagnostics.append(Diagnostic(number, message, text[:200], self.name))

    def number(self, text: str | None, what: str, line: str, number: int,
               maximum: int = COUNT_MAX) -> int | None:
        """`text` as a whole number, or None said as a diagnostic."""
        if text is None:
            return None
        value = read_int(text, maximum)
        if value is None:
            if is_ascii_number(text):
                self.diagnose(number, f"{what} out of range (more than {maximum:,})", line)
            else:
                self.diagnose(number, f"{what} is not a number", line)
        return value

    def day(self, year: str, month: str, day: str, line: str, number: int,
            what: str = "expiry date") -> date | None:
        """A calendar date of ASCII digits, or None said as a diagnostic."""
        parts = read_int(year, 9999), read_int(month, 12), read_int(day, 31)
        try:
            if None not in parts and parts[0] >= 1:
                return date(*parts)
        except ValueError:
            pass
        self.diagnose(number, f"unreadable {what}", line)
        return None

    def report(self, servers: tuple[ServerStatus, ...], truncated_at: int | None = None
               ) -> StatusReport:
        return StatusReport(servers=servers,
                            diagnostics=tuple(sorted(self.diagnostics, key=lambda d: d.line)),
                            reported_at=None, recognised=self.recognised,
                            truncated_at=truncated_at)


def lines_of(text: str) -> list[tuple[int, str]]:
    """(1-based number, line without its end) of each line that is not blank, a BOM gone."""
    return [(number, line) for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1)
            if line.strip()]


def port_at_host(text: str) -> tuple[int | None, str | None]:
    """`31010@licserv` -> (31010, "licserv"); what is not one -> (None, None)."""
    port, at, host = text.partition("@")
    value = read_int(port, 65535)
    if not at or value is None or not host:
        return None, None
    return value, host


_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def month_number(name: str) -> int | None:
    """`Dec` -> 12; what is no English month's abbreviation -> None."""
    return _MONTHS.get(name[:3].lower()) if len(name) >= 3 else None


_CTIME = re.compile(r"(?:[A-Za-z]+,? +)?(?P<month>[A-Za-z]{3,}) +(?P<day>[0-9]+),? +"
                    r"(?:(?P<year1>[0-9]{4}) +)?(?P<hour>[0-9]+):(?P<minute>[0-9]+)"
                    r"(?::(?P<second>[0-9]+))?(?: +(?P<year2>[0-9]{4}))?")
_NUMERIC = re.compile(r"(?:(?P<year1>[0-9]{4})-(?P<month1>[0-9]+)-(?P<day1>[0-9]+)|"
                      r"(?P<month2>[0-9]+)/(?P<day2>[0-9]+)/(?P<year2>[0-9]{4}))"
                      r"(?:[ T](?P<hour>[0-9]+):(?P<minute>[0-9]+)(?::(?P<second>[0-9]+))?)?")


def moment(text: str, tz) -> datetime | None:
    """A date and time as licence managers print them, in zone `tz`: C's ctime (`Tue Jan 27
    10:31:48 2009`), `Wed Jan 1, 2025 00:00`, `2009-01-27[ 10:31[:48]]`, `01/27/2009[ ...]`.
    None: none of these, or no such moment."""
    text = text.strip()
    if (match := _CTIME.fullmatch(text)) is not None:
        month = month_number(match["month"])
        year = match["year1"] or match["year2"]
        day = match["day"]
    elif (match := _NUMERIC.fullmatch(text)) is not None:
        year = match["year1"] or match["year2"]
        month = read_int(match["month1"] or match["month2"], 12)
        day = match["day1"] or match["day2"]
    else:
        return None
    parts = [read_int(year, 9999), month, read_int(day, 31), read_int(match["hour"] or "0", 23),
             read_int(match["minute"] or "0", 59), read_int(match["second"] or "0", 59)]
    if None in parts or parts[0] < 1970:
        return None
    try:
        return datetime(*parts, tzinfo=tz)
    except ValueError:
        return None
