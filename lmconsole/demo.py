"""The built-in demo: simulated FlexLM servers reached through the same path as real ones
(an lmutil command line, its text output, the lmstat parser).

Two servers, as DESIGN.md's scenarios describe: an engineering company's triad and an
architecture office. Their licence and options files are copies in a directory of their own
(`demo_files`), so the console's editor, lmreread and restart work on them as on a real
server's. No Textual here: `snapshot --demo` is headless.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from lmconsole.adapters.flexlm.sim import (
    ManualClock,
    ScaledClock,
    Scenario,
    SimulatedServer,
    load_scenario,
)
from lmconsole.adapters.flexlm.sim.debuglog import date_text
from lmconsole.adapters.transports.local import LocalTransport
from lmconsole.model import Snapshot
from lmconsole.transport import CommandResult, FileStat, FollowItem, LogLine, LogOpened, LogPosition

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
    vendor: str | None = None  # the daemon restarted; with one daemon, whose options file
    daemons: tuple[str, ...] = ()  # several vendor daemons: each one's options file is named
    license_file: str | None = None  # set by with_files
    options_file: str | None = None
    options_files: tuple[tuple[str, str], ...] | None = None

    def with_files(self, licence: Path) -> DemoServer:
        """This server with its files: the licence file copied to `licence`, the options
        file of each of its daemons (else of its vendor) beside it, the debug log (the
        simulator's) named there too."""
        directory = licence.parent
        if self.daemons:
            return dataclasses.replace(
                self, license_file=str(licence), debug_log=str(directory / "debug.log"),
                options_files=tuple((d, str(directory / f"{d}.opt")) for d in self.daemons))
        return dataclasses.replace(
            self, license_file=str(licence), debug_log=str(directory / "debug.log"),
            options_file=str(directory / f"{self.vendor}.opt") if self.vendor else None)

    @property
    def tz(self) -> tzinfo:
        return load_scenario(self.scenario).zone

    @property
    def sim_scenario(self) -> str:
        return self.scenario


DEMO_SERVERS = (
    DemoServer("engineering", "engineering", seed=7, vendor="ugslmd",
               daemons=("ugslmd", "ansyslmd", "MLM")),
    DemoServer("office", "architecture", seed=3, vendor="adskflex"),
)


class SimulatorTransport:
    """Runs lmutil command lines on an in-process simulated server and follows its debug
    log (the simulator has one log, whatever path is asked for; read, stat and `tail -c` of
    the configured `log_path` give it too). The other files (licence, options, backups) are
    this machine's, through the local transport."""

    is_local = True

    def __init__(self, server: SimulatedServer, *, follow_poll_s: float = 0.1,
                 log_path: str | None = None) -> None:
        self.server = server
        self.follow_poll_s = follow_poll_s
        self.log_path = log_path
        self.files = LocalTransport()

    async def run(self, argv: Sequence[str], *, timeout: float) -> CommandResult:
        if list(argv[:2]) == ["tail", "-c"] and list(argv[3:]) == [self.log_path]:
            count = argv[2]  # "+N": from byte N on; "N": the last N bytes
            log = self._log()
            tail = log[int(count[1:]) - 1:] if count.startswith("+") else log[-int(count):]
            return CommandResult(0, tail.decode(errors="replace"), "")
        return CommandResult(*self.server.lmutil(list(argv[1:])))

    async def follow(self, path: str, start: LogPosition | None = None
                     ) -> AsyncIterator[FollowItem]:
        """The simulated log from its end (as `tail -F`) or from `start`; its offsets count
        lines. A reader dates lines by today's date until the log names one; a simulated
        server lives on another day, so the follow opens with the TIMESTAMP line lmgrd
        would write (a line of no position)."""
        self.server.sync()
        file_id = f"sim-{id(self.server)}"
        lines = self.server.log.lines
        resumed = start is not None and start.file_id == file_id and start.offset <= len(lines)
        seen = start.offset if resumed else len(lines)
        lost = None if start is None or resumed else "the simulated server was started again"
        yield LogOpened(LogPosition(file_id, seen), lost)
        yield LogLine(timestamp_line(self.server.log.local(self.server.now_s)),
                      LogPosition(file_id, seen))
        while True:
            self.server.sync()
            lines = self.server.log.lines
            while seen < len(lines):  # lines written while the reader handles one count too
                seen += 1
                yield LogLine(lines[seen - 1], LogPosition(file_id, seen))
            await asyncio.sleep(self.follow_poll_s)

    async def read(self, path: str) -> tuple[bytes, FileStat]:
        if path == self.log_path:
            data = self._log()
            return data, FileStat(len(data), 0, 0o644)
        return await self.files.read(path)

    async def stat(self, path: str) -> FileStat:
        if path == self.log_path:
            return FileStat(len(self._log()), 0, 0o644)
        return await self.files.stat(path)

    async def write_atomic(self, path: str, data: bytes, expected: FileStat | None, *,
                           like: str | None = None) -> FileStat:
        return await self.files.write_atomic(path, data, expected, like=like)

    async def list_dir(self, path: str) -> list[str]:
        return await self.files.list_dir(path)

    def _log(self) -> bytes:
        self.server.sync()
        lines = self.server.log.lines
        return ("\n".join(lines) + "\n").encode() if lines else b""


def timestamp_line(at: datetime) -> str:
    return f"{at.hour:>2}:{at.minute:02}:{at.second:02} (lmgrd) TIMESTAMP {date_text(at)}"


def demo_scenario(name: str, now: datetime | None = None) -> Scenario:
    """Scenario `name`, moved so that its clock reads `now` once warmed up for WARM_UP_S
    (its licence's dates move with it). None: as written, on its own busy morning, the same
    every run (tests, `snapshot --demo`)."""
    scenario = load_scenario(name)
    return scenario if now is None else scenario.starting_at(now - timedelta(seconds=WARM_UP_S))


def start_simulator(scenario: Scenario | str, seed: int, *, speed: float | None = None,
                    licence_path: Path | None = None) -> SimulatedServer:
    """A simulated server warmed up for WARM_UP_S after its scenario's start: on a manual
    clock, or on a clock running `speed` times real time. `licence_path`: its licence file
    (copied there with copy_scenario_files), which lmreread reads again; else the
    scenario's own."""
    scenario = load_scenario(scenario) if isinstance(scenario, str) else scenario
    busy = scenario.start + timedelta(seconds=WARM_UP_S)
    clock = ManualClock.at(busy) if speed is None else ScaledClock.at(busy, speed)
    return SimulatedServer.from_scenario(scenario, seed=seed, clock=clock,
                                         licence_path=licence_path)


def demo_files(demo: DemoServer, directory: Path, scenario: Scenario | None = None
               ) -> DemoServer:
    """Copy the scenario's licence and options files (default: as written) to
    `directory`/NAME/ and name them in the server's configuration."""
    from lmconsole.adapters.flexlm.sim.statedir import copy_scenario_files

    target = directory / demo.name
    target.mkdir(parents=True, exist_ok=True)
    scenario = scenario or load_scenario(demo.scenario)
    return demo.with_files(copy_scenario_files(scenario, target))


def demo_directory() -> Path:
    """A directory for one run's demo files, removed when lmconsole exits."""
    directory = Path(tempfile.mkdtemp(prefix="lmconsole-demo-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def simulator_transport(server_config, now: datetime | None = None) -> SimulatorTransport:
    """The transport of a configured server with transport = "sim", whose clock reads `now`
    (see demo_scenario)."""
    from lmconsole.inputs import InputError

    name = server_config.sim_scenario or "architecture"
    try:
        simulator = start_simulator(demo_scenario(name, now), server_config.sim_seed or 0,
                                    speed=CONFIGURED_SPEED)
        return SimulatorTransport(simulator)
    except ValueError as error:  # an unknown scenario name
        raise InputError(f"server {server_config.name}: sim_scenario: {error}") from None


def demo_queries(speed: float | None = None, now: datetime | None = None):
    """The demo servers, their clocks reading `now` (see demo_scenario)."""
    from lmconsole.adapters import ADAPTERS
    from lmconsole.snapshot import ServerQuery

    queries = []
    for demo in DEMO_SERVERS:
        simulator = start_simulator(demo_scenario(demo.scenario, now), demo.seed, speed=speed)
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


def run_text_demo(*, speed: float, duration: float | None, now: datetime | None = None,
                  refresh_s: float = 2.0) -> int:
    """Redraw the demo servers' usage table every `refresh_s` until Ctrl-C (or `duration`
    seconds), their clocks starting at `now` (see demo_scenario). Without a terminal, print
    one table and stop, or with `duration` one table every `refresh_s` until it is over."""
    from lmconsole.output import render_table
    from lmconsole.snapshot import snapshot_of

    queries = demo_queries(speed=speed, now=now)
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
        if deadline is None and not interactive or \
                deadline is not None and time.monotonic() >= deadline:
            return 0
        time.sleep(refresh_s)
