"""Log files to import: plain or gzip (known by its magic bytes, not its name), read line by
line with each line's byte offset, and known by their identity: the SHA-256 of their first
IDENTITY_BYTES (decompressed), so that a log renamed by rotation, compressed or copied is
still the same file and its lines are not counted twice.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lmconsole.transport import LINE_BYTES_MAX

IDENTITY_BYTES = 8192  # beyond lmgrd's start-up banner, which names its pid and the date
GZIP_MAGIC = b"\x1f\x8b"


# bytes no text file holds (NUL apart: see `_check_text`)
_BINARY = re.compile(rb"[\x01-\x08\x0e-\x1a\x1c-\x1f]")


def _check_text(path: Path, head: bytes) -> None:
    """LogFileError unless the first bytes of `path` read as text. NUL bytes alone are a
    hole (see `LogFile.lines`), which may begin the file; one holding nothing else cannot
    be told apart from another such file, and is not taken either."""
    if b"\0" not in head:
        return
    rest = head.replace(b"\0", b"")
    if _BINARY.search(rest):
        raise LogFileError(f"{path}: a binary file, not a log (it holds NUL bytes)")
    if not rest:
        raise LogFileError(
            f"{path}: its first {len(head):,} bytes are all NUL (the hole a copytruncate "
            f"rotation leaves): it cannot be told apart from another such file, so it is "
            f"not imported")


def identity_digest(head: bytes) -> str:
    """The digest a log is known by, of its first bytes."""
    return hashlib.sha256(head).hexdigest()


class LogFileError(Exception):
    """A file that cannot be imported: missing, unreadable, binary, a broken gzip file."""


@dataclass(frozen=True, slots=True)
class LogIdentity:
    digest: str  # SHA-256, hex, of the first `prefix_bytes` bytes
    prefix_bytes: int  # IDENTITY_BYTES, or the whole size of a shorter file


class LogFile:
    """One log file on disk, opened for reading from its first line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            with open(self.path, "rb") as probe:
                self.compressed = probe.read(2) == GZIP_MAGIC
            self.size_on_disk = self.path.stat().st_size
            head = self.head(IDENTITY_BYTES)
        except OSError as error:
            raise LogFileError(f"{self.path}: {error.strerror or error}") from None
        _check_text(self.path, head)
        self.identity = LogIdentity(identity_digest(head), len(head))
        self.lines_cut = 0  # lines longer than LINE_BYTES_MAX, read to there
        self.first_cut_at: int | None = None  # the byte offset of the first
        self.unended = 0  # the size of a last line with no line end, not read
        self.nul_lines = 0  # lines read without the NUL bytes they held

    def open(self) -> BinaryIO:
        raw = open(self.path, "rb")  # noqa: SIM115 - handed to the caller, who closes it
        return gzip.GzipFile(fileobj=raw, mode="rb") if self.compressed else raw

    def head(self, size: int) -> bytes:
        """The first `size` bytes of the content (decompressed)."""
        with self.open() as stream:
            try:
                return stream.read(size)
            except (OSError, EOFError, zlib.error) as error:
                raise LogFileError(f"{self.path}: a broken gzip file ({error})") from None

    def digest_of_first(self, size: int) -> str:
        """The identity digest of the first `size` bytes, to recognise a file known from
        when it was shorter."""
        return identity_digest(self.head(size))

    def lines(self, stream: BinaryIO) -> Iterator[tuple[int, str]]:
        """(byte offset, line without its line end) for every line of `stream`. Bytes that
        are not UTF-8 are read as Latin-1 (old Windows servers). A line longer than
        LINE_BYTES_MAX is read to there (counted in `lines_cut`): memory does not grow with
        a line either. A last line with no line end is not read (`unended`): being written,
        it is read once complete. NUL bytes (a crash's leftovers, or the hole a writer
        leaves that kept its offset across a `copytruncate` rotation) are dropped before
        the limit applies, as a follow drops them (`nul_lines`): a hole is no line, however
        long, and the line after it is read whole, at the hole's offset, as a follow reads
        it (transport.LineSplitter). A gzip file that breaks off ends the lines and raises
        LogFileError."""
        offset = self.lines_cut = self.unended = self.nul_lines = 0
        readline = stream.readline
        try:
            while raw := readline(LINE_BYTES_MAX):
                size = len(raw)
                if raw[-1:] == b"\n":
                    raw = raw[:-1]
                else:  # longer than LINE_BYTES_MAX with its NULs, or the file ends in it
                    raw, size = self._long_line(readline, raw, offset)
                    if raw is None:  # the file ends within it: being written, or cut off
                        self.unended = size
                        return
                if b"\0" in raw:
                    raw = raw.replace(b"\0", b"")
                    self.nul_lines += 1
                try:
                    text = raw.decode()
                except UnicodeDecodeError:
                    text = raw.decode("latin-1")
                yield offset, text
                offset += size
        except (OSError, EOFError, zlib.error) as error:
            raise LogFileError(f"{self.path}: broken off at byte {offset:,} of its content "
                               f"({error})") from None

    def _long_line(self, readline, start: bytes, offset: int) -> tuple[bytes | None, int]:
        """The line at `offset` begun by `start` (LINE_BYTES_MAX bytes, or the file's last):
        its first LINE_BYTES_MAX bytes that are not NUL, and its size with its line end;
        None for the line when the file ends before its line end."""
        size, holes = len(start), b"\0" in start
        kept = start.replace(b"\0", b"") if holes else start
        while not (ended := start[-1:] == b"\n") and (start := readline(LINE_BYTES_MAX)):
            size += len(start)
            if len(kept) <= LINE_BYTES_MAX:  # one byte more than kept tells a line cut
                piece = start[:-1] if start[-1:] == b"\n" else start
                if b"\0" in piece:
                    piece, holes = piece.replace(b"\0", b""), True
                kept += piece[:LINE_BYTES_MAX + 1 - len(kept)]
        if not ended:
            return None, size
        self.nul_lines += holes
        if len(kept) > LINE_BYTES_MAX:
            self.first_cut_at = offset if self.lines_cut == 0 else self.first_cut_at
            self.lines_cut += 1
            kept = kept[:LINE_BYTES_MAX]
        return kept, size

    def position_on_disk(self, stream: BinaryIO) -> int:
        """How far into the file on disk `stream` has read (for a progress bar)."""
        underlying = getattr(stream, "fileobj", None) or stream
        try:
            return underlying.tell()
        except (OSError, ValueError):
            return 0
