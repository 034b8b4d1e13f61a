"""The console under SSH faults, end to end: a real sshd on 127.0.0.1, the simulator's
executable as the remote lmutil, the SSH transport with its real reconnect timings (the
defaults: backoff from 0.5 s doubling to 30 s, a follow resuming for 60 s). Killed, the link
loses no denial; a log rotated meanwhile is a gap the console names; a frozen link is
dropped and shown within ssh_dead_after_s; a debug log that does not exist is said at once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from lmconsole.adapters.transports.ssh import SshTransport
from lmconsole.app import LMConsoleApp
from lmconsole.config import ssh_keepalive
from lmconsole.model import EventKind
from lmconsole.monitor import VANISHED_GRACE_S
from tests.pilot_wait import until
from tests.sshd import SshServer, sshd_fixture  # noqa: F401 - registers the `sshd` fixture
from tests.test_ui_ssh_e2e import Remote, console, header_text


def real_transport(sshd: SshServer, **options) -> SshTransport:
    return SshTransport(sshd.alias, config_paths=[sshd.config_path],
                        known_hosts=sshd.known_hosts, **options)


def denial_line(user: str) -> str:
    return (f'10:00:00 (adskflex) DENIED: "AutoCAD" {user}@ws1  (Licensed number of users '
            f"already reached. (-4,342))")


def write_denials(remote: Remote, users: list[str]) -> None:
    with remote.debug_log.open("a", encoding="utf-8") as log:
        log.writelines(denial_line(user) + "\n" for user in users)


def fault_denials(app: LMConsoleApp) -> list[str]:
    return [logged.event.user for logged in app.data.denials
            if logged.event.kind is EventKind.DENIED and logged.event.user.startswith("u")]


async def started(app: LMConsoleApp, pilot, remote: Remote) -> None:
    await until(pilot, lambda: app.data.states["office"].status is not None, "the first poll")
    await until(pilot, remote.followed, "the debug log followed")
    write_denials(remote, ["ready"])  # the follow reads: it has started
    await until(pilot, lambda: any(d.event.user == "ready" for d in app.data.denials),
                "the first denial")


def test_no_denial_is_lost_while_the_link_is_down_or_just_back(tmp_path, sshd):
    remote = Remote(tmp_path)
    users = [f"u{n:03}" for n in range(100)]

    async def scenario():
        app = console(tmp_path, remote, real_transport(sshd))
        async with app.run_test(size=(120, 30)) as pilot:
            await started(app, pilot, remote)
            sshd.stop()  # sshd and its sessions killed: the link drops mid-stream
            write_denials(remote, users[:50])
            sshd.start()
            write_denials(remote, users[50:])
            await until(pilot, lambda: len(fault_denials(app)) >= 100, "all 100 denials",
                        timeout=60)
            await pilot.pause(1.0)  # anything read twice would show by now
            assert sorted(fault_denials(app)) == users
            assert list(app.data.gaps) == []
            assert "office up" in header_text(app) and "no events" not in header_text(app)

    asyncio.run(scenario())


def test_a_log_rotated_away_while_the_link_is_down_is_a_gap_on_screen(tmp_path, sshd):
    remote = Remote(tmp_path)

    async def scenario():
        app = console(tmp_path, remote, real_transport(sshd))
        async with app.run_test(size=(120, 30)) as pilot:
            await started(app, pilot, remote)
            sshd.stop()
            write_denials(remote, [f"u{n:03}" for n in range(10)])  # lost with the old log
            archive = tmp_path / "archive"
            archive.mkdir()
            remote.debug_log.rename(archive / "debug.log")
            remote.debug_log.write_text("10:05:00 (lmgrd) TIMESTAMP 3/2/2026\n")
            write_denials(remote, [f"u{n:03}" for n in range(10, 20)])
            sshd.start()
            await until(pilot, lambda: app.data.gaps, "the gap", timeout=60)
            await until(pilot, lambda: len(fault_denials(app)) >= 10, "the new log's denials")
            assert fault_denials(app) == [f"u{n:03}" for n in range(10, 20)]
            (gap,) = app.data.gaps
            assert gap.reason == "the log was rotated and its old file is gone"
            await pilot.press("d")
            await pilot.pause()
            shown = str(app.screen.query_one("#problems").render())
            assert "office events lost" in shown and "rotated" in shown
            assert app.data.denials_incomplete("office")  # "Last hour (incomplete)", ≥N

    asyncio.run(scenario())


def test_a_frozen_link_is_dropped_within_ssh_dead_after_s_and_loses_nothing(tmp_path, sshd):
    remote = Remote(tmp_path)
    config = remote.server_config("lic-test")
    dead_after = 6.0
    transport = real_transport(sshd, **ssh_keepalive(replace(config, ssh_dead_after_s=dead_after)))

    async def scenario():
        app = console(tmp_path, remote, transport)
        failures: list[float] = []
        record = app.data.set_state

        def set_state(state) -> None:
            if state.error and not failures:
                failures.append(time.monotonic())
            record(state)

        app.data.set_state = set_state
        async with app.run_test(size=(120, 30)) as pilot:
            await started(app, pilot, remote)
            frozen = sshd.signal_sessions(signal.SIGSTOP)
            try:
                stopped = time.monotonic()
                write_denials(remote, ["u001"])
                await until(pilot, lambda: fault_denials(app) == ["u001"],
                            "the denial written while the link was frozen", timeout=30)
                shown_after = time.monotonic() - stopped
                print(f"frozen link: failure shown after {failures[0] - stopped:.1f} s, "
                      f"denial after {shown_after:.1f} s")
                assert failures and failures[0] - stopped <= dead_after + 1.5
            finally:
                for pid in frozen:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGCONT)

    asyncio.run(scenario())


def test_a_debug_log_that_does_not_exist_is_said_at_once(tmp_path, sshd):
    remote = Remote(tmp_path)
    remote.debug_log.rename(tmp_path / "elsewhere.log")

    async def scenario():
        app = console(tmp_path, remote, real_transport(sshd))
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: "office" in app.data.follow_errors,
                        "the missing log reported", timeout=10)
            assert "No such file or directory" in app.data.follow_errors["office"]
            assert "no events" in header_text(app)
            await pilot.pause()
            shown = str(app.screen.query_one("#problems").render())
            assert "office no events" in shown and str(Path(remote.debug_log).name) in shown

    asyncio.run(scenario())


def test_a_debug_log_deleted_while_followed_is_said_until_a_new_one_appears(tmp_path, sshd):
    """Deleted (someone cleaning up, a daemon restarted with another log): said after
    VANISHED_GRACE_S and for as long as it lasts; a rotation, which makes a new file at once,
    is not; the new file is read from its start."""
    remote = Remote(tmp_path)

    async def scenario():
        app = console(tmp_path, remote, real_transport(sshd))
        async with app.run_test(size=(120, 30)) as pilot:
            await started(app, pilot, remote)
            remote.debug_log.rename(tmp_path / "debug.log.1")  # a rotation
            write_denials(remote, ["u001"])
            await until(pilot, lambda: fault_denials(app) == ["u001"], "the rotated denial")
            remote.debug_log.unlink()
            deleted = time.monotonic()
            await until(pilot, lambda: "office" in app.data.follow_errors,
                        "the deleted log reported", timeout=10)
            print(f"deleted log said after {time.monotonic() - deleted:.2f} s")
            assert time.monotonic() - deleted >= VANISHED_GRACE_S
            assert "gone (deleted or moved away)" in app.data.follow_errors["office"]
            assert "no events" in header_text(app)
            write_denials(remote, ["u002"])
            await until(pilot, lambda: "office" not in app.data.follow_errors,
                        "the log read again")
            await until(pilot, lambda: len(fault_denials(app)) == 2, "the new log's denial")
            assert fault_denials(app) == ["u001", "u002"] and list(app.data.gaps) == []

    asyncio.run(scenario())


def test_lmgrd_down_keeps_the_last_seats_and_shows_lmstats_words(tmp_path, sshd):
    remote = Remote(tmp_path)

    async def scenario():
        app = console(tmp_path, remote, real_transport(sshd))
        async with app.run_test(size=(120, 30)) as pilot:
            state = lambda: app.data.states["office"]  # noqa: E731
            await until(pilot, lambda: state().status is not None, "the first poll")
            seats = sum(f.in_use or 0 for f in state().status.features)
            subprocess.run([str(remote.lmutil), "lmdown", "-c", "27000@arch-lic01", "-q",
                            "-force"], check=True, capture_output=True, timeout=30)
            await until(pilot, lambda: state().stale, "the server shown stale")
            assert "Cannot connect to license server system" in state().error
            assert "(-15,570:111" in state().error
            assert sum(f.in_use or 0 for f in state().status.features) == seats  # not 0/0
            assert "office stale" in header_text(app)
            assert "Cannot connect" in header_text(app)
            await pilot.pause()
            problems = str(app.screen.query_one("#problems").render())
            assert "office stale: the figures shown are" in problems and "(-15,570:111" in problems

    asyncio.run(scenario())


def test_a_host_key_changed_mid_session_is_said_for_as_long_as_it_holds(tmp_path, sshd):
    remote = Remote(tmp_path)

    async def scenario():
        app = console(tmp_path, remote, real_transport(sshd, max_backoff=2))
        async with app.run_test(size=(120, 30)) as pilot:
            state = lambda: app.data.states["office"]  # noqa: E731
            await until(pilot, lambda: state().status is not None, "the first poll")
            sshd.restart(new_host_key=True)
            await until(pilot, lambda: state().error and "CHANGED" in state().error,
                        "the refusal", timeout=30)
            await pilot.pause(3.0)  # further polls, and the toast long gone from people's eyes
            assert state().stale and "CHANGED" in state().error
            assert "office stale" in header_text(app) and "host key" in header_text(app)
            problems = str(app.screen.query_one("#problems").render())
            assert "CHANGED" in problems and "ssh-keygen -R" in problems

    asyncio.run(scenario())
