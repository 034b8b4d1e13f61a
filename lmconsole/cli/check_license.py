"""`lmconsole check-license`: validate a licence file. No Textual import here."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TextIO

from lmconsole.adapters.flexlm.license import LicenseFile, parse_license
from lmconsole.adapters.flexlm.validate_license import validate_license
from lmconsole.inputs import InputError

from .findings import input_error, read_text, report


def add_parser(commands) -> None:
    check_license = commands.add_parser(
        "check-license", help="validate a FlexLM licence file",
        description="Print findings as path:line:col: severity: message [code]. Exit 0 when "
                    "clean, 1 on findings, 2 when the file cannot be read.")
    check_license.add_argument("license", metavar="LICENSE")
    check_license.add_argument("--format", choices=("text", "json"), default="text")
    check_license.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return check_license_main(args.license, args.format)


def check_license_main(license_path: str, fmt: str, *, today: date | None = None,
                       out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        license_file: LicenseFile = parse_license(read_text(license_path))
        _check_holds_a_licence(license_file, license_path)
    except InputError as error:
        return input_error(error, err)
    findings = validate_license(license_file, today or date.today())
    return report(license_path, findings, license_file.summary(), fmt, out)


def _check_holds_a_licence(license_file: LicenseFile, path: str) -> None:
    """An empty file (or one of comments only) is no licence file: exit 2, not "clean"."""
    if not (license_file.servers or license_file.vendors or license_file.features
            or license_file.packages or license_file.use_server or license_file.problems):
        label = "<stdin>" if path == "-" else path
        raise InputError(f"{label}: no SERVER, VENDOR, FEATURE, INCREMENT or PACKAGE line in "
                         "it: not a licence file, or an empty copy of one")
