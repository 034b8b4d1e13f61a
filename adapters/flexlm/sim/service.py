"""The simulated FlexLM server as the core sees it (lmconsole.adapter.Simulator): the demo,
servers configured with transport = "sim", and the tests reach it through here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .clock import ManualClock, ScaledClock
from .scenario import Scenario, load_scenario
from .server import SimulatedServer
from .statedir import copy_scenario_files
from .transport import SimulatorTransport


class FlexlmSimulator:
    default_scenario = "architecture"

    def scenario(self, name: str) -> Scenario:
        return load_scenario(name)

    def start(self, scenario: Scenario, *, seed: int, at: datetime, speed: float | None,
              licence_path: Path | None = None) -> SimulatedServer:
        clock = ManualClock.at(at) if speed is None else ScaledClock.at(at, speed)
        return SimulatedServer.from_scenario(scenario, seed=seed, clock=clock,
                                             licence_path=licence_path)

    def copy_files(self, scenario: Scenario, directory: Path) -> Path:
        return copy_scenario_files(scenario, directory)

    def transport(self, server: SimulatedServer, *, log_path: str | None = None,
                  follow_poll_s: float = 0.1) -> SimulatorTransport:
        return SimulatorTransport(server, follow_poll_s=follow_poll_s, log_path=log_path)

    def denial_lines(self, server: SimulatedServer) -> list[str]:
        return [line for line in server.log.lines if " DENIED: " in line]
