"""Reader of monitorlm's own text layout (`monitorlm SERVER -format text`), as Wolfram's
"Monitoring MathLM" tutorial shows it and as an administrator saves it:

    MathLM Version 11.2
    MathLM Server hostname.domain.com
    Date : Thursday, August 29 2017 14:11:59

    License Usage Summary:
                                License    Total    Total
    Program                        Class    in Use    Authorized
    ------------------------------------------------------
    Mathematica                    A        2        20
    Sub Mathematica                A        0        80

    Licenses in Use:
                                License
    Program            Version    Class    Username    Hostname    Duration
    ----------------------------------------------------------------------------
    Mathematica        11.1    A    username    client1.domain.com    08:49

Columns are separated by runs of spaces, and a program's name may hold one ("Sub
Mathematica"); it is named without it ("SubMathematica"), as lmconsole's template names it,
so that the two ways of reading a server give the same features. The Date is GMT unless
monitorlm ran with -localtime, which its output does not say: it is read as UTC, and the
seats' durations count back from it. Never raises.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lmconsole.adapter import StatusReport

from ..status_text import moment
from .monitorlm import _Parser

_VERSION = re.compile(r"MathLM Version (?P<version>\S+)")
_SERVER = re.compile(r"MathLM Server (?P<host>\S+)")
_DATE = re.compile(r"Date ?: ?(?P<when>.+)")
_CLASS = re.compile(r"[A-Za-z]")
_DAYS = re.compile(r"[0-9]+d?")  # the day count a long duration may lead with
_SECTIONS = {"License Usage Summary:": "summary", "Licenses in Use:": "seats"}
# Lines that carry nothing: the help pointer, the column headings, the rules under them.
_QUIET = re.compile(r"Online help is available at|https?://\S+|License(?: +Total +Total)?|"
                    r"Program +(?:Version +)?Class .*|-{10,}")


def parse_text_layout(text: str, *, name: str | None, now: datetime) -> StatusReport:
    layout = _TextLayout(name, now)
    report = layout.parse(text)
    return report._replace(reported_at=layout.dated) if layout.dated else report


class _TextLayout(_Parser):
    def __init__(self, name: str | None, now: datetime) -> None:
        super().__init__(name, now)
        self.section: str | None = None
        self.dated: datetime | None = None

    def truncated_at(self, text: str) -> int | None:
        return None  # this layout marks no end: a cut output cannot be told from a whole one

    def line(self, number: int, stripped: str) -> None:
        reading = self.reading
        if stripped in _SECTIONS:
            reading.recognised = True
            self.section = _SECTIONS[stripped]
        elif (match := _VERSION.fullmatch(stripped)) is not None:
            reading.recognised = True
            self.version = "v" + match["version"].removeprefix("v")
        elif (match := _SERVER.fullmatch(stripped)) is not None:
            reading.recognised = True
            self.name = self.name or match["host"]
        elif (match := _DATE.fullmatch(stripped)) is not None:
            self.date(match["when"], stripped, number)
        elif _QUIET.fullmatch(stripped):
            pass
        elif not self.row(number, stripped):
            self.other_line(number, stripped)

    def row(self, number: int, stripped: str) -> bool:
        """Read a row of the section it is in, by its words from the right (the program's
        name, on the left, may hold a space); False: not one."""
        words = stripped.split()
        if self.section == "summary" and len(words) >= 4 and _CLASS.fullmatch(words[-3]):
            self.add_count("".join(words[:-3]), words[-2], words[-1], stripped, number)
            return True
        if self.section != "seats":
            return False
        if len(words) >= 7 and _DAYS.fullmatch(words[-2]):
            words[-2:] = [f"{words[-2]} {words[-1]}"]
        if len(words) < 6 or not _CLASS.fullmatch(words[-4]):
            return False
        version, _, user, host, duration = words[-5:]
        self.add_seat("".join(words[:-5]), user, host, duration, stripped, number,
                      version=version)
        return True

    def date(self, when: str, stripped: str, number: int) -> None:
        dated = moment(when, UTC)
        if dated is None:
            self.reading.diagnose(number, "unreadable date", stripped)
            return
        self.dated = self.now = dated
