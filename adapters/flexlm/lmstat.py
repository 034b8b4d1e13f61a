"""Parser for the output of FlexLM `lmutil lmstat -a [-c port@host,...]`.

A pure function from text to the domain model plus diagnostics: it never raises on bad input
and never drops a line silently. The layout rules come from real outputs (see
shared/reference/formats.md section 1); the ones that break naive parsers:

- whitespace is not structure: indents vary from 0 to 8 columns, blank lines come and go;
- user lines are read from the right, anchored on `(vVERSION) (server/port handle)`, because
  user names and displays may contain spaces and any other character (how the words before
  the anchor are split: lmstat_identity.py);
- one "Users of" header may hold several pools (quoted detail blocks), and every seat,
  reservation and queued user belongs to the pool above it;
- features are listed daemon by daemon, each list after its daemon's status line and a
  "Feature usage info:" line, and two daemons may serve features of the same name;
- header totals are reported as printed, never reconciled with the user lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import islice, takewhile
from operator import itemgetter

from lmconsole.adapter import StatusReport
from lmconsole.gc_pause import collector_paused
from lmconsole.model import (
    BORROWED,
    Checkout,
    Diagnostic,
    Feature,
    LicenseHost,
    Pool,
    Queued,
    Reservation,
    ServerStatus,
    Status,
    VendorDaemon,
)
from lmconsole.numbers import COUNT_MAX, ID_MAX, PORT_MAX, is_ascii_number, read_int

from .dates import STATUS_YEARS, BadDate, parse_expiry, resolve_start
from .lmstat_identity import Identity, split_identity

# ---- line patterns ---------------------------------------------------------------------------

# A seat line, read from the right: `who (vVERSION) (server/port handle)` then the tail.
_SEAT_VERSION = r" \(v(?P<version>[^()\s]*)\)"
_SEAT_SERVER = r" \((?P<server>[^()/\s]+)(?:/(?P<port>[^()\s]*))?(?: (?P<handle>[0-9]+))?\)"
_SEAT_TAIL = (
    r"(?:, start \S+ (?P<start>[0-9]{1,2}/[0-9]{1,2} [0-9]{1,2}:[0-9][0-9])"
    r"(?:, (?P<count>[0-9]+) licenses?)?(?:, PID: (?P<pid>[0-9]+))?"
    r"(?:, borrow-return \S+ (?P<borrow_return>[0-9]{1,2}/[0-9]{1,2} [0-9]{1,2}:[0-9][0-9]))?"
    r"| queued for (?P<queued>[0-9]+) licenses?)"
    r"\s*+(?:\(linger: (?P<linger>[0-9]+)(?: / (?P<linger_total>[0-9]+))?\))?\s*+"
)
# Whitespace quantifiers next to each other or to `.+?` are possessive (`*+`) or absent: a run
# of spaces that the rest of the line then fails to match must not be tried split by split,
# which made a 32 kB line take seconds. Lines given stripped need no trailing `\s*`.
_USER = re.compile(rf"\s*+(?P<who>.+?){_SEAT_VERSION}{_SEAT_SERVER}{_SEAT_TAIL}")
# lmstat leaves out "(vVERSION)" when the version is 0.0 and "(server/port handle)" when the
# handle is 0 (lm_stat.c). Tried second: the optional parts make it twice as slow.
_USER_PARTS_LEFT_OUT = re.compile(
    rf"\s*+(?P<who>.+?)(?:{_SEAT_VERSION})?(?:{_SEAT_SERVER})?{_SEAT_TAIL}")
# The canonical user line (user host display, no tail but a seat count, a PID and current
# lmstat's linger): most lines of a large output. Matched first because it is several times
# cheaper than _USER; anything else falls through to _USER. Its numbers are short enough to be
# in range (ports to 59999, nine digits for the rest), so it needs no range check; longer ones
# go the careful way.
# Its version, server and port are one group (`2025.1) (lic-a/27000`), read by
# _ServerOfSeats: a large output repeats few of them, and each group read costs a string.
# Written for sre's speed, the same matches as the plain spelling: its classes of "no space
# and none of these" name the spaces that `\s` matches (_SPACES), as a class holding `\s` is
# tested item by item, one of characters and ranges by a table; a part that may be left out
# is `(?:...|)`, as `(?:...)?` goes through sre's general repeat; a run of characters that
# the next one must end (a word before a space, a server before its "/") is possessive, as
# sre would keep its places to give characters back; and the five-digit port is tried first.
# Together they took a fifth of the pattern's time.
_SPACES = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CANONICAL_SEAT = (  # what follows the words of a canonical user line
    rf" \(v([^(){_SPACES}]*+\) \([^/(){_SPACES}]++/"
    r"(?:[0-5][0-9]{4}|[0-9]{1,4})) ([0-9]{1,9})\), "
    r"start \S++ ([0-9]{1,2}/[0-9]{1,2} [0-9]{1,2}:[0-9][0-9])(?:, ([0-9]{1,9}) licenses?|)"
    r"(?:, PID: ([0-9]{1,9})|)"
    r"(?:\s*+\(linger: ([0-9]{1,9}) / ([0-9]{1,9})\)|) ?"  # current lmstat's LEFT / TOTAL
)
# Its words: `user host display`, and the two other layouts of a large output whose split is
# plain (split_identity's): `user host` without a display (or `user display` when the second
# word starts with "/" or ":", see _DISPLAY_WITHOUT_HOST), and `user host display 2025.1`
# with a version-like word of vendor data after the display (the extra).
_CANONICAL_USER = re.compile(
    r" *(\S++) (\S++)(?: (\S++)(?: (v?[0-9]+(?:\.[0-9]+)+)|)|)" + _CANONICAL_SEAT)
# The same for a text whose lines hold no white space but spaces after their indent (an
# ASCII text without \x1f, whose tabs only indent: its other white space characters break
# lines), the one kind a large output is. A word is then a character that is not a space
# or a tab (the indent's) and a run of "not a space", which sre counts in a few
# instructions a character, and \S by a category test each: a tenth of the pattern's time.
_CANONICAL_USER_SPACED = re.compile(_CANONICAL_USER.pattern.replace(r"\S++", "[^ \t][^ ]*+"))


def _canonical_user_of(text: str) -> re.Pattern:
    """The canonical user line's pattern to read the lines of `text` with."""
    if text.isascii() and "\x1f" not in text and _tabs_only_indent(text):
        return _CANONICAL_USER_SPACED
    return _CANONICAL_USER


def _tabs_only_indent(text: str) -> bool:
    """Whether each tab of `text` starts a line or follows a tab that does."""
    at = text.find("\t")
    while at >= 0:
        if at and text[at - 1] not in "\t\n\r":
            return False
        at = text.find("\t", at + 1)
    return True


_DISPLAY_WITHOUT_HOST = ("/", ":")  # `tia4108 /dev/pts/1`: see lmstat_identity._short
# The same line with other words before "(v": one word, vendor data of another kind, a user
# name with a space. Its words are split by split_identity as _USER's would be; a split that
# may change once every host is known (tentative) is left to _USER, which keeps track of it.
# The words are taken lazily: the seat part tried after each word fails at once before "(v",
# where taking every word then giving them back one by one costs twice as much; and no line
# has two places where a seat part matches to its end (the part has no free text for another
# "(v...").
_CANONICAL_SEAT_OTHER_WORDS = re.compile(r" *(\S+(?: \S+)*?)" + _CANONICAL_SEAT)
_FEATURE_HEADER = re.compile(
    r"Users of (?P<name>.+?):\s++(?:"
    r"\((?:Total of (?P<issued>[0-9]+) (?:borrowable )?licenses? issued;"
    r"\s+Total of (?P<in_use>[0-9]+) licenses? in use"
    r"|(?P<uncounted>Uncounted, node-locked)"
    r"|Error: (?P<error>.*))\)"
    r"|(?P<none>None)"  # nobody holds it (lmstat -a prints this, lmstat -A does not)
    r"|Cannot get users of (?P=name): (?P<cannot>.*))"
)
_POOL = re.compile(
    r'"(?P<name>[^"]*)" v(?P<version>\S+?)(?:, vendor: (?P<vendor>[^,\s]+))?'
    r"(?:, expiry: (?P<expiry>.+))?"
)
_RESERVATION = re.compile(
    r"(?P<count>[0-9]+) RESERVATIONs? (?:\([UHDV]+\) )?for "  # "(UH) for PACKAGE pkg, u:h"
    r"(?:DAEMON on|(?P<kind>[A-Z_]+)) (?P<name>.+?)"  # "DAEMON on HOST": borrowed by HOST
    r"(?: \((?P<server>[^()/\s]+)(?:/(?P<port>[^()\s]*))?\))?"
)
_NODELOCKED = re.compile(r'nodelocked license,? locked to "?(?P<id>[^"]*)"?')
_UNCOUNTED = re.compile(
    r'uncounted nodelocked license,? locked to "?(?P<id>[^"\s]+)"?'
    r"(?: \(hostid=(?P<hostid>[^)]*)\))?"
)
_DATE_LINE = re.compile(
    r"Flexible License Manager status on \S+ "
    r"(?P<month>[0-9]{1,2})/(?P<day>[0-9]{1,2})/(?P<year>[0-9]{4})"
    r" (?P<hour>[0-9]{1,2}):(?P<minute>[0-9][0-9])"
)
_HOST_UP = re.compile(
    r"(?P<host>[^\s:]+): license server (?P<status>UP|DOWN)(?P<master> \(MASTER\))?"
    r"(?: (?P<version>v\S+))?"
)
_ERROR_CODE = re.compile(r'\((?P<code>-[0-9]+,[0-9]+(?::[0-9]+)?(?: "[^"]*")?)\)\s*$')
_NAMED_LINE = re.compile(r"(?P<name>[^\s:]+): (?P<rest>.*\S)\s*")
_DAEMON_STATUS = re.compile(r"(?P<status>UP|DOWN)(?: (?P<version>v\S+))?")
_DEBUG_NOISE = re.compile(r"\s*[0-9]{1,2}:[0-9][0-9]:[0-9][0-9] \([^)\s]+\) ")
_COMMAND_ECHO = re.compile(r"\blmstat(?:\.exe)?\s+-\w")  # "./lmutil lmstat -c lic -a"

_SERVER_STATUS = "License server status:"
_LICENSE_FILES = "License file(s) on "
_VENDOR_STATUS = "Vendor daemon status (on "
_ELISIONS = ("...", "[...]", "…")


def parse_lmstat(text: str, *, name: str | None = None, tz: tzinfo = UTC,
                 now: datetime | None = None, seats_before: SeatLines | None = None,
                 borrowed_seats_only: bool = False) -> StatusReport:
    """Parse one `lmstat -a` output. `name` names the server (else its port@host list);
    `tz` is the licence server's zone; `now` resolves start dates when the output has no
    status date line. `seats_before`: what the previous output of the same server gave
    its seat lines (see SeatLines), for a monitor that polls it again.
    `borrowed_seats_only`: of the seats, a feature keeps at least the borrowed ones, which
    its BORROWED count needs, and may leave out the others (their lines are still read and
    checked, with the same diagnostics): for a feature's row alone, a third less time."""
    with collector_paused():  # reading makes no cycles: the collector's passes free nothing
        return _Parser(name, tz, now, seats_before, borrowed_seats_only).parse(text)


class SeatLines:
    """A server's seat lines and the seats they were read as, from one output to the next.
    A seat line the next output repeats word for word gives the same Checkout object, not a
    new equal one: most seats of a busy server last many polls, and the console compares
    what changed by identity first (screens/live_table.py), so an unchanged seat costs a
    dictionary lookup, not a parse and a comparison of its fields. Holds the lines of the
    latest output only, and gives them back only while they would be read the same: for the
    same zone and the same date of the status (a start's year depends on both)."""

    __slots__ = ("seats", "read_as_of")

    def __init__(self) -> None:
        self.seats: dict[str, Checkout] = {}
        self.read_as_of: tuple[tzinfo, date] | None = None


class _FeatureBuilder:
    __slots__ = ("name", "issued", "in_use", "uncounted", "error", "error_code", "daemon",
                 "pools", "pool_index", "checkouts", "reservations", "queued", "line",
                 "seats_left_out")

    def __init__(self, name: str, issued: int | None, in_use: int | None, uncounted: bool,
                 error: str | None, error_code: str | None, daemon: str | None,
                 line: int) -> None:
        self.name, self.issued, self.in_use = name, issued, in_use
        self.uncounted, self.error, self.error_code = uncounted, error, error_code
        self.daemon = daemon  # the vendor daemon whose feature list this block is in
        self.line = line
        self.pools: list[Pool] = []
        self.pool_index: int | None = None  # of the pool that the next lines belong to
        self.checkouts: list[Checkout] = []
        self.reservations: list[Reservation] = []
        self.queued: list[Queued] = []
        self.seats_left_out = 0  # not borrowed, by parse_lmstat(borrowed_seats_only=True)

    def add_pool(self, pool: Pool) -> None:
        self.pools.append(pool)
        self.pool_index = len(self.pools) - 1

    def build(self, only_vendor: str | None) -> Feature:
        vendor = self.pools[0].vendor if self.pools else None
        return Feature(  # by position: thousands of features
            self.name, vendor or self.daemon or only_vendor, self.issued, self.in_use,
            self.uncounted, self.error, self.error_code, tuple(self.pools),
            tuple(self.checkouts), tuple(self.reservations), tuple(self.queued))


class _ServerBuilder:
    def __init__(self, source: str | None) -> None:
        self.source = source
        self.spec_ports = _spec_ports(source)
        self.license_files: list[str] = []
        self.hosts: list[LicenseHost] = []
        self.vendors: list[VendorDaemon] = []
        self.vendor_host: str | None = None
        self.announced: list[str] = []  # daemons named since the last "Feature usage info:"
        self.listing_daemon: str | None = None  # whose features are being listed
        self.features: list[_FeatureBuilder] = []
        self.error: str | None = None
        self.error_code: str | None = None
        self.down = False  # "lmgrd is not running"

    def port_of(self, host: str) -> int | None:
        key = host.lower()
        if key in self.spec_ports:
            return self.spec_ports[key]
        short = key.split(".", 1)[0]
        for spec_host, port in self.spec_ports.items():
            if spec_host.split(".", 1)[0] == short:
                return port
        return None

    def announce(self, daemon: str) -> None:
        self.announced.append(daemon)
        self.listing_daemon = None  # a daemon's status line ends the previous list

    def start_feature_list(self) -> None:
        """lmstat lists features daemon by daemon, each list after the daemon's status line
        and a "Feature usage info:" line. When one block names several daemons before a
        single list, the list is theirs together and no feature is attributed from it."""
        self.listing_daemon = self.announced[0] if len(self.announced) == 1 else None
        self.announced.clear()

    def status(self) -> Status:
        if self.down:
            return Status.DOWN
        if self.error is not None and not self.hosts:
            return Status.ERROR
        if any(h.status is Status.UP for h in self.hosts):
            return Status.UP
        if self.hosts:
            return Status.DOWN
        if self.error is not None:
            return Status.ERROR
        return Status.UP if (self.vendors or self.features) else Status.ERROR

    def build(self, name: str, reported_at: datetime | None) -> ServerStatus:
        only_vendor = self.vendors[0].name if len(self.vendors) == 1 else None
        error = self.error
        if error is None and not (self.hosts or self.vendors or self.features):
            error = "no server status in lmstat output"
        return ServerStatus(
            name=name,
            source=self.source,
            status=self.status(),
            error=error,
            error_code=self.error_code,
            hosts=tuple(self.hosts),
            vendors=tuple(self.vendors),
            features=tuple(f.build(only_vendor) for f in self.features),
            license_files=tuple(self.license_files),
            reported_at=reported_at,
            manager="flexlm",
        )


def _spec_ports(source: str | None) -> dict[str, int | None]:
    ports: dict[str, int | None] = {}
    for item in (source or "").split(","):
        item = item.strip()
        if not item:
            continue
        port_text, at, host = item.rpartition("@")
        ports[host.lower()] = read_int(port_text, PORT_MAX) if at else None
    return ports


def _split_error(text: str) -> tuple[str, str | None]:
    """`Cannot connect to license server (-15,570:111 "Connection refused")` ->
    (message, code)."""
    match = _ERROR_CODE.search(text)
    if match is None:
        return text.strip(), None
    return text[: match.start()].strip(), match["code"]


class _Parser:
    def __init__(self, name: str | None, tz: tzinfo, now: datetime | None,
                 seats_before: SeatLines | None = None,
                 borrowed_seats_only: bool = False) -> None:
        self.seats_before = seats_before
        self.borrowed_seats_only = borrowed_seats_only
        self.name = name
        self.tz = tz
        self.now = now
        self.reported_at: datetime | None = None
        self.servers: list[_ServerBuilder] = []
        self.server: _ServerBuilder | None = None
        self.feature: _FeatureBuilder | None = None
        self.section = "top"  # top | server | vendor | features
        self.diagnostics: list[Diagnostic] = []
        self.recognised = False
        self.start_cache: dict[str, datetime | None] = {}
        self.start_days: dict[str, datetime] = {}
        self.times_of_day: dict[str, timedelta] = {}
        # seats whose user/host/display split may change once every host is known:
        # (the list holding the record, its index, the text before "(v", the version)
        self.tentative: list[tuple[list, int, str, str | None]] = []
        self.servers_of_seats = _ServerOfSeats()
        self.seats_now: dict[str, Checkout] = {}  # kept for the next poll (seats_before)
        self.canonical_user = _CANONICAL_USER.fullmatch  # parse() may choose a faster one

    # ---- driver ------------------------------------------------------------------------------

    def parse(self, text: str) -> StatusReport:
        text = text.lstrip("\ufeff")
        self.canonical_user = _canonical_user_of(text).fullmatch
        lines = text.splitlines()
        classify = self.classify
        read_seats = self.read_seats
        numbered = enumerate(lines, 1)
        before: dict[str, Checkout] | None = None  # known at the first feature
        for number, line in numbered:
            feature = self.feature
            if feature is None:
                if line and not line.isspace():
                    classify(line, number)
                continue
            if before is None:
                before = self.usable_seats_before()
            if ", start " not in line:  # no seat line
                if line and not line.isspace():
                    classify(line, number)
                continue
            if not before:
                taken = read_seats(lines, number)
            elif (seat := before.get(line)) is not None and seat.pool == feature.pool_index:
                feature.checkouts.append(seat)
                self.seats_now[line] = seat
                continue
            else:
                taken = read_seats(lines, number, 1)  # the next line may be one seen before
            if taken:
                _skip(numbered, taken - 1)
            else:
                classify(line, number)
        if self.seats_before is not None:
            self.seats_before.seats = self.seats_now
            self.seats_before.read_as_of = self.read_as_of()
        truncated_at = self.truncation(lines, text)
        if not self.borrowed_seats_only:  # else the hosts of seats left out are not known
            self.settle_tentative_identities()
        return StatusReport(
            servers=self.build_servers(),
            diagnostics=tuple(self.diagnostics),
            reported_at=self.reported_at,
            recognised=self.recognised,
            truncated_at=truncated_at,
        )

    def read_as_of(self) -> tuple[tzinfo, date]:
        return self.tz, self.reference_time().date()

    def usable_seats_before(self) -> dict[str, Checkout]:
        """The previous output's seats by line, if they would be read the same now."""
        before = self.seats_before
        if before is None or before.read_as_of != self.read_as_of():
            return {}
        return before.seats

    def read_seats(self, lines: list[str], number: int, most: int | None = None) -> int:
        """Read the seat lines that follow one another from line `number` on (at most
        `most`) as the canonical patterns read them: how many. A run of canonical lines is
        matched and its fields taken without a step of the parse loop each; the first line
        that no fast pattern reads is left to the parse loop."""
        index = number - 1
        end = len(lines) if most is None else min(len(lines), index + most)
        while index < end:
            matches = self.canonical_run(lines, index, end)
            if matches:
                self.add_seats(enumerate(map(_FIELDS, matches), index + 1), lines)
                index += len(matches)
                if index == end:
                    break
            line = lines[index]
            if ", start " not in line or (read := _plain_seat_of_other_words(line)) is None:
                break
            self.add_seats(((index + 1, read),), lines)
            index += 1
        return index - (number - 1)

    def canonical_run(self, lines: list[str], index: int, end: int) -> list[re.Match]:
        """The matches of the canonical seat lines from lines[index] on, up to the first
        other line or `end`."""
        canonical_user = self.canonical_user
        if end - index == 1:  # a line alone (a poll's, between seats seen before): no run
            match = canonical_user(lines[index])
            return [match] if match else []
        run = map(lines.__getitem__, range(index, end))
        return list(takewhile(bool, map(canonical_user, run)))

    def add_seats(self, numbered_rows: Iterable[tuple[int, tuple]], lines: list[str]) -> None:
        """The seats of canonical seat lines: (line number, _CANONICAL_USER's groups)."""
        if self.borrowed_seats_only:
            numbered_rows = self.borrowed_rows(numbered_rows, lines)
        feature = self.feature
        pool = feature.pool_index
        add = feature.checkouts.append
        servers_of_seats = self.servers_of_seats
        server_of_seat = servers_of_seats.get
        starts = self.start_cache
        remember = self.seats_before is not None  # a one-shot parse keeps no seat lines
        seats_now = self.seats_now
        new_checkout = tuple.__new__
        for line_number, (user, host, display, extra, version_server_port, handle, start_text,
                          count, pid, linger, linger_total) in numbered_rows:
            if display is None and host is not None and host.startswith(_DISPLAY_WITHOUT_HOST):
                host, display = None, host
            version, server, port = (server_of_seat(version_server_port)
                                     or servers_of_seats.read(version_server_port))
            if linger is None:
                borrowed, linger_s, linger_total_s = False, None, None
            else:  # see linger(): a seat with time left is borrowed
                linger_s, linger_total_s = int(linger), int(linger_total)
                borrowed = linger_s > 0
            start = starts.get(start_text)
            if start is None:  # not read yet, or read with a diagnostic (which is not repeated)
                start = self.start_time(start_text, lines[line_number - 1], line_number)
            seat = new_checkout(Checkout, (
                user, host, display, version, pool, server, port, int(handle), start,
                int(count) if count else 1, borrowed, linger_s, linger_total_s,
                int(pid) if pid else None, extra,
            ))
            add(seat)
            if remember and start is not None:  # one read with a diagnostic is read again
                seats_now[lines[line_number - 1]] = seat

    def borrowed_rows(self, numbered_rows: Iterable[tuple[int, tuple]], lines: list[str]
                      ) -> Iterator[tuple[int, tuple]]:
        """Those of `numbered_rows` (see add_seats) that are borrowed seats; the others are
        counted as left out, once their start time is read for its diagnostic."""
        starts = self.start_cache
        feature = self.feature
        for numbered in numbered_rows:
            row = numbered[1]
            linger = row[9]
            if linger is not None and int(linger) > 0:
                yield numbered
                continue
            feature.seats_left_out += 1
            start_text = row[6]
            if start_text not in starts:
                number = numbered[0]
                self.start_time(start_text, lines[number - 1], number)

    def classify(self, line: str, number: int) -> None:
        # User lines are the bulk of a large output: test for them first and cheaply.
        if (self.feature is not None and (", start " in line or " queued for " in line)
                and self.user_line(line, number)):
            return
        stripped = line.strip()
        first = stripped[0]
        if first == '"':
            self.pool_line(stripped, number)
        elif stripped.startswith("Users of "):
            self.feature_header(stripped, number)
        elif "RESERVATION" in stripped and first.isdigit():
            self.reservation_line(stripped, number)
        elif self.feature is not None and self.pool_detail(stripped):
            pass
        elif not self.structure_line(line, stripped, number):
            self.unrecognised(line, number)

    def structure_line(self, line: str, stripped: str, number: int) -> bool:
        if stripped.startswith(_SERVER_STATUS):
            self.start_server(stripped[len(_SERVER_STATUS):].strip())
        elif stripped.startswith(_LICENSE_FILES):
            self.license_files_line(stripped)
        elif stripped.startswith(_VENDOR_STATUS):
            self.current_server().vendor_host = stripped[len(_VENDOR_STATUS):].rstrip(":) ")
            self.end_feature()
            self.section = "vendor"
            self.recognised = True
        elif stripped == "Feature usage info:":
            self.current_server().start_feature_list()
            self.section = "features"
            self.recognised = True
        elif stripped.startswith("Flexible License Manager status on"):
            self.date_line(stripped, number)
        elif "Copyright" in stripped and number <= 3:
            self.recognised = True
        elif number <= 3 and _COMMAND_ECHO.search(stripped):
            pass  # the command line itself, saved along with its output
        elif stripped.startswith("----------") and set(stripped) == {"-"}:
            self.end_server()
        elif stripped == "[Detecting lmgrd processes...]":
            pass
        elif stripped.startswith(("Error getting status:", "lmgrd is not running:")):
            self.server_error(stripped)
        elif _DEBUG_NOISE.match(line):
            pass  # vendor-daemon debug output that some lmutil builds mix into stdout
        elif (self.section == "server" and self.host_line(stripped)
              or self.section == "vendor" and self.daemon_line(stripped)):
            pass
        elif self.section == "features" and self.daemon_line(stripped, status_only=True):
            pass  # a second daemon announced inside the feature list (seen in real captures)
        elif stripped in _ELISIONS:
            self.diagnose(number, "elided line in the sample", line)
        else:
            return False
        return True

    def read_number(self, text: str | None, maximum: int, what: str, line: str,
               number: int) -> int | None:
        """A number printed on the line; None when absent, not a number (a port may be any
        word), or out of range, which is diagnosed."""
        if text is None:
            return None
        value = read_int(text, maximum)
        if value is None and is_ascii_number(text):
            self.diagnose(number, f"{what} out of range (more than {maximum:,})", line)
        return value

    def diagnose(self, number: int, message: str, line: str) -> None:
        self.diagnostics.append(Diagnostic(number, message, line, self.name))

    def unrecognised(self, line: str, number: int) -> None:
        self.diagnose(number, "unrecognised line", line)

    # ---- servers, hosts, daemons -------------------------------------------------------------

    def current_server(self) -> _ServerBuilder:
        if self.server is None:
            self.server = _ServerBuilder(None)
            self.servers.append(self.server)
        return self.server

    def start_server(self, source: str) -> None:
        self.end_server()
        self.server = _ServerBuilder(source or None)
        self.servers.append(self.server)
        self.section = "server"
        self.recognised = True

    def end_server(self) -> None:
        self.end_feature()
        self.server = None
        self.section = "top"

    def license_files_line(self, stripped: str) -> None:
        rest = stripped[len(_LICENSE_FILES):]
        _, sep, path = rest.partition(": ")
        path = (path if sep else rest).rstrip()
        if path.endswith(":"):
            path = path[:-1]
        self.current_server().license_files.append(path)

    def date_line(self, stripped: str, number: int) -> None:
        self.recognised = True
        match = _DATE_LINE.match(stripped)
        if match is None:
            self.diagnose(number, "unreadable status date", stripped)
            return
        year = int(match["year"])  # four ASCII digits
        if year not in STATUS_YEARS:
            self.diagnose(number, f"status date out of range (year {year})", stripped)
            return
        try:
            self.reported_at = datetime(
                year, int(match["month"]), int(match["day"]),
                int(match["hour"]), int(match["minute"]), tzinfo=self.tz,
            )
        except ValueError:
            self.diagnose(number, "impossible status date", stripped)

    def server_error(self, stripped: str) -> None:
        self.recognised = True
        server = self.current_server()
        label, _, rest = stripped.partition(":")
        server.error, server.error_code = _split_error(rest)
        server.down = label == "lmgrd is not running"

    def host_line(self, stripped: str) -> bool:
        server = self.current_server()
        match = _HOST_UP.fullmatch(stripped)
        if match is not None:
            host = match["host"]
            server.hosts.append(LicenseHost(
                host=host,
                port=server.port_of(host),
                status=Status.UP if match["status"] == "UP" else Status.DOWN,
                master=match["master"] is not None,
                version=match["version"],
            ))
            return True
        named = _NAMED_LINE.fullmatch(stripped)
        if named is None or _ERROR_CODE.search(stripped) is None:
            return False
        host = named["name"]
        message, code = _split_error(named["rest"])
        server.hosts.append(LicenseHost(host=host, port=server.port_of(host), status=Status.DOWN,
                                        error=message, error_code=code))
        return True

    def daemon_line(self, stripped: str, status_only: bool = False) -> bool:
        named = _NAMED_LINE.fullmatch(stripped)
        if named is None:
            return False
        status = _DAEMON_STATUS.fullmatch(named["rest"])
        if status is None and status_only:
            return False
        server = self.current_server()
        if status is not None:
            daemon = VendorDaemon(
                name=named["name"],
                status=Status.UP if status["status"] == "UP" else Status.DOWN,
                version=status["version"],
                host=server.vendor_host,
            )
        else:
            message, code = _split_error(named["rest"])
            daemon = VendorDaemon(name=named["name"], status=Status.DOWN,
                                  error=f"{message} ({code})" if code else message,
                                  host=server.vendor_host)
        server.vendors.append(daemon)
        server.announce(daemon.name)
        return True

    # ---- features ----------------------------------------------------------------------------

    def feature_header(self, stripped: str, number: int) -> None:
        self.recognised = True
        self.end_feature()
        self.section = "features"
        match = _FEATURE_HEADER.fullmatch(stripped)
        if match is None:
            self.unrecognised(stripped, number)
            return
        error, error_code = _header_error(match)
        server = self.current_server()
        issued = self.read_number(match["issued"], COUNT_MAX, "licences issued", stripped, number)
        in_use = 0 if match["none"] else self.read_number(match["in_use"], COUNT_MAX,
                                                          "licences in use", stripped, number)
        self.feature = _FeatureBuilder(
            name=match["name"],
            issued=issued,
            in_use=in_use,
            uncounted=match["uncounted"] is not None,
            error=error,
            error_code=error_code,
            daemon=server.listing_daemon,
            line=number,
        )
        server.features.append(self.feature)

    def end_feature(self) -> None:
        self.feature = None

    def pool_line(self, stripped: str, number: int) -> None:
        match = _POOL.fullmatch(stripped)
        if self.feature is None or match is None:
            self.unrecognised(stripped, number)
            return
        expiry = None
        if match["expiry"] is not None:
            try:
                expiry = parse_expiry(match["expiry"])
            except BadDate:
                self.diagnose(number, "unreadable expiry date", stripped)
        self.feature.add_pool(Pool(
            version=match["version"], expiry=expiry, license_type="floating",
            vendor=match["vendor"],
        ))

    def pool_detail(self, stripped: str) -> bool:
        """The lines under a pool's quoted header: vendor_string and the licence type."""
        feature = self.feature
        if not feature.pools:
            return False
        pool = feature.pools[-1]
        if stripped.startswith("vendor_string:"):
            vendor_string = stripped.removeprefix("vendor_string:").strip()
            feature.pools[-1] = pool._replace(vendor_string=vendor_string)
        elif stripped == "floating license":
            if pool.license_type != "floating":  # as the pool's line has it, nearly always
                feature.pools[-1] = pool._replace(license_type="floating")
        elif (match := _UNCOUNTED.fullmatch(stripped)) is not None:
            feature.pools[-1] = pool._replace(license_type="uncounted",
                                              locked_to=match["hostid"] or match["id"])
        elif (match := _NODELOCKED.fullmatch(stripped)) is not None:
            feature.pools[-1] = pool._replace(license_type="nodelocked", locked_to=match["id"])
        elif stripped.endswith(" license") and " " not in stripped[: -len(" license")]:
            feature.pools[-1] = pool._replace(license_type=stripped[: -len(" license")])
        else:
            return False
        return True

    def reservation_line(self, stripped: str, number: int) -> None:
        match = _RESERVATION.fullmatch(stripped)
        if self.feature is None or match is None:
            self.unrecognised(stripped, number)
            return
        count = self.read_number(match["count"], COUNT_MAX, "reservation count", stripped, number)
        if count is None:
            return
        self.feature.reservations.append(Reservation(
            count=count, kind=match["kind"] or BORROWED, name=match["name"],
            pool=self.feature.pool_index, server=match["server"],
            port=self.read_number(match["port"], PORT_MAX, "port", stripped, number),
        ))

    def user_line(self, line: str, number: int) -> bool:
        match = _USER.fullmatch(line) or _USER_PARTS_LEFT_OUT.fullmatch(line)
        if match is None:
            return False
        (who, version, server, port, handle, start_text, count, pid, borrow_return, queued,
         linger, linger_total) = match.groups()
        seats = self.read_number(queued or count or "1", COUNT_MAX, "licence count", line, number)
        if seats is None:
            return True  # said so; a seat of unknown size is no seat
        port_number = self.read_number(port, PORT_MAX, "port", line, number)
        handle_number = self.read_number(handle, ID_MAX, "handle", line, number)
        identity = split_identity(who, version)
        feature = self.feature
        if queued is not None:
            seat = Queued(identity.user, identity.host, identity.display, seats,
                          feature.pool_index, version, server, port_number, handle_number)
            self.add_seat(feature.queued, seat, identity, who, version)
            return True
        start = self.start_time(start_text, line, number)
        borrowed, linger_s, linger_total_s = False, None, None
        if borrow_return is not None:
            borrowed, linger_s, linger_total_s = self.borrow(borrow_return, start, line, number)
        elif linger is not None:
            borrowed, linger_s, linger_total_s = self.linger(
                self.read_number(linger, COUNT_MAX, "linger", line, number),
                self.read_number(linger_total, COUNT_MAX, "linger", line, number), start)
        seat = Checkout(
            identity.user, identity.host, identity.display, version, feature.pool_index,
            server, port_number, handle_number, start, seats, borrowed, linger_s,
            linger_total_s, self.read_number(pid, ID_MAX, "PID", line, number), identity.extra,
        )
        self.add_seat(feature.checkouts, seat, identity, who, version)
        return True

    def add_seat(self, seats: list, seat: Checkout | Queued, identity: Identity, who: str,
                 version: str | None) -> None:
        if identity.tentative:
            self.tentative.append((seats, len(seats), who, version))
        seats.append(seat)

    def linger(self, first: int | None, total: int | None,
               start: datetime | None) -> tuple[bool, int | None, int | None]:
        """(borrowed, seconds left, seconds in all) of a seat's linger period.

        Current lmstat prints `(linger: LEFT / TOTAL)`: the corpus's Autodesk borrow (start
        10/1 11:44, status 10/15 15:45, `4263164 / 5487240`) shows LEFT = TOTAL - the time
        since checkout. Old lmstat printed `(linger: TOTAL)` (lm_stat.c); LEFT is worked out
        the same way. A seat with nothing left is a live seat under a linger policy, not a
        borrow (Autodesk borrows show as lingers with time left). A number out of range is
        None (and diagnosed by the caller)."""
        if first is None:
            return False, None, total
        if total is not None:
            return first > 0, first, total
        total = first
        if start is None:
            return True, None, total  # lmstat prints a linger only when there is one
        # Seconds, not a date: start + total may lie beyond the last year a datetime holds.
        elapsed = (self.reference_time() - start).total_seconds()
        left = max(0, int(total - elapsed))
        return left > 0, left, total

    def borrow(self, due_text: str, start: datetime | None, line: str,
               number: int) -> tuple[bool, int | None, int | None]:
        """The same for `, borrow-return DATE`, which old lmstat printed for a borrow."""
        due = self.borrow_due(due_text, start, line, number)
        if due is None or start is None:
            return True, None, None
        return True, self.seconds_until(due), int((due - start).total_seconds())

    def seconds_until(self, moment: datetime) -> int:
        return max(0, int((moment - self.reference_time()).total_seconds()))

    def reference_time(self) -> datetime:
        """The time of the status: printed by lmstat, else given by the caller, else now."""
        return self.reported_at or self.now or datetime.now(self.tz)

    def borrow_due(self, text: str, start: datetime | None, line: str,
                   number: int) -> datetime | None:
        """`M/D H:MM` of a borrow-return: the first such time after the checkout."""
        try:
            a_year_later = (start or self.reference_time()) + timedelta(days=365)
            return resolve_start(*_month_day_hour_minute(text), reference=a_year_later,
                                 tz=self.tz)
        except (BadDate, ValueError, OverflowError):
            self.diagnose(number, "impossible borrow-return time", line)
            return None

    def settle_tentative_identities(self) -> None:
        """Split again the seats whose user/host/display had no certain split, now that the
        hosts of every plain three-word seat line are known."""
        if not self.tentative:
            return
        words = {word for _, _, who, _ in self.tentative for word in who.split()}
        known_hosts = set()
        for server in self.servers:
            for feature in server.features:
                for seats in (feature.checkouts, feature.queued):
                    if not words.isdisjoint(map(_HOST_OF_SEAT, seats)):  # seldom: look closer
                        known_hosts.update(seat.host for seat in seats
                                           if seat.host in words and _three_word_identity(seat))
        for seats, index, who, version in self.tentative:
            seats[index] = _with_identity(seats[index], split_identity(who, version, known_hosts))

    def start_time(self, text: str, line: str, number: int) -> datetime | None:
        """`M/D H:MM` -> datetime, cached: a large output repeats few distinct minutes, and
        fewer days and times of day, whose parts are cached too. Most calls are for a time
        not read yet (parse looks in the cache first): a KeyError each would cost more than
        the datetime."""
        starts = self.start_cache
        if text in starts:
            return starts[text]
        day_text, _, time_text = text.partition(" ")
        midnight = self.start_days.get(day_text)
        since_midnight = self.times_of_day.get(time_text)
        try:
            if midnight is None:
                midnight = self.start_day(day_text)
            if since_midnight is None:
                since_midnight = self.time_of_day(time_text)
        except (BadDate, ValueError, OverflowError):
            self.diagnose(number, "impossible start time", line)
            starts[text] = None
            return None
        start = starts[text] = midnight + since_midnight  # as datetime(..., hour, minute, tz)
        return start

    def start_day(self, text: str) -> datetime:
        """`M/D` -> its midnight: the latest such day by the status's date (a 29 February:
        the last leap year's). ValueError for a day no year has."""
        month, _, day = text.partition("/")
        midnight = resolve_start(int(month), int(day), 0, 0, reference=self.reference_time(),
                                 tz=self.tz)
        self.start_days[text] = midnight
        return midnight

    def time_of_day(self, text: str) -> timedelta:
        """`H:MM` -> the time since midnight; ValueError for a time no day has."""
        hour_text, _, minute_text = text.partition(":")
        hour, minute = int(hour_text), int(minute_text)
        if hour > 23 or minute > 59:
            raise ValueError(f"no such time of day: {text}")
        since_midnight = self.times_of_day[text] = timedelta(hours=hour, minutes=minute)
        return since_midnight

    # ---- end of input ------------------------------------------------------------------------

    def truncation(self, lines: list[str], text: str) -> int | None:
        """The line where the output visibly stops mid-structure, or None. Real lmstat
        outputs end with a newline after a complete block."""
        if not lines:
            return None
        last = len(lines)
        cut_mid_line = not text.endswith(("\n", "\r"))
        if cut_mid_line and self.diagnostics and self.diagnostics[-1].line == last:
            return last
        feature = self.feature
        if feature is not None and feature.in_use and not (
            feature.pools or feature.checkouts or feature.seats_left_out
            or feature.reservations or feature.queued
        ):
            return feature.line  # a header promising seats and nothing after it
        server = self.servers[-1] if self.servers else None
        if server is not None and server.source and not (
            server.hosts or server.error or server.vendors or server.features
        ):
            return last  # stops before the first server status line
        return None

    def build_servers(self) -> tuple[ServerStatus, ...]:
        single = len(self.servers) == 1
        built = []
        for index, server in enumerate(self.servers):
            if self.name is not None and (single or index == 0 and server.source is None):
                name = self.name
            else:
                name = server.source or self.name or "unknown"
            built.append(server.build(name, self.reported_at))
        return tuple(built)


def _plain_seat_of_other_words(line: str) -> tuple | None:
    """The fields of a canonical user line whose words before "(v" are not in a layout of
    _CANONICAL_USER, in the order of its groups (the user, host, display and extra split
    from them); None for any other line and for a split that is tentative."""
    match = _CANONICAL_SEAT_OTHER_WORDS.fullmatch(line)
    if match is None:
        return None
    who, version_server_port, *rest = match.groups()
    identity = split_identity(who, version_server_port.partition(") (")[0])
    if identity.tentative:
        return None
    return (identity.user, identity.host, identity.display, identity.extra,
            version_server_port, *rest)


class _ServerOfSeats(dict):
    """`VERSION) (SERVER/PORT` of canonical user lines -> (version, server, port), each read
    once and shared by the seats that repeat it."""

    def read(self, text: str) -> tuple[str, str, int]:
        version, _, server_port = text.partition(") (")  # a version holds no parenthesis
        server, _, port = server_port.partition("/")  # a server holds no slash
        self[text] = found = version, server, int(port)
        return found


def _month_day_hour_minute(text: str) -> tuple[int, int, int, int]:
    """`3/11 16:46` -> (3, 11, 16, 46)."""
    date_part, _, time_part = text.partition(" ")
    month, _, day = date_part.partition("/")
    hour, _, minute = time_part.partition(":")
    return int(month), int(day), int(hour), int(minute)


def _header_error(match: re.Match) -> tuple[str | None, str | None]:
    """The error a "Users of" header carries instead of totals, and its FLEXlm code."""
    if match["cannot"] is not None:
        return _split_error(match["cannot"])
    if match["error"] is not None:
        return match["error"].strip(), None
    return None, None


def _skip(items: Iterator, count: int) -> None:
    """Advance `items` by `count` items."""
    next(islice(items, count, count), None)


_FIELDS = re.Match.groups
_HOST_OF_SEAT = itemgetter(1)  # Checkout.host, Queued.host
assert Checkout._fields[1] == Queued._fields[1] == "host"


def _three_word_identity(seat: Checkout | Queued) -> bool:
    """Whether a seat's user, host and display came from exactly three words, the one
    layout whose host is certain (more words put a space in one of them, or an extra)."""
    return (seat.host is not None and seat.display is not None
            and getattr(seat, "extra", None) is None
            and " " not in seat.user and " " not in seat.display)


def _with_identity(seat: Checkout | Queued, identity: Identity) -> Checkout | Queued:
    if isinstance(seat, Checkout):
        return seat._replace(user=identity.user, host=identity.host, display=identity.display,
                             extra=identity.extra)
    return seat._replace(user=identity.user, host=identity.host, display=identity.display)
