"""Whether a text is an lsmon output: the first of lsmon's own words in it. Apart from the
parser (lsmon.py), which detecting the manager of a text does not need."""

from __future__ import annotations

_SIGNS = ("Application Monitor", "|- Feature Information", "[Contacting Sentinel",
          "Unable to contact any servers. Probably no servers running")


def first_sign(text: str) -> int | None:
    """The offset of the first of lsmon's own words in `text`, or None."""
    found = []
    for sign in _SIGNS:
        at = text.find(sign)
        if at < 0:
            continue
        if sign == "Application Monitor":
            line_start = text.rfind("\n", 0, at) + 1
            if "Sentinel" not in text[line_start:at]:
                continue
            at = line_start
        found.append(at)
    return min(found) if found else None
