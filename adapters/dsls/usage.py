"""Parser for the licence usage the DS License Server (DSLS) prints.

Two outputs, told apart line by line (shared/reference/formats.md section 8):

- `DSLicSrv -admin -run "connect HOST PORT; getLicenseUsage -all -csv"`: the License
  Administration Tool's banner, the server's description (`Software version:`, `Server
  name: X   Server id: Y`), perhaps a warning, then a CSV table whose header starts
  `Editor,EditorId,Feature,` (an `admin >` prompt may be glued before any line). One row per
  licence without use, else one per session holding it; every row ends in a comma.
  `Cannot connect to server H on port P` is the whole output of an unreachable server.
- `dslsstat -usage` (also `abaqus licensing dslsstat -usage`): after `Licenses:`, a table
  bordered with `+---+` lines whose cells are separated by `|` (Feature, Version, Model,
  Type, Number, InUse, Expires, Server Name, Customer ID), each feature's row followed by
  lines `... using N licenses ...` for its sessions.

Mapped to the model: one Feature per (editor, feature), one Pool per licence (model,
commercial type, release, expiry, customer) whose `Count` and `Inuse` are summed over the
pools, one Checkout per session holding `Tokens` of it (one when the column is empty), a
Queued per session with a queue position. A session held offline (a column naming an
offline or hold-until date) is a borrowed seat with the time left. Never raises.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from lmconsole.adapter import StatusReport
from lmconsole.model import (
    Checkout,
    Diagnostic,
    Feature,
    LicenseHost,
    Pool,
    Queued,
    ServerStatus,
    Status,
)
from lmconsole.numbers import COUNT_MAX, ID_MAX, PORT_MAX, read_int, shortened

from .dates import BadDate, parse_day, parse_stamp
from .signature import BANNER, CANNOT_CONNECT, is_header

MANAGER = "dsls"
DEFAULT_PORT = 4085

_PROMPT = re.compile(r"(?:admin ?>\s*)+")
_SERVER_NAME = re.compile(r"Server name: (?P<host>\S+)(?:\s+Server id: (?P<id>\S+))?")
_SOFTWARE_VERSION = "Software version:"
_READY = re.compile(r"Ready: (?P<ready>\S+)")
_QUIET = ("Build date:", "Standalone mode", "Failover mode", "Cluster mode")
_TABLE_BORDER = re.compile(r"\+[-+=]*")
# A dslsstat session line: the count after `using`; the grant time anywhere in it.
_USING = re.compile(r" using (?P<count>\S+) (?:licen[cs]es?|tokens?)\b")
_STAMP = re.compile(r"[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2} [0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?")
_PID = re.compile(r"\(\s*([0-9]+)\s*\)")
_OFFLINE_COLUMN = re.compile(r"offline|hold", re.IGNORECASE)


def parse_dsls(text: str, *, name: str | None = None, tz: tzinfo = UTC,
               now: datetime | None = None) -> StatusReport:
    """Parse one getLicenseUsage CSV or dslsstat output. `name` names the server (else its
    host); `tz` is the licence server's zone; `now` gives an offline seat its time left."""
    return _Parser(name, tz, now).parse(text)


# ---- builders --------------------------------------------------------------------------------

@dataclass(slots=True)
class _Pool:
    key: tuple
    pool: Pool
    count: int | None
    in_use: int | None


@dataclass(slots=True)
class _Feature:
    name: str
    editor: str | None
    pools: list[_Pool] = field(default_factory=list)
    checkouts: list[Checkout] = field(default_factory=list)
    queued: list[Queued] = field(default_factory=list)

    def pool_index(self, key: tuple, make) -> int:
        for index, known in enumerate(self.pools):
            if known.key == key:
                return index
        self.pools.append(make())
        return len(self.pools) - 1

    def build(self) -> Feature:
        counts = [p.count for p in self.pools]
        uses = [p.in_use for p in self.pools]
        issued = None if None in counts else sum(counts)
        in_use = None if None in uses else sum(uses)
        return Feature(self.name, self.editor, issued, in_use,
                       pools=tuple(p.pool for p in self.pools),
                       checkouts=tuple(self.checkouts), queued=tuple(self.queued))


# ---- the parser ------------------------------------------------------------------------------

class _Parser:
    def __init__(self, name: str | None, tz: tzinfo, now: datetime | None) -> None:
        self.name = name
        self.tz = tz
        self.now = now
        self.diagnostics: list[Diagnostic] = []
        self.features: dict[tuple[str | None, str], _Feature] = {}
        self.recognised = False
        self.host: str | None = None
        self.port: int | None = None
        self.version: str | None = None
        self.error: str | None = None
        self.columns: list[str] | None = None  # the CSV header's, once read
        self.min_fields = 0  # a row has at least its columns up to Inuse
        self.table: list[str] | None = None  # dslsstat's table headings, once read
        self.in_licenses = False  # after dslsstat's `Licenses:`
        self.last: _Feature | None = None  # the feature a dslsstat session line belongs to
        self.last_pool: int | None = None

    def parse(self, text: str) -> StatusReport:
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip().lstrip("\ufeff")
            if (prompt := _PROMPT.match(line)) is not None:
                line = line[prompt.end():].strip()
            if line:
                self.read(number, line)
        if not self.recognised:
            return StatusReport((), tuple(self.diagnostics), None, recognised=False)
        if not (self.host or self.error or self.features or self.columns is not None
                or self.table is not None):
            return StatusReport((), tuple(self.diagnostics), None)  # its banner alone
        return StatusReport((self.build(),), tuple(self.diagnostics), None)

    def build(self) -> ServerStatus:
        name = self.name or self.host or "DSLS"
        source = f"{self.port}@{self.host}" if self.host and self.port is not None else None
        hosts = ()
        if self.host:
            state = Status.DOWN if self.error else Status.UP
            hosts = (LicenseHost(self.host, self.port, state, version=self.version,
                                 error=self.error),)
        if self.error:
            status, error = Status.DOWN, self.error
        elif self.features or self.columns is not None or self.table is not None:
            status, error = Status.UP, None
        else:
            status, error = Status.ERROR, "no licence usage in the DSLS output"  # a host alone
        return ServerStatus(name=name, source=source, status=status, error=error, hosts=hosts,
                            features=tuple(f.build() for f in self.features.values()),
                            manager=MANAGER)

    def read(self, number: int, line: str) -> None:
        if is_header(line):
            self.recognised = True
            self.columns = _cells(line)
            self.min_fields = (self.columns.index("Inuse") + 1 if "Inuse" in self.columns
                               else len(self.columns))
        elif self.columns is not None and "," in line:
            self.read_row(number, line)
        elif self.in_licenses and self.read_table_line(number, line):
            pass
        elif line.startswith(BANNER):
            self.recognised = True
        elif (match := CANNOT_CONNECT.fullmatch(line.rstrip("."))) is not None:
            self.recognised = True
            self.host = match["host"]
            self.port = self.read_number(match["port"], PORT_MAX, "port", number, line)
            self.error = line
        elif line.startswith(_SOFTWARE_VERSION):
            self.version = line.removeprefix(_SOFTWARE_VERSION).strip() or None
        elif (match := _SERVER_NAME.match(line)) is not None:
            self.host = match["host"]
        elif (match := _READY.fullmatch(line)) is not None:
            if match["ready"].lower() != "yes":
                self.diagnose(number, "the licence server says it is not ready", line)
        elif line.startswith("Warning:") or line.startswith("WARNING"):
            self.diagnose(number, "DSLS warning", line)
        elif line == "Licenses:":
            self.in_licenses = True
        elif line.startswith(_QUIET):
            pass
        else:
            self.diagnose(number, "unrecognised line", line)

    # ---- getLicenseUsage CSV -----------------------------------------------------------------

    def read_row(self, number: int, line: str) -> None:
        cells = _cells(line)
        row = dict(zip(self.columns, cells))
        feature_name = row.get("Feature", "").strip()
        if len(cells) < self.min_fields or not feature_name:
            self.diagnose(number, "licence row with too few fields", line)
            return
        editor = row.get("Editor") or None
        feature = self.feature(editor, feature_name)
        pool_index = self.csv_pool(feature, row, number, line)
        if not (row.get("User") or row.get("Host")):
            return
        self.add_session(feature, pool_index, row, number, line)

    def csv_pool(self, feature: _Feature, row: dict[str, str], number: int, line: str) -> int:
        model = row.get("Model") or "unknown"
        key = (model, row.get("Commercial Type"), row.get("Max Release Number"),
               row.get("Expiration Date"), row.get("Customer ID"))

        def make() -> _Pool:
            expiry = self.read_day(row.get("Expiration Date"), "unreadable expiry date",
                                   number, line)
            pool = Pool(row.get("Max Release Number") or None, expiry, model.lower(),
                        vendor_string=row.get("Commercial Type") or None, vendor=feature.editor)
            count = self.read_number(row.get("Count"), COUNT_MAX, "licence count", number, line)
            in_use = self.read_number(row.get("Inuse"), COUNT_MAX, "licences in use", number,
                                      line)
            return _Pool(key, pool, count, in_use)

        return feature.pool_index(key, make)

    def add_session(self, feature: _Feature, pool: int, row: dict[str, str], number: int,
                    line: str) -> None:
        user = (row.get("User") or "").strip() or "?"
        host, _, address = (row.get("Host") or "").partition(" (")
        tokens = row.get("Tokens") or ""
        count = (self.read_number(tokens, COUNT_MAX, "token count", number, line)
                 if tokens else 1)
        if count is None:
            return
        start = self.read_stamp(row.get("Granted Since") or row.get("Granted At"), number, line)
        version = feature.pools[pool].pool.version
        if row.get("Queue Position"):
            feature.queued.append(Queued(user, host or None, None, count, pool, version))
            return
        linger = self.offline_left(row, number, line)
        pid_match = _PID.search(row.get("Active Process") or "")
        pid = read_int(pid_match[1], ID_MAX) if pid_match else None
        extra = " ".join(part for part in (
            f"({address}" if address else "",
            f"session {row['Session ID']}" if row.get("Session ID") else "") if part) or None
        feature.checkouts.append(Checkout(
            user, host or None, None, version, pool, self.host, self.port, None, start,
            count=count, borrowed=linger is not None, linger_s=linger, pid=pid, extra=extra))

    def offline_left(self, row: dict[str, str], number: int, line: str) -> int | None:
        """Seconds left of a seat held offline until a date a column names, or None."""
        for column, value in row.items():
            if value and _OFFLINE_COLUMN.search(column):
                until = self.read_stamp(value, number, line)
                if until is not None:
                    now = self.now or datetime.now(UTC)
                    return max(0, int((until - now).total_seconds()))
        return None

    # ---- dslsstat -usage ---------------------------------------------------------------------

    def read_table_line(self, number: int, line: str) -> bool:
        """Read a line of dslsstat's licence table; False: not one."""
        if _TABLE_BORDER.fullmatch(line):
            return True
        if line[0] in "+|" and "|" in line:
            cells = [cell.strip() for cell in line.strip("+|").split("|")]
            if "Feature" in cells:
                self.recognised = True
                self.table = [cell.lower().replace(" ", "") for cell in cells]
            elif self.table is not None:
                self.read_table_row(number, line, dict(zip(self.table, cells)))
            else:
                self.diagnose(number, "licence row before the table's header", line)
            return True
        if self.last is not None and _USING.search(line):
            self.read_session_line(number, line)
            return True
        return False

    def read_table_row(self, number: int, line: str, row: dict[str, str]) -> None:
        name = row.get("feature", "")
        if not name:
            self.diagnose(number, "licence row without a feature", line)
            return
        feature = self.feature(None, name)
        model = row.get("model") or "unknown"
        key = (model, row.get("type"), row.get("version"), row.get("expires"),
               row.get("customerid"))

        def make() -> _Pool:
            expiry = self.read_day(row.get("expires"), "unreadable expiry date", number, line)
            pool = Pool(row.get("version") or None, expiry, model.lower(),
                        vendor_string=row.get("type") or None)
            count = self.read_number(row.get("number"), COUNT_MAX, "licence count", number,
                                     line)
            in_use = self.read_number(row.get("inuse"), COUNT_MAX, "licences in use", number,
                                      line)
            return _Pool(key, pool, count, in_use)

        self.last, self.last_pool = feature, feature.pool_index(key, make)

    def read_session_line(self, number: int, line: str) -> None:
        match = _USING.search(line)
        count = self.read_number(match["count"], COUNT_MAX, "licence count", number, line)
        if count is None:
            return
        who = line[:match.start()]
        who = who.split(" (", 1)[0].strip()
        user, host = who, None
        if " on " in who:
            user, _, host = who.partition(" on ")
        elif "@" in who:
            user, _, host = who.rpartition("@")
        stamp = _STAMP.search(line)
        start = self.read_stamp(stamp[0], number, line) if stamp else None
        feature, pool = self.last, self.last_pool
        version = feature.pools[pool].pool.version if pool is not None else None
        feature.checkouts.append(Checkout(user.strip() or "?", (host or "").strip() or None, None,
                                          version, pool, self.host, self.port, None, start,
                                          count=count))

    # ---- helpers -----------------------------------------------------------------------------

    def feature(self, editor: str | None, name: str) -> _Feature:
        key = (editor, name)
        if key not in self.features:
            self.features[key] = _Feature(name, editor)
        return self.features[key]

    def diagnose(self, number: int, message: str, line: str) -> None:
        self.diagnostics.append(Diagnostic(number, message, line, self.name))

    def read_number(self, text: str | None, maximum: int, what: str, number: int,
                    line: str) -> int | None:
        text = (text or "").strip()
        if not text:
            self.diagnose(number, f"{what} missing", line)
            return None
        value = read_int(text, maximum)
        if value is None:
            if text.isascii() and text.isdigit():
                self.diagnose(number, f"{what} out of range (more than {maximum:,})", line)
            else:
                self.diagnose(number, f"{what} is not a number: {shortened(text)}", line)
        return value

    def read_day(self, text: str | None, message: str, number: int, line: str) -> date | None:
        if not text or not text.strip():
            return None
        try:
            if " " in text.strip():  # a time too: it must be one
                return parse_stamp(text, self.tz).date()
            return parse_day(text)
        except BadDate:
            self.diagnose(number, message, line)
            return None

    def read_stamp(self, text: str | None, number: int, line: str) -> datetime | None:
        if not text or not text.strip():
            return None
        try:
            return parse_stamp(text, self.tz)
        except BadDate:
            self.diagnose(number, "unreadable time", line)
            return None


def _cells(line: str) -> list[str]:
    """The fields of one CSV line (quotes allowed), the empty one after its final comma
    dropped."""
    try:
        cells = next(csv.reader([line]), [])
    except csv.Error:
        cells = line.split(",")
    if cells and cells[-1] == "":
        cells.pop()
    return [cell.strip() for cell in cells]
