"""The SSH transport against a real OpenSSH sshd on 127.0.0.1 (tests/sshd.py)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from lmconsole.adapters.flexlm.lmstat import parse_lmstat
from lmconsole.adapters.flexlm.sim import create_state_dir
from lmconsole.adapters.transports.hostkeys import HostKeyError
from lmconsole.adapters.transports.ssh import SshTransport, shell_command
from lmconsole.transport import (
    FileChangedError,
    LogMissingError,
    LogOpened,
    LogPosition,
    TransportError,
)
from tests.sshd import SshServer, sshd_fixture  # noqa: F401 - registers the `sshd` fixture
from tests.test_transport_local import Follower, append, deleted_then_made_again, following

BIN = Path(sys.executable).parent


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 40))


def transport(server: SshServer, **options) -> SshTransport:
    return SshTransport(server.alias, config_paths=[server.config_path],
                        known_hosts=server.known_hosts, **options)


async def remote_tails(server: SshServer, path: Path) -> list[str]:
    """The processes still following `path` on the server, seen through a second connection
    (the `[t]` keeps pgrep from matching the shell that runs it)."""
    async with transport(server) as other:
        result = await other.run(["pgrep", "-a", "-f", f"[t]ail -c [+][0-9]* -F -- {path}"], timeout=10)
    return result.stdout.splitlines()


async def no_remote_tail_within(server: SshServer, path: Path, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while tails := await remote_tails(server, path):
        assert time.monotonic() < deadline, f"still running on the server: {tails}"
        await asyncio.sleep(0.1)


# ---- commands ----------------------------------------------------------------------------------

def test_run_gets_stdout_stderr_and_the_exit_code_in_the_c_locale(sshd):
    async def main():
        async with transport(sshd) as ssh:
            result = await ssh.run(["sh", "-c", 'echo "$LANG $LC_ALL"; echo "$1" >&2; exit 3',
                                    "sh", "it's $HOME; `x` \"y\""], timeout=10)
            assert result == (3, "C C\n", "it's $HOME; `x` \"y\"\n")
            assert (await ssh.run(["true"], timeout=10)).exit_code == 0
            assert ssh.connects == 1  # one connection for everything

    run(main())


def test_run_errors_name_the_host(sshd):
    async def main():
        async with transport(sshd) as ssh:
            with pytest.raises(TransportError, match=r"^lic-test: cannot run no-such-lmutil: "):
                await ssh.run(["no-such-lmutil", "lmstat"], timeout=10)
            started = time.monotonic()
            with pytest.raises(TransportError, match=r"^lic-test: sleep did not answer within 0.5 s"):
                await ssh.run(["sleep", "10"], timeout=0.5)
            assert time.monotonic() - started < 2
            assert (await ssh.run(["echo", "still usable"], timeout=10)).stdout == "still usable\n"

    run(main())


def test_the_simulator_as_the_remote_lmutil(sshd, tmp_path):
    sim_dir = create_state_dir(tmp_path / "sim", "architecture", seed=1, speed=0)
    argv = [str(BIN / "lmconsole-sim-lmutil"), "--sim-dir", str(sim_dir), "lmstat", "-a"]

    async def main():
        async with transport(sshd) as ssh:
            return await ssh.run(argv, timeout=30)

    result = run(main())
    assert result.exit_code == 0, result.stderr
    report = parse_lmstat(result.stdout)
    assert report.recognised and report.diagnostics == ()
    (server,) = report.servers
    assert server.features and sum(f.in_use or 0 for f in server.features) > 0
    assert "status on Mon 3/2/2026 9:30" in result.stdout  # speed 0: the clock stands still


def test_commands_are_quoted_for_the_remote_shell():
    assert shell_command(["lmutil", "lmstat", "-c", "27000@a b", "; rm -rf /"]) == \
        "env LANG=C LC_ALL=C lmutil lmstat -c '27000@a b' '; rm -rf /'"


# ---- follow ------------------------------------------------------------------------------------

def test_follow_sees_an_appended_line_within_a_second(sshd, tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("old line\n")

    async def body(follower: Follower) -> None:
        for number in range(3):
            started = time.monotonic()
            append(log, f'10:00:0{number} (MLM) OUT: "MATLAB" u{number}@h\n')
            assert await follower.next(timeout=1.0) == \
                f'10:00:0{number} (MLM) OUT: "MATLAB" u{number}@h'
            assert time.monotonic() - started < 1.0
        append(log, "half a li")
        await follower.expect_nothing(0.3)
        append(log, "ne\n")
        assert await follower.next() == "half a line"

    async def main():
        async with transport(sshd) as ssh:
            await following(ssh, log, body)
            await no_remote_tail_within(sshd, log)

    run(main())


def test_follow_survives_rotation_and_truncation(sshd, tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")

    async def body(follower: Follower) -> None:
        log.rename(tmp_path / "debug.log.1")
        log.write_text("first of the new file\n")
        assert await follower.next(timeout=5) == "first of the new file"
        with log.open("r+b") as file:
            file.truncate(0)
        await asyncio.sleep(0.3)
        append(log, "after truncation\n")
        assert await follower.next(timeout=5) == "after truncation"

    async def main():
        async with transport(sshd) as ssh:
            await following(ssh, log, body)

    run(main())


def test_closing_a_follow_leaves_no_remote_tail(sshd, tmp_path):
    log = tmp_path / "quiet.log"
    log.write_text("")

    async def main():
        async with transport(sshd) as ssh:
            # Closed by aclose() at a yield (`async with aclosing`, or `break` then GC).
            async with contextlib.aclosing(ssh.follow(str(log))) as items:
                assert isinstance(await asyncio.wait_for(anext(items), 10), LogOpened)
                waiter = asyncio.ensure_future(anext(items))
                while not await remote_tails(sshd, log):
                    await asyncio.sleep(0.05)
                append(log, "one\n")
                assert (await asyncio.wait_for(waiter, 5)).text == "one"
                assert len(await remote_tails(sshd, log)) == 1
            await no_remote_tail_within(sshd, log)
            # Cancelled while waiting for a line on a quiet file.
            follower = Follower(ssh.follow(str(log)))
            await follower.sync(log)
            await follower.close()
            await no_remote_tail_within(sshd, log)
            # The transport closed under a running follow: it ends, and so does the tail.
            follower = Follower(ssh.follow(str(log)))
            await follower.sync(log)
        await asyncio.wait_for(follower.task, 5)
        await no_remote_tail_within(sshd, log)

    run(main())


OLD_TAIL = """#!/bin/sh
# A tail that never notices that nobody reads its output any more (GNU tail since
# coreutils 8.28 does notice; busybox, AIX, Solaris and older ones do not).
trap '' HUP PIPE
while :; do sleep 0.1; done
"""


def test_no_remote_tail_is_left_even_by_a_tail_that_ignores_a_closed_output(sshd, tmp_path):
    old_tail = tmp_path / "old-tail" / "tail"
    old_tail.parent.mkdir()
    old_tail.write_text(OLD_TAIL)
    old_tail.chmod(0o755)
    sshd.extra_config = f"SetEnv PATH={old_tail.parent}:/usr/sbin:/usr/bin:/sbin:/bin\n"
    sshd.restart()
    log = tmp_path / "debug.log"
    log.write_text("")

    async def pids() -> set[str]:
        return {line.split()[0] for line in await remote_tails(sshd, log)}

    async def main():
        async with transport(sshd) as ssh:
            # Closed by the user.
            follower = Follower(ssh.follow(str(log)))
            while not await pids():
                await asyncio.sleep(0.05)
            await follower.close()
            await no_remote_tail_within(sshd, log)
            # The connection lost (sshd killed): the dead session's tail goes too.
            follower = Follower(ssh.follow(str(log)))
            while not (first := await pids()):
                await asyncio.sleep(0.05)
            sshd.restart()
            deadline = time.monotonic() + 8
            while (now := await pids()) == first or len(now) != 1:
                assert time.monotonic() < deadline, f"{first} -> {now}"
                await asyncio.sleep(0.1)
            await follower.close()
            await no_remote_tail_within(sshd, log)

    run(main())


def test_a_log_deleted_while_followed_is_said_then_a_new_one_read_whole(sshd, tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")

    async def main():
        async with transport(sshd) as ssh:
            await following(ssh, log, lambda follower: deleted_then_made_again(follower, log))

    run(main())


def test_a_follow_of_a_missing_file_is_refused_then_reads_it_whole_once_there(sshd, tmp_path):
    log = tmp_path / "later.log"

    async def main():
        async with transport(sshd) as ssh:
            with pytest.raises(LogMissingError, match="later.log: No such file or directory"):
                await anext(ssh.follow(str(log)))
            log.write_text("appeared\n")
            follower = Follower(ssh.follow(str(log), LogPosition(None, 0)))
            try:
                assert await follower.next(timeout=5) == "appeared"
            finally:
                await follower.close()

    run(main())


# ---- the link drops ----------------------------------------------------------------------------

def test_after_sshd_restarts_the_next_run_reconnects(sshd):
    async def main():
        async with transport(sshd) as ssh:
            assert (await ssh.run(["echo", "1"], timeout=10)).stdout == "1\n"
            sshd.restart()
            assert (await ssh.run(["echo", "2"], timeout=10)).stdout == "2\n"
            assert ssh.connects == 2
            # Down for a while: the run retries with a growing delay within its timeout.
            sshd.stop()
            loop = asyncio.get_running_loop()
            loop.call_later(1.0, sshd.start)
            assert (await ssh.run(["echo", "3"], timeout=10)).stdout == "3\n"
            assert ssh.connects == 3

    run(main())


def test_a_command_cut_off_by_a_drop_is_reported_not_run_again(sshd, tmp_path):
    counter = tmp_path / "runs"

    async def main():
        async with transport(sshd) as ssh:
            loop = asyncio.get_running_loop()
            command = ssh.run(["sh", "-c", f"echo x >> {counter}; sleep 5"], timeout=10)
            task = asyncio.create_task(command)
            while not counter.exists():
                await asyncio.sleep(0.02)
            await loop.run_in_executor(None, sshd.restart)
            with pytest.raises(TransportError, match=r"^lic-test: the connection was lost while "
                                                     r"running sh .*not run again"):
                await task

    run(main())
    assert counter.read_text() == "x\n"


def test_keepalive_notices_a_link_that_went_silent(sshd):
    async def main():
        async with transport(sshd, keepalive_interval=0.2, keepalive_count_max=2) as ssh:
            assert (await ssh.run(["echo", "1"], timeout=10)).stdout == "1\n"
            frozen = sshd.signal_sessions(signal.SIGSTOP)
            try:
                deadline = time.monotonic() + 5
                while ssh.connected:
                    assert time.monotonic() < deadline, "keepalive did not drop the silent link"
                    await asyncio.sleep(0.05)
            finally:
                for pid in frozen:
                    os.kill(pid, signal.SIGCONT)
            assert (await ssh.run(["echo", "2"], timeout=10)).stdout == "2\n"
            assert ssh.connects == 2

    run(main())


def test_a_run_fails_clearly_while_the_server_is_down(sshd):
    async def main():
        async with transport(sshd, max_backoff=5) as ssh:
            sshd.stop()
            with pytest.raises(TransportError, match=r"^lic-test: .*(cannot connect|not connected)"):
                await ssh.run(["true"], timeout=1.5)

    run(main())


def test_a_short_deadline_is_not_kept_waiting_behind_a_long_one(sshd):
    """A follow retrying for a minute must not hold up a poll that wants an answer soon."""
    sshd.stop()

    async def scenario():
        async with transport(sshd, connect_timeout=1, max_backoff=30) as ssh:
            patient = asyncio.create_task(ssh.connect(60))
            await asyncio.sleep(0.3)
            started = time.monotonic()
            with pytest.raises(TransportError):
                await ssh.connect(1)
            assert time.monotonic() - started < 1.5
            patient.cancel()
            with contextlib.suppress(asyncio.CancelledError, TransportError):
                await patient

    run(scenario())


def test_a_follow_resumes_after_sshd_restarts_and_loses_no_line(sshd, tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")

    async def main():
        async with transport(sshd) as ssh:
            async def body(follower: Follower) -> None:
                append(log, "before\n")
                assert await follower.next() == "before"
                sshd.stop()
                append(log, "written while the link was down\nand half a")
                sshd.start()
                append(log, " line\nafter\n")
                assert [await follower.next(timeout=10) for _ in range(3)] == [
                    "written while the link was down", "and half a line", "after"]
                await follower.expect_nothing()
                assert ssh.connects == 2
                assert [opened.lost for opened in follower.opened] == [None, None]
                # The tail of the dead session is gone; only the new one runs.
                assert len(await remote_tails(sshd, log)) == 1

            await following(ssh, log, body)
            await no_remote_tail_within(sshd, log)

    run(main())


async def followed_then_stopped(ssh: SshTransport, log: Path) -> LogPosition:
    """Follow `log` until a line written now is read; stop; the position reached."""
    follower = Follower(ssh.follow(str(log)))
    try:
        await follower.sync(log)
        return follower.position
    finally:
        await follower.close()


def test_a_follow_started_again_reads_a_rotated_log_to_its_end_or_says_what_was_lost(
        sshd, tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("10:00:00 (lmgrd) TIMESTAMP 12/3/2026\n")

    async def resumed(ssh: SshTransport, start: LogPosition, count: int) -> Follower:
        follower = Follower(ssh.follow(str(log), start))
        follower.read = [await follower.next(timeout=5) for _ in range(count)]
        await follower.close()
        return follower

    async def main():
        async with transport(sshd) as ssh:
            # renamed (lmswitch, logrotate's default): the rest of it, then the new one
            position = await followed_then_stopped(ssh, log)
            append(log, "last of the old file\n")
            log.rename(tmp_path / "debug.log.1")
            log.write_text("10:05:00 (lmgrd) TIMESTAMP 12/3/2026\n")
            follower = await resumed(ssh, position, 2)
            assert follower.read == ["last of the old file", "10:05:00 (lmgrd) TIMESTAMP 12/3/2026"]
            assert [opened.lost for opened in follower.opened] == [None, None]
            # copied, then truncated (logrotate's copytruncate): the rest from the copy
            position = await followed_then_stopped(ssh, log)
            append(log, "copied before the truncation\n")
            (tmp_path / "debug.log-20261203").write_bytes(log.read_bytes())
            log.write_text("10:09:00 (lmgrd) TIMESTAMP 12/3/2026\n")
            follower = await resumed(ssh, position, 2)
            assert follower.read == ["copied before the truncation",
                                     "10:09:00 (lmgrd) TIMESTAMP 12/3/2026"]
            assert [opened.lost for opened in follower.opened] == [None, None]
            # moved away: what it still received is lost, and said to be
            position = await followed_then_stopped(ssh, log)
            append(log, "lost with the old file\n")
            (tmp_path / "archive").mkdir()
            log.rename(tmp_path / "archive" / "debug.log")
            log.write_text("10:15:00 (lmgrd) TIMESTAMP 12/3/2026\n")
            follower = await resumed(ssh, position, 1)
            assert follower.read == ["10:15:00 (lmgrd) TIMESTAMP 12/3/2026"]
            assert follower.opened[0].lost == "the log was rotated and its old file is gone"

    run(main())


# ---- host keys ---------------------------------------------------------------------------------

def test_a_changed_host_key_is_refused_with_a_clear_message(sshd):
    sshd.restart(new_host_key=True)

    async def main():
        async with transport(sshd) as ssh:
            with pytest.raises(HostKeyError) as refused:
                await ssh.run(["true"], timeout=10)
        return str(refused.value)

    message = run(main())
    assert message.startswith("lic-test: the host key for [127.0.0.1]:")
    assert "has CHANGED" in message and "man-in-the-middle" in message
    assert sshd.fingerprint in message  # the new key's fingerprint
    assert f"{sshd.known_hosts}:1" in message  # the line holding the old key
    assert f"ssh-keygen -R '[127.0.0.1]:{sshd.port}' -f {sshd.known_hosts}" in message
    assert "Accepted" not in sshd.log()  # refused before authentication


def test_a_changed_key_recorded_in_a_hashed_entry_is_refused_too(sshd):
    salt = os.urandom(20)
    digest = hmac.new(salt, sshd.host_entry.encode(), hashlib.sha1).digest()
    hashed = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"
    old_key = sshd.known_hosts_line().split(" ", 1)[1]
    sshd.known_hosts.write_text(f"other-host ssh-ed25519 {old_key.split()[1]}\n"
                                f"{hashed} {old_key}\n")
    sshd.restart(new_host_key=True)

    async def main():
        async with transport(sshd, ask_unknown_host=lambda *a: True) as ssh:
            with pytest.raises(HostKeyError, match=rf"has CHANGED.*{sshd.known_hosts}:2\b"):
                await ssh.run(["true"], timeout=10)

    run(main())


def test_a_changed_host_key_is_refused_even_when_asking_is_possible(sshd):
    sshd.restart(new_host_key=True)
    asked = []

    async def main():
        async with transport(sshd, ask_unknown_host=lambda *a: asked.append(a) or True) as ssh:
            with pytest.raises(HostKeyError, match="has CHANGED"):
                await ssh.run(["true"], timeout=10)

    run(main())
    assert asked == []


def test_an_unknown_host_fails_headless_with_how_to_add_it(sshd):
    sshd.known_hosts.write_text("")

    async def main():
        async with transport(sshd) as ssh:
            with pytest.raises(HostKeyError) as refused:
                await ssh.run(["true"], timeout=10)
        return str(refused.value)

    message = run(main())
    assert message.startswith(f"lic-test: the host [127.0.0.1]:{sshd.port} is unknown")
    assert f"ssh-ed25519 key {sshd.fingerprint}" in message
    assert f"ssh-keyscan -p {sshd.port} 127.0.0.1 >> {sshd.known_hosts}" in message
    # The ssh command that checks the same files, so that accepting the key there helps.
    assert (f"`ssh -F {sshd.config_path} -o UserKnownHostsFile={sshd.known_hosts} lic-test` "
            "and accept it") in message
    assert sshd.known_hosts.read_text() == ""


def test_an_unknown_host_accepted_by_the_user_is_remembered(sshd):
    sshd.known_hosts.unlink()  # no known_hosts file at all
    asked = []

    async def accept(host: str, key_type: str, fingerprint: str) -> bool:
        asked.append((host, key_type, fingerprint))
        return True

    async def main():
        async with transport(sshd, ask_unknown_host=accept) as ssh:
            assert (await ssh.run(["echo", "ok"], timeout=10)).stdout == "ok\n"
        async with transport(sshd) as headless:  # the key is known now
            assert (await headless.run(["echo", "ok"], timeout=10)).stdout == "ok\n"

    run(main())
    assert asked == [(f"lic-test ([127.0.0.1]:{sshd.port})", "ssh-ed25519", sshd.fingerprint)]
    assert sshd.known_hosts.read_text() == sshd.known_hosts_line() + "\n"


def test_an_unknown_host_refused_by_the_user_is_not_connected_nor_remembered(sshd):
    sshd.known_hosts.write_text("# my hosts\n")

    async def main():
        async with transport(sshd, ask_unknown_host=lambda *a: False) as ssh:
            with pytest.raises(HostKeyError, match="was not accepted"):
                await ssh.run(["true"], timeout=10)

    run(main())
    assert sshd.known_hosts.read_text() == "# my hosts\n"


def test_a_refused_key_is_an_authentication_error_naming_the_host(sshd):
    (sshd.server_dir / "authorized_keys").write_text("")

    async def main():
        async with transport(sshd) as ssh:
            with pytest.raises(TransportError, match=r"^lic-test: authentication refused"):
                await ssh.run(["true"], timeout=10)

    run(main())


def test_host_user_and_port_given_directly(sshd, tmp_path):
    config = tmp_path / "config"
    config.write_text(f"Host *\n    IdentityFile {sshd.identity}\n")

    async def main():
        async with SshTransport("127.0.0.1", port=sshd.port, user=sshd.user,
                                config_paths=[config], known_hosts=sshd.known_hosts) as ssh:
            return await ssh.run(["id", "-un"], timeout=10)

    assert run(main()).stdout == f"{sshd.user}\n"


def test_keepalive_cannot_be_turned_off():
    with pytest.raises(ValueError, match="keepalive"):
        SshTransport("lic1", keepalive_interval=0)


# ---- files over SFTP ---------------------------------------------------------------------------

def test_sftp_read_and_write_atomic_keep_the_mode(sshd, tmp_path):
    options = tmp_path / "adskflex.opt"
    options.write_bytes(b"GROUP staff anna ben\r\nRESERVE 1 ACD GROUP staff\n")
    options.chmod(0o640)

    async def main():
        async with transport(sshd) as ssh:
            data, stat = await ssh.read(str(options))
            assert data == options.read_bytes()
            assert stat.size == len(data) and stat.mode & 0o777 == 0o640
            assert stat.mtime_ns // 10**9 == options.stat().st_mtime_ns // 10**9
            new_stat = await ssh.write_atomic(str(options), data + b"MAX 2 ACD USER ben\n", stat)
            assert options.read_bytes() == data + b"MAX 2 ACD USER ben\n"
            assert options.stat().st_mode & 0o777 == 0o640
            assert new_stat.size == len(data) + 19
            created = await ssh.write_atomic(str(tmp_path / "new.opt"), b"# new\n", None)
            assert created.size == 6 and created.mode & 0o777 == 0o644
            assert ssh.connects == 1

    run(main())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith("opt")) == [
        "adskflex.opt", "new.opt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_sftp_write_atomic_refuses_a_concurrent_change_and_leaves_nothing(sshd, tmp_path):
    options = tmp_path / "adskflex.opt"
    options.write_text("mine\n")

    async def main():
        async with transport(sshd) as ssh:
            _, stat = await ssh.read(str(options))
            options.write_text("someone else's edit\n")
            with pytest.raises(FileChangedError, match=r"lic-test:.*adskflex.opt changed since"):
                await ssh.write_atomic(str(options), b"new\n", stat)
            with pytest.raises(FileChangedError, match="created"):
                await ssh.write_atomic(str(options), b"new\n", None)
            with pytest.raises(TransportError, match=r"^lic-test: cannot read .*missing.opt"):
                await ssh.read(str(tmp_path / "missing.opt"))
            with pytest.raises(TransportError, match=r"^lic-test: cannot save "):
                await ssh.write_atomic(str(tmp_path / "no-dir" / "x.opt"), b"", None)

    run(main())
    assert options.read_text() == "someone else's edit\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["adskflex.opt"]


def test_sftp_after_sshd_restarts(sshd, tmp_path):
    options = tmp_path / "a.opt"
    options.write_text("x\n")

    async def main():
        async with transport(sshd) as ssh:
            _, stat = await ssh.read(str(options))
            sshd.restart()
            data, stat = await ssh.read(str(options))  # the drop noticed, and reconnected
            assert data == b"x\n"
            sshd.restart()
            await ssh.write_atomic(str(options), b"y\n", stat)
            assert ssh.connects == 3

    run(main())
    assert options.read_text() == "y\n"


def server_io(server: SshServer) -> int:
    """The bytes the sshd processes serving connections have read and written so far (files
    and socket alike; those of a process we may not inspect are not counted)."""
    total = 0
    for pid in server.sessions():
        with contextlib.suppress(OSError):
            counters = dict(line.split(": ") for line in
                            Path(f"/proc/{pid}/io").read_text().splitlines())
            total += int(counters["rchar"]) + int(counters["wchar"])
    return total


def test_sftp_stat_is_the_stat_read_returns_and_follows_changes(sshd, tmp_path):
    options = tmp_path / "adskflex.opt"
    options.write_bytes(b"GROUP staff anna ben\n")
    options.chmod(0o640)
    (tmp_path / "link.opt").symlink_to(options.name)

    async def main():
        async with transport(sshd) as ssh:
            _, read_stat = await ssh.read(str(options))
            assert await ssh.stat(str(options)) == read_stat
            assert await ssh.stat(str(tmp_path / "link.opt")) == read_stat
            assert read_stat.size == 21 and read_stat.mode & 0o777 == 0o640
            append(options, "RESERVE 1 ACD GROUP staff\n")
            grown = await ssh.stat(str(options))
            assert grown.size == 47 and grown == (await ssh.read(str(options)))[1]
            saved = await ssh.write_atomic(str(options), b"# saved\n", grown)
            assert await ssh.stat(str(options)) == saved
            assert ssh.connects == 1

    run(main())


def test_sftp_stat_of_a_large_file_transfers_none_of_it(sshd, tmp_path):
    log = tmp_path / "debug.log"
    log.write_bytes(b"10:00:00 (MLM) OUT: \"MATLAB\" jdoe@host1\n" * 128_000)  # 5 MB
    size = log.stat().st_size

    async def main():
        async with transport(sshd) as ssh:
            before = server_io(sshd)
            data, _ = await ssh.read(str(log))  # connects, starts SFTP, and moves it all
            assert len(data) == size == 5_120_000
            if server_io(sshd) - before < size:
                pytest.skip("the I/O of the sshd sessions cannot be seen (/proc/PID/io)")
            before = server_io(sshd)
            assert (await ssh.stat(str(log))).size == size
            assert server_io(sshd) - before < 64_000  # about 400 bytes

    run(main())


def test_sftp_stat_errors_name_the_host_and_the_reason(sshd, tmp_path):
    async def main():
        async with transport(sshd, file_timeout=2, max_backoff=5) as ssh:
            with pytest.raises(TransportError, match=r"^lic-test: cannot stat .*/missing.opt: "
                                                     r"No such file"):
                await ssh.stat(str(tmp_path / "missing.opt"))
            with pytest.raises(TransportError, match=r"^lic-test: cannot stat .*: Is a directory"):
                await ssh.stat(str(tmp_path))
            log = tmp_path / "debug.log"
            log.write_text("x\n")
            sshd.restart()  # the drop is noticed, and the stat made on a new connection
            assert (await ssh.stat(str(log))).size == 2
            assert ssh.connects == 2
            sshd.stop()
            with pytest.raises(TransportError, match=r"^lic-test: .*(cannot connect|not "
                                                     r"connected)"):
                await ssh.stat(str(log))

    run(main())


def test_reconnect_now_cuts_the_backoff_short(sshd):
    """ctrl+r, a save or an admin action do not wait out the growing delay between
    connection attempts."""
    async def main():
        async with transport(sshd, connect_timeout=1, max_backoff=30) as ssh:
            sshd.stop()
            with pytest.raises(TransportError):
                await ssh.connect(4)  # attempts at about 0, 0.5, 1.5 and 3.5 s
            assert ssh.retry_in() > 2
            sshd.start()
            with pytest.raises(TransportError, match="next attempt in"):
                await ssh.connect(0.5)
            ssh.reconnect_now()
            await ssh.connect(5)
            assert ssh.connected and ssh.retry_in() == 0

    run(main())


def test_a_backup_saved_over_sftp_keeps_the_originals_owner_and_mode(sshd, tmp_path):
    from datetime import UTC, datetime

    from lmconsole.adapters import ADAPTERS
    from lmconsole.audit import AuditLog
    from lmconsole.edit import open_file, save_file

    options = tmp_path / "adskflex.opt"
    options.write_text("INCLUDE AutoCAD USER anna\n")
    options.chmod(0o640)
    owner = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    if os.geteuid() == 0:
        os.chown(options, *owner)  # nobody:nogroup, as a licence server's files often are

    async def main():
        async with transport(sshd) as ssh:
            draft = await open_file(ssh, str(options))
            return await save_file(ssh, str(options), "INCLUDE AutoCAD USER ben\n", draft.stat,
                                   server="office", audit=AuditLog(tmp_path / "audit.log"),
                                   now=datetime(2026, 3, 9, 10, 15, tzinfo=UTC), language=ADAPTERS["flexlm"].options_language(None))

    result = run(main())
    assert result.saved, result.message
    backup = Path(result.backup).stat()
    assert backup.st_mode & 0o777 == 0o640 and (backup.st_uid, backup.st_gid) == owner
    assert options.stat().st_mode & 0o777 == 0o640
