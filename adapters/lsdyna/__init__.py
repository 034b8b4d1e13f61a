"""LS-DYNA (LSTC licence server): `lstc_qrun -s PORT@HOST -R` status (-R: the licence
report, with every program's totals), nothing more yet.

The server's `license` setting is the PORT@HOST lstc_qrun asks (none: the utility's own
default, LSTC_LICENSE_SERVER). LSTC's server has no command lmconsole offers here to free
a job's CPUs or to re-read its files.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from lmconsole.adapter import StatusQuery, StatusReport

from ..status_only import StatusOnlyAdapter

_SIGNS = ("Using user specified server ", "LSTC_LICENSE_SERVER", "LICENSE INFORMATION\n")
_HEADER = re.compile(r"PROGRAM +EXPIRATION +CPUS +USED +FREE +MAX *\| *QUEUE")
_GROUP_ROW = re.compile(r"LICENSE GROUP +(?:[0-9]+|-) +[0-9]+ +[0-9]+ *\|")


def recognises(text: str) -> int | None:
    """Where in `text` the first sign of an lstc_qrun output is (its offset), or None."""
    found = [at for sign in _SIGNS if (at := text.find(sign)) >= 0]
    for pattern in (_HEADER, _GROUP_ROW):
        if (match := pattern.search(text)) is not None:
            found.append(match.start())
    return min(found) if found else None


class LsdynaAdapter(StatusOnlyAdapter):
    kind = "lsdyna"
    label = "LS-DYNA"
    output_name = "lstc_qrun"
    status_command = "lstc_qrun -R"
    default_utility = "lstc_qrun"

    def status_args(self, server: StatusQuery) -> list[str]:
        return [*(["-s", server.license] if server.license else []), "-R"]

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        from .qrun import parse_qrun

        return parse_qrun(text, name=name)
