"""Checks for FlexLM licence files, with stable codes, severities and positions (the options
file's checks are in validate.py).

Licence file (`validate_license`):
    LIC001 error    unrecognised line (free text, or a keyword FlexLM does not know)
    LIC002 error    indented line without `\\` on the line before (missing continuation)
    LIC003 error    a `\\` continuation that ends at a blank or comment line
    LIC004 error    unterminated quoted value
    LIC005 error    required fields missing
    LIC006 error    licence count is neither a number nor `uncounted`
    LIC007 error    unreadable expiry date
    LIC008 error    expired (judged against `today`, the date at the licence server)
    LIC009 warning  expires within 30 days
    LIC010 error    the same hostid on several SERVER lines
    LIC011 error    bad port (not a number in 0-64000)
    LIC012 error    a triad SERVER line without an explicit port
    LIC013 error    neither 1 nor 3 SERVER lines
    LIC014 error    options path on the VENDOR line contains spaces
    LIC015 warning  options file name does not end in `.opt`
    LIC016 info     FEATURE line ignored: an earlier FEATURE line began the same pool (same
                    name, version, HOSTID, VENDOR_STRING ...)
    LIC017 error    uncounted licence without HOSTID
    LIC020 error    a `\\` continuation that runs into a line starting with a keyword
                    (FEATURE, INCREMENT, SERVER ...): that line may be swallowed
    LIC021 warning  the file ends with a `\\` continuation
    LIC022 error    a FEATURE/INCREMENT/UPGRADE line with neither SIGN= nor a licence key

The codes between LIC017 and LIC020 belong to license_edit.py (changes to signed lines).
"""

from __future__ import annotations

from datetime import date, timedelta

from lmconsole.adapter import Finding
from lmconsole.numbers import COUNT_MAX, is_ascii_number, shortened

from .findings import at as _at
from .license import Entry, FeatureLine, LicenseFile, options_path, port_number
from .options import Token

EXPIRY_WARNING_DAYS = 30
_PROBLEM_CODES = {"missing_backslash": ("error", "LIC002"),
                  "broken_continuation": ("error", "LIC003"),
                  "unterminated_quote": ("error", "LIC004"),
                  "missing_fields": ("error", "LIC005"),
                  "continued_into_entry": ("error", "LIC020"),
                  "continued_at_end": ("warning", "LIC021")}
# Vendor-set attributes that may stand bare on a FEATURE line; any other bare word after the
# count is an old-style licence key (§1.7).
_BARE_FLAGS = ("BORROW", "FLOAT_OK", "HOST_BASED", "SUPERSEDE", "TS_OK", "USER_BASED")


def validate_license(lic: LicenseFile, today: date | None) -> list[Finding]:
    """The findings on `lic`. `today` is the date at the licence server, by its clock (the
    caller reads it: the wall clock's, or a simulator's); None when it is not known, and then
    no line is judged expired or expiring."""
    findings = [Finding(p.line, p.column, *_PROBLEM_CODES[p.kind], p.message)
                for p in lic.problems if p.kind in _PROBLEM_CODES]
    for entry in lic.entries:
        if entry.kind == "unknown":
            findings.append(_at(entry.tokens[0] if entry.tokens else entry, "error", "LIC001",
                                f"unrecognised line starting {_start_of(entry)!r}"))
    for line in lic.features:
        findings += _check_feature(line, today) + _check_signature(line)
    for line in lic.ignored:
        first = _first_feature_of_pool(lic, line)
        findings.append(_at(line.entry.tokens[0], "info", "LIC016",
                            f"FEATURE {line.name} is ignored: the FEATURE line {first} has "
                            f"the same version and pool fields, and only the first counts "
                            f"(use INCREMENT to add seats)"))
    findings += _check_servers(lic) + _check_vendors(lic)
    return sorted(findings, key=lambda f: (f.line, f.column, f.code))


def _start_of(entry: Entry) -> str:
    """The first word of a line FlexLM does not know, shortened: a quoted one may run over
    several lines."""
    start = entry.tokens[0].text if entry.tokens else entry.text.strip()
    return start if len(start) <= 20 else start[:19] + "…"


def _first_feature_of_pool(lic: LicenseFile, line: FeatureLine) -> int:
    key = line.pool_key()
    pool = next(p for p in lic.pools if p.lines[0].pool_key() == key)
    return next(f.entry.line for f in pool.lines if f.keyword == "FEATURE")


def _check_signature(line: FeatureLine) -> list[Finding]:
    """LIC022: every FEATURE/INCREMENT/UPGRADE line is signed: with SIGN= since v7.1 (§1.7),
    before that with a licence key after the count (formats.md §4)."""
    if line.count_text is None or line.attribute("COUNT") is not None:
        # missing fields: LIC005. A metered line (COUNT=METER:n, not in the reference) has
        # no count field, and the word read as its count may be the key.
        return []
    if any(line.attribute(key) is not None for key in ("SIGN", "SIGN2", "AUTH")):
        return []
    if any(word.upper() not in _BARE_FLAGS for word in line.bare_words):
        return []  # an old-style licence key
    return [_at(line.entry.tokens[0], "error", "LIC022",
                f"{line.name} has neither SIGN= nor a licence key; the vendor daemon rejects "
                f"an unsigned line")]


def _bad_count(text: str) -> str:
    if is_ascii_number(text):
        return f"licence count {shortened(text)} is out of range (0 to {COUNT_MAX:,})"
    return f"licence count {shortened(text)} is neither a number nor 'uncounted'"


def _check_feature(line: FeatureLine, today: date | None) -> list[Finding]:
    findings, tokens = [], line.entry.positional()
    count_at = 5 if line.keyword == "UPGRADE" else 4
    if line.count_text is not None and line.seats is None and not line.uncounted:
        findings.append(_at(tokens[count_at], "error", "LIC006", _bad_count(line.count_text)))
    if line.expiry_text is not None and not line.expiry_ok:
        findings.append(_at(tokens[count_at - 1], "error", "LIC007",
                            f"unreadable expiry date {line.expiry_text!r} (dd-mmm-yyyy or "
                            f"permanent)"))
    elif line.expiry is not None and today is not None:
        findings += _check_expiry(line, line.expiry, tokens[count_at - 1], today)
    if line.uncounted and line.attribute("HOSTID") is None and line.keyword != "UPGRADE":
        findings.append(_at(line.entry.tokens[0], "error", "LIC017",
                            f"{line.name} is uncounted but has no HOSTID"))
    return findings


def _check_expiry(line: FeatureLine, expiry: date, token: Token, today: date) -> list[Finding]:
    if expiry < today:
        return [_at(token, "error", "LIC008", f"{line.name} expired on {expiry.isoformat()}")]
    if expiry <= today + timedelta(EXPIRY_WARNING_DAYS):
        days = (expiry - today).days
        return [_at(token, "warning", "LIC009",
                    f"{line.name} expires on {expiry.isoformat()}, in {days} days")]
    return []


def _check_servers(lic: LicenseFile) -> list[Finding]:
    findings, seen = [], {}
    servers = lic.servers
    if len(servers) not in (0, 1, 3):
        findings.append(_at(servers[0].entry.tokens[0], "error", "LIC013",
                            f"{len(servers)} SERVER lines; FlexLM takes 1, or 3 for a triad"))
    for server in servers:
        if server.hostid and server.hostid.upper() != "ANY":
            if server.hostid in seen:
                findings.append(_at(server.entry.tokens[2], "error", "LIC010",
                                    f"hostid {server.hostid} is also on the SERVER line "
                                    f"{seen[server.hostid]}"))
            seen.setdefault(server.hostid, server.entry.line)
        findings += _check_port(server.port)
        if len(servers) > 1 and server.port is None:
            findings.append(_at(server.entry.tokens[0], "error", "LIC012",
                                f"SERVER {server.host} is part of a triad and needs an "
                                f"explicit port"))
    return findings


def _check_port(token: Token | None) -> list[Finding]:
    if token is None:
        return []
    number = port_number(token)
    if number is None or number > 64000:
        return [_at(token, "error", "LIC011", f"bad port {token.text!r} (0-64000)")]
    return []


def _check_vendors(lic: LicenseFile) -> list[Finding]:
    findings = []
    for vendor in lic.vendors:
        findings += _check_port(vendor.port)
        path = options_path(vendor)
        if not path:
            continue
        if any(c.isspace() for c in path):
            findings.append(_at(vendor.options, "error", "LIC014",
                                f"options path {path!r} contains spaces; the daemon will not "
                                f"find it"))
        if not path.lower().endswith(".opt"):
            findings.append(_at(vendor.options, "warning", "LIC015",
                                f"options file {path!r} does not end in .opt"))
    return findings
