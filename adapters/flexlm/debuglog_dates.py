"""Dates in the FlexLM debug log: the day of each line, carried forward from the lines that
name one, rolled over at midnight and resolved across DST changes.

Lines carry only `H:MM:SS` (space-padded; plugin lines zero-padded) in the server's
local time. The date comes from `TIMESTAMP M/D/YYYY`, from lmgrd's start-up line
(`... started on HOST (IBM PC) (M/D/YYYY)`) and from SLOG lines that print a full date
(`Start-Date:`, `Time:`, `Reread time:`, and lmgrd's `Server's System Date and Time:`).
Between them the date is carried forward and rolls over at midnight: a line whose time of
day is more than WRAP_BACKSTEP_S (3 h) *earlier* than the latest time seen starts the next
day; a smaller backward step is lines written out of order by different daemons, or the
repeated hour at the end of daylight saving time, and stays on the same day. Symmetrically,
a line more than 21 h *later* than the latest one is an out-of-order line from just before
midnight. Why 3 h: out-of-order steps between daemons are seconds and a DST fall-back is
1 h (2 h in the odd zone), so they must stay below it; and since a midnight wrap moves the
clock back by 24 h minus the silence before it, a 3 h threshold still catches a wrap after
up to 21 h without a line (a quiet night in a log without TIMESTAMPs), where a 12 h one
would date the next morning's checkouts on the previous day. lmgrd writes a TIMESTAMP
every 6 h by default, so with the usual logs any threshold from 1 h to 18 h gives the same
dates, and every date line re-anchors the count. Ambiguous wall times (the repeated hour)
take the later instant once the earlier one would step back in time. Until the log names
a date, `start_date` (or, for a live tail, the day that puts the line nearest to now) is
assumed, and `dated` is False.

A "wall second" is `day ordinal * DAY_S + time of day`: the local date and time of a line
as one int, cheap to compare and to turn into a datetime.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo

from .dates import MONTHS

DAY_S = 86400
WRAP_BACKSTEP_S = 3 * 3600  # a step back in time of day beyond this is a midnight wrap
# A step from the latest time of day within these bounds stays on the same day (see _roll).
_SAME_DAY_MIN, _SAME_DAY_MAX = -WRAP_BACKSTEP_S, DAY_S - WRAP_BACKSTEP_S
FOLD_SLACK_S = 600  # in the repeated DST hour, the first instant unless it is this far back
MIN_YEAR, MAX_YEAR = 1970, 9000  # date lines outside this range are not believed

# Time prefixes, looked up rather than parsed: "HH:MM" or " H:MM" -> seconds, "SS" -> seconds
# (a leap second :60 counts as :59).
HOUR_MINUTE = {f"{h:{pad}2}:{m:02}": h * 3600 + m * 60
               for h in range(24) for m in range(60) for pad in ("0", " ")}
SECOND = {f"{s:02}": min(s, 59) for s in range(61)}
_MINUTES = [timedelta(minutes=minute) for minute in range(DAY_S // 60)]
_SECONDS = [timedelta(seconds=second) for second in range(60)]

_TIMESTAMP = re.compile(r"TIMESTAMP ([0-9]{1,2})/([0-9]{1,2})/([0-9]{2,4})\s*$")
# "started on h (6/9/2022)"
_STARTED_ON = re.compile(r"\(([0-9]{1,2})/([0-9]{1,2})/([0-9]{2,4})\)\s*$")
_FULL_DATE = re.compile(
    r"\w{3} (\w{3}) ([0-9]{1,2}) ([0-9]{4}) ([0-9]{1,2}):([0-9][0-9]):([0-9][0-9])\b")
_SLOG_DATES = ("Start-Date: ", "Time: ", "Reread time: ")
_SYSTEM_DATE = "Server's System Date and Time: "
# How the messages that may name a date begin (SLOG lines: "(@lmgrd-SLOG@) ..."); lmgrd's
# start-up line is the other one, with " started on " in it.
DATE_LINES = ("TIMESTAMP", "(@", _SYSTEM_DATE)


class LogCalendar:
    """The date of each line of one log, carried forward: the part of `DebugLogReader`
    that turns a line's time of day into a wall second (`_wall`) and that into an aware
    datetime (`_at`), and reads the lines that name a date (`_date_line`).

    `tz` is the licence server's zone; `start_date` the date of the first line, assumed
    until the log names one (default: the day that puts the first line nearest to now).
    `dated` tells whether the date now in use came from the log itself. The reader keeps
    `line_no`, the number of the line being read.
    """

    line_no: int

    def __init__(self, *, tz: tzinfo, start_date: date | None = None) -> None:
        self.tz = tz
        self.start_date = start_date
        self.dated = False
        self.first_day_shift = 0  # days the first date line moved the assumed date
        self.first_dated_line = 0  # the line that first named a date
        # The date carried forward: the wall second of the midnight before the latest
        # line, and that line's time of day.
        self._today: int | None = None
        self._last_tod = -10 * DAY_S  # before the first line: out of every range
        self._today_transition = False  # today has a DST change: resolve folds line by line
        self._first_day: int | None = None
        self._day_start = -DAY_S  # the day _at() last converted a time on, and its facts
        self._midnight = datetime(1970, 1, 1, tzinfo=tz)
        self._transition = False
        self._latest_utc: datetime | None = None  # on such days, the latest instant seen
        self._at_wall = -1  # the last wall second turned into a datetime, and the result
        self._at_value: datetime | None = None

    @property
    def date(self) -> date | None:
        """The date of the latest line read (None before the first timed line)."""
        return None if self._today is None else date.fromordinal(self._today // DAY_S)

    @property
    def first_line_date(self) -> date:
        """The date given to the first timed line (assumed, unless it was a date line)."""
        day = self._first_day if self._first_day is not None else self._initial_day(0)
        return date.fromordinal(day)

    @property
    def latest_at(self) -> datetime | None:
        """The moment of the latest timed line read, an event or not (a TIMESTAMP line
        shows the daemon still writing after its last event); None before the first."""
        if self._today is None:
            return None
        return self._at(self._today + self._last_tod)

    @property
    def log_start_date(self) -> date | None:
        """The date of the first timed line as the log's first date line implies it,
        counting back across the midnights before it; None until the log names a date."""
        if not self.dated:
            return None
        return self.first_line_date + timedelta(days=self.first_day_shift)

    # ---- a line's day ----------------------------------------------------------------

    def _wall(self, tod: int) -> int:
        """The wall second of a line at `tod`."""
        last_tod = self._last_tod
        if _SAME_DAY_MIN <= tod - last_tod <= _SAME_DAY_MAX:
            wall = self._today + tod
            if tod > last_tod:
                self._last_tod = tod
        else:
            wall = self._roll(tod)
        if self._today_transition:
            self._instant(wall)
        return wall

    def _roll(self, tod: int) -> int:
        """The wall second of a line whose time of day is far from the latest one: the first
        line; a midnight wrap (more than WRAP_BACKSTEP_S back: the next day); or a line
        from just before midnight written after one from just after it (more than
        DAY_S - WRAP_BACKSTEP_S ahead: the previous day, and the date stays)."""
        if self._today is None:
            self._first_day = self._initial_day(tod)
            self._set_today(self._first_day * DAY_S, tod)
        elif tod < self._last_tod:
            self._set_today(self._today + DAY_S, tod)
        else:
            return self._today - DAY_S + tod
        return self._today + tod

    def _set_today(self, today: int, tod: int) -> None:
        self._today, self._last_tod = today, tod
        if not self._day_start <= today < self._day_start + DAY_S:
            self._load_day(today // DAY_S)
        self._today_transition = self._transition

    def _initial_day(self, tod: int) -> int:
        if self.start_date is not None:
            return self.start_date.toordinal()
        now = self._now()
        today = now.date().toordinal()
        step = tod - (now.hour * 3600 + now.minute * 60 + now.second)
        if step > DAY_S // 2:
            return today - 1
        if step < -DAY_S // 2:
            return today + 1
        return today

    def _now(self) -> datetime:
        return datetime.now(self.tz)

    # ---- lines that name the date ------------------------------------------------------

    def _date_line(self, message: str, tod: int, wall: int) -> bool:
        """A message that begins with one of DATE_LINES or holds " started on ", of a
        line at `tod` (`wall` as counted so far): True when it named a believable date,
        from which dates now count."""
        if message.startswith("TIMESTAMP"):
            match = _TIMESTAMP.match(message)
            day = match and _day(int(match[3]), int(match[1]), int(match[2]))
        elif message.startswith("(@"):  # SLOG
            body = message[message.find("@) ") + 3:]
            day = body.startswith(_SLOG_DATES) and self._full_date(body, tod)
        elif message.startswith(_SYSTEM_DATE):
            day = self._full_date(message, tod)
        else:  # lmgrd's "... started on HOST (IBM PC) (M/D/YYYY)"
            match = _STARTED_ON.search(message)
            day = match and _day(int(match[3]), int(match[1]), int(match[2]))
        if not day:
            return False
        self._anchor(day * DAY_S + tod, wall)
        return True

    def _full_date(self, text: str, tod: int) -> int | None:
        """`... Thu May 05 2022 08:42:20 <zone name>`: the day of a line at `tod` (the
        zone name is localized and ignored; the server's zone is `tz`)."""
        match = _FULL_DATE.search(text)
        month = match and MONTHS.get(match[1].lower())
        day = month and _day(int(match[3]), month, int(match[2]))
        if not day:
            return None
        named = int(match[4]) * 3600 + int(match[5]) * 60 + int(match[6])
        # The line's own time, on the day nearest the time it names.
        offset = tod - named
        if offset < -DAY_S // 2:
            day += 1
        elif offset > DAY_S // 2:
            day -= 1
        return day

    def _anchor(self, wall: int, old_wall: int) -> None:
        """A line that names its own date: from here on, dates count from it."""
        if not self.dated:
            self.dated = True
            self.first_day_shift = round((wall - old_wall) / DAY_S)
            self.first_dated_line = self.line_no
        self._latest_utc = None
        tod = wall % DAY_S
        self._set_today(wall - tod, tod)

    # ---- wall seconds to datetimes -----------------------------------------------------

    def _load_day(self, day: int) -> None:
        when = date.fromordinal(day)
        self._day_start = day * DAY_S
        tz = self.tz
        self._midnight = midnight = datetime(when.year, when.month, when.day, tzinfo=tz)
        following = datetime.combine(when + timedelta(days=1), datetime.min.time(), tz)
        offset = midnight.utcoffset()
        self._transition = (offset != following.replace(fold=1).utcoffset()
                            or offset != midnight.replace(fold=1).utcoffset())
        self._at_wall = -1

    def _at(self, wall: int) -> datetime:
        """The aware datetime (in `tz`) of a wall second; remembers the last one."""
        if not self._day_start <= wall < self._day_start + DAY_S:
            self._load_day(wall // DAY_S)
        if self._transition:
            return self._instant(wall)
        tod = wall - self._day_start
        # On a day without a change of offset the wall time is midnight plus the time of
        # day; two additions of ready timedeltas cost a third of the datetime constructor.
        value = self._midnight + _MINUTES[tod // 60] + _SECONDS[tod % 60]
        self._at_wall, self._at_value = wall, value
        return value

    def _instant(self, wall: int) -> datetime:
        """On a day with a DST change: the wall time as an instant, taking the second of
        two (fold=1) when the first would step back in time."""
        day, tod = divmod(wall, DAY_S)
        when = date.fromordinal(day)
        hour, rest = divmod(tod, 3600)
        minute, second = divmod(rest, 60)
        value = datetime(when.year, when.month, when.day, hour, minute, second, tzinfo=self.tz)
        later = value.replace(fold=1)
        latest = self._latest_utc
        if (later.utcoffset() != value.utcoffset() and latest is not None
                and value.astimezone(UTC) < latest - timedelta(seconds=FOLD_SLACK_S)):
            value = later
        instant = value.astimezone(UTC)
        if latest is None or instant > latest:
            self._latest_utc = instant
        return value


def _day(year: int, month: int, mday: int) -> int | None:
    """The ordinal of a date a log line names, or None when it is not a believable date."""
    if year < 100:
        year += 2000
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, mday).toordinal()
    except ValueError:
        return None
