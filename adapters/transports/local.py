"""Run licence-manager commands and reach their files on this machine.

`follow` is `tail -F` done in Python: the file is polled every `poll_interval` seconds
(0.05 s by default, so a line appears within about 0.1 s of being written). The lines
yielded are the file's complete lines without their line ending; a line still being
written is held back until its newline arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import stat
import tempfile
import zlib
from collections.abc import AsyncIterator, Iterator, Sequence

from lmconsole.transport import (
    LINE_BYTES_MAX,
    CommandResult,
    FileChangedError,
    FileStat,
    FollowItem,
    LineSplitter,
    LogLine,
    LogMissingError,
    LogOpened,
    LogPosition,
    LogVanished,
    TransportError,
    decode_output,
)

# lmstat prints dates in the C locale's English only when asked to.
_C_LOCALE = {"LANG": "C", "LC_ALL": "C"}
POLL_INTERVAL_S = 0.05
FIRST_LINE_MAX = 4096  # bytes of a log's first line that identify it
LOST_TRUNCATED = "the log was truncated"
LOST_ROTATED = "the log was rotated and its old file is gone"
READ_CHUNK = 1 << 20


class LocalTransport:
    is_local = True  # its paths are this machine's: the editor watches them with watchfiles

    def __init__(self, *, poll_interval: float = POLL_INTERVAL_S) -> None:
        self.poll_interval = poll_interval

    async def run(self, argv: Sequence[str], *, timeout: float) -> CommandResult:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={**os.environ, **_C_LOCALE},
                start_new_session=True,  # its own process group: killed whole on timeout
            )
        except OSError as error:
            raise TransportError(f"cannot run {argv[0]}: {error.strerror or error}") from None
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            await _kill(process)
            raise TransportError(f"{argv[0]} did not answer within {timeout:g} s") from None
        except BaseException:  # cancelled: the child must not outlive us, nor its pipes leak
            await asyncio.shield(_kill(process))
            raise
        return CommandResult(process.returncode, decode_output(stdout), decode_output(stderr))

    # ---- follow --------------------------------------------------------------------------------

    async def follow(self, path: str, start: LogPosition | None = None
                     ) -> AsyncIterator[FollowItem]:
        """The lines of `path` from its end, or from `start` (see Transport.follow). A file
        replaced by another (rotation: another inode) is read to its end, then the new one
        from its start; a truncated file from its new start; a file that vanishes is
        said (LogVanished) and waited for. A fragment without its newline left at the end of
        a rotated file is dropped."""
        tail = _Tail(path)
        try:
            for item in tail.open_at(start):
                yield item
            while True:
                for item in tail.poll():
                    yield item
                await asyncio.sleep(self.poll_interval)
        finally:
            tail.close()

    # ---- files ---------------------------------------------------------------------------------

    async def read(self, path: str) -> tuple[bytes, FileStat]:
        return await asyncio.to_thread(read_file, path)

    async def stat(self, path: str) -> FileStat:
        return await asyncio.to_thread(stat_file, path)

    async def write_atomic(self, path: str, data: bytes, expected: FileStat | None, *,
                           like: str | None = None) -> FileStat:
        return await asyncio.to_thread(write_file_atomic, path, data, expected, like)

    async def list_dir(self, path: str) -> list[str]:
        try:
            return sorted(await asyncio.to_thread(os.listdir, path))
        except OSError as error:
            raise TransportError(f"cannot list {path}: {error.strerror or error}") from None


async def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill the command and whatever it started (which would hold its pipes open)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


class _Tail:
    """The state of one follow: the open file, its identity, the offset read, a partial
    line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.file = None
        self.file_id: str | None = None
        self.offset = 0
        self.splitter = LineSplitter()
        self.vanished = False  # the path names no file (said once, until one appears)

    def open_at(self, start: LogPosition | None) -> Iterator[FollowItem]:
        """Open the log where a follow from `start` begins; what to yield first."""
        info = self._stat()
        if info is None:
            raise LogMissingError(f"cannot follow {self.path}: "
                                  f"{os.strerror(errno.ENOENT)}")
        current = _file_id(self.path, info)
        if start is None:
            yield from self._open(self.path, info.st_size)
            return
        same = start.file_id is None or same_file(start.file_id, current)
        if same and info.st_size >= start.offset:
            yield from self._open(self.path, start.offset)
            return
        rotated = None if start.file_id is None else _find_rotated(self.path, start.file_id)
        if rotated is None:
            in_place = inode_of(start.file_id) in (None, inode_of(current))
            yield from self._open(self.path, 0,
                                  lost=LOST_TRUNCATED if in_place else LOST_ROTATED)
            return
        yield from self._open(rotated, start.offset)
        yield from self.drain()
        yield from self._open(self.path, 0)

    def _stat(self) -> os.stat_result | None:
        try:
            return os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise TransportError(f"cannot follow {self.path}: {error.strerror or error}") \
                from None

    def _open(self, path: str, offset: int, lost: str | None = None) -> list[FollowItem]:
        try:
            file = open(path, "rb")  # noqa: SIM115 - kept open across polls
        except FileNotFoundError:
            return []  # gone between its stat and here: waited for like a vanished one
        except OSError as error:
            raise TransportError(f"cannot follow {path}: {error.strerror or error}") from None
        self.close()
        self.file, self.splitter, self.vanished = file, LineSplitter(), False
        self.file_id = _file_id(path, os.fstat(file.fileno()))
        self.offset = offset
        file.seek(offset)
        return [LogOpened(LogPosition(self.file_id, offset), lost)]

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def poll(self) -> Iterator[FollowItem]:
        yield from self.drain()
        info = self._stat()
        if info is None:  # rotated away or deleted: keep the old file until a new one appears
            if not self.vanished:
                self.vanished = True
                yield LogVanished(LogPosition(self.file_id, self.offset))
            return
        # appeared (after it went: a new file, even where its inode number is used again),
        # replaced, or truncated in place
        if self.file is None or self.vanished or _inode(info) != inode_of(self.file_id) \
                or info.st_size < self.offset:
            yield from self._open(self.path, 0)
            yield from self.drain()

    def drain(self) -> Iterator[FollowItem]:
        """The lines written since, read a chunk at a time as they are taken: however far
        behind the follow is, memory holds one chunk's."""
        if self.file is None:
            return
        while chunk := self.file.read(READ_CHUNK):
            end = self.offset - self.splitter.partial_size
            self.offset += len(chunk)
            lines = []
            for line, size in self.splitter.lines(chunk):
                end += size
                lines.append(LogLine(decode_line(line[:LINE_BYTES_MAX]),
                                     LogPosition(self.file_id, end)))
            yield from lines


def _inode(info: os.stat_result) -> str:
    return f"{info.st_dev}:{info.st_ino}"


def _file_id(path: str, info: os.stat_result) -> str:
    """A log's identity: its inode and, once its first line is complete, a checksum of
    that line, so that a new log given the inode of a deleted one is not taken for it."""
    with contextlib.suppress(OSError), open(path, "rb") as file:
        first = file.readline(FIRST_LINE_MAX)
        if first.endswith(b"\n") or len(first) == FIRST_LINE_MAX:
            return f"{_inode(info)}-{zlib.crc32(first)}"
    return _inode(info)


def inode_of(file_id: str | None) -> str | None:
    return None if file_id is None else file_id.partition("-")[0]


def same_file(known: str, current: str) -> bool:
    """Whether the log known as `known` is `current`: the same inode, and the same first
    line where both know it. A file known with a complete first line is not one without:
    that line stays (a truncated log is found by its inode, apart), and a file that took
    over the inode of a deleted log (a database's journal beside it) has none."""
    if "-" in known:
        return known == current
    return inode_of(known) == inode_of(current)


def _find_rotated(log: str, file_id: str) -> str | None:
    """Where the log known as `file_id` went, beside `log`: renamed (the same inode and
    first line), or copied before a truncation (`copytruncate`: with the same first line).
    Only files named like the log are opened (adskflex.log.1, adskflex.log-20261204,
    adskflex-old.log for adskflex.log): closing a file this process opened drops the POSIX
    locks it holds on it, and an SQLite database beside the log (the history's own, whose
    journal may have taken over the deleted log's inode) would lose its locks."""
    directory, base = os.path.split(os.path.abspath(log))
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return None
    stem = base.split(".", 1)[0]
    copies = []
    for name in names:
        path = os.path.join(directory, name)
        if path == os.path.join(directory, base) or not name.startswith(stem):
            continue
        with contextlib.suppress(OSError):
            found = _file_id(path, os.stat(path))
            if same_file(file_id, found):
                return path
            if name.startswith(base) and "-" in file_id and \
                    found.partition("-")[2] == file_id.partition("-")[2]:
                copies.append(path)
    return copies[0] if copies else None


def decode_line(line: bytes) -> str:
    """One line of a log, without its line ending. NUL bytes (the hole left by a writer that
    kept its offset across a `copytruncate` rotation) are dropped rather than refused."""
    return decode_output(line.removesuffix(b"\r").replace(b"\x00", b""))


# ---- files, shared with nothing but kept here: blocking, run in a thread ----------------------

def file_stat(info: os.stat_result) -> FileStat:
    return FileStat(info.st_size, info.st_mtime_ns, info.st_mode)


def read_file(path: str) -> tuple[bytes, FileStat]:
    """The bytes of `path` and the stat of exactly that version (read again if it changed
    while being read)."""
    for _ in range(5):
        try:
            with open(path, "rb") as file:
                before = os.fstat(file.fileno())
                data = file.read()
                after = os.fstat(file.fileno())
        except OSError as error:
            raise TransportError(f"cannot read {path}: {error.strerror or error}") from None
        if file_stat(before) == file_stat(after):
            return data, file_stat(after)
    raise TransportError(f"cannot read {path}: it keeps changing while being read")


def stat_file(path: str) -> FileStat:
    """What read_file would return as the stat of `path`, without opening it."""
    try:
        info = os.stat(path)
    except OSError as error:
        raise TransportError(f"cannot stat {path}: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):  # read_file refuses one too
        raise TransportError(f"cannot stat {path}: {os.strerror(errno.EISDIR)}")
    return file_stat(info)


def check_unchanged(path: str, current: FileStat | None, expected: FileStat | None) -> None:
    """Refuse (FileChangedError) unless the file is still the version the caller read."""
    if expected is None:
        if current is not None:
            raise FileChangedError(f"{path} was created by someone else since it was opened; "
                                   f"reload it before saving")
        return
    if current is None:
        raise FileChangedError(f"{path} was deleted since it was read; reload before saving")
    if (current.size, current.mtime_ns) != (expected.size, expected.mtime_ns):
        raise FileChangedError(f"{path} changed since it was read (size {expected.size} -> "
                               f"{current.size}, modified again); reload it and redo the edit")


def write_file_atomic(path: str, data: bytes, expected: FileStat | None,
                      like: str | None = None) -> FileStat:
    """Replace `path` by `data` through a temporary file in the same directory (fsync'd, with
    the old file's mode, and its owner when we are root; a new file takes those of `like`,
    if given) and os.replace. `expected` None means the file must not exist yet. Nothing is
    left behind on failure."""
    directory, name = os.path.split(os.path.abspath(path))

    def current() -> os.stat_result | None:
        try:
            return os.stat(path)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise TransportError(f"cannot save {path}: {error.strerror or error}") from None

    old = current()
    check_unchanged(path, None if old is None else file_stat(old), expected)
    model = old
    if model is None and like is not None:
        with contextlib.suppress(OSError):
            model = os.stat(like)
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".lmconsole")
    except OSError as error:
        raise TransportError(f"cannot save {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
            if model is not None:
                os.fchmod(file.fileno(), stat.S_IMODE(model.st_mode))
                if os.geteuid() == 0:
                    os.fchown(file.fileno(), model.st_uid, model.st_gid)
            else:
                os.fchmod(file.fileno(), 0o644)
        latest = current()  # the window between this check and the rename is a few calls
        check_unchanged(path, None if latest is None else file_stat(latest), expected)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise TransportError(f"cannot save {path}: {error.strerror or error}") from None
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return file_stat(os.stat(path))
