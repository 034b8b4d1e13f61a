"""What the status parsers of the smaller licence managers share: diagnostics, numbers read
without trusting the text, dates checked against what a datetime holds, and the lines that
say the utility failed rather than reported."""

from __future__ import annotations

import re
from datetime import date

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
