"""Parser for LS-DYNA's (LSTC) `lstc_qrun -s PORT@HOST -R` status (the licence report).

The layout (shared/reference/formats.md section 10, corpus/lsdyna):

    Using user specified server 31010@licserv
    LICENSE INFORMATION
    PROGRAM          EXPIRATION CPUS  USED   FREE    MAX | QUEUE
    ---------------- ----------      ----- ------ ------ | -----
    MPPDYNA          12/30/2022          -     60    500 |     0
     dvds3g     59005@n-c13.com  80
    LS-DYNA          12/30/2022          0     60    500 |     0
                       LICENSE GROUP   440     60    500 |     0

One row per program, then its running jobs (user, pid@host, CPUs). The CPUS column is
usually empty; USED is a number of any width or `-` (then the job rows are what it uses).
Programs above a `LICENSE GROUP` row draw on one shared pool: their MAX and FREE are the
pool's, and the group row says what the whole pool has in use. A `Running Programs` table
(user, pid@host, program, start, CPUs), when printed, names the same jobs.

Mapped to the model: one Feature per program (issued its MAX, in use its USED), one Checkout
per job (count: its CPUs), and one Feature per shared pool, named `LICENSE GROUP`, whose
issued and in use are the group row's, so the pool that runs out shows as full. The QUEUE
column counts jobs waiting without naming them: the model's queue lists who waits, so it
is read past.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from lmconsole.adapter import StatusReport
from lmconsole.model import Checkout, Feature, LicenseHost, Pool, ServerStatus, Status
from lmconsole.numbers import ID_MAX

from ..status_text import Reading, lines_of, port_at_host, says_failure

MANAGER = "lsdyna"
GROUP = "LICENSE GROUP"
SHARED = "shared pool"  # the licence type of a program that draws on a group's pool

# `Using user specified server 31010@lic`, `Using default server ...`, `Defaulting to server
# 1 specified by LSTC_LICENSE_SERVER variable`: the server asked, when it is named.
_SERVER = re.compile(r"(?:Using|Defaulting to) (?:[a-z]+ )*?server (?P<spec>\S+)(?: .*)?")
_HEADER = re.compile(r"PROGRAM\s+EXPIRATION\s+CPUS\s+USED\s+FREE\s+MAX\s*\|\s*QUEUE")
_PROGRAM = re.compile(r"(?P<program>\S+) +(?P<month>[0-9]+)/(?P<day>[0-9]+)/(?P<year>[0-9]+)"
                      r"(?P<cells>[^|]*)\|\s*(?P<queue>\S+)")
_GROUP = re.compile(r"LICENSE GROUP(?P<cells>[^|]*)\|\s*(?P<queue>\S+)")
_JOB = re.compile(r"(?P<user>\S+) +(?P<pid>[0-9]+)@(?P<host>\S+) +(?P<cpus>\S+)")
_RUNNING = re.compile(r"(?P<user>\S+) +(?P<pid>[0-9]+)@(?P<host>\S+) +(?P<program>\S+)"
                      r"(?: .*)? (?P<cpus>[0-9]+)")
_QUIET = re.compile(r"-[- |]*|LICENSE INFORMATION|Running Programs|Queued Programs|"
                    r"User\s+Host\s+Program.*|No programs (?:running|queued)")


@dataclass(slots=True)
class _Program:
    name: str
    line: int
    expiry: date | None
    used: int | None  # None: `-` or unreadable
    used_printed: bool  # a number was printed
    maximum: int | None
    jobs: list[Checkout] = field(default_factory=list)
    group: int | None = None  # the index of its shared pool

    def build(self, groups: int) -> Feature:
        kind = SHARED if self.group is not None else "floating"
        vendor_string = _group_name(self.group, groups) if self.group is not None else None
        in_use = self.used if self.used_printed else sum(job.count for job in self.jobs)
        return Feature(name=self.name, vendor=None, issued=self.maximum, in_use=in_use,
                       pools=(Pool(None, self.expiry, kind, vendor_string),),
                       checkouts=tuple(self.jobs))


def _group_name(index: int, groups: int) -> str:
    return GROUP if groups == 1 else f"{GROUP} {index + 1}"


def parse_qrun(text: str, *, name: str | None = None) -> StatusReport:
    """Parse one `lstc_qrun` output. Never raises: what it cannot read is a diagnostic."""
    return _Parser(name).parse(text)


class _Parser:
    def __init__(self, name: str | None) -> None:
        self.reading = Reading(name)
        self.name = name
        self.host: str | None = None
        self.port: int | None = None
        self.programs: list[_Program] = []
        self.groups: list[tuple[int | None, int | None]] = []  # (in use, max) of each pool
        self.running: list[tuple[str, Checkout]] = []  # (program, job) of Running Programs
        self.errors: list[str] = []

    def parse(self, text: str) -> StatusReport:
        for number, line in lines_of(text):
            self.line(number, line)
        return self.reading.report((self.build(),))

    def line(self, number: int, line: str) -> None:
        stripped = line.strip()
        reading = self.reading
        if (match := _SERVER.fullmatch(stripped)) is not None:
            reading.recognised = True
            if "@" in match["spec"]:
                self.port, self.host = port_at_host(match["spec"])
        elif _HEADER.fullmatch(stripped):
            reading.recognised = True
        elif (match := _GROUP.fullmatch(stripped)) is not None:
            reading.recognised = True
            self.group_row(match, stripped, number)
        elif (match := _PROGRAM.fullmatch(stripped)) is not None:
            reading.recognised = True
            self.program_row(match, stripped, number)
        elif line[:1].isspace() and (match := _JOB.fullmatch(stripped)) is not None:
            self.job_row(match, stripped, number)
        elif (match := _RUNNING.fullmatch(stripped)) is not None:
            self.running_row(match, stripped, number)
        elif _QUIET.fullmatch(stripped):
            reading.recognised = reading.recognised or stripped == "LICENSE INFORMATION"
        elif says_failure(stripped):
            self.errors.append(stripped)
            reading.diagnose(number, "error reported by lstc_qrun", stripped)
        else:
            reading.diagnose(number, "unrecognised line", stripped)

    def cells(self, cells: str, stripped: str, number: int
              ) -> tuple[int | None, bool, int | None] | None:
        """(used, whether USED was a number, max) of the columns before `|`: USED FREE MAX,
        after an empty or printed CPUS column."""
        values = cells.split()
        if len(values) not in (3, 4):
            self.reading.diagnose(number, "row without its USED, FREE and MAX columns", stripped)
            return None
        used_text, _, max_text = values[-3:]
        used = None
        if used_text != "-":
            used = self.reading.number(used_text, "CPUs used", stripped, number)
        maximum = self.reading.number(max_text, "CPUs licensed", stripped, number)
        return used, used_text != "-" and used is not None, maximum

    def program_row(self, match: re.Match, stripped: str, number: int) -> None:
        expiry = self.reading.day(match["year"], match["month"], match["day"], stripped, number)
        cells = self.cells(match["cells"], stripped, number)
        if cells is None:
            return
        used, printed, maximum = cells
        self.programs.append(_Program(match["program"], number, expiry, used, printed, maximum))

    def group_row(self, match: re.Match, stripped: str, number: int) -> None:
        cells = self.cells(match["cells"], stripped, number)
        used, _, maximum = cells if cells is not None else (None, False, None)
        index = len(self.groups)
        self.groups.append((used, maximum))
        for program in self.programs:  # the programs since the previous group row
            if program.group is None:
                program.group = index

    def job(self, match: re.Match, stripped: str, number: int) -> Checkout | None:
        cpus = self.reading.number(match["cpus"], "CPUs of a job", stripped, number)
        if cpus is None:
            return None
        pid = self.reading.number(match["pid"], "process id", stripped, number, ID_MAX)
        return Checkout(match["user"], match["host"], None, None, 0, self.host, self.port,
                        None, None, cpus, pid=pid)

    def job_row(self, match: re.Match, stripped: str, number: int) -> None:
        self.reading.recognised = True
        if not self.programs:
            self.reading.diagnose(number, "job row before any program row", stripped)
            return
        if (job := self.job(match, stripped, number)) is not None:
            self.programs[-1].jobs.append(job)

    def running_row(self, match: re.Match, stripped: str, number: int) -> None:
        if (job := self.job(match, stripped, number)) is not None:
            self.running.append((match["program"], job))

    # ---- the result --------------------------------------------------------------------------

    def attach_running(self) -> None:
        """Jobs of the Running Programs table, for programs whose rows list none."""
        by_name = {program.name: program for program in self.programs}
        listed = {name for name, program in by_name.items() if program.jobs}
        for name, job in self.running:
            program = by_name.get(name)
            if program is not None and name not in listed:
                program.jobs.append(job)

    def group_expiry(self, index: int) -> date | None:
        """The last expiry of the programs drawing on pool `index`: the pool serves until
        then (None: a program's is not known)."""
        dates = [program.expiry for program in self.programs if program.group == index]
        return max(dates) if dates and None not in dates else None

    def build(self) -> ServerStatus:
        self.attach_running()
        features = [program.build(len(self.groups)) for program in self.programs]
        for index, (used, maximum) in enumerate(self.groups):
            features.append(Feature(name=_group_name(index, len(self.groups)), vendor=None,
                                    issued=maximum, in_use=used,
                                    pools=(Pool(None, self.group_expiry(index), SHARED),)))
        hosts = (LicenseHost(self.host, self.port, Status.UP),) if self.host else ()
        source = f"{self.port}@{self.host}" if self.host else None
        status, error = Status.UP, None
        if not features:
            status = Status.DOWN if self.errors else Status.ERROR
            error = "; ".join(self.errors) or "no licence information in lstc_qrun output"
            hosts = tuple(LicenseHost(h.host, h.port, status) for h in hosts)
        return ServerStatus(name=self.name or source or "unknown", source=source, status=status,
                            error=error, hosts=hosts, features=tuple(features),
                            manager=MANAGER)
