"""The console end to end over SSH: a real sshd on 127.0.0.1, the simulator's executable as
the remote lmutil (its clock stopped), the app driven by Pilot. Seats as lmstat prints them,
a denial within a second, a dead sshd shown stale, a changed host key refused, lmremove;
and the first contact with an unknown host, asked about in a dialog."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from textual.widgets import Static

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.flexlm.sim import create_state_dir
from lmconsole.adapters.transports.ssh import SshTransport
from lmconsole.app import LMConsoleApp, console_server
from lmconsole.audit import AuditLog
from lmconsole.config import ServerConfig, parse_config
from lmconsole.screens.denials import DenialsScreen
from lmconsole.screens.dialogs import ConfirmScreen, UnknownHostScreen
from lmconsole.screens.header import ServerHeader
from lmconsole.screens.seats import SeatsScreen
from tests.pilot_wait import until
from tests.sshd import SshServer, sshd_fixture  # noqa: F401 - registers the `sshd` fixture

SIM_LMUTIL = Path(sys.executable).parent / "lmconsole-sim-lmutil"
ZONE = "Europe/Berlin"  # the architecture scenario's
LICENSE = "27000@arch-lic01"


class Remote:
    """The simulated licence server the sshd reaches: its state directory and lmutil."""

    def __init__(self, tmp_path: Path) -> None:
        self.state = create_state_dir(tmp_path / "sim", "architecture", seed=2, speed=0)
        self.lmutil = tmp_path / "lmutil"
        self.lmutil.write_text(f"#!/bin/sh\nexec '{SIM_LMUTIL}' --sim-dir '{self.state}' "
                               '"$@"\n')
        self.lmutil.chmod(0o755)
        self.debug_log = self.state / "debug.log"

    def server_config(self, alias: str) -> ServerConfig:
        text = (f'[[servers]]\nname = "office"\ntransport = "ssh"\nssh_host = "{alias}"\n'
                f'lmutil = "{self.lmutil}"\nlicense = "{LICENSE}"\n'
                f'debug_log = "{self.debug_log}"\ntimezone = "{ZONE}"\npoll_interval_s = 0.5\n')
        (server,) = parse_config(text, "e2e.toml").servers
        return server

    def lmstat(self) -> str:
        return subprocess.run([str(self.lmutil), "lmstat", "-a", "-c", LICENSE],
                              capture_output=True, text=True, timeout=30, check=True).stdout

    def advance(self, seconds: float) -> None:
        subprocess.run([sys.executable, "-m", "lmconsole.adapters.flexlm.sim", "advance",
                        str(self.state), str(seconds)], check=True, timeout=30)

    def write_log(self, line: str) -> None:
        with self.debug_log.open("a", encoding="utf-8") as log:
            log.write(line + "\n")

    def followed(self) -> bool:
        """A `tail -F` of the debug log runs (started over SSH by the console)."""
        wanted = f"-F\0--\0{self.debug_log}\0".encode()
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and wanted in (entry / "cmdline").read_bytes():
                    return True
            except OSError:
                continue
        return False


def transport_for(sshd: SshServer, **options) -> SshTransport:
    return SshTransport(sshd.alias, config_paths=[sshd.config_path],
                        known_hosts=sshd.known_hosts, connect_timeout=2, max_backoff=1,
                        resume_timeout=2, **options)


def console(tmp_path: Path, remote: Remote, transport: SshTransport) -> LMConsoleApp:
    server = console_server(remote.server_config("lic-test"), ADAPTERS["flexlm"], transport)
    return LMConsoleApp([server], audit=AuditLog(tmp_path / "audit.log", user=lambda: "tester"),
                        display_tz=ZoneInfo(ZONE))


def header_text(app: LMConsoleApp) -> str:
    return str(app.screen.query_one(ServerHeader).render())


def autocad_seats(lmstat_text: str) -> set[tuple[str, str, int | None]]:
    report = ADAPTERS["flexlm"].parse_status(lmstat_text, name="office", tz=ZoneInfo(ZONE),
                                             now=datetime.now(UTC))
    (server,) = report.servers
    feature = next(f for f in server.features if f.name == "AutoCAD")
    return {(c.user, c.host, c.handle) for c in feature.checkouts}


def table_seats(screen: SeatsScreen) -> set[tuple[str, str, int | None]]:
    return {(s.user, s.host, s.handle) for s in screen.table.sources.values()
            if hasattr(s, "handle") and hasattr(s, "start")}


def test_the_console_over_ssh(tmp_path, sshd):
    remote = Remote(tmp_path)
    expected = autocad_seats(remote.lmstat())
    assert expected

    async def scenario():
        app = console(tmp_path, remote, transport_for(sshd))
        async with app.run_test(size=(140, 40)) as pilot:
            state = lambda: app.data.states["office"]  # noqa: E731
            await until(pilot, lambda: state().status is not None, "the first poll")
            assert "office up" in header_text(app)

            # the seats, as lmstat prints them
            app.open_seats("office", "AutoCAD")
            await pilot.pause()
            seats = app.screen
            assert isinstance(seats, SeatsScreen)
            assert table_seats(seats) == expected

            # a denial, within a second of its line
            await pilot.press("d")
            await until(pilot, remote.followed, "the debug log followed")
            now = datetime.now(ZoneInfo(ZONE)).strftime("%H:%M:%S")
            remote.write_log(f'{now} (adskflex) DENIED: "AutoCAD" jdoe@ws1  (Licensed '
                             f'number of users already reached. (-4,342))')
            written = time.monotonic()
            denials = app.screen
            assert isinstance(denials, DenialsScreen)
            await until(pilot, lambda: any("jdoe@ws1" in map(str, row.values)
                                           for row in denials.table.rows.values()),
                        "the denial in the denials view", timeout=5)
            latency = time.monotonic() - written
            print(f"denial latency over SSH: {latency * 1000:.0f} ms")
            assert latency < 1.0

            # sshd gone: stale, with the age of the last data, which stays
            app.action_mode("overview")  # the overview itself, not the seats drilled into
            await pilot.pause()
            assert app.screen is not seats and len(app.screen_stack) == 1
            app.open_seats("office", "AutoCAD")
            await pilot.pause()
            seats = app.screen
            sshd.stop()
            await until(pilot, lambda: state().stale, "the server shown stale")
            await until(pilot, lambda: re.search(r"office stale \d+s", header_text(app)),
                        "the age in the header")
            assert state().status is not None and table_seats(seats) == expected

            # sshd back: live again
            sshd.start()
            await until(pilot, lambda: not state().stale and state().error is None,
                        "the server live again")
            assert "office up" in header_text(app)

            # lmremove through the seats view (the simulator refuses seats younger than 120 s)
            remote.advance(300)
            before = autocad_seats(remote.lmstat())
            polled = state().polled_at
            app.action_refresh_servers()
            await until(pilot, lambda: state().polled_at != polled
                        and table_seats(seats) == before, "the poll after the clock moved")
            victim = seats.table.sources[seats.table.cursor_key]
            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
            await pilot.press("y")
            gone = (victim.user, victim.host, victim.handle)
            await until(pilot, lambda: gone not in table_seats(seats), "the seat gone")
            assert gone not in autocad_seats(remote.lmstat())
            (entry,) = app.audit.entries()
            assert entry["outcome"] == "ok" and entry["action"] == "lmremove"

    asyncio.run(scenario())


def test_a_changed_host_key_is_refused_with_the_reason_and_no_data(tmp_path, sshd):
    remote = Remote(tmp_path)
    sshd.restart(new_host_key=True)

    async def scenario():
        app = console(tmp_path, remote, transport_for(sshd))
        async with app.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: app.data.states["office"].error is not None,
                        "the refusal")
            await pilot.pause()
            state = app.data.states["office"]
            assert state.status is None
            assert "CHANGED" in state.error and "ssh-keygen -R" in state.error
            assert "office unreachable" in header_text(app)
            messages = [n.message for n in app._notifications]
            assert any("CHANGED" in m and "man-in-the-middle" in m for m in messages)
            assert not remote.followed()

    asyncio.run(scenario())


# ---- first contact: an unknown host key is asked about ------------------------------------------

def first_contact_console(tmp_path: Path, sshd: SshServer, monkeypatch) -> LMConsoleApp:
    """The console as `lmconsole` builds it (console_server makes the SSH transport), for a
    user whose ~/.ssh is the fixture's client side with an empty known_hosts."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".ssh").symlink_to(sshd.client_dir)
    sshd.known_hosts.write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SSH_AUTH_SOCK", "")
    remote = Remote(tmp_path)
    server = console_server(remote.server_config(sshd.alias), ADAPTERS["flexlm"])
    transport = server.transport
    assert isinstance(transport, SshTransport) and transport.keepalive_interval > 0
    assert transport.known_hosts.resolve() == sshd.known_hosts.resolve()
    return LMConsoleApp([server], audit=AuditLog(tmp_path / "audit.log", user=lambda: "t"))


async def the_question(app: LMConsoleApp, pilot, sshd: SshServer) -> UnknownHostScreen:
    await until(pilot, lambda: isinstance(app.screen, UnknownHostScreen)
                and app.focused is not None, "the question, mounted and focused")
    dialog = app.screen
    assert dialog.fingerprint == sshd.fingerprint and dialog.key_type == "ssh-ed25519"
    assert dialog.host.startswith(sshd.alias) and sshd.host_entry in dialog.host
    shown = " ".join(str(s.render()) for s in dialog.query(Static))
    assert sshd.fingerprint in shown and "ssh-ed25519" in shown
    assert app.focused is not None and app.focused.id == "refuse"
    return dialog


def test_an_unknown_host_accepted_in_the_dialog_is_connected_and_remembered(
        tmp_path, sshd, monkeypatch):
    app = first_contact_console(tmp_path, sshd, monkeypatch)
    transport = app.servers["office"].transport
    transport.connect_timeout = 0.5  # the person's answer is not bound by it

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await the_question(app, pilot, sshd)
            await pilot.pause(1.0)  # a person reading the fingerprint
            await pilot.click("#accept")
            state = lambda: app.data.states["office"]  # noqa: E731
            await until(pilot, lambda: state().status is not None, "the first poll")
            assert "office up" in header_text(app)
            assert sshd.known_hosts.read_text().split() == sshd.known_hosts_line().split()

    asyncio.run(scenario())


def test_an_unknown_host_refused_in_the_dialog_stays_unconnected(tmp_path, sshd, monkeypatch):
    app = first_contact_console(tmp_path, sshd, monkeypatch)

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await the_question(app, pilot, sshd)
            await pilot.press("enter")  # Refuse has the focus
            state = lambda: app.data.states["office"]  # noqa: E731
            await until(pilot, lambda: state().error is not None, "the refusal")
            assert "not accepted" in state().error and state().status is None
            assert "office unreachable" in header_text(app)
            assert any("not accepted" in n.message for n in app._notifications)
            await pilot.pause(1.5)  # polls go on, the question is not asked again
            assert not isinstance(app.screen, UnknownHostScreen)
            assert state().status is None and sshd.known_hosts.read_text() == ""

    asyncio.run(scenario())
