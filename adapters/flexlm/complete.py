"""Completion for the options and licence files: the words that fit where the cursor is.

Options file: keywords at the start of a line, then by the keyword's shape: feature and
package names from the licence file (after `name:`, a qualifier that picks each of its pools:
`VERSION=` when the versions differ, else `asset_info=`, `HOSTID=` ...), the types, and the
names of the type before: users and hosts the console has seen on the server, groups and host
groups the file defines, ALL_USERS / ALL_GROUPS for MAX; ON/OFF and the other fixed values.
Licence file: keywords, and the fields an administrator may add. Matching is by prefix,
case-insensitive; a name in the case typed sorts first.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from itertools import chain

from lmconsole.adapter import Completion, Completions, LiveUse

from .license import KEYWORDS as LICENSE_KEYWORDS
from .license import LicenseFile, Pool
from .options import (
    ALIASES,
    KEYWORDS,
    NOLOG_EVENTS,
    SHAPES,
    SWITCH_VALUES,
    TYPES,
    LogicalLine,
    continues,
    line_content,
    physical_lines,
)
from .validate_pools import pool_qualifier

# What each argument of a shape is, in order; only GROUP members repeat.
_ROLES = {
    "count_feature_type_name": ("number", "feature", "type", "name"),
    "feature_type_name": ("feature", "type", "name"),
    "type_name": ("type", "name"),
    "feature_number": ("feature", "number"),
    "number": ("number",),
    "group": ("group", "member"),
    "switch": ("switch",),
    "nolog": ("nolog",),
    "log": ("path",),
}
_DEFINITION = re.compile(r"^[ \t]*(GROUP|USER_GROUP|HOST_GROUP)[ \t]+([^\s\\]+)",
                         re.IGNORECASE | re.MULTILINE)
END_USER_ATTRIBUTES = ("asset_info=", "dist_info=", "user_info=", "vendor_info=", "sort=")


class _Cursor:
    """The logical line up to the cursor: the words before the one being typed, and it."""

    def __init__(self, text: str, row: int, column: int,
                 entry_keywords: Collection[str] = ()) -> None:
        """`entry_keywords`: the words that start a new entry even after a `\\` (licence
        file keywords, as the licence parser reads them)."""
        lines = [line_content(line) for line in physical_lines(text)]
        if not lines or text.endswith("\n"):  # the cursor may stand on the empty last line
            lines.append("")
        row = min(max(row, 0), len(lines) - 1)
        current = lines[row][:column]
        first = row
        # comments never continue, and an entry keyword starts a new line after a stray `\`
        while first > 0 and continues(lines[first - 1]) \
                and not lines[first - 1].lstrip().startswith("#") \
                and _first_word(lines[first]) not in entry_keywords:
            first -= 1
        before = LogicalLine(first + 1, [*lines[first:row], current]).text
        self.start = len(current) - len(current.split()[-1]) if current and \
            not current[-1].isspace() else len(current)
        self.word = current[self.start:]
        # the words as the parser reads them: "MATLAB asset_info=1" is one
        self.words = [t.text for t in
                      LogicalLine(1, [before[:len(before) - len(self.word)]]).tokens()]
        self.in_quotes = before.count('"') % 2 == 1
        self.comment = bool(before.strip()) and before.lstrip().startswith("#")


def complete_options(text: str, row: int, column: int, live: LiveUse,
                     license_file: LicenseFile | None = None, vendor: str | None = None
                     ) -> Completions:
    """`vendor`: the daemon whose options file this is (`license_file` is then its part of
    the licence file): the features it serves now are offered too, and no other's."""
    cursor = _Cursor(text, row, column)
    if cursor.comment or cursor.in_quotes:
        return Completions(cursor.start, ())
    if not cursor.words:
        return _matching(cursor, ((k, "keyword", "") for k in sorted(KEYWORDS)))
    keyword = cursor.words[0].upper()
    keyword = "GROUP" if keyword == "USER_GROUP" else keyword
    roles = _ROLES.get(SHAPES.get(keyword, ""), ())
    index = len(cursor.words) - 1
    if not roles or (index >= len(roles) and roles[-1] != "member"):  # the line is complete
        return Completions(cursor.start, ())
    role = roles[min(index, len(roles) - 1)]
    return _matching(cursor, _candidates(role, keyword, cursor, live, license_file, text,
                                         vendor))


def _candidates(role: str, keyword: str, cursor: _Cursor, live: LiveUse,
                license_file: LicenseFile | None, text: str, vendor: str | None
                ) -> Iterable[tuple[str, str, str]]:
    if role == "feature":
        return chain(_features(license_file, cursor.word),
                     _served_now(live, vendor, license_file, cursor.word))
    if role == "type":
        return ((t, "type", "") for t in TYPES)
    if role == "switch":
        return ((v, "value", "") for v in SWITCH_VALUES.get(keyword, ()))
    if role == "nolog":
        return ((v, "value", "") for v in NOLOG_EVENTS)
    if role == "group":
        return ((g, "group", "defined here") for g in _defined(text, keyword))
    if role == "member":
        return _names("HOST" if keyword == "HOST_GROUP" else "USER", live, text, keyword)
    if role == "name":
        return _names(cursor.words[-1].upper(), live, text, keyword)
    return ()


def _features(license_file: LicenseFile | None, word: str) -> Iterable[tuple[str, str, str]]:
    if license_file is None:
        return
    name, colon, _ = word.partition(":")
    if colon:  # a qualifier that picks one pool of `name`
        pools = license_file.pools_of(name)
        for pool in pools:
            qualifier = pool_qualifier(pool, pools)
            if qualifier is not None:
                yield f"{name}:{qualifier}", "feature", _seats([pool])
        return
    for feature in sorted({p.name for p in license_file.pools}):
        pools = license_file.pools_of(feature)
        detail = _seats(pools)
        if len({p.version for p in pools}) > 1:
            detail += f", {len(pools)} pools: add :VERSION= to choose one"
        elif len(pools) > 1:
            detail += f", {len(pools)} pools"
        if feature in license_file.package_names:
            detail += ", package: applies to all its components"
        yield feature, "feature", detail
    for package in sorted(license_file.package_names - license_file.feature_names):
        yield package, "feature", "package"


def _served_now(live: LiveUse, vendor: str | None, license_file: LicenseFile | None,
                word: str) -> Iterable[tuple[str, str, str]]:
    """The features the daemon serves now that its licence lines do not name (or all of
    them, when the licence file is not known)."""
    if not vendor or ":" in word:
        return
    listed = license_file.feature_names | license_file.package_names if license_file else set()
    for feature in sorted(live.served_by):
        if vendor in live.served_by[feature] and feature not in listed:
            yield feature, "feature", f"served by {vendor} now"


def _seats(pools: list[Pool]) -> str:
    counted = [p.seats for p in pools if p.seats is not None]
    if not counted:
        return "uncounted"
    total = sum(counted)
    seats = f"{total} seat" + ("" if total == 1 else "s")
    return seats + (" + uncounted" if len(counted) < len(pools) else "")


def _defined(text: str, keyword: str) -> list[str]:
    """The groups (HOST_GROUP: host groups) the file defines. A scan of the lines' first two
    words, not a parse: this runs after every keystroke, on files of thousands of lines."""
    kind = "HOST_GROUP" if keyword == "HOST_GROUP" else "GROUP"
    found = (m[2] for m in _DEFINITION.finditer(text)
             if ALIASES.get(m[1].upper(), m[1].upper()) == kind)
    return list(dict.fromkeys(found))


def _names(of_type: str, live: LiveUse, text: str, keyword: str
           ) -> Iterable[tuple[str, str, str]]:
    if of_type == "USER":
        if keyword == "MAX":
            yield "ALL_USERS", "value", "every user, one by one"
        yield from ((u, "user", "seen on the server") for u in sorted(live.users, key=str.casefold))
    elif of_type == "HOST":
        yield from ((h, "host", "seen on the server") for h in sorted(live.hosts, key=str.casefold))
    elif of_type in ("GROUP", "HOST_GROUP"):
        if keyword == "MAX" and of_type == "GROUP":
            yield "ALL_GROUPS", "value", "every group, one by one"
        yield from ((g, "group", "defined here") for g in _defined(text, of_type))


def complete_license(text: str, row: int, column: int) -> Completions:
    cursor = _Cursor(text, row, column, LICENSE_KEYWORDS)
    if cursor.comment or cursor.in_quotes:
        return Completions(cursor.start, ())
    if not cursor.words:
        keywords = ((k, "keyword", "") for k in LICENSE_KEYWORDS if k != "DAEMON")
        return _matching(cursor, keywords)
    keyword = cursor.words[0].upper()
    if keyword in ("VENDOR", "DAEMON") and len(cursor.words) > 1:
        return _matching(cursor, (("OPTIONS=", "value", "the options file"),
                                  ("PORT=", "value", "the vendor daemon's TCP port")))
    if keyword in ("FEATURE", "INCREMENT") and len(cursor.words) > 5:
        return _matching(cursor, ((a, "value", "not signed") for a in END_USER_ATTRIBUTES))
    return Completions(cursor.start, ())


def _matching(cursor: _Cursor, candidates: Iterable[tuple[str, str, str]]) -> Completions:
    word = cursor.word
    folded = word.casefold()
    seen: set[str] = set()
    items = []
    for text, kind, detail in candidates:
        if text not in seen and text.casefold().startswith(folded) and text != word:
            seen.add(text)
            items.append(Completion(text, kind, detail))
    items.sort(key=lambda c: not c.text.startswith(word))  # stable: the case typed first
    return Completions(cursor.start, tuple(items))


def _first_word(line: str) -> str:
    words = line.split(None, 1)
    return words[0].upper() if words else ""
