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
from collections.abc import AsyncIterator, Sequence

from lmconsole.transport import (
    CommandResult,
    FileChangedError,
    FileStat,
    TransportError,
    decode_output,
)

# lmstat prints dates in the C locale's English only when asked to.
_C_LOCALE = {"LANG": "C", "LC_ALL": "C"}
POLL_INTERVAL_S = 0.05
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

    async def follow(self, path: str) -> AsyncIterator[str]:
        """The lines appended to `path` from now on. A file replaced by another (rotation:
        another inode) is read from the start of the new one, after what was left in the old
        one; a truncated file from its new start; a missing file is waited for. A fragment
        without its newline left at the end of a rotated file is dropped."""
        tail = _Tail(path)
        try:
            tail.open(at_end=True)
            while True:
                for line in tail.poll():
                    yield line
                await asyncio.sleep(self.poll_interval)
        finally:
            tail.close()

    # ---- files ---------------------------------------------------------------------------------

    async def read(self, path: str) -> tuple[bytes, FileStat]:
        return await asyncio.to_thread(read_file, path)

    async def stat(self, path: str) -> FileStat:
        return await asyncio.to_thread(stat_file, path)

    async def write_atomic(self, path: str, data: bytes, expected: FileStat | None) -> FileStat:
        return await asyncio.to_thread(write_file_atomic, path, data, expected)

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
    """The state of one follow: the open file, its inode, the offset read, a partial line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.file = None
        self.inode: tuple[int, int] | None = None
        self.offset = 0
        self.partial = b""

    def open(self, *, at_end: bool) -> None:
        try:
            file = open(self.path, "rb")  # noqa: SIM115 - kept open across polls
        except FileNotFoundError:
            return
        except OSError as error:
            raise TransportError(f"cannot follow {self.path}: {error.strerror or error}") from None
        info = os.fstat(file.fileno())
        self.close()
        self.file, self.inode, self.partial = file, (info.st_dev, info.st_ino), b""
        self.offset = info.st_size if at_end else 0
        file.seek(self.offset)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def poll(self) -> list[str]:
        lines = self.drain()
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return lines  # rotated away or deleted: keep the old file until a new one appears
        except OSError as error:
            raise TransportError(f"cannot follow {self.path}: {error.strerror or error}") from None
        if self.file is None or (info.st_dev, info.st_ino) != self.inode:
            self.open(at_end=False)  # appeared or replaced: the new file from its start
            return lines + self.drain()
        if info.st_size < self.offset:  # truncated in place
            self.file.seek(0)
            self.offset, self.partial = 0, b""
            return lines + self.drain()
        return lines

    def drain(self) -> list[str]:
        if self.file is None:
            return []
        lines: list[str] = []
        while chunk := self.file.read(READ_CHUNK):
            self.offset += len(chunk)
            *complete, self.partial = (self.partial + chunk).split(b"\n")
            lines.extend(decode_line(line) for line in complete)
        return lines


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


def write_file_atomic(path: str, data: bytes, expected: FileStat | None) -> FileStat:
    """Replace `path` by `data` through a temporary file in the same directory (fsync'd, with
    the old file's mode, and its owner when we are root) and os.replace. `expected` None
    means the file must not exist yet. Nothing is left behind on failure."""
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
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".lmconsole")
    except OSError as error:
        raise TransportError(f"cannot save {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
            if old is not None:
                os.fchmod(file.fileno(), stat.S_IMODE(old.st_mode))
                if os.geteuid() == 0:
                    os.fchown(file.fileno(), old.st_uid, old.st_gid)
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
