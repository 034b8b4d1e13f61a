"""The end of a debug-log usage line: user@host and the tail after it.

A usage line (`OUT`, `IN`, `DENIED`, ...) ends in user@host and a tail: `(N licenses)` as
the count, other parenthesised text as the reason (`INACTIVE`, `REMOVED`, FlexLM's words for
a denial) and its `(-4,342)` as the code, and the vendor's own data as `extra` (the checkout
data `[J3_7f0101_611_1]` before them, FlexNet's verbose `^^^ ver user ip ... ^^^` after
them). The user may contain spaces and `@`, the host neither: the host follows the last `@`
before the tail and ends at the first space. The reader (debuglog.py) splits the usual line
itself, and remembers what `read_tail` made of each tail.
"""

from __future__ import annotations

import re

_COUNT = re.compile(r"([0-9]{1,9}) licenses?")
# "(-4,342)"; a WinSock errno may follow, with its text or (empty) just a space.
_CODE = re.compile(r'\(-[0-9]{1,6},-?[0-9]{1,9}(?::-?[0-9]{1,9})?(?: "[^"]*"| )?\)')


def split_who(who: str) -> tuple[str, str | None, str]:
    """`user@host`, perhaps with a tail after one space: (user, host, tail). The user may
    hold spaces and `@`, the host neither: it follows the last `@` before the tail (which
    may hold `@` too) and ends at the first space. Without an `@`, all is the user."""
    first = who.find("@")
    end = len(who)
    for opening in (" (", " [", " ^^^"):
        found = who.find(opening, first)
        if 0 <= found < end:
            end = found
    at_sign = who.rfind("@", 0, end)
    if at_sign <= 0:
        return who.strip(), None, ""
    host, _, rest = who[at_sign + 1:].partition(" ")
    return who[:at_sign], host or None, rest.strip()


def read_tail(tail: str) -> tuple[int, str | None, str | None, str | None]:
    """What follows the two spaces after user@host: parenthesised groups such as
    `(3 licenses)`, `(INACTIVE)` or `(Licensed number ... reached. (-4,342))`, after the
    vendor's `[checkout data]` and before FlexNet's verbose `^^^ ... ^^^`.
    Returns (count, reason, code, extra)."""
    text, extra = _vendor_data(tail.strip())
    if text[:1] == "(" and text[-1:] == ")" and ") (" not in text:
        groups = [text[1:-1]]  # one group (the usual case), perhaps with a code inside
    else:
        groups = _groups(text)
    count, code = 1, None
    reasons = []
    for group in groups:
        if "license" in group and _COUNT.fullmatch(group):
            count = int(group.partition(" ")[0])
            continue
        if code is None and group.endswith(")"):
            start = group.rfind("(-")
            if start >= 0 and _CODE.fullmatch(group, start):
                code = group[start + 1:-1].rstrip()
                group = group[:start].rstrip()
        if group:
            reasons.append(group)
    return count, " ".join(reasons) or None, code, extra


def joined_extra(first: str | None, second: str | None) -> str | None:
    """Two pieces of vendor data (either may be None) as one."""
    return " ".join(part for part in (first, second) if part) or None


def _vendor_data(text: str) -> tuple[str, str | None]:
    """Splits `[checkout data] (groups) ^^^ verbose ^^^` into the groups and the rest."""
    parts = []
    if text[:1] == "[" and "]" in text:
        end = text.index("]") + 1
        parts.append(text[:end])
        text = text[end:].lstrip()
    verbose = text.find("^^^")
    if verbose >= 0:
        parts.append(text[verbose:])
        text = text[:verbose].rstrip()
    return text, " ".join(parts) or None


def _groups(text: str) -> list[str]:
    """Split `(a) (b (c)) d` into its balanced parenthesised groups and the bare text
    between them: ["a", "b (c)", "d"]."""
    groups = []
    i, size = 0, len(text)
    while i < size:
        if text[i] == " ":
            i += 1
        elif text[i] == "(":
            depth, j = 0, i
            while j < size:
                if text[j] == "(":
                    depth += 1
                elif text[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            groups.append(text[i + 1:j])
            i = j + 1
        else:
            j = text.find(" (", i)
            j = size if j < 0 else j
            groups.append(text[i:j].strip())
            i = j
    return groups
