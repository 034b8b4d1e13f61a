"""Whether a text is an lmxendutil output: the first of LM-X's own words in it."""

from __future__ import annotations

# Words only LM-X's utility prints: its banner, a server block's heading, the discovery
# heading, its XML's root and server elements, and a feature's count and sharing lines (a
# capture may start there).
_SIGNS = ("LM-X End-user Utility", "LM-X License Server on", "LM-X HAL License Server on",
          "LM-X license server(s)", "<LM-X>", "<LM-X ", "<LICENSE_PATH ", " license(s) used",
          "License sharing: ")


def first_sign(text: str) -> int | None:
    """The offset of the first sign of LM-X in `text`, or None (C-speed searches only)."""
    found = [at for sign in _SIGNS if (at := text.find(sign)) >= 0]
    return min(found) if found else None
