"""`D`: the Directory view on the demo console: the groups a sync recorded into the history
(written here as `lmconsole directory sync` writes them), as a tree, with the seats their
users hold now in the simulator; the highlighted group's members below."""

from __future__ import annotations

import asyncio
import time

from textual.app import App
from textual.widgets import DataTable, Static

from lmconsole.app import demo_app
from lmconsole.directory.model import DirectoryGroup, DirectoryTree, DirectoryUser, nested_users
from lmconsole.history.directory import record_directory
from lmconsole.model import Checkout, Feature, ServerStatus, Status
from lmconsole.monitor import ServerState
from lmconsole.screens.directory import (
    DirectoryGroups,
    DirectoryScreen,
    seats_by_user,
    tree_order,
)
from lmconsole.themes.builtin import THEMES

from .pilot_wait import until
from .test_ui_snapshots import snapshots_in_the_repository  # noqa: F401 - autouse fixture


def office_tree(drafting: list[str], idle: str) -> DirectoryTree:
    """office holds drafting (two who hold seats now) and admin (one who holds none)."""
    direct = {"office": set(), "drafting": set(drafting), "admin": {idle}}
    subgroups = {"office": {"drafting", "admin"}, "drafting": set(), "admin": set()}
    everyone, _ = nested_users(direct, subgroups, 10)
    logins = set(drafting) | {idle}
    return DirectoryTree(
        users={u: DirectoryUser(u, f"uid={u}", f"{u.title()} Person") for u in logins},
        groups={g: DirectoryGroup(g, f"cn={g}") for g in direct},
        direct_users={g: frozenset(u) for g, u in direct.items()},
        subgroups={g: frozenset(s) for g, s in subgroups.items()}, all_users=everyone)


def cells(table: DataTable) -> list[list]:
    return [table.get_row_at(n) for n in range(table.row_count)]


def test_d_shows_the_groups_their_members_and_their_seats_now(tmp_path):
    app = demo_app(None, files=tmp_path / "demo")

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: seats_by_user(app.data.states.values()),
                        "seats held in the demo")
            held = seats_by_user(app.data.states.values())
            drafting = sorted(held)[:2]
            store = await app.history_store()
            await record_directory(store, "corp", office_tree(drafting, "zed"),
                                   int(time.time()) - 60)
            await pilot.press("D")
            screen = app.screen
            assert isinstance(screen, DirectoryScreen)
            groups = screen.query_one("#groups", DataTable)
            await until(pilot, lambda: groups.row_count == 3, "the groups shown")
            seats = sum(sum(held[user].values()) for user in drafting)
            assert [row[:4] for row in cells(groups)] == [
                ["office", 3, 2, seats], ["└ admin", 1, 0, 0], ["└ drafting", 2, 2, seats]]
            members = screen.query_one("#members", DataTable)
            assert [row[0] for row in cells(members)][-1] == "zed"  # office: zed holds none
            await pilot.press("down", "down")  # drafting
            await until(pilot, lambda: members.row_count == 2, "drafting's members shown")
            first = cells(members)[0]
            assert first[0] in drafting and first[1] == f"{first[0].title()} Person"
            assert first[2] == sum(held[first[0]].values())
            assert "3 groups" in str(screen.query_one("#title", Static).render())
            await pilot.press("escape")
            assert not isinstance(app.screen, DirectoryScreen)

    asyncio.run(scenario())


def test_without_a_sync_the_view_says_what_to_run(tmp_path):
    app = demo_app(None, files=tmp_path / "demo")

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("D")
            title = app.screen.query_one("#title", Static)
            await until(pilot, lambda: "lmconsole directory sync" in str(title.render()),
                        "the hint shown")

    asyncio.run(scenario())


def test_the_tree_puts_each_group_after_its_holder_and_survives_a_cycle():
    within = {"cae": "engineering", "fem": "cae", "loop-a": "loop-b", "loop-b": "loop-a"}
    assert tree_order(["fem", "design", "cae", "engineering", "loop-a", "loop-b"], within) == \
        ["design", "engineering", "cae", "fem", "loop-a", "loop-b"]


# ---- how it looks -----------------------------------------------------------------------------

def checkout(user: str, count: int = 1) -> Checkout:
    return Checkout(user=user, host="ws1", display=None, version=None, pool=None, server=None,
                    port=None, handle=None, start=None, count=count)


STATES = [ServerState("office", ServerStatus("office", None, Status.UP, features=(
    Feature("AutoCAD", "adskflex", 10, 4, checkouts=(checkout("anna"), checkout("ben"),
                                                      checkout("carl", 2))),
    Feature("Revit", "adskflex", 3, 1, checkouts=(checkout("anna"),)))), None)]
GROUPS = DirectoryGroups(
    members={"engineering": frozenset({"anna", "ben", "carl", "dora"}),
             "cae": frozenset({"anna", "ben"}), "fem": frozenset({"ben"}),
             "design": frozenset({"carl", "erik"})},
    within={"cae": "engineering", "fem": "cae"},
    names={"anna": "Anna Lind", "ben": "Ben Ortiz", "carl": "Carl Weber",
           "dora": "Dora Kim", "erik": "Erik Berg"})


class DirectoryApp(App):
    """The Directory view alone, on groups and seats given."""

    def __init__(self) -> None:
        super().__init__()
        for definition in THEMES:
            self.register_theme(definition)
        self.theme = "lmconsole-dark"

        self.states = STATES

    async def load(self) -> DirectoryGroups:
        return GROUPS

    def on_mount(self) -> None:
        self.push_screen(DirectoryScreen(self.load, lambda: self.states))


async def shown(pilot) -> None:
    groups = pilot.app.screen.query_one("#groups", DataTable)
    await until(pilot, lambda: groups.row_count == 4, "the groups shown")
    await pilot.pause()


def test_the_directory_view(snap_compare):
    assert snap_compare(DirectoryApp(), terminal_size=(80, 24), run_before=shown)


def test_a_new_status_updates_the_seats_in_place():
    app = DirectoryApp()

    async def scenario() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await shown(pilot)
            groups = app.screen.query_one("#groups", DataTable)
            members = app.screen.query_one("#members", DataTable)
            assert cells(groups)[2] == ["└ cae", 2, 2, 3, "AutoCAD 2, Revit"]
            await pilot.press("down", "down")  # cae: anna and ben below
            await until(pilot, lambda: members.row_count == 2, "cae's members shown")
            # anna gives her AutoCAD seat back, dora takes two Revit seats, carl leaves
            app.states = [ServerState("office", ServerStatus("office", None, Status.UP, features=(
                Feature("AutoCAD", "adskflex", 10, 1, checkouts=(checkout("ben"),)),
                Feature("Revit", "adskflex", 3, 3, checkouts=(
                    checkout("anna"), checkout("dora", 2))))), None)]
            app.screen.live_update({"states"})
            await pilot.pause()
            assert cells(groups) == [
                ["design", 2, 0, 0, ""],
                ["engineering", 4, 3, 4, "Revit 3, AutoCAD"],
                ["└ cae", 2, 2, 2, "AutoCAD, Revit"],
                ["│ └ fem", 1, 1, 1, "AutoCAD"]]
            assert groups.cursor_row == 2  # still on cae
            assert [row[0] for row in cells(members)] == ["anna", "ben"]  # rows kept
            assert [row[2:] for row in cells(members)] == [[1, "Revit"], [1, "AutoCAD"]]

    asyncio.run(scenario())
