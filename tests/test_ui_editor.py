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
from lmconsole.screens.editor import EditorScreen
from lmconsole.screens.editor_dialogs import BackupsScreen, DiffConfirmScreen
from lmconsole.screens.file_area import CompletionMenu
from tests.clocks import at_scenario_start
from tests.pilot_wait import analysed


def editor_app(tmp_path, config, **options) -> LMConsoleApp:
    """The console on the sim_server fixture's files, on its stopped simulator's clock."""
    server = ConsoleServer(config, ADAPTERS["flexlm"], LocalTransport(),
                           clock=at_scenario_start("architecture"))
    return LMConsoleApp([server], monitor=False,
                        audit=AuditLog(tmp_path / "audit.log", user=lambda: "tester"), **options)


async def settle(app, pilot) -> None:
    """Every worker done but the editor's file watcher (which runs until the editor closes)."""
    others = [w for w in app.workers if w.group != "editor-watch"]
    if others:  # (an empty list would wait for every worker)
        await app.workers.wait_for_complete(others)
    await pilot.pause()


def run(tmp_path, config, test, *, key: str = "E", **options) -> None:
    """`test` on the editor of the only server's options file (`key` L: its licence file)."""
    async def scenario():
        app = editor_app(tmp_path, config, **options)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, EditorScreen)
            await test(app, pilot, app.screen)

    asyncio.run(scenario())


async def type_at_end(pilot, editor: EditorScreen, text: str) -> None:
    area = editor.area
    area.cursor_location = area.document.end
    await pilot.press(*[{" ": "space", "\n": "enter"}.get(c, c) for c in text])
    await analysed(pilot, editor)


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
        gutter = editor.area.render_line(lines - 1).text[:editor.area.gutter_width]
        assert gutter.strip() == f"{lines}●"  # and in the gutter
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
        assert [n.message for n in app._notifications][-1:] == [
            "read-only mode: files are not saved"]  # the key says why, not nothing
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


# ---- what-if before saving ------------------------------------------------------------------

async def poll_live(app, pilot) -> None:
    """One lmstat poll into the app's LiveData (the fixture's app runs no monitor loops)."""
    for monitor in app.monitor.monitors.values():
        assert await monitor.poll_once()
    await settle(app, pilot)


def test_the_save_dialog_shows_who_a_draft_would_newly_deny(tmp_path, sim_server):
    async def test(app, pilot, editor):
        await poll_live(app, pilot)
        status = app.data.states["office"].status
        holders = sorted({c.user for f in status.features if f.name == "AutoCAD"
                          for c in f.checkouts})
        assert holders, "the simulator's office holds AutoCAD seats"
        user = holders[0]
        await type_at_end(pilot, editor, f"EXCLUDE AutoCAD USER {user}\n")
        await pilot.press("ctrl+s")
        await settle(app, pilot)  # the debug log's tail is read for the what-if
        dialog = app.screen
        assert isinstance(dialog, DiffConfirmScreen)
        impact = dialog.impact
        logged = sum(1 for line in Path(sim_server.debug_log).read_text().splitlines()
                     if ' OUT: "' in line or ' DENIED: "' in line)
        assert f"replayed: {logged} requests from the debug log" in impact
        assert "newly denied: 1 users" in impact
        (line,) = [ln for ln in impact.splitlines() if ln.startswith(f"  {user} on AutoCAD: ")]
        assert "1 held seat" in line and "on EXCLUDE list" in line
        shown = str(dialog.query_one("#impact").render())
        assert f"{user} on AutoCAD" in shown
        await pilot.press("n")
        assert app.screen is editor

    run(tmp_path, sim_server, test)


def test_a_comment_changes_nobodys_access(tmp_path, sim_server):
    async def test(app, pilot, editor):
        await poll_live(app, pilot)
        await type_at_end(pilot, editor, "# just a note\n")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, DiffConfirmScreen)
        assert "changes nobody's access" in dialog.impact
        assert "newly denied" not in dialog.impact

    run(tmp_path, sim_server, test)


# ---- restarting the vendor daemon -----------------------------------------------------------

def return_borrowed_seats(sim_server) -> int:
    """Check the notebooks' borrowed seats in (lmdown refuses while seats are borrowed)."""
    from lmconsole.adapters.flexlm.sim.statedir import open_state_dir

    with open_state_dir(Path(sim_server.license).parent) as server:
        borrowed = [s.handle for s in server.daemons.seats if s.borrow_until]
        for handle in borrowed:
            assert server.checkin(handle)
    return len(borrowed)


def test_f5_restarts_the_vendor_daemon_after_showing_both_commands(tmp_path, sim_server):
    log = Path(sim_server.debug_log)
    return_borrowed_seats(sim_server)

    async def test(app, pilot, editor):
        await pilot.press("f5")
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        spec = sim_server.license
        assert dialog.commands == [
            f"{sim_server.lmutil} lmdown -c {spec} -vendor adskflex -q",
            f"{sim_server.lmutil} lmreread -c {spec} -vendor adskflex"]
        await pilot.press("y")
        await settle(app, pilot)
        status = str(editor.query_one("#status").render())
        assert "Vendor daemon adskflex shut down" in status
        assert "lmreread successful" in status and "restarted" in status
        entries = app.audit.entries()
        assert [(e["action"], e["outcome"]) for e in entries] == [("restart", "ok")] * 2
        assert entries[0]["command"][1] == "lmdown" and entries[1]["command"][1] == "lmreread"
        assert "EXITING DUE TO SIGNAL 15" in log.read_text()  # it really went down
        await poll_live(app, pilot)  # and lmstat shows it up again
        vendors = app.data.states["office"].status.vendors
        assert [(v.name, v.status) for v in vendors] == [("adskflex", "up")]

    run(tmp_path, sim_server, test)


def test_read_only_mode_refuses_to_restart(tmp_path, sim_server):
    log = Path(sim_server.debug_log)
    before = log.read_text()

    async def test(app, pilot, editor):
        keys = {b.binding.action for b in editor.active_bindings.values()}
        assert "restart" not in keys
        await pilot.press("f5")
        editor.action_restart()
        await settle(app, pilot)
        assert app.screen is editor and app.audit.entries() == []
        assert log.read_text() == before

    run(tmp_path, sim_server, test, read_only=True)


def test_a_restart_lmdown_refuses_runs_no_lmreread_and_offers_to_force(tmp_path, sim_server):
    async def test(app, pilot, editor):
        await poll_live(app, pilot)
        await pilot.press("f5")
        assert any("are borrowed: lmdown will refuse (-120)" in line
                   for line in app.screen.details)  # said before anything runs
        status = app.data.states["office"].status
        in_use = sum(f.in_use or 0 for f in status.features if f.vendor in (None, "adskflex"))
        assert in_use > 0
        assert app.screen.details[0].startswith(f"{in_use} seats in use are dropped")
        await pilot.press("y")
        await settle(app, pilot)
        status = str(editor.query_one("#status").render())
        assert "licenses are borrowed" in status and "not restarted" in status
        entries = app.audit.entries()
        assert [(e["command"][1], e["outcome"]) for e in entries] == [("lmdown", "failed")]
        force = app.screen  # the refusal is followed by the question whether to force it
        assert isinstance(force, ConfirmScreen) and "Seats are borrowed" in force.question
        assert force.commands[0].endswith("lmdown -c " + sim_server.license
                                          + " -vendor adskflex -q -force")
        await pilot.press("n")
        await settle(app, pilot)
        assert len(app.audit.entries()) == 1  # declined: nothing more ran
        await poll_live(app, pilot)
        vendors = app.data.states["office"].status.vendors
        assert [(v.name, v.status) for v in vendors] == [("adskflex", "up")]

    run(tmp_path, sim_server, test)


def test_a_forced_restart_goes_through_although_seats_are_borrowed(tmp_path, sim_server):
    async def test(app, pilot, editor):
        await pilot.press("f5", "y")
        await settle(app, pilot)
        await pilot.press("y")  # force it
        await settle(app, pilot)
        status = str(editor.query_one("#status").render())
        assert "restarted" in status, status
        entries = app.audit.entries()
        assert [(e["command"][1], "-force" in e["command"], e["outcome"]) for e in entries] == [
            ("lmdown", False, "failed"), ("lmdown", True, "ok"), ("lmreread", False, "ok")]
        await poll_live(app, pilot)
        vendors = app.data.states["office"].status.vendors
        assert [(v.name, v.status) for v in vendors] == [("adskflex", "up")]

    run(tmp_path, sim_server, test)


def test_with_a_start_command_the_whole_licence_server_is_restarted(tmp_path, sim_server):
    import dataclasses
    import sys

    directory = str(Path(sim_server.license).parent)
    start = (sys.executable, "-m", "lmconsole.adapters.flexlm.sim", "start", directory)
    config = dataclasses.replace(sim_server, start_command=start)
    return_borrowed_seats(sim_server)

    async def test(app, pilot, editor):
        await pilot.press("f5")
        dialog = app.screen
        assert "Restart the licence server on office?" in dialog.question
        assert dialog.commands == [f"{sim_server.lmutil} lmdown -c {sim_server.license} -q",
                                   " ".join(start)]
        await pilot.press("y")
        await settle(app, pilot)
        status = str(editor.query_one("#status").render())
        assert "restarted" in status, status
        log = Path(sim_server.debug_log).read_text()
        assert "lmgrd will now shut down all the vendor daemons" in log
        await poll_live(app, pilot)
        assert app.data.states["office"].status.status == "up"

    run(tmp_path, config, test)


# ---- a change on disk while editing (local files) -------------------------------------------

async def status_within(pilot, editor: EditorScreen, text: str, seconds: float) -> str:
    """The status line once it shows `text`, waiting at most `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        status = str(editor.query_one("#status").render())
        if text in status or loop.time() > deadline:
            return status
        await pilot.pause(0.1)


def test_a_change_on_disk_while_editing_is_shown_at_once(tmp_path, sim_server):
    path = Path(sim_server.options_file)

    async def test(app, pilot, editor):
        await type_at_end(pilot, editor, "# mine\n")
        assert "changed on disk" not in str(editor.query_one("#status").render())
        path.write_text(path.read_text() + "# changed by a colleague\n")
        status = await status_within(pilot, editor, "changed on disk", 5.0)
        assert f"{path} changed on disk since you opened it: saving will be refused; " \
               "reopen to see it" in status
        await pilot.press("ctrl+s", "y")  # and so it is
        await settle(app, pilot)
        status = str(editor.query_one("#status").render())
        assert "changed on disk" in status and "changed on the server" in status
        assert path.read_text().endswith("# changed by a colleague\n")

    run(tmp_path, sim_server, test)


def test_our_own_save_is_not_taken_for_a_change_on_disk(tmp_path, sim_server):
    path = Path(sim_server.options_file)

    async def test(app, pilot, editor):
        await pilot.pause(0.5)
        await type_at_end(pilot, editor, "# mine\n")
        await pilot.press("ctrl+s", "y")
        await settle(app, pilot)
        await pilot.press("n")  # no lmreread
        assert path.read_text().endswith("# mine\n")
        status = await status_within(pilot, editor, "changed on disk", 1.5)
        assert "changed on disk" not in status
        watchers = [w for w in app.workers if w.group == "editor-watch"]
        assert [w.is_running for w in watchers] == [True]
        await pilot.press("escape")  # closing the editor stops the watcher
        await pilot.pause(0.3)
        assert not any(w.is_running for w in app.workers if w.group == "editor-watch")

    run(tmp_path, sim_server, test)


# ---- completion ----------------------------------------------------------------------------

def test_ctrl_space_offers_the_words_that_fit_and_enter_takes_one(tmp_path, sim_server):
    async def test(app, pilot, editor):
        await poll_live(app, pilot)
        users = sorted({c.user for f in app.data.states["office"].status.features
                        for c in f.checkouts})
        await type_at_end(pilot, editor, "EXCLUDE Re")
        await pilot.press("ctrl+space")  # one feature fits: taken at once
        area = editor.area
        assert area.document.get_line(area.cursor_location[0]) == "EXCLUDE Revit"
        await pilot.press("space", "U", "right")  # the suggestion shown after "U" is taken
        assert area.document.get_line(area.cursor_location[0]) == "EXCLUDE Revit USER"
        await pilot.press("space", "ctrl+space")
        menu = editor.query_one(CompletionMenu)
        assert menu.display and menu.has_focus
        assert [c.text for c in menu.items] == sorted(users, key=str.casefold)
        await pilot.press("down", "enter")
        assert area.has_focus and not menu.display
        line = area.document.get_line(area.cursor_location[0])
        assert line == f"EXCLUDE Revit USER {menu.items[1].text}"
        await analysed(pilot, editor)
        assert problems(editor) == []  # a valid line, names as the server knows them

    run(tmp_path, sim_server, test)


def test_escape_closes_the_completions_without_changing_the_text(tmp_path, sim_server):
    async def test(app, pilot, editor):
        await type_at_end(pilot, editor, "INCLUDE")
        await pilot.press("ctrl+space")
        menu = editor.query_one(CompletionMenu)
        assert menu.display and {c.text for c in menu.items} >= {"INCLUDEALL", "INCLUDE_BORROW"}
        await pilot.press("escape")
        assert not menu.display and editor.area.has_focus
        assert app.screen is editor  # Esc closed the menu, not the editor
        assert editor.area.text.endswith("INCLUDE")

    run(tmp_path, sim_server, test)


# ---- the licence file ----------------------------------------------------------------------

def test_the_licence_file_saves_a_new_host_name_and_refuses_a_signed_change(tmp_path,
                                                                            sim_server):
    path = Path(sim_server.license_file)
    before = path.read_text()

    async def test(app, pilot, editor):
        assert editor.path == sim_server.license_file and editor.kind == "license"
        area = editor.area
        row = next(i for i, line in enumerate(before.splitlines())
                   if line.startswith("SERVER"))
        area.cursor_location = (row, len("SERVER arch-lic01"))
        await pilot.press("backspace", "backspace", "2")  # arch-lic01 -> arch-lic2
        sign = next(i for i, line in enumerate(before.splitlines()) if "SIGN=" in line)
        area.cursor_location = (sign, area.document.get_line(sign).index("SIGN=") + 6)
        await pilot.press("x")  # inside the vendor's signature of AutoCAD
        await analysed(pilot, editor)
        assert any("LIC018" in p and "INCREMENT AutoCAD" in p for p in problems(editor))
        await pilot.press("ctrl+s")
        assert app.screen is editor  # not even offered
        assert "cannot be saved" in str(editor.query_one("#status").render())
        assert path.read_text() == before and app.audit.entries() == []
        start = area.document.get_line(sign).index("SIGN=")
        assert area.cursor_location == (sign, start)  # taken to the refused change
        area.cursor_location = (sign, start + 7)
        await pilot.press("backspace")  # the signature as issued again
        await analysed(pilot, editor)
        assert not any("LIC018" in p for p in problems(editor))
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, DiffConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        assert path.read_text() == before.replace("SERVER arch-lic01", "SERVER arch-lic2")
        assert len(list(path.parent.glob("license.lic.*Z.bak"))) == 1
        entry = app.audit.entries()[-1]
        assert entry["action"] == "save-license" and entry["outcome"] == "ok"
        # a SERVER line is read when the daemons start: the restart is offered, not lmreread
        assert [e["action"] for e in app.audit.entries()] == ["save-license"]
        assert isinstance(app.screen, ConfirmScreen) and "Restart" in app.screen.question
        assert "a SERVER line changed: lmreread does not apply" in \
            str(editor.query_one("#status").render())

    run(tmp_path, sim_server, test, key="L")
