"""`utilisation`: per server and feature, how much of what was issued was used.

Read from the finest occupancy level that holds the period (a minute: the seats in use
counted from the log's sessions, or sampled by polls). The figures, per (server, feature):
- issued: the most issued at once; peak: the most in use at once;
- average: seat-seconds in use over the time observed (the period, from the server's first
  to its last row in it, less its gaps; a level period without a row had none in use);
- p95: 95 % of the observed level periods had at most this many in use (at their peak);
- at_full_pct: the share of the observed time whose level period reached the issued count;
- denials and denial_hours: DENIED and UNSUPPORTED lines, and the clock hours that had one;
- never_used: issued less peak, the seats nobody needed in the period;
- reserved_idle_avg and peak_with_reserved: seats reserved by RESERVE but idle (which lmstat
  counts in use) averaged, and the peak counting them as used ("with unconsumed
  reservations"); the other figures leave them out.
"""

from __future__ import annotations

from sqlalchemy import case, func, select

from lmconsole.history import schema
from lmconsole.history.schema import NO_ISSUED
from lmconsole.history.store import HistoryStore

from .base import (
    HOUR,
    LEVEL_NAMES,
    Question,
    Report,
    filtered,
    finest_level,
    gap_rows,
    occupancy,
    peak_histograms,
    percentile,
    server_ids,
    spans,
    tallied_days,
    tallies,
    untallied,
)
from .membership import in_groups

NAME = "utilisation"
COLUMNS = (("server", "SERVER"), ("feature", "FEATURE"), ("issued", "ISSUED"),
           ("peak", "PEAK"), ("average", "AVERAGE"), ("p95", "P95"),
           ("at_full_pct", "AT 100%"), ("denials", "DENIALS"),
           ("denial_hours", "HOURS DENIED"), ("never_used", "NEVER USED"),
           ("reserved_idle_avg", "RESERVED IDLE"), ("peak_with_reserved", "PEAK+RESERVED"))
PERCENTILE = 0.95


async def utilisation(store: HistoryStore, question: Question) -> Report:
    servers = await server_ids(store, question)
    report = Report(NAME, "Utilisation per feature", question, COLUMNS)
    if not servers:
        return report
    level_s = await finest_level(store, question, list(servers))
    report.level_s = level_s
    observed = await spans(store, question, servers, level_s)
    figures = await _figures(store, question, servers, level_s)
    histograms = await peak_histograms(store, question, servers, level_s)
    denied = await _denials(store, question, servers)
    for key in sorted(figures.keys() | denied.keys(),
                      key=lambda k: (servers[k[0]], k[1])):
        span = observed.get(key[0])
        buckets = span.observed_s // level_s if span else 0
        report.rows.append(_row(servers[key[0]], key[1], figures.get(key), denied.get(key),
                                histograms.get(key, {}), buckets, level_s,
                                span.observed_s if span else 0))
    report.rules = [
        f"read from the {LEVEL_NAMES[level_s]} level; average over the time observed "
        "(from the first to the last record of each server in the period, less its gaps)",
        f"p95 and at 100%: per {LEVEL_NAMES[level_s]}, at its peak; idle reserved seats apart",
    ]
    report.gaps = await gap_rows(store, servers, question)
    return report


async def _figures(store, question, servers, level_s) -> dict[tuple[int, str], dict]:
    """Per (server, feature): over a year of hours, the whole days from their tally, the
    rest from the level's rows, added up."""
    table = occupancy(level_s, question)
    c = table.c
    reserved = func.coalesce(c.reserved_idle, 0)
    days = tallied_days(question, level_s)
    query = (select(c.server_id, c.feature, func.max(c.issued).label("issued"),
                    func.max(c.in_use_peak).label("peak"),
                    func.sum(c.in_use_mean).label("mean_sum"),
                    func.sum(case((c.in_use_peak >= c.issued, 1), else_=0)).label("full"),
                    func.sum(reserved).label("reserved_sum"),
                    func.max(c.in_use_peak + reserved).label("peak_with_reserved"))
             .where(c.server_id.in_(servers))
             .group_by(c.server_id, c.feature))
    queries = untallied(query, table, question, level_s, days)
    if days is not None:
        queries.append(tallies(_tallied(), question, servers, days))
    figures: dict[tuple[int, str], dict] = {}
    for query in queries:
        for row in await store.rows(query):
            key = (row.server_id, row.feature)
            figures[key] = _added(figures.get(key), row._asdict())
    return figures


def _tallied():
    t = schema.occupancy_hour_tally
    issued = func.nullif(t.c.issued, NO_ISSUED)
    return (select(t.c.server_id, t.c.feature, func.max(issued).label("issued"),
                   func.max(t.c.in_use_peak).label("peak"),
                   func.sum(t.c.mean_sum).label("mean_sum"),
                   func.sum(case((t.c.in_use_peak >= issued, t.c.hours), else_=0))
                   .label("full"),
                   func.sum(t.c.reserved_idle * t.c.hours).label("reserved_sum"),
                   func.max(t.c.in_use_peak + t.c.reserved_idle).label("peak_with_reserved"))
            .group_by(t.c.server_id, t.c.feature))


def _added(known: dict | None, found: dict) -> dict:
    """Two parts' figures of a feature as one: the greatest of the maxima, sums added."""
    if known is None:
        return found
    added = dict(known)
    for name in ("issued", "peak", "peak_with_reserved"):
        values = [v for v in (known[name], found[name]) if v is not None]
        added[name] = max(values) if values else None
    for name in ("mean_sum", "full", "reserved_sum"):
        values = [v for v in (known[name], found[name]) if v is not None]
        added[name] = sum(values) if values else None
    return added


async def _denials(store, question, servers) -> dict[tuple[int, str], dict]:
    d = schema.denials
    query = (select(d.c.server_id, d.c.feature, func.count().label("denials"),
                    func.count(func.distinct(d.c.at // HOUR)).label("denial_hours"))
             .where(d.c.server_id.in_(servers), d.c.at >= question.start,
                    d.c.at < question.end, in_groups(question, d.c.user_name, d.c.at))
             .group_by(d.c.server_id, d.c.feature))
    query = filtered(query, d, question)
    return {(row.server_id, row.feature): row._asdict() for row in await store.rows(query)}


def _row(server: str, feature: str, figures: dict | None, denied: dict | None,
         histogram: dict[int, int], buckets: int, level_s: int, observed_s: int) -> dict:
    figures = figures or {}
    issued, peak = figures.get("issued"), figures.get("peak") or 0

    def per_bucket(total: float | None) -> float | None:
        return None if not buckets else round((total or 0) / buckets, 2)

    full = figures.get("full") or 0
    return {
        "server": server, "feature": feature, "issued": issued, "peak": peak,
        "average": per_bucket(figures.get("mean_sum")),
        "p95": percentile(histogram, buckets, PERCENTILE),
        "at_full_pct": None if not issued or not observed_s else
        round(100 * full * level_s / observed_s, 1),
        "denials": (denied or {}).get("denials", 0),
        "denial_hours": (denied or {}).get("denial_hours", 0),
        "never_used": None if issued is None else max(0, issued - peak),
        "reserved_idle_avg": per_bucket(figures.get("reserved_sum")),
        "peak_with_reserved": figures.get("peak_with_reserved") or peak,
    }
