"""The one reader for the whole numbers that licence-manager outputs and files print.

Python's `int()` is the wrong tool for text we did not write: it accepts any Unicode digit
(`int("٣")` is 3), raises on digit strings longer than 4,300 digits, and returns numbers
too large for a date, a float or a C program. `read_int` takes ASCII digits only, at most
`maximum`, and returns None for anything else; the caller says what was wrong and where.
"""

from __future__ import annotations

COUNT_MAX = 2**31 - 1  # FlexLM keeps counts, lingers and times in C ints
ID_MAX = 2**32 - 1  # handles and process ids: unsigned 32-bit
PORT_MAX = 65535
_DIGITS = frozenset("0123456789")


def read_int(text: str | None, maximum: int = COUNT_MAX) -> int | None:
    """`text` as a whole number in 0..maximum, or None when it is not plain ASCII digits or
    is out of range. Never raises, and reads no more digits than `maximum` has."""
    if not text or len(text) > len(str(maximum)) or not _DIGITS.issuperset(text):
        return None
    value = int(text)
    return value if value <= maximum else None


def shortened(text: str, limit: int = 24) -> str:
    """`text` for a message: a 5,000-digit number is named by its length, not printed."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit // 2]!r}... ({len(text):,} characters)"


def is_ascii_number(text: str) -> bool:
    """Whether `text` is made of ASCII digits only (`"²".isdigit()` is true)."""
    return bool(text) and _DIGITS.issuperset(text)
