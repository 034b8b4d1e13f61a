"""`concurrency`: per server, feature and hour, day, week (from Monday) or month on the
reader's clock, the seats in use: the most, the average and the least.

Read from the finest occupancy level that holds the period; a bucket finer than that level
(hours where only days are kept) is refused. A level period counts in the bucket its middle
falls in, on the clock of the report's zone (a day bucket is 23 or 25 hours long on the day
of a DST change; a UTC day read from the day level goes to the local day holding most of
it). The figures, per (server, feature, bucket):
- bucket: its start on the reader's clock (a week: its Monday; a month: 2026-03);
- peak: the most in use at once (the greatest in_use_peak of its level periods);
- average: seat-seconds in use over the bucket's time observed (the sum of the level
  periods' in_use_mean times the level's length, over the seconds of the bucket inside the
  server's first to last record of the period, less its gaps; a level period without a
  row had none in use);
- min: the least in_use_mean of the bucket's level periods, the seats held throughout a
  level period on average (0 when some observed level period of the bucket has no row);
- observed_pct: the share of the bucket's seconds observed.
A bucket the server was not observed in, and which has no row, is left out.
"""

from __future__ import annotations

from sqlalchemy import func, select

from lmconsole.history.store import HistoryStore

from .base import (
    LEVEL_NAMES,
    Question,
    Report,
    ReportError,
    filtered,
    finest_level,
    gap_rows,
    in_period,
    occupancy,
    of_servers,
    server_ids,
    spans,
)
from .clock import PERS, SHORTEST_S, Bucket, bucket_key, buckets, local_middle, observed_s

NAME = "concurrency"
HEADINGS = {"hour": "HOUR", "day": "DAY", "week": "WEEK FROM", "month": "MONTH"}


async def concurrency(store: HistoryStore, question: Question, *, per: str = "day"
                      ) -> Report:
    if per not in PERS:
        raise ReportError(f"concurrency per {per!r}: one of {', '.join(PERS)}")
    servers = await server_ids(store, question)
    columns = (("server", "SERVER"), ("feature", "FEATURE"), ("bucket", HEADINGS[per]),
               ("peak", "PEAK"), ("average", "AVERAGE"), ("min", "MIN"),
               ("observed_pct", "OBSERVED %"))
    report = Report(NAME, f"Seats in use per {per}", question, columns)
    if not servers:
        return report
    level_s = await finest_level(store, question, list(servers))
    refuse_finer(per, level_s)
    report.level_s = level_s
    listed = buckets(per, question.tz, question.start, question.end)
    observed = await observed_s(store, await spans(store, question, servers, level_s),
                                listed)
    figures = await _figures(store, question, servers, level_s, per, listed)
    for server_id, feature in sorted({key[:2] for key in figures},
                                     key=lambda k: (servers[k[0]], k[1])):
        seen = observed.get(server_id, {})
        for bucket in listed:
            found = figures.get((server_id, feature, bucket.key))
            if found or bucket.key in seen:
                report.rows.append(_row(servers[server_id], feature, bucket, found,
                                        seen.get(bucket.key, 0), level_s))
    level = LEVEL_NAMES[level_s]
    report.rules = [
        f"read from the {level} level; a {level} counts in the {per} its middle falls in, "
        "on the report's clock",
        f"average: seat-seconds over the {per}'s time observed (less the gaps); min: the "
        f"least mean of a {level} in it, 0 if one had nothing in use",
    ]
    report.gaps = await gap_rows(store, servers, question)
    return report


def refuse_finer(per: str, level_s: int) -> None:
    if SHORTEST_S[per] < level_s:
        raise ReportError(f"per {per}: the history of this period is kept per "
                          f"{LEVEL_NAMES[level_s]} only; ask for a {LEVEL_NAMES[level_s]} "
                          "or longer")


async def _figures(store, question, servers, level_s, per, listed
                   ) -> dict[tuple[int, str, int], dict]:
    table = occupancy(level_s, question)
    c = table.c
    key = bucket_key(local_middle(table, level_s, question), per, listed)
    query = (select(c.server_id, c.feature, key.label("bucket"),
                    func.max(c.in_use_peak).label("peak"),
                    func.sum(c.in_use_mean).label("mean_sum"),
                    func.min(c.in_use_mean).label("least_mean"),
                    func.count().label("periods"))
             .where(of_servers(table, question, servers))
             .group_by(c.server_id, c.feature, key))
    query = filtered(in_period(query, table, question, level_s), table, question)
    return {(row.server_id, row.feature, row.bucket): row._asdict()
            for row in await store.rows(query)}


def _row(server: str, feature: str, bucket: Bucket, figures: dict | None, seen_s: int,
         level_s: int) -> dict:
    figures = figures or {"peak": 0, "mean_sum": 0, "least_mean": 0, "periods": 0}
    some_without_row = figures["periods"] < seen_s // level_s
    return {
        "server": server, "feature": feature, "bucket": bucket.label,
        "peak": figures["peak"],
        "average": round(figures["mean_sum"] * level_s / seen_s, 2) if seen_s else None,
        "min": 0 if some_without_row else round(figures["least_mean"], 2),
        "observed_pct": round(100 * seen_s / bucket.seconds, 1),
    }
