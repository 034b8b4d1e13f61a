"""Parser for the output of Reprise RLM `rlmutil rlmstat -a -c port@host`.

A pure function from text to the domain model plus diagnostics: it never raises on bad input
and never drops a line silently. The layout (shared/reference/formats.md section 6):

- the rlm server's own status (`rlm status on HOST (port N)`, its version, statistics), then
  the table of its ISV servers (`Name Port Running Restarts`);
- per ISV: its server status, its licence pools (`product vVER[, pool: N]` then indented
  `count: N, # reservations: N, inuse: N, exp: DATE` and `obsolete: ...` lines), and its
  usage (`product vVER: user@host COUNT/RES at MM/DD HH:MM  (handle: HEX)`);
- sections are separated by dashed lines, everything indented; a capture may start anywhere.

Mapped to the model: one Feature per (ISV, product), one Pool per pool line under it (its
issued and in-use counts summed over them, as printed), one Checkout per usage line. A pool's
`# reservations` become one reservation of kind RESERVE (rlmstat does not say for whom).
Handles are hexadecimal in the output and kept as their value. RLM prints no status time;
the statistics' `init time` plus the time counted since is the moment of the status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from lmconsole.adapter import StatusReport
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

from .dates import BadDate, parse_ctime, parse_duration, parse_expiry, resolve_checkout

MANAGER = "rlm"
RESERVE = "RESERVE"  # the Reservation kind of a pool's `# reservations`

_ON_HOST_PORT = r" on (?P<host>\S*) \(port (?P<port>[^()\s]*)\)"
_RLM_STATUS = re.compile(rf"rlm status{_ON_HOST_PORT}(?:, up .*)?")
_ISV_STATUS = re.compile(rf"(?P<isv>\S+) ISV server status{_ON_HOST_PORT}(?:, up .*)?")
_POOL_STATUS = re.compile(rf"(?P<isv>\S+) license pool status{_ON_HOST_PORT}")
_USAGE_STATUS = re.compile(rf"(?P<isv>\S+) license usage status{_ON_HOST_PORT}")
_SOFTWARE_VERSION = re.compile(r"(?P<who>\S+) software version (?P<version>v[^\s(]*)(?: \(.*\))?")
_STATISTICS = re.compile(r"(?P<which>Todays|Recent) Statistics \((?P<elapsed>[^()]*)\), "
                         r"init time: (?P<init>.*\S)")
_ISV_ROW = re.compile(r"(?P<name>\S+) ++(?P<port>[0-9]+) ++(?P<running>\S+) ++(?P<restarts>\S+)"
                      r"(?: .*)?")  # later versions may add columns
_PRODUCT = re.compile(r"(?P<product>\S+) v(?P<version>[^\s:,]*)(?:, pool: (?P<pool>\S+))?")
# A usage line, anchored on ` COUNT/RES at MM/DD HH:MM` (user names may hold spaces and
# `@`); the old layout put the client's `(vVER) (HANDLE)` after user@host. One space before
# the count: a run of spaces that then fails to match is not tried split by split.
_USAGE = re.compile(
    r"(?P<product>\S+) v(?P<version>[^\s:,]*)(?:, pool: (?P<pool>[^\s:]+))?: (?P<who>.+?)"
    r" (?P<count>[0-9]++)/(?P<res>[0-9]++) at (?P<month>[0-9]{1,2})/(?P<day>[0-9]{1,2})"
    r" (?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?P<tail>(?:\s++\S.*)?)")
_OLD_CLIENT = re.compile(
    r"(?P<who>.*?)(?:\(v(?P<client>[^()\s]*)\))? ?\((?P<handle>[0-9a-fA-F]++)\)")
_TAIL_ITEM = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_HANDLE = re.compile(r"handle: (?P<handle>[0-9a-fA-F]+)")
_HANDLE_ONLY = re.compile(r"\s*+\(handle: (?P<handle>[0-9a-fA-F]+)\)\s*+")
_STATS_ROW = re.compile(r"(?:Messages|Connections|Checkouts|Denials|Removals|Queued)"
                        r"(?::| ).*")
_DURATIONS_ROW = re.compile(r"(?:(?:[0-9]+d )?[0-9]+:[0-9]+:[0-9]+\s*)+")
_LICENSE_PATH = "Setting license file path to "
_UTILITY_BANNER = re.compile(r"(?:rlmutil|rlmstat)(?:\.exe)? v\S+")
_COMMAND_ECHO = re.compile(r"(?:[%$>] )?\S*(?:rlmutil|rlmstat)(?:\.exe)?\s+(?:rlmstat\s*)?-")
_CONNECT_ERROR = re.compile(r'Error connecting to "(?P<what>[^"]*)" server')
_CONNECT_ATTEMPT = re.compile(r'Connection attempted to host: "(?P<host>[^"]*)" on port '
                              r"(?P<port>\S+)")
_ELISIONS = ("...", "[...]", "…")

# The fields of a pool's indented lines. Known ones that the model has no place for are
# read past; any other is diagnosed (and the known ones of its line still read).
_POOL_COUNTS = {"count", "# reservations", "inuse", "exp", "obsolete", "min_remove",
                "total checkouts", "soft_limit", "hold", "max_roam", "max_roam_count",
                "roaming", "roam", "named user", "min_checkout", "timezone", "share",
                "max_share", "tokens", "token", "hostid", "contract", "customer", "issuer",
                "platforms", "options", "start", "type", "user_based", "host_based",
                "named_user", "disable", "id", "queued"}
_UNCOUNTED_WORDS = {"uncounted", "single"}


def parse_rlmstat(text: str, *, name: str | None = None, tz: tzinfo = UTC,
                  now: datetime | None = None) -> StatusReport:
    """Parse one `rlmstat -a` output. `name` names the server (else its port@host); `tz` is
    the licence server's zone; `now` resolves checkout dates when the output's statistics
    give no time."""
    return _Parser(name, tz, now).parse(text)


# ---- builders --------------------------------------------------------------------------------

@dataclass(slots=True)
class _PoolLine:
    version: str
    number: str | None  # v14+'s `, pool: N`
    line: int
    expiry: object = None  # date | None
    count: int | None = None
    uncounted: bool = False
    in_use: int | None = None
    reserved: int = 0
    roaming: int = 0
    counted: bool = False  # its count line was read
    assigned: int = 0  # seats of usage lines given to it


@dataclass(slots=True)
class _Product:
    name: str
    isv: str | None
    line: int
    pools: list[_PoolLine] = field(default_factory=list)
    checkouts: list[Checkout] = field(default_factory=list)
    queued: list[Queued] = field(default_factory=list)
    headless: bool = False  # listed before any ISV heading: the ISV is inferred later

    def pool_for(self, version: str, number: str | None, seats: int) -> int | None:
        """The index of the pool a usage line's seats come from: the one of its pool number,
        else of its version, the first with in-use seats not yet accounted for."""
        matches = [i for i, p in enumerate(self.pools)
                   if p.version == version and (number is None or p.number == number)]
        if not matches:
            return None
        for i in matches:
            pool = self.pools[i]
            if pool.in_use is None or pool.assigned + seats <= pool.in_use:
                pool.assigned += seats
                return i
        self.pools[matches[0]].assigned += seats
        return matches[0]

    def build(self) -> Feature:
        pools = tuple(Pool(p.version, p.expiry, "uncounted" if p.uncounted else "floating",
                           vendor=self.isv) for p in self.pools)
        counted = [p for p in self.pools if p.counted]
        uncounted = bool(counted) and all(p.uncounted for p in counted)
        issued = None
        if counted and not uncounted:
            issued = sum(p.count or 0 for p in counted if not p.uncounted)
            if any(p.count is None and not p.uncounted for p in counted):
                issued = None  # a count out of range: the total is not known
        if counted:
            in_use_values = [p.in_use for p in counted]
            in_use = None if None in in_use_values else sum(in_use_values)
        else:  # no pool status printed: the usage lines are all there is
            in_use = sum(c.count for c in self.checkouts)
        reservations = [Reservation(p.reserved, RESERVE, "", i)
                        for i, p in enumerate(self.pools) if p.reserved]
        roaming_listed = sum(c.count for c in self.checkouts if c.borrowed)
        roaming = sum(p.roaming for p in self.pools)
        if roaming > roaming_listed:  # roaming seats no usage line shows
            reservations.append(Reservation(roaming - roaming_listed, BORROWED, "roaming", None))
        return Feature(name=self.name, vendor=self.isv, issued=issued, in_use=in_use,
                       uncounted=uncounted, pools=pools, checkouts=tuple(self.checkouts),
                       reservations=tuple(reservations), queued=tuple(self.queued))


@dataclass(slots=True)
class _Isv:
    name: str
    running: bool | None = None
    restarts: str | None = None
    version: str | None = None
    host: str | None = None

    def build(self) -> VendorDaemon:
        status = Status.DOWN if self.running is False else Status.UP
        error = None
        if self.running is False:
            error = "ISV server not running" + (
                f" ({self.restarts} restarts)" if self.restarts not in (None, "0") else "")
        return VendorDaemon(self.name, status, self.version, error, self.host)


class _Server:
    def __init__(self, source: str | None) -> None:
        self.source = source
        self.host: str | None = None
        self.port: int | None = None
        # The host an ISV heading names (`demo license usage status on H (port P)`): the
        # server's, when an output without the rlm server's own status (`rlmstat -i ISV`, a
        # capture cut at its start) names it nowhere else.
        self.isv_host: str | None = None
        self.version: str | None = None
        self.isvs: dict[str, _Isv] = {}
        self.products: dict[tuple[str | None, str], _Product] = {}
        self.error: str | None = None
        self.down = False

    def isv(self, name: str) -> _Isv:
        isv = self.isvs.get(name)
        if isv is None:
            isv = self.isvs[name] = _Isv(name)
        return isv

    def product(self, isv: str | None, name: str, line: int) -> _Product:
        key = (isv, name)
        product = self.products.get(key)
        if product is None:
            product = self.products[key] = _Product(name, isv, line, headless=isv is None)
        return product

    def has_data(self) -> bool:
        return bool(self.host or self.isvs or self.products)

    def settle_headless(self) -> None:
        """Pools listed before any ISV heading (a capture that starts mid-way) belong to the
        ISV whose usage section names their products, when exactly one does."""
        headless = [p for key, p in self.products.items() if key[0] is None and p.headless]
        claimed = {p.isv for p in headless if p.isv is not None}
        if len(claimed) != 1:
            return
        (isv,) = claimed
        for product in headless:
            product.isv = isv

    def build(self, name: str, reported_at: datetime | None) -> ServerStatus:
        self.settle_headless()
        hosts = ()
        if self.host:
            hosts = (LicenseHost(self.host, self.port, Status.UP, version=self.version),)
        elif self.isv_host:
            hosts = (LicenseHost(self.isv_host, None, Status.UP),)
        error = self.error
        if self.down:
            status = Status.DOWN
        elif self.has_data():
            status = Status.UP
        else:
            status = Status.ERROR
            error = error or "no server status in rlmstat output"
        return ServerStatus(
            name=name, source=self.source, status=status, error=error, hosts=hosts,
            vendors=tuple(isv.build() for isv in self.isvs.values()),
            features=tuple(p.build() for p in self.products.values()),
            reported_at=reported_at, manager=MANAGER,
        )


# ---- the parser ------------------------------------------------------------------------------

class _Parser:
    def __init__(self, name: str | None, tz: tzinfo, now: datetime | None) -> None:
        self.name = name
        self.tz = tz
        self.now = now
        self.license_path: str | None = None
        self.servers: list[_Server] = []
        self.server: _Server | None = None
        self.section = "top"  # top | rlm | isv-table | isv | pools | usage | error
        self.isv: str | None = None  # the ISV whose section this is
        self.isv_host: str | None = None
        self.isv_port: int | None = None
        self.product: _Product | None = None
        self.pool: _PoolLine | None = None
        self.stat_times: list[datetime] = []
        self.checkout_times: dict[tuple[str, ...], datetime | None] = {}
        self.diagnostics: list[Diagnostic] = []
        self.recognised = False
        # usage lines, read once the status time is known: (line, text, match, context)
        self.pending_usage: list[tuple[int, str, re.Match, tuple]] = []

    def parse(self, text: str) -> StatusReport:
        text = text.lstrip("\ufeff")
        lines = text.splitlines()
        for number, line in enumerate(lines, 1):
            if line and not line.isspace():
                self.classify(line, number)
        reported_at = max(self.stat_times) if self.stat_times else None
        for number, line, match, context in self.pending_usage:  # dates need the status time
            self.usage_line(line, number, match, context, reported_at)
        return StatusReport(
            servers=self.build_servers(reported_at),
            diagnostics=tuple(sorted(self.diagnostics, key=lambda d: d.line)),
            reported_at=reported_at,
            recognised=self.recognised,
            truncated_at=self.truncation(lines, text),
        )

    def classify(self, line: str, number: int) -> None:
        stripped = line.strip()
        if self.section == "usage" and (match := _USAGE.fullmatch(stripped)) is not None:
            self.defer_usage(number, stripped, match)
        elif self.pool is not None and self.pool_fields(stripped, number):
            pass
        elif (match := _PRODUCT.fullmatch(stripped)) is not None and self.section in (
                "pools", "top", "rlm") and not stripped.startswith(("rlmutil", "rlmstat")):
            self.product_line(match, number)
        elif (match := _USAGE.fullmatch(stripped)) is not None:
            self.defer_usage(number, stripped, match)
        elif not self.structure_line(stripped, number):
            self.diagnose(number, "unrecognised line", line)

    def structure_line(self, stripped: str, number: int) -> bool:
        if (match := _RLM_STATUS.fullmatch(stripped)) is not None:
            self.rlm_status(match, stripped, number)
        elif (match := _ISV_STATUS.fullmatch(stripped)) is not None:
            self.isv_heading(match, "isv", stripped, number)
            isv = self.current_server().isv(match["isv"])
            isv.host = match["host"] or None
        elif (match := _POOL_STATUS.fullmatch(stripped)) is not None:
            self.isv_heading(match, "pools", stripped, number)
        elif (match := _USAGE_STATUS.fullmatch(stripped)) is not None:
            self.isv_heading(match, "usage", stripped, number)
        elif set(stripped) == {"-"} and len(stripped) >= 8:
            self.end_section()
        elif stripped.strip("- ") == "ISV servers" and stripped.startswith("-"):
            self.end_section()
            self.section = "isv-table"
            self.recognised = True
        elif self.section == "isv-table" and stripped.split()[:3] == ["Name", "Port",
                                                                      "Running"]:
            pass
        elif self.section == "isv-table" and (match := _ISV_ROW.fullmatch(stripped)):
            self.isv_row(match, stripped, number)
        elif (match := _SOFTWARE_VERSION.fullmatch(stripped)) is not None:
            self.software_version(match)
        elif (match := _STATISTICS.fullmatch(stripped)) is not None:
            self.statistics(match, stripped, number)
        elif stripped.startswith(_LICENSE_PATH):
            self.recognised = True
            path = stripped[len(_LICENSE_PATH):].strip()
            self.license_path = self.license_path or path or None
        elif _UTILITY_BANNER.fullmatch(stripped) or "Reprise Software" in stripped:
            self.recognised = True
        elif (_CONNECT_ERROR.search(stripped) or _CONNECT_ATTEMPT.search(stripped)):
            self.connect_error(stripped)
        elif self.section == "error":
            self.add_error(stripped)  # the system's own words, after the attempt line
        elif self.quiet_line(stripped, number):
            pass
        elif stripped in _ELISIONS:
            self.diagnose(number, "elided line in the sample", stripped)
        else:
            return False
        return True

    @staticmethod
    def quiet_line(stripped: str, number: int) -> bool:
        """Lines that carry nothing the model holds: comm versions, log file names, start-up
        times, the statistics table."""
        words = stripped.split(" ", 3)
        return bool(
            stripped.startswith("Startup time:")
            or words[1:3] == ["comm", "version:"]
            or words[1:3] in (["Debug", "log"], ["Report", "log"]) and " filename:" in stripped
            or _STATS_ROW.fullmatch(stripped) and "/sec)" in stripped
            or stripped.split() == ["Recent", "Stats", "Todays", "Stats", "Total", "Stats"]
            or _DURATIONS_ROW.fullmatch(stripped)
            or number <= 3 and _COMMAND_ECHO.match(stripped)
        )

    def defer_usage(self, number: int, stripped: str, match: re.Match) -> None:
        self.recognised = True
        context = (self.current_server(), self.isv, self.isv_host, self.isv_port)
        self.pending_usage.append((number, stripped, match, context))

    # ---- helpers -----------------------------------------------------------------------------

    def diagnose(self, number: int, message: str, line: str) -> None:
        self.diagnostics.append(Diagnostic(number, message, line, self.name))

    def read_number(self, text: str | None, maximum: int, what: str, line: str,
                    number: int) -> int | None:
        if text is None:
            return None
        value = read_int(text, maximum)
        if value is None:
            if is_ascii_number(text):
                self.diagnose(number, f"{what} out of range (more than {maximum:,})", line)
            else:
                self.diagnose(number, f"{what} is not a number", line)
        return value

    def current_server(self) -> _Server:
        if self.server is None:
            self.server = _Server(self.first_license_spec())
            self.servers.append(self.server)
        return self.server

    def first_license_spec(self) -> str | None:
        """The first port@host of `Setting license file path to a:b` (none for a file path)."""
        if not self.license_path:
            return None
        first = re.split(r"[:;]", self.license_path, maxsplit=1)[0].strip()
        return first if "@" in first else None

    def end_section(self) -> None:
        self.end_pool()
        self.section = "top"
        self.product = None

    def end_pool(self) -> None:
        pool = self.pool
        if pool is not None and not pool.counted:
            self.diagnose(pool.line, "licence pool without its count line",
                          f"{self.product.name} v{pool.version}")
        self.pool = None

    # ---- the rlm server and its ISVs ---------------------------------------------------------

    def rlm_status(self, match: re.Match, stripped: str, number: int) -> None:
        self.recognised = True
        server = self.server
        if server is None or server.host is not None or server.down:
            server = self.server = _Server(None)
            self.servers.append(server)
        server.host = match["host"] or None
        server.port = self.read_number(match["port"], PORT_MAX, "port", stripped, number)
        if server.host and server.port is not None:
            server.source = f"{server.port}@{server.host}"
        else:
            server.source = server.source or self.first_license_spec()
        self.end_section()
        self.section = "rlm"

    def isv_heading(self, match: re.Match, section: str, stripped: str, number: int) -> None:
        self.recognised = True
        self.end_section()
        self.section = section
        self.isv = match["isv"]
        self.isv_host = match["host"] or None
        self.isv_port = self.read_number(match["port"], PORT_MAX, "port", stripped, number)
        server = self.current_server()
        server.isv(self.isv)
        server.isv_host = server.isv_host or self.isv_host

    def isv_row(self, match: re.Match, stripped: str, number: int) -> None:
        isv = self.current_server().isv(match["name"])
        running = match["running"].lower()
        if running not in ("yes", "no"):
            self.diagnose(number, "ISV server neither running nor stopped", stripped)
        isv.running = None if running not in ("yes", "no") else running == "yes"
        isv.restarts = match["restarts"]

    def software_version(self, match: re.Match) -> None:
        self.recognised = True
        who = match["who"]
        if who == "rlm":
            self.current_server().version = match["version"]
        else:
            self.current_server().isv(who).version = match["version"]

    def statistics(self, match: re.Match, stripped: str, number: int) -> None:
        self.recognised = True
        try:
            moment = parse_ctime(match["init"], self.tz) + parse_duration(match["elapsed"])
            moment.astimezone(UTC)  # within what a datetime holds in every zone
        except (BadDate, OverflowError):
            self.diagnose(number, "unreadable statistics time", stripped)
            return
        self.stat_times.append(moment)

    def connect_error(self, stripped: str) -> None:
        self.recognised = True
        server = self.current_server()
        server.down = True
        self.section = "error"
        attempt = _CONNECT_ATTEMPT.search(stripped)
        if attempt is not None:
            port = read_int(attempt["port"], PORT_MAX)
            if attempt["host"] and port is not None and server.source is None:
                server.source = f"{port}@{attempt['host']}"
        self.add_error(stripped)

    def add_error(self, text: str) -> None:
        server = self.current_server()
        server.error = f"{server.error}; {text}" if server.error else text

    # ---- pools -------------------------------------------------------------------------------

    def product_line(self, match: re.Match, number: int) -> None:
        self.recognised = self.recognised or self.section == "pools"
        if self.section != "pools" and not self.recognised:
            self.diagnose(number, "unrecognised line", match.string)
            return
        if self.section != "pools":
            self.section = "pools"  # a capture that starts in the middle of a pool list
            self.isv = None
        self.end_pool()
        server = self.current_server()
        product = server.product(self.isv, match["product"], number)
        self.pool = _PoolLine(match["version"], match["pool"], number)
        product.pools.append(self.pool)
        self.product = product

    def pool_fields(self, stripped: str, number: int) -> bool:
        """The indented `count: 5, # reservations: 0, inuse: 3, exp: 31-dec-2023` and
        `obsolete: 0, min_remove: 120, total checkouts: 19` lines of the pool above."""
        items = [item.strip() for item in stripped.split(",")]
        keys = [item.partition(":")[0].strip().lower() for item in items]
        if not (keys[0] in _POOL_COUNTS or items[0].lower() in _UNCOUNTED_WORDS):
            return False
        self.recognised = True
        pool = self.pool
        unknown = []
        for item, key in zip(items, keys):
            value = item.partition(":")[2].strip()
            if item.lower() in _UNCOUNTED_WORDS:
                pool.counted, pool.uncounted = True, True
            elif key == "count":
                self.pool_count(pool, value, stripped, number)
            elif key == "inuse":
                pool.in_use = self.read_number(value, COUNT_MAX, "licences in use", stripped,
                                               number)
            elif key == "# reservations":
                pool.reserved = self.read_number(value, COUNT_MAX, "reservations", stripped,
                                                 number) or 0
            elif key in ("roaming", "roam"):
                pool.roaming = self.read_number(value, COUNT_MAX, "roaming licences",
                                                stripped, number) or 0
            elif key == "exp":
                try:
                    pool.expiry = parse_expiry(value)
                except BadDate:
                    self.diagnose(number, "unreadable expiry date", stripped)
            elif key not in _POOL_COUNTS:
                unknown.append(item)
        if unknown:
            self.diagnose(number, f"unknown pool field(s): {', '.join(unknown)[:80]}", stripped)
        return True

    def pool_count(self, pool: _PoolLine, value: str, stripped: str, number: int) -> None:
        pool.counted = True
        if value.lower() in _UNCOUNTED_WORDS:
            pool.uncounted = True
            return
        pool.count = self.read_number(value, COUNT_MAX, "licence count", stripped, number)

    # ---- usage -------------------------------------------------------------------------------

    def usage_line(self, stripped: str, number: int, match: re.Match, context: tuple,
                   reported_at: datetime | None) -> None:
        seats = self.read_number(match["count"], COUNT_MAX, "licence count", stripped, number)
        if seats is None:
            return  # said so; a seat of unknown size is no seat
        who, client_handle = match["who"], None
        old = _OLD_CLIENT.fullmatch(who) if who.endswith(")") else None
        if old is not None and "@" in old["who"]:  # `tom@sun1(v1.0) (809f418)`
            who, client_handle = old["who"].strip(), old["handle"]
        user, at, host = who.rpartition("@")
        if not at:
            user, host = who, ""
            self.diagnose(number, "usage line without user@host", stripped)
        handle_text, flags, extra = self.tail(match["tail"], stripped, number)
        handle = self.hex_number(handle_text or client_handle, stripped, number)
        start = self.checkout_time(match, reported_at, stripped, number)
        server, isv, host_name, port = context
        product = server.products.get((isv, match["product"]))
        if product is None and (None, match["product"]) in server.products:
            product = server.products[None, match["product"]]  # listed before any heading
            product.isv = product.isv or isv
        if product is None:
            product = server.product(isv, match["product"], number)
        pool = product.pool_for(match["version"], match["pool"], seats)
        if "queued" in flags:
            product.queued.append(Queued(user, host or None, None, seats, pool,
                                         match["version"], host_name, port, handle))
            return
        product.checkouts.append(Checkout(
            user, host or None, None, match["version"], pool, host_name, port, handle, start,
            seats, borrowed="roaming" in flags, extra=extra,
        ))

    def tail(self, tail: str, stripped: str, number: int
             ) -> tuple[str | None, set[str], str | None]:
        """(handle, flags, extra) of what follows the checkout time: `(handle: 15a)`,
        roaming and queued marks, and -I's `[I: isv-data]`."""
        if (only := _HANDLE_ONLY.fullmatch(tail)) is not None:  # most lines: nothing else
            return only["handle"], set(), None
        handle, flags, extras, rest = None, set(), [], tail
        for item in _TAIL_ITEM.finditer(tail):
            text = (item[1] if item[1] is not None else item[2]).strip()
            lowered = text.lower()
            if (found := _HANDLE.fullmatch(text)) is not None:
                handle = found["handle"]
            elif "roam" in lowered:
                flags.add("roaming")
            elif "queue" in lowered:
                flags.add("queued")
            else:
                extras.append(item[0])
            rest = rest.replace(item[0], "", 1)
        if rest.strip():
            self.diagnose(number, "unrecognised end of a usage line", stripped)
        return handle, flags, " ".join(extras) or None

    def hex_number(self, text: str | None, stripped: str, number: int) -> int | None:
        if text is None:
            return None
        if len(text) > 8:
            self.diagnose(number, f"handle out of range (more than {ID_MAX:,})", stripped)
            return None
        return int(text, 16)  # at most 8 ASCII hex digits: the pattern takes no others

    def checkout_time(self, match: re.Match, reported_at: datetime | None, stripped: str,
                      number: int) -> datetime | None:
        key = match.group("month", "day", "hour", "minute")
        if key in self.checkout_times:  # a large output repeats few distinct minutes
            start = self.checkout_times[key]
        else:
            reference = reported_at or self.now or datetime.now(self.tz)
            try:
                start = resolve_checkout(*map(int, key), reference=reference, tz=self.tz)
            except (BadDate, ValueError, OverflowError):
                start = None
            self.checkout_times[key] = start
        if start is None:
            self.diagnose(number, "impossible checkout time", stripped)
        return start

    # ---- end of input ------------------------------------------------------------------------

    def truncation(self, lines: list[str], text: str) -> int | None:
        """The line where the output visibly stops mid-structure, or None: a last line cut
        short and not understood, or a pool whose count line never came."""
        if not lines:
            return None
        last = len(lines)
        if (not text.endswith(("\n", "\r")) and self.diagnostics
                and max(d.line for d in self.diagnostics) == last):
            return last
        if self.pool is not None and not self.pool.counted:
            return self.pool.line  # the count line never came
        return None

    def build_servers(self, reported_at: datetime | None) -> tuple[ServerStatus, ...]:
        servers = [s for s in self.servers if s.has_data() or s.error or s.down]
        if not servers and self.servers:
            servers = self.servers[:1]
        single = len(servers) == 1
        built = []
        for server in servers:
            if self.name is not None and single:
                name = self.name
            else:
                name = server.source or self.name or server.isv_host or "unknown"
            built.append(server.build(name, reported_at))
        return tuple(built)
