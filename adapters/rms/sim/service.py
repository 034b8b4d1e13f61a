"""The simulated Sentinel RMS server as the core sees it (lmconsole.adapter.Simulator): the
demo, servers configured with manager = "rms" and transport = "sim", and the tests reach it
here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lmconsole.adapters.flexlm.sim.clock import ManualClock, ScaledClock

from ...seat_sim.transport import SeatSimulatorTransport
from ...seat_sim.workload import SeatScenario
from .scenario import load_scenario
from .server import RmsServer

LICENCE_FILE = "lservrc"


class RmsSimulator:
    default_scenario = "studio"

    def scenario(self, name: str) -> SeatScenario:
        return load_scenario(name)

    def start(self, scenario: SeatScenario, *, seed: int, at: datetime, speed: float | None,
              licence_path: Path | None = None) -> RmsServer:
        """`licence_path` is read by nobody: the licences here are the scenario's."""
        clock = ManualClock.at(at) if speed is None else ScaledClock.at(at, speed)
        return RmsServer(scenario, seed=seed, clock=clock)

    def copy_files(self, scenario: SeatScenario, directory: Path) -> Path:
        """What the server's licence file (lservrc) grants, as comments: real licence
        strings are signed by the vendor and cannot be made here."""
        directory.mkdir(parents=True, exist_ok=True)
        lines = [f"# {scenario.title}: the simulated Sentinel RMS server's licences"]
        lines += [f"# {f.name} {f.version}: {'no limit' if f.count is None else f.count}, "
                  f"expires {f.expires:%Y-%m-%d}" for f in scenario.features]
        (directory / LICENCE_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return directory / LICENCE_FILE

    def transport(self, server: RmsServer, *, log_path: str | None = None,
                  follow_poll_s: float = 0.1) -> SeatSimulatorTransport:
        return SeatSimulatorTransport(server, follow_poll_s=follow_poll_s, log_path=log_path)

    def denial_lines(self, server: RmsServer) -> list[str]:
        server.sync()
        return [line for line in server.log_lines if _trans(line) == "1"]


def _trans(line: str) -> str | None:
    """The transaction type of a usage log entry (the field after Feature and Ver)."""
    words = line.split()
    return words[11] if len(words) > 11 and not line.startswith("#") else None
