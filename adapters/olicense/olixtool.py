"""Parser for OLicense's `olixtool -sv HOST:PORT` status ("OLicense XML Status Application").

The layout (shared/reference/formats.md section 10, corpus/olicense):

    olixtool 4.8.0 - OLicense XML Status Application
    Server: <138.106.32.97:31212:0> (Proxy: <>)
    List of requested licenses:
    ==============================================
    Application:<TAB>cosin
    VersionRange:<TAB>0-20231
    Licenser:<TAB>cosin scientific software
    License-ID:<TAB>cosin-faf71fdc@cos550218
    Modules:
      Name; LicenseType; FloatCount; Expiration
      --------------------------------------------
      ftire_adams;  <TAB>FreeFloating;<TAB>3;<TAB>2022-12-31 23:59:59;
        3 FloatsLockedBy:
          sbhyma@RD0087712 #1

One block per licence (a `===` line before each), its modules in a `;`-separated table;
under a module, `N FloatsLockedBy:` (or another `...LockedBy:` of a locked licence) and one
`user@host #count` line per holder. The same module may come in several licences.

Mapped to the model: one Feature per (application, module), one Pool per licence that grants
it (version range, expiry, licence type, the licence id as its vendor string), issued and in
use summed over them; one Checkout per holder line, of the pool above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from lmconsole.adapter import StatusReport
from lmconsole.model import Checkout, Feature, LicenseHost, Pool, ServerStatus, Status
from lmconsole.numbers import PORT_MAX

from ..status_text import Reading, lines_of, says_failure

MANAGER = "olicense"

_BANNER = re.compile(r"olixtool\S* \S+ - OLicense XML Status Application")
_SERVER = re.compile(r"Server: <(?P<host>[^<>]*?):(?P<port>[0-9]+)(?::[^<>]*)?>(?: .*)?")
_FIELD = re.compile(r"(?P<key>[A-Za-z][\w-]*):(?:\t| )\s*(?P<value>\S.*)?"
                    r"|(?P<bare>[A-Za-z][\w-]*):")
_LOCKED_BY = re.compile(r"(?P<count>\S+) (?P<what>\w*)LockedBy:")
_DATE = re.compile(r"(?P<year>[0-9]+)-(?P<month>[0-9]+)-(?P<day>[0-9]+)(?: [0-9:]+)?")
_QUIET = re.compile(r"Copyright .*|List of requested licenses:|=+|-+")
# The module table's columns, as its header names them (this order when none came).
_COLUMNS = ("name", "licensetype", "floatcount", "expiration")
_NEVER = {"", "never", "unlimited", "permanent", "none"}
_KNOWN_FIELDS = {"application", "versionrange", "licenser", "licensee", "license-id",
                 "modules", "server"}


@dataclass(slots=True)
class _Licence:
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def application(self) -> str | None:
        return self.fields.get("application")


@dataclass(slots=True)
class _Module:
    name: str
    application: str | None
    pools: list[Pool] = field(default_factory=list)
    counts: list[int | None] = field(default_factory=list)  # None: uncounted or unreadable
    uncounted: bool = False
    in_use: int = 0
    checkouts: list[Checkout] = field(default_factory=list)

    def build(self) -> Feature:
        issued = None if self.uncounted or None in self.counts else sum(self.counts)
        return Feature(name=self.name, vendor=self.application, issued=issued,
                       in_use=self.in_use, uncounted=self.uncounted, pools=tuple(self.pools),
                       checkouts=tuple(self.checkouts))


def parse_olixtool(text: str, *, name: str | None = None) -> StatusReport:
    """Parse one olixtool status output. Never raises: what it cannot read is a diagnostic."""
    return _Parser(name).parse(text)


class _Parser:
    def __init__(self, name: str | None) -> None:
        self.reading = Reading(name)
        self.name = name
        self.host: str | None = None
        self.port: int | None = None
        self.licence = _Licence()
        self.modules: dict[tuple[str | None, str], _Module] = {}
        self.module: _Module | None = None  # the module row above
        self.columns = _COLUMNS
        self.errors: list[str] = []

    def parse(self, text: str) -> StatusReport:
        for number, line in lines_of(text):
            self.line(number, line.strip())
        return self.reading.report((self.build(),))

    def line(self, number: int, stripped: str) -> None:
        reading = self.reading
        if _BANNER.fullmatch(stripped):
            reading.recognised = True
        elif (match := _SERVER.fullmatch(stripped)) is not None:
            reading.recognised = True
            self.host = match["host"] or None
            self.port = reading.number(match["port"], "port", stripped, number, PORT_MAX)
        elif stripped.startswith("=") and set(stripped) == {"="}:
            self.licence, self.module = _Licence(), None
        elif stripped.startswith("Name;"):
            self.columns = tuple(cell.strip().lower() for cell in stripped.split(";"))
        elif ";" in stripped:
            self.module_row(stripped, number)
        elif (match := _LOCKED_BY.fullmatch(stripped)) is not None:
            self.locked_by(match, stripped, number)
        elif self.module is not None and "@" in stripped and ";" not in stripped:
            self.holder(stripped, number)
        elif _QUIET.fullmatch(stripped):
            reading.recognised = reading.recognised or stripped.startswith("List of requested")
        elif (match := _FIELD.fullmatch(stripped)) is not None:
            self.field(match, stripped, number)
        elif says_failure(stripped):
            self.errors.append(stripped)
            reading.diagnose(number, "error reported by olixtool", stripped)
        else:
            reading.diagnose(number, "unrecognised line", stripped)

    def field(self, match: re.Match, stripped: str, number: int) -> None:
        key = (match["key"] or match["bare"]).lower()
        if key not in _KNOWN_FIELDS and says_failure(stripped):  # `Error: cannot connect`
            self.errors.append(stripped)
            self.reading.diagnose(number, "error reported by olixtool", stripped)
            return
        if key not in _KNOWN_FIELDS:
            self.reading.diagnose(number, "unknown licence field", stripped)
        self.licence.fields[key] = (match["value"] or "").strip()
        self.module = None

    def module_row(self, stripped: str, number: int) -> None:
        """One module of the licence, its cells named by the table's header: Name,
        LicenseType, FloatCount, Expiration; other columns are read past."""
        cells = dict(zip(self.columns, (cell.strip() for cell in stripped.split(";"))))
        name, count_text = cells.get("name"), cells.get("floatcount")
        if not name or count_text is None:
            self.reading.diagnose(number, "module row without its name and float count",
                                  stripped)
            return
        self.reading.recognised = True
        kind, expiry_text = cells.get("licensetype", ""), cells.get("expiration", "")
        application = self.licence.application
        module = self.modules.get((application, name))
        if module is None:
            module = self.modules[application, name] = _Module(name, application)
        uncounted = count_text.lower() in ("unlimited", "uncounted")
        count = None if uncounted else self.reading.number(count_text, "licence count",
                                                           stripped, number)
        module.uncounted = module.uncounted or uncounted
        module.counts.append(count)
        module.pools.append(Pool(self.licence.fields.get("versionrange") or None,
                                 self.expiry(expiry_text, stripped, number), _licence_type(kind),
                                 self.licence.fields.get("license-id") or None, application))
        self.module = module

    def expiry(self, text: str, stripped: str, number: int) -> date | None:
        if text.lower() in _NEVER:
            return None
        match = _DATE.fullmatch(text)
        if match is None:
            self.reading.diagnose(number, "unreadable expiry date", stripped)
            return None
        return self.reading.day(match["year"], match["month"], match["day"], stripped, number)

    def locked_by(self, match: re.Match, stripped: str, number: int) -> None:
        self.reading.recognised = True
        if self.module is None:
            self.reading.diagnose(number, "holders without a module row above", stripped)
            return
        count = self.reading.number(match["count"], "licences in use", stripped, number)
        self.module.in_use += count or 0

    def holder(self, stripped: str, number: int) -> None:
        """`user@host #count` (user names may hold spaces)."""
        who, mark, count_text = stripped.rpartition(" #")
        if not mark:
            who, count_text = stripped, "1"
        user, _, host = who.strip().rpartition("@")
        count = self.reading.number(count_text, "licence count", stripped, number)
        if count is None:
            return
        module = self.module
        pool = len(module.pools) - 1
        module.checkouts.append(Checkout(user, host or None, None, module.pools[pool].version,
                                         pool, self.host, self.port, None, None, count))

    def build(self) -> ServerStatus:
        features = tuple(module.build() for module in self.modules.values())
        source = f"{self.port}@{self.host}" if self.host and self.port is not None else None
        hosts = (LicenseHost(self.host, self.port, Status.UP),) if self.host else ()
        status, error = Status.UP, None
        if not features and (self.errors or not self.host):
            status = Status.DOWN if self.errors else Status.ERROR
            error = "; ".join(self.errors) or "no licence information in olixtool output"
            hosts = tuple(LicenseHost(h.host, h.port, status) for h in hosts)
        return ServerStatus(name=self.name or source or "unknown", source=source, status=status,
                            error=error, hosts=hosts, features=features, manager=MANAGER)


def _licence_type(kind: str) -> str:
    lowered = kind.lower()
    if "float" in lowered:
        return "floating"
    if "lock" in lowered:
        return "nodelocked"
    return kind or "unknown"
