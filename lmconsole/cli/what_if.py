"""`lmconsole what-if`: a draft options file against the current one, before it is saved.

Reads the files, replays the held seats (lmstat) and the debug log's requests through both
(the adapter's options language: FlexLM's lists the simplifications) and prints who would
newly be denied or admitted and which reservations would sit idle. Exit codes: 0 the draft
changes nobody's access (idle reservations alone do not count), 1 it does, 2 input missing
(neither an lmstat output nor a debug log), empty or unreadable. No Textual import here.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, tzinfo
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lmconsole.adapter import LiveUse
from lmconsole.adapters import ADAPTERS, DEFAULT_MANAGER
from lmconsole.inputs import InputError, read_text_input
from lmconsole.usage_inputs import NOTHING_TO_REPLAY, read_debuglog, read_lmstat

from .common import PROG


def add_parser(commands) -> None:
    what_if = commands.add_parser(
        "what-if", help="who a draft options file would newly deny or admit",
        description="Replay the current seats (an lmstat output) and the checkouts and "
                    "denials of a debug log through the current and the draft options file "
                    "(at least one of --lmstat and --debug-log is needed). Exit 0 when the "
                    "draft changes nobody's access, 1 when it does, 2 on missing, empty or "
                    "unreadable input.")
    what_if.add_argument("draft", metavar="DRAFT")
    what_if.add_argument("--current", metavar="OPTIONS", required=True,
                         help="the options file in force now")
    what_if.add_argument("--license", metavar="LICENSE", help="pools and seat counts")
    what_if.add_argument("--lmstat", metavar="FILE", help="a saved `lmutil lmstat -a` output")
    what_if.add_argument("--debug-log", metavar="FILE", help="the vendor daemon's debug log")
    what_if.add_argument("--server-tz", metavar="ZONE",
                         help="the zone the licence server writes its times in")
    what_if.add_argument("--format", choices=("text", "json"), default="text")
    what_if.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return what_if_main(args.draft, current_path=args.current, license_path=args.license,
                        lmstat_path=args.lmstat, debuglog_path=args.debug_log,
                        tz=args.server_tz, fmt=args.format)


def what_if_main(draft_path: str, *, current_path: str, license_path: str | None = None,
                 lmstat_path: str | None = None, debuglog_path: str | None = None,
                 tz: tzinfo | str | None = None, fmt: str = "text",
                 manager: str = DEFAULT_MANAGER, out: TextIO | None = None,
                 err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    adapter = ADAPTERS[manager]
    try:
        zone = _zone(tz)
        draft = read_text_input(draft_path, "an options file")[0]
        current = read_text_input(current_path, "an options file")[0]
        license_text = (read_text_input(license_path, "a licence file")[0]
                        if license_path else None)
        if not (lmstat_path or debuglog_path):
            raise InputError(NOTHING_TO_REPLAY)
        status = read_lmstat(lmstat_path, adapter, tz=zone, now=datetime.now(zone)) \
            if lmstat_path else None
        events = read_debuglog(debuglog_path, adapter, tz=zone) if debuglog_path else []
    except InputError as error:
        err.write(f"{PROG}: error: {error}\n")
        return 2
    seats = []
    capacity: dict[str, int | None] = {}
    if status is not None:
        for server in status.servers:
            for feature in server.features:
                seats += [(feature.name, c) for c in feature.checkouts]
                if not feature.uncounted and feature.issued is not None:
                    capacity[feature.name] = capacity.get(feature.name, 0) + feature.issued
    usage = LiveUse(seats=tuple(seats), events=tuple(events), capacity=capacity)
    report = adapter.options_language(license_text).what_if_report(current, draft, usage)
    if report is None:
        err.write(f"{PROG}: error: what-if cannot replay {manager} options files\n")
        return 2
    inputs = {"draft": draft_path, "current": current_path, "license": license_path,
              "lmstat": lmstat_path, "debug_log": debuglog_path}
    if fmt == "json":
        out.write(json.dumps(report.json(inputs), indent=2) + "\n")
    else:
        out.write(report.text(inputs))
    return 1 if report.changes_access else 0


def _zone(tz: tzinfo | str | None) -> tzinfo:
    if tz is None:
        return UTC
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(f"{tz}: unknown time zone") from None
    return tz
