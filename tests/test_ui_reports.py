"""`R`: the reports, browsable in the console, on the demo's past imported into a real
SQLite file; `c` writes the rows the `report --format csv` command writes. Manual and
frozen clocks (the scenarios' own dates)."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from textual.app import App
from textual.widgets import DataTable

from lmconsole.app import demo_app
from lmconsole.config import ProjectRule
from lmconsole.history.store import HistoryStore
from lmconsole.reports import REPORTS
from lmconsole.reports.base import Question
from lmconsole.reports.output import write_csv
from lmconsole.screens.reports import ReportsScreen
from lmconsole.themes.builtin import THEMES

from .clocks import at_scenario_start
from .pilot_wait import until
from .test_ui_data import BERLIN
from .test_ui_history import demo_history  # noqa: F401 - fixture
from .test_ui_snapshots import snapshots_in_the_repository  # noqa: F401 - autouse fixture


def test_r_browses_the_reports_and_c_writes_the_rows_as_csv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = demo_app(None, files=tmp_path / "demo", history_days=2)

    async def scenario() -> None:
        async with app.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: app.recorder is not None, "the past imported",
                        timeout=60)
            await pilot.press("R")
            screen = app.screen
            assert isinstance(screen, ReportsScreen)
            await until(pilot, lambda: screen.report is not None, "utilisation made")
            utilisation = screen.report
            assert utilisation.name == "utilisation" and utilisation.rows
            table = screen.query_one(DataTable)
            assert table.row_count == len(utilisation.rows)
            await pilot.press("right_square_bracket")
            await until(pilot, lambda: screen.report is not None
                        and screen.report.name == "denials", "denials made")
            await pilot.press("c")
            await pilot.pause()
            written = sorted(tmp_path.glob("lmconsole-denials-*.csv"))
            assert len(written) == 1
            expected = io.StringIO()
            write_csv(expected, screen.report)
            assert written[0].read_text() == expected.getvalue()
            header = next(csv.reader(io.StringIO(expected.getvalue())))
            assert header[:3] == ["feature", "denials", "true"]
            await pilot.press("escape")
            assert not isinstance(app.screen, ReportsScreen)

    asyncio.run(scenario())


class ReportsApp(App):
    """The Reports view alone, on the demo's two days of past, its clock frozen."""

    def __init__(self, database: str, theme: str = "lmconsole-dark") -> None:
        super().__init__()
        self.database = database
        for definition in THEMES:
            self.register_theme(definition)
        self.theme = theme

    async def load(self, name: str, start: int, end: int):
        store = await HistoryStore.open(self.database)
        try:
            return await REPORTS[name](store, Question(start, end, BERLIN, ("office",)))
        finally:
            await store.close()

    def on_mount(self) -> None:
        self.push_screen(ReportsScreen(self.load, lambda report: "", BERLIN,
                                       at_scenario_start()))


async def made(pilot) -> None:
    await until(pilot, lambda: pilot.app.screen.report is not None, "the report made")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_the_office_utilisation(size, snap_compare, demo_history):  # noqa: F811
    assert snap_compare(ReportsApp(demo_history), terminal_size=size, run_before=made)


def test_the_office_utilisation_in_the_light_theme(snap_compare, demo_history):  # noqa: F811
    assert snap_compare(ReportsApp(demo_history, theme="lmconsole-light"),
                        terminal_size=(80, 24), run_before=made)


def test_the_projects_report_follows_the_configured_rules(tmp_path, monkeypatch):
    # the demo's users are all held by one rule matching every user; `[` from the first
    # report goes round to the last, projects
    monkeypatch.chdir(tmp_path)
    app = demo_app(None, files=tmp_path / "demo", history_days=1,
                   project_rules=[ProjectRule("office-work", users=("*",))])

    async def scenario() -> None:
        async with app.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: app.recorder is not None, "the past imported",
                        timeout=60)
            await pilot.press("R")
            screen = app.screen
            await until(pilot, lambda: screen.report is not None, "utilisation made")
            await pilot.press("left_square_bracket")
            await until(pilot, lambda: screen.report is not None
                        and screen.report.name == "projects", "projects made")
            assert [row["project"] for row in screen.report.rows] == ["office-work"]
            assert screen.report.rows[0]["sessions"] > 0

    asyncio.run(scenario())
