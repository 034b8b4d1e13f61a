"""A Report as a table for people (its header first: the period, the rules, the gaps; times
on the reader's clock), as JSON (one object; times ISO 8601 in UTC) or as CSV (the rows
only, with the JSON keys and times)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, tzinfo
from typing import Any

from .base import LEVEL_NAMES, Report
from .membership import group_header

TIME_FORMAT = "%Y-%m-%d %H:%M"


def as_json(report: Report) -> str:
    q = report.question
    document = {
        "report": report.name, "title": report.title,
        "period": {"from": _iso(q.start), "to": _iso(q.end)},
        "filters": {"servers": list(q.servers), "features": list(q.features),
                    "users": list(q.users), "groups": list(q.groups),
                    "directory": q.directory},
        "level": LEVEL_NAMES.get(report.level_s) if report.level_s else None,
        "rules": report.rules,
        "gaps": [{**gap, "start": _iso(gap["start"]), "end": _iso(gap["end"])}
                 for gap in report.gaps],
        "rows": [_keyed(row, report) for row in report.rows],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_csv(out, report: Report) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([key for key, _ in report.columns])
    for row in report.rows:
        writer.writerow(["" if value is None else value
                         for value in _keyed(row, report).values()])


def as_table(report: Report, tz: tzinfo) -> str:
    lines = header_lines(report, tz) + [""]
    if not report.rows:
        return "\n".join(lines + ["(none)"]) + "\n"
    cells = table_cells(report, tz)
    headings = [heading for _, heading in report.columns]
    widths = [max(len(text) for text in column) for column in zip(headings, *cells)]
    for line in [headings, *cells]:
        lines.append("  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip())
    return "\n".join(lines) + "\n"


def header_lines(report: Report, tz: tzinfo) -> list[str]:
    """What a reader must know to trust the figures: the period, the filters, the rules,
    the gaps."""
    q = report.question
    lines = [report.title,
             f"period: {_local(q.start, tz)} to {_local(q.end, tz)} ({_zone(tz)})"]
    filters = [f"{name} {', '.join(values)}" for name, values in
               (("servers", q.servers), ("features", q.features), ("users", q.users)) if values]
    if filters:
        lines.append("only: " + "; ".join(filters))
    if q.groups:
        lines.append("only: " + group_header(q))
    lines += [f"- {rule}" for rule in report.rules]
    if report.gaps:
        lines.append(f"gaps in the period: {len(report.gaps)}")
        for gap in report.gaps[:5]:
            end = _local(gap["end"], tz) if gap["end"] is not None else "now"
            lines.append(f"  {gap['server']} {gap['kind']}: {_local(gap['start'], tz)} to "
                         f"{end}" + (f" ({gap['reason']})" if gap["reason"] else ""))
    else:
        lines.append("gaps in the period: none")
    return lines


def table_cells(report: Report, tz: tzinfo) -> list[list[str]]:
    """The rows as text, in the order of the columns; times on the reader's clock."""
    return [[_cell(row[key], key in report.times, tz) for key, _ in report.columns]
            for row in report.rows]


def _keyed(row: dict, report: Report) -> dict:
    return {key: (_iso(row[key]) if key in report.times else row[key])
            for key, _ in report.columns}


def _cell(value: Any, is_time: bool, tz: tzinfo) -> str:
    if value is None:
        return "-"
    if is_time:
        return _local(value, tz)
    return str(value)


def _iso(epoch: int | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


def _local(epoch: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(epoch, tz).strftime(TIME_FORMAT)


def _zone(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)
