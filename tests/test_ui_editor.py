"""The options-file editor: diagnostics as you type, save with diff and backup, conflicts,
lmreread with the debug log's confirmation, and read-only mode (a simulator state directory
reached through the local transport)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import OptionList

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.app import ConsoleServer, LMConsoleApp
from lmconsole.audit import AuditLog
from lmconsole.screens.dialogs import ConfirmScreen
from lmconsole.screens.editor import DiffConfirmScreen, EditorScreen


def editor_app(tmp_path, config, **options) -> LMConsoleApp:
    server = ConsoleServer(config, ADAPTERS["flexlm"], LocalTransport())
    return LMConsoleApp([server], monitor=False,
                        audit=AuditLog(tmp_path / "audit.log", user=lambda: "tester"), **options)


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def run(tmp_path, config, test, **options) -> None:
    async def scenario():
        app = editor_app(tmp_path, config, **options)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("E")  # the only server with an options file
            await settle(app, pilot)
            assert isinstance(app.screen, EditorScreen)
            await test(app, pilot, app.screen)

    asyncio.run(scenario())


async def type_at_end(pilot, editor: EditorScreen, text: str) -> None:
    area = editor.area
    area.cursor_location = area.document.end
    await pilot.press(*[{" ": "space", "\n": "enter"}.get(c, c) for c in text])
    await pilot.pause(EditorScreen.DEBOUNCE_S + 0.2)


def problems(editor: EditorScreen) -> list[str]:
    box = editor.query_one("#problems", OptionList)
    return [str(box.get_option_at_index(i).prompt) for i in range(box.option_count)]


def test_a_bad_line_typed_shows_its_diagnostic_and_enter_jumps_to_it(tmp_path, sim_server):
    async def test(app, pilot, editor):
        lines = editor.area.document.line_count
        assert problems(editor) == []
        await type_at_end(pilot, editor, "INCLUDE AutoCAD GROUP nobody")
        assert any("OPT005" in p and "nobody" in p for p in problems(editor))
        assert lines - 1 in editor.area.marks  # the line is marked in the text
        assert "1 error" in str(editor.query_one("#title").render())
        editor.area.cursor_location = (0, 0)
        editor.action_focus_problems()
        await pilot.press("enter")
        assert editor.area.has_focus and editor.area.cursor_location[0] == lines - 1

    run(tmp_path, sim_server, test)


def test_a_good_change_is_saved_after_the_diff_and_then_reread(tmp_path, sim_server):
    path = Path(sim_server.options_file)
    before = path.read_text()

    async def test(app, pilot, editor):
        await type_at_end(pilot, editor, "EXCLUDE AutoCAD USER ehuber\n")
        await pilot.press("ctrl+s")
        dialog = app.screen
        assert isinstance(dialog, DiffConfirmScreen)
        assert "+EXCLUDE AutoCAD USER ehuber" in dialog.details
        await pilot.press("y")
        await settle(app, pilot)
        assert path.read_text() == before + "EXCLUDE AutoCAD USER ehuber\n"
        (backup,) = path.parent.glob("adskflex.opt.*Z.bak")
        assert backup.read_text() == before
        entry = app.audit.entries()[-1]
        assert entry["action"] == "save-options" and entry["outcome"] == "ok"
        assert "+EXCLUDE AutoCAD USER ehuber" in entry["diff"]
        reread = app.screen  # offered at once, with the exact command
        assert isinstance(reread, ConfirmScreen)
        assert reread.commands[0].endswith(
            f"lmreread -c {sim_server.license} -vendor adskflex")
        await pilot.press("y")
        await settle(app, pilot)
        status = str(editor.query_one("#status").render())
        assert "lmreread successful" in status
        assert "debug log confirms the re-read (adskflex)" in status
        assert app.audit.entries()[-1]["action"] == "lmreread"
        assert "Rereading options file" in Path(sim_server.debug_log).read_text()

    run(tmp_path, sim_server, test)


def test_a_file_changed_on_the_server_meanwhile_is_not_overwritten(tmp_path, sim_server):
    path = Path(sim_server.options_file)

    async def test(app, pilot, editor):
        path.write_text(path.read_text() + "# changed by a colleague\n")
        await type_at_end(pilot, editor, "MAX 2 AutoCAD USER ehuber\n")
        await pilot.press("ctrl+s", "y")
        await settle(app, pilot)
        assert app.screen is editor  # no reread offered
        assert "changed on the server since you opened it" in str(
            editor.query_one("#status").render())
        assert path.read_text().endswith("# changed by a colleague\n")
        assert list(path.parent.glob("*.bak")) == []
        assert editor.modified  # the edits are kept
        assert app.audit.entries()[-1]["outcome"] == "refused"

    run(tmp_path, sim_server, test)


def test_read_only_opens_the_file_read_only_and_refuses_to_save(tmp_path, sim_server):
    path = Path(sim_server.options_file)
    before = path.read_text()

    async def test(app, pilot, editor):
        assert editor.area.read_only
        keys = {b.binding.action for b in editor.active_bindings.values()}
        assert "save" not in keys and "reread" not in keys
        await pilot.press("x", "ctrl+s")
        editor.action_save()
        editor.action_reread()
        await settle(app, pilot)
        assert app.screen is editor and path.read_text() == before
        assert app.audit.entries() == []

    run(tmp_path, sim_server, test, read_only=True)


def test_escape_asks_before_losing_changes(tmp_path, sim_server):
    async def test(app, pilot, editor):
        await type_at_end(pilot, editor, "# note")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen is editor
        await pilot.press("escape", "y")
        assert not isinstance(app.screen, EditorScreen)

    run(tmp_path, sim_server, test)
