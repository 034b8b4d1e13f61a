"""The what-if report in words (the editor's save dialog, `lmconsole what-if`) and as JSON."""

from __future__ import annotations

from .whatif import Finding, WhatIfReport


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
