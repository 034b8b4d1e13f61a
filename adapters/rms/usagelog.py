"""Reader of a Sentinel RMS licence server's usage log (the file its `-l` start-up option
names, LSERVSTA, which `lsusage -l` summarises): checkouts, check-ins and denials, and the
server's starts and shutdowns.

The layout is the one Thales documents ("Usage Log File" in the RMS System Administrator's
Guide, and SentinelLM's before it): one entry a line, its fields separated by blanks,

    Server-LFE License-LFE [tag] Date Time-stamp Feature Ver Trans Numkeys Keylife User Host
        LSver Currency Comment [checksum fields ...]

    # Startup Sentinel RMS Development Kit v7.00 Fri Aug 13 17:33:31 1999  934590811 jsmith ...
    2 0 MTI1 Fri Aug 13 17:33:33 1999  934590813 99 v 0 1 0 jsmith jsmith 7.00 1 - MA== ...
    2 0 MTI1 Fri Aug 13 17:33:33 1999  934590813 99 v 2 0 0 jsmith jsmith 7.00 1 - MQ== ...
    # Shutdown Sentinel RMS Development Kit v7.00 Fri Aug 13 17:34:01 1999  934590841 ...

Date is the server's local ctime (`Fri Aug 13 17:33:33 1999`), Time-stamp the same moment
in seconds since the epoch, which is what is read (the date words only when it is not a
number). Trans: 0 a licence issued, 1 denied, 2 released; 8 and 9 a commuter licence
checked out and in (read as a borrowed checkout and its return); other types are read past.
Currency is the number of licences the transaction handled (the event's count), Numkeys
those in use after it. The unlabelled word after the encryption levels in the documented
example (`MTI1`) may be absent. A log encrypted at level 3 hides Numkeys and Currency, at
level 4 the whole record: such lines are diagnosed, not read. Every event's daemon is `rms`.

`lsusage -c` (the same log as CSV) is not read: its columns are not documented publicly
(searched: Thales' "Contents of the usage log in CSV format" is referred to but was not
found; one vendor's wiki lists only its first columns). Never raises.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lmconsole.adapter import LineLogReader
from lmconsole.model import Diagnostic, Event, EventKind
from lmconsole.numbers import COUNT_MAX, read_int

from ..rlm.dates import BadDate, parse_ctime

MAX_DIAGNOSTICS = 1000  # a reader that follows a log for weeks keeps at most this many
DAEMON = "rms"  # the daemon of every event: one server, named by no line of its log
EPOCH_MAX = 253_402_300_799  # 9999-12-31 23:59:59 UTC
ISSUED, DENIED, RELEASED, COMMUTER_OUT, COMMUTER_IN = "0", "1", "2", "8", "9"
_KINDS = {ISSUED: EventKind.OUT, DENIED: EventKind.DENIED, RELEASED: EventKind.IN,
          COMMUTER_OUT: EventKind.OUT, COMMUTER_IN: EventKind.IN}
_CTIME = r"[A-Za-z]{3} +[A-Za-z]{3} +[0-9]{1,2} +[0-9]{1,2}:[0-9]{2}:[0-9]{2} +[0-9]{4}"
_RECORD = re.compile(rf"(?P<server_lfe>[0-9]) +(?P<licence_lfe>[0-9]) +(?:\S+ +)??"
                     rf"(?P<date>{_CTIME}) +(?P<epoch>\S+) +(?P<rest>.*)")
_SERVER_LINE = re.compile(rf"# *(?P<what>Startup|Shutdown)\b.*?(?P<date>{_CTIME}) +"
                          rf"(?P<epoch>\S+)", re.IGNORECASE)
_FIELDS_AFTER_STAMP = 9  # Feature Ver Trans Numkeys Keylife User Host LSver Currency


class UsageLogReader(LineLogReader):
    """Turns a Sentinel RMS usage log, a line at a time as it is written, into events."""

    def feed(self, line: str) -> Event | None:
        self.line += 1
        text = line.strip().lstrip("\ufeff")
        if not text:
            return None
        if text.startswith("#"):
            return self.server_line(text, line)
        match = _RECORD.fullmatch(text)
        if match is None:
            self.diagnose("not a usage log entry (or one encrypted whole)", line)
            return None
        at = self.moment(match["epoch"], match["date"], line)
        if at is None:
            return None
        return self.transaction(match, at, line)

    def server_line(self, text: str, line: str) -> Event | None:
        match = _SERVER_LINE.match(text)
        if match is None:
            return None  # another comment
        at = self.moment(match["epoch"], match["date"], line)
        if at is None:
            return None
        kind = EventKind.STARTED if match["what"].lower() == "startup" else EventKind.SHUTDOWN
        return self.make(at, kind)

    def transaction(self, match: re.Match, at: datetime, line: str) -> Event | None:
        words = match["rest"].split()
        if len(words) < _FIELDS_AFTER_STAMP:
            self.diagnose("usage log entry with too few fields", line)
            return None
        feature, _version, trans, _numkeys, _keylife, user, host, _lsver, currency = \
            words[:_FIELDS_AFTER_STAMP]
        kind = _KINDS.get(trans)
        if kind is None:
            return None  # a transaction of a kind the history does not keep
        count = read_int(currency, COUNT_MAX)
        if count is None:
            level = int(match["licence_lfe"]) or int(match["server_lfe"])  # the vendor's wins
            why = (f"its licence count is encrypted (log encryption level {level})"
                   if level >= 3 else f"licence count is not a number: {currency[:24]!r}")
            self.diagnose(f"usage log entry not read: {why}", line)
            return None
        commuter = trans in (COMMUTER_OUT, COMMUTER_IN)
        return self.make(at, kind, feature, user, host, count,
                         extra="commuter" if commuter else None)

    def moment(self, epoch: str, date_text: str, line: str) -> datetime | None:
        seconds = read_int(epoch, EPOCH_MAX)
        try:
            if seconds is not None:
                at = datetime.fromtimestamp(seconds, UTC).astimezone(self.tz)
            else:
                at = parse_ctime(date_text, self.tz)
        except (BadDate, ValueError, OverflowError, OSError):
            self.diagnose("usage log entry with an unreadable date", line)
            return None
        self.log_start_date = self.log_start_date or at.date()
        self.seen(at)
        return at

    def make(self, at: datetime, kind: EventKind, feature: str | None = None,
             user: str | None = None, host: str | None = None, count: int = 1,
             extra: str | None = None) -> Event:
        return Event(at, kind, DAEMON, feature, user, host, count, None, None, self.server,
                     self.line, extra)

    def diagnose(self, message: str, line: str) -> None:
        if len(self.diagnostics) < MAX_DIAGNOSTICS:
            self.diagnostics.append(Diagnostic(self.line, message, line[:500], self.server))


parse_usagelog = UsageLogReader.read_text
