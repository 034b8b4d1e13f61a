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
from lmconsole.screens.editor import BackupsScreen, DiffConfirmScreen, EditorScreen


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


# ---- rolling back ---------------------------------------------------------------------------

def two_backups(path: Path) -> tuple[str, str]:
    """An older and a newer backup beside the file (written in the wrong order: the list
    goes by the time in their names)."""
    older = path.read_text().replace("RESERVE 1 AutoCAD USER hfischer\n", "")
    newer = path.read_text() + "MAX 2 Revit USER dschmid\n"
    (path.parent / f"{path.name}.20240301T090000Z.bak").write_text(newer)
    (path.parent / f"{path.name}.20240101T080000Z.bak").write_text(older)
    return older, newer


def test_ctrl_b_lists_the_backups_previews_one_and_rolls_back_to_it(tmp_path, sim_server):
    path = Path(sim_server.options_file)
    before = path.read_text()
    older, newer = two_backups(path)

    async def test(app, pilot, editor):
        await type_at_end(pilot, editor, "# not saved")
        await pilot.press("ctrl+b")
        await settle(app, pilot)
        picker = app.screen
        assert isinstance(picker, BackupsScreen)
        listed = [str(picker.query_one("#backups", OptionList).get_option_at_index(i).prompt)
                  for i in range(2)]
        assert listed[0].startswith("2024-03-01 09:00:00 UTC")  # newest first
        assert listed[1].startswith("2024-01-01 08:00:00 UTC")
        assert f"{len(newer.encode()):,} B" in listed[0]
        assert f"{len(older.encode()):,} B" in listed[1]
        await pilot.press("down", "enter")
        dialog = app.screen
        assert isinstance(dialog, DiffConfirmScreen)
        assert "-RESERVE 1 AutoCAD USER hfischer" in dialog.details  # current -> backup
        assert "2024-01-01 08:00:00 UTC" in dialog.question
        assert any("unsaved edits" in line for line in dialog.commands)
        await pilot.press("y")
        await settle(app, pilot)
        assert path.read_text() == older
        replaced = [b for b in path.parent.glob("adskflex.opt.*Z.bak")
                    if not b.name.startswith("adskflex.opt.2024")]
        assert [b.read_text() for b in replaced] == [before]  # what it replaced, kept
        entry = app.audit.entries()[-1]
        assert entry["action"] == "rollback-options" and entry["outcome"] == "ok"
        assert "-RESERVE 1 AutoCAD USER hfischer" in entry["diff"]
        assert editor.area.text == older and not editor.modified  # reloaded
        assert isinstance(app.screen, ConfirmScreen)  # lmreread offered
        await pilot.press("n")
        assert app.screen is editor
        assert "reloaded" in str(editor.query_one("#status").render())

    run(tmp_path, sim_server, test)


def test_a_backup_declined_after_its_diff_changes_nothing(tmp_path, sim_server):
    path = Path(sim_server.options_file)
    before = path.read_text()
    two_backups(path)

    async def test(app, pilot, editor):
        await pilot.press("ctrl+b")
        await settle(app, pilot)
        await pilot.press("enter")  # the newest
        assert isinstance(app.screen, DiffConfirmScreen)
        assert "+MAX 2 Revit USER dschmid" in app.screen.details
        await pilot.press("n")
        await settle(app, pilot)
        assert app.screen is editor and path.read_text() == before
        assert app.audit.entries() == []
        await pilot.press("ctrl+b")
        await settle(app, pilot)
        await pilot.press("escape")
        assert app.screen is editor

    run(tmp_path, sim_server, test)


def test_without_backups_ctrl_b_says_so(tmp_path, sim_server):
    async def test(app, pilot, editor):
        await pilot.press("ctrl+b")
        await settle(app, pilot)
        assert app.screen is editor
        assert any("no backups" in n.message for n in app._notifications)

    run(tmp_path, sim_server, test)


def test_read_only_mode_refuses_to_roll_back(tmp_path, sim_server):
    path = Path(sim_server.options_file)
    before = path.read_text()
    two_backups(path)

    async def test(app, pilot, editor):
        keys = {b.binding.action for b in editor.active_bindings.values()}
        assert "rollback" not in keys
        await pilot.press("ctrl+b")
        editor.action_rollback()
        await settle(app, pilot)
        assert app.screen is editor and path.read_text() == before
        assert app.audit.entries() == []
        assert len(list(path.parent.glob("*.bak"))) == 2

    run(tmp_path, sim_server, test, read_only=True)
