"""Parser for the FlexLM debug log: lmgrd and its vendor daemons writing into one file.

Incremental: `DebugLogReader.feed(line)` turns one line, as it is written, into at most one
`Event` (the live denials view shows a DENIED within a second of it being logged; only an
old FLEXlm usage line comes one line late, see Events);
`parse_debuglog(text)` reads a whole file. Neither raises on bad input nor prints: lines
that look like events but cannot be read become `Diagnostic`s, everything else that is not
an event (banners, SLOG blocks, feature lists, continuation and empty lines) is skipped.
The line format and its hazards are in shared/reference/formats.md section 3.

Time: lines carry only `H:MM:SS`; the date is carried forward from the lines that name
one and rolls over at midnight (debuglog_dates.py says how). Until the log names a
date, `start_date` is assumed and `DebugLogReader.dated` is False.

Events. Usage lines (`OUT`, `IN`, `DENIED`, `QUEUED`, `DEQUEUED`, `UNSUPPORTED`) carry
feature, user@host and a tail: the count, the reason, its code and the vendor's own data
(debuglog_usage.py reads them). The host ends at the first space, so the two spaces that
usually open the tail may be one. An UNSUPPORTED line's requested key, between feature
and user, is dropped. Old FLEXlm does not quote the feature
(`DENIED: DOORS u@h  [telelogic] `) and may write the parenthesised part on the next,
untimed, line; such a line without one is held back until the next line comes, and `feed`
returns it then (completed, when that line was its continuation); `flush()` gives it at
the end of the input. `EXPIRED: feature` has no user. The life-cycle events name the
daemon concerned, not the one that wrote the line:
- RESTARTED: lmgrd's `REStarted VENDOR (internet tcp_port P pid N)`; the reason is the text
  in parentheses.
- STARTED: lmgrd's `Started VENDOR (pid N)`, a vendor daemon's start with lmgrd's own
  (after a reboot, a crash or `kill -9` too, which log no SHUTDOWN): no seat is held.
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

import re
import sys
from datetime import date, tzinfo

from lmconsole.gc_pause import collector_paused
from lmconsole.model import Diagnostic, Event, EventKind

from .debuglog_dates import DATE_LINES, HOUR_MINUTE, SECOND, LogCalendar
from .debuglog_usage import joined_extra, read_tail, split_who

REQUEST_WINDOW_S = 300  # a "Requested from"/"SHUTDOWN request from" names who did it
SHUTDOWN_REPEAT_S = 60  # lmgrd's "Shutting down X" and X's own "EXITING": one event
MAX_DIAGNOSTICS = 1000  # a reader that follows a log for weeks keeps at most this many
MAX_CACHED_TAILS = 4096  # distinct "(N licenses) (reason)" tails remembered
MAX_CACHED_PEOPLE = 65_536  # distinct user@host remembered
MAX_CACHED_HEADS = 4096  # distinct daemon, kind and feature remembered

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
_new_tuple = tuple.__new__
# The names an event repeats (daemon, feature, user, host) shared, not one copy each: a
# log of a million events keeps a few thousand distinct ones.
_intern = sys.intern

_RESTARTED = re.compile(r"(?:REStarted|Restarted) (\S+)(?: \((.*)\))?\s*$")
_REQUESTED = re.compile(r"Rereading license file\.\.\. Requested from (\S+)")
_SHUTDOWN_BY = re.compile(r"SHUTDOWN request from (.+) at node (\S+)")
# The whole usage line: time, the head (daemon, kind and feature: `MLM) OUT: "MATLAB`, one
# group because a log repeats few of them and every group read costs a string), the key of
# an UNSUPPORTED, user@host and perhaps more (words joined by single spaces; two spaces end
# them) and the tail.
# Its runs are possessive and its optional part is `(?:...|)`, as sre runs them faster
# (no places kept to give characters back; no general repeat), with the same matches: no
# run could give back a character that the rest would then take (a word of `who` ends at a
# space, and what follows it starts with a space then a non-space, two spaces, or the end).
_USAGE_LINE = re.compile(r'((?:[01][0-9]|2[0-3]| [0-9]):[0-5][0-9]):([0-5][0-9]|60) '
                         r'\(([^()]++\) (?:OUT|IN|DENIED|QUEUED|DEQUEUED|UNSUPPORTED): '
                         r'"[^"]++)" (?:\([^()]*+\) |)([^" ]++(?: [^" ]++)*+)(?:  (.*)| ?)\Z',
                         re.DOTALL)
# What read_tail made of a tail. Defined here, not imported: Python 3.11 compiles a method
# call on an imported name (`TAILS.get(...)`) without LOAD_METHOD, 4% of the hot path.
_TAILS: dict[str, tuple[int, str | None, str | None, str | None]] = {"": (1, None, None, None)}
_PEOPLE: dict[str, tuple[str, str | None]] = {}  # what _person made of a user@host
_HEADS: dict[str, tuple[str, str, EventKind, str]] = {}  # what _head made of a head
# An event glued to another line, or missing its time prefix.
_EVENT_ANYWHERE = re.compile(r'(?:^|\) )(?:OUT|IN|DENIED|QUEUED|DEQUEUED|UNSUPPORTED): "')


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
        reader = DebugLogReader(tz=tz, server=server, start_date=reader.log_start_date)
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
    with collector_paused():
        events = list(filter(None, map(reader.feed, lines)))  # an Event is a non-empty tuple
    held = reader.flush()
    if held is not None:
        events.append(held)
    return events


class DebugLogReader(LogCalendar):
    """Reads one server's debug log line by line, carrying the date forward (LogCalendar).

    `tz` is the licence server's zone; `server` names it in events and diagnostics;
    `start_date` is the date of the first line read, assumed until the log names one
    (default: the day that puts the first line nearest to now, which is right for a live
    tail). `dated` tells whether the date now in use came from the log itself. An old
    FLEXlm usage line's event comes with the next line (see `feed`); at the end of the
    input, `flush()` returns it if no line came after it.
    """

    def __init__(self, *, tz: tzinfo, server: str | None = None,
                 start_date: date | None = None) -> None:
        super().__init__(tz=tz, start_date=start_date)
        self.server = server
        self.diagnostics: list[Diagnostic] = []
        self.dropped_diagnostics = 0
        self.line_no = 0
        self._reread_by: tuple[str, str | None, int] | None = None
        self._shutdown_by: tuple[str, str | None, int] | None = None
        self._shut_down: dict[str, int] = {}  # daemon -> when its SHUTDOWN was reported
        self._last_note: tuple[str, str, int] | None = None  # daemon, message, line number
        self._held: Event | None = None  # an event read but not yet returned (see feed)
        self._held_open = False  # ... which the next line may complete

    # ---- one line ----------------------------------------------------------------------

    def feed(self, line: str) -> Event | None:
        """One line of the log, without its line end (a trailing CR or LF is dropped).
        Returns the event it reports, if any; after an event held back (an old FLEXlm usage
        line, whose reason may follow on this line), that event instead."""
        if self._held is not None:
            return self._feed_after_held(line)
        number = self.line_no = self.line_no + 1
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
            clock, seconds, head, who, tail = usage.groups()
            daemon, word, kind, feature = _HEADS.get(head) or _head(head)
            wall = self._wall(HOUR_MINUTE[clock] + SECOND[seconds])
            if tail is None:  # no two-space gap: the trailing spaces were stripped
                who, tail = who.rstrip(), ""
            person = _PEOPLE.get(who) or _person(who)
            if person is None:  # no host, or a tail after a single space
                return self._usage(word, daemon, feature, who, tail, wall, line)
            count, reason, code, extra = _TAILS.get(tail) or _read_tail(tail)
            at = self._at_value if wall == self._at_wall else self._at(wall)
            user, host = person
            # tuple.__new__ builds the NamedTuple without its keyword-handling __new__:
            # the same fields in the same order, in half the time.
            return _new_tuple(Event, (at, kind, daemon, feature, user, host, count, reason,
                                      code, self.server, number, extra))
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
                                 extra=joined_extra(held.extra, extra))
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
        if (len(line) < 10 or line[8:10] != " (" or line[:5] not in HOUR_MINUTE
                or line[5] != ":" or line[6:8] not in SECOND):
            self._untimed(line)
            return None
        return line

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
        user, host, rest = split_who(who)
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
        tod = HOUR_MINUTE[line[:5]] + SECOND[line[6:8]]
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
        if message.startswith(DATE_LINES) or " started on " in message:
            if not self._date_line(message, tod, wall) and message.startswith("TIMESTAMP"):
                self._diagnose("TIMESTAMP line without a valid M/D/YYYY date", line)
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
            vendor = message[8:].split(" ", 1)[0]
            self._shut_down.pop(vendor, None)
            return Event(self._at(wall), EventKind.STARTED, vendor, server=self.server,
                         line=self.line_no)
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


def _person(who: str) -> tuple[str, str | None] | None:
    """`user@host` as (user, host), remembered and shared by the events that repeat it;
    None when it is not that simple (no host, text after it)."""
    at_sign = who.rfind("@")
    host = who[at_sign + 1:]
    if at_sign <= 0 or " " in host:
        return None
    person = (_intern(who[:at_sign]), _intern(host) if host else None)
    if len(_PEOPLE) < MAX_CACHED_PEOPLE:
        _PEOPLE[who] = person
    return person


def _head(head: str) -> tuple[str, str, EventKind, str]:
    """`daemon) WORD: "feature` (as _USAGE_LINE matched it: the daemon holds no
    parenthesis, the word no colon) as (daemon, word, kind, feature), remembered and shared
    by the events that repeat it."""
    daemon, _, rest = head.partition(") ")
    word, _, feature = rest.partition(': "')
    parts = (_intern(daemon), word, _USAGE_KINDS[word], _intern(feature))
    if len(_HEADS) < MAX_CACHED_HEADS:
        _HEADS[head] = parts
    return parts


def _read_tail(tail: str) -> tuple[int, str | None, str | None, str | None]:
    """`read_tail`, remembered: a log repeats a handful of tails."""
    parsed = read_tail(tail)
    if len(_TAILS) < MAX_CACHED_TAILS:
        _TAILS[tail] = parsed
    return parsed


def _requester(request: tuple[str, str | None, int] | None,
               wall: int) -> tuple[str | None, str | None]:
    if request is not None and 0 <= wall - request[2] <= REQUEST_WINDOW_S:
        return request[0], request[1]
    return None, None
