"""What `lmconsole history` lists: sessions, denials, events and the admin actions audited
as rows, filtered by time, server, feature and user, rendered as a table (times in the
viewer's zone), JSON (an array; times ISO 8601 in UTC) or CSV (the same keys and times as
JSON).
"""

from __future__ import annotations

import csv
import json
import shlex
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Select, func, or_, select

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore, shown_url

TABLE_ROWS_MAX = 100_000  # a table is aligned in memory; JSON and CSV stream any number


@dataclass(frozen=True, slots=True)
class Filter:
    start: int | None = None  # epoch seconds, inclusive
    end: int | None = None  # exclusive
    servers: tuple[str, ...] = ()
    feature: str | None = None
    user: str | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """One kind of row: its query and its columns (key, table heading)."""

    query: Callable[[Filter], Select]
    columns: tuple[tuple[str, str], ...]
    times: frozenset[str]  # the keys holding epoch seconds


def _sessions(f: Filter) -> Select:
    s, sv = schema.sessions, schema.servers
    query = (select(sv.c.name.label("server"), s.c.feature, s.c.daemon, s.c.user_name, s.c.host,
                    s.c.display, s.c.handle, s.c.count, s.c.borrowed, s.c.start_at, s.c.end_at,
                    s.c.end_kind, s.c.end_reason, s.c.reserved)
             .join(sv, sv.c.id == s.c.server_id)
             .order_by(s.c.start_at, s.c.source_id, s.c.byte_offset))
    # Every session that overlaps [start, end): who held what at any time in it.
    if f.start is not None:
        query = query.where(or_(s.c.end_at.is_(None), s.c.end_at > f.start))
    if f.end is not None:
        query = query.where(s.c.start_at < f.end)
    return _common(query, f, s)


def _denials(f: Filter) -> Select:
    d, sv = schema.denials, schema.servers
    query = (select(sv.c.name.label("server"), d.c.at, d.c.kind, d.c.feature, d.c.daemon,
                    d.c.user_name, d.c.host, d.c.count, d.c.code, d.c.reason)
             .join(sv, sv.c.id == d.c.server_id)
             .order_by(d.c.at, d.c.source_id, d.c.byte_offset))
    return _common(_at_between(query, d, f), f, d)


def _events(f: Filter) -> Select:
    e, sv, src = schema.events, schema.servers, schema.sources
    query = (select(sv.c.name.label("server"), e.c.at, e.c.kind, e.c.daemon, e.c.feature,
                    e.c.user_name, e.c.host, e.c.count, e.c.reason, e.c.code, e.c.extra,
                    src.c.path.label("file"), e.c.line)
             .join(sv, sv.c.id == e.c.server_id).join(src, src.c.id == e.c.source_id)
             .order_by(e.c.at, e.c.source_id, e.c.byte_offset))
    return _common(_at_between(query, e, f), f, e)


def _audit(f: Filter) -> Select:
    a = schema.audit
    query = (select(a.c.server, a.c.at, a.c.who.label("user_name"), a.c.action, a.c.outcome,
                    a.c.exit_code, a.c.command, a.c.subject, a.c.output, a.c.diff)
             .order_by(a.c.at, a.c.id))
    query = _at_between(query, a, f)
    if f.servers:
        query = query.where(a.c.server.in_(f.servers))
    if f.user is not None:
        query = query.where(a.c.who == f.user)
    return query


def _at_between(query: Select, table, f: Filter) -> Select:
    if f.start is not None:
        query = query.where(table.c.at >= f.start)
    if f.end is not None:
        query = query.where(table.c.at < f.end)
    return query


def _common(query: Select, f: Filter, table) -> Select:
    if f.servers:
        query = query.where(schema.servers.c.name.in_(f.servers))
    if f.feature is not None:
        query = query.where(table.c.feature == f.feature)
    if f.user is not None:
        query = query.where(table.c.user_name == f.user)
    return query


LISTINGS = {
    "sessions": Listing(_sessions, (
        ("server", "SERVER"), ("feature", "FEATURE"), ("user", "USER"), ("host", "HOST"),
        ("count", "N"), ("start", "START"), ("end", "END"), ("duration_s", "DURATION"),
        ("end_kind", "ENDED BY"), ("end_reason", "REASON"), ("borrowed", "BORROWED"),
        ("daemon", "DAEMON"), ("display", "DISPLAY"), ("handle", "HANDLE"),
        ("reserved", "RESERVED")),
        frozenset({"start", "end"})),
    "denials": Listing(_denials, (
        ("server", "SERVER"), ("at", "TIME"), ("kind", "KIND"), ("feature", "FEATURE"),
        ("user", "USER"), ("host", "HOST"), ("count", "N"), ("code", "CODE"),
        ("reason", "REASON"), ("daemon", "DAEMON")), frozenset({"at"})),
    "events": Listing(_events, (
        ("server", "SERVER"), ("at", "TIME"), ("kind", "KIND"), ("daemon", "DAEMON"),
        ("feature", "FEATURE"), ("user", "USER"), ("host", "HOST"), ("count", "N"),
        ("reason", "REASON"), ("code", "CODE"), ("extra", "EXTRA"), ("file", "FILE"),
        ("line", "LINE")), frozenset({"at"})),
    "audit": Listing(_audit, (
        ("server", "SERVER"), ("at", "TIME"), ("user", "WHO"), ("action", "ACTION"),
        ("outcome", "OUTCOME"), ("exit_code", "EXIT"), ("command", "COMMAND"),
        ("subject", "SUBJECT"), ("output", "OUTPUT"), ("diff", "DIFF")), frozenset({"at"})),
}
# Columns a table leaves out (JSON and CSV have them): wide, and mostly empty.
TABLE_HIDDEN = frozenset({"daemon", "display", "handle", "extra", "file", "borrowed",
                          "subject", "output", "diff"})


def _record(row: Any) -> dict[str, Any]:
    """A database row as the listing's keys ("user", "start" ...)."""
    record = dict(row._mapping)
    record["user"] = record.pop("user_name")
    if "start_at" in record:
        start, end = record.pop("start_at"), record.pop("end_at")
        record["start"], record["end"] = start, end
        record["duration_s"] = None if end is None else end - start
        record["borrowed"] = bool(record["borrowed"])
    for key in ("command", "subject"):  # an audit record's, kept as JSON text
        if record.get(key) is not None:
            record[key] = json.loads(record[key])
    return record


async def records(store: HistoryStore, kind: str, f: Filter) -> AsyncIterator[dict]:
    async for row in store.stream(LISTINGS[kind].query(f)):
        yield _record(row)


def _iso_utc(epoch: int | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


def _keyed(record: dict, listing: Listing) -> dict:
    return {key: (_iso_utc(record[key]) if key in listing.times else record[key])
            for key, _ in listing.columns}


async def write_json(out, rows: AsyncIterator[dict], listing: Listing) -> int:
    count = 0
    out.write("[")
    async for record in rows:
        out.write(("," if count else "") + "\n" + json.dumps(_keyed(record, listing),
                                                             ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


async def write_csv(out, rows: AsyncIterator[dict], listing: Listing) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([key for key, _ in listing.columns])
    count = 0
    async for record in rows:
        keyed = _keyed(record, listing)
        writer.writerow([_text(value) for value in keyed.values()])
        count += 1
    return count


async def write_table(out, rows: AsyncIterator[dict], listing: Listing, tz: tzinfo) -> int:
    columns = [(key, heading) for key, heading in listing.columns if key not in TABLE_HIDDEN]
    cells = []
    async for record in rows:
        if len(cells) == TABLE_ROWS_MAX:
            raise OverflowError(f"more than {TABLE_ROWS_MAX:,} rows: narrow the listing "
                                f"(--from, --to, --server ...) or use --format csv or json")
        cells.append([_cell(key, record[key], listing, tz) for key, _ in columns])
    if not cells:
        out.write("(none)\n")
        return 0
    headings = [heading for _, heading in columns]
    widths = [max(len(text) for text in column) for column in zip(headings, *cells)]
    for line in [headings, *cells]:
        out.write("  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip()
                  + "\n")
    return len(cells)


def _cell(key: str, value: Any, listing: Listing, tz: tzinfo) -> str:
    if value is None:
        return "-" if key in ("end", "duration_s") else ""
    if key in listing.times:
        return datetime.fromtimestamp(value, tz).strftime("%Y-%m-%d %H:%M:%S")
    if key == "duration_s":
        return duration_text(value)
    return _text(value)


def _text(value: Any) -> str:
    """A value in a CSV or table cell: a command as a shell would take it, an object as
    JSON."""
    if value is None:
        return ""
    if isinstance(value, list):
        return shlex.join(str(word) for word in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def duration_text(seconds: int) -> str:
    """`45s`, `12m05s`, `3h07m`, `2d04h`."""
    if seconds < 60:
        return f"{seconds}s"
    minutes, second = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{second:02}s"
    hours, minute = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minute:02}m"
    days, hour = divmod(hours, 24)
    return f"{days}d{hour:02}h"


# ---- history info -------------------------------------------------------------------------

COUNTED = ("servers", "sources", "events", "sessions", "denials", "occupancy_minute",
           "occupancy_hour", "occupancy_day", "gaps", "audit")
GAPS_SHOWN = 20


async def info(store: HistoryStore,
               retention: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The database, its schema version and size, what it holds and over which span, how
    long each level is kept (`retention`, as the configuration says it), and its gaps
    (the latest GAPS_SHOWN)."""
    tables = schema.metadata.tables
    counts = {}
    for name in COUNTED:
        counts[name] = (await store.rows(select(func.count()).select_from(tables[name])))[0][0]
    e, s, g, sv = schema.events, schema.sessions, schema.gaps, schema.servers
    first, last = (await store.rows(select(func.min(e.c.at), func.max(e.c.at))))[0]
    start, end = (await store.rows(select(func.min(s.c.start_at),
                                          func.max(func.coalesce(s.c.end_at, s.c.start_at)))))[0]
    gaps = await store.rows(select(sv.c.name, g.c.kind, g.c.start_at, g.c.end_at, g.c.reason)
                            .join(sv, sv.c.id == g.c.server_id)
                            .order_by(g.c.start_at.desc()).limit(GAPS_SHOWN))
    servers = [row[0] for row in await store.rows(select(sv.c.name).order_by(sv.c.name))]
    return {
        "database": shown_url(store.url),
        "schema_version": await store.schema_version(),
        "size_bytes": await store.size_bytes(),
        "servers": servers,
        "rows": counts,
        "events_span": {"first": _iso_utc(first), "last": _iso_utc(last)},
        "sessions_span": {"first": _iso_utc(start), "last": _iso_utc(end)},
        "retention": dict(retention or {}),
        "gaps": [{"server": r.name, "kind": r.kind, "start": _iso_utc(r.start_at),
                  "end": _iso_utc(r.end_at), "reason": r.reason} for r in gaps],
    }


def info_text(facts: dict[str, Any], tz: tzinfo) -> str:
    def local(iso: str | None) -> str:
        if iso is None:
            return "-"
        return datetime.fromisoformat(iso).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")

    size = facts["size_bytes"]
    lines = [f"database        {facts['database']}",
             f"schema version  {facts['schema_version']}",
             f"size            {'-' if size is None else f'{size / 2**20:,.1f} MiB'}",
             f"servers         {', '.join(facts['servers']) or '(none)'}"]
    for label, key in (("events", "events_span"), ("sessions", "sessions_span")):
        span = facts[key]
        lines.append(f"{label + ' span':<16}{local(span['first'])} .. {local(span['last'])}")
    lines.append("rows            " + ", ".join(f"{name} {count:,}"
                                               for name, count in facts["rows"].items()))
    if facts["retention"]:
        lines.append("retention       " + ", ".join(f"{level} {kept}" for level, kept
                                                    in facts["retention"].items()))
    lines.append(f"gaps            {len(facts['gaps']) or '(none)'}")
    lines += [f"  {gap['server']} {gap['kind']}: {local(gap['start'])} .. {local(gap['end'])}"
              f"{'  ' + gap['reason'] if gap['reason'] else ''}" for gap in facts["gaps"]]
    return "\n".join(lines) + "\n"
