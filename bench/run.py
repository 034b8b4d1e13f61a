"""Benchmark: parse a large-site lmstat output, render it, and run `lmconsole snapshot` on it.

Prints plain figures to paste into a note; asserts nothing.

    .venv/bin/python bench/run.py [--repeat 7] [--cli-runs 3] [--features 2000] [--users 50000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from child import Run, run_bare_python, run_lmconsole  # noqa: E402
from gen_lmstat import STATUS_AT, generate  # noqa: E402

NOW = STATUS_AT.replace(tzinfo=UTC)


def timed(fn, repeat: int) -> tuple[list[float], object]:
    """Run fn `repeat` times; return the wall times in seconds and the last result."""
    times, result = [], None
    for _ in range(repeat):
        result = None  # the last run's result is freed before the clock starts, not in its time
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


def bench_cli(path: str, runs: int) -> None:
    """`lmconsole snapshot --from-file` in each output format, each run in a process of its
    own (bench/child.py): the best wall and CPU times, the same beyond start-up (a one-line
    input's run), and the peak RSS of the command's own process."""
    bare = [run_bare_python() for _ in range(runs)]
    tiny = Path(path).with_suffix(".tiny.txt")
    tiny.write_text(TINY_LMSTAT, encoding="utf-8")
    try:
        small = [snapshot_run(str(tiny), "json") for _ in range(runs)]
    finally:
        tiny.unlink()
    floor, floor_cpu = best(bare)
    startup, startup_cpu = best(small)
    print(f"cli: bare `python -c` {ms(floor)} (CPU {ms(floor_cpu)}); start-up of `snapshot "
          f"--from-file` on a one-feature output {ms(startup)}, {ms(startup - floor)} over "
          f"bare python (CPU {ms(startup_cpu)}, {ms(startup_cpu - floor_cpu)} over)")
    for output in ("json", "table", "csv", "prometheus"):
        measured = [snapshot_run(path, output) for _ in range(runs)]
        last = measured[-1]
        if last.returncode not in (0, 1):
            print(f"cli {output}: exit {last.returncode}: {last.stderr.strip()[-300:]}")
            continue
        wall, cpu = best(measured)
        print(f"cli {output}: {runs} runs, wall best {ms(wall)} ({ms(wall - startup)} beyond "
              f"start-up), median {ms(statistics.median(run.wall_s for run in measured))}, "
              f"CPU best {ms(cpu)} ({ms(cpu - startup_cpu)} beyond start-up), "
              f"peak RSS {max(run.peak_mib for run in measured):,.1f} MiB, "
              f"{len(last.stdout) / 2**20:,.1f} MiB out, exit {last.returncode}")


def best(runs: list[Run]) -> tuple[float, float]:
    """The least wall and the least CPU time of some runs."""
    return min(run.wall_s for run in runs), min(run.cpu_s for run in runs)


def snapshot_run(path: str, output: str) -> Run:
    return run_lmconsole(["snapshot", "--from-file", path, "--format", output])


TINY_LMSTAT = """lmutil - Copyright (c) 1989-2023 Flexera. All Rights Reserved.
Flexible License Manager status on Mon 3/2/2026 09:30

License server status: 27000@alpha
License file(s) on alpha: /opt/lic/a.lic:

     alpha: license server UP (MASTER) v11.19.0

Vendor daemon status (on alpha):

    acme: UP v11.19.0

Feature usage info:

Users of solver:  (Total of 4 licenses issued;  Total of 1 license in use)

  "solver" v1.0, vendor: acme, expiry: 1-jan-2030
  floating license

    ann host1 /dev/tty (v1.0) (alpha/27000 101), start Mon 3/2 9:00

"""


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
