"""`rlmutil rlmstat -a` as RLM v15 prints it (shared/reference/formats.md section 6, the
corpus in shared/corpus/rlm/rlmstat): the rlm server's status and statistics, the table of
ISV servers, then per ISV its status, its licence pools (`product vVER, pool: N` and the
indented count lines) and its usage lines, sections between dashed lines, all indented."""

from __future__ import annotations

from datetime import datetime, timedelta

from .isv import RLM_VERSION
from .report import IsvRows, RlmReport

INDENT = "    "
RULE = f"{INDENT}------------------------"


def rlmstat_text(report: RlmReport, license_spec: str | None) -> str:
    lines = []
    if license_spec:
        lines.append(f"Setting license file path to {license_spec}")
    lines += [f"rlmutil v{RLM_VERSION}",
              "Copyright (C) 2006-2024, Reprise Software, Inc. All rights reserved.", "", ""]
    lines += _server_status(report)
    lines += ["", f"{INDENT}--------- ISV servers ----------",
              f"{INDENT}   Name           Port Running Restarts"]
    lines += [f"{INDENT}{isv.name:<16} {isv.port:>5}   Yes      0" for isv in report.isvs]
    for isv in report.isvs:
        lines += ["", RULE, ""] + _isv_status(report, isv)
        lines += ["", RULE, ""] + _pools(report, isv)
        lines += ["", RULE, ""] + _usage(report, isv)
    return "\n".join(lines) + "\n"


def _server_status(report: RlmReport) -> list[str]:
    return [
        f"{INDENT}rlm status on {report.host} (port {report.port}), "
        f"up {duration(report.at - report.started)}",
        f"{INDENT}rlm software version {report.version} (build:1)",
        f"{INDENT}rlm comm version: v1.2",
        *_statistics(report, report.started, _traffic(report.isvs)),
    ]


def _isv_status(report: RlmReport, isv: IsvRows) -> list[str]:
    lines = [f"{INDENT}{isv.name} ISV server status on {report.host} (port {isv.port}), "
             f"up {duration(report.at - report.started)}",
             f"{INDENT}{isv.name} software version {report.version} (build: 1)",
             f"{INDENT}{isv.name} comm version: v1.2",
             f"{INDENT}{isv.name} Debug log filename: /var/log/rlm/{isv.name}.dlog"]
    if isv.report_log:
        lines.append(f"{INDENT}{isv.name} Report log filename: /var/log/rlm/{isv.report_log}")
    checkouts = sum(p.checkouts for product in isv.products for p in product.pools)
    counts = {**_traffic([isv]), "Checkouts:": checkouts, "Denials:": isv.denials,
              "Removals:": isv.removals}
    return lines + _statistics(report, report.started, counts)


def _traffic(isvs) -> dict[str, int]:
    """Messages and connections, estimated: a connection per request, a message for each
    checkout, check-in and denial."""
    checkouts = sum(p.checkouts for isv in isvs for product in isv.products
                    for p in product.pools)
    denials = sum(isv.denials for isv in isvs)
    return {"Messages:": 2 * checkouts + denials, "Connections:": checkouts + denials}


def _statistics(report: RlmReport, started: datetime,
                counts: dict[str, int] | None = None) -> list[str]:
    """Startup time, the statistics' init times and their table (counted since the start:
    the simulator keeps no daily counts)."""
    today = report.at - report.today_from
    total = report.at - started
    lines = [f"{INDENT}Startup time: {ctime(started)}",
             f"{INDENT}Todays Statistics ({duration(today)}), init time: "
             f"{ctime(report.today_from)}",
             f"{INDENT}Recent Statistics ({duration(today)}), init time: "
             f"{ctime(report.today_from)}",
             "",
             f"{INDENT}            Recent Stats         Todays Stats         Total Stats",
             f"{INDENT}            {duration(today):<20} {duration(today):<16} {duration(total)}"]
    for label, count in (counts or {}).items():
        lines.append(f"{INDENT}{label:<12} {count} (0/sec)           {count} (0/sec)"
                     f"          {count} (0/sec)")
    return lines


def _pools(report: RlmReport, isv: IsvRows) -> list[str]:
    lines = [f"{INDENT}{isv.name} license pool status on {report.host} (port {isv.port})", ""]
    for product in isv.products:
        for row in product.pools:
            pool = row.pool
            lines.append(f"{INDENT}{product.name} v{pool.version}, pool: {row.number}")
            expiry = pool.expiry_text.lower() if pool.expiry else "permanent"
            if pool.count is None:
                lines.append(f"{INDENT * 2}UNCOUNTED, inuse: {row.in_use}, exp: {expiry}")
            else:
                lines.append(f"{INDENT * 2}count: {pool.count}, # reservations: "
                             f"{row.reserved}, inuse: {row.in_use}, exp: {expiry}")
            lines.append(f"{INDENT * 2}obsolete: 0, min_remove: 120, total checkouts: "
                         f"{row.checkouts}")
    return lines


def _usage(report: RlmReport, isv: IsvRows) -> list[str]:
    lines = [f"{INDENT}{isv.name} license usage status on {report.host} (port {isv.port})", ""]
    for product in isv.products:
        for seat in product.seats:
            start = datetime.fromtimestamp(seat.start, report.at.tzinfo)
            roaming = " (roaming)" if seat.borrow_until is not None else ""
            lines.append(f"{INDENT}{product.name} v{seat.version}: {seat.user}@{seat.host} "
                         f"{seat.count}/0 at {start:%m/%d %H:%M}  (handle: {seat.handle:x})"
                         f"{roaming}")
    return lines


def duration(span: timedelta) -> str:
    """`15d 11:08:25`, or `11:08:25` under a day."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    clock = f"{rest // 3600:02}:{rest % 3600 // 60:02}:{rest % 60:02}"
    return f"{days}d {clock}" if days else clock


def ctime(moment: datetime) -> str:
    """C's ctime: `Tue Nov  2 23:00:06 2021` (English, whatever the locale)."""
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[moment.weekday()]
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
             "Dec")[moment.month - 1]
    return f"{day} {month} {moment.day:>2} {moment:%H:%M:%S} {moment.year}"
