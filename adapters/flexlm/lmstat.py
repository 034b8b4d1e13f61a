"""Parser for the output of FlexLM `lmutil lmstat -a [-c port@host,...]`.

A pure function from text to the domain model plus diagnostics: it never raises on bad input
and never drops a line silently. The layout rules come from real outputs (see
shared/reference/formats.md section 1); the ones that break naive parsers:

- whitespace is not structure: indents vary from 0 to 8 columns, blank lines come and go;
- user lines are read from the right, anchored on `(vVERSION) (server/port handle)`, because
  user names and displays may contain spaces and any other character;
- one "Users of" header may hold several pools (quoted detail blocks), and every seat,
  reservation and queued user belongs to the pool above it;
- header totals are reported as printed, never reconciled with the user lines.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from lmconsole.adapter import StatusReport
from lmconsole.model import (
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

from .dates import BadDate, parse_expiry, resolve_start

# ---- line patterns ---------------------------------------------------------------------------

_USER = re.compile(
    r"\s*(?P<who>.+?) \(v(?P<version>[^()\s]*)\) "
    r"\((?P<server>[^()/\s]+)(?:/(?P<port>[^()\s]*))?(?: (?P<handle>\d+))?\)"
    r"(?:, start \S+ (?P<month>\d{1,2})/(?P<day>\d{1,2}) (?P<hour>\d{1,2}):(?P<minute>\d\d)"
    r"(?:, (?P<count>\d+) licenses?)?(?:, PID: (?P<pid>\d+))?"
    r"| queued for (?P<queued>\d+) licenses?)"
    r"\s*(?:\(linger: (?P<linger>\d+) / (?P<linger_total>\d+)\))?\s*"
)
# The canonical user line (user host display, no tail but a seat count): most lines of a large
# output. Matched first because it is several times cheaper than _USER; anything else falls
# through to _USER.
_CANONICAL_USER = re.compile(
    r" *(\S+) (\S+) (\S+) \(v([^()\s]*)\) \(([^/()\s]+)/(\d+) (\d+)\), start \S+ "
    r"(\d{1,2}/\d{1,2} \d{1,2}:\d\d)(?:, (\d+) licenses?)?(?:, PID: (\d+))? ?"
)
_FEATURE_HEADER = re.compile(
    r"Users of (?P<name>.+?):\s+\((?:Total of (?P<issued>\d+) licenses? issued;\s+"
    r"Total of (?P<in_use>\d+) licenses? in use"
    r"|(?P<uncounted>Uncounted, node-locked)"
    r"|Error: (?P<error>.*))\)\s*"
)
_POOL = re.compile(
    r'"(?P<name>[^"]*)" v(?P<version>\S+?)(?:, vendor: (?P<vendor>[^,\s]+))?'
    r"(?:, expiry: (?P<expiry>.+?))?\s*"
)
_RESERVATION = re.compile(
    r"(?P<count>\d+) RESERVATIONs? for (?P<kind>[A-Z_]+) (?P<name>.+?)"
    r"(?: \((?P<server>[^()/\s]+)(?:/(?P<port>[^()\s]*))?\))?\s*"
)
_NODELOCKED = re.compile(r'nodelocked license,? locked to "?(?P<id>[^"]*)"?\s*')
_UNCOUNTED = re.compile(
    r'uncounted nodelocked license,? locked to "?(?P<id>[^"\s]+)"?'
    r"(?: \(hostid=(?P<hostid>[^)]*)\))?\s*"
)
_DATE_LINE = re.compile(
    r"Flexible License Manager status on \S+ (?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r" (?P<hour>\d{1,2}):(?P<minute>\d\d)"
)
_HOST_UP = re.compile(
    r"(?P<host>[^\s:]+): license server (?P<status>UP|DOWN)(?P<master> \(MASTER\))?"
    r"(?: (?P<version>v\S+))?\s*"
)
_ERROR_CODE = re.compile(r'\s*\((?P<code>-\d+,\d+(?::\d+)?(?: "[^"]*")?)\)\s*$')
_NAMED_LINE = re.compile(r"(?P<name>[^\s:]+): (?P<rest>.*\S)\s*")
_DAEMON_STATUS = re.compile(r"(?P<status>UP|DOWN)(?: (?P<version>v\S+))?")
_DEBUG_NOISE = re.compile(r"\s*\d{1,2}:\d\d:\d\d \([^)\s]+\) ")
_VERSION_TOKEN = re.compile(r"v?\d+(?:\.\d+)*")
_PACKAGE_COMPONENT = re.compile(r"[A-Za-z_]\w*:[A-Za-z_]\w*")

_SERVER_STATUS = "License server status:"
_LICENSE_FILES = "License file(s) on "
_VENDOR_STATUS = "Vendor daemon status (on "
_ELISIONS = ("...", "[...]", "…")


def parse_lmstat(text: str, *, name: str | None = None, tz: tzinfo = UTC,
                 now: datetime | None = None) -> StatusReport:
    """Parse one `lmstat -a` output. `name` names the server (else its port@host list);
    `tz` is the licence server's zone; `now` resolves start dates when the output has no
    status date line."""
    return _Parser(name, tz, now).parse(text)


class _FeatureBuilder:
    __slots__ = ("name", "issued", "in_use", "uncounted", "error", "pools", "pool_index",
                 "checkouts", "reservations", "queued", "line")

    def __init__(self, name: str, issued: int | None, in_use: int | None, uncounted: bool,
                 error: str | None, line: int) -> None:
        self.name, self.issued, self.in_use = name, issued, in_use
        self.uncounted, self.error, self.line = uncounted, error, line
        self.pools: list[Pool] = []
        self.pool_index: int | None = None  # of the pool that the next lines belong to
        self.checkouts: list[Checkout] = []
        self.reservations: list[Reservation] = []
        self.queued: list[Queued] = []

    def add_pool(self, pool: Pool) -> None:
        self.pools.append(pool)
        self.pool_index = len(self.pools) - 1

    def build(self, only_vendor: str | None) -> Feature:
        vendor = self.pools[0].vendor if self.pools else None
        return Feature(
            name=self.name,
            vendor=vendor or only_vendor,
            issued=self.issued,
            in_use=self.in_use,
            uncounted=self.uncounted,
            error=self.error,
            pools=tuple(self.pools),
            checkouts=tuple(self.checkouts),
            reservations=tuple(self.reservations),
            queued=tuple(self.queued),
        )


class _ServerBuilder:
    def __init__(self, source: str | None) -> None:
        self.source = source
        self.spec_ports = _spec_ports(source)
        self.license_files: list[str] = []
        self.hosts: list[LicenseHost] = []
        self.vendors: list[VendorDaemon] = []
        self.vendor_host: str | None = None
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
        )


def _spec_ports(source: str | None) -> dict[str, int | None]:
    ports: dict[str, int | None] = {}
    for item in (source or "").split(","):
        item = item.strip()
        if not item:
            continue
        port_text, at, host = item.rpartition("@")
        ports[host.lower()] = int(port_text) if at and port_text.isdigit() else None
    return ports


def _split_error(text: str) -> tuple[str, str | None]:
    """`Cannot connect to license server (-15,570:111 "Connection refused")` ->
    (message, code)."""
    match = _ERROR_CODE.search(text)
    if match is None:
        return text.strip(), None
    return text[: match.start()].strip(), match["code"]


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


class _Parser:
    def __init__(self, name: str | None, tz: tzinfo, now: datetime | None) -> None:
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

    # ---- driver ------------------------------------------------------------------------------

    def parse(self, text: str) -> StatusReport:
        text = text.lstrip("\ufeff")
        lines = text.splitlines()
        classify = self.classify
        canonical = _CANONICAL_USER.fullmatch
        new_checkout = tuple.__new__
        start_time = self.start_time
        for number, line in enumerate(lines, 1):
            feature = self.feature
            if feature is not None and (match := canonical(line)) is not None:
                (user, host, display, version, server, port, handle, start, count,
                 pid) = match.groups()
                feature.checkouts.append(new_checkout(Checkout, (
                    user, host, display, version, feature.pool_index, server, int(port),
                    int(handle), start_time(start, line, number), int(count) if count else 1,
                    False, None, None, int(pid) if pid else None, None,
                )))
            elif line and not line.isspace():
                classify(line, number)
        truncated_at = self.truncation(lines, text)
        return StatusReport(
            servers=self.build_servers(),
            diagnostics=tuple(self.diagnostics),
            reported_at=self.reported_at,
            recognised=self.recognised,
            truncated_at=truncated_at,
        )

    def classify(self, line: str, number: int) -> None:
        # User lines are the bulk of a large output: test for them first and cheaply.
        if (self.feature is not None and ("), start " in line or ") queued for " in line)
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
            self.section = "features"
            self.recognised = True
        elif stripped.startswith("Flexible License Manager status on"):
            self.date_line(stripped, number)
        elif "Copyright" in stripped and number <= 3:
            self.recognised = True
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
        try:
            self.reported_at = datetime(
                int(match["year"]), int(match["month"]), int(match["day"]),
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
        error = match["error"]
        self.feature = _FeatureBuilder(
            name=match["name"],
            issued=_int_or_none(match["issued"]),
            in_use=_int_or_none(match["in_use"]),
            uncounted=match["uncounted"] is not None,
            error=error.strip() if error is not None else None,
            line=number,
        )
        self.current_server().features.append(self.feature)

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
        self.feature.reservations.append(Reservation(
            count=int(match["count"]), kind=match["kind"], name=match["name"],
            pool=self.feature.pool_index, server=match["server"], port=_int_or_none(match["port"]),
        ))

    def user_line(self, line: str, number: int) -> bool:
        match = _USER.fullmatch(line)
        if match is None:
            return False
        (who, version, server, port, handle, month, day, hour, minute, count, pid, queued,
         linger, linger_total) = match.groups()
        user, host, display, extra = _split_who(who, version)
        feature = self.feature
        if queued is not None:
            feature.queued.append(Queued(
                user, host, display, int(queued), feature.pool_index, version, server,
                _int_or_none(port), _int_or_none(handle),
            ))
            return True
        start = self.start_time(f"{month}/{day} {hour}:{minute}", line, number)
        feature.checkouts.append(Checkout(
            user, host, display, version, feature.pool_index, server, _int_or_none(port),
            _int_or_none(handle), start,
            int(count) if count is not None else 1,
            linger is not None,
            int(linger) if linger is not None else None,
            int(linger_total) if linger_total is not None else None,
            int(pid) if pid is not None else None,
            extra,
        ))
        return True

    def start_time(self, text: str, line: str, number: int) -> datetime | None:
        """`M/D H:MM` -> datetime, cached: a large output repeats few distinct minutes."""
        try:
            return self.start_cache[text]
        except KeyError:
            pass
        reference = self.reported_at or self.now or datetime.now(self.tz)
        date_part, _, time_part = text.partition(" ")
        month, _, day = date_part.partition("/")
        hour, _, minute = time_part.partition(":")
        try:
            start = resolve_start(int(month), int(day), int(hour), int(minute),
                                  reference=reference, tz=self.tz)
        except (BadDate, ValueError):
            self.diagnose(number, "impossible start time", line)
            start = None
        self.start_cache[text] = start
        return start

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
            feature.pools or feature.checkouts or feature.reservations or feature.queued
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


def _split_who(who: str, version: str) -> tuple[str, str | None, str | None, str | None]:
    """Split the text before `(vVERSION)` into user, host, display and any extra tokens.
    The split is ambiguous when names contain spaces; the rules follow real outputs:
    trailing tokens that are a bare version, `key=value` or `PACKAGE:COMPONENT` are extras;
    of the rest, the display is the last token (or the run of garbled tokens after the last
    host-like token), the host the token before it, and the user everything before that."""
    parts = who.split()
    if len(parts) == 3:
        return parts[0], parts[1], parts[2], None
    extra: list[str] = []
    while len(parts) > 3 and _is_extra_token(parts[-1], version):
        extra.insert(0, parts.pop())
    extra_text = " ".join(extra) or None
    if len(parts) == 3:
        return parts[0], parts[1], parts[2], extra_text
    if len(parts) == 1:
        return parts[0], None, None, extra_text
    if len(parts) == 2:
        if parts[1].startswith(("/", ":")):
            return parts[0], None, parts[1], extra_text
        return parts[0], parts[1], None, extra_text
    host_index = len(parts) - 2
    for index in range(len(parts) - 2, 0, -1):
        if _looks_like_host(parts[index]):
            host_index = index
            break
    return (" ".join(parts[:host_index]), parts[host_index], " ".join(parts[host_index + 1:]),
            extra_text)


def _is_extra_token(token: str, version: str) -> bool:
    if token == version or token == f"v{version}":
        return True
    if "=" in token and not token.startswith("="):
        return True  # a component name: feature=test_feature
    if _PACKAGE_COMPONENT.fullmatch(token) is not None:
        return True
    return _VERSION_TOKEN.fullmatch(token) is not None and "." in token


_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_$")


def _looks_like_host(token: str) -> bool:
    return token[0].isalnum() and _HOST_CHARS.issuperset(token)
