"""`R`: the reports on the history, browsable: the report's header (period, rules, gaps),
then its rows in a table. `[` `]` change the report, `1`-`4` the period (the last 7, 30,
90 or 365 days), `c` writes the rows as CSV (the `report --format csv` columns); the arrows
move in the table.

The report is made by the `load` function the app gives, and the CSV written by its
`export` (this screen does no I/O of its own).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from lmconsole.reports import REPORTS
from lmconsole.reports.output import header_lines, table_cells

if TYPE_CHECKING:
    from lmconsole.reports.base import Report

NAMES = tuple(REPORTS)  # in the order the screen shows them
PERIODS = (("7 d", 7), ("30 d", 30), ("90 d", 90), ("1 y", 365))
DEFAULT_PERIOD = 1

Load = Callable[[str, int, int], Awaitable["Report"]]
Export = Callable[["Report"], str]  # writes the CSV, returns where


class ReportsScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "report(-1)", "Previous report", key_display="[",
                id="reports.previous"),
        Binding("right_square_bracket", "report(1)", "Next report", key_display="]",
                id="reports.next"),
        *[Binding(str(n + 1), f"period({n})", f"Last {name}", id=f"reports.period-{n + 1}",
                  show=False) for n, (name, _) in enumerate(PERIODS)],
        Binding("c", "export", "CSV", id="reports.csv", tooltip="Write the rows as CSV"),
        Binding("escape", "close", "Close", id="reports.close"),
    ]
    DEFAULT_CSS = """
    ReportsScreen {
        & > #title { height: 1; padding: 0 1; color: $foreground-muted; }
        & > #header { height: auto; max-height: 8; padding: 0 1; }
        & > DataTable { height: 1fr; }
    }
    """

    def __init__(self, load: Load, export: Export, tz: tzinfo,
                 now: Callable[[], datetime]) -> None:
        super().__init__()
        self.load, self.export, self.tz, self.now = load, export, tz, now
        self.index = 0
        self.period = DEFAULT_PERIOD
        self.report: Report | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield Static(id="header", markup=False)
        yield DataTable(zebra_stripes=True, cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.refresh_report()

    def action_report(self, step: int) -> None:
        self.index = (self.index + step) % len(NAMES)
        self.refresh_report()

    def action_period(self, index: int) -> None:
        self.period = index
        self.refresh_report()

    def action_export(self) -> None:
        if self.report is None:
            return
        try:
            where = self.export(self.report)
        except OSError as error:
            self.notify(f"the CSV is not written: {error}", severity="error")
            return
        self.notify(f"{len(self.report.rows)} rows written to {where}")

    def action_close(self) -> None:
        self.app.pop_screen()

    def refresh_report(self) -> None:
        name, days = NAMES[self.index], PERIODS[self.period][1]
        self.query_one("#title", Static).update(
            f"Report {self.index + 1}/{len(NAMES)}: {name} · last {PERIODS[self.period][0]}"
            f" · [ ] another report · 1-4 the period")
        self.report = None
        self.run_worker(self._load(name, days), exclusive=True, group="report")

    async def _load(self, name: str, days: int) -> None:
        end = int(self.now().timestamp())
        header = self.query_one("#header", Static)
        header.update("making the report…")
        try:
            report = await self.load(name, end - days * 86_400, end)
        except Exception as error:  # noqa: BLE001 - a database gone: said, the console goes on
            header.update(f"the report cannot be made: {error}")
            return
        self.report = report
        header.update("\n".join(header_lines(report, self.tz)))
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(heading for _, heading in report.columns))
        table.add_rows(table_cells(report, self.tz))
