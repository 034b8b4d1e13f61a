"""The options-file editor end to end over SSH: a real sshd on 127.0.0.1, the simulator's
executable as the remote lmutil (its clock stopped, moved on by the test), the console built
as `lmconsole` builds it (console_server makes the SSH transport from ~/.ssh/config). An
EXCLUDE typed in the editor, saved after the diff (a backup left beside the file on the
remote side), lmreread confirmed from the debug log, and the user's next checkout denied."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path

from textual.widgets import OptionList

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.flexlm.sim import create_state_dir
from lmconsole.adapters.transports.ssh import SshTransport
from lmconsole.app import LMConsoleApp, console_server
from lmconsole.audit import AuditLog
from lmconsole.config import ServerConfig, parse_config
from lmconsole.screens.dialogs import ConfirmScreen
from lmconsole.screens.editor import EditorScreen
from lmconsole.screens.editor_dialogs import BackupsScreen, DiffConfirmScreen
from tests.pilot_wait import analysed, until
from tests.sshd import SshServer, sshd_fixture  # noqa: F401 - registers the `sshd` fixture

SIM_LMUTIL = Path(sys.executable).parent / "lmconsole-sim-lmutil"
ZONE = "Europe/Berlin"  # the architecture scenario's
LICENSE = "27000@arch-lic01"
SEED = 2
USER = "bkoch"  # with seed 2, asks for AutoCAD again within the first simulated hour
EXCLUDED = re.compile(rf'DENIED: "AutoCAD" {USER}@\S+\s+\(User/host on EXCLUDE list for '
                      r'feature\. \(-38,348\)\)')
ADVANCE_S = 300  # simulated seconds per step
MAX_STEPS = 36  # three simulated hours


class Remote:
    """The simulated licence server the sshd reaches: its state directory and lmutil."""

    def __init__(self, tmp_path: Path) -> None:
        self.state = create_state_dir(tmp_path / "sim", "architecture", seed=SEED, speed=0)
        self.lmutil = tmp_path / "lmutil"
        self.lmutil.write_text(f"#!/bin/sh\nexec '{SIM_LMUTIL}' --sim-dir '{self.state}' "
                               '"$@"\n')
        self.lmutil.chmod(0o755)
        self.debug_log = self.state / "debug.log"
        self.options_file = self.state / "adskflex.opt"

    def server_config(self, alias: str) -> ServerConfig:
        text = (f'[[servers]]\nname = "office"\ntransport = "ssh"\nssh_host = "{alias}"\n'
                f'lmutil = "{self.lmutil}"\nlicense = "{LICENSE}"\nvendor = "adskflex"\n'
                f'license_file = "{self.state / "license.lic"}"\n'
                f'options_file = "{self.options_file}"\n'
                f'debug_log = "{self.debug_log}"\ntimezone = "{ZONE}"\n')
        (server,) = parse_config(text, "e2e.toml").servers
        return server

    def advance(self, seconds: float) -> None:
        subprocess.run([sys.executable, "-m", "lmconsole.adapters.flexlm.sim", "advance",
                        str(self.state), str(seconds)], check=True, timeout=30)

    def backups(self) -> list[Path]:
        return sorted(self.state.glob("adskflex.opt.*Z.bak"))


def status_text(editor: EditorScreen) -> str:
    return str(editor.query_one("#status").render())


def test_an_exclude_saved_over_ssh_and_reread_denies_the_users_next_checkout(
        tmp_path, sshd, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".ssh").symlink_to(sshd.client_dir)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SSH_AUTH_SOCK", "")
    remote = Remote(tmp_path)
    vendor_line = next(line for line in (remote.state / "license.lic").read_text().splitlines()
                       if line.startswith("VENDOR "))
    assert f"options={remote.options_file}" in vendor_line
    before = remote.options_file.read_text()
    assert USER not in before
    server = console_server(remote.server_config(sshd.alias), ADAPTERS["flexlm"])
    assert isinstance(server.transport, SshTransport)
    app = LMConsoleApp([server], monitor=False,
                       audit=AuditLog(tmp_path / "audit.log", user=lambda: "tester"))
    line = f"EXCLUDE AutoCAD USER {USER}"

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("E")  # the only server with an options file
            await until(pilot, lambda: isinstance(app.screen, EditorScreen)
                        and app.screen.draft is not None, "the file opened over SFTP")
            editor = app.screen
            assert editor.area.text == before and not editor.area.read_only

            area = editor.area
            area.cursor_location = area.document.end
            await pilot.press(*[{" ": "space"}.get(c, c) for c in line], "enter")
            await analysed(pilot, editor)
            assert editor.modified
            assert not [f for f in editor.findings if f.severity == "error"]

            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, DiffConfirmScreen), "the diff")
            assert f"+{line}" in app.screen.details
            await pilot.press("y")
            # saved, then lmreread offered with its exact command
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen)
                        and not isinstance(app.screen, DiffConfirmScreen), "the lmreread question")
            assert remote.options_file.read_text() == before + line + "\n"
            (backup,) = remote.backups()
            assert backup.read_text() == before
            assert app.screen.commands[0].endswith(f"lmreread -c {LICENSE} -vendor adskflex")
            await pilot.press("y")
            await until(pilot, lambda: "debug log confirms the re-read (adskflex)"
                        in status_text(editor), "the re-read confirmed from the debug log",
                        timeout=20)
            assert "lmreread successful" in status_text(editor)
            actions = [(e["action"], e["outcome"]) for e in app.audit.entries()]
            assert actions == [("save-options", "ok"), ("lmreread", "ok")]
            assert f"+{line}" in app.audit.entries()[0]["diff"]

            # the backup, listed over SFTP (ctrl+b), left alone
            await pilot.press("ctrl+b")
            await until(pilot, lambda: isinstance(app.screen, BackupsScreen), "the backups")
            (listed,) = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
            assert f"{len(before.encode()):,} B" in listed and backup.name in listed
            await pilot.press("escape")
            assert app.screen is editor

    asyncio.run(scenario())

    # The user asks for AutoCAD again: refused by the EXCLUDE the daemon re-read.
    assert "Rereading options file" in remote.debug_log.read_text()
    offset = len(remote.debug_log.read_bytes())
    deadline = time.monotonic() + 120
    for _ in range(MAX_STEPS):
        assert time.monotonic() < deadline, "the simulator took too long"
        remote.advance(ADVANCE_S)
        gained = remote.debug_log.read_bytes()[offset:].decode()
        if EXCLUDED.search(gained):
            break
    else:
        raise AssertionError(f"{USER} did not ask for AutoCAD within "
                             f"{MAX_STEPS * ADVANCE_S} simulated seconds")
    assert not re.search(rf'OUT: "AutoCAD" {USER}@', gained)
    (backup,) = remote.backups()  # beside the options file, on the remote side
    assert backup.read_text() == before
