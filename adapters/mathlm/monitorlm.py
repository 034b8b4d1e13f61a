"""Parser for MathLM's `monitorlm SERVER -template T` run with lmconsole's own template
(config/mathlm-monitorlm.template), not monitorlm's default layout: the template makes
monitorlm print one fact a line, each marked so that nothing else is read as one.

    LMCONSOLE-MATHLM SERVER v12.3
    LMCONSOLE-MATHLM COUNT Mathematica 2 20
    LMCONSOLE-MATHLM COUNT MathKernel 4 40
    LMCONSOLE-MATHLM SEAT Mathematica~jdoe~client1.example.com~08:49
    LMCONSOLE-MATHLM END

COUNT: a licence program (Mathematica, MathKernel and their Sub processes), its licences
out and authorized. SEAT: the program, user, host and how long the licence has been out
(`H:MM`, as monitorlm's own Duration column; a day count may lead). END: the output is
complete (without it, truncated).

Mapped to the model: one Feature per COUNT line, one Checkout per SEAT line, its start the
status time less the duration. monitorlm's own text layout (`-format text`, a saved output)
is read by monitorlm_text.py into the same model.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from lmconsole.adapter import StatusReport
from lmconsole.model import Checkout, Feature, LicenseHost, ServerStatus, Status
from lmconsole.numbers import read_int

from ..status_text import Reading, lines_of, says_failure
from . import MARK

MANAGER = "mathlm"
_DURATION = re.compile(r"(?:(?P<days>[0-9]+)d? )?(?P<hours>[0-9]+):(?P<minutes>[0-9]+)"
                       r"(?::(?P<seconds>[0-9]+))?")
_DAYS_MAX = 100_000


def parse_monitorlm(text: str, *, name: str | None = None, now: datetime) -> StatusReport:
    """Parse monitorlm's output through lmconsole's template, or in its own text layout;
    `now` is the status time, which the seats' durations count back from (the text layout
    names its own). Never raises on bad input."""
    if MARK not in text:
        from .monitorlm_text import parse_text_layout

        return parse_text_layout(text, name=name, now=now)
    return _Parser(name, now).parse(text)


class _Parser:
    def __init__(self, name: str | None, now: datetime) -> None:
        self.reading = Reading(name)
        self.name = name
        self.now = now
        self.version: str | None = None
        self.counts: dict[str, tuple[int | None, int | None]] = {}  # program -> (out, total)
        self.seats: dict[str, list[Checkout]] = {}
        self.ended = False
        self.errors: list[str] = []

    def parse(self, text: str) -> StatusReport:
        for number, line in lines_of(text):
            self.line(number, line.strip())
        return self.reading.report((self.build(),), self.truncated_at(text))

    def truncated_at(self, text: str) -> int | None:
        if self.reading.recognised and not self.ended:
            return len(text.lstrip("\ufeff").splitlines())
        return None

    def line(self, number: int, stripped: str) -> None:
        mark, _, rest = stripped.partition(" ")
        kind, _, value = rest.partition(" ")
        reading = self.reading
        if mark != MARK:
            self.other_line(number, stripped)
            return
        reading.recognised = True
        if kind == "SERVER":
            self.version = value.strip() if value.strip() not in ("", "v") else None
        elif kind == "COUNT":
            self.count(value, stripped, number)
        elif kind == "SEAT":
            self.seat(value, stripped, number)
        elif kind == "END":
            self.ended = True
        else:
            reading.diagnose(number, f"unknown {MARK} line", stripped)

    def other_line(self, number: int, stripped: str) -> None:
        if says_failure(stripped):
            self.errors.append(stripped)
            self.reading.diagnose(number, "error reported by monitorlm", stripped)
        else:
            self.reading.diagnose(number, "unrecognised line", stripped)

    def count(self, value: str, stripped: str, number: int) -> None:
        fields = value.split()
        if len(fields) != 3:
            self.reading.diagnose(number, "count line without program, out and authorized",
                                  stripped)
            return
        self.add_count(*fields, stripped, number)

    def add_count(self, program: str, out: str, total: str, stripped: str, number: int) -> None:
        self.counts[program] = (self.reading.number(out, "licences out", stripped, number),
                                self.reading.number(total, "licences authorized", stripped,
                                                    number))

    def seat(self, value: str, stripped: str, number: int) -> None:
        fields = value.split("~")
        if len(fields) < 4:
            self.reading.diagnose(number, "seat line without program, user, host and duration",
                                  stripped)
            return
        program, host, duration = fields[0].strip(), fields[-2].strip(), fields[-1].strip()
        user = "~".join(fields[1:-2]).strip()  # a user name may hold the separator
        self.add_seat(program, user, host, duration, stripped, number)

    def add_seat(self, program: str, user: str, host: str, duration: str, stripped: str,
                 number: int, version: str | None = None) -> None:
        start = None
        match = _DURATION.fullmatch(duration)
        if match is not None and (held := _duration(match)) is not None:
            start = self.now - held
        else:
            self.reading.diagnose(number, "unreadable duration", stripped)
        self.seats.setdefault(program, []).append(
            Checkout(user, host or None, None, version, None, None, None, None, start))

    def build(self) -> ServerStatus:
        features = [Feature(program, None, total, out, checkouts=tuple(self.seats.get(program, ())))
                    for program, (out, total) in self.counts.items()]
        features += [Feature(program, None, None, len(seats), checkouts=tuple(seats))
                     for program, seats in self.seats.items() if program not in self.counts]
        hosts = (LicenseHost(self.name, None, Status.UP, version=self.version),) if (
            self.name and self.counts) else ()
        status, error = Status.UP, None
        if not self.counts:
            status = Status.DOWN if self.errors else Status.ERROR
            error = "; ".join(self.errors) or "no licence counts in monitorlm output"
        return ServerStatus(name=self.name or "unknown", source=self.name, status=status,
                            error=error, hosts=hosts, features=tuple(features),
                            manager=MANAGER)


def _duration(match: re.Match) -> timedelta | None:
    days = read_int(match["days"] or "0", _DAYS_MAX)
    hours = read_int(match["hours"], 24 * _DAYS_MAX)
    minutes = read_int(match["minutes"], 59)
    seconds = read_int(match["seconds"] or "0", 59)
    if None in (days, hours, minutes, seconds):
        return None
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
