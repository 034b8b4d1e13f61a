"""Checks for FlexLM options files, with stable codes, severities and positions (the licence
file's checks are in validate_license.py, which shares `_at` from here).

Options file (`validate_options`; the OPT009-OPT013 and OPT023 checks need the licence file):
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

Seat counts (OPT011-OPT013) of a package are its enabling FEATURE's seats times the
component's `:n` count, unless the package is OPTIONS=SUITE (flexlm-admin.md §1.7).
"""

from __future__ import annotations

import difflib
import ipaddress
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace

from lmconsole.adapter import Finding

from .dates import BadDate, parse_expiry
from .license import FeatureLine, LicenseFile, PackageLine, Pool
from .options import ALIASES, SHAPES, TYPES, Directive, FeatureSpec, OptionsFile, Token

SEVERITIES = ("error", "warning", "info")
MAX_LINE = 4000
MIN_TIMEOUT_S = 900
_SINGLE_NAME = ("INCLUDE", "EXCLUDE", "INCLUDE_BORROW", "EXCLUDE_BORROW", "INCLUDEALL",
                "EXCLUDEALL", "INCLUDEALL_BORROW", "EXCLUDEALL_BORROW", "RESERVE", "MAX",
                "INCLUDE_ENTITLEMENT", "EXCLUDE_ENTITLEMENT", "INCLUDEALL_ENTITLEMENT",
                "EXCLUDEALL_ENTITLEMENT")
_FEATURE_KEYWORDS = ("INCLUDE", "EXCLUDE", "INCLUDE_BORROW", "EXCLUDE_BORROW", "RESERVE", "MAX",
                     "MAX_BORROW_HOURS", "MAX_OVERDRAFT", "BORROW_LOWWATER", "LINGER", "TIMEOUT")
_CURLY = "\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb"
_ALL_NAMES = {"ALL_USERS": "USER", "ALL_GROUPS": "GROUP"}  # the type each goes with on MAX
# The pool qualifiers a hint may suggest, most readable first (flexlm-admin.md §1.3).
_QUALIFIER_KEYS = ("VERSION", "asset_info", "dist_info", "user_info", "EXPDATE", "HOSTID",
                   "ISSUER", "VENDOR_STRING", "NOTICE", "KEY", "SIGN")


def _at(where, severity: str, code: str, message: str) -> Finding:
    """A finding at a token (its line and column) or at the start of an entry."""
    return Finding(where.line, getattr(where, "column", 1), severity, code, message)


# --- options file -------------------------------------------------------------------------


def validate_options(options: OptionsFile, license_file: LicenseFile | None = None,
                     known_names: Iterable[str] = (),
                     recent_users: Mapping[str, Collection[str]] | None = None
                     ) -> list[Finding]:
    """The findings on `options`. `known_names`: the users and hosts the server has seen;
    `recent_users`: who used each feature lately (held or asked for a seat)."""
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
    if recent_users:
        findings += _check_lockout(options, groups, recent_users, case_insensitive)
    if license_file is not None:
        findings += _check_against_license(options, license_file, groups)
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
        key = _spec_key(d.feature)
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
        key = _spec_key(d.feature) if d.feature else None
        excluded[key] |= _members(d, groups, host_groups)
    findings = []
    for d in options.with_keyword("INCLUDE", "INCLUDEALL"):
        key = _spec_key(d.feature) if d.feature else None
        both = _members(d, groups, host_groups) & (excluded[key] | excluded[None])
        for kind, name in sorted(both):
            findings.append(_at(d, "warning", "OPT015",
                                f"{kind} {name!r} is both included and excluded; the EXCLUDE "
                                f"is checked first, so it is denied"))
    return findings


def _check_lockout(options: OptionsFile, groups: dict,
                   recent_users: Mapping[str, Collection[str]], case_insensitive: bool
                   ) -> list[Finding]:
    """An INCLUDE list admits only those on it: say how many of the feature's recent users
    it leaves out. Features whose list names hosts, displays or projects are not judged
    (who is on it depends on where they work from)."""
    every = options.with_keyword("INCLUDEALL")
    lists = _include_lists(options)
    findings = []
    for feature in sorted(set(lists) | (set(recent_users) if every else set())):
        users = recent_users.get(feature)
        lines = sorted(lists.get(feature, []) + every, key=lambda d: d.line)
        if not users or any(d.type not in ("USER", "GROUP") for d in lines):
            continue
        fold = str.casefold if case_insensitive else str
        admitted = {fold(name) for d in lines for _, name in _members(d, groups, {})}
        left_out = sorted(u for u in set(users) if fold(u) not in admitted)
        if left_out:
            shown = ", ".join(left_out[:5]) + (", ..." if len(left_out) > 5 else "")
            findings.append(_at(lines[0], "warning", "OPT029",
                                f"the INCLUDE list of {feature} admits only those on it: "
                                f"{len(left_out)} of its {len(set(users))} recent users would "
                                f"be denied ({shown})"))
    return findings


def _include_lists(options: OptionsFile) -> dict[str, list[Directive]]:
    lists: dict[str, list[Directive]] = defaultdict(list)
    for d in options.with_keyword("INCLUDE"):
        if d.feature is not None and d.names:
            lists[d.feature.name].append(d)
    return lists


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


# --- options against the licence file ------------------------------------------------------


def _check_against_license(options: OptionsFile, lic: LicenseFile, groups: dict):
    findings: list[Finding] = []
    known = lic.feature_names | lic.package_names | _component_names(lic)
    reserved: dict[tuple, int] = defaultdict(int)  # (spec name, pool's first line) -> seats
    included: dict[tuple, set[str]] = defaultdict(set)
    for d in options.with_keyword(*_FEATURE_KEYWORDS):
        spec = d.feature
        if spec is None or not spec.name:
            continue
        if spec.name not in known:
            close = difflib.get_close_matches(spec.name, sorted(known), n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            findings.append(_at(spec.token, "error", "OPT009",
                                f"{spec.name!r} is not a feature or package of the licence "
                                f"file{hint}"))
            continue
        pools = _matching_pools(lic, spec)
        all_pools = lic.pools_of(spec.name)
        if spec.qualified and all_pools and not pools:
            findings.append(_at(spec.token, "warning", "OPT023",
                                f"no licence line of {spec.name} has {spec.key}={spec.value}"))
            continue
        findings += _check_pool_choice(spec, pools, all_pools)
        multiplier = _package_multiplier(lic, spec.name)
        if d.keyword == "RESERVE" and d.number is not None:
            findings += _check_reserved(d, pools, len(all_pools), multiplier, reserved)
        seats = _seats(pools)
        if seats is None:
            continue
        seats *= multiplier
        key = _spec_key(spec)
        if d.keyword == "MAX" and d.number is not None and d.number > seats:
            findings.append(_at(d, "warning", "OPT012",
                                f"MAX {d.number} is above the {seats} seats of {spec.name}"))
        if d.keyword == "INCLUDE" and d.names:
            before = len(included[key])
            included[key] |= _names(d, groups)
            if len(included[key]) > seats >= before:
                findings.append(_at(d, "warning", "OPT013",
                                    f"the INCLUDE list of {spec.name} now names "
                                    f"{len(included[key])}, more than its {seats} seats"))
    return findings


def _check_pool_choice(spec: FeatureSpec, pools: list[Pool], all_pools: list[Pool]
                       ) -> list[Finding]:
    """OPT010: the qualifier is mandatory for a USER_BASED/HOST_BASED feature and selects one
    pool (§1.3); a spec that still matches several pools is not yet qualified enough."""
    based = [_based(p) for p in pools if p.user_based or p.host_based]
    if len(pools) > 1:
        why = f"{spec.name}:{spec.key}={spec.value} matches {len(pools)} pools" \
            if spec.qualified else f"{spec.name} has {len(pools)} pools"
        if based:
            why += f", {len(based)} of them {'/'.join(sorted(set(based)))}"
    elif based and not spec.qualified:
        why = f"{spec.name} is {based[0]}"
    else:
        return []
    qualifiers = (pool_qualifier(p, all_pools) for p in pools)
    choices = [f"{spec.name}:{q}" for q in qualifiers if q is not None]
    if choices:
        shown = " or ".join(choices[:3]) + (" ..." if len(choices) > 3 else "")
        advice = f"{'narrow the qualifier' if spec.qualified else 'qualify it'}, e.g. {shown}"
    else:
        advice = "no qualifier tells its pools apart"
    return [_at(spec.token, "warning", "OPT010", f"{why}: {advice}")]


def _based(pool: Pool) -> str:
    return "USER_BASED" if pool.user_based else "HOST_BASED"


def pool_qualifier(pool: Pool, pools: Iterable[Pool]) -> str | None:
    """`KEY=value` that selects `pool` and no other of `pools` (the pools of its feature),
    or None. VERSION= only when the versions differ; values that would need quotes are
    not offered."""
    others = [p for p in pools if p is not pool]
    for key in _QUALIFIER_KEYS:
        value = _qualifier_value(pool.lines[0], key)
        if not value or any(c.isspace() or c == '"' for c in value):
            continue
        spec = FeatureSpec(pool.name, key, value, False, Token("", 0, 0))
        if not any(_line_matches(line, spec) for p in others for line in p.lines):
            return f"{key}={value}"
    return None


def _qualifier_value(line: FeatureLine, key: str) -> str | None:
    if key == "VERSION":
        return line.version
    if key == "EXPDATE":
        return line.expiry_text
    if key == "KEY":
        return line.bare_words[0] if line.bare_words else None
    return line.attribute(key)


def _check_reserved(d: Directive, pools: list[Pool], pool_count: int, multiplier: int,
                    reserved: dict[tuple, int]) -> list[Finding]:
    """OPT011. The vendor daemon applies a RESERVE line to each pool its feature spec matches
    (ls_build_opt in ls_get_opts.c), and reservations come out of that pool's seats (§1.5)."""
    over = None
    for pool in pools:
        key = (d.feature.name, pool.lines[0].entry.line)
        reserved[key] += d.number
        if over is None and pool.seats is not None \
                and reserved[key] > pool.seats * multiplier:
            over = pool, reserved[key]
    if over is None:
        return []
    pool, total = over
    where = "the pool has" if pool_count == 1 else \
        f"its pool of line {pool.lines[0].entry.line} has"
    return [_at(d, "warning", "OPT011",
                f"reservations for {d.feature.name} reach {total}, but {where} "
                f"{pool.seats * multiplier} seats; only the first apply")]


def _names(d: Directive, groups: dict) -> set[str]:
    name = d.names[0].text
    if d.type == "GROUP":
        return {f"USER {m.text}" for g in groups.get(name, ()) for m in g.names}
    return {f"{d.type} {name}"}


def _spec_key(spec: FeatureSpec) -> tuple:
    return (spec.name, (spec.key or "").upper(), spec.value)


def _matching_pools(lic: LicenseFile, spec: FeatureSpec) -> list[Pool]:
    pools = lic.pools_of(spec.name)
    if not spec.qualified:
        return pools
    return [p for p in pools if any(_line_matches(line, spec) for line in p.lines)]


def _line_matches(line: FeatureLine, spec: FeatureSpec) -> bool:
    key, value = (spec.key or "").upper(), " ".join((spec.value or "").split())
    if key == "VERSION":
        return line.version == value or _float(line.version) == _float(value) is not None
    if key == "EXPDATE":
        return _same_date(line.expiry_text, value)
    if key == "KEY" and value in line.bare_words:
        return True
    found = line.attribute("SIGN" if key == "KEY" else key)
    return found is not None and " ".join(found.split()) == value


def _component_names(lic: LicenseFile) -> set[str]:
    return {name for package in lic.packages for name, _, _ in package.components}


def _package_multiplier(lic: LicenseFile, name: str) -> int:
    """Seats of `name` per seat of its enabling FEATURE: 1 for a plain feature or a SUITE
    package; else the `:n` of `f1:ver:n`, of the scarcest component, since an option on a
    package applies to each component."""
    package = next((p for p in lic.packages if p.name == name), None)
    if package is None or _is_suite(package):
        return 1
    return min((count or 1 for _, _, count in package.components), default=1)


def _is_suite(package: PackageLine) -> bool:
    return any(a.key.upper() == "OPTIONS" and (a.value or "").upper().startswith("SUITE")
               for a in package.entry.attributes())


def _seats(pools: list[Pool]) -> int | None:
    if not pools or any(p.seats is None for p in pools):
        return None
    return sum(p.seats or 0 for p in pools)


# --- small helpers ------------------------------------------------------------------------


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _same_date(a: str | None, b: str) -> bool:
    try:
        return a is not None and parse_expiry(a) == parse_expiry(b)
    except BadDate:
        return (a or "").lower() == b.lower()
