"""`forecast`: per server and feature, the seats needed a horizon ahead, from the daily
peaks of the period, and what the seats to add would cost.

Read from the finest occupancy level that holds the period; a day is a day on the reader's
clock (a level period counts in the day its middle falls in). The figures:
- days: the days of the period that had something in use (a day without a row is left out
  of the trend and the percentile: a weekend does not pull the need down);
- peak: the highest daily peak; p_peak: the `percentile` of the daily peaks (95 by
  default): the level the busiest days reach, one day in twenty above it;
- trend_30d: the least-squares slope of the daily peaks, in seats per 30 days: whether the
  period's own use grew, to weigh the growth asked for against;
- needed: seats to cover p_peak a horizon ahead (365 days by default) at `growth_pct` a
  year (compounded over the horizon), rounded up;
- to_add: needed less issued (0 when enough are issued); price and cost: with `[prices]`
  in the configuration (a price a seat a year per feature), to_add times the price.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from sqlalchemy import func, literal, null, select, union_all

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

from . import bucketed
from .base import (
    DAY,
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
    percentile,
    server_ids,
)
from .clock import bucket_bounds, local_middle

NAME = "forecast"
COLUMNS = (("server", "SERVER"), ("feature", "FEATURE"), ("issued", "ISSUED"),
           ("days", "DAYS"), ("peak", "PEAK"), ("p_peak", "P-PEAK"),
           ("trend_30d", "TREND/30D"), ("needed", "NEEDED"), ("to_add", "TO ADD"),
           ("price", "PRICE"), ("cost", "COST"))


async def forecast(store: HistoryStore, question: Question, *, growth_pct: float = 20.0,
                   percentile_of: int = 95, horizon_days: int = 365,
                   prices: Mapping[str, float] | None = None,
                   currency: str | None = None) -> Report:
    if not 0 < percentile_of <= 100 or horizon_days < 0 or growth_pct <= -100:
        raise ReportError("forecast: the percentile is 1 to 100, the horizon 0 days or more, "
                          "the growth more than -100 %")
    prices = prices or {}
    servers = await server_ids(store, question)
    report = Report(NAME, f"Forecast: seats needed in {horizon_days} days at "
                          f"{growth_pct:+g} % a year", question, COLUMNS)
    if not servers:
        return report
    level_s = await finest_level(store, question, list(servers))
    report.level_s = level_s
    trends, histograms = {}, {}
    for row in await _trends_and_histograms(store, question, servers, level_s):
        if row.histogram:
            histograms.setdefault((row.server_id, row.feature), {})[row.peak] = row.n
        else:
            trends[(row.server_id, row.feature)] = row
    for key in sorted(trends, key=lambda k: (servers[k[0]], k[1])):
        report.rows.append(_row(servers[key[0]], key[1], trends[key], histograms[key],
                                percentile_of, growth_pct, horizon_days,
                                prices.get(key[1])))
    money = f" ({currency})" if currency else ""
    report.rules = [
        f"daily peaks on the reader's clock from the {LEVEL_NAMES[level_s]} level; days with "
        f"nothing in use left out; P-PEAK is their {percentile_of}th percentile",
        f"NEEDED: P-PEAK grown {growth_pct:+g} % a year over {horizon_days} days; TREND/30D "
        "the daily peaks' own slope; COST = TO ADD x PRICE a seat a year" + money,
    ]
    report.gaps = await gap_rows(store, servers, question)
    return report


async def _trends_and_histograms(store: HistoryStore, question: Question,
                                 servers: dict[int, str], level_s: int) -> list:
    """Per feature the sums a least-squares line through the daily peaks needs (rows with
    histogram 0), and how many days had each peak (1)."""
    if not bucketed.applies(store, question, level_s):
        return await store.rows(_of_days(_daily_peaks(question, servers, level_s)))
    floor, following = bucket_bounds("day", ())
    found = [(bucket // DAY, first_at, end_at) for bucket, first_at, end_at
             in bucketed.stretches(question, level_s, floor, following)]
    async with bucketed.bucketed(store, question, servers, found) as connection:
        h = schema.occupancy_hour.c
        daily_peaks = bucketed.per_bucket(func.max(h.in_use_peak).label("peak"),
                                          func.max(h.issued).label("issued"),
                                          where=(h.in_use_peak > 0,), bucket="day")
        return list((await connection.execute(_of_days(daily_peaks))).all())


def _of_days(daily_peaks):
    """SQL, one statement: the daily peaks worked out once (a CTE used twice is
    materialised by SQLite and PostgreSQL), then the trends' sums and the histograms."""
    days = daily_peaks.cte("days")
    x, y = days.c.day, days.c.peak
    trends = (select(days.c.server_id, days.c.feature, literal(0).label("histogram"),
                     func.count().label("n"), func.sum(x).label("sx"),
                     func.sum(y).label("sy"), func.sum(x * y).label("sxy"),
                     func.sum(x * x).label("sxx"), func.max(y).label("peak"),
                     func.max(days.c.issued).label("issued"))
              .group_by(days.c.server_id, days.c.feature))
    histograms = (select(days.c.server_id, days.c.feature, literal(1), func.count(), null(),
                         null(), null(), null(), y, null())
                  .group_by(days.c.server_id, days.c.feature, y))
    return union_all(trends, histograms)


def _daily_peaks(question: Question, servers: dict[int, str], level_s: int):
    """SQL: per server, feature and local day (its number since the epoch), the peak in use
    and the most issued."""
    table = occupancy(level_s, question)
    c = table.c
    day = (local_middle(table, level_s, question) // DAY).label("day")
    query = (select(c.server_id, c.feature, day, func.max(c.in_use_peak).label("peak"),
                    func.max(c.issued).label("issued"))
             .where(of_servers(table, question, servers), c.in_use_peak > 0)
             .group_by(c.server_id, c.feature, day))
    return filtered(in_period(query, table, question, level_s), table, question)


def _row(server: str, feature: str, sums, histogram: dict[int, int], percentile_of: int,
         growth_pct: float, horizon_days: int, price: float | None) -> dict:
    n = sums.n
    p_peak = percentile(histogram, n, percentile_of / 100) or 0
    slope = _slope(n, float(sums.sx), float(sums.sy), float(sums.sxy), float(sums.sxx))
    grown = p_peak * (1 + growth_pct / 100) ** (horizon_days / 365)
    needed = math.ceil(round(grown, 6))  # 12.0000000001 is 12 seats
    issued = sums.issued
    to_add = None if issued is None else max(0, needed - issued)
    return {"server": server, "feature": feature, "issued": issued, "days": n,
            "peak": sums.peak, "p_peak": p_peak, "trend_30d": round(slope * 30, 2),
            "needed": needed, "to_add": to_add, "price": price,
            "cost": None if price is None or to_add is None else round(to_add * price, 2)}


def _slope(n: int, sx: float, sy: float, sxy: float, sxx: float) -> float:
    """The least-squares slope (seats a day); 0 for fewer than two days."""
    spread = n * sxx - sx * sx
    return 0.0 if n < 2 or spread == 0 else (n * sxy - sx * sy) / spread
