"""IBM License Use Management (LUM, the licence manager of CATIA V4/V5): `i4blt -s -lc`
status, nothing more yet.

The server's `license` setting names the LUM server (`i4blt -s -lc -n SERVER`; a `PORT@`
before it is dropped); without it i4blt asks the servers its own configuration names. LUM
has no command lmconsole offers here to free a seat or to re-read its files.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from lmconsole.adapter import StatusQuery, StatusReport

from ..status_only import StatusOnlyAdapter

ERROR = re.compile(r"\bADM-[0-9]{3,}\b")  # i4blt's own errors (i4blt.py reads them too)


def recognises(text: str) -> int | None:
    """Where in `text` the first sign of an i4blt status is (its offset), or None: a product
    block (`Vendor Name:` with a `Product Name:`), i4blt's name, or an ADM- message."""
    found = [at for sign in ("i4blt",) if (at := text.find(sign)) >= 0]
    if "Product Name:" in text and (at := text.find("Vendor Name:")) >= 0:
        found.append(at)
    # the literal first: the pattern opens with \b, so re tries it at every offset (a tenth of
    # a second on a 5 MB lmstat output, which has no ADM- at all)
    if "ADM-" in text and (match := ERROR.search(text)) is not None:
        found.append(match.start())
    return min(found) if found else None


class LumAdapter(StatusOnlyAdapter):
    kind = "lum"
    label = "IBM LUM"
    output_name = "i4blt"
    status_command = "i4blt -s -lc"
    default_utility = "i4blt"

    def status_args(self, server: StatusQuery) -> list[str]:
        host = (server.license or "").rpartition("@")[2]
        return ["-s", "-lc", *(["-n", host] if host else [])]

    def parse_status(self, text: str, *, name: str, tz: tzinfo, now: datetime) -> StatusReport:
        from .i4blt import parse_i4blt

        return parse_i4blt(text, name=name, tz=tz)
