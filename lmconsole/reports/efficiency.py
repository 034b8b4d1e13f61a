"""`efficiency`: per server and feature, how much of the time k seats were in use, for every
k from 0 to the peak, and the seats that would have covered 95 % and 99 % of it (OpenLM's
usage histogram; Open iT's "within 95 %").

Read from the finest occupancy level that holds the period; each level period counts at
its peak (the most in use at once in it; a level period without a row had 0). The time
observed is the period from the server's first to its last row in it, less its gaps, in
level periods. One row per (server, feature, seats = k), k = 0 to the peak:
- exactly_pct: the share of the observed level periods whose peak was k;
- at_least_pct: the share whose peak was k or more (100 for k = 0);
- seats_95 and seats_99: the fewest seats that 95 % and 99 % of the observed level periods
  stayed at or under: had this many been issued, the rest of the time some user would have
  waited. The same on every row of a feature, so that a CSV row reads alone.
"""

from __future__ import annotations

from lmconsole.history.store import HistoryStore

from .base import (
    LEVEL_NAMES,
    Question,
    Report,
    finest_level,
    gap_rows,
    peak_histograms,
    percentile,
    server_ids,
    spans,
)

NAME = "efficiency"
COLUMNS = (("server", "SERVER"), ("feature", "FEATURE"), ("seats", "SEATS"),
           ("exactly_pct", "EXACTLY %"), ("at_least_pct", "AT LEAST %"),
           ("seats_95", "95% WITHIN"), ("seats_99", "99% WITHIN"))


async def efficiency(store: HistoryStore, question: Question) -> Report:
    servers = await server_ids(store, question)
    report = Report(NAME, "Time at each number of seats in use", question, COLUMNS)
    if not servers:
        return report
    level_s = await finest_level(store, question, list(servers))
    report.level_s = level_s
    observed = await spans(store, question, servers, level_s)
    histograms = await peak_histograms(store, question, servers, level_s)
    for (server_id, feature), histogram in sorted(
            histograms.items(), key=lambda item: (servers[item[0][0]], item[0][1])):
        span = observed.get(server_id)
        # rows inside a gap count too: never fewer periods than rows
        periods = max(span.observed_s // level_s if span else 0, sum(histogram.values()))
        report.rows += _rows(servers[server_id], feature, histogram, periods)
    level = LEVEL_NAMES[level_s]
    report.rules = [
        f"read from the {level} level, each {level} at its peak; shares of the {level}s "
        "observed (from the first to the last record of each server, less its gaps)",
        "95% and 99% within: the fewest seats that many of them stayed at or under",
    ]
    report.gaps = await gap_rows(store, servers, question)
    return report


def _rows(server: str, feature: str, histogram: dict[int, int], periods: int
          ) -> list[dict]:
    counts = dict(histogram)
    counts[0] = counts.get(0, 0) + periods - sum(histogram.values())
    seats_95 = percentile(histogram, periods, 0.95)
    seats_99 = percentile(histogram, periods, 0.99)
    rows, at_least = [], periods
    for seats in range(max(counts) + 1):
        rows.append({"server": server, "feature": feature, "seats": seats,
                     "exactly_pct": _pct(counts.get(seats, 0), periods),
                     "at_least_pct": _pct(at_least, periods),
                     "seats_95": seats_95, "seats_99": seats_99})
        at_least -= counts.get(seats, 0)
    return rows


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1)
