"""The built-in demo: simulated FlexLM servers reached through the same path as real ones
(an lmutil command line, its text output, the lmstat parser).

Two servers, as DESIGN.md's scenarios describe: an engineering company's triad and an
architecture office. No Textual here: `snapshot --demo` is headless.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from lmconsole.adapters.flexlm.sim import ManualClock, ScaledClock, SimulatedServer, load_scenario
from lmconsole.adapters.flexlm.sim.debuglog import date_text
from lmconsole.model import Snapshot
from lmconsole.transport import CommandResult

WARM_UP_S = 90 * 60  # the demo opens on a busy morning, not on an empty server
CONFIGURED_SPEED = 60.0  # a configured simulated server runs like the demo's


@dataclass(frozen=True, slots=True)
class DemoServer:
    """The part of a server's configuration a query needs (see lmconsole.adapter)."""

    name: str
    scenario: str
    seed: int
    manager: str = "flexlm"
    lmutil: str = "lmutil"
    license: str | None = None
    debug_log: str | None = "debug.log"
    poll_interval_s: float = 5.0  # real seconds: five simulated minutes at the default 60x

    @property
    def tz(self) -> tzinfo:
        return load_scenario(self.scenario).zone

    @property
    def sim_scenario(self) -> str:
        return self.scenario


DEMO_SERVERS = (
    DemoServer("engineering", "engineering", seed=7),
    DemoServer("office", "architecture", seed=3),
)


class SimulatorTransport:
    """Runs lmutil command lines on an in-process simulated server, and follows its debug
    log (the simulator has one log, whatever path is asked for)."""

    def __init__(self, server: SimulatedServer, *, follow_poll_s: float = 0.1) -> None:
        self.server = server
        self.follow_poll_s = follow_poll_s

    async def run(self, argv: Sequence[str], *, timeout: float) -> CommandResult:
        return CommandResult(*self.server.lmutil(list(argv[1:])))

    async def follow(self, path: str) -> AsyncIterator[str]:
        # A reader dates lines by today's date until the log names one; a simulated server
        # lives on another day, so the follow opens with the TIMESTAMP line lmgrd would write.
        self.server.sync()
        yield timestamp_line(self.server.log.local(self.server.now_s))
        seen = len(self.server.log.lines)
        while True:
            self.server.sync()
            lines = self.server.log.lines
            for line in lines[seen:]:
                yield line
            seen = len(lines)
            await asyncio.sleep(self.follow_poll_s)


def timestamp_line(at: datetime) -> str:
    return f"{at.hour:>2}:{at.minute:02}:{at.second:02} (lmgrd) TIMESTAMP {date_text(at)}"


def start_simulator(scenario: str, seed: int, *, speed: float | None = None) -> SimulatedServer:
    """A simulated server warmed up for WARM_UP_S: on a manual clock, or on a clock running
    `speed` times real time."""
    busy = load_scenario(scenario).start + timedelta(seconds=WARM_UP_S)
    clock = ManualClock.at(busy) if speed is None else ScaledClock.at(busy, speed)
    return SimulatedServer.from_scenario(scenario, seed=seed, clock=clock)


def simulator_transport(server_config) -> SimulatorTransport:
    """The transport of a configured server with transport = "sim"."""
    from lmconsole.inputs import InputError

    scenario = server_config.sim_scenario or "architecture"
    try:
        simulator = start_simulator(scenario, server_config.sim_seed or 0, speed=CONFIGURED_SPEED)
        return SimulatorTransport(simulator)
    except ValueError as error:  # an unknown scenario name
        raise InputError(f"server {server_config.name}: sim_scenario: {error}") from None


def demo_queries(speed: float | None = None):
    from lmconsole.adapters import ADAPTERS
    from lmconsole.snapshot import ServerQuery

    queries = []
    for demo in DEMO_SERVERS:
        simulator = start_simulator(demo.scenario, demo.seed, speed=speed)
        queries.append(ServerQuery(demo, ADAPTERS[demo.manager], SimulatorTransport(simulator)))
    return queries


def demo_snapshot(now: datetime | None = None) -> Snapshot:
    """One snapshot of the demo servers, each at its scenario's busy morning. Deterministic:
    the same servers, seeds and clocks every time."""
    from lmconsole.snapshot import snapshot_of

    queries = demo_queries()
    moment = max(query.transport.server.now for query in queries)
    return asyncio.run(snapshot_of(queries, moment))


def recent_denials(queries, per_server: int = 3, width: int = 80) -> str:
    """The last DENIED lines of each simulated debug log: what on-call staff look for."""
    lines = []
    for query in queries:
        denied = [line for line in query.transport.server.log.lines if " DENIED: " in line]
        lines += [f"  {query.config.name}: {line.strip()}"[:width] for line in denied[-per_server:]]
    if not lines:
        return ""
    return "\nrecent denials (debug log):\n" + "\n".join(lines) + "\n"


def run_text_demo(*, speed: float, duration: float | None, refresh_s: float = 2.0) -> int:
    """Redraw the demo servers' usage table every `refresh_s` until Ctrl-C (or `duration`
    seconds). Without a terminal, print one table and stop."""
    from lmconsole.output import render_table
    from lmconsole.snapshot import snapshot_of

    queries = demo_queries(speed=speed)
    interactive = sys.stdout.isatty()
    deadline = None if duration is None else time.monotonic() + duration
    while True:
        moment = max(query.transport.server.now for query in queries)
        snapshot = asyncio.run(snapshot_of(queries, moment))
        width = shutil.get_terminal_size().columns
        table = render_table(snapshot, seats=False, tz=None, width=width)
        if interactive:
            sys.stdout.write("\x1b[H\x1b[2J")
            sys.stdout.write(f"lmconsole demo: simulated servers at {speed:g}x real time "
                             f"(Ctrl-C to stop)\n\n")
        sys.stdout.write(table)
        sys.stdout.write(recent_denials(queries, width=width))
        sys.stdout.flush()
        if not interactive or (deadline is not None and time.monotonic() >= deadline):
            return 0
        time.sleep(refresh_s)
