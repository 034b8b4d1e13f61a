"""The simulated DS License Server as the core sees it (lmconsole.adapter.Simulator): the
demo, servers configured with manager = "dsls" and transport = "sim", and the tests reach it
here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lmconsole.adapters.flexlm.sim.clock import ManualClock, ScaledClock

from ...seat_sim.transport import SeatSimulatorTransport
from ...seat_sim.workload import SeatScenario
from .scenario import load_scenario
from .server import DslsServer

LICENCE_FILE = "enrolled-licences.txt"


class DslsSimulator:
    default_scenario = "studio"

    def scenario(self, name: str) -> SeatScenario:
        return load_scenario(name)

    def start(self, scenario: SeatScenario, *, seed: int, at: datetime, speed: float | None,
              licence_path: Path | None = None) -> DslsServer:
        """`licence_path` is read by nobody: the licences here are the scenario's."""
        clock = ManualClock.at(at) if speed is None else ScaledClock.at(at, speed)
        return DslsServer(scenario, seed=seed, clock=clock)

    def copy_files(self, scenario: SeatScenario, directory: Path) -> Path:
        """A note of the licences enrolled in the server (DSLS reads no licence file: its
        licences are enrolled in it, and real ones are signed by Dassault Systèmes)."""
        directory.mkdir(parents=True, exist_ok=True)
        lines = [f"# {scenario.title}: the licences enrolled in the simulated DSLS server"]
        lines += [f"# {f.name} {f.version}: {'no limit' if f.count is None else f.count}, "
                  f"expires {f.expires:%Y-%m-%d}" for f in scenario.features]
        (directory / LICENCE_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return directory / LICENCE_FILE

    def transport(self, server: DslsServer, *, log_path: str | None = None,
                  follow_poll_s: float = 0.1) -> SeatSimulatorTransport:
        return SeatSimulatorTransport(server, follow_poll_s=follow_poll_s, log_path=log_path)

    def denial_lines(self, server: DslsServer) -> list[str]:
        """None: lmconsole reads no DSLS log, so the simulator writes none."""
        return []
