"""What an administrator may change in a FlexLM licence file, and the changes refused.

The vendor signs the licence lines: a changed signed field makes the vendor daemon reject the
line, and the seats are gone until the file is put back. An administrator may edit only
(flexlm-admin.md §1.7): SERVER host names and ports, the VENDOR line's daemon path, options
path and port, USE_SERVER, lower-case `keyword=value` pairs on FEATURE lines (asset_info=,
sort= ...), and comments. So a draft keeps every signed line as issued, in the same order:

    LIC018 error  a signed line changed, or a new one was added
    LIC019 error  a signed line was removed

The comparison ignores spacing and continuation lines, so re-wrapping a line is no change.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from lmconsole.adapter import Finding

from .license import Entry, LicenseFile, parse_license
from .options import Token

SIGNED_KEYWORDS = ("FEATURE", "INCREMENT", "UPGRADE", "PACKAGE")
# The names of the positional fields, in order, as a finding names them.
_FIELDS = {"FEATURE": ("feature name", "vendor", "version", "expiry date", "licence count"),
           "INCREMENT": ("feature name", "vendor", "version", "expiry date", "licence count"),
           "UPGRADE": ("feature name", "vendor", "from-version", "to-version", "expiry date",
                       "licence count"),
           "PACKAGE": ("package name", "vendor", "version"),
           "SERVER": ("host", "hostid"), "VENDOR": ("vendor name",)}
EDITABLE_RULE = ("only host names and ports on SERVER lines, the VENDOR line's paths and port, "
                 "USE_SERVER and lower-case keyword=value pairs may change")


def editable_tokens(keyword: str, args: Sequence[Token]) -> list[Token]:
    """The tokens after `keyword` that an administrator may change."""
    if keyword == "SERVER":
        return [args[0], *_server_port(args)] if args else []
    if keyword == "VENDOR":
        return list(args[1:])
    if keyword == "USE_SERVER":
        return list(args)
    if keyword in SIGNED_KEYWORDS:
        return [t for t in args if is_end_user_attribute(t.text)]
    return []


def is_end_user_attribute(text: str) -> bool:
    """`asset_info=...`, `sort=100`: the lower-case pairs FlexLM leaves out of the signature."""
    key, sep, _ = text.partition("=")
    return bool(sep) and bool(key) and key.islower() and '"' not in key


def _server_port(args: Sequence[Token]) -> list[Token]:
    """`SERVER host hostid [port]`: the port is the third field when it is a number."""
    return [args[2]] if len(args) > 2 and args[2].text.isascii() \
        and args[2].text.isdigit() else []


class SignedLine(NamedTuple):
    key: tuple[str, ...]  # the keyword and the signed fields, spacing normalised
    entry: Entry
    tokens: tuple[Token, ...]  # the signed tokens, where they stand


def signed_lines(license_file: LicenseFile) -> list[SignedLine]:
    lines = []
    for entry in license_file.entries:
        if entry.kind not in (*SIGNED_KEYWORDS, "SERVER", "VENDOR") or not entry.tokens:
            continue
        args = entry.tokens[1:]
        editable = {id(t) for t in editable_tokens(entry.kind, args)}
        tokens = tuple(t for t in args if id(t) not in editable)
        key = (entry.kind, *(_normal(t) for t in tokens))
        lines.append(SignedLine(key, entry, tokens))
    return lines


def signed_changes(original: str, draft: str) -> list[Finding]:
    """LIC018/LIC019 findings: how `draft` departs from the signed lines of `original`."""
    before = signed_lines(parse_license(original))
    after = signed_lines(parse_license(draft))
    findings: list[Finding] = []
    matcher = difflib.SequenceMatcher(None, [s.key for s in before], [s.key for s in after],
                                      autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            old = before[i1:i2]
            findings += [_changed(line, old, old[k] if k < len(old) else None)
                         for k, line in enumerate(after[j1:j2])]
        if tag == "delete" or (tag == "replace" and i2 - i1 > j2 - j1):
            anchor = after[j2 - 1].entry.line if j2 > 0 and after else 1
            findings += [_removed(line, anchor) for line in before[i1 + (j2 - j1):i2]]
    return sorted(findings)


def _changed(line: SignedLine, candidates: Iterable[SignedLine],
             in_place: SignedLine | None = None) -> Finding:
    same = [c for c in (in_place, *candidates) if c is not None and c.key[:2] == line.key[:2]]
    old = same[0] if same else None  # where it stood first: INCREMENT lines share a name
    if old is None and in_place is not None and in_place.key[0] == line.key[0]:
        old = in_place  # the line where it stood, its first field (hostid, name) changed
    what = f"{line.key[0]} {line.key[1]}" if len(line.key) > 1 else line.key[0]
    if old is None:
        token = line.entry.tokens[0]
        return Finding(token.line, token.column, "error", "LIC018",
                       f"{what}: a new signed line; {EDITABLE_RULE} (a new licence comes "
                       "from the vendor as a whole file)")
    token = _first_difference(old.tokens, line.tokens)
    if token is None:  # the draft lost the last fields
        token = line.entry.tokens[-1]
        change = f"signed {_named(old.entry, old.tokens[len(line.tokens)])} removed"
    elif (was := _counterpart(old.tokens, line.tokens, token)) is None:
        change = f"signed {_named(line.entry, token)} added"
    else:
        change = f"signed {_named(line.entry, token)} changed (was {was!r})"
    return Finding(token.line, token.column, "error", "LIC018",
                   f"{what}: {change}; the vendor daemon would reject the line: "
                   f"{EDITABLE_RULE}")


def _removed(line: SignedLine, anchor: int) -> Finding:
    what = " ".join(line.key[:2])
    return Finding(anchor, 1, "error", "LIC019",
                   f"the signed line {what} (line {line.entry.line} as opened) was removed; "
                   "its seats would be gone: put it back")


def _named(entry: Entry, token: Token) -> str:
    """The token as a finding names it: "licence count '33'", "field 'SIGN=...'"."""
    fields = entry.tokens[1:] if entry.kind == "SERVER" else entry.positional()
    index = next((i for i, t in enumerate(fields) if t is token), None)
    names = _FIELDS.get(entry.kind, ())
    name = names[index] if index is not None and index < len(names) else "field"
    return f"{name} {token.text!r}"


def _first_difference(old: Sequence[Token], new: Sequence[Token]) -> Token | None:
    for index, token in enumerate(new):
        if index >= len(old) or _normal(old[index]) != _normal(token):
            return token
    return None


def _normal(token: Token) -> str:
    """A token with its spacing normalised: re-wrapping a quoted SIGN= changes nothing."""
    return " ".join(token.text.split())


def _counterpart(old: Sequence[Token], new: Sequence[Token], token: Token) -> str | None:
    index = next(i for i, t in enumerate(new) if t is token)
    return old[index].text if index < len(old) else None


RESTART_KEYWORDS = ("SERVER", "VENDOR", "USE_SERVER")


def restart_reasons(original: str, draft: str) -> list[str]:
    """What in a licence file's change lmreread does not apply: SERVER, VENDOR and
    USE_SERVER lines (ports, hosts, daemon paths) are read when the daemons start, so such a
    change needs a restart (flexlm-admin.md: lmreread does not change ports)."""
    def lines(text: str) -> dict[str, list[tuple[str, ...]]]:
        found: dict[str, list[tuple[str, ...]]] = {}
        for entry in parse_license(text).entries:
            if entry.kind in RESTART_KEYWORDS:
                found.setdefault(entry.kind, []).append(tuple(t.text for t in entry.tokens))
        return found

    before, after = lines(original), lines(draft)
    return [f"a {keyword} line changed" for keyword in RESTART_KEYWORDS
            if before.get(keyword, []) != after.get(keyword, [])]
