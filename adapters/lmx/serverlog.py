"""Reader of an LM-X licence server's log: checkouts, check-ins and denials, and the server's
starts and shutdowns.

Every line the server writes starts with its full local date and time in brackets:

    [2021-05-26 13:38:30] LM-X License Server v4.9.23 build 74220bf8 on lic1 (Linux_x64)
    [2021-05-26 13:38:30] Serving licenses for vendor SOFTING.
    [2021-05-26 13:38:30] Ready to serve...
    [2026-12-04 09:12:01] Checkout HyperWorks v21.0 by bob@pc12 (10.0.0.12), 25000 license(s)
    [2026-12-04 09:40:17] Checkin HyperWorks v21.0 by bob@pc12 (10.0.0.12), 25000 license(s)
    [2026-12-04 09:41:00] Denied HyperWorks v21.0 to eve@pc3 (10.0.0.3), 1 license(s): ...

The start-up lines are as the servers print them; the wording of the usage lines differs
between LM-X versions and their log formats (Normal, Extended), so they are read by their
words, not a fixed layout: a line that says it denied, checked in or checked out names the
feature (after `feature`, or the word after the verb), the client as `user@host` (or after
`user` and `host`) and `N license(s)`; a denial's reason follows the last colon. Such a line
that names no feature or no user is a Diagnostic; lines that are no usage (settings, the
licence list) are skipped. The seats are dropped when the server (re)starts serving its
vendor (`Serving licenses for vendor X.`) and when it shuts down. Every event's daemon is
`lmx` (see DAEMON). Never raises.
"""

from __future__ import annotations

import re
from datetime import datetime

from lmconsole.adapter import LineLogReader
from lmconsole.model import Diagnostic, Event, EventKind
from lmconsole.numbers import COUNT_MAX, read_int

from .dates import BadDate, parse_moment

MAX_DIAGNOSTICS = 1000  # a reader that follows a log for weeks keeps at most this many
# The daemon of every event: an LM-X server is one process serving one vendor, and only its
# start-up lines name that vendor. A log followed from its end, or imported from the middle,
# never sees them; one name for all keeps a session opened in one read closable by the next.
DAEMON = "lmx"

_STAMP = re.compile(r"\s*\[(?P<when>[^\[\]]{8,32})\] ?(?P<message>.*)")
_SERVING = re.compile(r"Serving licenses for vendor (?P<vendor>[^\s.]+)\.?", re.IGNORECASE)
_SHUTDOWN = re.compile(r"(?:license server )?(?:is )?(?:shutting down|shut down|shutdown)\b",
                       re.IGNORECASE)
_DENIED = re.compile(r"\b(?:denied|denial|rejected)\b", re.IGNORECASE)
_CHECKIN = re.compile(r"\b(?:check-?in|checked in|returned|released)\b", re.IGNORECASE)
_CHECKOUT = re.compile(r"\b(?:check-?out|checked out)\b", re.IGNORECASE)
_FEATURE = re.compile(r"\bfeature:? ['\"]?(?P<name>[^\s'\",:()]+)", re.IGNORECASE)
_WORD_ENDS = frozenset(" \t,:;()'\"[]")
_USER = re.compile(r"\buser(?:name)?:? ['\"]?(?P<user>[^\s'\",:()]+)", re.IGNORECASE)
_HOST = re.compile(r"\bhost(?:name)?:? ['\"]?(?P<host>[^\s'\",:()]+)", re.IGNORECASE)
_COUNT = re.compile(r"\b(?P<count>[0-9]{1,12}) licen[sc]e(?:\(s\)|s)?\b", re.IGNORECASE)
_NOT_A_FEATURE = {"by", "of", "for", "from", "to", "request", "requested", "license",
                  "licenses", "license(s)", "failed", "was", "is", "has"}


class ServerLogReader(LineLogReader):
    """Turns an LM-X server log, a line at a time as it is written, into events."""

    def feed(self, line: str) -> Event | None:
        self.line += 1
        match = _STAMP.match(line.lstrip("\ufeff"))
        if match is None:
            return None  # a continuation or a line of another program
        try:
            at = parse_moment(match["when"], self.tz)
        except BadDate:
            if _usage_kind(match["message"]) is not None:
                self.diagnose("usage line with an unreadable date", line)
            return None
        self.log_start_date = self.log_start_date or at.date()
        self.seen(at)
        return self.message(match["message"].strip(), at, line)

    def message(self, message: str, at: datetime, line: str) -> Event | None:
        if (serving := _SERVING.fullmatch(message)) is not None:
            return self.make(at, EventKind.STARTED, reason=f"serving vendor {serving['vendor']}")
        kind = _usage_kind(message)
        if kind is None:
            if _SHUTDOWN.search(message) and len(message) < 80:
                return self.make(at, EventKind.SHUTDOWN)
            return None
        return self.usage(kind, message, at, line)

    def usage(self, kind: EventKind, message: str, at: datetime, line: str) -> Event | None:
        feature = _feature(message, kind)
        user, host = _client(message)
        if feature is None or user is None:
            self.diagnose(f"{kind.value} line without its feature or user", line)
            return None
        count_match = _COUNT.search(message)
        count = read_int(count_match["count"], COUNT_MAX) if count_match else 1
        if count is None:
            self.diagnose("licence count out of range", line)
            return None
        reason = None
        if kind is EventKind.DENIED:
            reason = message.rpartition(": ")[2].strip() if ": " in message else None
        return self.make(at, kind, feature, user, host, count, reason)

    def make(self, at: datetime, kind: EventKind, feature: str | None = None,
             user: str | None = None, host: str | None = None, count: int = 1,
             reason: str | None = None) -> Event:
        return Event(at, kind, DAEMON, feature, user, host, count, reason, None,
                     self.server, self.line)

    def diagnose(self, message: str, line: str) -> None:
        if len(self.diagnostics) < MAX_DIAGNOSTICS:
            self.diagnostics.append(Diagnostic(self.line, message, line[:500], self.server))


def _usage_kind(message: str) -> EventKind | None:
    if _DENIED.search(message):
        return EventKind.DENIED
    if _CHECKIN.search(message):
        return EventKind.IN
    if _CHECKOUT.search(message):
        return EventKind.OUT
    return None


def _feature(message: str, kind: EventKind) -> str | None:
    """After `feature`, else the word after the verb (`Checkout HyperWorks v21.0 by ...`)."""
    if (labelled := _FEATURE.search(message)) is not None:
        return labelled["name"]
    verb = {EventKind.DENIED: _DENIED, EventKind.IN: _CHECKIN, EventKind.OUT: _CHECKOUT}[kind]
    after = verb.search(message)
    words = message[after.end():].replace(":", " ").split(maxsplit=2) if after else []
    for word in words[:2]:
        word = word.strip("'\",()")
        if word and word.lower() not in _NOT_A_FEATURE and "@" not in word:
            return word
    return None


def _client(message: str) -> tuple[str | None, str | None]:
    """The first `user@host` word (found from its `@`: no pattern rescans a long word),
    else the words after `user` and `host`."""
    at = message.find("@")
    while at > 0:
        start, end = at, at + 1
        while start > 0 and message[start - 1] not in _WORD_ENDS:
            start -= 1
        while end < len(message) and message[end] not in _WORD_ENDS:
            end += 1
        user, _, host = message[start:end].partition("@")
        if user and host:
            return user, host
        at = message.find("@", end)
    user, host = _USER.search(message), _HOST.search(message)
    return (user["user"] if user else None), (host["host"] if host else None)


parse_serverlog = ServerLogReader.read_text
