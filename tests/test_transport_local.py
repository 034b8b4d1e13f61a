"""The local transport: commands, `tail -F` in Python, and atomic saves."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.adapters.transports import local
from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.transport import (
    LINE_BYTES_MAX,
    FileChangedError,
    FollowItem,
    LineSplitter,
    LogLine,
    LogMissingError,
    LogOpened,
    LogPosition,
    LogVanished,
    TransportError,
)

SYNC = "lmconsole-test-sync"


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 30))


def append(path: Path, data: str | bytes) -> None:
    with path.open("ab") as file:
        file.write(data.encode() if isinstance(data, str) else data)


class Follower:
    """Iterates a follow in a task; `next()` waits (bounded) for the next line, skipping the
    marker lines `sync()` writes to learn that the follow has started. The follow's
    LogOpened items are kept in `opened`, its LogVanished ones in `vanished`, the position
    after the last line in `position`."""

    def __init__(self, items: AsyncIterator[FollowItem]) -> None:
        self.items = items
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.opened: list[LogOpened] = []
        self.vanished: list[LogVanished] = []
        self.position: LogPosition | None = None
        self.task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        async for item in self.items:
            if isinstance(item, LogLine):
                self.position = item.end
                self.queue.put_nowait(item.text)
            elif isinstance(item, LogVanished):
                self.vanished.append(item)
            else:
                self.position = item.at
                self.opened.append(item)

    async def next(self, timeout: float = 2.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            getter = asyncio.ensure_future(self.queue.get())
            done, _ = await asyncio.wait({getter, self.task}, return_when=asyncio.FIRST_COMPLETED,
                                         timeout=max(0.0, deadline - time.monotonic()))
            if getter not in done:
                getter.cancel()
                if self.task in done:
                    self.task.result()  # raises what ended the follow
                    raise AssertionError("the follow ended")
                raise AssertionError(f"no line within {timeout:g} s")
            line = getter.result()
            if not line.startswith(SYNC):
                return line

    async def sync(self, path: Path, timeout: float = 10.0, every: float = 0.25) -> float:
        """Append marker lines until one comes out; the seconds that took."""
        start = time.monotonic()
        for number in range(int(timeout / every) + 1):
            append(path, f"{SYNC} {number}\n")
            try:
                while True:
                    line = await asyncio.wait_for(self.queue.get(), every)
                    if line.startswith(SYNC):
                        return time.monotonic() - start
            except TimeoutError:
                if self.task.done():
                    self.task.result()
        raise AssertionError(f"the follow of {path} showed nothing within {timeout:g} s")

    async def until(self, condition: Callable[[], object], what: str,
                    timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.task.done():
                self.task.result()
            assert time.monotonic() < deadline, f"no {what} within {timeout:g} s"
            await asyncio.sleep(0.02)

    async def expect_nothing(self, wait: float = 0.3) -> None:
        await asyncio.sleep(wait)
        pending = [line for line in self._drain() if not line.startswith(SYNC)]
        assert pending == []

    def _drain(self) -> list[str]:
        items = []
        while not self.queue.empty():
            items.append(self.queue.get_nowait())
        return items

    async def close(self) -> None:
        """Cancel the iterating task: the follow's finally blocks run."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def following(transport, path: Path, body: Callable) -> None:
    follower = Follower(transport.follow(str(path)))
    try:
        await follower.sync(path)
        await body(follower)
    finally:
        await follower.close()


# ---- run ---------------------------------------------------------------------------------------

def test_run_in_the_c_locale():
    result = run(LocalTransport().run(["sh", "-c", 'echo "$LC_ALL $LANG"; echo err >&2; exit 3'],
                                      timeout=10))
    assert result == (3, "C C\n", "err\n")


def test_run_of_a_missing_program_or_a_slow_one_is_a_transport_error():
    with pytest.raises(TransportError, match="cannot run /nonexistent/lmutil"):
        run(LocalTransport().run(["/nonexistent/lmutil"], timeout=10))
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"sh did not answer within 0.2 s"):
        run(LocalTransport().run(["sh", "-c", "sleep 30; :"], timeout=0.2))
    assert time.monotonic() - started < 5  # its child was killed too, not waited for


def test_a_cancelled_run_leaves_no_child_behind(tmp_path):
    marker = f"lmconsole-test-{os.getpid()}-{time.monotonic_ns()}"

    def running() -> bool:
        return subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 0

    async def main() -> None:
        sleeper = f"{sys.executable} -c 'import time; time.sleep(30)' {marker}"
        task = asyncio.create_task(LocalTransport().run(["sh", "-c", f"{sleeper}; :"],
                                                        timeout=60))
        while not running():
            await asyncio.sleep(0.02)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    run(main())
    assert not running()


# ---- follow ------------------------------------------------------------------------------------

def test_follow_yields_appended_lines_only_and_fast(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("before 1\nbefore 2\n")

    async def body(follower: Follower) -> None:
        started = time.monotonic()
        append(log, "10:00:01 (MLM) OUT: \"MATLAB\" jdoe@host1\n")
        assert await follower.next() == '10:00:01 (MLM) OUT: "MATLAB" jdoe@host1'
        assert time.monotonic() - started < 0.2
        append(log, "crlf\r\n\xe9t\xe9 latin\n".encode("latin-1"))
        assert await follower.next() == "crlf"
        assert await follower.next() == "\xe9t\xe9 latin"

    run(following(LocalTransport(), log, body))


def test_follow_never_yields_half_a_line(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")

    async def body(follower: Follower) -> None:
        append(log, "10:00:02 (MLM) DENIED: \"MAT")
        await follower.expect_nothing()
        append(log, "LAB\" bob@h2  (Licensed number of users already reached. (-4,342))\n")
        assert await follower.next() == \
            '10:00:02 (MLM) DENIED: "MATLAB" bob@h2  (Licensed number of users already reached. (-4,342))'

    run(following(LocalTransport(), log, body))


def test_follow_survives_rotation_truncation_and_a_missing_file(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("old\n")

    async def body(follower: Follower) -> None:
        # Rotation: what the old file still received, then the new file from its start.
        append(log, "last of the old file\n")
        log.rename(tmp_path / "debug.log.1")
        await asyncio.sleep(0.2)
        append(tmp_path / "debug.log.1", "written to the old file after the rename\n")
        log.write_text("first of the new file\nsecond\n")
        assert [await follower.next() for _ in range(4)] == [
            "last of the old file", "written to the old file after the rename",
            "first of the new file", "second"]
        # Truncation in place: from the new start.
        with log.open("r+b") as file:
            file.truncate(0)
        await asyncio.sleep(0.2)
        append(log, "after truncation\n")
        assert await follower.next() == "after truncation"
        # Deleted, then created again: waited for, read from its start.
        log.unlink()
        await asyncio.sleep(0.2)
        log.write_text("recreated\n")
        assert await follower.next() == "recreated"

    run(following(LocalTransport(), log, body))


async def deleted_then_made_again(follower: Follower, log: Path) -> None:
    """The body of a follow of `log` whose file is deleted: said once, with how far it was
    read; then a new file made there is read from its start."""
    append(log, "last of the old file\n")
    assert await follower.next(timeout=5) == "last of the old file"
    read_to, opened = follower.position, len(follower.opened)
    log.unlink()
    await follower.until(lambda: follower.vanished, "word that the log went")
    await asyncio.sleep(0.3)
    assert follower.vanished == [LogVanished(read_to)]
    log.write_text("first of the new file\n")
    assert await follower.next(timeout=5) == "first of the new file"
    assert len(follower.opened) == opened + 1 and follower.opened[-1].lost is None
    assert len(follower.vanished) == 1


def test_a_log_deleted_while_followed_is_said_then_a_new_one_read_whole(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")
    run(following(LocalTransport(), log, lambda follower: deleted_then_made_again(follower, log)))


def test_follow_of_a_file_that_does_not_exist_is_refused_at_once(tmp_path):
    log = tmp_path / "later.log"

    async def main() -> None:
        follow = LocalTransport().follow(str(log))
        with pytest.raises(LogMissingError, match="later.log: No such file or directory"):
            await anext(follow)

    run(main())


def test_a_follow_from_an_unknown_file_at_offset_0_reads_the_file_that_appeared(tmp_path):
    """After a missing log was reported, the monitor follows from (None, 0): all of it."""
    log = tmp_path / "later.log"
    log.write_text("first\nsecond\n")

    async def main() -> None:
        follower = Follower(LocalTransport().follow(str(log), LogPosition(None, 0)))
        try:
            assert [await follower.next() for _ in range(2)] == ["first", "second"]
            assert follower.opened[0].lost is None
        finally:
            await follower.close()

    run(main())


async def read_until_stopped(log: Path, lines: list[str], start: LogPosition | None = None
                             ) -> tuple[list[str], LogPosition]:
    """Follow `log` from `start` until `lines` were appended and read; stop; the lines read
    (the appended ones) and the position the follow reached."""
    follower = Follower(LocalTransport().follow(str(log), start))
    try:
        await follower.sync(log)
        for line in lines:
            append(log, line + "\n")
        read = [await follower.next() for _ in lines]
        return read, follower.position
    finally:
        await follower.close()


async def resumed(log: Path, start: LogPosition, count: int) -> tuple[list[str], Follower]:
    follower = Follower(LocalTransport().follow(str(log), start))
    return [await follower.next() for _ in range(count)], follower


def test_a_line_of_megabytes_is_cut_and_the_position_after_it_is_exact(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")

    async def body(follower: Follower) -> None:
        append(log, "first\n")
        assert await follower.next() == "first"
        for _ in range(3):  # a line without its end for megabytes, written bit by bit
            append(log, "x" * 1_500_000)
            await asyncio.sleep(0.1)
        append(log, "\nlast\n")
        assert await follower.next() == "x" * LINE_BYTES_MAX
        assert await follower.next() == "last"
        assert follower.position.offset == log.stat().st_size

    run(following(LocalTransport(), log, body))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=40),
                          st.sampled_from([b"\n", b"y" * 70_000, b"\0" * 70_000])),
                max_size=12),
       st.lists(st.integers(1, 90_000), min_size=1, max_size=8))
def test_the_line_splitter_gives_each_line_cut_with_its_whole_size_however_chunked(pieces,
                                                                                  sizes):
    data = b"".join(pieces)
    splitter, lines, at = LineSplitter(), [], 0
    for size in itertools.cycle(sizes):
        if at >= len(data):
            break
        lines += splitter.lines(data[at:at + size])
        at += size
    *complete, rest = data.split(b"\n")
    assert [(line[:LINE_BYTES_MAX], size) for line, size in lines] == [
        (line.replace(b"\0", b"")[:LINE_BYTES_MAX], len(line) + 1) for line in complete]
    assert splitter.partial_size == len(rest)
    assert splitter.partial == rest.replace(b"\0", b"")[:LINE_BYTES_MAX]


def test_a_follow_started_again_from_its_position_reads_each_line_once(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("before\n")

    async def main() -> None:
        read, position = await read_until_stopped(log, ["one", "two"])
        assert read == ["one", "two"]
        append(log, "written while nobody followed\nand a half")  # a line not finished
        lines, follower = await resumed(log, position, 1)
        try:
            assert lines == ["written while nobody followed"]
            assert follower.opened == [LogOpened(position, None)]
            append(log, " line\nafter\n")
            assert [await follower.next() for _ in range(2)] == ["and a half line", "after"]
            await follower.expect_nothing()
        finally:
            await follower.close()

    run(main())


def test_a_log_rotated_while_not_followed_is_read_to_its_end_then_the_new_one(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")

    async def main() -> None:
        _, position = await read_until_stopped(log, ["one"])
        append(log, "last of the old file\n")
        log.rename(tmp_path / "debug.log.1")
        log.write_text("first of the new file\n")
        lines, follower = await resumed(log, position, 2)
        try:
            assert lines == ["last of the old file", "first of the new file"]
            assert [opened.lost for opened in follower.opened] == [None, None]
        finally:
            await follower.close()

    run(main())


def test_a_log_copied_then_truncated_while_not_followed_is_read_from_the_copy(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("10:00:00 (lmgrd) TIMESTAMP 12/3/2026\n")

    async def main() -> None:
        _, position = await read_until_stopped(log, ["one"])
        append(log, "copied before the truncation\n")
        (tmp_path / "debug.log-20261203").write_bytes(log.read_bytes())  # copytruncate
        with log.open("r+b") as file:
            file.truncate(0)
        append(log, "10:05:00 (lmgrd) TIMESTAMP 12/3/2026\n")
        lines, follower = await resumed(log, position, 2)
        await follower.close()
        assert lines == ["copied before the truncation", "10:05:00 (lmgrd) TIMESTAMP 12/3/2026"]
        assert [opened.lost for opened in follower.opened] == [None, None]

    run(main())


def test_a_log_rotated_away_or_truncated_while_not_followed_is_a_gap(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")

    async def main() -> None:
        _, position = await read_until_stopped(log, ["one"])
        append(log, "lost with the old file\n")
        log.unlink()
        log.write_text("first of the new file\n")
        lines, follower = await resumed(log, position, 1)
        await follower.close()
        assert lines == ["first of the new file"]
        # A deleted file's inode is often given to the next one: either way a gap is told.
        assert follower.opened[0].lost in ("the log was rotated and its old file is gone",
                                           "the log was truncated")

        _, position = await read_until_stopped(log, ["two"])
        with log.open("r+b") as file:
            file.truncate(0)
        append(log, "after the truncation\n")
        lines, follower = await resumed(log, position, 1)
        await follower.close()
        assert lines == ["after the truncation"]
        assert follower.opened[0].lost == "the log was truncated"

    run(main())


def test_a_copytruncate_hole_of_nul_bytes_is_dropped(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")

    async def body(follower: Follower) -> None:
        append(log, b"\x00\x00\x00after the hole\n")
        assert await follower.next() == "after the hole"
        # one longer than a line may be, written at once and in pieces: no line, whatever
        # its size (the writer's offset was that of a log of megabytes)
        append(log, b"\x00" * 3 * LINE_BYTES_MAX + b"after a long hole\n")
        assert await follower.next() == "after a long hole"
        for _ in range(3):
            append(log, b"\x00" * LINE_BYTES_MAX)
        append(log, b"after a hole in pieces\n")
        assert await follower.next() == "after a hole in pieces"

    run(following(LocalTransport(), log, body))


def test_closing_a_follow_closes_the_file(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("")

    def open_fds() -> set[str]:
        return {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
                if os.path.exists(f"/proc/self/fd/{fd}")}

    async def main() -> None:
        async with contextlib.aclosing(LocalTransport().follow(str(log))) as items:
            assert isinstance(await anext(items), LogOpened)
            waiter = asyncio.ensure_future(anext(items))
            await asyncio.sleep(0.2)
            assert str(log) in open_fds()
            append(log, "one\n")
            assert (await waiter).text == "one"
        assert str(log) not in open_fds()

    run(main())


# ---- files -------------------------------------------------------------------------------------

def test_read_then_write_atomic_keeps_mode_and_returns_the_new_stat(tmp_path):
    options = tmp_path / "MLM.opt"
    options.write_bytes(b"RESERVE 1 MATLAB USER jdoe\n")
    options.chmod(0o640)
    transport = LocalTransport()
    data, stat = run(transport.read(str(options)))
    assert data == b"RESERVE 1 MATLAB USER jdoe\n"
    assert (stat.size, stat.mtime_ns) == (len(data), options.stat().st_mtime_ns)
    new_stat = run(transport.write_atomic(str(options), b"# emptied\n", stat))
    assert options.read_bytes() == b"# emptied\n"
    assert options.stat().st_mode & 0o777 == 0o640
    assert new_stat == (10, options.stat().st_mtime_ns, options.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MLM.opt"]
    # The stat returned is good for the next save.
    run(transport.write_atomic(str(options), b"# again\n", new_stat))
    assert options.read_bytes() == b"# again\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can keep another user's ownership")
def test_write_atomic_as_root_keeps_the_owner(tmp_path):
    options = tmp_path / "MLM.opt"
    options.write_text("x\n")
    os.chown(options, 1, 1)
    _, stat = run(LocalTransport().read(str(options)))
    run(LocalTransport().write_atomic(str(options), b"y\n", stat))
    assert (options.stat().st_uid, options.stat().st_gid) == (1, 1)


def test_write_atomic_refuses_a_file_changed_since_it_was_read(tmp_path):
    options = tmp_path / "MLM.opt"
    options.write_text("mine\n")
    transport = LocalTransport()
    _, stat = run(transport.read(str(options)))
    options.write_text("theirs, longer\n")  # someone else saved in between
    with pytest.raises(FileChangedError, match="changed since it was read"):
        run(transport.write_atomic(str(options), b"new\n", stat))
    assert options.read_text() == "theirs, longer\n"
    # Same size, another time: refused as well.
    _, stat = run(transport.read(str(options)))
    options.write_text("THEIRS, LONGER\n")
    os.utime(options, ns=(stat.mtime_ns + 5_000_000, stat.mtime_ns + 5_000_000))
    with pytest.raises(FileChangedError):
        run(transport.write_atomic(str(options), b"new\n", stat))
    # Deleted since: refused; a new file over an existing one: refused.
    options.unlink()
    with pytest.raises(FileChangedError, match="deleted"):
        run(transport.write_atomic(str(options), b"new\n", stat))
    (tmp_path / "other.opt").write_text("exists\n")
    with pytest.raises(FileChangedError, match="created"):
        run(transport.write_atomic(str(tmp_path / "other.opt"), b"new\n", None))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.opt"]


def test_write_atomic_creates_a_new_file_when_none_was_expected(tmp_path):
    target = tmp_path / "new.opt"
    stat = run(LocalTransport().write_atomic(str(target), b"GROUP g a b\n", None))
    assert target.read_bytes() == b"GROUP g a b\n" and stat.size == 12


def test_write_atomic_leaves_nothing_behind_when_it_fails(tmp_path, monkeypatch):
    options = tmp_path / "MLM.opt"
    options.write_text("keep me\n")
    _, stat = run(LocalTransport().read(str(options)))

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(local.os, "replace", failing_replace)
    with pytest.raises(TransportError, match="cannot save .*No space left on device"):
        run(LocalTransport().write_atomic(str(options), b"new\n", stat))
    assert options.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MLM.opt"]
    with pytest.raises(TransportError, match="cannot save"):
        run(LocalTransport().write_atomic(str(tmp_path / "no-such-dir" / "x.opt"), b"", None))


def test_read_of_a_missing_file_is_a_transport_error(tmp_path):
    with pytest.raises(TransportError, match="cannot read .*No such file"):
        run(LocalTransport().read(str(tmp_path / "missing.opt")))


# ---- stat --------------------------------------------------------------------------------------

def test_stat_is_the_stat_read_returns_and_follows_changes(tmp_path):
    options = tmp_path / "MLM.opt"
    options.write_bytes(b"RESERVE 1 MATLAB USER jdoe\n")
    options.chmod(0o640)
    link = tmp_path / "link.opt"
    link.symlink_to(options.name)
    transport = LocalTransport()

    async def main() -> None:
        _, read_stat = await transport.read(str(options))
        assert await transport.stat(str(options)) == read_stat
        assert await transport.stat(str(link)) == read_stat == (await transport.read(str(link)))[1]
        assert read_stat == (27, options.stat().st_mtime_ns, options.stat().st_mode)
        append(options, "MAX 2 MATLAB USER bob\n")  # grown
        grown = await transport.stat(str(options))
        assert grown.size == 49 and grown != read_stat
        assert grown == (await transport.read(str(options)))[1]
        options.write_bytes(b"x" * 49)  # same size, another time
        os.utime(options, ns=(grown.mtime_ns + 5_000_000, grown.mtime_ns + 5_000_000))
        rewritten = await transport.stat(str(options))
        assert rewritten.size == 49 and rewritten.mtime_ns == grown.mtime_ns + 5_000_000
        # The stat write_atomic returns is the one stat then gives.
        saved = await transport.write_atomic(str(options), b"# saved\n", rewritten)
        assert await transport.stat(str(options)) == saved

    run(main())


def test_stat_of_a_missing_file_or_a_directory_is_a_transport_error(tmp_path):
    with pytest.raises(TransportError, match="cannot stat .*missing.opt: No such file"):
        run(LocalTransport().stat(str(tmp_path / "missing.opt")))
    with pytest.raises(TransportError, match="cannot stat .*: Is a directory"):
        run(LocalTransport().stat(str(tmp_path)))
    with pytest.raises(TransportError, match="cannot read .*: Is a directory"):
        run(LocalTransport().read(str(tmp_path)))  # as read refuses it


@pytest.mark.skipif(os.geteuid() == 0, reason="root is never refused")
def test_stat_needs_the_directory_not_the_file_to_be_readable(tmp_path):
    secret = tmp_path / "secret.log"
    secret.write_text("12345\n")
    secret.chmod(0)
    assert run(LocalTransport().stat(str(secret))).size == 6  # as `ls -l` would show it
    with pytest.raises(TransportError, match="cannot read .*Permission denied"):
        run(LocalTransport().read(str(secret)))
    tmp_path.chmod(0)
    try:
        with pytest.raises(TransportError, match="cannot stat .*Permission denied"):
            run(LocalTransport().stat(str(secret)))
    finally:
        tmp_path.chmod(0o700)


@pytest.mark.parametrize("known, found, same", [
    ("64:7-111", "64:7-111", True),
    ("64:7-111", "64:7-222", False),  # the inode of a deleted log, given to a new log
    ("64:7-111", "64:7", False),  # ... or to a binary file (a database journal beside it)
    ("64:7", "64:7-111", True),  # known before its first line was complete
    ("64:7", "64:8-111", False),
])
def test_a_file_is_the_log_it_was_by_inode_and_first_line(known, found, same):
    assert local.same_file(known, found) is same
