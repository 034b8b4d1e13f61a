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

from lmconsole.history import schema
from lmconsole.history.store import HistoryStore

from . import bucketed
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
CELLS = 7 * 24
NOTHING = (0, 0)  # a cell observed with no row: none in use


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
    cells_of = {server_id: _observed(observed.get(server_id, {})) for server_id in servers}
    for (server_id, feature), found in sorted(
            figures.items(), key=lambda item: (servers[item[0][0]], item[0][1])):
        report.rows += _rows(servers[server_id], feature, found, cells_of[server_id],
                             level_s)
    level = LEVEL_NAMES[level_s]
    report.rules = [
        f"read from the {level} level; a {level} counts in the hour its middle falls in, "
        "on the report's clock",
        "average: seat-seconds over the time observed in those hours (less the gaps)",
    ]
    report.gaps = await gap_rows(store, servers, question)
    return report


async def _observed_cells(store, question, servers, level_s
                          ) -> dict[int, dict[int, int]]:
    """Per server and cell (weekday * 24 + hour): the seconds observed."""
    hours = buckets("hour", question.tz, question.start, question.end)
    by_hour = await observed_s(store, await spans(store, question, servers, level_s), hours)
    cells: dict[int, dict[int, int]] = {}
    for server_id, seen in by_hour.items():
        mine = cells.setdefault(server_id, {})
        for key, seconds in seen.items():
            cell = _cell(key)
            mine[cell] = mine.get(cell, 0) + seconds
    return cells


async def _figures(store, question, servers, level_s
                   ) -> dict[tuple[int, str], dict[int, tuple]]:
    """Per (server, feature): per cell (weekday * 24 + hour), (peak, sum of means)."""
    table = occupancy(level_s, question)
    c = table.c
    local = local_middle(table, level_s, question)
    cell = _cell(local)
    aggregates = func.max(c.in_use_peak).label("peak"), func.sum(c.in_use_mean).label("mean")
    if bucketed.applies(store, question, level_s):
        return await _figures_by_number(store, question, servers, cell, aggregates)
    query = (select(c.server_id, c.feature, cell.label("cell"), *aggregates)
             .where(of_servers(table, question, servers))
             .group_by(c.server_id, c.feature, cell))
    query = filtered(in_period(query, table, question, level_s), table, question)
    figures: dict[tuple[int, str], dict[int, tuple]] = {}
    for server_id, feature, cell, peak, mean_sum in await store.rows(query):
        mine = figures.get((server_id, feature))
        if mine is None:
            mine = figures[(server_id, feature)] = {}
        mine[cell] = (peak, mean_sum)
    return figures


async def _figures_by_number(store, question, servers, cell, aggregates
                             ) -> dict[tuple[int, str], dict[int, tuple]]:
    """The hours grouped by one whole number per feature and cell (the feature's number in
    bucketed's table of the period's features, times the cells, plus the cell) on SQLite:
    its sort of millions of hours compares that number only, not a feature's server, name,
    weekday and hour (the report over a generated year of 2,000 features: 7.5 -> 4.8 s of CPU)."""
    h, f = schema.occupancy_hour.c, bucketed.FEATURES.c
    key = f.id * CELLS + cell
    query = (select(key.label("key"), *aggregates)
             .select_from(bucketed.FEATURES.join(
                 schema.occupancy_hour, (h.server_id == f.server_id) & (h.feature == f.feature)))
             .group_by(key))
    query = in_period(query, schema.occupancy_hour, question, HOUR)
    async with bucketed.bucketed(store, question, servers, []) as connection:
        features = (await connection.execute(select(f.id, f.server_id, f.feature))).all()
        rows = (await connection.execute(query)).all()
    named = {number: (server_id, feature) for number, server_id, feature in features}
    figures: dict[tuple[int, str], dict[int, tuple]] = {}
    for key, peak, mean_sum in rows:
        number, cell = divmod(key, CELLS)
        mine = figures.get(named[number])
        if mine is None:
            mine = figures[named[number]] = {}
        mine[cell] = (peak, mean_sum)
    return figures


def _cell(local):
    """Weekday * 24 + hour of local-clock seconds (SQL or int)."""
    return weekday(local) * 24 + hour_of_day(local)


def _observed(seen: dict[int, int]) -> list[tuple]:
    """A server's cells as every feature's rows need them: (cell, weekday, hour, seconds
    observed, hours observed), in order."""
    return [(cell, WEEKDAYS[cell // 24], cell % 24, seen.get(cell, 0),
             round(seen.get(cell, 0) / HOUR, 2)) for cell in range(CELLS)]


def _rows(server: str, feature: str, found: dict[int, tuple], observed: list[tuple],
          level_s: int) -> list[dict]:
    """The feature's row of each cell it has figures for or its server was observed in."""
    rows = []
    for cell, weekday_name, hour, seen_s, observed_h in observed:
        figures = found.get(cell)
        if figures is None:
            if not seen_s:
                continue
            figures = NOTHING
        rows.append({"server": server, "feature": feature, "weekday": weekday_name,
                     "hour": hour,
                     "average": round(figures[1] * level_s / seen_s, 2) if seen_s else None,
                     "peak": figures[0], "observed_h": observed_h})
    return rows
