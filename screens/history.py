"""A feature's past as a chart: seats in use (the peak of each bucket, and its mean) against
those issued, with the denials marked, over 1 h, 24 h, 7 d, 30 d or a year; left and right
move back and forward in time, `+` `-` zoom in and out about the middle, `l` returns to
now; `v` shows the same period as a weekday x
hour heat map, the denials per hour of the day, the top users or the efficiency curve.

The chart is drawn by plotext into text; the history is read by the `load` function the app
gives (this screen does no I/O of its own).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar

import plotext
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from .charts import denials_by_hour_chart, efficiency_chart, heatmap_grid, top_users_chart

if TYPE_CHECKING:
    from lmconsole.reports.base import Report
    from lmconsole.reports.series import Series

RANGES = (("1 h", 3600), ("24 h", 86_400), ("7 d", 7 * 86_400), ("30 d", 30 * 86_400),
          ("1 y", 365 * 86_400))
DEFAULT_RANGE = 1  # 24 h
CHART_MARGIN = 8  # columns plotext takes for the y axis and the frame
CHROME_ROWS = 3  # the screen's rows that are not the chart: title, summary, footer
# Mid-tone colours, readable on the dark and the light themes alike (plotext writes them as
# 24-bit colours; its named ones follow the terminal's palette, which Textual remaps).
LINES = (("issued", (230, 140, 0)), ("peak", (0, 150, 200)), ("mean", (130, 90, 220)),
         ("+ idle reserved", (200, 60, 160)))
DENIED = (220, 40, 40)

Load = Callable[[str | None, str, int, int, int], Awaitable["Series"]]
# (report name, server, feature, start, end, options) -> the report on that feature
LoadReport = Callable[..., Awaitable["Report"]]
# the views `v` steps through: (name, the report it draws from and its options)
VIEWS = (("use", None, {}), ("heat map", "heatmap", {}),
         ("denials per hour", "denials", {"by": "hour"}), ("top users", "users", {}),
         ("efficiency", "efficiency", {}))


class HistoryScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        *[Binding(str(n + 1), f"range({n})", name, id=f"history.range-{n + 1}",
                  show=n in (0, 4), key_display=str(n + 1))
          for n, (name, _) in enumerate(RANGES)],
        Binding("plus", "zoom(-1)", "Zoom in", id="history.zoom-in", key_display="+",
                show=False),
        Binding("minus", "zoom(1)", "Zoom out", id="history.zoom-out", key_display="-",
                show=False),
        Binding("left", "move(-1)", "Back", id="history.back", key_display="←"),
        Binding("right", "move(1)", "Forward", id="history.forward", key_display="→"),
        Binding("l", "live", "Now", id="history.now"),
        Binding("v", "view", "Next chart", id="history.view",
                tooltip="Use, heat map, denials per hour, top users, efficiency"),
        Binding("escape", "close", "Close", id="history.close"),
    ]
    DEFAULT_CSS = """
    HistoryScreen {
        & > #title { height: 1; padding: 0 1; color: $foreground-muted; }
        & > #summary { height: 1; padding: 0 1; }
        & > #chart { height: 1fr; padding: 0 1; }
    }
    """

    def __init__(self, load: Load, server: str | None, feature: str, tz: tzinfo,
                 now: Callable[[], datetime], load_report: LoadReport | None = None) -> None:
        super().__init__()
        self.load, self.server, self.feature, self.tz, self.now = load, server, feature, tz, now
        self.load_report = load_report
        self.view = 0
        self.range = DEFAULT_RANGE
        self.end: int | None = None  # None: up to now
        self.series: Series | None = None
        self.drawn_size: tuple[int, int] | None = None  # the chart's, when last drawn

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield Static(id="summary")
        yield Static(id="chart")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_chart()

    def on_resize(self) -> None:
        self.refresh_chart()

    # ---- keys --------------------------------------------------------------------------------

    def action_range(self, index: int) -> None:
        self.range = index
        self.refresh_chart()

    def action_zoom(self, step: int) -> None:
        """The next shorter or longer range, about the same middle (never past now)."""
        index = min(max(self.range + step, 0), len(RANGES) - 1)
        if index == self.range:
            return
        start, end = self.period()
        middle, self.range = (start + end) // 2, index
        end = middle + RANGES[index][1] // 2
        self.end = None if self.end is None or end >= self._now() else end
        self.refresh_chart()

    def action_move(self, step: int) -> None:
        span = RANGES[self.range][1]
        end = self.period()[1] + step * span // 2
        self.end = None if end >= self._now() else end
        self.refresh_chart()

    def action_view(self) -> None:
        if self.load_report is None:
            return
        self.view = (self.view + 1) % len(VIEWS)
        self.refresh_chart()

    def action_live(self) -> None:
        self.end = None
        self.refresh_chart()

    def action_close(self) -> None:
        self.app.pop_screen()

    # ---- drawing -----------------------------------------------------------------------------

    def period(self) -> tuple[int, int]:
        span = RANGES[self.range][1]
        end = self._now() if self.end is None else self.end
        return end - span, end

    def _now(self) -> int:
        return int(self.now().timestamp())

    def refresh_chart(self) -> None:
        self.query_one("#title", Static).update(self.title_text())
        self.run_worker(self._load(), exclusive=True, group="history-chart")

    async def _load(self) -> None:
        start, end = self.period()
        chart = self.query_one("#chart", Static)
        width = max(20, self.size.width - 2)  # the screen's: the chart's own is not laid out yet
        height = max(6, self.size.height - CHROME_ROWS)
        try:
            self.series = await self.load(self.server, self.feature, start, end,
                                          max(10, width - CHART_MARGIN))
            drawn = usage_chart(self.series, width, height, self.tz)
            if self.view:
                name, report, options = VIEWS[self.view]
                drawn = draw(name, await self.load_report(report, self.server, self.feature,
                                                          start, end, **options),
                             width, height)
        except Exception as error:  # noqa: BLE001 - a database gone: said, the console goes on
            chart.update(Text(f"the history cannot be read: {error}", style="bold red"))
            return
        self.query_one("#summary", Static).update(summary_text(self.series,
                                                               legend=not self.view))
        chart.update(drawn)
        self.drawn_size = (width, height)

    def title_text(self) -> str:
        where = self.server or "all servers"
        start, end = self.period()
        when = "up to now" if self.end is None else f"to {moment_text(end, self.tz, MINUTE_FORMAT)}"
        view = f"{VIEWS[self.view][0]} · " if self.view else ""
        return (f"History of {self.feature} on {where} · {view}{RANGES[self.range][0]} {when} · "
                f"from {moment_text(start, self.tz, MINUTE_FORMAT)}")


def draw(view: str, report: Report, width: int, height: int):
    if view == "heat map":
        return heatmap_grid(report)
    if view == "denials per hour":
        return denials_by_hour_chart(report, width, height)
    if view == "top users":
        return top_users_chart(report, width, height)
    return efficiency_chart(report, width, height)


def summary_text(series: Series, *, legend: bool = True) -> Text:
    """The period's figures, and the legend of the use chart's lines (kept off the chart,
    where plotext would draw it over the data)."""
    issued = "?" if series.issued is None else str(series.issued)
    text = Text()
    text.append(f"peak {series.peak} of {issued}", style="bold")
    text.append(f" · {series.denials} denial{'s' if series.denials != 1 else ''}",
                style="bold red" if series.denials else "")
    if series.denials and legend:  # the mark they have on the chart, said where they are counted
        text.append(" ×", style="bold rgb({},{},{})".format(*DENIED))
    text.append(f" · a point is {span_text(series.bucket_s)}  ")
    if not any(b.peak for b in series.buckets):
        text.append("nothing in use in this period (or not recorded)", style="dim")
        return text
    if not legend:
        return text
    shown = {"issued": series.issued is not None, "peak": True, "mean": True,
             "+ idle reserved": any(b.reserved_idle for b in series.buckets)}
    for label, color in LINES:
        if shown[label]:
            text.append(" ▬ ", style="rgb({},{},{})".format(*color))
            text.append(label)
    return text


def usage_chart(series: Series, width: int, height: int, tz: tzinfo) -> Text:
    """In use (the peak and the mean of each bucket, and the peak with the idle reserved
    seats) against issued, the buckets with denials marked × on top; plotext's text."""
    plotext.clear_figure()
    plotext.limit_size(False, False)  # the widget's size, not plotext's guess at a terminal's
    plotext.plot_size(width, height)
    plotext.theme("clear")
    xs = list(range(len(series.buckets)))
    top = max(max((b.peak + b.reserved_idle for b in series.buckets), default=0),
              series.issued or 0, 1)
    plotext.ylim(0, top + 1)
    plotext.yticks(_ticks(top))
    plotext.xticks(*_time_ticks(series, tz))
    colors = dict(LINES)
    if series.issued is not None:
        plotext.plot(xs, held([b.issued for b in series.buckets]), marker="hd",
                     color=colors["issued"])
    if any(b.reserved_idle for b in series.buckets):
        plotext.plot(xs, [b.peak + b.reserved_idle for b in series.buckets], marker="hd",
                     color=colors["+ idle reserved"])
    plotext.plot(xs, [b.peak for b in series.buckets], marker="hd",
                 color=colors["peak"])
    plotext.plot(xs, [b.mean for b in series.buckets], marker="hd",
                 color=colors["mean"])
    denied = [x for x, b in zip(xs, series.buckets) if b.denials]
    if denied:
        plotext.scatter(denied, [top + 1] * len(denied), marker="x", color=DENIED)
    return Text.from_ansi(plotext.build())


def _ticks(top: int) -> list[int]:
    step = max(1, -(-top // 4))
    return list(range(0, top + step, step))


def held(values: list[int | None]) -> list[int]:
    """Each None replaced by the value before it (by the first value, at the start): a
    bucket with nothing in use has no row to say what was issued, and nothing changed."""
    known = next((v for v in values if v is not None), 0)
    filled = []
    for value in values:
        known = known if value is None else value
        filled.append(known)
    return filled


TICK_STEPS = (900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400,
              7 * 86_400, 14 * 86_400, 30 * 86_400, 91 * 86_400)
MAX_TICKS = 6
MINUTE_FORMAT = "%Y-%m-%d %H:%M"


def _time_ticks(series: Series, tz: tzinfo) -> tuple[list[int], list[str]]:
    """Ticks at round times of the reader's clock (every 6 h, every day ...): the buckets
    in which the local time passes a multiple of the step."""
    step = next((s for s in TICK_STEPS if (series.end - series.start) // s < MAX_TICKS),
                TICK_STEPS[-1])
    fmt = "%H:%M" if step < 86_400 else "%d %b"
    positions, labels, last = [], [], None
    for index, bucket in enumerate(series.buckets):
        moment = datetime.fromtimestamp(bucket.start, tz)
        mark = (bucket.start + int(moment.utcoffset().total_seconds())) // step
        if last is not None and mark != last:
            positions.append(index)
            offset = int(moment.utcoffset().total_seconds())
            labels.append(moment_text(mark * step - offset, tz, fmt))
        last = mark
    return (positions, labels) if positions else ([0], [moment_text(series.start, tz, fmt)])


def moment_text(epoch: int, tz: tzinfo, fmt: str) -> str:
    return datetime.fromtimestamp(epoch, tz).strftime(fmt)


def span_text(seconds: int) -> str:
    for size, unit in ((86_400, "d"), (3600, "h"), (60, "min")):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
