"""Benchmark: the FlexLM parsers in CPU time, which a loaded machine disturbs less than wall
time (run.py and debuglog.py print wall times).

The same inputs as run.py (the large-site lmstat output) and debuglog.py (two days of a busy
debug log): `parse_lmstat`, `parse_debuglog` on the whole text and `DebugLogReader.feed`
line by line, each the minimum CPU time (time.process_time) of `--repeat` runs after a
warm-up and a collection; then what the results keep (tracemalloc). Asserts nothing.

    .venv/bin/python bench/parse_cpu.py [--repeat 5] [--which lmstat,debuglog]
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import debuglog as debuglog_bench  # noqa: E402
import gen_lmstat  # noqa: E402

from lmconsole.adapters.flexlm.debuglog import DebugLogReader, parse_debuglog  # noqa: E402
from lmconsole.adapters.flexlm.lmstat import parse_lmstat  # noqa: E402


def cpu_min(run: Callable[[], object], repeat: int) -> float:
    """The least CPU seconds of `repeat` runs (the result of each freed before the next)."""
    run()
    best = float("inf")
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.process_time()
        result = run()
        best = min(best, time.process_time() - start)
    del result
    return best


def kept_bytes(run: Callable[[], object]) -> tuple[object, int]:
    gc.collect()
    tracemalloc.start()
    result = run()
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, kept


def line_rate(label: str, lines: int, seconds: float) -> None:
    print(f"{label}: {lines:,} lines, CPU best {seconds * 1000:,.1f} ms: "
          f"{lines / seconds:,.0f} lines/s")


def bench_lmstat(repeat: int) -> None:
    text = gen_lmstat.generate()
    now = gen_lmstat.STATUS_AT.replace(tzinfo=UTC)

    def parse():
        return parse_lmstat(text, tz=UTC, now=now)

    line_rate("parse_lmstat", text.count("\n"), cpu_min(parse, repeat))
    report, kept = kept_bytes(parse)
    seats = sum(len(f.checkouts) for s in report.servers for f in s.features)
    print(f"parse_lmstat: {kept / 2**20:,.1f} MiB kept by the report, "
          f"{kept / seats:,.0f} bytes a checkout ({seats:,})")


def bench_debuglog(repeat: int) -> None:
    text = debuglog_bench.generate(2, 100_000, 1)
    lines = text.splitlines()
    zone, start = debuglog_bench.ZONE, debuglog_bench.START

    def whole():
        return parse_debuglog(text, tz=zone)

    def live():
        feed = DebugLogReader(tz=zone, start_date=start.date()).feed
        return sum(1 for line in lines if feed(line) is not None)

    line_rate("parse_debuglog (whole text)", len(lines), cpu_min(whole, repeat))
    line_rate("DebugLogReader.feed (live)", len(lines), cpu_min(live, repeat))
    (events, _), kept = kept_bytes(whole)
    print(f"parse_debuglog: {kept / len(events):,.0f} bytes kept per event ({len(events):,})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--which", default="lmstat,debuglog")
    args = parser.parse_args(argv)
    print(f"parser CPU bench, Python {platform.python_version()}, {platform.machine()}")
    benches = {"lmstat": bench_lmstat, "debuglog": bench_debuglog}
    for name in args.which.split(","):
        benches[name](args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
