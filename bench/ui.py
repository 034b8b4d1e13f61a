"""Benchmark of the live console: a 50,000-seat table, and how fast a denial reaches the screen.

Prints plain figures to paste into a note; asserts nothing.

    .venv/bin/python bench/ui.py [--seats 50000] [--changed 0.01] [--repeat 7]
                                 [--denials 200] [--datatable]

Every figure ends when a frame is composed: Textual's screen update has rendered the changed
lines (App._display is called with them; headless, nothing is written to a terminal). The
clock is read in that hook, so the waiting done by the bench itself adds nothing.
- refresh: a poll that changes 1% of the seats (half checked in, half new; the others the
  same objects, as the FlexLM parser gives back a seat line repeated) is applied to the
  open seats view, until the next frame: the rows keyed from the new status, the table
  diffed by key and the visible lines drawn again. The work alone (CPU, without the wait for
  Textual's next 60 Hz update tick) is printed beside it.
- first render: the seats view opened on a feature with that many seats, until its first
  frame with rows; and the same table filled while already open (a poll arriving into an
  empty view).
- memory: the Python heap the table holds (tracemalloc peak while it is filled), and the
  process's peak resident size.
- denial latency: the real path of a local server. A simulated FlexLM server made by
  `python -m lmconsole.adapters.flexlm.sim init` is configured as a `transport = "local"`
  server (its lmutil the simulator's); DENIED lines are appended to its debug log file as a
  vendor daemon writes them; the console follows the file with the local transport (a read
  every POLL_INTERVAL_S) and draws the denials view. Printed: written to read by the
  console, and written to drawn.
- --datatable: the same refresh on Textual's DataTable, for comparison (slow: minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lmconsole.adapters.transports.local import POLL_INTERVAL_S
from lmconsole.app import ConsoleServer, LMConsoleApp, StateArrived
from lmconsole.audit import AuditLog
from lmconsole.cli.servers import server_queries
from lmconsole.config import load_config
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
    """Seat n, built afresh each time."""
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


def workloads(count: int, changed: float, afresh: bool = False
              ) -> tuple[list[Checkout], list[Checkout]]:
    """The seats of one poll, and of the next with `changed` of them checked in or out. The
    seats both polls list are the same objects, as the FlexLM parser gives them back for a
    seat line repeated (lmstat.SeatLines); `afresh`: new, equal objects, as a parser that
    reads every line again makes them."""
    rng = random.Random(1)
    turnover = max(1, int(count * changed / 2))
    left = set(rng.sample(range(count), turnover))
    before = [seat(n) for n in range(count)]
    again = seat if afresh else lambda n: before[n] if n < count else seat(n)
    after = [again(n) for n in range(count + turnover) if n not in left]
    return before, after


def console(**options) -> LMConsoleApp:
    return LMConsoleApp(monitor=False, audit=AuditLog(Path(os.devnull)), **options)


class Frames:
    """When the app composed its frames: App._display, called with each screen update (the
    changed lines rendered), is wrapped to read the clock and note the screen and its rows."""

    def __init__(self, app: LMConsoleApp) -> None:
        self.seen: list[tuple[float, object, int]] = []
        display = app._display

        def noted(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None:
                table = getattr(screen, "table", None)
                rows = table.row_count if table is not None else -1
                self.seen.append((time.perf_counter(), screen, rows))

        app._display = noted

    async def first(self, after: float, where=lambda screen, rows: True,
                    timeout_s: float = 60.0) -> float:
        """The time of the first frame composed after `after` that `where` accepts."""
        for _ in range(int(timeout_s / 0.001)):
            for moment, screen, rows in self.seen:
                if moment > after and where(screen, rows):
                    return moment
            await asyncio.sleep(0.001)
        raise TimeoutError("no such frame was composed")


class DrawTime:
    """The time spent drawing a table's lines (its render_line), summed."""

    def __init__(self, table) -> None:
        self.total = 0.0
        draw = table.render_line

        def timed(y: int):
            started = time.perf_counter()
            try:
                return draw(y)
            finally:
                self.total += time.perf_counter() - started

        table.render_line = timed


async def bench_table(count: int, changed: float, repeat: int, afresh: bool = False
                      ) -> dict[str, object]:
    before, after = workloads(count, changed, afresh)
    states = [big_state(before), big_state(after)]
    figures: dict[str, object] = {}
    app = console()
    async with app.run_test(size=SIZE) as pilot:
        frames = Frames(app)
        app.post_message(StateArrived(states[0]))
        await pilot.pause()
        full = lambda screen, rows: isinstance(screen, SeatsScreen) and rows == count  # noqa: E731
        opened = []
        for _ in range(3):
            started = time.perf_counter()
            app.open_seats("big", "CAD_FLOATING")
            opened.append(await frames.first(started, full) - started)
            app.pop_screen()
            await pilot.pause()
        figures["open"] = statistics.median(opened)
        app.open_seats("big", "CAD_FLOATING")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SeatsScreen) and screen.table.row_count == count
        drawing = DrawTime(screen.table)
        fills = []
        for _ in range(3):
            screen.table.apply_sources({}, None)
            await pilot.pause()
            started = time.perf_counter()
            screen.reload()
            fills.append(await frames.first(started, full) - started)
        figures["fill"] = statistics.median(fills)
        walls, works = [], []
        for n in range(repeat * 2):
            await pilot.pause()
            app.data.set_state(states[(n + 1) % 2])
            drawing.total = 0.0
            started, cpu = time.perf_counter(), time.process_time()
            screen.table.apply_sources(screen.sources(), screen.make_row)
            applied = time.process_time() - cpu
            walls.append(await frames.first(started) - started)
            works.append(applied + drawing.total)
        figures["refresh"] = statistics.median(walls)
        figures["refresh_max"] = max(walls)
        figures["work"] = statistics.median(works)
        screen.table.apply_sources({}, None)
        await pilot.pause()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        screen.reload()
        figures["heap"] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    return figures


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

SIMULATOR = [sys.executable, "-m", "lmconsole.adapters.flexlm.sim"]
SIM_LMUTIL = Path(sys.executable).with_name("lmconsole-sim-lmutil")


def local_simulated_server(directory: Path) -> ConsoleServer:
    """A simulated FlexLM server as a site configures a real one on this machine: lmutil
    (the simulator's) run by the local transport, its debug log a file followed as such."""
    sim = directory / "sim"
    subprocess.run([*SIMULATOR, "init", str(sim), "--scenario", "architecture", "--seed", "1",
                    "--speed", "0"], check=True, capture_output=True)
    os.environ["LMCONSOLE_SIM_DIR"] = str(sim)  # the simulator's lmutil finds its state here
    config = directory / "config.toml"
    config.write_text(f"""
[[servers]]
name = "arch"
transport = "local"
lmutil = "{SIM_LMUTIL}"
license = "27000@arch-lic01"
debug_log = "{sim / 'debug.log'}"
poll_interval_s = 3600
""", encoding="utf-8")
    (query,) = server_queries(load_config(config), None)
    return ConsoleServer(query.config, query.adapter, query.transport)


async def bench_denials(count: int) -> tuple[list[float], list[float]]:
    """Seconds from a DENIED line appended to the debug log file to the console reading it,
    and to its row drawn on the denials view."""
    with tempfile.TemporaryDirectory() as directory:
        server = local_simulated_server(Path(directory))
        log = Path(server.config.debug_log)
        written, read, shown = {}, {}, {}
        follow = server.transport.follow

        async def noted(path, start=None):
            async for item in follow(path, start):
                for word in str(item).split():
                    if word.startswith("bench") and "@" in word:
                        read.setdefault(word.split("@")[0], time.perf_counter())
                yield item

        server.transport.follow = noted
        app = LMConsoleApp([server], poll_interval_s=3600, audit=AuditLog(Path(os.devnull)))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("d")
            screen = app.screen
            assert isinstance(screen, DenialsScreen)
            draw = screen.table.render_line

            def spy(y: int):
                strip = draw(y)
                for word in strip.text.split():
                    if word.startswith("bench") and "@" in word:
                        shown.setdefault(word.split("@")[0], time.perf_counter())
                return strip

            screen.table.render_line = spy
            await asyncio.sleep(1.0)  # the log followed from its end
            with log.open("a", encoding="utf-8") as file:
                for n in range(count):
                    user = f"bench{n:04d}"
                    # times that only grow: a denial dated before those shown sorts below
                    # the screen and is never drawn
                    at = f"9:{31 + n // 60}:{n % 60:02d}"
                    file.write(f'{at} (adskflex) DENIED: "AutoCAD" {user}@BENCH-PC  '
                               "(Licensed number of users already reached. (-4,342))\n")
                    file.flush()
                    written[user] = time.perf_counter()
                    await asyncio.sleep(0.037)  # not in step with the reads
            await asyncio.sleep(1.0)
            await pilot.pause()
    return ([read[u] - written[u] for u in written if u in read],
            [shown[u] - written[u] for u in written if u in shown])


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
    print(f"  refresh of the open seats view, to its frame: {ms(table['refresh'])} (slowest "
          f"{ms(table['refresh_max'])}); the work alone (keying, diff, re-sort, drawing the "
          f"visible lines) {ms(table['work'])}")
    afresh = asyncio.run(bench_table(args.seats, args.changed, args.repeat, afresh=True))
    print(f"  the same with every seat a new object (a parser that reads each line again): "
          f"{ms(afresh['refresh'])}; the work alone {ms(afresh['work'])}")
    print(f"  first render, filling the open view:  {ms(table['fill'])}")
    print(f"  first render, opening the view:       {ms(table['open'])} (screen set-up included)")
    print(f"  memory: table heap {table['heap'] / 2**20:.1f} MiB (tracemalloc peak); "
          f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if args.denials:
        read, drawn = asyncio.run(bench_denials(args.denials))
        if not drawn:
            print("  denial latency: no denial reached the screen")
        else:
            print(f"  denial latency over a local debug log file ({len(drawn)} of "
                  f"{args.denials} denials drawn; the file read every "
                  f"{ms(POLL_INTERVAL_S)}): written to read p50 {ms(percentile(read, 50))}, "
                  f"p95 {ms(percentile(read, 95))}; written to drawn p50 "
                  f"{ms(percentile(drawn, 50))}, p95 {ms(percentile(drawn, 95))}, "
                  f"max {ms(max(drawn))}")
    if args.datatable:
        grid = asyncio.run(bench_datatable(args.seats, args.changed))
        print(f"  Textual DataTable, same data: load {grid['load']:.1f} s, "
              f"refresh by key {grid['refresh']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
