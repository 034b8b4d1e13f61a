"""How the core reaches a licence server: the transport protocol.

Implementations live in `lmconsole.adapters.transports`: local subprocess and files, SSH
(asyncssh, SFTP for files) and the in-process simulator. A transport only moves bytes and
lines; parsing belongs to the adapters.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator, Sequence
from typing import NamedTuple, Protocol


class CommandResult(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str


class FileStat(NamedTuple):
    """What identifies a version of a file, to refuse a write over someone else's change."""

    size: int
    mtime_ns: int
    mode: int


# A log line is read to here, the rest of it skipped (no licence manager writes one as long):
# neither memory nor time grows with a line that does not end.
LINE_BYTES_MAX = 65_536


class LineSplitter:
    """Splits the chunks of a stream into its lines, carrying the unfinished last one from
    chunk to chunk: of a line longer than LINE_BYTES_MAX only what the chunk that ends it
    holds is kept past there, each chunk copied once, however long the line. NUL bytes are
    dropped (their sizes counted): the hole a writer leaves that kept its offset across a
    `copytruncate` rotation is no line, however long, and the line after it is read whole."""

    def __init__(self) -> None:
        self.partial = b""  # the unfinished line's start (at most LINE_BYTES_MAX bytes)
        self.partial_size = 0  # its size

    def lines(self, chunk: bytes) -> list[tuple[bytes, int]]:
        """(line without its newline, its size with it) of each line `chunk` ends."""
        *complete, rest = chunk.split(b"\n")
        holes = b"\0" in chunk
        lines = [(line.replace(b"\0", b"") if holes else line, len(line) + 1)
                 for line in complete]
        if lines and self.partial_size:
            first, size = lines[0]
            lines[0] = self.partial + first, size + self.partial_size
            self.partial, self.partial_size = b"", 0
        if len(self.partial) < LINE_BYTES_MAX:
            kept = rest.replace(b"\0", b"") if holes else rest
            self.partial += kept[:LINE_BYTES_MAX - len(self.partial)]
        self.partial_size += len(rest)
        return lines


class LogPosition(NamedTuple):
    """How far a follow has read a log: the file's identity (its inode, as text; the
    simulator's log; None when unknown) and the bytes read from it, up to the end of the
    last complete line handed over."""

    file_id: str | None
    offset: int


class LogLine(NamedTuple):
    """A complete line of a followed log, and the position just after it."""

    text: str
    end: LogPosition


class LogOpened(NamedTuple):
    """A follow (re)started reading at `at`. `lost` says why what came before could not be
    read (the log was rotated away or truncated while nobody read it), else None."""

    at: LogPosition
    lost: str | None = None


class LogVanished(NamedTuple):
    """The log's path names no file any more (deleted, or moved away with no new file made
    there yet); the follow waits for one to appear and reads it from its start (a
    LogOpened). `at`: how far the file that went was read."""

    at: LogPosition


FollowItem = LogLine | LogOpened | LogVanished


class TransportError(Exception):
    """The command could not be run at all (not found, timed out, connection refused)."""


class LogMissingError(TransportError):
    """follow: the log does not exist (yet)."""


class FileChangedError(TransportError):
    """write_atomic refused: the file changed since it was read."""


class Transport(Protocol):
    async def run(self, argv: Sequence[str], *, timeout: float) -> CommandResult:
        """Run a command to completion; its output decoded with decode_output."""
        ...

    def follow(self, path: str, start: LogPosition | None = None) -> AsyncIterator[FollowItem]:
        """The lines of `path` like `tail -F`: from its end when `start` is None, else from
        `start`, so that a follow made again after a dropped link reads each line once. It
        yields a LogOpened first (and again wherever it starts reading another file or
        again), then a LogLine per complete line. A file rotated away since `start` is read
        to its end when it can still be found beside the log, else LogOpened.lost says so;
        likewise for a truncated one. A log that does not exist raises TransportError at
        once; one that goes while followed yields LogVanished, and LogOpened when a file
        appears there again. Leaves nothing running when the iteration is closed."""
        ...

    async def read(self, path: str) -> tuple[bytes, FileStat]:
        ...

    async def stat(self, path: str) -> FileStat:
        """The FileStat that `read(path)` would return for the file as it is now, without
        reading it (a debug log's size; whether a file changed since it was read). Follows
        symbolic links as read does. A missing file, a directory, or one that cannot be
        reached raise TransportError; the file itself need not be readable."""
        ...

    async def write_atomic(self, path: str, data: bytes, expected: FileStat | None, *,
                           like: str | None = None) -> FileStat:
        """Write through a temporary file in the same directory and a rename, keeping mode
        and owner (a new file: those of the file `like`, when given; a backup keeps its
        original's); refuse with FileChangedError if the file is no longer `expected`."""
        ...

    async def list_dir(self, path: str) -> list[str]:
        """The names in a directory, sorted (to find the backups beside a file)."""
        ...


class BinaryInputError(ValueError):
    pass


def decode_output(data: bytes) -> str:
    """Text from a licence manager's output or a saved copy of it. lmutil prints the
    platform's encoding: UTF-8 on current systems, a Latin code page on old Windows ones.
    A copy saved by Windows PowerShell 5 (`lmutil lmstat -a > file`) is UTF-16 with a
    byte-order mark."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        raise BinaryInputError("binary data (NUL bytes), not a text output")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def reconnect_now(transport: object) -> None:
    """Before an action somebody asked for: a transport waiting out a reconnection
    backoff (SSH) tries again at once instead."""
    reconnect = getattr(transport, "reconnect_now", None)
    if reconnect is not None:
        reconnect()
