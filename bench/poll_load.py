"""Benchmark: the console's CPU with many configured servers polled on their interval.

Prints plain figures to paste into a note; asserts nothing.

    .venv/bin/python bench/poll_load.py [--servers 100] [--interval 30] [--minutes 2]

Each server is a simulated FlexLM site (the "architecture" scenario, its own seed) whose
`lmstat -a` outputs were recorded beforehand, one per poll interval of simulated time, so
that successive polls differ as a real site's do; a recorded transport serves them in turn.
The simulator's own cost is thus left out: what is measured is the console's (lmstat run
through the transport, parsed, diffed into the live data, the overview redrawn), the CPU
time of the whole process (every thread) over `--minutes` of wall time after the first round
of polls, as a share of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from lmconsole.adapters import ADAPTERS
from lmconsole.adapters.flexlm.sim.scenario import load_scenario
from lmconsole.app import ConsoleServer, LMConsoleApp
from lmconsole.audit import AuditLog
from lmconsole.config import ServerConfig
from lmconsole.demo import start_simulator
from lmconsole.transport import CommandResult, TransportError

RECORDED_POLLS = 4


class RecordedTransport:
    """Answers `lmutil lmstat` with recorded outputs, in turn; has no files."""

    is_local = False
    simulated = False

    def __init__(self, outputs: Sequence[str]) -> None:
        self.outputs, self.calls = list(outputs), 0

    async def run(self, argv: Sequence[str], *, timeout: float) -> CommandResult:
        output = self.outputs[self.calls % len(self.outputs)]
        self.calls += 1
        return CommandResult(0, output, "")

    async def follow(self, path, start=None):
        raise TransportError("no debug log")
        yield  # pragma: no cover - an async generator

    async def read(self, path: str):
        raise TransportError("no files")

    async def stat(self, path: str):
        raise TransportError("no files")

    async def close(self) -> None:
        pass


def recorded_outputs(seed: int, interval_s: float) -> list[str]:
    server = start_simulator(load_scenario("architecture"), seed)
    outputs = []
    for _ in range(RECORDED_POLLS):
        code, stdout, stderr = server.lmutil(["lmstat", "-a", "-c", "27000@arch-lic01"])
        outputs.append(stdout)
        server.advance(interval_s)
    return outputs


def servers(count: int, interval_s: float) -> list[ConsoleServer]:
    adapter = ADAPTERS["flexlm"]
    return [ConsoleServer(ServerConfig(name=f"site{n:03d}", license="27000@arch-lic01",
                                       poll_interval_s=interval_s),
                          adapter, RecordedTransport(recorded_outputs(n, interval_s)))
            for n in range(count)]


async def measure(console: list[ConsoleServer], interval_s: float, minutes: float
                  ) -> tuple[float, float, int]:
    app = LMConsoleApp(console, poll_interval_s=interval_s, audit=AuditLog(Path(os.devnull)))
    async with app.run_test(size=(120, 40)):
        await asyncio.sleep(min(interval_s, 10.0))  # the first round of polls
        first_calls = sum(server.transport.calls for server in console)
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.sleep(minutes * 60)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        polls = sum(server.transport.calls for server in console) - first_calls
    return cpu, wall, polls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument("--interval", type=float, default=30.0, help="poll interval, seconds")
    parser.add_argument("--minutes", type=float, default=2.0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    console = servers(args.servers, args.interval)
    lines = sum(len(text.splitlines()) for text in console[0].transport.outputs)
    print(f"lmconsole poll-load benchmark: {args.servers} servers polled every "
          f"{args.interval:g} s, {lines / RECORDED_POLLS:,.0f} lines an lmstat output "
          f"(recorded in {time.perf_counter() - started:.1f} s), Python {sys.version.split()[0]}")
    cpu, wall, polls = asyncio.run(measure(console, args.interval, args.minutes))
    print(f"  {polls} polls in {wall:.1f} s: CPU {cpu:.2f} s, {cpu / wall:.1%} of one core "
          f"({cpu / max(polls, 1) * 1000:.1f} ms a poll, the idle console's upkeep included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
