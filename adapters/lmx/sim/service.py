"""The simulated LM-X server as the core sees it (lmconsole.adapter.Simulator): the demo,
servers configured with manager = "lmx" and transport = "sim", and the tests reach it here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lmconsole.adapters.flexlm.sim.clock import ManualClock, ScaledClock

from ...seat_sim.transport import SeatSimulatorTransport
from .scenario import LmxScenario, load_scenario
from .server import LmxServer


class LmxSimulator:
    default_scenario = "cae"

    def scenario(self, name: str) -> LmxScenario:
        return load_scenario(name)

    def start(self, scenario: LmxScenario, *, seed: int, at: datetime, speed: float | None,
              licence_path: Path | None = None) -> LmxServer:
        """`licence_path` is read by nobody: LM-X's licences here are the scenario's."""
        clock = ManualClock.at(at) if speed is None else ScaledClock.at(at, speed)
        return LmxServer(scenario, seed=seed, clock=clock)

    def copy_files(self, scenario: LmxScenario, directory: Path) -> Path:
        """The scenario's licence file (its dates moved with it), as `NAME.lic`."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{scenario.name}.lic"
        path.write_text(scenario.licence_text(), encoding="utf-8")
        return path

    def transport(self, server: LmxServer, *, log_path: str | None = None,
                  follow_poll_s: float = 0.1) -> SeatSimulatorTransport:
        return SeatSimulatorTransport(server, follow_poll_s=follow_poll_s, log_path=log_path)

    def denial_lines(self, server: LmxServer) -> list[str]:
        server.sync()
        return [line for line in server.log_lines if "] Denied " in line]
