"""The app skeleton: the monitor in the app's loop, messages, the header, pausing."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import UTC

from rich.console import Console
from textual.worker import WorkerState

from lmconsole.app import (
    EventArrived,
    FollowFailed,
    LMConsoleApp,
    LogDiagnosed,
    StateArrived,
    demo_servers,
)
from lmconsole.model import Diagnostic
from lmconsole.monitor import ServerState
from lmconsole.screens.dialogs import NotesScreen, notes_table
from lmconsole.screens.header import ServerHeader
from lmconsole.screens.overview import OverviewScreen

from .test_ui_data import events_for, fill, seeded_app, state_of


def header_text(app: LMConsoleApp) -> str:
    return str(app.screen.query_one(ServerHeader).render())


def test_header_shows_each_server_connecting_before_the_first_poll(tmp_path):
    async def scenario():
        app = seeded_app(tmp_path)
        async with app.run_test() as pilot:
            await pilot.pause()
            assert isinstance(app.screen, OverviewScreen)
            text = header_text(app)
            assert "engineering connecting…" in text and "office connecting…" in text

    asyncio.run(scenario())


def test_states_arrive_as_messages_and_fill_the_header_and_the_overview(tmp_path):
    async def scenario():
        app = seeded_app(tmp_path)
        async with app.run_test() as pilot:
            await fill(app, pilot, events=False)
            assert "engineering up" in header_text(app) and "office up" in header_text(app)
            rows = app.screen.table.rows
            assert set(rows) == {"engineering", "office"}
            assert app.screen.table.cell("engineering", "status") == "up"

    asyncio.run(scenario())


def test_a_stale_server_shows_the_age_of_its_last_good_data(tmp_path):
    async def scenario():
        app = seeded_app(tmp_path)
        async with app.run_test() as pilot:
            office = app.servers["office"]
            good = state_of(office, polled_ago_s=150)
            app.post_message(StateArrived(good))
            app.post_message(StateArrived(replace(good, error="lmstat timed out", stale=True)))
            await pilot.pause()
            assert "office stale 2m" in header_text(app)
            table = app.screen.table
            assert table.cell("office", "status") == "stale 2m"
            assert table.rows["office"].style == "warn"

    asyncio.run(scenario())


def test_an_unreachable_server_without_any_data(tmp_path):
    async def scenario():
        app = seeded_app(tmp_path)
        async with app.run_test() as pilot:
            app.post_message(StateArrived(ServerState("office", None, None,
                                                      error="connection refused")))
            await pilot.pause()
            assert "office unreachable (connection refused)" in header_text(app)
            row = app.screen.table.rows["office"]
            assert row.style == "bad" and row.values[1] == "unreachable"
            problems = str(app.screen.query_one("#problems").render())
            assert "office unreachable, no data yet: connection refused" in problems

    asyncio.run(scenario())


def test_pause_freezes_the_tables_but_not_the_header(tmp_path):
    async def scenario():
        app = seeded_app(tmp_path)
        async with app.run_test() as pilot:
            await fill(app, pilot, events=False)
            await pilot.press("p")
            assert app.paused and "PAUSED" in header_text(app)
            office = app.servers["office"]
            stale = replace(state_of(office, polled_ago_s=600), error="down", stale=True)
            app.post_message(StateArrived(stale))
            await pilot.pause()
            assert "office stale 10m" in header_text(app)  # the header goes on
            assert app.screen.table.cell("office", "status") == "up"  # the table does not
            assert app.data.states["office"].stale  # and the data is still recorded
            await pilot.press("p")
            assert not app.paused and "PAUSED" not in header_text(app)
            assert app.screen.table.cell("office", "status") == "stale 10m"

    asyncio.run(scenario())


def test_events_are_kept_and_a_failed_log_follow_is_shown(tmp_path):
    async def scenario():
        app = seeded_app(tmp_path)
        async with app.run_test() as pilot:
            await fill(app, pilot)
            assert len(app.data.events) == 10 and len(app.data.denials) == 6
            app.post_message(FollowFailed("office", "debug.log: permission denied"))
            await pilot.pause()
            assert "office up no events" in header_text(app)
            # the next event from that server shows its log is readable again
            app.post_message(EventArrived(events_for(list(app.servers.values()))[0]))
            await pilot.pause()
            assert "no events" not in header_text(app)

    asyncio.run(scenario())


def test_notes_are_counted_in_the_header_and_listed_by_the_exclamation_mark(tmp_path):
    multiple = Diagnostic(6, "a second snpslmd is serving (another lmgrd, or one left running "
                          "by a killed lmgrd), so the new one exited: stop the other copy, "
                          "then run lmreread",
                          '10:27:11 (lmgrd) MULTIPLE "snpslmd" license server systems running',
                          "office")

    async def scenario():
        app = seeded_app(tmp_path)
        async with app.run_test(size=(120, 30)) as pilot:
            await fill(app, pilot, events=False)
            assert "⚠" not in header_text(app)
            office = app.data.states["office"]
            unread = Diagnostic(12, "unrecognised line", "Users of X: (odd)", "office")
            app.post_message(StateArrived(replace(office, diagnostics=(unread,))))
            app.post_message(LogDiagnosed(multiple))
            await pilot.pause()
            assert "office up ⚠2" in header_text(app)
            await pilot.press("!")
            notes = app.screen
            assert isinstance(notes, NotesScreen)
            assert [(server, source, d.line) for server, source, d in notes.notes] == [
                ("office", "status", 12), ("office", "debug log", 6)]
            console = Console(width=110, record=True, file=io.StringIO())
            console.print(notes_table(notes.notes))
            shown = console.export_text()
            assert "a second snpslmd is serving" in shown and "Users of X: (odd)" in shown
            await pilot.press("escape")
            assert isinstance(app.screen, OverviewScreen)

    asyncio.run(scenario())


def test_the_monitor_runs_in_the_app_and_polls_the_simulated_servers():
    """End to end: workers poll lmstat through the simulator transport and follow its log."""
    async def scenario():
        servers = demo_servers(None)  # manual clocks: nothing moves unless told
        app = LMConsoleApp(servers, poll_interval_s=0.2)
        async with app.run_test() as pilot:
            for _ in range(50):
                await asyncio.sleep(0.05)
                if all(s.status for s in app.data.states.values()):
                    break
            assert all(not s.stale and s.status for s in app.data.states.values())
            names = sorted(w.name for w in app.workers if w.group == "monitor")
            logs = ("engineering", "office", "studio-flexlm", "studio-lmx", "studio-rlm",
                    "studio-rms")  # every server's but DSLS's, whose logs are not read
            assert names == sorted([f"follow:{name}" for name in logs] + [
                f"poll:{name}" for name in (*logs, "studio-dsls")])
            for server in servers:
                server.transport.server.advance(900)  # a quarter of an hour of work
            for _ in range(50):
                await asyncio.sleep(0.05)
                if app.data.denials:
                    break
            await pilot.pause()
            if app.data.follow_errors:  # the debug-log reader is not there yet
                assert all("events unavailable" in e for e in app.data.follow_errors.values())
            else:
                assert app.data.events, "the debug logs were followed"
                assert {e.event.server for e in app.data.events} <= {
                    "engineering", "office", "studio-flexlm", "studio-lmx", "studio-rlm",
                    "studio-rms"}
            polled = app.data.states["office"].polled_at
            assert polled.tzinfo is not None and polled.year == 2026  # the server's own clock
            loops = [w for w in app.workers if w.group == "monitor"]
        for _ in range(20):  # a loop cancelled in the middle of a wait ends a moment later
            if all(w.state is WorkerState.CANCELLED for w in loops):
                break
            await asyncio.sleep(0.01)
        assert {w.state for w in loops} == {WorkerState.CANCELLED}  # stopped with the app

    asyncio.run(scenario())


def test_the_clock_of_a_simulated_server_is_its_own():
    servers = demo_servers(None)
    office = next(s for s in servers if s.name == "office")
    assert office.clock() == office.transport.server.now.astimezone(UTC)


def test_screens_never_import_an_adapter_and_the_audit_log_never_imports_textual():
    """DESIGN.md: screens and adapters both depend on the core; only the entry points wire
    them together. The audit log is written from headless paths too."""
    import subprocess
    import sys

    code = (
        "import sys, pkgutil, importlib, lmconsole.screens\n"
        "for module in pkgutil.iter_modules(lmconsole.screens.__path__):\n"
        "    importlib.import_module('lmconsole.screens.' + module.name)\n"
        "bad = [m for m in sys.modules if m.startswith('lmconsole.adapters')]\n"
        "assert not bad, bad\n"
        "for m in [m for m in sys.modules if m.startswith('textual')]:\n"
        "    del sys.modules[m]\n"
        "import lmconsole.audit\n"
        "assert 'textual' not in sys.modules\n"
        "print('clean')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.stdout.decode().strip() == "clean", result.stderr.decode()


def test_no_screen_nor_the_edit_module_imports_an_adapter_even_lazily():
    """Not even inside a function: what a file means comes from the adapter's FileLanguage,
    passed in by the app."""
    import ast
    from pathlib import Path

    import lmconsole.edit
    import lmconsole.screens

    sources = [*Path(lmconsole.screens.__path__[0]).glob("*.py"), Path(lmconsole.edit.__file__)]
    offenders = []
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{source.name}:{node.lineno}" for n in names
                          if n.startswith("lmconsole.adapters")]
    assert len(sources) > 10 and not offenders, offenders


class BrokenTransport:
    """lmstat crashes in a way the monitor does not expect; the debug log cannot be read."""

    closed = False

    async def close(self):
        self.closed = True

    async def run(self, argv, *, timeout):
        raise RuntimeError("lmutil segfaulted")

    async def follow(self, path):
        raise OSError("debug.log: permission denied")
        yield ""  # pragma: no cover  (makes this an async generator)


class ReaderlessAdapter:
    """An adapter whose debug-log reader cannot be loaded."""

    kind = "none"

    def status_argv(self, server):
        return ["lmutil", "lmstat", "-a"]

    def event_reader(self, *, tz, server):
        raise ImportError("no debug-log reader for this licence manager")

    def denial_words(self, code, reason):
        return reason or "denied"


def test_a_crashed_monitor_loop_is_shown_in_the_header_and_connections_close_on_exit(
        tmp_path):
    from lmconsole.app import ConsoleServer
    from lmconsole.audit import AuditLog

    from .test_ui_data import seeded_servers

    async def scenario():
        demo = seeded_servers()[1].config  # office: it has a debug log
        transport = BrokenTransport()
        server = ConsoleServer(demo, ReaderlessAdapter(), transport)
        app = LMConsoleApp([server], poll_interval_s=3600, audit=AuditLog(tmp_path / "a.log"))
        async with app.run_test() as pilot:
            for _ in range(40):
                await asyncio.sleep(0.05)
                if app.data.states["office"].error and app.data.follow_errors:
                    break
            await pilot.pause()
            assert "lmutil segfaulted" in app.data.states["office"].error
            assert "office unreachable" in header_text(app)
            assert "events unavailable" in app.data.follow_errors["office"]
            assert "no events" in header_text(app)
        assert transport.closed  # connections are closed when the console ends

    asyncio.run(scenario())


def test_in_the_demo_an_options_file_is_edited_reread_and_enforced(tmp_path):
    """The demo runs all of it: `E` on the office, an EXCLUDE saved (with its backup),
    lmreread confirmed from the simulator's log, and the simulator then denies that user."""
    from lmconsole.audit import AuditLog
    from lmconsole.screens.dialogs import ConfirmScreen
    from lmconsole.screens.editor import EditorScreen
    from lmconsole.screens.editor_dialogs import DiffConfirmScreen

    from .pilot_wait import until

    async def scenario():
        servers = demo_servers(None, files=tmp_path)
        office = next(s for s in servers if s.name == "office")
        options = tmp_path / "office" / "adskflex.opt"
        assert office.config.options_file == str(options) and options.is_file()
        app = LMConsoleApp(servers, monitor=False, audit=AuditLog(tmp_path / "audit.log"))
        async with app.run_test(size=(120, 40)) as pilot:
            app.edit_file("office", "options")
            await until(pilot, lambda: isinstance(app.screen, EditorScreen)
                        and app.screen.draft is not None, "the editor")
            editor = app.screen
            editor.area.insert("EXCLUDE AutoCAD USER ehuber\n", editor.area.document.end)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, DiffConfirmScreen), "the diff")
            await pilot.press("y")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen)
                        and "re-read" in app.screen.question, "the lmreread question")
            await pilot.press("y")
            await until(pilot, lambda: "confirms the re-read" in str(
                editor.query_one("#status").render()), "the confirmation from the log")
        assert options.read_text().endswith("EXCLUDE AutoCAD USER ehuber\n")
        assert len(list(options.parent.glob("adskflex.opt.*.bak"))) == 1
        outcome = office.transport.server.checkout("ehuber", "ws-ehuber", "AutoCAD")
        assert outcome.kind == "denied" and outcome.error.code == -38, outcome

    asyncio.run(scenario())


def test_a_failed_server_says_when_it_is_tried_again():
    from lmconsole.screens.problems import retry_text

    failed = ServerState("office", None, None, error="connection refused", retry_at=112.4)
    assert retry_text(failed, monotonic=lambda: 100.0) == "reconnecting in 12 s"
    assert retry_text(failed, monotonic=lambda: 112.3) == "reconnecting now"
    assert retry_text(replace(failed, error=None), monotonic=lambda: 100.0) == ""
