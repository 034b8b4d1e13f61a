"""The History view's other charts, drawn from a report's rows: the weekday x hour heat map,
the denials per hour of the day, the top users and the efficiency curve. Pure: a Report in,
a Rich renderable out (plotext's text, or a table)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotext
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from lmconsole.reports.base import Report

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TOP_USERS = 10
COOL, HOT = (40, 70, 110), (230, 140, 0)  # the heat map's empty and busiest cells
BAR, DENIED, LINE = (0, 150, 200), (220, 40, 40), (130, 90, 220)


def nothing(what: str) -> Text:
    return Text(f"no {what} in this period (or not recorded)", style="dim")


def heatmap_grid(report: Report) -> Table | Text:
    """Mon-Sun x 0-23 h: each cell the hour's peak, coloured by its average in use."""
    if not report.rows:
        return nothing("use")
    cells = {(row["weekday"], row["hour"]): row for row in report.rows}
    hottest = max(row["average"] for row in report.rows) or 1
    grid = Table(box=None, padding=(0, 0), show_edge=False, pad_edge=False)
    grid.add_column("", width=4)
    for hour in range(24):
        grid.add_column(f"{hour:02}" if hour % 3 == 0 else "", width=3, justify="right")
    for day in WEEKDAYS:
        grid.add_row(day, *(_cell(cells.get((day, hour)), hottest) for hour in range(24)))
    return grid


def _cell(row: dict | None, hottest: float) -> Text:
    if row is None:
        return Text("  ·", style="dim")
    share = row["average"] / hottest
    red, green, blue = (round(c + (h - c) * share) for c, h in zip(COOL, HOT))
    return Text(f"{row['peak']:>3}", style=f"bold white on rgb({red},{green},{blue})")


def denials_by_hour_chart(report: Report, width: int, height: int) -> Text:
    if not report.rows:
        return nothing("denials")
    counts = {row["hour"]: row["denials"] for row in report.rows if row["denials"]}
    hours = sorted(counts)  # an hour without denials has no bar (plotext draws a 0 as one)
    _figure(width, height)
    plotext.bar(hours, [counts[hour] for hour in hours], color=DENIED, width=0.6)
    plotext.xlim(-0.5, 23.5)
    plotext.xticks(list(range(0, 24, 3)), [f"{hour:02}h" for hour in range(0, 24, 3)])
    return Text.from_ansi(plotext.build())


def top_users_chart(report: Report, width: int, height: int) -> Text:
    rows = sorted(report.rows, key=lambda row: row["seat_hours"], reverse=True)[:TOP_USERS]
    if not rows:
        return nothing("use")
    _figure(width, height)
    plotext.bar([row["user"] for row in reversed(rows)],
                [row["seat_hours"] for row in reversed(rows)], orientation="horizontal",
                color=BAR, width=0.6)
    plotext.xlabel("seat-hours")
    return Text.from_ansi(plotext.build())


def efficiency_chart(report: Report, width: int, height: int) -> Text:
    """The share of the time at least k seats were in use, against k; the seats that
    cover 95 % and 99 % of it marked."""
    if not report.rows:
        return nothing("use")
    seats = [row["seats"] for row in report.rows]
    _figure(width, height)
    plotext.plot(seats, [row["at_least_pct"] for row in report.rows], marker="hd",
                 color=LINE)
    first = report.rows[0]
    for key, share, color in (("seats_95", 95, HOT), ("seats_99", 99, DENIED)):
        if first[key] is not None:
            plotext.scatter([first[key]], [100 - share], marker="x", color=color)
    plotext.ylim(0, 100)
    plotext.xticks(seats if len(seats) <= 25 else seats[::max(1, len(seats) // 10)])
    plotext.xlabel(f"seats in use (at least); x: {first['seats_95']} seats cover 95 % of the "
                   f"time, {first['seats_99']} cover 99 %")
    plotext.ylabel("% of the time")
    return Text.from_ansi(plotext.build())


def _figure(width: int, height: int) -> None:
    plotext.clear_figure()
    plotext.limit_size(False, False)
    plotext.plot_size(width, height)
    plotext.theme("clear")
