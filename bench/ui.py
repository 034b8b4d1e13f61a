"""Benchmark of the live console: a 50,000-seat table, and how fast a denial reaches the screen.

Prints plain figures to paste into a note; asserts nothing.

    .venv/bin/python bench/ui.py [--seats 50000] [--changed 0.01] [--repeat 7]
                                 [--denials 200] [--datatable]

- refresh: a poll that changes 1% of the seats (half checked in, half new) is applied to the
  open seats view: the rows are keyed from the new status and the table is diffed by key.
- first render: the seats view opened on a feature with that many seats, until its first
  frame; and the same table filled while already open (a poll arriving into an empty view).
- memory: the Python heap the table holds (tracemalloc peak while it is filled), and the
  process's peak resident size.
- denial latency: DENIED lines written by the simulated server (the in-process simulator
  transport, followed every 0.1 s like `tail -F`) until the row is drawn on the denials view.
- --datatable: the same refresh on Textual's DataTable, for comparison (slow: minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lmconsole.app import ConsoleServer, LMConsoleApp, StateArrived, demo_servers
from lmconsole.audit import AuditLog
from lmconsole.model import Checkout, Feature, LicenseHost, ServerStatus, Status
from lmconsole.monitor import ServerState
from lmconsole.screens.denials import DenialsScreen
from lmconsole.screens.seats import SeatsScreen

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
SIZE = (120, 40)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# ---- a big seats table -------------------------------------------------------------------

def seat(n: int) -> Checkout:
    """Seat n, built afresh each time (a parser makes new, equal objects on every poll)."""
    host = f"ws{n % 7919:05d}"
    start = NOW - timedelta(seconds=60 + (n * 7919) % (9 * 86400))
    return Checkout(f"user{n:06d}", host, f"/dev/pts/{n % 64}", "2025.1", 0, "lic-a", 27000,
                    100_000 + n, start, borrowed=n % 97 == 0,
                    linger_s=3600 if n % 97 == 0 else None)


def big_state(seats: list[Checkout]) -> ServerState:
    feature = Feature("CAD_FLOATING", "MLM", len(seats) + 1000, len(seats),
                      checkouts=tuple(seats))
    status = ServerStatus("big", "27000@lic-a", Status.UP,
                          hosts=(LicenseHost("lic-a", 27000, Status.UP, master=True),),
                          features=(feature,))
    return ServerState("big", status, NOW)


def workloads(count: int, changed: float) -> tuple[list[Checkout], list[Checkout]]:
    """The seats of one poll, and of the next with `changed` of them checked in or out."""
    rng = random.Random(1)
    turnover = max(1, int(count * changed / 2))
    left = set(rng.sample(range(count), turnover))
    before = [seat(n) for n in range(count)]
    after = [seat(n) for n in range(count + turnover) if n not in left]
    return before, after


def console(**options) -> LMConsoleApp:
    return LMConsoleApp(monitor=False, audit=AuditLog(Path(os.devnull)), **options)


async def bench_table(count: int, changed: float, repeat: int) -> dict[str, object]:
    before, after = workloads(count, changed)
    states = [big_state(before), big_state(after)]
    figures: dict[str, object] = {}
    app = console()
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(StateArrived(states[0]))
        await pilot.pause()
        opened = []
        for _ in range(3):
            t0 = time.perf_counter()
            app.open_seats("big", "CAD_FLOATING")
            await first_frame(app, pilot)
            opened.append(time.perf_counter() - t0)
            app.pop_screen()
            await pilot.pause()
        figures["open"] = statistics.median(opened)
        app.open_seats("big", "CAD_FLOATING")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SeatsScreen) and screen.table.row_count == count
        fills = []
        for _ in range(3):
            screen.table.apply_sources({}, None)
            await pilot.pause()
            t0 = time.perf_counter()
            screen.reload()
            await first_frame(app, pilot)
            fills.append(time.perf_counter() - t0)
        figures["fill"] = statistics.median(fills)
        applies, keyed = [], []
        for n in range(repeat * 2):
            app.data.set_state(states[(n + 1) % 2])
            t0 = time.perf_counter()
            sources = screen.sources()
            t1 = time.perf_counter()
            screen.table.apply_sources(sources, screen.make_row)
            t2 = time.perf_counter()
            keyed.append(t1 - t0)
            applies.append(t2 - t1)
            await pilot.pause()
        figures["keyed"] = statistics.median(keyed)
        figures["apply"] = statistics.median(applies)
        figures["apply_max"] = max(applies)
        screen.table.apply_sources({}, None)
        await pilot.pause()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        screen.reload()
        figures["heap"] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    return figures


async def first_frame(app: LMConsoleApp, pilot) -> None:
    """Until the app has handled what is queued and painted the screen (Pilot.pause ends
    with a screen update), so the figure includes the first frame."""
    await pilot.pause()


# ---- Textual's DataTable, for comparison ---------------------------------------------------

async def bench_datatable(count: int, changed: float) -> dict[str, float]:
    from textual.app import App
    from textual.widgets import DataTable

    before, after = workloads(count, changed)

    class TableApp(App):
        def compose(self):
            yield DataTable()

    def cells(c: Checkout) -> tuple:
        return (c.user, c.host, c.display, c.start.isoformat(), c.count, c.handle)

    figures = {}
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        columns = table.add_columns("User", "Host", "Display", "Since", "Count", "Handle")
        t0 = time.perf_counter()
        for c in before:
            table.add_row(*cells(c), key=str(c.handle))
        await pilot.pause()
        figures["load"] = time.perf_counter() - t0
        old = {str(c.handle) for c in before}
        new = {str(c.handle): c for c in after}
        t0 = time.perf_counter()
        with app.batch_update():
            for key in old - new.keys():
                table.remove_row(key)
            for key in new.keys() - old:
                table.add_row(*cells(new[key]), key=key)
            table.sort(columns[3])
        await pilot.pause()
        figures["refresh"] = time.perf_counter() - t0
    return figures


# ---- denial latency ----------------------------------------------------------------------

async def bench_denials(count: int) -> list[float]:
    """Seconds from a DENIED line written by the simulated office server to its row drawn."""
    servers = [s for s in demo_servers(None) if s.name == "office"]
    office: ConsoleServer = servers[0]
    simulator = office.transport.server
    written: dict[str, float] = {}
    shown: dict[str, float] = {}
    log_write = simulator.log.write

    def timed_write(t, daemon, message):
        log_write(t, daemon, message)
        if message.startswith("DENIED: "):
            user = message.split('" ', 1)[1].split("@", 1)[0]
            written.setdefault(user, time.perf_counter())

    simulator.log.write = timed_write
    app = LMConsoleApp(servers, poll_interval_s=3600, audit=AuditLog(Path(os.devnull)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        screen = app.screen
        assert isinstance(screen, DenialsScreen)
        draw = screen.table.render_line

        def spy(y: int):
            strip = draw(y)
            text = strip.text
            if "bench" in text:
                for word in text.split():
                    if word.startswith("bench") and "@" in word:
                        shown.setdefault(word.split("@")[0], time.perf_counter())
            return strip

        screen.table.render_line = spy
        await asyncio.sleep(0.5)  # the follow loop is running
        for n in range(count):
            user = f"bench{n:04d}"
            outcome = simulator.checkout(user, "BENCH-PC", "AutoCAD")
            if outcome.kind == "out":  # a free seat after all: keep it, try again
                continue
            await asyncio.sleep(0.037)
        await asyncio.sleep(0.5)
        await pilot.pause()
    return [shown[u] - written[u] for u in written if u in shown]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seats", type=int, default=50_000)
    parser.add_argument("--changed", type=float, default=0.01, help="share of rows changed")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--denials", type=int, default=200)
    parser.add_argument("--datatable", action="store_true",
                        help="also time Textual's DataTable on the same refresh (slow)")
    args = parser.parse_args(argv)

    print(f"lmconsole UI benchmark: {args.seats:,} seats, {args.changed:.0%} changed per "
          f"refresh, terminal {SIZE[0]}x{SIZE[1]}, Python {sys.version.split()[0]}")
    table = asyncio.run(bench_table(args.seats, args.changed, args.repeat))
    print(f"  refresh of the open seats view:  {ms(table['keyed'] + table['apply'])} "
          f"(keying the new status {ms(table['keyed'])}, table diff and re-sort "
          f"{ms(table['apply'])}; slowest {ms(table['apply_max'])})")
    print(f"  first render, filling the open view:  {ms(table['fill'])}")
    print(f"  first render, opening the view:       {ms(table['open'])} (screen set-up included)")
    print(f"  memory: table heap {table['heap'] / 2**20:.1f} MiB (tracemalloc peak); "
          f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    latencies = asyncio.run(bench_denials(args.denials)) if args.denials else None
    if latencies is None:
        pass
    elif latencies:
        print(f"  denial latency, written to shown ({len(latencies)} denials): "
              f"p50 {ms(percentile(latencies, 50))}, p95 {ms(percentile(latencies, 95))}, "
              f"max {ms(max(latencies))}")
    else:
        print("  denial latency: no denial reached the screen (is the debug-log reader there?)")
    if args.datatable:
        grid = asyncio.run(bench_datatable(args.seats, args.changed))
        print(f"  Textual DataTable, same data: load {grid['load']:.1f} s, "
              f"refresh by key {grid['refresh']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
