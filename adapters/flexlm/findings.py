"""Where a check's finding points: shared by the options-file and licence-file checks."""

from __future__ import annotations

from lmconsole.adapter import Finding


def at(where, severity: str, code: str, message: str) -> Finding:
    """A finding at a token (its line and column) or at the start of an entry."""
    return Finding(where.line, getattr(where, "column", 1), severity, code, message)
