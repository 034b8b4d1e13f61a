"""The History view: `h` on a feature charts its use from the history (the demo's past,
imported into a real SQLite file), over 1 h to a year, moved back and forward in time.
Manual and frozen clocks (the scenarios' own dates): nothing depends on today's date."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App

from lmconsole.app import demo_app
from lmconsole.demo import fill_history
from lmconsole.history.store import HistoryStore
from lmconsole.reports import REPORTS
from lmconsole.reports.base import Question
from lmconsole.reports.series import usage_series
from lmconsole.screens.history import VIEWS, HistoryScreen
from lmconsole.themes.builtin import THEMES

from .clocks import at_scenario_start
from .pilot_wait import until
from .test_ui_data import BERLIN
from .test_ui_snapshots import snapshots_in_the_repository  # noqa: F401 - autouse fixture

DAY = 86_400


def test_h_on_a_feature_charts_its_history_and_moves_through_it(tmp_path):
    app = demo_app(None, files=tmp_path, history_days=2)

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.recorder is not None, "the past imported",
                        timeout=60)
            app.open_features("office")
            await until(pilot, lambda: app.screen.query("LiveTable")
                        and app.screen.table.row_count > 0, "the office's features")
            while app.screen.table.cursor_key[1] != "AutoCAD":
                await pilot.press("down")
            await pilot.press("h")
            history = app.screen
            assert isinstance(history, HistoryScreen)
            await until(pilot, lambda: history.series is not None, "the chart drawn")
            day = history.series
            assert (day.feature, day.servers, day.issued) == ("AutoCAD", ("office",), 10)
            assert day.end - day.start == DAY and day.peak > 0  # the day before the demo
            await pilot.press("3")  # 7 days
            await until(pilot, lambda: history.series.end - history.series.start == 7 * DAY,
                        "a week drawn")
            week = history.series
            assert week.bucket_s > day.bucket_s and week.peak >= day.peak
            await pilot.press("left")  # half a week back
            await until(pilot, lambda: history.series.end == week.end - 7 * DAY // 2,
                        "half a week back")
            back = history.series
            await pilot.press("plus")  # zoom in: 24 h about the same middle, in the past
            await until(pilot, lambda: history.series.end - history.series.start == DAY,
                        "a day drawn")
            assert history.series.end == (back.start + back.end) // 2 + DAY // 2
            await pilot.press("minus", "minus")  # 30 days about it would pass now: up to now
            await until(pilot, lambda: history.series.end - history.series.start == 30 * DAY,
                        "30 days drawn")
            assert history.series.end == week.end
            await pilot.press("plus", "plus")
            await pilot.press("l")
            await until(pilot, lambda: history.series.end == week.end
                        and history.series.end - history.series.start == DAY, "back to now")
            await pilot.press("escape")
            assert not isinstance(app.screen, HistoryScreen)

    asyncio.run(scenario())


class ChartApp(App):
    """The History view alone, on a history filled with the demo's two days before its
    scenarios' start, its clock frozen there."""

    def __init__(self, database: str, feature: str, range_index: int, view: int = 0,
                 theme: str = "lmconsole-dark") -> None:
        super().__init__()
        self.database, self.feature, self.range_index = database, feature, range_index
        self.view = view
        for definition in THEMES:
            self.register_theme(definition)
        self.theme = theme

    async def load(self, server, feature, start, end, points):
        store = await HistoryStore.open(self.database)
        try:
            return await usage_series(store, Question(start, end, BERLIN, (server,)), feature,
                                      points)
        finally:
            await store.close()

    async def load_report(self, name, server, feature, start, end, **options):
        store = await HistoryStore.open(self.database)
        try:
            question = Question(start, end, BERLIN, (server,), (feature,))
            return await REPORTS[name](store, question, **options)
        finally:
            await store.close()

    def on_mount(self) -> None:
        screen = HistoryScreen(self.load, "office", self.feature, BERLIN, at_scenario_start(),
                               self.load_report)
        screen.range, screen.view = self.range_index, self.view
        self.push_screen(screen)


@pytest.fixture(scope="module")
def demo_history(tmp_path_factory) -> str:
    files = tmp_path_factory.mktemp("history")
    database = f"sqlite:///{files / 'history.db'}"

    async def fill() -> None:
        store = await HistoryStore.open(database)
        await fill_history(store, files, None, days=2)
        await store.close()

    asyncio.run(fill())
    return database


async def drawn(pilot) -> None:
    """Until the chart is drawn at the screen's size (a first one may be drawn before the
    terminal's size is known)."""
    screen = pilot.app.screen
    await until(pilot, lambda: screen.drawn_size == (screen.size.width - 2,
                                                     screen.size.height - 3),
                "the chart drawn at the screen's size")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_a_day_of_autocad(size, snap_compare, demo_history):
    assert snap_compare(ChartApp(demo_history, "AutoCAD", 1), terminal_size=size,
                        run_before=drawn)


@pytest.mark.parametrize("view", range(len(VIEWS)), ids=[name for name, *_ in VIEWS])
def test_a_week_in_the_light_theme(view, snap_compare, demo_history):
    """Every chart of the two days of history (and the empty days before) in the console's
    light theme, at 80x24: its colours are mid-tones chosen to read on both."""
    app = ChartApp(demo_history, "AutoCAD", 2, view, theme="lmconsole-light")
    assert snap_compare(app, terminal_size=(80, 24), run_before=drawn)


def test_the_issued_count_is_held_over_buckets_without_rows():
    from lmconsole.screens.history import held

    assert held([None, None, 10, None, 12, None]) == [10, 10, 10, 10, 12, 12]
    assert held([None, None]) == [0, 0]


@pytest.mark.parametrize("view", [1, 2, 3, 4], ids=[name for name, *_ in VIEWS[1:]])
def test_the_other_charts_of_a_week(view, snap_compare, demo_history):
    """The heat map, the denials per hour, the top users and the efficiency curve of the
    demo's AutoCAD, readable at 80x24."""
    assert snap_compare(ChartApp(demo_history, "AutoCAD", 2, view), terminal_size=(80, 24),
                        run_before=drawn)


def test_v_steps_through_the_charts(demo_history):
    app = ChartApp(demo_history, "AutoCAD", 2)

    async def scenario() -> list[str]:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.screen
            await drawn(pilot)
            titles = [str(screen.query_one("#title").render())]
            for _ in VIEWS:
                screen.drawn_size = None
                await pilot.press("v")
                await drawn(pilot)
                titles.append(str(screen.query_one("#title").render()))
            return titles

    titles = asyncio.run(scenario())
    assert [name in title for title, (name, *_) in zip(titles[1:-1], VIEWS[1:])] == \
        [True] * (len(VIEWS) - 1)
    assert titles[0] == titles[-1]  # round to the use chart
