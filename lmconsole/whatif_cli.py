"""Headless `what-if`: a draft options file against the current one, before it is saved.

Reads the files, replays the held seats (lmstat) and the debug log's requests through both
(lmconsole.adapters.flexlm.whatif, whose docstring lists the simplifications) and prints who
would newly be denied or admitted and which reservations would sit idle. Exit codes: 0 the
draft changes nobody's access (idle reservations alone do not count), 1 it does, 2 unreadable
input. No Textual import here.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, tzinfo
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lmconsole.adapters.flexlm.debuglog import parse_debuglog
from lmconsole.adapters.flexlm.license import parse_license
from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.adapters.flexlm.options import parse_options
from lmconsole.adapters.flexlm.whatif import Finding, Seat, WhatIfReport, what_if
from lmconsole.inputs import InputError, read_text_input

PROG = "lmconsole"


def what_if_main(draft_path: str, *, current_path: str, license_path: str | None = None,
                 lmstat_path: str | None = None, debuglog_path: str | None = None,
                 tz: tzinfo | str | None = None, fmt: str = "text", out: TextIO | None = None,
                 err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        zone = _zone(tz)
        draft = parse_options(read_text_input(draft_path, "an options file")[0])
        current = parse_options(read_text_input(current_path, "an options file")[0])
        license_file = (parse_license(read_text_input(license_path, "a licence file")[0])
                        if license_path else None)
        lmstat_text = read_text_input(lmstat_path, "an lmstat output")[0] if lmstat_path \
            else None
        log_text = read_text_input(debuglog_path, "a debug log")[0] if debuglog_path else None
    except InputError as error:
        err.write(f"{PROG}: error: {error}\n")
        return 2
    seats: list[Seat] = []
    capacity: dict[str, int | None] = {}
    if lmstat_text is not None:
        status = parse_lmstat(lmstat_text, tz=zone, now=datetime.now(zone))
        for server in status.servers:
            for feature in server.features:
                seats += [Seat(feature.name, c) for c in feature.checkouts]
                if not feature.uncounted and feature.issued is not None:
                    capacity[feature.name] = capacity.get(feature.name, 0) + feature.issued
    events = parse_debuglog(log_text, tz=zone)[0] if log_text is not None else []
    report = what_if(current, draft, seats=seats, requests=events, license_file=license_file,
                     capacity=capacity)
    inputs = {"draft": draft_path, "current": current_path, "license": license_path,
              "lmstat": lmstat_path, "debug_log": debuglog_path}
    if fmt == "json":
        out.write(json.dumps(report_json(report, inputs), indent=2) + "\n")
    else:
        out.write(report_text(report, inputs))
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


def _why(finding: Finding, which: str) -> str:
    decision = finding.now if which == "current" else finding.draft
    rule = decision.rule
    where = f" ({which} line {rule.line}: {rule.text})" if rule is not None else ""
    return f"{decision.words}{where}"


def _grouped(findings: tuple[Finding, ...]) -> dict[tuple, list[Finding]]:
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        key = (f.user, f.feature, f.draft.reason_code or f.now.reason_code)
        groups.setdefault(key, []).append(f)
    return groups


def _tally(findings: list[Finding]) -> str:
    requests = sum(1 for f in findings if f.source == "request")
    seats = sum(1 for f in findings if f.source == "seat")
    parts = []
    if requests:
        parts.append(f"{requests} request{'s' if requests != 1 else ''}")
    if seats:
        parts.append(f"{seats} held seat{'s' if seats != 1 else ''}")
    return ", ".join(parts)


def report_text(report: WhatIfReport, inputs: dict) -> str:
    c = report.counts
    lines = [f"what-if: {inputs['draft']} instead of {inputs['current']}",
             f"replayed: {c['requests']} requests from the debug log "
             f"({c['requests_denied_in_log']} denied there), {c['seats']} held seats"]
    total = c["requests"] + c["seats"]
    if total:
        lines.append(f"the model of the current file agrees with what happened for "
                     f"{c['model_agrees']} of {total}")
    if report.newly_denied:
        lines.append(f"newly denied: {c['users_newly_denied']} users, "
                     f"{_tally(list(report.newly_denied))}")
        for (user, feature, _), found in _grouped(report.newly_denied).items():
            lines.append(f"  {user} on {feature}: {_tally(found)}: {_why(found[0], 'draft')}")
    if report.newly_admitted:
        lines.append(f"newly admitted: {c['users_newly_admitted']} users, "
                     f"{_tally(list(report.newly_admitted))}")
        for (user, feature, _), found in _grouped(report.newly_admitted).items():
            lines.append(f"  {user} on {feature}: {_tally(found)}: was "
                         f"{_why(found[0], 'current')}")
    if report.idle_reservations:
        lines.append("idle reservations (no member held a seat in the replayed period):")
        for r in report.idle_reservations:
            if not r.applies:
                what = "beyond the pool's size, ignored by the daemon"
            elif r.seats is None:
                what = "keeps its seats idle (pool size unknown)"
            else:
                what = f"keeps {r.seats} seat{'s' if r.seats != 1 else ''} of {r.feature} idle"
            lines.append(f"  draft line {r.line}: {r.text}: {what}"
                         f"{' (new)' if r.new else ''}")
    if not report.changes_access:
        lines.append("no change: the draft changes nobody's access in the replayed period")
    return "\n".join(lines) + "\n"


def _decision_json(decision) -> dict:
    rule = decision.rule
    return {"allowed": decision.allowed, "code": decision.reason_code, "words": decision.words,
            "line": rule.line if rule else None, "rule": rule.text if rule else None}


def _finding_json(f: Finding) -> dict:
    return {"source": f.source, "feature": f.feature, "user": f.user, "host": f.host,
            "count": f.count, "at": f.at, "log_line": f.line, "logged": f.logged,
            "current": _decision_json(f.now), "draft": _decision_json(f.draft)}


def report_json(report: WhatIfReport, inputs: dict) -> dict:
    return {
        "inputs": inputs,
        "changes_access": report.changes_access,
        "counts": report.counts,
        "newly_denied": [_finding_json(f) for f in report.newly_denied],
        "newly_admitted": [_finding_json(f) for f in report.newly_admitted],
        "idle_reservations": [r._asdict() for r in report.idle_reservations],
    }
