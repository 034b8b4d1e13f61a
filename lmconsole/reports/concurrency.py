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

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

from . import bucketed
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
from .clock import (
    PERS,
    SHORTEST_S,
    Bucket,
    bucket_bounds,
    bucket_key,
    buckets,
    local_middle,
    observed_s,
)

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
    buckets_of = {server_id: _observed(listed, observed.get(server_id, {}), level_s)
                  for server_id in servers}
    for (server_id, feature), found in sorted(
            figures.items(), key=lambda item: (servers[item[0][0]], item[0][1])):
        report.rows += _rows(servers[server_id], feature, buckets_of[server_id], found,
                             level_s)
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


def _aggregates(table) -> tuple:
    c = table.c
    return (func.max(c.in_use_peak).label("peak"), func.sum(c.in_use_mean).label("mean_sum"),
            func.min(c.in_use_mean).label("least_mean"), func.count().label("periods"))


async def _figures(store, question, servers, level_s, per, listed
                   ) -> dict[tuple[int, str], dict[int, tuple]]:
    """Per (server, feature): per bucket key, a row of (server, feature, bucket, peak, sum
    of means, least mean, periods)."""
    if bucketed.applies(store, question, level_s):
        found = bucketed.stretches(question, level_s, *bucket_bounds(per, listed))
        async with bucketed.bucketed(store, question, servers, found) as connection:
            query = bucketed.per_bucket(*_aggregates(schema.occupancy_hour))
            return _by_feature((await connection.execute(query)).all())
    table = occupancy(level_s, question)
    c = table.c
    key = bucket_key(local_middle(table, level_s, question), per, listed)
    query = (select(c.server_id, c.feature, key.label("bucket"), *_aggregates(table))
             .where(of_servers(table, question, servers))
             .group_by(c.server_id, c.feature, key))
    query = filtered(in_period(query, table, question, level_s), table, question)
    return _by_feature(await store.rows(query))


def _by_feature(rows) -> dict[tuple[int, str], dict[int, tuple]]:
    """Per (server, feature): per bucket key, its row (the figures from the fourth on)."""
    figures: dict[tuple[int, str], dict[int, tuple]] = {}
    for row in rows:
        mine = figures.get((row[0], row[1]))
        if mine is None:
            mine = figures[(row[0], row[1])] = {}
        mine[row[2]] = row
    return figures


NOTHING = (None, None, None, 0, 0, 0, 0)  # a bucket observed with no row: none in use


def _observed(listed: list[Bucket], seen: dict[int, int], level_s: int) -> list[tuple]:
    """A server's buckets as every feature's rows need them: (key, label, seconds observed,
    observed %, the level periods in the seconds observed)."""
    return [(bucket.key, bucket.label, seen_s,
             round(100 * seen_s / bucket.seconds, 1), seen_s // level_s)
            for bucket in listed for seen_s in (seen.get(bucket.key, 0),)]


def _rows(server: str, feature: str, observed: list[tuple], figures: dict[int, tuple],
          level_s: int) -> list[dict]:
    """A feature's row for each bucket it has figures for or its server was observed in."""
    rows = []
    for key, label, seen_s, observed_pct, observed_periods in observed:
        found = figures.get(key)
        if found is None:
            if not seen_s:
                continue
            found = NOTHING
        rows.append({
            "server": server, "feature": feature, "bucket": label, "peak": found[3],
            "average": round(found[4] * level_s / seen_s, 2) if seen_s else None,
            "min": 0 if found[6] < observed_periods else round(found[5], 2),
            "observed_pct": observed_pct,
        })
    return rows
