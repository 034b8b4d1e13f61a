"""The core's side (lmconsole.adapter.Simulator) of a simulator built on the seat workload:
what the DSLS and Sentinel RMS simulators share. A subclass names its scenarios, its server
class and its licence note, loads its scenarios, and says which of its log lines are denials."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lmconsole.adapters.flexlm.sim.clock import ManualClock, ScaledClock

from .transport import SeatSimulatorTransport
from .workload import SeatScenario, SeatServer


class SeatSimulator:
    default_scenario = "studio"
    server_class: type[SeatServer]
    licence_file: str  # the name of the note of the licences, in a simulation's directory
    licence_heading: str  # its first line, after the scenario's title

    def scenario(self, name: str) -> SeatScenario:
        raise NotImplementedError

    def start(self, scenario: SeatScenario, *, seed: int, at: datetime, speed: float | None,
              licence_path: Path | None = None) -> SeatServer:
        """`licence_path` is read by nobody: the licences here are the scenario's."""
        clock = ManualClock.at(at) if speed is None else ScaledClock.at(at, speed)
        return self.server_class(scenario, seed=seed, clock=clock)

    def copy_files(self, scenario: SeatScenario, directory: Path) -> Path:
        """The licences the server grants, as comments: real licences are signed by their
        vendor and cannot be made here."""
        directory.mkdir(parents=True, exist_ok=True)
        lines = [f"# {scenario.title}: {self.licence_heading}"]
        lines += [f"# {f.name} {f.version}: {'no limit' if f.count is None else f.count}, "
                  f"expires {f.expires:%Y-%m-%d}" for f in scenario.features]
        (directory / self.licence_file).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return directory / self.licence_file

    def transport(self, server: SeatServer, *, log_path: str | None = None,
                  follow_poll_s: float = 0.1) -> SeatSimulatorTransport:
        return SeatSimulatorTransport(server, follow_poll_s=follow_poll_s, log_path=log_path)

    def denial_lines(self, server: SeatServer) -> list[str]:
        raise NotImplementedError
