"""Benchmark: the FlexLM debug-log parser on a busy server's log.

Generates (seeded) `--days` days of a combined lmgrd + vendor daemon log: about 100,000
lines a day at the default `--per-day`, mostly OUT/IN with DENIED, IN (INACTIVE), QUEUED,
DEQUEUED and UNSUPPORTED among them, TIMESTAMP lines every 6 h, a SLOG block every 4 h,
user names with spaces and non-ASCII letters, across midnights. The lines are written with
the simulator's own line builders, so they have the real layout. Then times
`parse_debuglog` on the whole text and `DebugLogReader.feed` line by line (the live path)
and prints lines/s. Asserts nothing.

    .venv/bin/python bench/debuglog.py [--days 2] [--per-day 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from lmconsole.adapters.flexlm.debuglog import DebugLogReader, parse_debuglog
from lmconsole.adapters.flexlm.sim import errors
from lmconsole.adapters.flexlm.sim.debuglog import (
    date_text,
    denied_line,
    lmgrd_startup,
    unsupported_line,
    usage_line,
    vendor_startup,
)

ZONE = ZoneInfo("Europe/Berlin")
DAY_S = 86400
START = datetime(2026, 3, 2, 6, 0, tzinfo=ZONE)
FEATURES = ("MATLAB", "SIMULINK", "Statistics_Toolbox", "MAP_Toolbox", "Optimization_Toolbox",
            "Signal_Toolbox", "Control_Toolbox", "Image_Toolbox", "Curve_Fitting_Toolbox")
USERS = ("alu-escuela", "José Juan Galera", "Marta Rodriguez", "jdoe", "ßchmidt", "felicia",
         "lopezrmo", "SATCOM1", "Usuario", "natal", "efrat", "rachel", "chen", "richard")
DENIALS = (errors.MAXUSERS, errors.EXCLUDED, errors.MAX_EXCEEDED, errors.RESERVED_FOR_OTHERS)
# seated_lines: the seats each feature has, and how often the vendor daemon is restarted
ISSUED = {"MATLAB": 150, "SIMULINK": 50, "Statistics_Toolbox": 40, "MAP_Toolbox": 10,
          "Optimization_Toolbox": 30, "Signal_Toolbox": 30, "Control_Toolbox": 25,
          "Image_Toolbox": 25, "Curve_Fitting_Toolbox": 15}
RESTART_DAYS = 3


def generate(days: int, per_day: int, seed: int) -> str:
    return "\n".join(generated_lines(days, per_day, seed)) + "\n"


def generated_lines(days: int, per_day: int, seed: int) -> Iterator[str]:
    """The lines of `generate`, one at a time (a long log need not be held whole). Users,
    hosts and features are drawn afresh for each line, so an IN seldom returns a seat an
    OUT took: the seats out grow with the log (bench/debuglog.py's parser figures are
    measured on it; `seated_lines` is a server's)."""
    rng = random.Random(seed)

    def messages(_at: datetime) -> list[tuple[str, str]]:
        user = rng.choice(USERS)
        host = f"PC-{rng.randrange(400):03}"
        feature = rng.choice(FEATURES)
        roll = rng.random()
        if roll < 0.42:
            message = usage_line("OUT", feature, user, host, rng.choice((1, 1, 1, 2)))
        elif roll < 0.80:
            message = usage_line("IN", feature, user, host)
        elif roll < 0.86:
            message = usage_line("IN", feature, user, host, 1, "INACTIVE")
        else:
            message = _refused_or_queued(rng, roll, feature, user, host)
        return [("MLM", message)]

    return _busy_log(days, per_day, rng, messages)


def seated_lines(days: int, per_day: int, seed: int) -> Iterator[str]:
    """A busy server's log as its vendor daemon writes it: each feature has ISSUED seats;
    an OUT only when enough are free (else a DENIED, the licence count reached), an IN
    returns a seat held (its user, host, feature and count), and the daemon is restarted
    every RESTART_DAYS days, which drops every seat. The seats out are at most the issued
    ones however long the log; DENIED (other reasons), QUEUED, DEQUEUED and UNSUPPORTED as
    in `generated_lines`."""
    rng = random.Random(seed)
    held: list[tuple[str, str, str, int]] = []  # feature, user, host, seats
    in_use = dict.fromkeys(FEATURES, 0)
    next_restart = START + timedelta(days=RESTART_DAYS)
    pid = 4243

    def messages(at: datetime) -> list[tuple[str, str]]:
        nonlocal next_restart, pid
        if at >= next_restart:
            held.clear()
            in_use.update(dict.fromkeys(FEATURES, 0))
            next_restart += timedelta(days=RESTART_DAYS)
            pid += 1
            return [("MLM", "EXITING DUE TO SIGNAL 15 Exit reason 2"),
                    ("lmgrd", "MLM exited with status 15 (Exited because of a signal)"),
                    ("lmgrd", f"REStarted MLM (internet tcp_port 27009 pid {pid})"),
                    *(("MLM", line) for line in vendor_startup("lic01", list(FEATURES),
                                                                "/opt/lic.dat"))]
        roll = rng.random()
        if roll < 0.40 and held:
            n = rng.randrange(len(held))
            feature, user, host, seats = held[n]
            held[n] = held[-1]
            held.pop()
            in_use[feature] -= seats
            return [("MLM", usage_line("IN", feature, user, host, seats,
                                       "INACTIVE" if roll < 0.05 else None))]
        user = rng.choice(USERS)
        host = f"PC-{rng.randrange(400):03}"
        feature = rng.choice(FEATURES)
        if roll < 0.86:
            seats = rng.choice((1, 1, 1, 2))
            if in_use[feature] + seats > ISSUED[feature]:
                return [("MLM", denied_line(feature, user, host, errors.MAXUSERS))]
            held.append((feature, user, host, seats))
            in_use[feature] += seats
            return [("MLM", usage_line("OUT", feature, user, host, seats))]
        return [("MLM", _refused_or_queued(rng, roll, feature, user, host))]

    return _busy_log(days, per_day, rng, messages)


def _refused_or_queued(rng: random.Random, roll: float, feature: str, user: str,
                       host: str) -> str:
    """The line of a `roll` from 0.86 up: DENIED, QUEUED, DEQUEUED or UNSUPPORTED."""
    if roll < 0.94:
        return denied_line(feature, user, host, rng.choice(DENIALS))
    if roll < 0.96:
        return usage_line("QUEUED", feature, user, host)
    if roll < 0.98:
        return usage_line("DEQUEUED", feature, user, host)
    return unsupported_line(feature + "_X", user, host)


def _busy_log(days: int, per_day: int, rng: random.Random,
              messages: Callable[[datetime], list[tuple[str, str]]]) -> Iterator[str]:
    """lmgrd's and the vendor daemon's start, then `per_day` moments a day (a Poisson
    stream) and what `messages` has the daemons write at each, with TIMESTAMP lines every
    6 h and a SLOG block every 4 h between them."""
    lines: list[str] = []

    def write(at: datetime, daemon: str, message: str) -> None:
        lines.append(f"{at.hour:>2}:{at.minute:02}:{at.second:02} ({daemon}) {message}")

    for message in lmgrd_startup(START, host="lic01", port=27000, licence_path="/opt/lic.dat",
                                 pid=4242, peers=[], master="lic01"):
        write(START, "lmgrd", message)
    for message in vendor_startup("lic01", list(FEATURES), "/opt/lic.dat"):
        write(START, "MLM", message)
    write(START, "MLM", f"TIMESTAMP {date_text(START)}")
    step = DAY_S / per_day
    at, next_stamp, next_slog = START, START + timedelta(hours=6), START + timedelta(hours=4)
    end = START + timedelta(days=days)
    while at < end:
        at += timedelta(seconds=rng.expovariate(1 / step))
        if at >= next_stamp:
            write(next_stamp, "lmgrd", f"TIMESTAMP {date_text(next_stamp)}")
            write(next_stamp, "MLM", f"TIMESTAMP {date_text(next_stamp)}")
            next_stamp += timedelta(hours=6)
        if at >= next_slog:
            stamp = next_slog.strftime("%a %b %d %Y %H:%M:%S")
            for message in ("===============================================",
                            "=== Last 10 Client Requests Processing Time (in ms) ===",
                            f"Time: {stamp} Hora de verano romance",
                            *(f"00000000 ms at 13:00:2{i}(6/9/2022),#4,(2836K),(,,544)"
                              for i in range(10)),
                            "==============================================="):
                write(next_slog, "MLM", f"(@MLM-SLOG@) {message}")
            next_slog += timedelta(hours=4)
        for daemon, message in messages(at):
            write(at, daemon, message)
        yield from lines
        lines.clear()
    yield from lines


def timed(fn, repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        result = None  # free the last run's events outside the timed part
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--per-day", type=int, default=100_000, help="event lines a day")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    print(f"lmconsole debuglog bench {datetime.now().isoformat(timespec='seconds')}, "
          f"Python {platform.python_version()}, {platform.machine()}")
    text = generate(args.days, args.per_day, args.seed)
    lines = text.splitlines()
    print(f"input: {len(lines):,} lines, {len(text.encode('utf-8')) / 2**20:,.1f} MiB, "
          f"{args.days} days from {START.isoformat()}")

    def whole():
        return parse_debuglog(text, tz=ZONE)

    whole()  # warm-up
    times, (events, diagnostics) = timed(whole, args.repeat)
    best, median = min(times), statistics.median(times)
    print(f"parse_debuglog: best {best * 1000:,.1f} ms, median {median * 1000:,.1f} ms: "
          f"{len(lines) / best:,.0f} lines/s (best), {len(lines) / median:,.0f} lines/s (median)")
    kinds = Counter(e.kind.value for e in events)
    print(f"parse_debuglog: {len(events):,} events {dict(kinds)}, "
          f"{len(diagnostics)} diagnostics, last at {events[-1].at.isoformat()}")
    events = diagnostics = None
    tracemalloc.start()
    events, _ = whole()
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"parse_debuglog: {kept / len(events):,.0f} bytes kept per event (tracemalloc), "
          f"peak {peak / 2**20:,.0f} MiB while reading")
    events = None

    def live():
        reader = DebugLogReader(tz=ZONE, start_date=START.date())
        feed = reader.feed
        return sum(1 for line in lines if feed(line) is not None)

    times, count = timed(live, args.repeat)
    best, median = min(times), statistics.median(times)
    print(f"feed (live, line by line): {count:,} events, best {best * 1000:,.1f} ms: "
          f"{len(lines) / best:,.0f} lines/s (best), {len(lines) / median:,.0f} lines/s "
          f"(median), {best / len(lines) * 1e6:.2f} µs/line")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
