"""Checks for FlexLM options files, with stable codes, severities and positions (the licence
file's checks are in validate_license.py).

Options file (`validate_options`; the OPT009-OPT013 and OPT023 checks need the licence file
and are in validate_pools.py):
    OPT001 error    unknown keyword
    OPT002 error    unknown type (not USER, HOST, DISPLAY, INTERNET, PROJECT, GROUP, HOST_GROUP)
    OPT003 error    missing, extra or malformed arguments (a count that is not a number ...)
    OPT004 error    several names on an INCLUDE/EXCLUDE/RESERVE/MAX line (use a GROUP)
    OPT005 error    group referenced but never defined
    OPT006 warning  group defined without members
    OPT007 info     group defined on several lines (FlexLM merges them)
    OPT008 error    a HOST_GROUP referenced as GROUP, or a GROUP as HOST_GROUP
    OPT009 error    feature or package not in the licence file (with "did you mean")
    OPT010 warning  qualifier needed: a USER_BASED/HOST_BASED feature, or a feature spec that
                    matches several pools (the hint names a qualifier that picks one)
    OPT011 warning  RESERVE total above a pool's seats (only the first reservations apply); a
                    line reserves in every pool its feature spec matches, as the daemon does
    OPT012 warning  MAX above the pool's seats
    OPT013 warning  more names on the INCLUDE list than the pool has seats
    OPT014 warning  MAX for a user after a `MAX ... USER ALL_USERS` line for the same feature
    OPT015 warning  a name both included and excluded (EXCLUDE wins: denied)
    OPT016 warning  TIMEOUT/TIMEOUTALL below 900 s (the vendor minimum wins)
    OPT017 error    logical line longer than 4,000 characters
    OPT018 error    curly quotes or an unbalanced `"`
    OPT019 warning  wildcard or IP address as a HOST name (unreliable; INTERNET takes IPs)
    OPT020 warning  NOLOG DENIED/QUEUED (blinds denial monitoring)
    OPT021 warning  name differs only in case from a known user/host (no GROUPCASEINSENSITIVE)
    OPT022 warning  INCLUDE/EXCLUDE mixed with INCLUDE_ENTITLEMENT/EXCLUDE_ENTITLEMENT
    OPT023 warning  the qualifier matches no licence line of the feature
    OPT024 error    `#` after the start of a line (not a comment: the daemon reads the words)
    OPT025 error    ALL_USERS/ALL_GROUPS outside `MAX n f USER ALL_USERS` / `GROUP ALL_GROUPS`
    OPT026 warning  GROUPCASEINSENSITIVE is not the first option in the file
    OPT027 warning  HOST name short where the server has seen the FQDN, or the reverse, under
                    FQDN_MATCHING exact (the default)
    OPT028 warning  FQDN_MATCHING set on several lines (the last one wins)
    OPT029 warning  an INCLUDE list locks out users who used the feature recently (needs
                    `recent_users`: live seats, the debug log)
    OPT030 warning  a `\\` continues a line into one that starts, unindented, with a keyword:
                    the daemon may read both as one line (a forgotten `\\`)
    OPT031 error    the feature is served by another vendor daemon, not by the one whose
                    options file this is (needs `vendor`; validate_vendor.py)
    OPT032 info     check-options without a server: the licence file has several vendor
                    daemons and none names this file, so all their features are checked
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace

from lmconsole.adapter import Finding

from .findings import at as _at
from .license import LicenseFile
from .options import ALIASES, SHAPES, TYPES, Directive, OptionsFile, Token
from .validate_lockout import RecentClient, check_lockout
from .validate_pools import check_against_license, spec_key
from .validate_vendor import check_vendor, daemons_serving

SEVERITIES = ("error", "warning", "info")
MAX_LINE = 4000
MIN_TIMEOUT_S = 900
_SINGLE_NAME = ("INCLUDE", "EXCLUDE", "INCLUDE_BORROW", "EXCLUDE_BORROW", "INCLUDEALL",
                "EXCLUDEALL", "INCLUDEALL_BORROW", "EXCLUDEALL_BORROW", "RESERVE", "MAX",
                "INCLUDE_ENTITLEMENT", "EXCLUDE_ENTITLEMENT", "INCLUDEALL_ENTITLEMENT",
                "EXCLUDEALL_ENTITLEMENT")
_CURLY = "\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb"
_ALL_NAMES = {"ALL_USERS": "USER", "ALL_GROUPS": "GROUP"}  # the type each goes with on MAX


# --- options file -------------------------------------------------------------------------


def validate_options(options: OptionsFile, license_file: LicenseFile | None = None,
                     known_names: Iterable[str] = (),
                     recent_users: Mapping[str, Collection[RecentClient]] | None = None,
                     *, vendor: str | None = None,
                     served_by: Mapping[str, Collection[str]] | None = None
                     ) -> list[Finding]:
    """The findings on `options`. `known_names`: the users and hosts the server has seen;
    `recent_users`: who used each feature lately (held or asked for a seat), each a user
    name or (user, host, display) (validate_lockout). `vendor`: the daemon whose options
    file this is; its features (of the licence file, and `served_by`: feature -> the
    daemons lmstat lists it under) are the ones checked. None: every daemon's."""
    findings = [f for d in options.directives for f in _check_inline_comment(d)]
    # The other checks read each line up to its mid-line `#`, so the comment words are
    # reported once, above, and not again as extra names (OPT004) or arguments (OPT003).
    options = OptionsFile(tuple(_before_inline_comment(e) for e in options.entries))
    groups = _definitions(options, "GROUP")
    host_groups = _definitions(options, "HOST_GROUP")
    case_insensitive = any((d.value.text.upper() if d.value else "") == "ON"
                           for d in options.with_keyword("GROUPCASEINSENSITIVE"))
    for entry in options.entries:
        if entry.kind == "unknown":
            findings.append(_at(entry.tokens[0] if entry.tokens else entry, "error", "OPT001",
                                f"unknown keyword {_first(entry)!r}"))
        if entry.kind in ("directive", "unknown"):
            findings += _check_text(entry) + _check_continued_keyword(entry)
        if entry.kind == "directive":
            findings += _check_directive(entry, groups, host_groups)
    findings += _check_groups(groups, "GROUP") + _check_groups(host_groups, "HOST_GROUP")
    findings += _check_max_order(options) + _check_include_exclude(options, groups, host_groups)
    findings += _check_entitlement_mix(options) + _check_case_switch_first(options)
    findings += _check_case(options, set(known_names), case_insensitive)
    findings += _check_fqdn(options, set(known_names))
    served: set[str] = set()  # by some daemon, by the licence file or by lmstat
    if vendor:
        serving = daemons_serving(license_file, served_by)
        findings += check_vendor(options, vendor, serving)
        served = {name for name, daemons in serving.items() if daemons}
        license_file = license_file.of_vendor(vendor) if license_file is not None else None
    if recent_users:
        findings += check_lockout(options, license_file, recent_users)
    if license_file is not None:
        # Served, but not by this daemon's licence lines: another daemon's feature (OPT031),
        # or one this daemon serves from another licence file. Neither is OPT009.
        unchecked = served - license_file.vendors_serving().keys()
        findings += check_against_license(options, license_file, groups, unchecked)
    return sorted(findings, key=lambda f: (f.line, f.column, f.code))


def _definitions(options: OptionsFile, keyword: str) -> dict[str, list[Directive]]:
    found: dict[str, list[Directive]] = defaultdict(list)
    for directive in options.with_keyword(keyword):
        if directive.group is not None:
            found[directive.group.text].append(directive)
    return found


def _first(entry: Directive) -> str:
    return entry.tokens[0].text if entry.tokens else entry.text.strip()


def _comment_start(d: Directive) -> int | None:
    """The index of the first token after the keyword that starts with `#`."""
    return next((i for i, t in enumerate(d.tokens) if i and t.text.startswith("#")), None)


def _check_inline_comment(d: Directive) -> list[Finding]:
    at = _comment_start(d)
    if at is None or d.kind != "directive":
        return []
    words = " ".join(t.text for t in d.tokens[at:])
    words = words if len(words) <= 40 else words[:39] + "…"
    what = "names" if d.keyword in _SINGLE_NAME else \
        "members" if d.keyword in ("GROUP", "HOST_GROUP") else "arguments"
    return [_at(d.tokens[at], "error", "OPT024",
                f"`#` starts a comment only at the beginning of a line; the daemon reads "
                f"`{words}` as {what} (put the comment on a line of its own)")]


def _before_inline_comment(d: Directive) -> Directive:
    at = _comment_start(d)
    if at is None or d.kind != "directive":
        return d
    cut = d.tokens[at]

    def before(t) -> bool:
        return (t.line, t.column) < (cut.line, cut.column)

    return replace(d, tokens=d.tokens[:at], names=tuple(filter(before, d.names)),
                   problems=tuple(p for p in d.problems if p.kind != "extra" or before(p)))


def _check_continued_keyword(entry: Directive) -> list[Finding]:
    """OPT030. Only an unindented, upper-case keyword is taken for a new line: a continued
    GROUP line may well list a user called max."""
    findings = []
    for token in entry.tokens[1:]:
        if token.column == 1 and token.line > entry.line \
                and (token.text in SHAPES or token.text in ALIASES):
            findings.append(_at(token, "warning", "OPT030",
                                f"the `\\` at the end of line {token.line - 1} continues into "
                                f"this {token.text} line, so the daemon may read both as one "
                                f"line; if this is a new line, remove the `\\`"))
    return findings


def _check_text(entry: Directive) -> list[Finding]:
    findings = []
    logical = entry.logical_text
    if len(logical) > MAX_LINE:
        findings.append(_at(entry, "error", "OPT017",
                            f"line is {len(logical)} characters long; FlexLM reads at most "
                            f"{MAX_LINE} (split a GROUP into several GROUP lines)"))
    for token in entry.tokens:
        if any(c in _CURLY for c in token.text):
            findings.append(_at(token, "error", "OPT018",
                                f"curly quote in {token.text!r}; use straight quotes (\")"))
        elif token.text.count('"') % 2:
            findings.append(_at(token, "error", "OPT018", f"unbalanced quote in {token.text!r}"))
    return findings


def _check_directive(d: Directive, groups: dict, host_groups: dict) -> list[Finding]:
    findings = [_at(Token("", p.line, p.column), "error", "OPT003", p.message)
                for p in d.problems]
    if d.type_token is not None and d.type not in TYPES:
        findings.append(_at(d.type_token, "error", "OPT002",
                            f"unknown type {d.type_token.text!r}; expected one of "
                            f"{', '.join(TYPES)}"))
    if d.keyword in _SINGLE_NAME and len(d.names) > 1:
        findings.append(_at(d.names[1], "error", "OPT004",
                            f"{d.keyword} takes one name, found {len(d.names)}; "
                            f"define a GROUP or HOST_GROUP for several"))
    if d.keyword in _SINGLE_NAME and d.names:
        findings += _check_reference(d, d.names[0], groups, host_groups)
    findings += _check_all_names(d)
    if d.keyword in ("TIMEOUT", "TIMEOUTALL") and d.number is not None \
            and d.number < MIN_TIMEOUT_S:
        findings.append(_at(d.tokens[-1], "warning", "OPT016",
                            f"{d.keyword} {d.number} s is below the usual vendor minimum of "
                            f"{MIN_TIMEOUT_S} s, which silently wins"))
    if d.keyword == "NOLOG" and d.value is not None and d.value.text.upper() in ("DENIED",
                                                                               "QUEUED"):
        findings.append(_at(d.value, "warning", "OPT020",
                            f"NOLOG {d.value.text.upper()} hides denials from the debug log "
                            f"and blinds denial monitoring"))
    # A HOST_GROUP may list IP addresses (§1.4) but no INTERNET entries: no advice to use them.
    advice = "use host names" if d.keyword == "HOST_GROUP" else \
        "use host names, or the INTERNET type"
    for host in _hosts(d):
        if "*" in host.text or "?" in host.text or _is_ip(host.text):
            findings.append(_at(host, "warning", "OPT019",
                                f"host {host.text!r} is a wildcard or IP address, which is "
                                f"unreliable (DHCP); {advice}"))
    return findings


def _hosts(d: Directive) -> tuple[Token, ...]:
    return d.names if (d.keyword == "HOST_GROUP" or d.type == "HOST") else ()


def _check_all_names(d: Directive) -> list[Finding]:
    if d.keyword not in _SINGLE_NAME + ("GROUP", "HOST_GROUP"):
        return []
    findings = []
    for token in d.names:
        if token.text not in _ALL_NAMES:
            continue
        if d.keyword == "MAX" and d.type == _ALL_NAMES[token.text]:
            continue
        kind = "member" if d.keyword in ("GROUP", "HOST_GROUP") else (d.type or "").lower()
        findings.append(_at(token, "error", "OPT025",
                            f"{token.text} is special only in `MAX n feature USER ALL_USERS` "
                            f"or `MAX n feature GROUP ALL_GROUPS`; here the daemon reads it "
                            f"as a {kind} literally named {token.text!r}"))
    return findings


def _check_reference(d: Directive, name: Token, groups: dict, host_groups: dict):
    if d.type not in ("GROUP", "HOST_GROUP") or name.text in _ALL_NAMES:
        return []  # ALL_USERS/ALL_GROUPS: OPT025, or valid on MAX
    wanted, other = (groups, host_groups) if d.type == "GROUP" else (host_groups, groups)
    if name.text in wanted:
        return []
    if name.text in other:
        actual = "HOST_GROUP" if d.type == "GROUP" else "GROUP"
        return [_at(d.type_token, "error", "OPT008",
                    f"{name.text!r} is a {actual}, referenced here as {d.type}")]
    return [_at(name, "error", "OPT005", f"{d.type} {name.text!r} is not defined")]


def _check_groups(defined: dict[str, list[Directive]], keyword: str) -> list[Finding]:
    findings = []
    for name, lines in defined.items():
        if not any(d.names for d in lines):
            findings.append(_at(lines[0].group, "warning", "OPT006",
                                f"{keyword} {name!r} has no members"))
        for later in lines[1:]:
            findings.append(_at(later.group, "info", "OPT007",
                                f"{keyword} {name!r} is also defined on line {lines[0].line}; "
                                f"FlexLM merges the lines"))
    return findings


def _check_max_order(options: OptionsFile) -> list[Finding]:
    findings, all_users_at = [], {}
    for d in options.with_keyword("MAX"):
        if d.feature is None or d.type != "USER" or not d.names:
            continue
        key = spec_key(d.feature)
        if d.names[0].text == "ALL_USERS":
            all_users_at.setdefault(key, d.line)
        elif key in all_users_at:
            findings.append(_at(d, "warning", "OPT014",
                                f"MAX for user {d.names[0].text!r} comes after the ALL_USERS "
                                f"MAX on line {all_users_at[key]}; put user lines first"))
    return findings


def _check_include_exclude(options: OptionsFile, groups: dict, host_groups: dict):
    excluded: dict[tuple, set[tuple[str, str]]] = defaultdict(set)
    for d in options.with_keyword("EXCLUDE", "EXCLUDEALL"):
        key = spec_key(d.feature) if d.feature else None
        excluded[key] |= _members(d, groups, host_groups)
    findings = []
    for d in options.with_keyword("INCLUDE", "INCLUDEALL"):
        key = spec_key(d.feature) if d.feature else None
        both = _members(d, groups, host_groups) & (excluded[key] | excluded[None])
        for kind, name in sorted(both):
            findings.append(_at(d, "warning", "OPT015",
                                f"{kind} {name!r} is both included and excluded; the EXCLUDE "
                                f"is checked first, so it is denied"))
    return findings


def _members(d: Directive, groups: dict, host_groups: dict) -> set[tuple[str, str]]:
    if not d.names:
        return set()
    name = d.names[0].text
    if d.type == "GROUP":
        return {("USER", m.text) for g in groups.get(name, ()) for m in g.names}
    if d.type == "HOST_GROUP":
        return {("HOST", m.text) for g in host_groups.get(name, ()) for m in g.names}
    return {(d.type or "", name)}


def _check_entitlement_mix(options: OptionsFile) -> list[Finding]:
    plain = options.with_keyword("INCLUDE", "EXCLUDE", "INCLUDEALL", "EXCLUDEALL")
    entitlement = options.with_keyword("INCLUDE_ENTITLEMENT", "EXCLUDE_ENTITLEMENT",
                                       "INCLUDEALL_ENTITLEMENT", "EXCLUDEALL_ENTITLEMENT")
    if not (plain and entitlement):
        return []
    return [_at(entitlement[0], "warning", "OPT022",
                f"{entitlement[0].keyword} mixed with {plain[0].keyword} (line {plain[0].line}); "
                f"do not combine them in one file")]


def _check_case_switch_first(options: OptionsFile) -> list[Finding]:
    directives = options.directives
    return [_at(d, "warning", "OPT026",
                f"GROUPCASEINSENSITIVE must be the first option in the file (comments may "
                f"precede it); {_first(directives[0])} on line {directives[0].line} comes "
                f"before it")
            for d in directives[1:] if d.keyword == "GROUPCASEINSENSITIVE"]


def _check_fqdn(options: OptionsFile, known: set[str]) -> list[Finding]:
    switches = options.with_keyword("FQDN_MATCHING")
    findings = [_at(d, "warning", "OPT028",
                    f"FQDN_MATCHING is set again on line {switches[-1].line}; the last line "
                    f"wins, so this one is ignored")
                for d in switches[:-1]]
    last = switches[-1].value if switches else None
    if last is not None and last.text.upper() == "LENIENT":
        return findings
    for d in options.directives:
        for host in _hosts(d):
            seen = _other_host_forms(host.text, known)
            if seen:
                findings.append(_at(host, "warning", "OPT027",
                                    f"host {host.text!r} will not match: the server has seen "
                                    f"it as {' or '.join(map(repr, seen))}, and under "
                                    f"FQDN_MATCHING exact (the default) the whole name must "
                                    f"match; write that form, or set FQDN_MATCHING lenient"))
    return findings


def _other_host_forms(name: str, known: set[str]) -> list[str]:
    """The known names that are `name` with or without its domain, when `name` itself is
    not known. Known names mix users and hosts, so a short name only matches the first
    label of a dotted known name (case-sensitive, as the daemon compares)."""
    if not name or name in known or "*" in name or "?" in name or _is_ip(name):
        return []
    if "." in name:
        short = name.split(".", 1)[0]
        return [short] if short in known else []
    return sorted(k for k in known if "." in k and k.split(".", 1)[0] == name
                  and not _is_ip(k))


def _check_case(options: OptionsFile, known: set[str], case_insensitive: bool):
    by_lower: dict[str, set[str]] = defaultdict(set)
    for name in known:
        by_lower[name.lower()].add(name)
    findings = []
    for d in options.directives:
        in_group = d.keyword in ("GROUP", "HOST_GROUP")
        if (in_group and case_insensitive) or not (in_group or d.type in ("USER", "HOST")):
            continue
        for token in d.names:
            spellings = by_lower.get(token.text.lower(), set())
            if spellings and token.text not in spellings:
                findings.append(_at(token, "warning", "OPT021",
                                    f"{token.text!r} differs in case from "
                                    f"{', '.join(sorted(spellings))!s}; names are case-"
                                    f"sensitive (GROUPCASEINSENSITIVE ON covers groups only)"))
    return findings


# --- small helpers ------------------------------------------------------------------------


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
