"""`P`: the allocation pools view: each pool's features, the seats kept for it and how many
its users hold now; the highlighted pool's users below. On the console, the pools' users
come from the directory's history and their seats include a manager's change."""

from __future__ import annotations

import asyncio

from textual.app import App
from textual.widgets import DataTable, Static

from lmconsole.managed.config import PoolConfig
from lmconsole.managed.seats import record_seats
from lmconsole.model import Checkout, Feature, ServerStatus, Status
from lmconsole.monitor import ServerState
from lmconsole.screens.pools import PoolsScreen, PoolView
from lmconsole.themes.builtin import THEMES

from .pilot_wait import until
from .test_ui_editor import editor_app, settle
from .test_ui_managed_blocks import history
from .test_ui_snapshots import snapshots_in_the_repository  # noqa: F401 - autouse fixture


def checkout(user: str, count: int = 1) -> Checkout:
    return Checkout(user=user, host="ws1", display=None, version=None, pool=None, server=None,
                    port=None, handle=None, start=None, count=count)


STATES = [
    ServerState("office", ServerStatus("office", None, Status.UP, features=(
        Feature("3dsMax", "adskflex", 2, 2, checkouts=(checkout("carol"), checkout("nvogel"))),
        Feature("Revit", "adskflex", 3, 3, checkouts=(checkout("grace", 2), checkout("dave"))),
    )), None),
    ServerState("hq", ServerStatus("hq", None, Status.UP, features=(
        Feature("3dsMax", "adskflex", 5, 1, checkouts=(checkout("dave"),)),)), None)]
POOLS = [PoolView("office", "cae_team", "group cae (3 users)",
                  frozenset({"carol", "dave", "erin"}), {"3dsMax": 2, "Revit": 1}, "carol"),
         PoolView("office", "viewers", "2 user(s)", frozenset({"frank", "grace"}),
                  {"Revit": 1})]


def cells(table: DataTable) -> list[list]:
    return [table.get_row_at(n) for n in range(table.row_count)]


class PoolsApp(App):
    """The pools view alone, on pools and seats given."""

    def __init__(self) -> None:
        super().__init__()
        for definition in THEMES:
            self.register_theme(definition)
        self.theme = "lmconsole-dark"

    async def load(self) -> list[PoolView]:
        return POOLS

    def on_mount(self) -> None:
        self.push_screen(PoolsScreen(self.load, lambda: STATES))


async def shown(pilot) -> None:
    pools = pilot.app.screen.query_one("#pools", DataTable)
    await until(pilot, lambda: pools.row_count == 3, "the pools shown")
    await pilot.pause()


def test_each_pools_seats_in_use_are_its_users_on_its_server(tmp_path):
    async def scenario() -> None:
        app = PoolsApp()
        async with app.run_test(size=(120, 30)) as pilot:
            await shown(pilot)
            screen = app.screen
            assert cells(screen.query_one("#pools", DataTable)) == [
                ["cae_team", "office", "3dsMax", 2, 1, "group cae (3 users), manager carol"],
                ["", "", "Revit", 1, 1, ""],  # dave's Revit; his 3dsMax is on hq
                ["viewers", "office", "Revit", 1, 2, "2 user(s)"]]  # grace holds two
            users = screen.query_one("#users", DataTable)
            assert cells(users) == [["carol", 1, "3dsMax"], ["dave", 1, "Revit"],
                                    ["erin", 0, ""]]
            await pilot.press("down", "down")
            await until(pilot, lambda: cells(users)[0][0] == "grace", "viewers' users")
            assert cells(users) == [["grace", 2, "Revit 2"], ["frank", 0, ""]]
            await pilot.press("escape")
            assert not isinstance(app.screen, PoolsScreen)

    asyncio.run(scenario())


def test_p_on_the_console_reads_the_pools_users_and_a_managers_seats(tmp_path, sim_server):
    pools = [PoolConfig("cae_team", "office", (("3dsMax", 2),), group="cae", manager="carol")]
    opened = history(tmp_path)

    async def scenario() -> None:
        store = await opened()
        await record_seats(store, pools[0], {"3dsMax": 1}, by="carol", at=1)
        await store.close()
        app = editor_app(tmp_path, sim_server, history=opened, pools=pools)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("P")
            await settle(app, pilot)
            table = app.screen.query_one("#pools", DataTable)
            await until(pilot, lambda: table.row_count == 1, "the pool shown")
            assert cells(table) == [["cae_team", "office", "3dsMax", 1, 0,
                                     "group cae, manager carol"]]
            title = str(app.screen.query_one("#title", Static).render())
            assert title == "Allocation pools · 1 pool · seats their users hold now"

    asyncio.run(scenario())


def test_without_pools_p_says_how_to_add_them(tmp_path, sim_server):
    async def scenario() -> None:
        app = editor_app(tmp_path, sim_server)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("P")
            await pilot.pause()
            assert not isinstance(app.screen, PoolsScreen)

    asyncio.run(scenario())


def test_the_pools_view(snap_compare):
    assert snap_compare(PoolsApp(), terminal_size=(80, 24), run_before=shown)
