"""`lmconsole check-license`: validate a licence file. No Textual import here."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TextIO

from lmconsole.adapter import LiveUse
from lmconsole.adapters import ADAPTERS, DEFAULT_MANAGER
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
                       manager: str = DEFAULT_MANAGER,
                       out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Expiry is judged against `today` (default: this machine's date)."""
    out, err = out or sys.stdout, err or sys.stderr
    language = ADAPTERS[manager].license_language()
    try:
        text = read_text(license_path)
        if (why := language.unrecognised(text)) is not None:
            label = "<stdin>" if license_path == "-" else license_path
            raise InputError(f"{label}: {why}")
    except InputError as error:
        return input_error(error, err)
    findings = language.check(text, LiveUse(today=today or date.today()))
    return report(license_path, findings, language.summary(text), fmt, out)
