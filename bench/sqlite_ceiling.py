"""Benchmark: the most lines/s an import could write into SQLite on this machine, whatever
its reading cost: the rows of a log written as the import's writer process writes them
(its statements and pragmas, a transaction per BATCH_EVENTS events: bulk_writer.py),
into the history's own tables, but bare: their primary keys only, no other index, no
trigger, no month sums, no minutes, and nothing to read or parse (the rows are made
beforehand, not timed).

Two figures: the events alone (a row per OUT, IN, DENIED... line, as the history keeps
them), then with the sessions and denials a busy server's log holds per line too (those of
bench/history_import.py's generated log: 0.40 sessions and 0.16 denials a line). What
`bench/history_import.py` measures can be no faster than these.
Asserts nothing.

    .venv/bin/python bench/sqlite_ceiling.py [--lines 1000000]
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable

from lmconsole.history import schema
from lmconsole.history.bulk_writer import _write
from lmconsole.history.importer import BATCH_EVENTS
from lmconsole.history.store import SQLITE_BULK_PRAGMAS, SQLITE_PRAGMAS, HistoryStore

SESSIONS_PER_LINE = 0.40  # bench/history_import.py's log: 400,910 sessions in 1,001,407 lines
DENIALS_PER_LINE = 0.16  # and 158,921 denials
BYTES_PER_LINE = 67  # its mean line length, for the byte offsets
START = 1_772_409_600  # 2026-03-02 00:00 UTC, its first day


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version} on "
          f"{platform.machine()}")
    for name, with_others in (("events only", False),
                              ("events, sessions and denials", True)):
        cpu, wall = write(args.lines, with_others)
        print(f"{name}: {args.lines:,} lines in {wall:.1f} s = {args.lines / wall:,.0f} "
              f"lines/s ({args.lines / cpu:,.0f} lines per CPU second)")
    return 0


def write(lines: int, with_others: bool) -> tuple[float, float]:
    """(CPU, wall) seconds to write the rows of `lines` lines into a new database."""
    batches = [HistoryStore.bulk_statements(*rows(first, min(BATCH_EVENTS, lines - first),
                                                  with_others))
               for first in range(0, lines, BATCH_EVENTS)]
    with tempfile.TemporaryDirectory(prefix="lmconsole-bench-") as directory:
        connection = sqlite3.connect(Path(directory) / "history.db", isolation_level=None)
        for pragma in SQLITE_PRAGMAS + SQLITE_BULK_PRAGMAS:
            connection.execute(f"PRAGMA {pragma}")
        for table in (schema.events, schema.sessions, schema.denials):
            connection.execute(str(CreateTable(table).compile(dialect=sqlite.dialect())))
        cpu, wall = time.process_time(), time.perf_counter()
        for statements in batches:
            _write(connection, statements)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        connection.close()
    return cpu, wall


def rows(first: int, count: int, with_others: bool) -> tuple[list, list, list]:
    """The events, denials and sessions of lines first .. first + count - 1: a few hundred
    users of 40 features, 3 lines a second; in the order of the store's columns."""
    events, denials, sessions = [], [], []
    for line in range(first, first + count):
        offset, at = line * BYTES_PER_LINE, START + line // 3
        user, feature = f"user{line % 307:03d}", f"FEATURE_{line % 40:02d}"
        host = f"ws-{line % 307:03d}.example.com"
        kind = "OUT" if line % 2 else "IN"
        events.append((1, offset, 1, at, kind, "mlm", feature, user, host, 1, None, None,
                       None, line + 1))
        if not with_others:
            continue
        if line * SESSIONS_PER_LINE % 1 < SESSIONS_PER_LINE:
            sessions.append((1, 1, offset, feature, "mlm", user, host, 1, False,
                             at - 3600, at, "in", None, None))
        if line * DENIALS_PER_LINE % 1 < DENIALS_PER_LINE:
            denials.append((1, offset, 1, at, "DENIED", "mlm", feature, user, host, 1,
                            "-4,342", "Licensed number of users already reached."))
    return events, denials, sessions


if __name__ == "__main__":
    sys.exit(main())
