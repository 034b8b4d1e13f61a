"""Benchmark: parse a large-site lmstat output, render it, and run `lmconsole snapshot` on it.

Prints plain figures to paste into a note; asserts nothing.

    .venv/bin/python bench/run.py [--repeat 7] [--cli-runs 3] [--features 2000] [--users 50000]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_lmstat import STATUS_AT, generate  # noqa: E402

NOW = STATUS_AT.replace(tzinfo=UTC)


def timed(fn, repeat: int) -> tuple[list[float], object]:
    """Run fn `repeat` times; return the wall times in seconds and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def bench_parse(text: str, repeat: int):
    try:
        from lmconsole.adapters.flexlm.lmstat import parse_lmstat
    except ImportError as error:
        print(f"parse: skipped, the parser cannot be imported ({error})")
        return None
    lines = text.count("\n")

    def parse():
        return parse_lmstat(text, name=None, tz=UTC, now=NOW)

    parse()  # warm-up: imports, regex compilation
    times, report = timed(parse, repeat)
    best, median = min(times), statistics.median(times)
    features = [f for s in report.servers for f in s.features]
    checkouts = sum(len(f.checkouts) for f in features)
    seats = sum(c.count for f in features for c in f.checkouts)
    print(f"parse: {repeat} runs, best {ms(best)}, median {ms(median)}")
    print(f"parse: {lines / best:,.0f} lines/s (best), {lines / median:,.0f} lines/s (median)")
    print(f"parse: {len(report.servers)} servers, {len(features):,} features, "
          f"{checkouts:,} checkouts ({seats:,} seats), "
          f"{sum(len(f.reservations) for f in features):,} reservations, "
          f"{sum(len(f.queued) for f in features):,} queued, "
          f"{len(report.diagnostics):,} diagnostics")

    tracemalloc.start()
    kept = parse()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    print(f"parse: peak {peak / 2**20:,.1f} MiB allocated during one parse (tracemalloc), "
          f"{current / 2**20:,.1f} MiB kept by the result")
    return report


def bench_render(report, repeat: int) -> None:
    try:
        from lmconsole.model import Snapshot
        from lmconsole.output import FORMATS
    except ImportError as error:
        print(f"render: skipped ({error})")
        return
    snapshot = Snapshot(NOW, report.servers, report.diagnostics)
    variants = [("json", {}), ("json compact", {"compact": True}), ("table", {}),
                ("table seats", {"seats": True}), ("csv", {}), ("csv seats", {"rows": "seats"}),
                ("prometheus", {})]
    for label, kwargs in variants:
        render = FORMATS[label.split()[0]]
        times, text = timed(lambda render=render, kwargs=kwargs: render(snapshot, **kwargs), repeat)
        print(f"render {label}: best {ms(min(times))}, median {ms(statistics.median(times))}, "
              f"{len(text.encode('utf-8')) / 2**20:,.1f} MiB")


def lmconsole_command() -> list[str]:
    script = Path(sys.executable).with_name("lmconsole")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lmconsole"]


def bench_cli(path: str, runs: int) -> None:
    argv = lmconsole_command() + ["snapshot", "--from-file", path, "--format", "json"]
    print(f"cli: {' '.join(argv)}")
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True)
        walls.append(time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            err = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
            print(f"cli: exit {proc.returncode}: {' | '.join(err)}")
            return
    print(f"cli: {runs} runs, wall best {ms(min(walls))}, median {ms(statistics.median(walls))}, "
          f"exit {proc.returncode}, {len(proc.stdout) / 2**20:,.1f} MiB of JSON")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    print(f"cli: peak RSS of the largest run {usage.ru_maxrss * scale / 2**20:,.1f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="parse/render repetitions")
    parser.add_argument("--cli-runs", type=int, default=3)
    parser.add_argument("--features", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50000, help="checkout lines")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    args = parser.parse_args(argv)

    print(f"lmconsole bench {datetime.now().isoformat(timespec='seconds')}, "
          f"Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    text = generate(args.features, args.users, args.seed)
    fd, path = tempfile.mkstemp(prefix="lmstat_bench_", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    try:
        print(f"input: {path}: {text.count(chr(10)):,} lines, "
              f"{len(text.encode('utf-8')) / 2**20:,.1f} MiB, {args.features:,} features, "
              f"{args.users:,} checkout lines (seed {args.seed})")
        report = bench_parse(text, args.repeat)
        if report is not None:
            bench_render(report, max(1, args.repeat // 2))
        bench_cli(path, args.cli_runs)
    finally:
        if args.keep:
            print(f"kept {path}")
        else:
            os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
