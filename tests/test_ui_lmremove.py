"""Freeing a seat: confirmation with the exact command, the run through the server's
transport, the audit log, the re-poll, and read-only mode."""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

from lmconsole.adapters import ADAPTERS
from lmconsole.app import StateArrived
from lmconsole.audit import AuditLog, audit_path, default_audit_path, redacted
from lmconsole.config import Config
from lmconsole.model import Checkout
from lmconsole.screens.dialogs import ConfirmScreen
from lmconsole.screens.seats import Seat, SeatsScreen

from .test_ui_data import fill, seeded_app, state_of


def run(tmp_path, test, **options) -> None:
    async def scenario():
        app = seeded_app(tmp_path, fresh=True, **options)
        async with app.run_test(size=(120, 40)) as pilot:
            await fill(app, pilot, events=False)
            app.open_seats("office", "AutoCAD")
            await pilot.pause()
            assert isinstance(app.screen, SeatsScreen)
            await test(app, pilot, app.screen.table)

    asyncio.run(scenario())


def held_seats(app) -> dict[int, Checkout]:
    """The AutoCAD seats the simulated office server holds right now, by handle."""
    simulator = app.servers["office"].transport.server
    status = simulator.status(UTC, name="office")
    feature = next(f for f in status.features if f.name == "AutoCAD")
    return {seat.handle: seat for seat in feature.checkouts}


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def test_x_asks_first_showing_the_exact_command_and_y_frees_the_seat(tmp_path):
    async def test(app, pilot, table):
        key = table.shown_keys[0]  # the longest held seat
        seat = table.sources[key]
        handle = seat.handle
        assert handle in held_seats(app)
        await pilot.press("x")
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert dialog.commands == [f"lmutil lmremove -c 27000@arch-lic01 -h AutoCAD "
                                   f"arch-lic01 27000 {handle}"]
        assert "AutoCAD on office" in dialog.details[0]
        await pilot.press("y")
        await settle(app, pilot)
        assert handle not in held_seats(app)  # the simulated server let it go
        (entry,) = app.audit.entries()
        assert entry["who"] == "tester" and entry["server"] == "office"
        assert entry["action"] == "lmremove" and entry["outcome"] == "ok"
        assert entry["exit_code"] == 0
        subject = entry["subject"]  # whose seat it was, not only its handle
        assert (subject["feature"], subject["user"], subject["host"], subject["display"],
                subject["handle"]) == ("AutoCAD", seat.user, seat.host, seat.display,
                                       handle)
        assert entry["command"] == ["lmutil", "lmremove", "-c", "27000@arch-lic01", "-h",
                                    "AutoCAD", "arch-lic01", "27000", str(handle)]
        assert datetime.fromisoformat(entry["when"]).tzinfo is not None
        assert app.monitor.monitors["office"].poll_now.is_set()  # polled again at once
        app.post_message(StateArrived(state_of(app.servers["office"])))
        await pilot.pause()
        assert key not in table.rows

    run(tmp_path, test)


def test_space_tags_seats_and_x_frees_all_of_them(tmp_path):
    async def test(app, pilot, table):
        first, second = table.shown_keys[:2]
        await pilot.press("space", "space")
        assert table.tagged == {first, second}
        await pilot.press("x")
        assert len(app.screen.commands) == 2
        await pilot.press("y")
        await settle(app, pilot)
        held = held_seats(app)
        assert first not in held and second not in held  # a seat's key is its handle
        assert [e["outcome"] for e in app.audit.entries()] == ["ok", "ok"]

    run(tmp_path, test)


def test_n_or_escape_cancels_and_nothing_runs(tmp_path):
    async def test(app, pilot, table):
        before = held_seats(app)
        await pilot.press("x", "n")
        await pilot.press("x", "escape")
        await pilot.press("x", "enter")  # Enter presses the focused button: Cancel
        await settle(app, pilot)
        assert isinstance(app.screen, SeatsScreen)
        assert held_seats(app).keys() == before.keys() and app.audit.entries() == []

    run(tmp_path, test)


def test_a_refused_lmremove_is_shown_and_recorded_as_failed(tmp_path):
    async def test(app, pilot, table):
        seat = table.sources[table.shown_keys[0]]
        gone = Seat("office", "AutoCAD", seat._replace(handle=999999))  # unknown to the server
        app.request_lmremove([gone])
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        (entry,) = app.audit.entries()
        assert entry["outcome"] == "failed" and entry["exit_code"] != 0
        assert "lmremove failed" in entry["output"]

    run(tmp_path, test)


def test_read_only_hides_the_key_and_refuses_the_action(tmp_path):
    async def test(app, pilot, table):
        keys = {binding.binding.action for binding in app.screen.active_bindings.values()}
        assert "free_seats" not in keys and "tag" in keys
        await pilot.press("x")
        assert isinstance(app.screen, SeatsScreen)  # no dialog
        assert [n.message for n in app._notifications] == [
            "read-only mode: seats cannot be freed"]  # the key says why, not nothing
        app.request_lmremove(app.screen.targets())
        await pilot.pause()
        assert isinstance(app.screen, SeatsScreen) and app.audit.entries() == []

    run(tmp_path, test, read_only=True)


def test_nothing_runs_when_the_audit_log_cannot_be_written(tmp_path):
    async def test(app, pilot, table):
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("")
        app.audit = AuditLog(blocker / "audit.log")
        before = held_seats(app)
        await pilot.press("x")
        assert isinstance(app.screen, SeatsScreen)  # refused before asking
        assert held_seats(app).keys() == before.keys()

    run(tmp_path, test)


def test_reservations_and_queued_requests_cannot_be_freed(tmp_path):
    async def test(app, pilot, table):
        app.open_seats("engineering", "NX_Nastran")
        await pilot.pause()
        table = app.screen.table
        queued = next(k for k in table.shown_keys if isinstance(k, tuple) and k[0] == "queued")
        table.select_key(queued)
        await pilot.press("space", "x")
        assert isinstance(app.screen, SeatsScreen) and not table.tagged

    run(tmp_path, test)


# ---- the command and the audit log -------------------------------------------------------------

def test_lmremove_by_user_host_and_display_when_lmstat_printed_no_handle():
    config = Config()
    seat = Checkout("jdoe", "ws1", "/dev/tty", "1.0", 0, None, None, None, None)
    server = type("Server", (), {"lmutil": "/opt/lmutil", "license": "27000@lic"})()
    assert ADAPTERS["flexlm"].remove_argv(server, None, "CAD", seat) == [
        "/opt/lmutil", "lmremove", "-c", "27000@lic", "CAD", "jdoe", "ws1", "/dev/tty"]
    assert config.audit_log is None


def test_audit_log_is_json_lines_owner_only_and_never_holds_a_password(tmp_path):
    log = AuditLog(tmp_path / "state" / "audit.log", user=lambda: "admin",
                   now=lambda: datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    log.record(server="lic1", command=["lmutil", "lmremove", "-password", "hunter2",
                                       "password=s3cret", "-h", "CAD", "h", "1", "2"],
               outcome="ok", exit_code=0, output="token=abc done")
    log.record(server="lic1", command=["lmutil", "lmremove"], outcome="failed", exit_code=1)
    text = log.path.read_text()
    assert "hunter2" not in text and "s3cret" not in text and "abc" not in text
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["when"] == "2026-03-09T10:00:00+00:00" and first["who"] == "admin"
    assert first["command"][3:5] == ["***", "password=***"]
    assert second["outcome"] == "failed"
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert redacted(["--password", "x", "y"]) == ["--password", "***", "y"]


def test_audit_log_path_from_the_config_else_the_xdg_state_directory(isolated_env):
    assert default_audit_path() == isolated_env / "state" / "lmconsole" / "audit.log"
    assert audit_path(Config()) == default_audit_path()
    assert audit_path(Config(audit_log=Path("/var/log/lm.log"))) == Path("/var/log/lm.log")
    assert default_audit_path({"HOME": "/home/u"}) == Path(
        "/home/u/.local/state/lmconsole/audit.log")


def test_the_demo_keeps_its_audit_log_with_its_files_not_in_the_users_state(isolated_env):
    """`lmconsole demo` (demo_app) frees a seat: the record goes to the demo's own temporary
    directory, beside its servers' files; XDG_STATE_HOME stays untouched."""
    from lmconsole.app import demo_app

    state = isolated_env / "state"
    app = demo_app(None, monitor=False)
    demo_files = Path(app.servers["office"].config.options_file).parent.parent
    assert app.audit.path == demo_files / "audit.log"
    assert demo_files.name.startswith("lmconsole-demo-")

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await fill(app, pilot, events=False)
            app.open_seats("office", "AutoCAD")
            await pilot.pause()
            handle = app.screen.table.sources[app.screen.table.shown_keys[0]].handle
            await pilot.press("x")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await settle(app, pilot)
            assert handle not in held_seats(app)

    asyncio.run(scenario())
    (entry,) = app.audit.entries()
    assert entry["action"] == "lmremove" and entry["outcome"] == "ok"
    assert list(state.iterdir()) == [] and not default_audit_path().exists()
