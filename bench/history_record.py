"""Benchmark: the cost of live recording, per event: what the console and `collect` add to
each debug-log event (HistoryRecorder.log_event, then its batch written to SQLite), on
generated OUT/IN/DENIED events. Asserts nothing; prints microseconds per event.

    .venv/bin/python bench/history_record.py [--events 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lmconsole.history.recorder import HistoryRecorder  # noqa: E402
from lmconsole.history.store import HistoryStore  # noqa: E402
from lmconsole.model import Event, EventKind  # noqa: E402
from lmconsole.transport import LogPosition  # noqa: E402

KINDS = (EventKind.OUT, EventKind.DENIED, EventKind.IN)


def events(count: int) -> list[tuple[Event, LogPosition]]:
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    made = []
    for n in range(count):
        user = n // 3
        made.append((Event(start + timedelta(seconds=user), KINDS[n % 3], "adskflex",
                           "AutoCAD", f"u{user}", "ws1", server="bench", line=n + 1),
                     LogPosition("bench-log", n * 100)))
    return made


async def measure(count: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = await HistoryStore.open(f"sqlite:///{directory}/history.db")
        recorder = HistoryRecorder(store)
        log = "/var/log/bench.log"
        await recorder.add_server("bench", manager="flexlm", time_zone="UTC", log_paths=(log,))
        made = events(count)
        started = time.perf_counter()
        for event, where in made:
            recorder.log_event(event, where, log)
        queued = time.perf_counter() - started
        await recorder.flush()
        total = time.perf_counter() - started
        size = Path(directory, "history.db").stat().st_size
        await store.close()
    print(f"{count:,} events: queueing {queued / count * 1e6:.2f} us/event, "
          f"queueing and writing {total / count * 1e6:.1f} us/event "
          f"({count / total:,.0f} events/s); database {size / 2**20:.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args(argv)
    asyncio.run(measure(args.events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
