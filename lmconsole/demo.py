"""The built-in demo: simulated FlexLM servers reached through the same path as real ones
(an lmutil command line, its text output, the lmstat parser). The simulator is the
adapter's (lmconsole.adapter.Simulator), chosen by each server's licence manager.

Three sites: an engineering company's triad and an architecture office, as DESIGN.md's
scenarios describe, and a design studio that runs FlexLM, RLM, LM-X, Sentinel RMS and DSLS
side by side (MIXED_SITE).
Their licence and options files are copies in a directory of their own (`demo_files`), so
the console's editor, lmreread and restart work on them as on a real server's. No Textual
here: `snapshot --demo` is headless.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from lmconsole.adapter import Scenario, SimulatedServer, Simulator
from lmconsole.adapters import ADAPTERS, DEFAULT_MANAGER
from lmconsole.model import Snapshot

WARM_UP_S = 90 * 60  # the demo opens on a busy morning, not on an empty server
HISTORY_DAYS = 90  # the history the demo starts with, so that reports have data
CONFIGURED_SPEED = 60.0  # a configured simulated server runs like the demo's


@dataclass(frozen=True, slots=True)
class DemoServer:
    """The part of a server's configuration a query needs (see lmconsole.adapter)."""

    name: str
    scenario: str
    seed: int
    manager: str = DEFAULT_MANAGER
    lmutil: str = "lmutil"
    license: str | None = None
    debug_log: str | None = "debug.log"
    poll_interval_s: float = 5.0  # real seconds: five simulated minutes at the default 60x
    vendor: str | None = None  # the daemon restarted; with one daemon, whose options file
    daemons: tuple[str, ...] = ()  # several vendor daemons: each one's options file is named
    license_file: str | None = None  # set by with_files
    options_file: str | None = None
    options_files: tuple[tuple[str, str], ...] | None = None
    sim_licence: str | None = None  # the licence file its simulator reads (set by with_files)
    log_name: str | None = "debug.log"  # the log the console follows, beside the licence
    # file; None: its manager's logs are not read (no debug_log, no history imported)
    edits_files: bool = True  # False: its manager's files are not edited (no license_file)

    def with_files(self, licence: Path) -> DemoServer:
        """This server with its files: the licence file copied to `licence`, the options
        file of each of its daemons (else of its vendor) beside it, the debug log (the
        simulator's) named there too."""
        directory = licence.parent
        if not self.edits_files:
            log = str(directory / self.log_name) if self.log_name else None
            return dataclasses.replace(self, sim_licence=str(licence), debug_log=log)
        if self.daemons:
            return dataclasses.replace(
                self, license_file=str(licence), sim_licence=str(licence),
                debug_log=str(directory / "debug.log"),
                options_files=tuple((d, str(directory / f"{d}.opt")) for d in self.daemons))
        return dataclasses.replace(
            self, license_file=str(licence), sim_licence=str(licence),
            debug_log=str(directory / "debug.log"),
            options_file=str(directory / f"{self.vendor}.opt") if self.vendor else None)

    @property
    def tz(self) -> tzinfo:
        return simulator_of(self.manager).scenario(self.scenario).zone

    @property
    def sim_scenario(self) -> str:
        return self.scenario


# A design studio's licence servers, one per licence manager, its people using all of
# them. A manager's server joins the site with one entry naming its simulator's scenario
# (the LM-X one runs its simulator's CAE scenario: the studio's simulation tokens; the DSLS
# one keeps no log lmconsole reads).
MIXED_SITE = (
    DemoServer("studio-flexlm", "studio", seed=11, vendor="adskflex"),
    DemoServer("studio-rlm", "studio", seed=12, manager="rlm", log_name="foundry.rl",
               edits_files=False),
    DemoServer("studio-lmx", "cae", seed=13, manager="lmx", lmutil="lmxendutil",
               license="6200@lmx1.studio.example", log_name="lmx-server.log",
               edits_files=False),
    DemoServer("studio-rms", "studio", seed=14, manager="rms", lmutil="lsmon",
               license="5093@rms1.studio.example", log_name="lservsta", edits_files=False),
    DemoServer("studio-dsls", "studio", seed=15, manager="dsls", lmutil="DSLicSrv",
               license="4085@dsls1.studio.example", log_name=None, edits_files=False),
)

DEMO_SERVERS = (
    DemoServer("engineering", "engineering", seed=7, vendor="ugslmd",
               daemons=("ugslmd", "ansyslmd", "MLM")),
    DemoServer("office", "architecture", seed=3, vendor="adskflex"),
    *MIXED_SITE,
)


# The demo's alert rules (as [[alerts]] would write them): on the demo's busy morning, at
# sixty times real time, most of them fire within a minute.
DEMO_ALERTS = (
    {"name": "AutoCAD full", "kind": "free_seats", "features": ["AutoCAD"], "threshold": 0,
     "clear": 2, "for": "2m", "clear_for": "10m"},
    {"name": "FEM seats full", "kind": "free_seats", "servers": ["engineering"],
     "features": ["ANSYS_Mechanical", "NX_Nastran"], "threshold": 0, "clear": 1,
     "for": "5m", "clear_for": "10m", "severity": "critical"},
    {"name": "people denied", "kind": "denials", "period": "30m"},
    {"name": "licence expiring", "kind": "expiry", "threshold": 30},
    {"name": "seat held all day", "kind": "seat_held", "threshold": "10h"},
    {"name": "server down", "kind": "server_down"},
    {"name": "triad quorum", "kind": "quorum"},
    {"name": "vendor daemon down", "kind": "vendor_down"},
)


def demo_rules():
    from zoneinfo import ZoneInfo

    from lmconsole.alerts.rules import parse_rules

    def wrong(path, message):  # the demo's own rules: a mistake is ours
        raise ValueError(f"DEMO_ALERTS: {path}: {message}")

    return parse_rules(list(DEMO_ALERTS), wrong, ZoneInfo("UTC"))


def simulator_of(manager: str) -> Simulator:
    """The simulated server of licence manager `manager` (lmconsole.adapter.Simulator)."""
    return ADAPTERS[manager].simulator()


def demo_scenario(name: str, now: datetime | None = None, *,
                  manager: str = DEFAULT_MANAGER) -> Scenario:
    """Scenario `name`, moved so that its clock reads `now` once warmed up for WARM_UP_S
    (its licence's dates move with it). None: as written, on its own busy morning, the same
    every run (tests, `snapshot --demo`)."""
    scenario = simulator_of(manager).scenario(name)
    return scenario if now is None else scenario.starting_at(now - timedelta(seconds=WARM_UP_S))


def start_simulator(scenario: Scenario | str, seed: int, *, speed: float | None = None,
                    licence_path: Path | None = None,
                    manager: str = DEFAULT_MANAGER) -> SimulatedServer:
    """A simulated server warmed up for WARM_UP_S after its scenario's start: on a manual
    clock, or on a clock running `speed` times real time. `licence_path`: its licence file
    (copied there with demo_files), which lmreread reads again; else the scenario's own."""
    simulator = simulator_of(manager)
    scenario = simulator.scenario(scenario) if isinstance(scenario, str) else scenario
    busy = scenario.start + timedelta(seconds=WARM_UP_S)
    return simulator.start(scenario, seed=seed, at=busy, speed=speed, licence_path=licence_path)


def demo_files(demo: DemoServer, directory: Path, scenario: Scenario | None = None
               ) -> DemoServer:
    """Copy the scenario's licence and options files (default: as written) to
    `directory`/NAME/ and name them in the server's configuration."""
    simulator = simulator_of(demo.manager)
    target = directory / demo.name
    target.mkdir(parents=True, exist_ok=True)
    scenario = scenario or simulator.scenario(demo.scenario)
    return demo.with_files(simulator.copy_files(scenario, target))


def demo_directory() -> Path:
    """A directory for one run's demo files, removed when lmconsole exits."""
    directory = Path(tempfile.mkdtemp(prefix="lmconsole-demo-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def simulator_transport(server_config, now: datetime | None = None):
    """The transport of a configured server with transport = "sim", whose clock reads `now`
    (see demo_scenario)."""
    from lmconsole.inputs import InputError

    manager = server_config.manager
    simulator = simulator_of(manager)
    name = server_config.sim_scenario or simulator.default_scenario
    try:
        server = start_simulator(demo_scenario(name, now, manager=manager),
                                 server_config.sim_seed or 0, speed=CONFIGURED_SPEED,
                                 manager=manager)
        return simulator.transport(server)
    except ValueError as error:  # an unknown scenario name
        raise InputError(f"server {server_config.name}: sim_scenario: {error}") from None


def demo_queries(speed: float | None = None, now: datetime | None = None):
    """The demo servers, their clocks reading `now` (see demo_scenario)."""
    from lmconsole.snapshot import ServerQuery

    files = demo_directory()  # the licence files, which name idle features' vendor and expiry
    queries = []
    for demo in DEMO_SERVERS:
        scenario = demo_scenario(demo.scenario, now, manager=demo.manager)
        demo = demo_files(demo, files, scenario)
        server = start_simulator(scenario, demo.seed, speed=speed,
                                 licence_path=Path(demo.sim_licence), manager=demo.manager)
        transport = simulator_of(demo.manager).transport(server)
        queries.append(ServerQuery(demo, ADAPTERS[demo.manager], transport))
    return queries


def demo_snapshot(now: datetime | None = None) -> Snapshot:
    """One snapshot of the demo servers, each at its scenario's busy morning. Deterministic:
    the same servers, seeds and clocks every time."""
    from lmconsole.snapshot import snapshot_of

    queries = demo_queries()
    moment = max(query.transport.server.now for query in queries)
    return asyncio.run(snapshot_of(queries, moment))


def recent_denials(queries, per_server: int = 3, width: int | None = 80) -> str:
    """The last DENIED lines of each simulated debug log: what on-call staff look for (cut
    at `width` on a terminal; None: whole)."""
    from lmconsole.output import NO_WIDTH_LIMIT, fit

    lines = []
    for query in queries:
        denied = simulator_of(query.config.manager).denial_lines(query.transport.server)
        lines += [fit(f"  {query.config.name}: {line.strip()}", width or NO_WIDTH_LIMIT)
                  for line in denied[-per_server:]]
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
        width = shutil.get_terminal_size().columns if interactive else None
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


def write_history_logs(files: Path, now: datetime | None, days: int = HISTORY_DAYS
                       ) -> list[tuple[DemoServer, Path]]:
    """Each demo server's `days` days before the demo's start, fast-forwarded on its own
    simulator (another run of its scenario's workload): its debug log, written to
    `files`/NAME/history.log for the history to import. Seconds of CPU: run it in a thread."""
    logs = []
    for demo in DEMO_SERVERS:
        if demo.log_name is None:
            continue  # no log of its manager is read: it has no past to import
        simulator = simulator_of(demo.manager)
        live = demo_scenario(demo.scenario, now, manager=demo.manager)
        start = live.start - timedelta(days=days)
        server = simulator.start(live.starting_at(start), seed=demo.seed, at=start, speed=None)
        for _day in range(days):  # a day at a time: a longer step skips quiet weeks
            server.advance(24 * 3600)
        log = files / demo.name / "history.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        data, _stat = asyncio.run(simulator.transport(server, log_path=str(log)).read(str(log)))
        log.write_bytes(data)
        logs.append((demo, log))
    return logs


async def fill_history(store, files: Path, now: datetime | None,
                       days: int = HISTORY_DAYS) -> int:
    """The demo's history: `days` days of its servers' workload imported into `store`
    (lmconsole.history), so that every report and chart has something to show; the console
    then records the live part on top. Returns the sessions imported."""
    from datetime import UTC

    from lmconsole.history.importer import Importer
    from lmconsole.history.occupancy import set_issued

    sessions = 0
    for demo, log in await asyncio.to_thread(write_history_logs, files, now, days):
        zone = simulator_of(demo.manager).scenario(demo.scenario).zone
        importer = Importer(store, ADAPTERS[demo.manager], server=demo.name, tz=zone,
                            time_zone=getattr(zone, "key", None), now=datetime.now(UTC))
        sessions += (await importer.run([log])).sessions
        server_id = await store.server_id(demo.name, manager=demo.manager,
                                          time_zone=getattr(zone, "key", None))
        await set_issued(store, server_id, issued_of(demo, now))
    return sessions


def issued_of(demo: DemoServer, now: datetime | None) -> dict[str, int]:
    """The seats each feature of a demo server's licence issues (a log does not say: its
    history gets them from here, as a collector's gets them from lmstat)."""
    live = demo_scenario(demo.scenario, now, manager=demo.manager)
    server = simulator_of(demo.manager).start(live, seed=demo.seed, at=live.start, speed=None)
    return {feature.name: feature.issued for feature in server.status().features
            if feature.issued is not None}
