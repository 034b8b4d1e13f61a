"""An imported file's lines (history.logfiles.LogFile.lines) are a follow's
(transport.LineSplitter): the same lines at the same byte offsets, so that a log imported and
followed is keyed alike, whatever NUL holes and over-long lines it holds."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lmconsole.history.logfiles import LogFile
from lmconsole.transport import LINE_BYTES_MAX, LineSplitter

FIRST = b" 8:00:00 (lmgrd) TIMESTAMP 3/2/2026\n"  # text at its head: not refused as binary


def imported(data: bytes) -> tuple[list[tuple[int, bytes]], int, LogFile]:
    """The lines an import reads, with their offsets, and where a collector goes on."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "debug.log")
        path.write_bytes(data)
        file = LogFile(path)
        with file.open() as stream:
            lines = [(offset, text.encode("latin-1")) for offset, text in file.lines(stream)]
            return lines, stream.tell() - file.unended, file


def followed(data: bytes, chunk: int) -> tuple[list[tuple[int, bytes]], int]:
    """The lines a follow reads in chunks of `chunk` bytes (cut at LINE_BYTES_MAX, as the
    follow's reader cuts them), with their offsets, and the position after the last
    complete one."""
    splitter, lines, at = LineSplitter(), [], 0
    for start in range(0, len(data), chunk):
        for line, size in splitter.lines(data[start:start + chunk]):
            lines.append((at, line[:LINE_BYTES_MAX]))
            at += size
    return lines, at


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=40).map(lambda b: bytes(32 + c % 95 for c in b)),
                          st.sampled_from([b"\n", b"y" * 70_000, b"\0" * 70_000]),
                          st.integers(LINE_BYTES_MAX - 40, LINE_BYTES_MAX + 40).map(
                              lambda n: b"\0" * n)),
                max_size=10),
       st.integers(1_000, 100_000))
def test_an_import_reads_the_lines_a_follow_reads_at_the_same_offsets(pieces, chunk):
    data = FIRST + b"".join(pieces)
    lines, going_on_from, _ = imported(data)
    assert (lines, going_on_from) == followed(data, chunk)


def test_a_line_after_a_hole_just_short_of_the_line_limit_is_read_whole():
    """The import cut the line whose first bytes ended a hole's last 64 KiB: the OUT after
    a hole of 65,530 NULs was lost, where a follow read it."""
    out = b' 9:10:00 (MLM) OUT: "MATLAB" bob@ws2  '
    data = FIRST + b"\0" * (LINE_BYTES_MAX - 6) + out + b"\n" + b" 9:11:00 last\n"
    lines, going_on_from, file = imported(data)
    assert lines == [(0, FIRST[:-1]), (len(FIRST), out),
                     (len(data) - 14, b" 9:11:00 last")]
    assert going_on_from == len(data)
    assert (file.nul_lines, file.lines_cut) == (1, 0)


def test_a_hole_at_the_end_is_read_once_a_line_ends_it():
    lines, going_on_from, file = imported(FIRST + b"\0" * 200_000)
    assert lines == [(0, FIRST[:-1])]
    assert going_on_from == len(FIRST) and file.unended == 200_000
