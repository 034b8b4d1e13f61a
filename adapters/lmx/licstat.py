"""Parser for the output of X-Formation LM-X `lmxendutil -licstat [-host H -port P | -hal S]`.

A pure function from text to the domain model plus diagnostics: it never raises on bad input
and never drops a line silently. The layout (shared/reference/formats.md section 7):

    LM-X End-user Utility v3.32                      banner and copyright
    ++++++++++++++++++++++++++++++++++++++++         one block per licence server:
    LM-X License Server on 6200@licserv:             (a HAL triad: three of them)
    Server version: v5.1 Uptime: 3 day(s) ...        or `XF Error: Unable to connect ...`
    ----------------------------------------         one section per feature:
    Feature: NAME Version: 21.0 Vendor: ALTAIR
    Start date: 2022-02-17 Expire date: 2023-01-31   (Start date may be NONE)
    Key type: EXCLUSIVE License sharing: HOST USER VIRTUAL
    2 of 10 license(s) used:                         (the colon only when users follow)
    1 license(s) used by user@host [10.0.0.5]        then, indented 0 or 4 spaces:
        Login time: 2024-03-11 12:50   Checkout time: 2024-03-11 12:50
        Shared on username: user   Shared on hostname: host
        (a borrowed seat: `Borrow expire time: ...` instead of the login line)

Discovery without a server (`LM-X license server(s):`) may answer `There are no license
server(s) available.`: an error with a meaning, a server down, not an empty status. Blank
lines and indentation carry no structure; Windows line endings and a BOM are read past.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from lmconsole.adapter import StatusReport
from lmconsole.model import Diagnostic
from lmconsole.numbers import COUNT_MAX, PORT_MAX, is_ascii_number, read_int

from .build import FeatureBlock, Seat, ServerBlock, build_server
from .dates import BadDate, known_moment, parse_day

_BANNER = re.compile(r"LM-X End-user Utility v\S*")
_SERVER = re.compile(r"LM-X (?:HAL )?License Server on (?P<spec>.*?):?")
_DISCOVERY = "LM-X license server(s):"
_NO_SERVERS = re.compile(r"There are no license server\(s\) available\.?")
_SERVER_VERSION = re.compile(r"Server version: (?P<version>\S+)(?: +Uptime: (?P<uptime>.*))?")
_KEY_TYPE = re.compile(r"Key type: (?P<key>\S*)(?: +License sharing: (?P<sharing>.*))?")
_IN_USE = re.compile(r"(?P<used>[0-9]++) of (?P<total>[0-9]++) licen[sc]e(?:\(s\)|s)? used:?")
_SEAT = re.compile(r"(?P<count>[0-9]++) licen[sc]e(?:\(s\)|s)? (?:used|borrowed) by ")
_VENDOR = re.compile(r"Vendor:? (?P<vendor>\S+?):?")  # older versions, above the server's lines
_BORROW = re.compile(r"Borrow expire time: (?P<expiry>.*)")
_SHARED = re.compile(r"Shared on ")
_ERROR = re.compile(r"(?:XF )?Error(?: \([^()]*\))?: (?P<message>.*)", re.IGNORECASE)
_COMMAND_ECHO = re.compile(r"(?:\S*[$#>] )?\S*lmxendutil(?:\.exe)?\s+-")
_COPYRIGHT = "X-Formation"
_ELISIONS = ("...", "[...]", "…")


def parse_licstat(text: str, *, name: str | None = None, tz: tzinfo = UTC,
                  now: datetime | None = None) -> StatusReport:
    """Parse one `lmxendutil -licstat` output. `name` names the server (else its port@host);
    `tz` is the licence server's zone; `now` (the moment of the status: LM-X prints none)
    is what a borrowed seat's time left is counted from."""
    return _Parser(name, tz, now or datetime.now(tz)).parse(text)


class _Parser:
    def __init__(self, name: str | None, tz: tzinfo, now: datetime) -> None:
        self.name = name
        self.tz = tz
        self.now = now
        self.blocks: list[ServerBlock] = []
        self.feature: FeatureBlock | None = None
        self.seat: Seat | None = None
        self.error: str | None = None  # the output's own error, naming no server
        self.vendor = ""  # the vendor an older version names above the server's lines
        self.recognised = False
        self.diagnostics: list[Diagnostic] = []
        self.moments: dict[str, datetime | None] = {}  # a large output repeats few minutes

    def parse(self, text: str) -> StatusReport:
        lines = text.lstrip("\ufeff").splitlines()
        for number, line in enumerate(lines, 1):
            stripped = line.strip()
            if stripped:
                self.classify(stripped, number)
        truncated = self.truncation(lines, text)
        servers = (build_server(self.blocks, name=self.name, now=self.now, error=self.error),
                   ) if self.blocks or self.error else ()  # none: its banner alone
        return StatusReport(servers=servers, diagnostics=tuple(self.diagnostics),
                            reported_at=None, recognised=self.recognised,
                            truncated_at=truncated)

    def classify(self, stripped: str, number: int) -> None:
        if self.feature is not None and self.feature_line(stripped, number):
            return
        if (fields := _labelled(stripped, "Feature:", "Version:", "Vendor:")) is not None:
            self.start_feature(*fields, number)
        elif (fields := _labelled(stripped, "Feature:", "Version:")) is not None:
            self.start_feature(*fields, self.vendor, number)  # older versions name no vendor
        elif (match := _SERVER.fullmatch(stripped)) is not None:
            self.start_server(match["spec"].strip(), stripped, number)
        elif (match := _SERVER_VERSION.fullmatch(stripped)) is not None:
            self.recognised = True
            block = self.current_block(number)
            block.version, block.uptime = match["version"], match["uptime"]
        elif len(stripped) >= 8 and set(stripped) in ({"-"}, {"+"}):  # separators
            self.end_feature()
        elif not self.other_line(stripped, number):
            self.diagnose(number, "unrecognised line", stripped)

    def other_line(self, stripped: str, number: int) -> bool:
        if _BANNER.fullmatch(stripped):
            self.recognised = True
        elif stripped == _DISCOVERY:
            self.recognised = True
            self.end_feature()
        elif (match := _VENDOR.fullmatch(stripped)) is not None:
            self.recognised = True
            self.vendor = match["vendor"]
        elif _NO_SERVERS.fullmatch(stripped):
            self.recognised = True
            self.error = stripped
        elif (match := _ERROR.fullmatch(stripped)) is not None:
            self.block_error(match["message"].strip() or stripped, number)
        elif self.quiet_line(stripped, number):
            pass
        elif stripped in _ELISIONS:
            self.diagnose(number, "elided line in the sample", stripped)
        else:
            return False
        return True

    @staticmethod
    def quiet_line(stripped: str, number: int) -> bool:
        """The copyright line, and the command itself echoed above a capture."""
        return bool(stripped.startswith("Copyright") and _COPYRIGHT in stripped
                    or number <= 3 and _COMMAND_ECHO.match(stripped))

    # ---- servers -----------------------------------------------------------------------------

    def start_server(self, spec: str, stripped: str, number: int) -> None:
        self.recognised = True
        self.end_feature()
        host, port = self.server_spec(spec, stripped, number)
        self.blocks.append(ServerBlock(host, port, number))

    def server_spec(self, spec: str, stripped: str, number: int) -> tuple[str | None, int | None]:
        """`6200@host` (also `host:6200`, or a host alone: the default port 6200)."""
        if "@" in spec:
            port_text, _, host = spec.partition("@")
        elif spec.count(":") == 1:
            host, _, port_text = spec.partition(":")
        else:
            return spec or None, None
        port = read_int(port_text, PORT_MAX)
        if port is None:
            self.diagnose(number, "port out of range (more than 65,535)"
                          if is_ascii_number(port_text) else "port is not a number", stripped)
        return host or None, port

    def current_block(self, number: int) -> ServerBlock:
        if not self.blocks:  # a capture that starts below the server's heading
            self.blocks.append(ServerBlock(None, None, number))
        return self.blocks[-1]

    def block_error(self, message: str, number: int) -> None:
        self.recognised = True
        self.end_feature()
        if not self.blocks:
            self.error = f"{self.error}; {message}" if self.error else message
            return
        block = self.blocks[-1]
        block.error = f"{block.error}; {message}" if block.error else message

    # ---- features ----------------------------------------------------------------------------

    def start_feature(self, name: str, version: str, vendor: str, number: int) -> None:
        self.recognised = True
        self.end_feature()
        self.feature = FeatureBlock(name, version or None, vendor or None, number)
        self.current_block(number).features.append(self.feature)

    def end_feature(self) -> None:
        self.feature = None
        self.seat = None

    def feature_line(self, stripped: str, number: int) -> bool:
        """A line of the feature section above; False: none of its lines."""
        feature = self.feature
        if (match := _SEAT.match(stripped)) is not None:
            self.start_seat(match, stripped, number)
        elif (times := _labelled(stripped, "Login time:", "Checkout time:")) is not None:
            seat = self.seat_for(stripped, number)
            if seat is not None:
                seat.login = self.moment(times[0], stripped, number, "login time")
                seat.checkout = self.moment(times[1], stripped, number, "checkout time")
        elif (match := _BORROW.fullmatch(stripped)) is not None:
            seat = self.seat_for(stripped, number)
            if seat is not None:
                seat.borrow_expiry = self.moment(match["expiry"], stripped, number,
                                                 "borrow expiry time") or self.now
        elif _SHARED.match(stripped):
            seat = self.seat_for(stripped, number)
            if seat is not None:
                seat.sharing = _sharing(stripped)
        elif (match := _IN_USE.fullmatch(stripped)) is not None:
            feature.counted = True
            feature.in_use = self.count(match["used"], "licences in use", stripped, number)
            feature.issued = self.count(match["total"], "licence count", stripped, number)
        elif (dates := _labelled(stripped, "Start date:", "Expire date:")) is not None:
            feature.start = self.day(dates[0], stripped, number, "start date")
            feature.expiry = self.day(dates[1], stripped, number, "expiry date")
        elif (match := _KEY_TYPE.fullmatch(stripped)) is not None:
            feature.key_type = match["key"] or None
            feature.sharing = (match["sharing"] or "").strip() or None
        else:
            return False
        return True

    def start_seat(self, match: re.Match, stripped: str, number: int) -> None:
        count = self.count(match["count"], "licence count", stripped, number)
        if count is None:
            self.seat = None
            return  # said so; a seat of unknown size is no seat
        who, ip = stripped[match.end():].strip(), None
        if who.endswith("]") and " [" in who:  # the client's address, last
            who, _, ip = who[:-1].rpartition(" [")
        user, at, host = who.strip().partition("@")  # a host may hold `_`, `@` and more
        if not at or not user or not host or " " in host:
            self.diagnose(number, "seat without user@host", stripped)
        self.seat = Seat(user, host or None, ip or None, count, number)
        self.feature.seats.append(self.seat)

    def seat_for(self, stripped: str, number: int) -> Seat | None:
        if self.seat is None:
            self.diagnose(number, "seat detail without its seat", stripped)
        return self.seat

    # ---- values ------------------------------------------------------------------------------

    def count(self, text: str, what: str, line: str, number: int) -> int | None:
        value = read_int(text, COUNT_MAX)
        if value is None:
            self.diagnose(number, f"{what} out of range (more than {COUNT_MAX:,})"
                          if is_ascii_number(text) else f"{what} is not a number", line)
        return value

    def day(self, text: str, line: str, number: int, what: str):
        try:
            return parse_day(text)
        except BadDate:
            self.diagnose(number, f"unreadable {what}", line)
            return None

    def moment(self, text: str, line: str, number: int, what: str) -> datetime | None:
        moment = known_moment(text, self.tz, self.moments)
        if moment is None:
            self.diagnose(number, f"unreadable {what}", line)
        return moment

    def diagnose(self, number: int, message: str, line: str) -> None:
        self.diagnostics.append(Diagnostic(number, message, line, self.name))

    def truncation(self, lines: list[str], text: str) -> int | None:
        """The line where the output visibly stops mid-structure: a feature whose count line
        never came, or a last line cut short and not understood."""
        if not lines:
            return None
        last = len(lines)
        if (not text.endswith(("\n", "\r")) and self.diagnostics
                and self.diagnostics[-1].line == last):
            return last
        if self.feature is not None and not self.feature.counted:
            return self.feature.line
        return None


def _labelled(line: str, *labels: str) -> list[str] | None:
    """The values after each of `labels`, which `line` holds in that order, the first at its
    start (`Feature: X Version: 1.0 Vendor: V`); None when it does not. Plain searches: a
    value may hold spaces, and no pattern backtracks over a long run of them."""
    if not line.startswith(labels[0]):
        return None
    values, rest = [], line[len(labels[0]):]
    for label in labels[1:]:
        value, found, rest = rest.partition(" " + label)
        if not found:
            return None
        values.append(value.strip())
    return values + [rest.strip()]


def _sharing(stripped: str) -> str:
    """`Shared on username: bob   Shared on hostname: pc` -> `username: bob, hostname: pc`."""
    parts = [part.strip() for part in stripped.split("Shared on ") if part.strip()]
    return ", ".join(parts)
