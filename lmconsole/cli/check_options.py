"""`lmconsole check-options`: validate an options file, against a licence file and the
people who use the server when given. No Textual import here."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TextIO

from lmconsole.adapter import LicenceManagerAdapter, LiveUse, OptionsFileOwner
from lmconsole.adapters import ADAPTERS, DEFAULT_MANAGER
from lmconsole.inputs import InputError
from lmconsole.usage_inputs import read_debuglog, read_lmstat

from .findings import input_error, read_text, report


def add_parser(commands) -> None:
    check_options = commands.add_parser(
        "check-options", help="validate a FlexLM options file",
        description="Print findings as path:line:col: severity: message [code]. Exit 0 when "
                    "clean, 1 on findings, 2 when a file cannot be read.")
    check_options.add_argument("options", metavar="OPTIONS")
    check_options.add_argument("--license", metavar="LICENSE",
                               help="cross-check features, pools and seat counts against it")
    check_options.add_argument("--lmstat", metavar="FILE",
                               help="an lmstat -a output: its users' names are checked for "
                                    "case, and an INCLUDE that would lock them out is said")
    check_options.add_argument("--debug-log", metavar="FILE",
                               help="the vendor daemon's debug log: the same, for everyone "
                                    "who checked out or was denied in it")
    check_options.add_argument("--vendor", metavar="NAME",
                               help="the vendor daemon whose options file this is (default: "
                                    "the one whose VENDOR line names it): features other "
                                    "daemons serve are errors")
    check_options.add_argument("--format", choices=("text", "json"), default="text")
    check_options.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return check_options_main(args.options, args.license, args.format,
                              lmstat_path=args.lmstat, debuglog_path=args.debug_log,
                              vendor=args.vendor)


def check_options_main(options_path: str, license_path: str | None, fmt: str,
                       *, lmstat_path: str | None = None, debuglog_path: str | None = None,
                       vendor: str | None = None, manager: str = DEFAULT_MANAGER,
                       out: TextIO | None = None, err: TextIO | None = None) -> int:
    """`lmstat_path` and `debuglog_path` tell who uses the server: the names whose case
    differs (OPT021, OPT027), the recent users an INCLUDE list would lock out (OPT029), and
    the features each daemon serves. The file is the options file of `vendor`, else of the
    daemon whose VENDOR line names it; its features are that daemon's (OPT031)."""
    out, err = out or sys.stdout, err or sys.stderr
    adapter = ADAPTERS[manager]
    try:
        text = read_text(options_path)
        license_text = read_text(license_path) if license_path else None
        usage = _usage(adapter, lmstat_path, debuglog_path)
        owner = _owner(adapter, options_path, license_path, license_text, vendor)
    except InputError as error:
        return input_error(error, err)
    language = adapter.options_language(license_text, owner.vendor)
    findings = language.check(text, usage)
    if owner.note is not None:
        findings = [owner.note, *findings]
    summary = {**language.summary(text), "license": license_path,
               "users_known": len(usage.users), "vendor": owner.vendor,
               "vendor_from": owner.origin}
    return report(options_path, findings, summary, fmt, out)


def _owner(adapter: LicenceManagerAdapter, options_path: str, license_path: str | None,
           license_text: str | None, vendor: str | None) -> OptionsFileOwner:
    """The vendor daemon whose options file is checked, and how that is known."""
    if license_text is None:
        return OptionsFileOwner(vendor, "--vendor" if vendor else None)
    try:
        return adapter.options_file_owner(license_text, license_path, options_path, vendor)
    except ValueError as error:
        raise InputError(f"--vendor {vendor}: {error}") from None


def _usage(adapter: LicenceManagerAdapter, lmstat_path: str | None,
           debuglog_path: str | None) -> LiveUse:
    """The seats of an lmstat output and the requests of a debug log, read in UTC (only
    who used what matters here, not when)."""
    now = datetime.now(UTC)
    seats = []
    served_by: dict[str, frozenset[str]] = {}
    if lmstat_path:
        status = read_lmstat(lmstat_path, adapter, tz=UTC, now=now)
        features = [f for server in status.servers for f in server.features]
        seats = [(f.name, c) for f in features for c in f.checkouts]
        for f in features:
            if f.vendor:
                served_by[f.name] = served_by.get(f.name, frozenset()) | {f.vendor}
    events = read_debuglog(debuglog_path, adapter, tz=UTC) if debuglog_path else []
    users = {c.user for _, c in seats} | {e.user for e in events if e.user}
    hosts = {c.host for _, c in seats if c.host} | {e.host for e in events if e.host}
    return LiveUse(frozenset(users), frozenset(hosts), tuple(seats), tuple(events),
                   served_by=served_by)
