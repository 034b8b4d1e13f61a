"""`E` on a server with several vendor daemons: the demo's engineering triad (ugslmd, ansyslmd,
MLM, each with its own options file) asks whose file to edit, opens the one chosen, checks and
completes it against that daemon's features, and re-reads that daemon after a save."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from textual.widgets import OptionList

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.flexlm.sim import create_state_dir
from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.app import ConsoleServer, LMConsoleApp, demo_servers
from lmconsole.audit import AuditLog
from lmconsole.config import ServerConfig
from lmconsole.screens.daemon_choice import DaemonChoiceScreen
from lmconsole.screens.dialogs import ConfirmScreen
from lmconsole.screens.editor import EditorScreen
from lmconsole.screens.editor_dialogs import DiffConfirmScreen
from lmconsole.screens.overview import OverviewScreen

from .clocks import at_scenario_start
from .pilot_wait import analysed, until
from .test_ui_data import fill


def demo_app(tmp_path: Path) -> LMConsoleApp:
    """The demo servers on manual clocks, their files under tmp_path, no monitor: tests post
    each server's state (fill)."""
    return LMConsoleApp(demo_servers(None, files=tmp_path), monitor=False,
                        audit=AuditLog(tmp_path / "audit.log", user=lambda: "tester"))


async def on_engineering(app, pilot) -> None:
    await fill(app, pilot, events=False)
    app.screen.table.select_key("engineering")
    await pilot.pause()


async def editor_opened(app, pilot) -> EditorScreen:
    await until(pilot, lambda: isinstance(app.screen, EditorScreen)
                and app.screen.draft is not None, "the editor, its file loaded")
    return app.screen


def problems(editor: EditorScreen) -> list[str]:
    box = editor.query_one("#problems", OptionList)
    return [str(box.get_option_at_index(i).prompt) for i in range(box.option_count)]


async def completions_at_end(pilot, editor: EditorScreen, typed: str) -> list[str]:
    area = editor.area
    area.cursor_location = area.document.end
    await pilot.press(*[{" ": "space", "\n": "enter"}.get(c, c) for c in typed])
    found = area.completions()
    return [c.text for c in found.items]


def test_e_asks_whose_options_file_and_opens_the_one_chosen(tmp_path):
    async def scenario():
        app = demo_app(tmp_path)
        files = tmp_path / "engineering"
        async with app.run_test(size=(120, 40)) as pilot:
            await on_engineering(app, pilot)
            await pilot.press("E")
            await until(pilot, lambda: isinstance(app.screen, DaemonChoiceScreen), "the question")
            dialog = app.screen
            assert [(f.vendor, f.path) for f in dialog.files] == [
                ("ugslmd", str(files / "ugslmd.opt")), ("ansyslmd", str(files / "ansyslmd.opt")),
                ("MLM", str(files / "MLM.opt"))]
            await pilot.press("2")
            editor = await editor_opened(app, pilot)
            assert editor.path == str(files / "ansyslmd.opt")
            assert editor.area.text == (files / "ansyslmd.opt").read_text()
            title = str(editor.query_one("#title").render())
            assert title.startswith(f"engineering (ansyslmd): {files / 'ansyslmd.opt'}")
            assert "options_files in the configuration" in str(
                editor.query_one("#status").render())

            # Completion offers the Ansys daemon's features only.
            offered = await completions_at_end(pilot, editor, "\nRESERVE 1 ")
            assert offered == ["ANSYS_CFD", "ANSYS_HPC", "ANSYS_Mechanical", "LSDYNA"]
            # A Siemens feature here is an error naming the daemon that serves it.
            await pilot.press(*"NX_CAD", "space", *"USER", "space", *"bob")
            await analysed(pilot, editor)
            assert any("OPT031" in p and "'NX_CAD' is served by ugslmd, not by ansyslmd" in p
                       for p in problems(editor)), problems(editor)
            editor.area.replace("RESERVE 1 ANSYS_CFD USER bob", (editor.area.document.end[0], 0),
                                editor.area.document.end)
            await analysed(pilot, editor)
            assert not any("OPT031" in p for p in problems(editor))

            # Saved, it is that daemon that re-reads.
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, DiffConfirmScreen), "the diff")
            await pilot.press("y")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen)
                        and "re-read" in app.screen.question, "the lmreread question")
            assert app.screen.commands[-1].endswith("lmreread -vendor ansyslmd")
            await pilot.press("y")
            await until(pilot, lambda: "confirms the re-read (ansyslmd)" in str(
                editor.query_one("#status").render()), "the confirmation from the log")
        assert (files / "ansyslmd.opt").read_text().endswith("RESERVE 1 ANSYS_CFD USER bob")
        assert "ANSYS_CFD" not in (files / "ugslmd.opt").read_text()

    asyncio.run(scenario())


def test_escape_cancels_the_question(tmp_path):
    async def scenario():
        app = demo_app(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await on_engineering(app, pilot)
            await pilot.press("E")
            await until(pilot, lambda: isinstance(app.screen, DaemonChoiceScreen), "the question")
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, OverviewScreen)
            await pilot.press("E", "down", "enter")  # Enter opens the highlighted row
            editor = await editor_opened(app, pilot)
            assert editor.path.endswith("/engineering/ansyslmd.opt")

    asyncio.run(scenario())


def test_on_a_feature_row_e_opens_its_daemons_file_directly(tmp_path):
    async def scenario():
        app = demo_app(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await fill(app, pilot, events=False)
            app.open_features("engineering")
            await pilot.pause()
            app.screen.table.select_key(("engineering", "MATLAB", 1))
            await pilot.press("E")
            editor = await editor_opened(app, pilot)
            assert editor.path.endswith("/engineering/MLM.opt")
            assert str(editor.query_one("#title").render()).startswith("engineering (MLM): ")
            await pilot.press("escape")
            app.open_seats("engineering", "NX_Nastran")
            await pilot.pause()
            await pilot.press("E")
            editor = await editor_opened(app, pilot)
            assert editor.path.endswith("/engineering/ugslmd.opt")

    asyncio.run(scenario())


def test_a_server_with_one_options_file_opens_it_without_asking(tmp_path):
    async def scenario():
        app = demo_app(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await fill(app, pilot, events=False)
            app.screen.table.select_key("office")
            await pilot.press("E")
            editor = await editor_opened(app, pilot)
            assert editor.path == str(tmp_path / "office" / "adskflex.opt")
            assert str(editor.query_one("#title").render()).startswith("office: ")

    asyncio.run(scenario())


def licence_only_app(tmp_path: Path, scenario: str) -> LMConsoleApp:
    """A simulator state directory whose server's configuration names the licence file only:
    its VENDOR lines name the options files."""
    directory = create_state_dir(tmp_path / "sim", scenario, seed=3, speed=0)
    config = ServerConfig("lic", license_file=str(directory / "license.lic"),
                          timezone="Europe/Berlin")
    server = ConsoleServer(config, ADAPTERS["flexlm"], LocalTransport(),
                           clock=at_scenario_start(scenario))
    return LMConsoleApp([server], monitor=False, audit=AuditLog(tmp_path / "audit.log"))


def test_without_configured_options_files_the_licence_vendor_lines_name_them(tmp_path):
    async def scenario():
        app = licence_only_app(tmp_path, "engineering")
        licence = tmp_path / "sim" / "license.lic"
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("E")
            await until(pilot, lambda: isinstance(app.screen, DaemonChoiceScreen), "the question")
            assert [(f.vendor, f.origin) for f in app.screen.files] == [
                ("ugslmd", f"VENDOR line 6 of {licence}"),
                ("ansyslmd", f"VENDOR line 8 of {licence}"),
                ("MLM", f"VENDOR line 9 of {licence}")]
            await pilot.press("3")
            editor = await editor_opened(app, pilot)
            assert editor.path == str(tmp_path / "sim" / "MLM.opt")
            assert f"(VENDOR line 9 of {licence})" in str(editor.query_one("#status").render())
            assert editor.server.config.vendor == "MLM"

    asyncio.run(scenario())


def test_one_vendor_line_opens_its_file_and_says_where_the_path_came_from(tmp_path):
    async def scenario():
        app = licence_only_app(tmp_path, "architecture")
        licence = tmp_path / "sim" / "license.lic"
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("E")
            editor = await editor_opened(app, pilot)
            assert editor.path == str(tmp_path / "sim" / "adskflex.opt")
            line = next(n for n, text in enumerate(licence.read_text().splitlines(), 1)
                        if text.startswith("VENDOR"))
            assert f"(VENDOR line {line} of {licence})" in str(
                editor.query_one("#status").render())
            assert str(editor.query_one("#title").render()).startswith("lic: ")

    asyncio.run(scenario())


def test_a_licence_naming_no_options_file_says_so(tmp_path):
    async def scenario():
        licence = tmp_path / "x.lic"
        licence.write_text("SERVER h ANY 27000\nVENDOR MLM port=27100\n")
        config = ServerConfig("lic", license_file=str(licence))
        server = ConsoleServer(config, ADAPTERS["flexlm"], LocalTransport())
        app = LMConsoleApp([server], monitor=False, audit=AuditLog(tmp_path / "audit.log"))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("E")
            await until(pilot, lambda: app._notifications, "a notification")
            note = next(iter(app._notifications))
            assert note.message == ("lic: no options_file or options_files in its "
                                    "configuration and its licence file's VENDOR lines name none")
            assert not isinstance(app.screen, EditorScreen)

    asyncio.run(scenario())


def daemon_choice_app(tmp_path: Path) -> LMConsoleApp:
    """The seeded demo servers, the engineering server's options files named by fixed paths
    (nothing under tmp_path in the image)."""
    from .test_ui_data import seeded_app

    app = seeded_app(tmp_path)
    engineering = app.servers["engineering"]
    files = tuple((d, f"/opt/flexnet/licenses/engineering/{d}.opt")
                  for d in ("ugslmd", "ansyslmd", "MLM"))
    app.servers["engineering"] = dataclasses.replace(
        engineering, config=dataclasses.replace(engineering.config, options_files=files))
    return app


def test_the_question_fits_80x24_with_its_buttons_in_view_however_many_daemons(tmp_path):
    async def scenario():
        for count in (3, 12):
            app = daemon_choice_app(tmp_path)
            engineering = app.servers["engineering"]
            files = tuple((f"daemon{n}", f"/opt/flexnet/licenses/a/rather/long/path/to/the/"
                                         f"options/file/of/daemon{n}.opt") for n in range(count))
            app.servers["engineering"] = dataclasses.replace(
                engineering, config=dataclasses.replace(engineering.config, options_files=files))
            async with app.run_test(size=(80, 24)) as pilot:
                await fill(app, pilot, events=False)
                app.screen.table.select_key("engineering")
                await pilot.press("E")
                await pilot.pause()
                dialog = app.screen
                assert isinstance(dialog, DaemonChoiceScreen)
                screen = dialog.region
                for button in ("#open", "#cancel"):
                    region = dialog.query_one(button).region
                    assert screen.contains_region(region), (count, button, region)
                await pilot.press("end", "enter")
                await until(pilot, lambda app=app: isinstance(app.screen, EditorScreen),
                            "the editor")
                assert app.screen.path.endswith(f"daemon{count - 1}.opt")

    asyncio.run(scenario())
