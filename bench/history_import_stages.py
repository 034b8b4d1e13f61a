"""Benchmark: where `lmconsole import`'s reading process spends its CPU, stage by stage.

Reads a debug log (bench/history_import.py --log keeps one) four times, each time doing one
stage more, and prints the CPU time per line of each: the lines read and decoded; parsed
(the adapter's event reader); turned into rows with their sessions tracked and their
occupancy counted (the importer's _RowWriter.add: SessionTracker.observe,
ReadingCount.change); and the rows made into the bulk writer's statements and pickled, a
batch at a time. Nothing is written to a database: the writer process, the indexes and the
occupancy's roll-up come on top (bench/history_import.py).
Asserts nothing.

    .venv/bin/python bench/history_import_stages.py LOG [--repeat 1]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from lmconsole.adapters import ADAPTERS
from lmconsole.history.bulk_writer import _pickled
from lmconsole.history.importer import BATCH_EVENTS, _RowWriter
from lmconsole.history.logfiles import LogFile
from lmconsole.history.occupancy import ReadingCount
from lmconsole.history.sessions import SessionTracker
from lmconsole.history.store import HistoryStore

STAGES = ("read", "parse", "rows", "pickle")
START = date(2026, 3, 2)  # bench/debuglog.py's first day


class _NoStore:
    """What _RowWriter asks of a store when nothing is written."""

    def bulk_writer(self, **_options) -> None:
        return None


def run_stage(path: Path, stage: str) -> tuple[int, float]:
    """(lines, CPU seconds) of reading `path` up to `stage`."""
    file = LogFile(path)
    reader = ADAPTERS["flexlm"].event_reader(tz=ZoneInfo("Europe/Berlin"), server="bench",
                                             start_date=START)
    writer = _RowWriter(_NoStore(), 1, SessionTracker(), ReadingCount(1), {1})
    feed, add = reader.feed, writer.add
    lines = 0
    started = time.process_time()
    with file.open() as stream:
        for offset, text in file.lines(stream):
            lines += 1
            if stage == "read":
                continue
            event = feed(text)
            if event is None or stage == "parse":
                continue
            add(event, 1, offset)
            if len(writer.events) >= BATCH_EVENTS:
                cleared, minutes = writer.occupancy.taken()
                if stage == "pickle":
                    _pickled(HistoryStore.bulk_statements(writer.events, writer.denials,
                                                          writer.sessions, cleared, minutes))
                writer.events, writer.denials, writer.sessions = [], [], []
    return lines, time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="the least CPU time of N runs")
    args = parser.parse_args(argv)
    gc.disable()  # as the importer reads (lmconsole/gc_pause.py)
    before = 0.0
    for stage in STAGES:
        lines, cpu = min((run_stage(args.log, stage) for _ in range(args.repeat)),
                         key=lambda result: result[1])
        print(f"{stage:>7}: {cpu / lines * 1e6:5.2f} us/line CPU "
              f"(+{(cpu - before) / lines * 1e6:.2f}), {lines / cpu:,.0f} lines/s")
        before = cpu
    return 0


if __name__ == "__main__":
    sys.exit(main())
