"""Snapshots of every view at 80x24 and 120x40 (pytest-textual-snapshot), stored as SVG
under snapshots/ at the top of the repository. Seeded simulators, frozen clocks, a fixed
event stream: nothing in them depends on the wall clock.

Update after a deliberate change with `pytest tests/test_ui_snapshots.py --snapshot-update`,
then look at every changed SVG before keeping it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_textual_snapshot

from lmconsole.model import Event, EventKind

from .clocks import at_scenario_start
from .test_ui_data import BERLIN, fill, seeded_app

SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots"


class RepositorySnapshots(pytest_textual_snapshot.SVGImageExtension):
    """The plugin's SVG extension, storing in snapshots/<test module>/ instead of
    tests/__snapshots__/."""

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(SNAPSHOTS / test_location.basename)


@pytest.fixture(autouse=True)
def snapshots_in_the_repository(monkeypatch):
    monkeypatch.setattr(pytest_textual_snapshot, "SVGImageExtension", RepositorySnapshots)


def newest_denial(app) -> Event:
    office = app.servers["office"].clock()
    return Event(office.astimezone(BERLIN), EventKind.DENIED, "adskflex", "AutoCAD", "ehuber",
                 "ARCH-PC05", 1, "Licensed number of users already reached.", "-4,342",
                 "office")


async def to_overview(app, pilot) -> None:
    pass


async def to_features(app, pilot) -> None:
    app.open_features("engineering")


async def to_all_features(app, pilot) -> None:
    await pilot.press("f")


async def to_seats(app, pilot) -> None:
    app.open_seats("engineering", "NX_Nastran")


async def to_denials(app, pilot) -> None:
    from lmconsole.app import EventArrived

    await pilot.press("d")
    app.highlight_s = 3600.0  # the one that arrives now is highlighted, the others are not
    app.post_message(EventArrived(newest_denial(app)))


async def to_events(app, pilot) -> None:
    await pilot.press("e")


VIEWS = {"overview": to_overview, "features": to_features, "all_features": to_all_features,
         "seats": to_seats, "denials": to_denials, "events": to_events}


def prepared(tmp_path, go, **options):
    app = seeded_app(tmp_path, **options)

    async def run_before(pilot) -> None:
        await fill(app, pilot)
        await go(app, pilot)
        await pilot.pause()

    return app, run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_view(view, size, snap_compare, tmp_path):
    app, run_before = prepared(tmp_path, VIEWS[view])
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_help(snap_compare, tmp_path):
    app, run_before = prepared(tmp_path, to_seats)
    assert snap_compare(app, press=["question_mark"], terminal_size=(80, 24),
                        run_before=run_before)


def test_confirm_lmremove(snap_compare, tmp_path):
    app, run_before = prepared(tmp_path, to_seats)
    assert snap_compare(app, press=["x"], terminal_size=(80, 24), run_before=run_before)


async def with_notes(app, pilot) -> None:
    """A status line the parser did not understand and lmgrd's warning of a second daemon."""
    from dataclasses import replace

    from lmconsole.app import LogDiagnosed, StateArrived
    from lmconsole.model import Diagnostic

    office = app.data.states["office"]
    unread = Diagnostic(12, "unrecognised line", "  Users of AutoCAD: (Total of 15 licences)",
                        "office")
    app.post_message(StateArrived(replace(office, diagnostics=(unread,))))
    app.post_message(LogDiagnosed(Diagnostic(
        6, "a second adskflex is serving (another lmgrd, or one left running by a killed "
        "lmgrd), so the new one exited: stop the other copy, then run lmreread",
        '10:27:11 (lmgrd) MULTIPLE "adskflex" license server systems running', "office")))


def test_notes(snap_compare, tmp_path):
    """`!` lists what the parsers did not understand or warn of; the header counts it."""
    app, run_before = prepared(tmp_path, with_notes)
    assert snap_compare(app, press=["exclamation_mark"], terminal_size=(100, 24),
                        run_before=run_before)


@pytest.mark.parametrize("theme", ["lmconsole-light", "lmconsole-high-contrast"])
def test_theme(theme, snap_compare, tmp_path):
    app, run_before = prepared(tmp_path, to_seats, theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def editor_app(tmp_path, monkeypatch):
    """The console on a simulator's state directory, its files named by relative paths
    (to keep tmp_path out of the image), on the stopped simulator's clock (to keep today's
    date out of the licence checks)."""
    from lmconsole.adapters import ADAPTERS
    from lmconsole.adapters.flexlm.sim import create_state_dir
    from lmconsole.adapters.transports.local import LocalTransport
    from lmconsole.app import ConsoleServer, LMConsoleApp
    from lmconsole.audit import AuditLog
    from lmconsole.config import ServerConfig

    directory = create_state_dir(tmp_path / "sim", "architecture", seed=3, speed=0)
    monkeypatch.chdir(directory)
    licence = directory / "license.lic"
    licence.write_text(licence.read_text().replace(str(directory) + "/", ""))
    config = ServerConfig("office", options_file="adskflex.opt", license_file="license.lic",
                          vendor="adskflex")
    server = ConsoleServer(config, ADAPTERS["flexlm"], LocalTransport(),
                           clock=at_scenario_start("architecture"))
    app = LMConsoleApp([server], monitor=False, audit=AuditLog(tmp_path / "audit.log"))
    return app, directory


async def open_editor(app, pilot, key: str):
    from lmconsole.screens.editor import EditorScreen

    await pilot.press(key)
    others = [w for w in app.workers if w.group != "editor-watch"]
    if others:  # not the file watcher, which runs until the editor closes
        await app.workers.wait_for_complete(others)
    editor = app.screen
    assert isinstance(editor, EditorScreen)
    editor.area.cursor_blink = False
    return editor


def test_options_editor_with_diagnostics(snap_compare, tmp_path, monkeypatch):
    """The editor on a simulator's options file with three bad lines: highlighting, the
    marked tokens and the list of problems."""
    app, directory = editor_app(tmp_path, monkeypatch)
    options = directory / "adskflex.opt"
    options.write_text(options.read_text() + "INCLUDE AutoKAD USER ehuber\n"
                       "MAX two AutoCAD USER ehuber\nEXCLUDE Revit GROUP nobody\n")

    async def run_before(pilot) -> None:
        editor = await open_editor(app, pilot, "E")
        editor.area.cursor_location = (9, 0)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_options_editor_completing_a_group(snap_compare, tmp_path, monkeypatch):
    """ctrl+space after GROUP on a MAX line: the groups the file defines and ALL_GROUPS, in a
    menu at the cursor, over the text."""
    app, _ = editor_app(tmp_path, monkeypatch)

    async def run_before(pilot) -> None:
        editor = await open_editor(app, pilot, "E")
        editor.area.cursor_location = editor.area.document.end
        await pilot.press(*[{" ": "space"}.get(c, c) for c in "MAX 1 AutoCAD GROUP "])
        await pilot.press("ctrl+space")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_licence_editor_refusing_a_signed_change(snap_compare, tmp_path, monkeypatch):
    """The licence file: signed fields dimmed, the host name changed (allowed), a seat count
    changed (refused, LIC018)."""
    app, directory = editor_app(tmp_path, monkeypatch)

    async def run_before(pilot) -> None:
        editor = await open_editor(app, pilot, "L")
        area = editor.area
        text = area.text.replace("SERVER arch-lic01", "SERVER arch-lic02").replace(
            "31-dec-2026 3 ", "31-dec-2026 5 ")
        area.load_text(text)
        area.cursor_location = (1, 0)
        editor.analyse()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


async def with_failures(app, pilot) -> None:
    """engineering's lmgrd stopped (its last data kept, stale); office's debug log missing
    now, after a rotation that lost lines."""
    from dataclasses import replace
    from datetime import timedelta

    from lmconsole.app import FollowFailed, GapFound, StateArrived
    from lmconsole.monitor import LogGap

    engineering = app.data.states["engineering"]
    app.post_message(StateArrived(replace(
        engineering, stale=True, polled_at=engineering.polled_at - timedelta(minutes=3),
        error='Cannot connect to license server system (-15,570:115 "Operation now in '
              'progress")')))
    office = app.servers["office"].clock()
    app.post_message(GapFound(LogGap("office", office - timedelta(minutes=42),
                                     office - timedelta(minutes=40),
                                     "the log was rotated and its old file is gone")))
    app.post_message(FollowFailed("office", "/var/log/flexlm/adskflex.log: lic-arch: cannot "
                                            "follow: No such file or directory"))


@pytest.mark.parametrize("view", ["overview", "features", "denials"])
def test_failures_say_why(view, snap_compare, tmp_path):
    """The header, the overview, a drill-down and the denials view say what is wrong."""
    async def go(app, pilot) -> None:
        await with_failures(app, pilot)
        await pilot.pause()
        await VIEWS[view](app, pilot)

    app, run_before = prepared(tmp_path, go)
    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


def test_daemon_choice(snap_compare, tmp_path):
    """`E` on the engineering triad, which runs three vendor daemons: whose options file to
    edit, at 80x24 with the buttons in view."""
    from .test_ui_daemons import daemon_choice_app

    app = daemon_choice_app(tmp_path)

    async def run_before(pilot) -> None:
        await fill(app, pilot)
        app.screen.table.select_key("engineering")
        await pilot.pause()

    assert snap_compare(app, press=["E"], terminal_size=(80, 24), run_before=run_before)


async def until_shown(app, pilot, screen_class) -> None:
    """Wait (5 s at most) for a dialog opened by a key, which may first run a worker."""
    for _ in range(100):
        if isinstance(app.screen, screen_class):
            break
        await pilot.pause(0.05)
    assert isinstance(app.screen, screen_class)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_save_dialog_fits_with_its_buttons(size, snap_compare, tmp_path, monkeypatch):
    """ctrl+s on a draft of many changed lines: the what-if and the diff scroll, the
    question, the command and both buttons stay in view."""
    app, directory = editor_app(tmp_path, monkeypatch)

    async def run_before(pilot) -> None:
        from lmconsole.screens.editor_dialogs import DiffConfirmScreen

        editor = await open_editor(app, pilot, "E")
        area = editor.area
        area.load_text(area.text + "".join(f"EXCLUDE AutoCAD USER user{n:02}\n"
                                           for n in range(30)))
        editor.analyse()
        await pilot.press("ctrl+s")
        await until_shown(app, pilot, DiffConfirmScreen)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_backups_dialog_at_80x24(snap_compare, tmp_path, monkeypatch):
    """ctrl+b with forty backups: the list scrolls inside the dialog, which fits."""
    app, directory = editor_app(tmp_path, monkeypatch)
    options = directory / "adskflex.opt"
    for day in range(1, 41):
        (directory / f"adskflex.opt.202401{day % 28 + 1:02}T{day % 24:02}0000Z.bak").write_text(
            options.read_text() + f"# backup {day}\n")

    async def run_before(pilot) -> None:
        from lmconsole.screens.editor_dialogs import BackupsScreen

        await open_editor(app, pilot, "E")
        await pilot.press("ctrl+b")
        await until_shown(app, pilot, BackupsScreen)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_restart_dialog_at_80x24(snap_compare, tmp_path, monkeypatch):
    """f5 in the editor: what the restart runs and drops, with both buttons in view."""
    app, _ = editor_app(tmp_path, monkeypatch)

    async def run_before(pilot) -> None:
        from lmconsole.screens.dialogs import ConfirmScreen

        await open_editor(app, pilot, "E")
        await pilot.press("f5")
        await until_shown(app, pilot, ConfirmScreen)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_unknown_host_key_dialog_at_80x24(snap_compare, tmp_path):
    from lmconsole.screens.dialogs import UnknownHostScreen

    app, run_before = prepared(tmp_path, lambda app, pilot: app.push_screen(UnknownHostScreen(
        "lic-server-with-a-long-name.engineering.example.com:22", "ssh-ed25519",
        "SHA256:" + "x3Zq9" * 9)))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
