"""Parser for the FlexLM debug log: lmgrd and its vendor daemons writing into one file.

Incremental: `DebugLogReader.feed(line)` turns one line, as it is written, into at most one
`Event` (the live denials view shows a DENIED within a second of it being logged; only an
old FLEXlm usage line comes one line late, see Events);
`parse_debuglog(text)` reads a whole file. Neither raises on bad input nor prints: lines
that look like events but cannot be read become `Diagnostic`s, everything else that is not
an event (banners, SLOG blocks, feature lists, continuation and empty lines) is skipped.
The line format and its hazards are in shared/reference/formats.md section 3.

Time. Lines carry only `H:MM:SS` (space-padded; plugin lines zero-padded) in the server's
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
assumed, and `DebugLogReader.dated` is False.

Events. Usage lines (`OUT`, `IN`, `DENIED`, `QUEUED`, `DEQUEUED`, `UNSUPPORTED`) carry
feature, user@host and a tail: `(N licenses)` as the count, other parenthesised text as the
reason (`INACTIVE`, `REMOVED`, FlexLM's words for a denial) and its `(-4,342)` as the code,
and the vendor's own data as `extra` (the checkout data `[J3_7f0101_611_1]` before them,
FlexNet's verbose `^^^ ver user ip ... ^^^` after them). The user may contain spaces and
`@`, the host neither: the host follows the last `@` before the tail and ends at the first
space, so the two spaces that usually open the tail may be one. An UNSUPPORTED line's
requested key, between feature and user, is dropped. Old FLEXlm does not quote the feature
(`DENIED: DOORS u@h  [telelogic] `) and may write the parenthesised part on the next,
untimed, line; such a line without one is held back until the next line comes, and `feed`
returns it then (completed, when that line was its continuation); `flush()` gives it at
the end of the input. `EXPIRED: feature` has no user. The life-cycle events name the
daemon concerned, not the one that wrote the line:
- RESTARTED: lmgrd's `REStarted VENDOR (internet tcp_port P pid N)`; the reason is the text
  in parentheses.
- REREAD: each vendor daemon's own `...Finished rereading`, i.e. once per daemon that has
  its new licence and options files in effect. Not lmgrd's `Rereading license file...` or
  `Done rereading` (the latter is also printed at every start-up); lmgrd's
  `Requested from user@host` gives the event its user and host.
- SHUTDOWN: a daemon going down: `EXITING ...`, `daemon shutdown requested`, lmgrd's
  `Shutting down VENDOR ...` and `VENDOR exited with status N`; the several lines of one
  stop make one event, and `SHUTDOWN request from USER at node HOST` names who asked. A
  daemon's own last words carry the line it logged just before them, which says why
  (`Cannot open daemon lock file; EXITING DUE TO SIGNAL 41 Exit reason 9`). What lmgrd
  adds after them (`... exited with status 41 (Exited because another server was
  running)`) comes too late for the event, which has been returned by then.
lmgrd's `MULTIPLE "VENDOR" license server systems running` becomes a diagnostic: a second
copy of the vendor daemon is serving, which no event kind describes.
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo

from lmconsole.model import Diagnostic, Event, EventKind

from .dates import MONTHS

DAY_S = 86400
WRAP_BACKSTEP_S = 3 * 3600  # a step back in time of day beyond this is a midnight wrap
FOLD_SLACK_S = 600  # in the repeated DST hour, the first instant unless it is this far back
REQUEST_WINDOW_S = 300  # a "Requested from"/"SHUTDOWN request from" names who did it
SHUTDOWN_REPEAT_S = 60  # lmgrd's "Shutting down X" and X's own "EXITING": one event
MAX_DIAGNOSTICS = 1000  # a reader that follows a log for weeks keeps at most this many
MIN_YEAR, MAX_YEAR = 1970, 9000  # date lines outside this range are not believed
MAX_CACHED_TAILS = 4096  # distinct "(N licenses) (reason)" tails remembered

_USAGE_KINDS = {
    "OUT": EventKind.OUT,
    "IN": EventKind.IN,
    "DENIED": EventKind.DENIED,
    "QUEUED": EventKind.QUEUED,
    "DEQUEUED": EventKind.DEQUEUED,
    "UNSUPPORTED": EventKind.UNSUPPORTED,
}
_EVENT_WORDS = frozenset([*_USAGE_KINDS, "EXPIRED", "REStarted", "Restarted"])
# Lines of an orderly shutdown: they do not say why a daemon exits.
_SHUTDOWN_STEPS = ("lmgrd will now shut down", "Shutting down ")
# Time prefixes, looked up rather than parsed: "HH:MM" or " H:MM" -> seconds, "SS" -> seconds
# (a leap second :60 counts as :59).
_HOUR_MINUTE = {f"{h:{pad}2}:{m:02}": h * 3600 + m * 60
                for h in range(24) for m in range(60) for pad in ("0", " ")}
_SECOND = {f"{s:02}": min(s, 59) for s in range(61)}
_new_tuple = tuple.__new__

_TIMESTAMP = re.compile(r"TIMESTAMP (\d{1,2})/(\d{1,2})/(\d{2,4})\s*$")
_STARTED_ON = re.compile(r"\((\d{1,2})/(\d{1,2})/(\d{2,4})\)\s*$")  # "started on h (6/9/2022)"
_FULL_DATE = re.compile(r"\w{3} (\w{3}) (\d{1,2}) (\d{4}) (\d{1,2}):(\d\d):(\d\d)\b")
_SLOG_DATES = ("Start-Date: ", "Time: ", "Reread time: ")
_SYSTEM_DATE = "Server's System Date and Time: "
_RESTARTED = re.compile(r"(?:REStarted|Restarted) (\S+)(?: \((.*)\))?\s*$")
_REQUESTED = re.compile(r"Rereading license file\.\.\. Requested from (\S+)")
_SHUTDOWN_BY = re.compile(r"SHUTDOWN request from (.+) at node (\S+)")
_COUNT = re.compile(r"(\d{1,9}) licenses?")
# "(-4,342)"; a WinSock errno may follow, with its text or (empty) just a space.
_CODE = re.compile(r'\(-\d{1,6},-?\d{1,9}(?::-?\d{1,9})?(?: "[^"]*"| )?\)')
# The whole usage line: time, daemon, kind, feature, the key of an UNSUPPORTED, user@host
# and perhaps more (words joined by single spaces; two spaces end them) and the tail.
_USAGE_LINE = re.compile(r'((?:[01][0-9]|2[0-3]| [0-9]):[0-5][0-9]):([0-5][0-9]|60) '
                         r'\(([^()]+)\) (OUT|IN|DENIED|QUEUED|DEQUEUED|UNSUPPORTED): '
                         r'"([^"]+)" (?:\([^()]*\) )?([^" ]+(?: [^" ]+)*)(?:  (.*)| ?)\Z',
                         re.DOTALL)
_TAILS: dict[str, tuple[int, str | None, str | None, str | None]] = {"": (1, None, None, None)}
# An event glued to another line, or missing its time prefix.
_EVENT_ANYWHERE = re.compile(r'(?:^|\) )(?:OUT|IN|DENIED|QUEUED|DEQUEUED|UNSUPPORTED): "')

# The short words the UI shows for a denial, by FLEXlm major error code.
_DENIAL_WORDS = {
    -1: "no licence file",
    -3: "no server for feature",
    -4: "pool full",
    -5: "no such feature",
    -8: "bad licence key",
    -9: "invalid host",
    -10: "expired",
    -15: "server unreachable",
    -18: "not supported by server",
    -21: "licence too old for version",
    -24: "others queued",
    -25: "version not supported",
    -31: "not yet valid",
    -34: "client clock off",
    -35: "queued",
    -38: "on EXCLUDE list",
    -39: "not on INCLUDE list",
    -41: "never checked out",
    -87: "over MAX",
    -96: "server down",
    -97: "vendor daemon down",
    -101: "reserved for others",
}


def denial_reason_words(code: str | None, reason: str | None) -> str:
    """A few words for a denial, by its FLEXlm major code (`"-4,342"` -> "pool full");
    FlexLM's own text (without its final full stop) when the code is unknown; "denied"
    when there is neither."""
    if code:
        major = code.split(",", 1)[0].split(":", 1)[0].strip()
        if major.startswith("-") and major[1:].isdigit() and len(major) < 8:
            words = _DENIAL_WORDS.get(int(major))
            if words is not None:
                return words
    return (reason or "").strip().rstrip(".") or "denied"


def parse_debuglog(text: str, *, tz: tzinfo, server: str | None = None,
                   start_date: date | None = None) -> tuple[list[Event], list[Diagnostic]]:
    """Parse a whole debug log (a leading BOM and CRLF line ends are fine).

    Events before the log's first date line are dated by counting back from it; when the
    log names no date at all, `start_date` is the first line's date (default: the day
    that puts the first line nearest to now in `tz`), and without `start_date` a
    diagnostic says so.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    reader = DebugLogReader(tz=tz, server=server, start_date=start_date)
    events = _feed_all(reader, lines)
    if reader.first_day_shift and events and events[0].line < reader.first_dated_line:
        # The first date line disagreed with the date assumed for the lines before it:
        # read again from the corrected start, so that those lines get the right date.
        corrected = reader.first_line_date + timedelta(days=reader.first_day_shift)
        reader = DebugLogReader(tz=tz, server=server, start_date=corrected)
        events = _feed_all(reader, lines)
    diagnostics = list(reader.diagnostics)
    if reader.dropped_diagnostics:
        diagnostics.append(Diagnostic(
            len(lines), f"{reader.dropped_diagnostics} more lines not understood", "", server))
    if events and not reader.dated and start_date is None:
        diagnostics.append(Diagnostic(
            events[0].line or 1,
            f"the log names no date (no TIMESTAMP, start-up or SLOG date line): dates "
            f"assumed from {reader.first_line_date.isoformat()}; give the log's start date",
            "", server))
    return events, diagnostics


def _feed_all(reader: DebugLogReader, lines: list[str]) -> list[Event]:
    feed = reader.feed
    events = []
    append = events.append
    with _collector_paused():
        for line in lines:
            event = feed(line)
            if event is not None:
                append(event)
    held = reader.flush()
    if held is not None:
        append(held)
    return events


@contextmanager
def _collector_paused():
    """Pause Python's cycle collector while a whole log is read. Every event it keeps is
    a tuple holding an EventKind, which the collector tracks, so with it running a fifth of
    the time goes to collections that cannot free anything: reading creates no cycles."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


class DebugLogReader:
    """Reads one server's debug log line by line, carrying the date forward.

    `tz` is the licence server's zone; `server` names it in events and diagnostics;
    `start_date` is the date of the first line read, assumed until the log names one
    (default: the day that puts the first line nearest to now, which is right for a live
    tail). `dated` tells whether the date now in use came from the log itself. An old
    FLEXlm usage line's event comes with the next line (see `feed`); at the end of the
    input, `flush()` returns it if no line came after it.
    """

    def __init__(self, *, tz: tzinfo, server: str | None = None,
                 start_date: date | None = None) -> None:
        self.tz = tz
        self.server = server
        self.start_date = start_date
        self.diagnostics: list[Diagnostic] = []
        self.dropped_diagnostics = 0
        self.line_no = 0
        self.dated = False
        self.first_day_shift = 0  # days the first date line moved the assumed date
        self.first_dated_line = 0  # the line that first named a date
        # The date carried forward: the wall second ("day ordinal * DAY_S + time of day")
        # of the midnight before the latest line, and that line's time of day.
        self._today: int | None = None
        self._last_tod = -10 * DAY_S  # before the first line: out of every range
        self._today_transition = False  # today has a DST change: resolve folds line by line
        self._first_day: int | None = None
        self._day_start = -DAY_S  # the day _at() last converted a time on, and its facts
        self._ymd = (1970, 1, 1)
        self._transition = False
        self._latest_utc: datetime | None = None  # on such days, the latest instant seen
        self._at_wall = -1  # the last wall second turned into a datetime, and the result
        self._at_value: datetime | None = None
        self._reread_by: tuple[str, str | None, int] | None = None
        self._shutdown_by: tuple[str, str | None, int] | None = None
        self._shut_down: dict[str, int] = {}  # daemon -> when its SHUTDOWN was reported
        self._last_note: tuple[str, str, int] | None = None  # daemon, message, line number
        self._held: Event | None = None  # an event read but not yet returned (see feed)
        self._held_open = False  # ... which the next line may complete

    # ---- what the reader knows -------------------------------------------------------

    @property
    def date(self) -> date | None:
        """The date of the latest line read (None before the first timed line)."""
        return None if self._today is None else date.fromordinal(self._today // DAY_S)

    @property
    def first_line_date(self) -> date:
        """The date given to the first timed line (assumed, unless it was a date line)."""
        day = self._first_day if self._first_day is not None else self._initial_day(0)
        return date.fromordinal(day)

    # ---- one line ----------------------------------------------------------------------

    def feed(self, line: str) -> Event | None:
        """One line of the log, without its line end (a trailing CR or LF is dropped).
        Returns the event it reports, if any; after an event held back (an old FLEXlm usage
        line, whose reason may follow on this line), that event instead."""
        if self._held is not None:
            return self._feed_after_held(line)
        self.line_no += 1
        try:
            # The hot path, tuned because a busy server logs 100,000 of these a day:
            # OUT, IN, DENIED, QUEUED, DEQUEUED, UNSUPPORTED in their usual form.
            usage = _USAGE_LINE.match(line)
            if usage is None:
                repaired = self._repair(line)
                if repaired is None:
                    return None
                usage = _USAGE_LINE.match(repaired) if repaired is not line else None
                if usage is None:
                    return self._other_line(repaired)
            clock, seconds, daemon, word, feature, who, tail = usage.groups()
            wall = self._wall(_HOUR_MINUTE[clock] + _SECOND[seconds])
            if tail is None:  # no two-space gap: the trailing spaces were stripped
                who, tail = who.rstrip(), ""
            at_sign = who.rfind("@")
            host = who[at_sign + 1:]
            if at_sign <= 0 or " " in host:  # no host, or a tail after a single space
                return self._usage(word, daemon, feature, who, tail, wall, line)
            count, reason, code, extra = _TAILS.get(tail) or _read_tail(tail)
            at = self._at_value if wall == self._at_wall else self._at(wall)
            # tuple.__new__ builds the NamedTuple without its keyword-handling __new__:
            # the same fields in the same order, in half the time.
            return _new_tuple(Event, (at, _USAGE_KINDS[word], daemon, feature, who[:at_sign],
                                      host or None, count, reason, code, self.server,
                                      self.line_no, extra))
        except Exception as error:  # noqa: BLE001 - the contract: never raise on input
            self._diagnose(f"internal error reading this line: {error!r}", line)
            return None

    def flush(self) -> Event | None:
        """At the end of the input: the event still held back for its next line, if any."""
        held, self._held = self._held, None
        return held

    def _feed_after_held(self, line: str) -> Event | None:
        """Returns the held event: completed by this line when it is the continuation
        (`(Licensed number of users already reached. (-4,342))` alone on a line), else as
        it is, holding back what this line gives until the next one."""
        held, self._held = self._held, None
        text = line.strip()
        if self._held_open and text[:1] == "(" and text[-1:] == ")":
            self.line_no += 1
            count, reason, code, extra = _read_tail(text)
            return held._replace(count=count, reason=reason, code=code,
                                 extra=_joined(held.extra, extra))
        event = self.feed(line)
        if event is not None:
            self._held, self._held_open = event, False
        return held

    def _repair(self, line: str) -> str | None:
        """Any line but a well-formed usage line: drop a BOM and the line end, restore the
        leading space some tools strip from ` H:MM:SS`. Returns the line (the same object
        when nothing changed), or None when it has no `H:MM:SS (daemon)` prefix: those are
        continuation and empty lines, skipped."""
        if line[:1] == "\ufeff" or line[-1:] in ("\r", "\n"):
            line = line.lstrip("\ufeff").rstrip("\r\n")
        if len(line) > 9 and line[1] == ":" and line[4] == ":" and line[8] == "(":
            line = " " + line
        if (len(line) < 10 or line[8:10] != " (" or _HOUR_MINUTE.get(line[:5]) is None
                or line[5] != ":" or _SECOND.get(line[6:8]) is None):
            self._untimed(line)
            return None
        return line

    def _wall(self, tod: int) -> int:
        """The wall second ("day ordinal * DAY_S + time of day") of a line at `tod`."""
        last_tod = self._last_tod
        if -WRAP_BACKSTEP_S <= tod - last_tod <= DAY_S - WRAP_BACKSTEP_S:
            wall = self._today + tod
            if tod > last_tod:
                self._last_tod = tod
        else:
            wall = self._roll(tod)
        if self._today_transition:
            self._instant(wall)
        return wall

    def _untimed(self, line: str) -> None:
        """A continuation line, an empty line, or something that lost its time prefix."""
        if ': "' in line and _EVENT_ANYWHERE.search(line):
            self._diagnose("an event without a valid `H:MM:SS (daemon)` prefix: not read", line)

    # ---- events --------------------------------------------------------------------------

    def _usage(self, word: str, daemon: str, feature: str, who: str, tail: str, wall: int,
               line: str) -> Event | None:
        """A usage line off the hot path: without user@host, or with text after the host
        that only one space divides from it."""
        if not who.strip():
            return self._bad(word, line)
        user, host, rest = _split_who(who)
        if host is None:
            self._diagnose(f"{word} line without user@host: read {who!r} as the user", line)
        count, reason, code, extra = _read_tail(f"{rest}  {tail}" if rest else tail)
        return Event(self._at(wall), _USAGE_KINDS[word], daemon, feature, user, host, count,
                     reason, code, self.server, self.line_no, extra)

    def _unquoted_usage(self, daemon: str, word: str, rest: str, wall: int,
                        line: str) -> Event | None:
        """Old FLEXlm's usage line, the feature not quoted: `OUT: DOORS u@h  [telelogic] `.
        Without a parenthesised part it is held back: that may be on the next line."""
        feature, _, after = rest.strip().partition(" ")
        if not feature or feature[0] == '"' or "@" not in after:
            return self._bad(word, line)
        who, _, tail = after.partition("  ")
        event = self._usage(word, daemon, feature, who, tail, wall, line)
        if "(" in who[who.find("@"):] or "(" in tail:
            return event
        self._held, self._held_open = event, True
        return None

    def _other_line(self, line: str) -> Event | None:
        """Every timed line that is not a well-formed usage line."""
        tod = _HOUR_MINUTE[line[:5]] + _SECOND[line[6:8]]
        wall = self._wall(tod)
        close = line.find(") ", 10)
        if close < 0:
            if line[-1] != ")":
                self._untimed(line)
                return None
            daemon, message = line[10:-1], ""
        else:
            daemon, message = line[10:close], line[close + 2:]
        colon = message.find(":", 0, 12)
        if colon > 0:
            if message[:colon] == "EXPIRED":
                return self._expired(daemon, message[colon + 1:], wall, line)
            if message[:colon] in _USAGE_KINDS:
                return self._unquoted_usage(daemon, message[:colon], message[colon + 1:],
                                            wall, line)
        return self._other(daemon, message, tod, wall, line)

    def _expired(self, daemon: str, rest: str, wall: int, line: str) -> Event | None:
        """`EXPIRED: feature` (unquoted, no user)."""
        rest = rest.strip()
        if rest[:1] == '"':
            feature, _, reason = rest[1:].partition('"')
        else:
            feature, _, reason = rest.partition(" ")
        if not feature:
            return self._bad(EventKind.EXPIRED, line)
        return Event(self._at(wall), EventKind.EXPIRED, daemon, feature,
                     reason=reason.strip() or None, server=self.server, line=self.line_no)

    def _other(self, daemon: str, message: str, tod: int, wall: int,
               line: str) -> Event | None:
        """Date lines, daemon life-cycle lines and the noise between them."""
        if message.startswith("TIMESTAMP"):
            match = _TIMESTAMP.match(message)
            day = match and _day(int(match[3]), int(match[1]), int(match[2]))
            if day:
                self._anchor(day * DAY_S + tod, wall)
            else:
                self._diagnose("TIMESTAMP line without a valid M/D/YYYY date", line)
        elif message.startswith("(@"):  # SLOG
            body = message[message.find("@) ") + 3:]
            if body.startswith(_SLOG_DATES):
                self._full_date(body, tod, wall)
        elif message.startswith(_SYSTEM_DATE):
            self._full_date(message, tod, wall)
        elif " started on " in message:
            match = _STARTED_ON.search(message)
            day = match and _day(int(match[3]), int(match[1]), int(match[2]))
            if day:
                self._anchor(day * DAY_S + tod, wall)
        elif message.startswith(("REStarted ", "Restarted ")):
            match = _RESTARTED.match(message)
            if match is None:
                return self._bad(EventKind.RESTARTED, line)
            self._shut_down.pop(match[1], None)
            return Event(self._at(wall), EventKind.RESTARTED, match[1], reason=match[2],
                         server=self.server, line=self.line_no)
        elif message.startswith("Rereading license file... Requested from "):
            match = _REQUESTED.match(message)
            if match:
                user, _, host = match[1].rpartition("@")
                self._reread_by = (user or match[1], host if user else None, wall)
        elif message.startswith("...Finished rereading"):
            if daemon != "lmgrd":  # lmgrd says so too, before its vendor daemons are done
                user, host = _requester(self._reread_by, wall)
                return Event(self._at(wall), EventKind.REREAD, daemon, user=user, host=host,
                             server=self.server, line=self.line_no)
        elif message.startswith("SHUTDOWN request from "):
            match = _SHUTDOWN_BY.match(message)
            if match:
                self._shutdown_by = (match[1], match[2], wall)
        elif message.startswith(("EXITING", "daemon shutdown requested")):
            return self._shutdown(daemon, self._with_cause(daemon, message.strip()), wall)
        elif daemon == "lmgrd" and message.startswith("Shutting down "):
            words = message.split()
            if len(words) > 2:
                return self._shutdown(words[2], message, wall)
        elif daemon == "lmgrd" and " exited with status " in message:
            return self._shutdown(message.split(" ", 1)[0], message, wall)
        elif daemon == "lmgrd" and message.startswith("Started "):
            self._shut_down.pop(message[8:].split(" ", 1)[0], None)
        elif message.startswith("MULTIPLE "):
            vendor = message.split('"')[1] if message.count('"') > 1 else "vendor daemon"
            self._diagnose(f"a second {vendor} is serving (another lmgrd, or one left running "
                           f"by a killed lmgrd), so the new one exited: stop the other copy, "
                           f"then run lmreread", line)
        else:
            first = message.split(" ", 1)[0].rstrip(":")
            if first in _EVENT_WORDS:
                self._diagnose(f"{first} line not understood: not read as an event", line)
            elif message.strip() and not message.startswith(_SHUTDOWN_STEPS):
                self._last_note = (daemon, message.strip(), self.line_no)
        return None

    def _with_cause(self, daemon: str, last_words: str) -> str:
        """A daemon's last words, after the line it logged just before them: that says
        why it exits (`Cannot open daemon lock file`)."""
        note = self._last_note
        if note is None or note[2] != self.line_no - 1 or note[0] != daemon:
            return last_words
        return f"{note[1]}; {last_words}"

    def _shutdown(self, daemon: str, message: str, wall: int) -> Event | None:
        """A daemon going down; lmgrd's "Shutting down X" and X's own last words are one
        event."""
        reported = self._shut_down.get(daemon)
        if reported is not None and 0 <= wall - reported <= SHUTDOWN_REPEAT_S:
            return None
        self._shut_down[daemon] = wall
        user, host = _requester(self._shutdown_by, wall)
        return Event(self._at(wall), EventKind.SHUTDOWN, daemon, user=user, host=host,
                     reason=message.strip(), server=self.server, line=self.line_no)

    def _bad(self, kind: EventKind | str, line: str) -> None:
        self._diagnose(f"{kind} line not understood: not read as an event", line)
        return None

    def _diagnose(self, message: str, line: str) -> None:
        if len(self.diagnostics) < MAX_DIAGNOSTICS:
            self.diagnostics.append(Diagnostic(self.line_no, message, line, self.server))
        else:
            self.dropped_diagnostics += 1

    # ---- dates and times -----------------------------------------------------------------

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

    def _anchor(self, wall: int, old_wall: int) -> None:
        """A line that names its own date: from here on, dates count from it."""
        if not self.dated:
            self.dated = True
            self.first_day_shift = round((wall - old_wall) / DAY_S)
            self.first_dated_line = self.line_no
        self._latest_utc = None
        tod = wall % DAY_S
        self._set_today(wall - tod, tod)

    def _full_date(self, text: str, tod: int, wall: int) -> None:
        """`... Thu May 05 2022 08:42:20 <zone name>`: the zone name is localized and
        ignored; the server's zone is `tz`."""
        match = _FULL_DATE.search(text)
        month = match and MONTHS.get(match[1].lower())
        day = month and _day(int(match[3]), month, int(match[2]))
        if not day:
            return
        named = int(match[4]) * 3600 + int(match[5]) * 60 + int(match[6])
        # The line's own time, on the day nearest the time it names.
        offset = tod - named
        if offset < -DAY_S // 2:
            day += 1
        elif offset > DAY_S // 2:
            day -= 1
        self._anchor(day * DAY_S + tod, wall)

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

    def _load_day(self, day: int) -> None:
        when = date.fromordinal(day)
        self._day_start = day * DAY_S
        self._ymd = (when.year, when.month, when.day)
        tz = self.tz
        midnight = datetime(when.year, when.month, when.day, tzinfo=tz)
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
        year, month, mday = self._ymd
        value = datetime(year, month, mday, tod // 3600, tod // 60 % 60, tod % 60,
                         tzinfo=self.tz)
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


def _requester(request: tuple[str, str | None, int] | None,
               wall: int) -> tuple[str | None, str | None]:
    if request is not None and 0 <= wall - request[2] <= REQUEST_WINDOW_S:
        return request[0], request[1]
    return None, None


def _split_who(who: str) -> tuple[str, str | None, str]:
    """`user@host`, perhaps with a tail after one space: (user, host, tail). The user may
    hold spaces and `@`, the host neither: it follows the last `@` before the tail (which
    may hold `@` too) and ends at the first space. Without an `@`, all is the user."""
    first = who.find("@")
    end = len(who)
    for opening in (" (", " [", " ^^^"):
        found = who.find(opening, first)
        if 0 <= found < end:
            end = found
    at_sign = who.rfind("@", 0, end)
    if at_sign <= 0:
        return who.strip(), None, ""
    host, _, rest = who[at_sign + 1:].partition(" ")
    return who[:at_sign], host or None, rest.strip()


def _read_tail(tail: str) -> tuple[int, str | None, str | None, str | None]:
    """What follows the two spaces after user@host: parenthesised groups such as
    `(3 licenses)`, `(INACTIVE)` or `(Licensed number ... reached. (-4,342))`, after the
    vendor's `[checkout data]` and before FlexNet's verbose `^^^ ... ^^^`.
    Returns (count, reason, code, extra). A log repeats a handful of tails; they are
    cached."""
    text, extra = _vendor_data(tail.strip())
    if text[:1] == "(" and text[-1:] == ")" and ") (" not in text:
        groups = [text[1:-1]]  # one group (the usual case), perhaps with a code inside
    else:
        groups = _groups(text)
    count, code = 1, None
    reasons = []
    for group in groups:
        if "license" in group and _COUNT.fullmatch(group):
            count = int(group.partition(" ")[0])
            continue
        if code is None and group.endswith(")"):
            start = group.rfind("(-")
            if start >= 0 and _CODE.fullmatch(group, start):
                code = group[start + 1:-1].rstrip()
                group = group[:start].rstrip()
        if group:
            reasons.append(group)
    parsed = (count, " ".join(reasons) or None, code, extra)
    if len(_TAILS) < MAX_CACHED_TAILS:
        _TAILS[tail] = parsed
    return parsed


def _vendor_data(text: str) -> tuple[str, str | None]:
    """Splits `[checkout data] (groups) ^^^ verbose ^^^` into the groups and the rest."""
    parts = []
    if text[:1] == "[" and "]" in text:
        end = text.index("]") + 1
        parts.append(text[:end])
        text = text[end:].lstrip()
    verbose = text.find("^^^")
    if verbose >= 0:
        parts.append(text[verbose:])
        text = text[:verbose].rstrip()
    return text, " ".join(parts) or None


def _joined(first: str | None, second: str | None) -> str | None:
    return " ".join(part for part in (first, second) if part) or None


def _groups(text: str) -> list[str]:
    """Split `(a) (b (c)) d` into its balanced parenthesised groups and the bare text
    between them: ["a", "b (c)", "d"]."""
    groups = []
    i, size = 0, len(text)
    while i < size:
        if text[i] == " ":
            i += 1
        elif text[i] == "(":
            depth, j = 0, i
            while j < size:
                if text[j] == "(":
                    depth += 1
                elif text[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            groups.append(text[i + 1:j])
            i = j + 1
        else:
            j = text.find(" (", i)
            j = size if j < 0 else j
            groups.append(text[i:j].strip())
            i = j
    return groups
