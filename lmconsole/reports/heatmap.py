"""`heatmap`: the seats in use by day of the week and hour of the day on the reader's clock,
over the period: when the licences are needed.

Read from the finest occupancy level that holds the period, which must keep hours or
minutes (days say nothing of the hours: refused). A level period counts in the hour its
middle falls in, on the clock of the report's zone; the hour the clock repeats in autumn
counts twice as long, the one it skips in spring not at all. One row per (server, feature,
weekday, hour) that was observed:
- weekday: Mon to Sun; hour: 0 to 23 (the hour from hour:00 to hour:59);
- average: seat-seconds in use in those hours over their time observed (the hours of the
  period on that weekday at that time, inside the server's first to last record of the
  period, less its gaps; a level period without a row had none in use);
- peak: the most in use at once in any of them;
- observed_h: the hours observed that the average is over (4 in a month of Mondays).
"""

from __future__ import annotations

from sqlalchemy import func, select

from lmconsole.history.store import HistoryStore

from .base import (
    HOUR,
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
from .clock import buckets, hour_of_day, local_middle, observed_s, weekday

NAME = "heatmap"
COLUMNS = (("server", "SERVER"), ("feature", "FEATURE"), ("weekday", "DAY"),
           ("hour", "HOUR"), ("average", "AVERAGE"), ("peak", "PEAK"),
           ("observed_h", "HOURS SEEN"))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


async def heatmap(store: HistoryStore, question: Question) -> Report:
    servers = await server_ids(store, question)
    report = Report(NAME, "Seats in use by weekday and hour", question, COLUMNS)
    if not servers:
        return report
    level_s = await finest_level(store, question, list(servers))
    if level_s > HOUR:
        raise ReportError(f"heatmap: the history of this period is kept per "
                          f"{LEVEL_NAMES[level_s]} only, which says nothing of the hours")
    report.level_s = level_s
    observed = await _observed_cells(store, question, servers, level_s)
    figures = await _figures(store, question, servers, level_s)
    for (server_id, feature), found in sorted(
            figures.items(), key=lambda item: (servers[item[0][0]], item[0][1])):
        seen = observed.get(server_id, {})
        for cell in sorted(seen.keys() | found.keys()):
            report.rows.append(_row(servers[server_id], feature, cell, found.get(cell),
                                    seen.get(cell, 0), level_s))
    level = LEVEL_NAMES[level_s]
    report.rules = [
        f"read from the {level} level; a {level} counts in the hour its middle falls in, "
        "on the report's clock",
        "average: seat-seconds over the time observed in those hours (less the gaps)",
    ]
    report.gaps = await gap_rows(store, servers, question)
    return report


async def _observed_cells(store, question, servers, level_s
                          ) -> dict[int, dict[tuple[int, int], int]]:
    """Per server and (weekday, hour): the seconds observed."""
    hours = buckets("hour", question.tz, question.start, question.end)
    by_hour = await observed_s(store, await spans(store, question, servers, level_s), hours)
    cells: dict[int, dict[tuple[int, int], int]] = {}
    for server_id, seen in by_hour.items():
        mine = cells.setdefault(server_id, {})
        for key, seconds in seen.items():
            cell = (weekday(key), hour_of_day(key))
            mine[cell] = mine.get(cell, 0) + seconds
    return cells


async def _figures(store, question, servers, level_s
                   ) -> dict[tuple[int, str], dict[tuple[int, int], tuple]]:
    """Per (server, feature): per (weekday, hour), (peak, sum of means)."""
    table = occupancy(level_s)
    c = table.c
    local = local_middle(table, level_s, question)
    day, hour = weekday(local), hour_of_day(local)
    query = (select(c.server_id, c.feature, day.label("weekday"), hour.label("hour"),
                    func.max(c.in_use_peak).label("peak"),
                    func.sum(c.in_use_mean).label("mean_sum"))
             .where(of_servers(table, question, servers))
             .group_by(c.server_id, c.feature, day, hour))
    query = filtered(in_period(query, table, question, level_s), table, question)
    figures: dict[tuple[int, str], dict[tuple[int, int], tuple]] = {}
    for server_id, feature, day, hour, peak, mean_sum in await store.rows(query):
        mine = figures.get((server_id, feature))
        if mine is None:
            mine = figures[(server_id, feature)] = {}
        mine[(day, hour)] = (peak, mean_sum)
    return figures


def _row(server: str, feature: str, cell: tuple[int, int], figures: tuple | None,
         seen_s: int, level_s: int) -> dict:
    peak, mean_sum = figures or (0, 0)
    return {
        "server": server, "feature": feature, "weekday": WEEKDAYS[cell[0]], "hour": cell[1],
        "average": round(mean_sum * level_s / seen_s, 2) if seen_s else None,
        "peak": peak, "observed_h": round(seen_s / HOUR, 2),
    }
