"""Headless `check-options` and `check-license`: read the files, validate, print, exit code.

Text output is one line per finding, `path:line:col: severity: message [code]`, the form
editors and CI parse; `fmt == "json"` prints one object with the path, the diagnostics and a
summary. Exit codes (DESIGN.md): 0 clean (info notes allowed), 1 errors or warnings,
2 unreadable input. No Textual import here.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from typing import TextIO

from lmconsole.adapter import LiveUse
from lmconsole.adapters.flexlm.daemons import vendor_of_options_file
from lmconsole.adapters.flexlm.language import recent_users
from lmconsole.adapters.flexlm.license import LicenseFile, parse_license
from lmconsole.adapters.flexlm.options import parse_options
from lmconsole.adapters.flexlm.validate import Finding, validate_options
from lmconsole.adapters.flexlm.validate_license import validate_license
from lmconsole.adapters.flexlm.validate_vendor import unknown_vendor_note
from lmconsole.inputs import InputError, read_text_input
from lmconsole.usage_inputs import read_debuglog, read_lmstat

PROG = "lmconsole"


def read_text(path: str) -> str:
    return read_text_input(path, "a text file")[0]


def check_options_main(options_path: str, license_path: str | None, fmt: str,
                       *, lmstat_path: str | None = None, debuglog_path: str | None = None,
                       vendor: str | None = None,
                       out: TextIO | None = None, err: TextIO | None = None) -> int:
    """`lmstat_path` and `debuglog_path` tell who uses the server: the names whose case
    differs (OPT021, OPT027), the recent users an INCLUDE list would lock out (OPT029), and
    the features each daemon serves. The file is the options file of `vendor`, else of the
    daemon whose VENDOR line names it; its features are that daemon's (OPT031)."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        text = read_text(options_path)
        license_file = parse_license(read_text(license_path)) if license_path else None
        usage = _usage(lmstat_path, debuglog_path)
        vendor, vendor_from = _whose_file(options_path, license_path, license_file, vendor)
    except InputError as error:
        return _input_error(error, err)
    options = parse_options(text)
    findings = validate_options(options, license_file, usage.users | usage.hosts,
                                recent_users(usage), vendor=vendor, served_by=usage.served_by)
    if vendor is None and license_file is not None:
        note = unknown_vendor_note(license_file)
        findings = [note, *findings] if note else findings
    summary = {"directives": len(options.directives), "license": license_path,
               "users_known": len(usage.users), "vendor": vendor, "vendor_from": vendor_from}
    return _report(options_path, findings, summary, fmt, out)


def _whose_file(options_path: str, license_path: str | None, license_file: LicenseFile | None,
                vendor: str | None) -> tuple[str | None, str | None]:
    """The vendor daemon whose options file is checked, and how that is known."""
    daemons = sorted({v.name for v in license_file.vendors if v.name}) if license_file else []
    if vendor is not None:
        if license_file is not None and vendor not in daemons:
            raise InputError(f"--vendor {vendor}: {license_path} has no VENDOR {vendor} line "
                             f"(its vendor daemons: {', '.join(daemons) or 'none'})")
        return vendor, "--vendor"
    if license_file is None:
        return None, None
    found = vendor_of_options_file(license_file, license_path, options_path)
    if found is None:
        return None, None
    named, by_path = found
    how = "names this file" if by_path else f"names a file of this name ({named.path})"
    return named.vendor, f"VENDOR line {named.line} of {license_path} {how}"


def _usage(lmstat_path: str | None, debuglog_path: str | None) -> LiveUse:
    """The seats of an lmstat output and the requests of a debug log, read in UTC (only
    who used what matters here, not when)."""
    now = datetime.now(UTC)
    seats = []
    served_by: dict[str, frozenset[str]] = {}
    if lmstat_path:
        report = read_lmstat(lmstat_path, tz=UTC, now=now)
        features = [f for server in report.servers for f in server.features]
        seats = [(f.name, c) for f in features for c in f.checkouts]
        for f in features:
            if f.vendor:
                served_by[f.name] = served_by.get(f.name, frozenset()) | {f.vendor}
    events = read_debuglog(debuglog_path, tz=UTC) if debuglog_path else []
    users = {c.user for _, c in seats} | {e.user for e in events if e.user}
    hosts = {c.host for _, c in seats if c.host} | {e.host for e in events if e.host}
    return LiveUse(frozenset(users), frozenset(hosts), tuple(seats), tuple(events),
                   served_by=served_by)


def check_license_main(license_path: str, fmt: str, *, today: date | None = None,
                       out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        license_file: LicenseFile = parse_license(read_text(license_path))
        _check_holds_a_licence(license_file, license_path)
    except InputError as error:
        return _input_error(error, err)
    findings = validate_license(license_file, today or date.today())
    return _report(license_path, findings, license_file.summary(), fmt, out)


def _check_holds_a_licence(license_file: LicenseFile, path: str) -> None:
    """An empty file (or one of comments only) is no licence file: exit 2, not "clean"."""
    if not (license_file.servers or license_file.vendors or license_file.features
            or license_file.packages or license_file.use_server or license_file.problems):
        label = "<stdin>" if path == "-" else path
        raise InputError(f"{label}: no SERVER, VENDOR, FEATURE, INCREMENT or PACKAGE line in "
                         "it: not a licence file, or an empty copy of one")


def _input_error(error: InputError, err: TextIO) -> int:
    err.write(f"{PROG}: error: {error}\n")
    return 2


def _report(path: str, findings: list[Finding], summary: dict, fmt: str, out: TextIO) -> int:
    counts = {severity: sum(1 for f in findings if f.severity == severity)
              for severity in ("error", "warning", "info")}
    totals = {"errors": counts["error"], "warnings": counts["warning"], "info": counts["info"]}
    if fmt == "json":
        diagnostics = [{"line": f.line, "column": f.column, "severity": f.severity,
                        "code": f.code, "message": f.message} for f in findings]
        payload = {"path": path, "diagnostics": diagnostics,
                   "summary": {**totals, **summary}}
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        for f in findings:
            out.write(f"{path}:{f.line}:{f.column}: {f.severity}: {f.message} [{f.code}]\n")
    return 1 if counts["error"] or counts["warning"] else 0
