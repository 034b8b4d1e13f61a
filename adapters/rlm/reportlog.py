"""Reader of an RLM ISV server's report log: checkouts, check-ins and true denials.

The records (RLM License Administration manual, "Reportlog File Format"), one per line, in
the "std", "detailed" and "small" formats:

    START hostname mm/dd/yyyy hh:mm                        (and TIMESTAMP mm/dd/yyyy hh:mm)
    OUT product version pool# user host "isv_def" count cur_use cur_resuse server_handle ...
        ... mm/dd hh:mm:ss[.tenths]   (small: OUT product version user host "isv_def" count
        server_handle share_handle hh:mm)
    IN why product version user host "isv_def" count cur_use cur_resuse server_handle
        mm/dd hh:mm:ss[.tenths]       (small: IN why count server_handle hh:mm)
    DENY product version user host "isv_def" count why last_attempt mm/dd hh:mm[:ss]

A denial with last_attempt 0 is not a true denial: the application goes on to try another
server (the manual: only last attempts are application denials), so only last attempts
become DENIED events. Times carry no year: it comes from the START and TIMESTAMP records,
and a month earlier than the last one's means a new year. The small format's check-in
names only its handle: the checkout of that handle says what was checked in. Other records
(PRODUCT, INUSE, the header's text ...) are no events and are skipped; an OUT, IN or DENY
line that cannot be read is a Diagnostic. Never raises.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

from lmconsole.adapter import LineLogReader
from lmconsole.model import Diagnostic, Event, EventKind
from lmconsole.numbers import COUNT_MAX, read_int

from .dates import STATUS_YEARS

MAX_DIAGNOSTICS = 1000  # a reader that follows a log for weeks keeps at most this many
MAX_HANDLES = 100_000  # open checkouts of the small format remembered by handle
# Why a licence came back (the manual's check-in `why` values).
CHECKIN_REASONS = {
    "1": "checked in", "2": "application exited", "3": "removed by rlmremove",
    "4": "removed after timeout", "5": "hold or minimum checkout period expired",
    "6": "client requested dequeue", "7": "portable hostid removed", "8": "failed host back up",
    "9": "server lost its transferred licences", "10": "meter ran out",
    "11": "missed heartbeat",
}

_TOKEN = re.compile(r'"[^"]*"|\S+')
_FULL_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_DAY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?")
_EVENT_WORDS = {"OUT", "IN", "DENY"}


class ReportLogReader(LineLogReader):
    """Turns a report log, a line at a time as it is written, into events."""

    def __init__(self, *, tz: tzinfo, server: str | None = None,
                 start_date: date | None = None) -> None:
        super().__init__(tz=tz, server=server, start_date=start_date)
        self.isv = "rlm"  # until the `ISV: name, RLM version ...` header names it
        self.today = start_date  # the date the last dated record implies
        self.handles: dict[str, tuple[str, str, str]] = {}  # small format: handle -> who

    def feed(self, line: str) -> Event | None:
        self.line += 1
        word, _, rest = line.strip().partition(" ")
        if word in _EVENT_WORDS:
            return self.event(word, _TOKEN.findall(rest), line)
        if word in ("START", "TIMESTAMP"):
            self.dated(rest)
        elif word == "ISV:" and rest:
            self.isv = rest.partition(",")[0].strip() or self.isv
        return None

    def read_header(self, lines: list[str]) -> None:
        """The log's first lines, for a reader that starts past them (a log followed from
        its end): the ISV they name is every record's daemon."""
        for line in lines:
            word, _, rest = line.strip().partition(" ")
            if word == "ISV:" and rest:
                self.isv = rest.partition(",")[0].strip() or self.isv
                return

    # ---- records ------------------------------------------------------------------------------

    def dated(self, rest: str) -> None:
        match = _FULL_DATE.search(rest)
        if match is None:
            return
        month, day, year = (read_int(part, 9999) for part in match.groups())
        if year not in STATUS_YEARS:
            return
        try:
            self.today = date(year, month, day)
        except (TypeError, ValueError):
            return
        self.log_start_date = self.log_start_date or self.today

    def event(self, word: str, fields: list[str], line: str) -> Event | None:
        when = self.when(fields)
        if when is None:
            self.diagnose(f"{word} record without a readable time", line)
            return None
        at, position = when
        if at is None:
            self.diagnose(f"{word} record with an impossible date or time", line)
            return None
        if word == "OUT":
            return self.checkout(fields[:position], at, line)
        if word == "IN":
            return self.checkin(fields[:position], at, line)
        return self.denial(fields[:position], at, line)

    def checkout(self, fields: list[str], at: datetime, line: str) -> Event | None:
        if len(fields) >= 7 and fields[5].startswith('"'):
            product, _, _, user, host, isv_def, count, *rest = fields
            handles, small = rest[2:3], False
        elif len(fields) >= 6 and fields[4].startswith('"'):
            # small: product version user host "isv_def" count server_handle share_handle
            product, _, user, host, isv_def, count, *handles = fields
            small = True
        else:
            self.diagnose("unreadable checkout record", line)
            return None
        seats = read_int(count, COUNT_MAX)
        if seats is None:
            self.diagnose("unreadable licence count", line)
            return None
        if small and handles and handles[0] and len(self.handles) < MAX_HANDLES:
            self.handles[handles[0]] = (product, user, host)
        return self.make(at, EventKind.OUT, product, user, host, seats, extra=_unquoted(isv_def))

    def checkin(self, fields: list[str], at: datetime, line: str) -> Event | None:
        if len(fields) == 3:  # small: why count server_handle
            why, count, handle = fields
            known = self.handles.pop(handle, None)
            if known is None:
                self.diagnose("check-in of a handle whose checkout this log does not hold",
                              line)
                return None
            product, user, host = known
            isv_def = ""
        elif len(fields) >= 7:
            why, product, _, user, host, isv_def, count, *_ = fields
        else:
            self.diagnose("unreadable check-in record", line)
            return None
        seats = read_int(count, COUNT_MAX)
        if seats is None:
            self.diagnose("unreadable licence count", line)
            return None
        return self.make(at, EventKind.IN, product, user, host, seats,
                         reason=CHECKIN_REASONS.get(why, f"check-in reason {why}"[:40]),
                         extra=_unquoted(isv_def))

    def denial(self, fields: list[str], at: datetime, line: str) -> Event | None:
        if len(fields) < 8:
            self.diagnose("unreadable denial record", line)
            return None
        product, _, user, host, isv_def, count, why, last_attempt, *_ = fields
        seats, attempt = read_int(count, COUNT_MAX), read_int(last_attempt.lstrip("-"))
        if seats is None or attempt is None:
            self.diagnose("unreadable denial record", line)
            return None
        if attempt == 0:
            return None  # the application tries elsewhere: not a true denial
        code = why if read_int(why.lstrip("-")) is not None else None
        return self.make(at, EventKind.DENIED, product, user, host, seats, code=code,
                         reason="last attempt", extra=_unquoted(isv_def))

    # ---- helpers ------------------------------------------------------------------------------

    def when(self, fields: list[str]) -> tuple[datetime, int] | None:
        """The record's time and the index of its first field: `mm/dd hh:mm[:ss]` (the
        detailed format has fields after it), or the small format's lone `hh:mm` at the end."""
        for index in range(len(fields) - 1):
            day, clock = _DAY.fullmatch(fields[index]), _TIME.fullmatch(fields[index + 1])
            if day is not None and clock is not None:
                return self.moment(int(day[1]), int(day[2]), clock), index
        clock = _TIME.fullmatch(fields[-1]) if fields else None
        if clock is not None:
            today = self.reference_day()
            return self.moment(today.month, today.day, clock), len(fields) - 1
        return None

    def moment(self, month: int, day: int, clock: re.Match) -> datetime | None:
        hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        if self.today is None:  # no date yet (a live tail): the year nearest to now
            now = datetime.now(self.tz)
            year = now.year - (1 if (month, day) > (now.month, now.day + 1) else 0)
        else:
            year = self.today.year + (1 if month < self.today.month else 0)  # a new year
        try:
            at = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=self.tz)
        except ValueError:
            return None
        self.today = at.date()
        return at

    def reference_day(self) -> date:
        return self.today or datetime.now(self.tz).date()

    def make(self, at: datetime | None, kind: EventKind, product: str, user: str, host: str,
             count: int, *, reason: str | None = None, code: str | None = None,
             extra: str | None = None) -> Event | None:
        if at is None:
            return None
        return Event(at, kind, self.isv, product, _unquoted(user), _unquoted(host) or None,
                     count, reason, code, self.server, self.line, extra)

    def diagnose(self, message: str, line: str) -> None:
        if len(self.diagnostics) < MAX_DIAGNOSTICS:
            self.diagnostics.append(Diagnostic(self.line, message, line, self.server))


def _unquoted(text: str) -> str | None:
    text = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
    return text or None


parse_reportlog = ReportLogReader.read_text
