"""The editor regenerates a server's managed blocks (directory groups from the history,
allocation pools from the configuration) and saves them through its own safe path: diff
and what-if first, backup, audit, lmreread. Over-allocation is refused in the status."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lmconsole.directory.model import DirectoryGroup, DirectoryTree, DirectoryUser
from lmconsole.history.directory import record_directory
from lmconsole.history.store import HistoryStore
from lmconsole.managed.config import ManagedGroups, PoolConfig
from lmconsole.screens.editor_dialogs import DiffConfirmScreen
from tests.clocks import at_scenario_start
from tests.test_ui_editor import editor_app, settle

CAE = frozenset({"carol", "dave"})
TREE = DirectoryTree(
    users={login: DirectoryUser(login, f"uid={login}") for login in CAE},
    groups={"cae": DirectoryGroup("cae", "cn=cae")},
    direct_users={"cae": CAE}, subgroups={}, all_users={"cae": CAE})


def history(tmp_path: Path):
    """A history whose directory sync, an hour before the scenario starts, saw `cae`."""
    url = f"sqlite:///{tmp_path / 'history.db'}"
    synced = at_scenario_start("architecture")().timestamp() - 3600

    async def record():
        store = await HistoryStore.open(url)
        try:
            await record_directory(store, "corp", TREE, int(synced))
        finally:
            await store.close()

    asyncio.run(record())
    return lambda: HistoryStore.open(url)


def run(tmp_path, sim_server, test, seats: int = 2) -> None:
    pools = [PoolConfig("cae_team", "office", (("3dsMax", seats),), group="cae", closed=True)]
    app = editor_app(tmp_path, sim_server, history=history(tmp_path), pools=pools,
                     managed_groups=[ManagedGroups("office", ("cae",))])

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("E")
            await settle(app, pilot)
            await test(app, pilot, app.screen)

    asyncio.run(scenario())


def test_ctrl_g_regenerates_the_blocks_and_saves_them_after_the_diff(tmp_path, sim_server):
    path = Path(sim_server.options_file)
    before = path.read_text()

    async def test(app, pilot, editor):
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, DiffConfirmScreen)
        assert "+GROUP cae carol dave" in dialog.details
        assert "+RESERVE 2 3dsMax GROUP cae_team" in dialog.details
        assert "nvogel on 3dsMax" in (dialog.impact or "")  # the what-if: he loses access
        await pilot.press("y")
        await settle(app, pilot)
        saved = path.read_text()
        assert saved.startswith(before) and "INCLUDE 3dsMax GROUP cae_team\n" in saved
        assert len(list(path.parent.glob("adskflex.opt.*Z.bak"))) == 1
        assert app.audit.entries()[-1]["action"] == "save-options"
        await pilot.press("y")  # the lmreread offered after the save
        await settle(app, pilot)
        assert "debug log confirms the re-read" in str(editor.query_one("#status").render())
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        assert "the managed blocks are up to date" in str(editor.query_one("#status").render())

    run(tmp_path, sim_server, test)


def test_over_allocation_is_refused_in_the_status_and_the_text_is_kept(tmp_path, sim_server):
    async def test(app, pilot, editor):
        text = editor.area.text
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        status = str(editor.query_one("#status").render())
        assert ("managed blocks not regenerated: 3dsMax: 3 seat(s) allocated to pools, "
                "2 available (2 licensed)") in status
        assert editor.area.text == text and app.screen is editor

    run(tmp_path, sim_server, test, seats=3)


def test_without_managed_blocks_the_key_is_not_offered(tmp_path, sim_server):
    async def scenario():
        app = editor_app(tmp_path, sim_server)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("E")
            await settle(app, pilot)
            assert app.screen.check_action("managed_blocks", ()) is False

    asyncio.run(scenario())


