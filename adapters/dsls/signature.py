"""Whether a text is a DSLS usage output: the first of the DSLS tools' own words in it.
Apart from the parser (usage.py), which detecting the manager of a text does not need."""

from __future__ import annotations

import re

BANNER = "License Administration Tool Version"
CSV_HEADER = "Editor,EditorId,Feature,"
# The columns a usage header has whatever its version (older ones may lack EditorId).
_COUNT_COLUMNS = ",Count,Inuse,"
CANNOT_CONNECT = re.compile(r"Cannot connect to server (?P<host>\S+) on port (?P<port>\S+)")


def first_sign(text: str) -> int | None:
    """The offset of the first of the DSLS tools' own words in `text`, or None."""
    found = [at for sign in (BANNER, CSV_HEADER) if (at := text.find(sign)) >= 0]
    if (counts := text.find(_COUNT_COLUMNS)) >= 0:
        line_start = text.rfind("\n", 0, counts) + 1
        line_end = text.find("\n", counts)
        if is_header(text[line_start:line_end if line_end >= 0 else len(text)]):
            found.append(line_start)
    if (match := CANNOT_CONNECT.search(text)) is not None:
        found.append(match.start())
    licenses = text.find("Licenses:")
    if licenses >= 0 and _dslsstat_header_after(text, licenses):
        found.append(licenses)
    return min(found) if found else None


def _dslsstat_header_after(text: str, at: int) -> bool:
    """Whether a dslsstat table header (Feature ... InUse) follows `Licenses:` closely."""
    window = text[at:at + 2000]
    return "Feature" in window and "InUse" in window and "|" in window


def is_header(line: str) -> bool:
    """Whether `line` is getLicenseUsage's CSV header (a prompt may be glued before it)."""
    return _COUNT_COLUMNS in line and (",Feature," in line or line.startswith("Feature,"))
