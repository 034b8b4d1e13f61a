"""Parser for BETA CAE's `beta_lm_stat -a` status (BETA LM, the licence server of ANSA and
META).

The layout (shared/reference/formats.md section 10, corpus/betalm): `|`-separated tables
whose columns drift when a name is long, each under a header row.

     Trying 6007@l5163p ....
     Found License daemon on l5163p
    Usage Report for users: all
       USER NAME@HOST           |  FEATURE   |      PID   |       START
      rafjdg@dcv040(:28)        | META_POST  | 0          | Mon Feb 22 16:51:43 2021
    STATUS REPORT
          PACKAGE          |     ISSUED      |     EXPIRE      |   CREDIT
      PRE_POST             | Sun Dec 13 2020 | Tue Mar 30 2021 | 2865
       PACKAGE:FEATURE     | MAX CREDIT | CREDIT USED | USED PERCENTAGE | USAGE
      PRE_POST:ANSA        | 2865       | 100         |           3(%)  | 1

BETA LM licenses by credits: a package holds CREDIT credits, and each running feature of it
spends some (ANSA 100, META_POST 33 above). Mapped to the model, in credits: one Feature per
PACKAGE:FEATURE row (vendor: the package; issued: its MAX CREDIT, the package's; in use: its
CREDIT USED), one Feature per package of several features (issued: its credits; in use:
what its features spend), so the package that runs out shows as full; one Checkout per
usage row, of the feature it names, counting the credits one session of it spends (CREDIT
USED over USAGE, when that divides evenly; else 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from lmconsole.adapter import StatusReport
from lmconsole.model import Checkout, Feature, LicenseHost, Pool, ServerStatus, Status
from lmconsole.numbers import ID_MAX, read_int

from ..status_text import Reading, lines_of, month_number, port_at_host, says_failure

MANAGER = "betalm"
CREDITS = "credits"  # the licence type of a package's pool

_TRYING = re.compile(r"Trying [0-9]+@")  # then the host and `....`
_FOUND = re.compile(r"Found License daemon on (?P<host>\S+)")
_QUIET = re.compile(r"Usage Report for users:.*|STATUS REPORT|\$ .*beta_lm_stat.*")
_WHO = re.compile(r"(?P<user>.*?)@(?P<host>[^@()]*?)(?:\((?P<display>[^()]*)\))?")
_DAY = re.compile(r"(?:\w+ )?(?P<month>\w+) +(?P<day>[0-9]+) +(?P<year>[0-9]+)")
_CTIME = re.compile(r"\w+ +(?P<month>\w+) +(?P<day>[0-9]+) +(?P<hour>[0-9]+):(?P<minute>[0-9]+)"
                    r":(?P<second>[0-9]+) +(?P<year>[0-9]+)")
# A table, by the first cell of its header row, and the columns it needs; other columns
# are read past, these found by their names wherever they stand.
_TABLES = {"USER NAME@HOST": ("usage", ("USER NAME@HOST", "FEATURE", "PID", "START")),
           "PACKAGE": ("packages", ("PACKAGE", "ISSUED", "EXPIRE", "CREDIT")),
           "PACKAGE:FEATURE": ("features", ("PACKAGE:FEATURE", "MAX CREDIT", "CREDIT USED",
                                            "USAGE"))}


@dataclass(slots=True)
class _Row:
    """One PACKAGE:FEATURE row."""

    package: str
    name: str
    maximum: int | None
    used: int | None
    sessions: int | None
    checkouts: list[Checkout] = field(default_factory=list)

    def session_credits(self) -> int:
        if self.used and self.sessions and self.used % self.sessions == 0:
            return self.used // self.sessions
        return 1


@dataclass(slots=True)
class _Package:
    name: str
    issued: date | None
    expiry: date | None
    credits: int | None


def parse_beta_lm_stat(text: str, *, name: str | None = None, tz: tzinfo) -> StatusReport:
    """Parse one `beta_lm_stat -a` output, its times in zone `tz`. Never raises: what it
    cannot read is a diagnostic."""
    return _Parser(name, tz).parse(text)


class _Parser:
    def __init__(self, name: str | None, tz: tzinfo) -> None:
        self.reading = Reading(name)
        self.name = name
        self.tz = tz
        self.tried: tuple[int | None, str | None] = (None, None)
        self.host: str | None = None
        self.port: int | None = None
        self.table: str | None = None
        self.positions: list[int] = []  # where the table's needed columns stand
        self.usage: list[tuple[int, str, str, Checkout]] = []  # (line, text, feature, seat)
        self.packages: dict[str, _Package] = {}
        self.rows: list[_Row] = []
        self.errors: list[str] = []

    def parse(self, text: str) -> StatusReport:
        for number, line in lines_of(text):
            self.line(number, line.strip())
        return self.reading.report((self.build(),))

    def line(self, number: int, stripped: str) -> None:
        reading = self.reading
        cells = None
        if "|" in stripped:  # a table's row; some layouts frame it in `|` too
            cells = [cell.strip() for cell in stripped.strip("|").split("|")]
        if cells is not None and cells[0] in _TABLES:
            self.header(cells, stripped, number)
        elif cells is not None and self.table is not None:
            row = self.row(cells, stripped, number)
            if row is not None:
                getattr(self, f"{self.table}_row")(row, stripped, number)
        elif _TRYING.match(stripped) and stripped.endswith("..."):
            reading.recognised = True
            self.tried = port_at_host(stripped.removeprefix("Trying ").rstrip(". "))
        elif (match := _FOUND.fullmatch(stripped)) is not None:
            reading.recognised = True
            self.host = match["host"]
            port, host = self.tried
            self.port = port if host == self.host else None
        elif _QUIET.fullmatch(stripped):
            reading.recognised = True
        elif says_failure(stripped):
            self.errors.append(stripped)
            reading.diagnose(number, "error reported by beta_lm_stat", stripped)
        else:
            reading.diagnose(number, "unrecognised line", stripped)

    def header(self, cells: list[str], stripped: str, number: int) -> None:
        table, needed = _TABLES[cells[0]]
        missing = [name for name in needed if name not in cells]
        if missing:
            self.reading.diagnose(number, f"table without its {', '.join(missing)} column(s)",
                                  stripped)
            self.table = None
            return
        self.reading.recognised = True
        self.table, self.positions = table, [cells.index(name) for name in needed]

    def row(self, cells: list[str], stripped: str, number: int) -> list[str] | None:
        """The row's cells of the columns its table needs, in their order."""
        if len(cells) <= max(self.positions) or not cells[0]:
            self.reading.diagnose(number, "row without its columns", stripped)
            return None
        return [cells[at] for at in self.positions]

    def usage_row(self, cells: list[str], stripped: str, number: int) -> None:
        who, feature, pid_text, start_text = cells
        match = _WHO.fullmatch(who)
        user, host, display = (match.group("user", "host", "display") if match is not None
                               else (who, None, None))
        pid = self.reading.number(pid_text, "process id", stripped, number, ID_MAX)
        start = self.start(start_text, stripped, number)
        seat = Checkout(user, host or None, display, None, 0, self.host, self.port, None, start,
                        pid=pid or None)
        self.usage.append((number, stripped, feature, seat))

    def start(self, text: str, stripped: str, number: int) -> datetime | None:
        match = _CTIME.fullmatch(text)
        if match is not None:
            month = month_number(match["month"])
            parts = [read_int(match[key], limit) for key, limit in (
                ("year", 9999), ("day", 31), ("hour", 23), ("minute", 59), ("second", 59))]
            if month is not None and None not in parts and parts[0] >= 1970:
                year, day, hour, minute, second = parts
                try:
                    return datetime(year, month, day, hour, minute, second, tzinfo=self.tz)
                except ValueError:
                    pass
        self.reading.diagnose(number, "unreadable start time", stripped)
        return None

    def day(self, text: str, stripped: str, number: int, what: str) -> date | None:
        match = _DAY.fullmatch(text)
        month = month_number(match["month"]) if match is not None else None
        if match is None or month is None:
            self.reading.diagnose(number, f"unreadable {what}", stripped)
            return None
        return self.reading.day(match["year"], str(month), match["day"], stripped, number, what)

    def packages_row(self, cells: list[str], stripped: str, number: int) -> None:
        name, issued, expiry, credits = cells
        self.packages[name] = _Package(
            name, self.day(issued, stripped, number, "issue date"),
            self.day(expiry, stripped, number, "expiry date"),
            self.reading.number(credits, "credits", stripped, number))

    def features_row(self, cells: list[str], stripped: str, number: int) -> None:
        name, maximum, used, sessions = cells
        package, _, feature = name.rpartition(":")
        self.rows.append(_Row(package or feature, feature,
                              self.reading.number(maximum, "credits", stripped, number),
                              self.reading.number(used, "credits used", stripped, number),
                              self.reading.number(sessions, "usage count", stripped, number)))

    # ---- the result --------------------------------------------------------------------------

    def attach_usage(self) -> None:
        """Each usage row to its feature's row: the first of that name with sessions left."""
        for number, stripped, name, seat in self.usage:
            rows = [row for row in self.rows if row.name == name]
            if not rows:
                self.reading.diagnose(number, "usage of a feature the status report does not "
                                              "list", stripped)
                self.rows.append(_Row("", name, None, None, None))
                rows = self.rows[-1:]
            row = next((r for r in rows if len(r.checkouts) < (r.sessions or 0)), rows[0])
            row.checkouts.append(seat._replace(count=row.session_credits()))

    def pool(self, package: str) -> Pool:
        known = self.packages.get(package)
        return Pool(None, known.expiry if known else None, CREDITS, vendor=package or None)

    def build(self) -> ServerStatus:
        self.attach_usage()
        features = [Feature(name=row.name, vendor=row.package or None, issued=row.maximum,
                            in_use=row.used, pools=(self.pool(row.package),),
                            checkouts=tuple(row.checkouts)) for row in self.rows]
        for package in self.packages.values():
            own = [row for row in self.rows if row.package == package.name]
            if any(row.name == package.name for row in own):
                continue  # the package is its own single feature
            used = [row.used for row in own]
            features.append(Feature(name=package.name, vendor=package.name,
                                    issued=package.credits,
                                    in_use=None if None in used else sum(used),
                                    pools=(self.pool(package.name),)))
        hosts = (LicenseHost(self.host, self.port, Status.UP),) if self.host else ()
        source = (f"{self.port}@{self.host}" if self.port is not None else self.host) or None
        status, error = Status.UP, None
        if not features and (self.errors or not self.host):
            status = Status.DOWN if self.errors or self.tried[1] else Status.ERROR
            error = "; ".join(self.errors) or "no status report in beta_lm_stat output"
        return ServerStatus(name=self.name or source or "unknown", source=source, status=status,
                            error=error, hosts=hosts, features=tuple(features),
                            manager=MANAGER)
